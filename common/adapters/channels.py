"""How messages leave: a signed webhook POST and an SMTP email. Shared by notify (alerts and
digests) and the api (test sends), so the three send the same way.

A webhook is POSTed with the body signed afresh at each attempt (receivers refuse stale
signatures) and retried in place with exponential backoff on 5xx, 408, 429 and timeouts.
Each attempt has a deadline for the whole exchange (aiohttp's ``total`` timeout), not per
socket read: a receiver that answers a byte at a time cannot hold a delivery, and the users
after it, past ``webhook_timeout_s``. Its answer's body is never read.

A webhook is the user's URL, so it reaches only public addresses: a host that is, or
resolves to, a loopback, private, link-local or otherwise non-global address is refused
before any connection (checked on the addresses actually connected to, so a DNS answer
cannot point it inside). Otherwise a user could have the service POST to its own network
and read the outcome back from the test send. ``WEBHOOK_ALLOW_PRIVATE`` lifts this for the
local stack, whose receiver is on this machine.
A 4xx is the receiver's refusal (:class:`Refused`, retrying the same body cannot help), and
so is a redirect, which is not followed: following it would turn the POST into a GET, and a
redirect could point a webhook at hosts it was not registered for. A message still not taken
after its attempts raises :class:`DeliveryFailed`.
"""

import asyncio
import contextlib
import errno
import functools
import ipaddress
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from common import notify as rules
from common.settings import WEBHOOK_BUDGET_S, Settings, slowest_webhook_s


class DeliveryFailed(RuntimeError):
    """A channel did not take the message in its attempts: the caller may retry later.
    ``status`` is the receiver's last HTTP answer, None when there was none (timeout, SMTP)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NoAnswer(DeliveryFailed):
    """A webhook gave no answer in time, hung up before answering, has a name the DNS says
    does not exist or cannot look up (a mistyped domain, its name servers down), or a
    certificate of its own that is wrong (expired, self-signed, another name's): the
    receiver's trouble or our own way out's, which it cannot tell by itself (notify gives it
    up only while other receivers answer: functions/notify/invocation.py). A lookup still
    out at the deadline, or a chain to a root our trust store lacks, is plain
    :class:`DeliveryFailed`, whatever other receivers do."""


class LookupTimeout(TimeoutError):
    """The time ran out while the receiver's name was being looked up: our resolver may be
    what is silent, so it is no :class:`NoAnswer`."""


class RelayDown(DeliveryFailed):
    """The mail relay itself failed (unreachable, timed out, refused the login or the
    sender): every email of the moment would fail the same way, so a caller stops trying
    the rest rather than wait out each one's timeout."""


class ReceiverFailing(DeliveryFailed):
    """The receiver's own trouble: its last attempt reached the receiver, which answered 5xx,
    408 or 429 or refused the connection, or the mailbox is full. Our side works (it got that
    far) and theirs does not, so a caller may give such a delivery up in time; a failure that
    could be ours (no answer in time, a name that does not resolve, a certificate our trust
    store rejects, a relay refusing the sender) is never this."""


class Refused(RuntimeError):
    """The receiver answered 3xx or 4xx, or the webhook's host is no public address:
    retrying the same body cannot help. ``status`` is None when nothing answered."""

    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Channels:
    """The two ways out, configured by settings; tests point them at the local mailbox."""

    settings: Settings
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time

    def webhook(
        self,
        url: str,
        secret: str,
        body: bytes,
        attempts: int | None = None,
        *,
        delivery_id: str | None = None,
        previous_secrets: Sequence[str] = (),
    ) -> None:
        """POST ``body``; ``delivery_id`` goes in the ``Akleao-Delivery`` header, the same on
        every attempt and redelivery, so a receiver can drop a message it already has."""
        last, status, theirs = "", None, False  # theirs: the last attempt reached the receiver's host
        asked: float | None = None  # the last answer's Retry-After
        settings = self.settings
        tries = attempts or settings.webhook_attempts
        # what the waits Retry-After asks may add to the slowest delivery, which the settings
        # hold within WEBHOOK_BUDGET_S (less a margin for the marks written after it): a
        # throttled receiver (429) is alive, and asked to wait
        slowest = slowest_webhook_s(tries, settings.webhook_timeout_s, settings.webhook_backoff_s)
        slack = max(0.0, WEBHOOK_BUDGET_S - RETRY_AFTER_MARGIN_S - slowest)
        silent = False  # the last attempt got no answer in time (or a hang-up) from a host it was reaching
        answered: int | None = None  # an earlier attempt's HTTP status: the receiver answered this delivery
        for attempt in range(tries):
            if attempt:
                backoff = self.settings.webhook_backoff_s * 2 ** (attempt - 1)
                extra = min(max(0.0, (asked or 0.0) - backoff), slack)
                slack -= extra
                self.sleep(backoff + extra)
            now = int(self.clock())
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "akleao-notify/1",
                rules.SIGNATURE_HEADER: rules.sign(secret, now, body),
            }
            if (previous := rules.sign_previous(previous_secrets, now, body)) is not None:
                headers[rules.PREVIOUS_SIGNATURE_HEADER] = previous
            if delivery_id is not None:
                headers[rules.DELIVERY_HEADER] = delivery_id
            try:
                public_only = not self.settings.webhook_allow_private
                status, asked = asyncio.run(_post(url, body, headers, self.settings.webhook_timeout_s, public_only))
            except NotPublic as exc:  # the same answer on every attempt and every redelivery
                raise Refused(f"webhook {_where(url)}: {_hidden(str(exc), url)}", None) from exc
            except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                said = _hidden(str(exc), url)
                last, status, asked = f"{type(exc).__name__}: {said}" if said else type(exc).__name__, None, None
                theirs = _the_receivers(exc)
                silent = _silent(exc) or _unreachable_by_name(exc) or _unverified(exc)
                continue
            theirs, answered = True, status
            if status < 300:
                return
            last = f"HTTP {status}"
            if status < 400:
                raise Refused(f"{last}: the webhook redirects; register the final URL", status)
            if status < 500 and status not in (408, 429):
                raise Refused(last, status)
        if theirs:
            raise ReceiverFailing(f"webhook {_where(url)}: {last}", status)
        if silent and answered is not None:  # it answered an earlier attempt: its own trouble
            raise ReceiverFailing(f"webhook {_where(url)}: {last} after HTTP {answered}", answered)
        if silent:
            raise NoAnswer(f"webhook {_where(url)}: {last}", status)
        raise DeliveryFailed(f"webhook {_where(url)}: {last}", status)

    def email(self, message: EmailMessage) -> None:
        """Send through the relay. A recipient the relay refuses for good (its mailbox does
        not exist or is disabled: :func:`mailbox_refused`), or an address this relay cannot
        carry (non-ASCII without SMTPUTF8), is :class:`Refused`, settled, so an address that
        can never take mail does not fail every event it matches until Pub/Sub dead-letters
        them. A refusal that is about the relay or the sender ("5.7.1 relay access denied",
        "5.1.8 sender domain not found") would refuse every address alike, so it may pass once
        the relay is fixed (:class:`DeliveryFailed`), as may the message refused or a 4xx
        (a relay busy for now); the relay unreachable, silent, or refusing the login or the
        sender for good is :class:`RelayDown`."""
        s = self.settings
        try:
            with contextlib.closing(smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=10)) as smtp:
                try:
                    if s.smtp_starttls:
                        # the default context checks the relay's certificate and name: the
                        # password below must not go to whoever answers on the way
                        smtp.starttls(context=ssl.create_default_context())
                    if s.smtp_username and s.smtp_password is not None:
                        smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
                except smtplib.SMTPNotSupportedError as exc:  # no STARTTLS or AUTH offered: the relay's
                    raise RelayDown(f"email: the relay offers no {exc}") from exc
                try:
                    smtp.send_message(message)
                finally:
                    # the message is accepted (or refused above) by now: however the relay
                    # answers QUIT, that outcome stands (SMTP's own "with" would raise on it)
                    with contextlib.suppress(smtplib.SMTPException, OSError):
                        smtp.quit()
        except smtplib.SMTPRecipientsRefused as exc:
            raise _recipients_refused(exc) from exc
        except smtplib.SMTPNotSupportedError as exc:
            if not str(message["To"] or "").isascii():  # this address needs SMTPUTF8, which the relay lacks
                raise Refused(f"email: the relay cannot carry this address: {_said(str(exc))}", None) from exc
            raise RelayDown(f"email: {_said(str(exc))}") from exc  # our sender's, every email's
        except smtplib.SMTPDataError as exc:  # this message refused, perhaps not the next one
            if mailbox_full(exc.smtp_error) and not _OURS_AT_DATA.search(_said(exc.smtp_error)):
                raise ReceiverFailing(f"email: {_said(str(exc))}") from exc  # one recipient per message: theirs
            raise DeliveryFailed(f"email: {_said(str(exc))}") from exc
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:  # busy or throttling for now: not the relay gone
                raise DeliveryFailed(f"email: {exc.smtp_code} {_said(exc.smtp_error)!r}") from exc
            raise RelayDown(f"email: {type(exc).__name__}: {_said(str(exc))}") from exc  # login or sender refused
        except (OSError, smtplib.SMTPException) as exc:  # unreachable, silent, or hung up
            raise RelayDown(f"email: {type(exc).__name__}: {_said(str(exc))}") from exc


_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
# Enhanced codes (RFC 3463) that say this mailbox is not there, for good: bad address, bad
# system, ambiguous, moved, invalid syntax... (5.1.1-5.1.3, 5.1.6, 5.1.10), disabled (5.2.1).
# 5.1.0, 5.1.7 and 5.1.8 are the sender's; everything else is the relay's or passing.
_MAILBOX_GONE = {(1, 1), (1, 2), (1, 3), (1, 6), (1, 10), (2, 1)}
# Without an enhanced code (or behind 5.4.1, which Microsoft gives a recipient it does not
# have), the words of an answer about the recipient, and those of one about the relay or the
# sender, which every recipient would get.
_NO_SUCH_RECIPIENT = re.compile(
    r"no such (user|mailbox|recipient)|(user|recipient|mailbox) (unknown|not found|does not exist)"
    r"|unknown (user|recipient)|recipient address rejected|doesn'?t have an? .* account|invalid recipient",
    re.IGNORECASE,
)
_NOT_THE_RECIPIENT = re.compile(
    r"sender|relay access denied|unable to relay|relaying denied|relay not permitted|not permitted to relay"
    r"|rcpthosts|5\.7\.\d|quota|too many|blocked|spam",
    re.IGNORECASE,
)


# An address inside an answer (relays echo the recipient's, and our sender's): its letters are
# a user's choice, not the relay's words, so "nospam@" or "sender.bob@" says nothing.
_ADDRESS = re.compile(r"<[^<>]*@[^<>]*>|\"[^\"]*\"@[^\s<>()\[\]:;,\"']+|[^\s<>()\[\]:;,\"']+@[^\s<>()\[\]:;,\"']+")


def _said(text: bytes | str) -> str:
    """An SMTP answer's words, without the addresses it quotes (they would reach the logs)."""
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return _ADDRESS.sub("<>", said)


def mailbox_refused(code: int, text: bytes | str) -> bool:
    """Whether an SMTP answer to RCPT refuses this mailbox for good (RFC 3463): an enhanced
    code naming the mailbox (:data:`_MAILBOX_GONE`), or, without one (or behind 5.4.1), words
    saying the recipient does not exist (550, 551, 553, 554). An answer about the sender, the
    relay, a quota or a block is never final for this recipient, whatever its code: each
    recipient would get it (Postfix reports a rejected sender at RCPT)."""
    if not 500 <= code < 600:
        return False
    said = _said(text)
    if _NOT_THE_RECIPIENT.search(said):
        return False
    enhanced = _ENHANCED.match(said)
    if enhanced is not None and enhanced.group(1) == "5":
        detail = (int(enhanced.group(2)), int(enhanced.group(3)))
        if detail in _MAILBOX_GONE:
            return True
        return detail == (4, 1) and bool(_NO_SUCH_RECIPIENT.search(said))
    return enhanced is None and code in (550, 551, 553, 554) and bool(_NO_SUCH_RECIPIENT.search(said))


def _silent(exc: BaseException) -> bool:
    """Whether an attempt got no answer from a host it was reaching: the time ran out after
    the name was found, or the host hung up or reset the connection before answering."""
    if isinstance(exc, LookupTimeout):
        return False
    reset = isinstance(exc, aiohttp.ClientOSError) and exc.errno == errno.ECONNRESET
    return reset or isinstance(exc, TimeoutError | aiohttp.ServerDisconnectedError)


# What getaddrinfo says of a name the DNS answered does not exist (or has no address), or
# could not answer for (EAI_AGAIN: the name's own servers failing, or our resolver).
_NAME_FAILED = frozenset(
    code for code in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None), socket.EAI_AGAIN) if code is not None
)


def _unreachable_by_name(exc: BaseException) -> bool:
    """Whether an attempt failed on the receiver's name: the DNS says it does not exist, or
    its lookup failed. The receiver's own doing while other receivers' names resolve and
    answer (a mistyped domain, its name servers down for hours), ours when none do (a
    resolver failing every name). A lookup still out at the deadline is neither
    (:class:`LookupTimeout`)."""
    return (
        isinstance(exc, aiohttp.ClientConnectorError)
        and isinstance(exc.os_error, socket.gaierror)
        and exc.os_error.errno in _NAME_FAILED
    )


# OpenSSL's verify codes for a certificate the receiver got wrong itself, whatever the trust
# store: not yet valid (9), expired (10), signed by itself alone (18), another name's (62)
# or another address's (64). A chain to a root we lack (19, 20...) may be our trust store's
# gap, or a machine in our way.
_THEIR_CERTIFICATE = frozenset({9, 10, 18, 62, 64})


def _unverified(exc: BaseException) -> bool:
    """Whether the receiver's own certificate is wrong (expired, self-signed, another
    name's): its doing while other receivers' certificates verify and they answer, ours
    when none do (a clock gone wrong)."""
    if not isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return False
    return getattr(exc.certificate_error, "verify_code", None) in _THEIR_CERTIFICATE


RETRY_AFTER_MARGIN_S = 5.0  # of the webhook budget, never spent waiting what a receiver asks


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is left unread: a receiver throttling a
    webhook, Slack's or Discord's, answers seconds)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _the_receivers(exc: BaseException) -> bool:
    """Whether a webhook attempt that got no HTTP answer still reached the receiver's host:
    it refused the connection. A name that does not resolve, a timeout or a certificate that
    does not verify (our trust store may lack its root) may be our own doing."""
    return isinstance(exc, aiohttp.ClientConnectorError) and isinstance(exc.os_error, ConnectionRefusedError)


def _recipients_refused(exc: smtplib.SMTPRecipientsRefused) -> Exception:
    """Settled when the mailbox is gone for good, the receiver's "not now" when it is full,
    else a failure that may pass (and may be the relay's)."""
    answers = list(exc.recipients.values())
    said = "; ".join(f"{code} {_said(text)}" for code, text in answers) or "every recipient refused"
    if answers and all(mailbox_refused(code, text) for code, text in answers):
        return Refused(f"email: {said}", answers[0][0])
    if answers and all(mailbox_full(text) for _, text in answers):
        return ReceiverFailing(f"email: {said}")
    return DeliveryFailed(f"email: {said}")


# X.2.2 at DATA from a relay counting our submissions (Exchange Online's
# SubmissionQuotaExceeded): every recipient would get it.
_OURS_AT_DATA = re.compile(r"submission|sender|sending|send quota", re.IGNORECASE)


def mailbox_full(text: bytes | str) -> bool:
    """Whether an answer (to RCPT, or at DATA) says this mailbox is full for now (enhanced
    code X.2.2, RFC 3463): the recipient's trouble alone. Words are not enough ("quota" is also a relay's
    sending quota, which every recipient would get)."""
    enhanced = _ENHANCED.match(_said(text))
    return enhanced is not None and (int(enhanced.group(2)), int(enhanced.group(3))) == (2, 2)


class NotPublic(OSError):
    """A webhook host that is, or resolves only to, an address outside the public internet."""


# IPv6 ranges that carry an IPv4 address in their last 32 bits: NAT64's well-known prefix,
# the deprecated IPv4-compatible form and SIIT's IPv4-translated one. Where a network translates them, "64:ff9b::7f00:1"
# is 127.0.0.1; Python calls them global.
_CARRY_IPV4 = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("::/96"),
    ipaddress.ip_network("::ffff:0:0:0/96"),  # IPv4-translated (RFC 2765)
)
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: a network's own translation


def is_public(address: str) -> bool:
    """Whether ``address`` is on the public internet, judging an IPv6 address that carries an
    IPv4 one (mapped, 6to4, Teredo, NAT64) by the IPv4 address it reaches."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is link-local anyway
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        carried = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if carried is None and any(ip in net for net in _CARRY_IPV4):
            carried = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if carried is not None:
            return carried.is_global and not carried.is_multicast
        if ip.is_site_local:  # deprecated (RFC 3879), yet private wherever it is still routed
            return False
    return ip.is_global and not ip.is_multicast


# Name lookups run here, not in the event loop's default executor, which ``asyncio.run``
# waits for when it ends: a nameserver that never answers would hold a send past its
# deadline. A lookup cut off by the deadline finishes in this pool, on its own. Wider than
# the most deliveries notify sends side by side (NOTIFY_CONCURRENCY, at most 64), twice: a
# few domains whose nameservers hang must not queue everyone else's lookups past their deadline.
_LOOKUPS = ThreadPoolExecutor(max_workers=128, thread_name_prefix="webhook-dns")
_NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV


class WebhookResolver(AbstractResolver):
    """The system resolver in :data:`_LOOKUPS`, keeping only public addresses when asked
    (none left: :class:`NotPublic`)."""

    def __init__(self, public_only: bool) -> None:
        self.public_only = public_only
        self.looking_up = False  # a lookup is out: a timeout now is our resolver's as much as theirs

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        lookup = functools.partial(socket.getaddrinfo, host, port, family, socket.SOCK_STREAM)
        self.looking_up = True  # left set when the deadline cancels the lookup: what _post asks
        infos = await asyncio.get_running_loop().run_in_executor(_LOOKUPS, lookup)
        self.looking_up = False
        found = [
            ResolveResult(
                hostname=host, host=str(address[0]), port=int(address[1]), family=fam, proto=proto, flags=_NUMERIC
            )
            for fam, _, proto, _, address in infos
        ]
        if self.public_only:
            found = [r for r in found if is_public(r["host"])]
            if not found:
                raise NotPublic(f"{host} resolves to no public address")
        return found

    async def close(self) -> None:
        return None


def _where(url: str) -> str:
    """The receiver as logs and stored reasons may show it: scheme and host. The path and
    query of a chat webhook are its credential (whoever holds them posts as the user)."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{parts.hostname or '?'}{port}/…"


_ANY_URL = re.compile(r"(?i)\b(https?://[^/?#\s'\"]+)[^\s'\"]*")


def _hidden(text: str, url: str) -> str:
    """``text`` without the URL's path and query, however the library spelled the URL (yarl
    drops ``:443`` and decodes ``%2F``, so the text may not hold ``url`` as given)."""
    text = _ANY_URL.sub(r"\1/…", text)
    parts = urlsplit(url)
    for part in (parts.path, "?" + parts.query, unquote(parts.path), "?" + unquote(parts.query)):
        if len(part) > 3:
            text = text.replace(part, "…")
    return text


async def _post(
    url: str, body: bytes, headers: Mapping[str, str], timeout_s: float, public_only: bool
) -> tuple[int, float | None]:
    """The receiver's status and the seconds its ``Retry-After`` asks (None: none, or not in
    seconds), within ``timeout_s`` for connecting, sending and its answer's headers together."""
    if public_only:
        host = urlsplit(url).hostname or ""
        try:
            literal = is_public(host)
        except ValueError:  # a name: the resolver keeps its public addresses only
            pass
        else:
            if not literal:
                raise NotPublic(f"{host} is not a public address")
    resolver = WebhookResolver(public_only)
    connector = aiohttp.TCPConnector(resolver=resolver)
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s), connector=connector) as session,
            session.post(url, data=body, headers=dict(headers), allow_redirects=False) as response,
        ):
            return response.status, _retry_after(response.headers.get("Retry-After"))
    except TimeoutError as exc:
        if resolver.looking_up:
            raise LookupTimeout(f"no address for {urlsplit(url).hostname} in {timeout_s:g} s") from exc
        raise
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, NotPublic):
            raise exc.os_error from exc
        raise
