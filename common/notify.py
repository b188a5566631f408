"""Who hears of an alert, and what they receive: pure decisions for the notify function.

A user is told of an alert event when it matches their alert preferences (the same ones
that filter their dashboard: watchlist only, minimum score, maximum pump risk, subreddits)
and their notification settings (which kinds, quiet hours, an hourly cap). What they get is
one delivery per channel, user, alert and level, so a redelivered event never sends twice.

Webhook bodies are signed the way payment providers sign theirs, so receivers can reuse
what they know: header ``Akleao-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` over
``"<t>.<raw body>"`` with the user's webhook secret (and, for a day after a rotation,
``Akleao-Signature-Previous`` with a ``v1`` under each secret it replaced); a receiver
recomputes it, compares in constant time and refuses a ``t`` older than a few minutes
(replay). :func:`verify` is that recipe.
"""

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from html import escape
from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StrictBool,
    StringConstraints,
    ValidationError,
    field_validator,
)

from common.fields import number, web_link
from common.messages import AlertEvent
from common.timekeys import hour_key, hour_start

SIGNATURE_HEADER = "Akleao-Signature"
PREVIOUS_SIGNATURE_HEADER = "Akleao-Signature-Previous"  # for a day after a rotation: see sign_previous
DELIVERY_HEADER = "Akleao-Delivery"  # the delivery id: the same on every retry of one message
SIGNATURE_TOLERANCE_S = 300  # a receiver refuses signatures older than this
MAX_PER_HOUR_LIMIT = 100
Channel = Literal["webhook", "email"]
Kind = Literal["organic", "pump"]
Moment = Literal["open", "escalated", "reclassified", "resolved"]
DIGEST_LOOKBACK_HOURS = 3  # an hourly tick sends the hours this far back that are still unsent


class QuietHours(BaseModel):
    """UTC hours [start, end) when nothing is sent (wrapping midnight when start > end)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: int = Field(ge=0, le=23)
    end: int = Field(ge=0, le=23)

    def covers(self, hour: int) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end


WEBHOOK_URL_MAX = 2083  # characters, percent-encoded: HttpUrl's own limit, which a stored URL must pass


class NotificationSettings(BaseModel):
    """What a user asked to be sent (``users/{id}.notifications``); the webhook secret is
    kept apart, never returned after it is made."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    webhook_url: HttpUrl | None = Field(default=None, description="HTTPS endpoint that receives signed JSON")
    email: bool = Field(default=False, description="send to the account's email address")
    kinds: tuple[Kind, ...] = Field(default=("organic",), description="organic breakouts, pump warnings")
    events: tuple[Moment, ...] = Field(default=("open", "escalated"), description="which moments of an alert")
    quiet_hours: QuietHours | None = Field(
        default=None, description="UTC hours when nothing is sent: their events come in one digest after"
    )
    max_per_hour: int = Field(
        default=10, ge=1, le=MAX_PER_HOUR_LIMIT, description="messages per hour per channel; the rest go in the digest"
    )
    digest: bool = Field(default=False, description="one message per hour listing the hour's events, not one each")

    @field_validator("webhook_url")
    @classmethod
    def _https(cls, value: HttpUrl | None) -> HttpUrl | None:
        if value is not None and value.scheme != "https" and value.host not in ("localhost", "127.0.0.1"):
            raise ValueError("a webhook must be https (http only for localhost)")
        if value is not None and len(str(value)) > WEBHOOK_URL_MAX:
            # checked as stored (percent-encoded, often longer than sent): a stored URL past
            # the URL type's own limit would fail every later read of the settings
            raise ValueError(f"a webhook URL must be at most {WEBHOOK_URL_MAX} characters once encoded")
        return value


# users/{id}.receives: whether the user asked for any message at all (email on, or a webhook),
# kept beside ``notifications`` by everyone who writes them, so notify reads, of a ticker's
# watchers and the users who take every alert, only those it may message, not every account.
RECEIVES = "receives"


def receives(notifications: object) -> bool:
    """What ``users/{id}.receives`` says for these stored notification settings (anything
    but a mapping asks for nothing, as :func:`settings_of` reads it)."""
    if not isinstance(notifications, Mapping):
        return False
    return bool(notifications.get("email") or notifications.get("webhook_url"))


# Reddit's names are case-insensitive: kept in lower case, each once
PreferredSubreddit = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{2,21}$", to_lower=True)]
PreferredSubreddits = Annotated[list[PreferredSubreddit], AfterValidator(lambda names: list(dict.fromkeys(names)))]


class AlertPreferences(BaseModel):
    """What a user's alerts are filtered by, in the api's list and in what notify sends: the
    one reading of a stored record (the api's answer extends it, :func:`preferences_of`
    reads a record field by field)."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    min_score: float = Field(default=0.0, ge=0.0, description="hide alerts scoring below this")
    max_pump_risk: float = Field(
        default=0.5, ge=0.0, le=1.0, description="hide organic alerts riskier than this (pump warnings always show)"
    )
    watchlist_only: StrictBool = Field(default=False, description="only alerts for watched symbols")
    subreddits: PreferredSubreddits = Field(default_factory=list, max_length=50, description="empty = every subreddit")


def default_preferences() -> dict[str, Any]:
    """An account's preferences until its owner changes one (a fresh copy): what the API makes
    every account with and shows, and what notify reads for one a stored account lacks."""
    return AlertPreferences().model_dump()


def read_preferences(stored: object) -> tuple[dict[str, Any], list[str]]:
    """Stored alert preferences, each field read on its own where the whole does not
    validate, and the fields refused: a value a release refuses now (a field dropped or
    tightened, a hand edit) is its default, never an error in every delivery and digest the
    user is in nor a 500 on every api request of the account (a PATCH writes only the fields
    sent). A key no field has is ignored."""
    if not isinstance(stored, Mapping):
        return default_preferences(), ["preferences"]
    try:
        return AlertPreferences.model_validate(stored).model_dump(), []
    except ValidationError:
        pass
    kept: dict[str, Any] = {}
    refused: list[str] = []
    for name in sorted(AlertPreferences.model_fields.keys() & stored.keys()):
        try:
            AlertPreferences.model_validate({name: stored[name]})
        except ValidationError:
            refused.append(name)
            continue
        kept[name] = stored[name]
    return AlertPreferences.model_validate(kept).model_dump(), refused


def preferences_of(user: Mapping[str, Any]) -> dict[str, Any]:
    """The user's alert preferences as :func:`read_preferences` reads them."""
    return read_preferences(user.get("preferences", {}))[0]


def settings_of(user: Mapping[str, Any]) -> NotificationSettings:
    raw = user.get("notifications")
    return NotificationSettings.model_validate(raw) if isinstance(raw, dict) else NotificationSettings()


def alert_facts(event: AlertEvent, alert: Mapping[str, Any]) -> tuple[float, set[str]]:
    """What matching reads of the alert document, the same for every user: the episode's peak
    score and its subreddits. Raises on a document of the wrong shape, which is the alert's
    fault, not a user's."""
    return float(alert.get("peak_score") or event.score), alert_subreddits(alert)


def matches(user: Mapping[str, Any], event: AlertEvent, alert: Mapping[str, Any]) -> bool:
    """Whether ``user`` should hear of ``event`` (its alert document ``alert``); when is
    :func:`quiet`'s to say."""
    settings = settings_of(user)
    preferences = preferences_of(user)
    listed = user.get("watchlist")
    watchlist = {s for s in listed if isinstance(s, str)} if isinstance(listed, list | tuple) else set()
    if preferences.get("watchlist_only") and event.ticker not in watchlist:
        return False
    moment = moment_of(event)
    # A reclassification is news to whoever heard of the organic alert, and to pump watchers.
    kinds = {"organic", "pump"} if moment == "reclassified" else {event.kind}
    if moment not in settings.events or not kinds & set(settings.kinds):
        return False
    # A resolution is measured by the alert it ends (its peak), not by the quiet that ended it.
    peak, subreddits = alert_facts(event, alert)
    score = peak if moment == "resolved" else event.score
    if score < preferences["min_score"]:
        return False
    if moment != "resolved" and event.kind == "organic" and event.pump_risk > preferences["max_pump_risk"]:
        return False
    wanted = {str(name).lower() for name in preferences.get("subreddits") or ()}
    return not wanted or bool(wanted & subreddits)


def match_facts(event: AlertEvent, alert: Mapping[str, Any]) -> dict[str, Any]:
    """What :func:`matches` reads, kept with a digest entry: a digest goes out hours after its
    events (quiet hours hold them up to a day), and it is matched again then, against the
    user's settings of that moment (:func:`still_wanted`)."""
    peak, subreddits = alert_facts(event, alert)
    return {
        "event": event.model_dump(mode="json"),
        "alert": {"peak_score": peak, "evidence": [{"subreddit": s} for s in sorted(subreddits)]},
    }


def still_wanted(user: Mapping[str, Any], entry: Mapping[str, Any]) -> bool:
    """Whether a digest entry still matches ``user`` when the digest is sent: a ticker taken
    off the watchlist, a kind or moment turned off or a score bar raised since it was recorded
    leaves it out. An entry without its facts (or with facts that no longer validate) was
    matched when recorded, and that stands."""
    facts = entry.get("match")
    if not isinstance(facts, Mapping) or not isinstance(facts.get("alert"), Mapping):
        return True
    try:
        event = AlertEvent.model_validate(facts.get("event"))
    except ValueError:
        return True
    return matches(user, event, facts["alert"])


def suspended(user: Mapping[str, Any], now: float) -> bool:
    """Whether an admin suspended the account (the web app's ban) at ``now``: until the time
    stored, or while not lifted. Nothing is sent to it meanwhile, by any channel."""
    suspension = user.get("suspended")
    if not isinstance(suspension, Mapping):
        return False
    until = suspension.get("until")
    return until is None or not isinstance(until, int | float) or until > now


def quiet(user: Mapping[str, Any], hour: int) -> bool:
    """Whether UTC ``hour`` is in the user's quiet hours: nothing is sent then; what they
    would have been sent waits in their digest, sent once the quiet hours are over."""
    settings = settings_of(user)
    return settings.quiet_hours is not None and settings.quiet_hours.covers(hour)


def last_quiet_hour(user: Mapping[str, Any], now: float) -> str:
    """The hour (``yyyymmddhh``) that ends the quiet hours ``now`` is in: where everything
    held in them is gathered, so the first tick after sends it in one digest."""
    start = now - now % 3600
    for ahead in range(1, 25):
        if not quiet(user, (int(start // 3600) + ahead) % 24):
            return hour_key(start + (ahead - 1) * 3600)
    return hour_key(start)


def alert_subreddits(alert: Mapping[str, Any]) -> set[str]:
    """Where an alert's discussion is: the subreddits of its evidence, in lower case (Reddit's
    names are case-insensitive). A user who follows some subreddits sees (and is sent) the
    alerts citing at least one of them."""
    return {str(e.get("subreddit")).lower() for e in evidence_of(alert)}


def evidence_of(alert: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The alert's evidence entries that read as entries: one of another shape (a document
    written by hand, or by an older detect) is left out, here as everywhere a user's
    delivery reads it, so it cannot fail every user's delivery of the alert alike."""
    listed = alert.get("evidence")
    return [e for e in listed if isinstance(e, Mapping)] if isinstance(listed, list | tuple) else []


def channels(user: Mapping[str, Any]) -> list[Channel]:
    settings = settings_of(user)
    out: list[Channel] = []
    if settings.webhook_url is not None and user.get("webhook_secret") and not user.get("webhook_disabled"):
        out.append("webhook")
    # a confirmed address only: one stored before confirmation was required waits for a
    # request of its account with a confirmed token (functions/api/store.py)
    if (
        settings.email
        and user.get("email")
        and user.get("email_verified") is True
        and not user.get("email_unsubscribed")
    ):
        out.append("email")
    return out


def moment_of(event: AlertEvent) -> Moment:
    """Which moment of its alert an event is; an event without ``event`` (published before
    it existed) is the moment its status names."""
    if event.event in ("reclassified", "resolved"):
        return event.event
    return "resolved" if event.status == "resolved" else "escalated" if event.status == "escalated" else "open"


def delivery_id(user_id: str, event: AlertEvent, channel: Channel) -> str:
    """One delivery per user, alert, level, moment and channel: the idempotency key. The
    moment is the status for opened and escalated alerts, so those keys are as they were."""
    return f"{user_id}|{event.alert_id}|{event.level}|{moment_of(event)}|{channel}".replace("/", "_")


def alert_page(app_url: str, alert_id: str) -> str:
    """The web app's page of one alert (``frontend/app/(app)/alerts/[id]``): what "Open" leads to."""
    return f"{app_url.rstrip('/')}/alerts/{quote(alert_id, safe='')}"


def payload(event: AlertEvent, alert: Mapping[str, Any], app_url: str) -> dict[str, Any]:
    """The documented webhook body (docs/notifications.md)."""
    evidence = [
        {k: e.get(k) for k in ("title", "permalink", "subreddit", "created_utc", "kind")}
        for e in evidence_of(alert)[:5]
    ]
    return {
        "type": f"alert.{moment_of(event)}",
        "alert_id": event.alert_id,
        "ticker": event.ticker,
        "kind": event.kind,
        "status": event.status,
        "level": event.level,
        "score": event.score,
        "pump_risk": event.pump_risk,
        "rule": event.rule,
        "as_of": event.as_of,
        "reasons": list(alert.get("reasons") or []),
        "evidence": evidence,
        "url": alert_page(app_url, event.alert_id),
    }


def body_bytes(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


# After a rotation the replaced secret signs beside the new one this long, so a receiver can
# switch to the new one without refusing (and counting towards disabling) what is sent meanwhile.
SECRET_OVERLAP_S = 24 * 3600
REPLACED = "webhook_secrets_replaced"  # users/{id}: [{secret, replaced_at}, ...], oldest first
REPLACED_KEPT = 3  # rotations within a day whose secrets still sign: enough for a few retries


def _still_signing(user: Mapping[str, Any], now: float) -> list[tuple[str, float]]:
    """The replaced secrets of the last day, oldest first, with when each was replaced."""
    kept = user.get(REPLACED)
    out: list[tuple[str, float]] = []
    for entry in kept if isinstance(kept, list) else []:
        secret, at = (
            (entry.get("secret"), number(entry.get("replaced_at"))) if isinstance(entry, Mapping) else ("", None)
        )
        if isinstance(secret, str) and secret and at is not None and 0 <= now - at < SECRET_OVERLAP_S:
            out.append((secret, at))
    return out


def previous_secrets(user: Mapping[str, Any], now: float) -> tuple[str, ...]:
    """The webhook secrets rotations replaced in the last day, oldest first: each still signs
    beside the current one (a user who rotated twice in a minute may hold either)."""
    return tuple(secret for secret, _ in _still_signing(user, now))


def replaced_secrets(user: Mapping[str, Any], now: float) -> list[dict[str, Any]]:
    """What a rotation at ``now`` stores as the replaced secrets: those still signing, and the
    current one, the newest ``REPLACED_KEPT``."""
    current = user.get("webhook_secret")
    kept = [{"secret": secret, "replaced_at": at} for secret, at in _still_signing(user, now)]
    new = [{"secret": current, "replaced_at": now}] if isinstance(current, str) and current else []
    return (kept + new)[-REPLACED_KEPT:]


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``Akleao-Signature``: ``t=...,v1=...`` under the current secret, one ``v1`` as always."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def sign_previous(previous: Sequence[str], timestamp: int, body: bytes) -> str | None:
    """``Akleao-Signature-Previous``: ``t=...,v1=...[,v1=...]`` under each replaced secret still
    signing (None: none is). A header of its own, so the signature header keeps the one
    ``v1`` every receiver written before rotations overlapped reads."""
    if not previous:
        return None
    return ",".join([f"t={timestamp}", *(f"v1={_mac(s, timestamp, body)}" for s in previous)])


def verify(
    secret: str,
    header: str,
    body: bytes,
    now: float,
    *,
    tolerance_s: int = SIGNATURE_TOLERANCE_S,
    previous_header: str | None = None,
) -> bool:
    """The receiver's check: the signature is its secret's and recent; while it switches to a
    rotated secret, ``previous_header`` (``Akleao-Signature-Previous``) may carry the match."""
    return _signed(secret, header, body, now, tolerance_s) or (
        previous_header is not None and _signed(secret, previous_header, body, now, tolerance_s)
    )


def _signed(secret: str, header: str, body: bytes, now: float, tolerance_s: int) -> bool:
    """Whether one of ``header``'s ``v1`` values is ``secret``'s, with a recent ``t``."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance_s:
        return False
    expected = _mac(secret, timestamp, body).encode()
    return any(hmac.compare_digest(expected, s.encode()) for s in signatures)


def unsubscribe_token(key: str, user_id: str) -> str:
    """What the unsubscribe link carries: the user id and its MAC under the service's key,
    so the link works without signing in and cannot be forged for another user."""
    mac = hmac.new(key.encode(), f"unsubscribe:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{user_id}.{mac}"


def unsubscribed_user(keys: tuple[str, ...], token: str) -> str | None:
    """The user ``token`` unsubscribes, if any of ``keys`` signed it: the current key and the
    one it replaced, so a rotation leaves the links already mailed working. An empty key
    signs nothing (its MAC is anyone's to make)."""
    if isinstance(keys, str):  # each of its characters would be a key, and one character is soon guessed
        raise TypeError("keys: a tuple of keys, not one key")
    user_id, _, _mac = token.rpartition(".")
    if not user_id:
        return None
    signed = [hmac.compare_digest(unsubscribe_token(k, user_id).encode(), token.encode()) for k in keys if k]
    return user_id if any(signed) else None


@dataclass(frozen=True)
class UnsubscribeLinks:
    """Where an email's reader stops alert emails. The body's link opens a page of the web
    app that asks first: mail scanners open every link in a body, and must not unsubscribe
    anyone. The ``List-Unsubscribe`` header's link is the API's one-click POST (RFC 8058),
    which mail clients send only when the reader asks."""

    page: str
    one_click: str


def unsubscribe_links(key: str, user_id: str, *, api_url: str, app_url: str) -> UnsubscribeLinks:
    token = unsubscribe_token(key, user_id)
    return UnsubscribeLinks(
        page=f"{app_url.rstrip('/')}/unsubscribe?token={token}",
        one_click=f"{api_url.rstrip('/')}/v1/unsubscribe?token={token}",
    )


@dataclass(frozen=True)
class Envelope:
    """One email's headers: to and from whom, its unsubscribe links, which delivery it is
    (its Message-ID) and when it leaves (its Date)."""

    to: str
    sender: str
    unsubscribe: UnsubscribeLinks
    delivery_id: str
    sent_at: float


def email_message(
    event: AlertEvent, alert: Mapping[str, Any], envelope: Envelope, *, app_url: str, reddit_web: str
) -> EmailMessage:
    """``reddit_web``: where cited items open (``Settings.reddit_web_url``: the local Reddit's
    pages in a replay), as the API links them."""
    body = payload(event, alert, app_url)
    moment = moment_of(event)
    subject = f"[Akleao] {event.ticker} {event.kind} alert {moment} (level {event.level})"
    lines = [
        f"{event.ticker}: {event.kind} alert, {moment}, level {event.level}",
        # a retried or replayed event may arrive hours late: say when it is from
        f"as of {datetime.fromtimestamp(event.as_of, UTC):%Y-%m-%d %H:%M} UTC",
        f"score {event.score:.2f}, pump risk {event.pump_risk:.2f} ({event.rule})",
        "",
        *[f"- {r}" for r in body["reasons"]],
        "",
        *[
            f"{e['title'] or e['permalink']}: {link}"
            for e in body["evidence"]
            if (link := web_link(str(e["permalink"]), reddit_web))
        ],
        "",
        f"Open: {body['url']}",
        f"Unsubscribe from these emails: {envelope.unsubscribe.page}",
    ]
    return _email(subject, lines, envelope)


def message_id(delivery_id: str, sender: str) -> str:
    """One ``Message-ID`` for every copy of a delivery: a send retried after the relay had
    taken it, or a lease taken over mid-send, reaches the mailbox as the same message, which
    services that deduplicate by Message-ID (Gmail does) fold into one (webhooks have
    ``Akleao-Delivery`` for the same)."""
    _, at, domain = parseaddr(sender)[1].rpartition("@")
    domain = domain if at and domain else "akleao.invalid"
    return f"<{hashlib.sha256(delivery_id.encode()).hexdigest()[:32]}@{domain}>"


def _email(subject: str, lines: Sequence[str], envelope: Envelope) -> EmailMessage:
    """Date and Message-ID are set here: RFC 5322 requires the first, mail services refuse or
    file as spam a message without the second, and not every relay adds them."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = envelope.sender
    message["To"] = envelope.to
    message["Date"] = format_datetime(datetime.fromtimestamp(envelope.sent_at, UTC), usegmt=True)
    message["Message-ID"] = message_id(envelope.delivery_id, envelope.sender)
    message["List-Unsubscribe"] = f"<{envelope.unsubscribe.one_click}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("\n".join(lines))
    message.add_alternative(_html(lines), subtype="html")
    return message


def _html(lines: Sequence[str]) -> str:
    return "<html><body>" + "".join(f"<p>{escape(line)}</p>" for line in lines if line) + "</body></html>"


# ---------------------------------------------------------------- digests


def digest_hours(now: float, lookback: int = DIGEST_LOOKBACK_HOURS) -> list[str]:
    """The hours (``yyyymmddhh``, oldest first) an hourly tick at ``now`` sends: the last
    ``lookback`` that are over, so a missed tick is made up by the next ones."""
    return [hour_key(now - 3600 * back) for back in range(lookback, 0, -1)]


def hours_due(tick_hour: str | None, published: float | None, now: float) -> list[str]:
    """The hours a digest tick sends: the one it names, else the last ones over when it was
    published. A tick Pub/Sub redelivers keeps its publish time, so a digest whose sending
    fails for hours is retried for its own hour, not dropped once the clock has moved on."""
    if tick_hour:
        return [tick_hour]
    return digest_hours(published if published is not None else now)


def next_hour(hour: str) -> str:
    """The hour after ``hour``: where an event goes once its own hour's digest was sent."""
    return hour_key(hour_start(hour) + 3600)


def digest_payload(
    hour: str, entries: Sequence[Mapping[str, Any]], app_url: str, since: str | None = None
) -> dict[str, Any]:
    """The documented digest body: the hour's event bodies (as :func:`payload` makes them),
    oldest first, one alert moment each. ``since``: the first hour they come from (earlier
    than ``hour`` when quiet hours held them)."""
    events = sorted((dict(e) for e in entries), key=lambda e: (float(e.get("as_of") or 0.0), str(e.get("alert_id"))))
    return {
        "type": "digest",
        "hour": hour,
        "since": min(since or hour, hour),
        "count": len(events),
        "events": events,
        "url": f"{app_url.rstrip('/')}/alerts",
    }


def digest_email(body: Mapping[str, Any], envelope: Envelope) -> EmailMessage:
    hour = datetime.fromtimestamp(hour_start(str(body["hour"])), UTC)
    since = datetime.fromtimestamp(hour_start(str(body.get("since") or body["hour"])), UTC)  # quiet hours held
    end = hour + timedelta(hours=1)
    events = f"{body['count']} alert event{'' if body['count'] == 1 else 's'}"
    lines = [
        f"{events} between {since:%Y-%m-%d %H:00} and {end:%H:00 on %Y-%m-%d} UTC"
        if since.date() != end.date()
        else f"{events} between {since:%Y-%m-%d %H:00} and {end:%H:00} UTC",
        "",
        *[
            f"- {e['ticker']}: {e['kind']} alert {str(e['type']).removeprefix('alert.')}, level {e['level']}, "
            f"score {float(e['score']):.2f}: {e['url']}"
            for e in body["events"]
        ],
        "",
        f"All alerts: {body['url']}",
        f"Unsubscribe from these emails: {envelope.unsubscribe.page}",
    ]
    return _email(f"[Akleao] digest: {events}", lines, envelope)


# ---------------------------------------------------------------- test sends


def ping_payload(now: float, app_url: str) -> dict[str, Any]:
    """What ``POST /v1/me/notifications/test`` sends a webhook: signed like every message."""
    return {"type": "test", "sent_at": now, "url": app_url.rstrip("/")}


def ping_email(envelope: Envelope, *, app_url: str) -> EmailMessage:
    lines = [
        "This is a test message: alerts will reach this address.",
        "",
        f"Open: {app_url.rstrip('/')}",
        f"Unsubscribe from these emails: {envelope.unsubscribe.page}",
    ]
    return _email("[Akleao] test message", lines, envelope)
