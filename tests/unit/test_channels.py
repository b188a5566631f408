"""The webhook channel against a receiver on this machine: one deadline per attempt for the
whole exchange, the delivery id on every attempt, refusals and failures told apart."""

import contextlib
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yarl
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from common import notify
from common.adapters.channels import (
    Channels,
    DeliveryFailed,
    NoAnswer,
    ReceiverFailing,
    Refused,
    RelayDown,
    is_public,
    mailbox_refused,
)
from common.adapters.channels import _hidden as channels_hidden
from common.settings import Settings

SEEN: list[dict[str, str]] = []
ANSWERS: list[int] = []


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        SEEN.append({k: v for k, v in self.headers.items()})
        if self.path == "/drip":
            # a whole, successful answer, a byte every 0.2 s: each read is quick, the
            # exchange is not
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            for byte in answer:
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:
                    return  # the sender gave up: what the deadline is for
                time.sleep(0.2)
            return
        status = ANSWERS.pop(0) if ANSWERS else 200
        self.send_response(status)
        if status in (301, 302, 307):
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        if status == 429:
            self.send_header("Retry-After", "30")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        del args


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(autouse=True)
def _fresh() -> None:
    SEEN.clear()
    ANSWERS.clear()


def channels(**settings: float) -> Channels:
    """Channels whose webhooks may reach this machine's receiver (the local stack's setting)."""
    options = {"WEBHOOK_BACKOFF_S": 0.0, "WEBHOOK_ALLOW_PRIVATE": True, **settings}
    return Channels(Settings(**options), sleep=lambda _: None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "[::1]", "10.1.2.3", "169.254.169.254", "[::ffff:127.0.0.1]"],
)
def test_a_webhook_never_reaches_a_private_address_unless_allowed(receiver: str, host: str) -> None:
    port = receiver.rsplit(":", 1)[1]
    with pytest.raises(Refused, match="public address") as refused:  # settled: no retry can change it
        channels(WEBHOOK_ALLOW_PRIVATE=False).webhook(f"http://{host}:{port}/hook", "s", b"{}", attempts=3)
    assert refused.value.status is None
    assert SEEN == []  # refused before connecting: no probe of what listens there


def test_a_name_lookup_that_hangs_ends_with_the_attempts_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    released, finished = threading.Event(), threading.Event()
    real = socket.getaddrinfo

    def hanging(*args: Any, **kwargs: Any) -> Any:
        released.wait(20)  # a nameserver that does not answer
        finished.set()
        return real("127.0.0.1", *args[1:], **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    try:
        with pytest.raises(DeliveryFailed, match="Timeout") as failed:
            channels(WEBHOOK_TIMEOUT_S=0.5).webhook("http://hook.example.invalid/hook", "s", b"{}", attempts=1)
        assert not finished.is_set()  # the send did not wait for the lookup to end
        assert not isinstance(failed.value, NoAnswer)  # our resolver may be the silent one
    finally:
        released.set()


def test_public_addresses_are_told_from_the_others() -> None:
    assert is_public("8.8.8.8") and is_public("2606:4700:4700::1111")
    for address in ("127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "::1",
                    "fe80::1%eth0", "fc00::1", "::ffff:10.0.0.1", "0.0.0.0", "224.0.0.1",
                    # IPv6 carrying an internal IPv4 address: NAT64, 6to4, IPv4-compatible, Teredo
                    "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "::7f00:1", "64:ff9b:1::1",
                    "2001:0:4136:e378:8000:63bf:f5ff:fffe", "::ffff:0:7f00:1",  # and IPv4-translated
                    "fec0::1"):  # site-local: deprecated, private where still routed  # fmt: skip
        assert not is_public(address), address
    for address in ("64:ff9b::808:808", "2002:808:808::", "::ffff:0:808:808"):  # the same forms reaching a public one
        assert is_public(address), address


def test_a_receiver_answering_a_byte_at_a_time_is_cut_off_at_the_deadline(receiver: str) -> None:
    # Its answer would be a 200 after about 12 s; each byte comes far within any read timeout.
    with pytest.raises(DeliveryFailed) as failed:
        channels(WEBHOOK_TIMEOUT_S=1.0).webhook(f"{receiver}/drip", "s", b"{}", attempts=1)
    assert failed.value.status is None and "Timeout" in str(failed.value)
    assert isinstance(failed.value, NoAnswer)  # no answer in time: theirs only while others answer


def test_a_receiver_that_answered_an_earlier_attempt_is_failing_whatever_its_last_attempt_got(
    receiver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ANSWERS[:] = [503]  # then the drip: no whole answer before the deadline
    real = Receiver.do_POST

    def then_silent(handler: Receiver) -> None:
        if not ANSWERS:
            handler.path = "/drip"
        real(handler)

    monkeypatch.setattr(Receiver, "do_POST", then_silent)
    with pytest.raises(ReceiverFailing) as failed:
        channels(WEBHOOK_TIMEOUT_S=1.0).webhook(f"{receiver}/hook", "s", b"{}", attempts=2)
    assert failed.value.status == 503 and "after HTTP 503" in str(failed.value)


def test_a_throttling_receiver_is_given_the_wait_it_asks_within_the_webhook_budget(receiver: str) -> None:
    """Slack and Discord answer a burst 429 with Retry-After: retried at once, the delivery
    would fail and count towards disabling a receiver that is alive."""
    waits: list[float] = []
    sending = Channels(
        Settings(WEBHOOK_BACKOFF_S=0.5, WEBHOOK_ALLOW_PRIVATE=True),
        sleep=waits.append,
    )
    ANSWERS[:] = [429, 429]
    sending.webhook(f"{receiver}/hook", "s", b"{}", attempts=3)
    assert len(SEEN) == 3
    # 30 s asked each time; the slowest delivery (3 x 5 s timeouts and 1.5 s of backoff) and
    # a 5 s margin leave 33.5 s of the 55 s budget for such waits: the first whole, then the rest
    assert waits == [30.0, 5.0] and sum(waits) + 3 * 5.0 == 55.0 - 5.0
    ANSWERS[:] = [503]  # nothing asked: the backoff
    waits.clear()
    sending.webhook(f"{receiver}/hook", "s", b"{}", attempts=2)
    assert waits == [0.5]


def test_every_attempt_carries_the_signature_and_the_same_delivery_id(receiver: str) -> None:
    ANSWERS.extend([503, 500])
    channels().webhook(f"{receiver}/hook", "secret", b'{"a":1}', attempts=3, delivery_id="ann|X-1|1|open|webhook")
    assert len(SEEN) == 3
    assert {h[notify.DELIVERY_HEADER] for h in SEEN} == {"ann|X-1|1|open|webhook"}
    assert all(notify.verify("secret", h[notify.SIGNATURE_HEADER], b'{"a":1}', now=time.time()) for h in SEEN)


def test_a_refusal_or_a_redirect_is_not_retried_and_a_dead_receiver_fails(receiver: str) -> None:
    for status in (404, 302):
        ANSWERS[:] = [status]
        with pytest.raises(Refused) as refused:
            channels().webhook(f"{receiver}/hook", "s", b"{}", attempts=3)
        assert refused.value.status == status
    assert len(SEEN) == 2  # one attempt each
    ANSWERS[:] = [503, 503]
    with pytest.raises(DeliveryFailed) as failed:
        channels().webhook(f"{receiver}/hook/T0001/B0002/XXsecretXX", "s", b"{}", attempts=2)
    assert failed.value.status == 503 and isinstance(failed.value, ReceiverFailing)  # it answered: its trouble
    # what is logged and stored names the receiver, never the path that lets anyone post to it
    assert "127.0.0.1" in str(failed.value) and "secret" not in str(failed.value)
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(DeliveryFailed) as unreachable:
        channels().webhook(f"http://127.0.0.1:{port}/hook?token=XXsecretXX", "s", b"{}", attempts=1)
    assert unreachable.value.status is None and "secret" not in str(unreachable.value)
    assert isinstance(unreachable.value, ReceiverFailing)  # its host refused the connection: theirs


def test_a_name_the_dns_says_does_not_exist_is_given_up_only_while_others_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A mistyped domain, or a resolver answering so for every name (an outage of ours): a
    NoAnswer, which notify gives up only while other webhooks answer."""

    def nxdomain(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    with pytest.raises(NoAnswer):
        channels().webhook("http://receiver.example/hook", "s", b"{}", attempts=1)


def test_a_lookup_that_keeps_failing_is_given_up_only_while_others_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """EAI_AGAIN: the name's own servers failing, or our resolver (then every name fails, and
    no other webhook answers to prove our way out works)."""

    def failing(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", failing)
    with pytest.raises(NoAnswer):
        channels().webhook("http://receiver.example/hook", "s", b"{}", attempts=1)


@pytest.mark.parametrize("issued_by_a_root_we_lack", [False, True])
def test_a_certificate_the_receiver_got_wrong_is_given_up_only_while_others_answer(
    tmp_path: Path, issued_by_a_root_we_lack: bool
) -> None:
    """A self-signed (or expired, or another name's) certificate is the receiver's while
    others verify and answer; one issued by a root our trust store lacks may be our store's
    gap (or a machine in our way), and is never given up."""
    context = _issued_by_unknown_root(tmp_path) if issued_by_a_root_we_lack else _self_signed(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(DeliveryFailed, match="Certificate") as failed:
            channels().webhook(f"https://127.0.0.1:{server.server_address[1]}/hook", "s", b"{}", attempts=1)
        assert isinstance(failed.value, NoAnswer) is not issued_by_a_root_we_lack
    finally:
        server.shutdown()


class Relay:
    """An SMTP relay answering each recipient with the code its local part names: "550" or,
    with an enhanced status code, "554.5.7.1"."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        del server, session, options
        code, _, enhanced = address.split("@", 1)[0].partition(".")
        if code.isdigit():
            said = (
                "try again later" if code.startswith("4")
                else "relay access denied" if enhanced.startswith("5.7")
                else "mailbox full" if enhanced == "5.2.2"
                else "transaction failed" if code == "554"
                else "no such user here"
            )  # fmt: skip
            return f"{code} {enhanced} {said}" if enhanced else f"{code} {said}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        del server, session, options
        if address.startswith("unverified"):
            return "554 sender address not verified"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        del server, session, envelope
        return "250 Message accepted"


@contextlib.contextmanager
def serving(handler: Relay) -> Iterator[int]:
    """An SMTP relay with ``handler``'s answers on a free local port, for the block's time."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def relay() -> Iterator[int]:
    with serving(Relay()) as port:
        yield port


def _mail(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "alerts@example.com", to, "x"
    message.set_content("x")
    return message


def test_an_address_the_relay_refuses_for_good_is_settled_and_a_busy_one_may_pass_later(relay: int) -> None:
    email = Channels(Settings(SMTP_HOST="127.0.0.1", SMTP_PORT=relay)).email
    email(_mail("ann@example.com"))
    with pytest.raises(Refused) as refused:  # "550 no such user": retrying cannot help
        email(_mail("550@example.com"))
    assert refused.value.status == 550
    assert "550@" not in str(refused.value)  # what is logged and kept names no address
    with pytest.raises(DeliveryFailed) as busy:  # "451 try again later": it may
        email(_mail("451@example.com"))
    assert "451@" not in str(busy.value)
    unverified = _mail("ann@example.com")
    unverified.replace_header("From", "unverified@example.com")
    with pytest.raises(RelayDown):  # the relay refusing our sender refuses every email: not settled
        email(unverified)


@pytest.mark.parametrize(
    ("answer", "theirs"),
    [
        ("552 5.2.2 mailbox full", True),
        ("554 5.2.2 STOREDRV.Submission.Exception:SubmissionQuotaExceededException", False),  # our sending quota
    ],
)
def test_a_full_mailbox_told_at_data_is_the_receivers_own_trouble_too(answer: str, theirs: bool) -> None:
    class FullAtData(Relay):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            del server, session, envelope
            return answer

    with serving(FullAtData()) as port, pytest.raises(DeliveryFailed) as failed:
        Channels(Settings(SMTP_HOST="127.0.0.1", SMTP_PORT=port)).email(_mail("ann@example.com"))
    assert isinstance(failed.value, ReceiverFailing) is theirs


@pytest.mark.parametrize(("local", "receivers"), [("552.5.2.2", True), ("452.4.2.2", True), ("451", False),
                                                  ("554.5.7.1", False), ("452", False)])  # fmt: skip
def test_only_a_full_mailbox_is_the_receivers_own_trouble(relay: int, local: str, receivers: bool) -> None:
    """What notify may give up in time: the recipient said "not now". A relay's own refusal,
    or an answer that names no mailbox, may be ours and every recipient's."""
    email = Channels(Settings(SMTP_HOST="127.0.0.1", SMTP_PORT=relay)).email
    with pytest.raises(DeliveryFailed) as failed:
        email(_mail(f"{local}@example.com"))
    assert isinstance(failed.value, ReceiverFailing) is receivers


class OddGoodbye(Relay):
    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        del server, session, envelope
        return "554 odd goodbye"


def test_an_accepted_email_stands_however_the_relay_answers_quit() -> None:
    with serving(OddGoodbye()) as port:
        email = Channels(Settings(SMTP_HOST="127.0.0.1", SMTP_PORT=port)).email
        email(_mail("ann@example.com"))  # sent: a redelivery must not send it again
        with pytest.raises(Refused):  # and a refusal stays the refusal, not the goodbye
            email(_mail("550@example.com"))


@pytest.mark.parametrize(
    ("local", "final"),
    [
        ("550.5.1.1", True),  # no such user
        ("550.5.2.1", True),  # mailbox disabled
        ("553", True),  # mailbox name not allowed
        ("554.5.7.1", False),  # relay access denied: this service may not send through it (yet)
        ("550.5.7.1", False),  # a policy refusal: every address would get it
        ("552.5.2.2", False),  # mailbox full: it may empty
        ("554", False),  # transaction failed, no reason given
    ],
)
def test_only_a_refusal_of_the_mailbox_itself_settles_an_email(relay: int, local: str, final: bool) -> None:
    email = Channels(Settings(SMTP_HOST="127.0.0.1", SMTP_PORT=relay)).email
    with pytest.raises((Refused, DeliveryFailed)) as refused:
        email(_mail(f"{local}@example.com"))
    assert isinstance(refused.value, Refused) is final
    assert not isinstance(refused.value, RelayDown)  # the relay answered: only this address was refused


@pytest.mark.parametrize(
    ("code", "text", "final"),
    [
        (550, b"5.1.1 <ann@example.com>: Recipient address rejected: User unknown", True),
        (550, b"5.1.0 <alerts@example.com>: Sender address rejected: not owned by user", False),  # every rcpt gets it
        (550, b"5.1.8 <alerts@example.com>: Sender address rejected: Domain not found", False),
        (553, b"sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", False),  # qmail: the relay
        (550, b"Relaying denied", False),
        (550, b"5.4.1 Recipient address rejected: Access denied", True),  # Microsoft: no such recipient
        (554, b"delivery error: dd This user doesn't have a example.com account", True),
        (554, b"Transaction failed", False),
        (550, b"Requested action not taken: mailbox unavailable", False),  # RFC 5321's text for policy refusals too
        (451, b"4.1.1 try again later", False),
        (550, b"Daily sending quota exceeded", False),  # every recipient gets these
        (550, b"Service unavailable; Client host blocked using zen.spamhaus.org", False),
        (550, b"Too many invalid recipients", False),
        (550, b"5.1.1 <ann@example.com>: Recipient address rejected: User unknown in relay recipient table", True),
        (550, b"refused", False),  # a bare 550 says nothing of the recipient: not final
        # the relay echoes the address, whose letters are the user's: never read as the relay's words
        (550, b"5.1.1 <nospam@corp.example>: Recipient address rejected: User unknown", True),
        (550, b"5.1.1 <sender.bob@example.com>: Recipient address rejected: User unknown", True),
        (550, b"No such user here: unblocked@example.com", True),
        (550, b"5.1.0 <nospam@example.com>: Sender address rejected: not owned by user", False),
    ],
)
def test_a_refusal_is_final_only_when_its_words_or_code_are_about_this_recipient(
    code: int, text: bytes, final: bool
) -> None:
    assert mailbox_refused(code, text) is final


def test_an_address_the_relay_cannot_carry_is_settled_and_a_busy_relay_is_not_down() -> None:
    class Strict(Relay):
        async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
            del server, session, options
            if address.startswith("busy"):
                return "421 4.7.0 too many connections, try later"
            envelope.mail_from = address
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(Strict(), hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    try:
        email = Channels(Settings(SMTP_HOST="127.0.0.1", SMTP_PORT=port)).email
        with pytest.raises(Refused, match="cannot carry"):
            email(_mail("josé@example.com"))
        busy = _mail("ann@example.com")
        busy.replace_header("From", "busy@example.com")
        with pytest.raises(DeliveryFailed) as failed:
            email(busy)
        assert not isinstance(failed.value, RelayDown)  # throttled for now: no reason to stop the others
    finally:
        controller.stop()


def test_a_relay_nobody_answers_for_is_down_not_this_address_s_fault() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])  # closed once the probe is: nothing listens there
    with pytest.raises(RelayDown, match="ConnectionRefusedError"):
        Channels(Settings(SMTP_HOST="127.0.0.1", SMTP_PORT=port)).email(_mail("ann@example.com"))


def _self_signed(directory: Path) -> ssl.SSLContext:
    """A server context whose certificate no trust store vouches for: what a machine in the
    way presents when it answers for the relay."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context


def _issued_by_unknown_root(directory: Path) -> ssl.SSLContext:
    """A server context whose certificate a root no trust store holds signed."""
    now = datetime.now(UTC)
    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a root nobody trusts")])
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])

    def issued(subject: x509.Name, public: Any, ca: bool) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(root_name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )

    root = issued(root_name, root_key.public_key(), True).sign(root_key, hashes.SHA256())
    leaf = (
        issued(leaf_name, key.public_key(), False)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(root_key, hashes.SHA256())
    )
    chain = leaf.public_bytes(serialization.Encoding.PEM) + root.public_bytes(serialization.Encoding.PEM)
    (directory / "chain.pem").write_bytes(chain)
    (directory / "leaf.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(directory / "chain.pem", directory / "leaf.key")
    return context


def test_the_password_never_goes_to_a_relay_whose_certificate_is_not_trusted(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    logins: list[str] = []

    class Recording(Relay):
        async def auth_LOGIN(self, server: Any, args: list[str]) -> Any:
            logins.append("LOGIN")
            return AuthResult(success=True)

        async def auth_PLAIN(self, server: Any, args: list[str]) -> Any:
            logins.append("PLAIN")
            return AuthResult(success=True)

    controller = Controller(
        Recording(), hostname="127.0.0.1", port=port, tls_context=_self_signed(tmp_path), require_starttls=True
    )
    controller.start()
    try:
        settings = Settings(
            SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=True, SMTP_USERNAME="alerts", SMTP_PASSWORD="s3cret"
        )
        with pytest.raises(DeliveryFailed, match="CERTIFICATE_VERIFY_FAILED"):
            Channels(settings).email(_mail("ann@example.com"))
    finally:
        controller.stop()
    assert logins == []


def test_a_relay_login_without_starttls_is_refused_when_the_settings_are_read() -> None:
    """smtplib would send the password to whoever answers, in the clear."""
    with pytest.raises(ValueError, match="SMTP_USERNAME needs SMTP_STARTTLS"):
        Settings(SMTP_HOST="relay.example.com", SMTP_USERNAME="alerts", SMTP_PASSWORD="s3cret")
    assert Settings(SMTP_HOST="relay.example.com", SMTP_USERNAME="alerts", SMTP_STARTTLS=True).smtp_starttls


def test_webhook_settings_whose_slowest_delivery_outlasts_notify_are_refused_when_read() -> None:
    """notify starts no delivery after half its timeout; one begun then must still end, or
    it is cut mid-send and sent again once its lease is over."""
    with pytest.raises(ValueError, match="WEBHOOK_ATTEMPTS x WEBHOOK_TIMEOUT_S"):
        Settings(WEBHOOK_TIMEOUT_S=20)
    assert Settings(WEBHOOK_TIMEOUT_S=15, WEBHOOK_ATTEMPTS=3).webhook_timeout_s == 15


def test_a_failure_message_holds_no_webhook_path_however_the_library_spelled_the_url() -> None:
    url = "https://prod-00.example.com:443/workflows/abc/invoke?sp=%2Ftriggers%2Frun&sig=XXsecretXX"
    said = f"Connection timeout to host {yarl.URL(url)}"  # aiohttp's words: yarl drops :443, decodes %2F
    assert "secret" not in channels_hidden(said, url) and "prod-00.example.com" in channels_hidden(said, url)


def test_a_relay_that_stops_offering_starttls_is_down_not_every_address_refused(relay: int) -> None:
    """The relay misconfigured (or STARTTLS stripped on the way): every email would fail
    alike, so none is settled refused; they wait for the relay."""
    with pytest.raises(RelayDown, match="STARTTLS"):
        Channels(Settings(SMTP_HOST="127.0.0.1", SMTP_PORT=relay, SMTP_STARTTLS=True)).email(_mail("ann@example.com"))
