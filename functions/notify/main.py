"""notify: an alert event in, one message per matching user and channel out (webhook, email).

Each delivery is claimed in ``deliveries/`` before it is sent and marked after, so the
event's redeliveries, retries and concurrent copies send it once (store.py). A webhook is
retried in place with backoff on 5xx and timeouts; a 4xx is the receiver's refusal, not
retried; a webhook failing ``WEBHOOK_DISABLE_AFTER`` deliveries in a row over at least
``WEBHOOK_DISABLE_AFTER_S`` (``WEBHOOK_DISABLE_UNANSWERED_AFTER_S`` when no failure was the
receiver's own answer) is disabled, with the reason kept for the user. A delivery
still failing after its attempts raises, so Pub/Sub redelivers the event (what was sent
stays sent) and, past its retry policy, dead-letters it; so does a delivery not started in
the invocation's time, or an email not tried once the relay failed in it (invocation.py).
Only a receiver's own failure (channels.ReceiverFailing, or a webhook giving no answer
while others answer: invocation.Egress) is given up instead, settled ``abandoned``, once
``store.GIVE_UP_S`` has passed since the event was published.
A user in digest mode, in their quiet hours or over their hourly cap gets the event
recorded in their digest of the hour instead (store.add_to_digest), which notify_digest
sends once the hour (and the quiet hours) are over (digest.py).
"""

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore
from pydantic import ValidationError

from common import log
from common import notify as rules
from common.adapters import firestore as fs
from common.adapters.channels import Channels, DeliveryFailed, ReceiverFailing, Refused, RelayDown
from common.entrypoint import Delivery, pubsub_function
from common.fields import problems
from common.messages import AlertEvent
from common.settings import Settings
from common.timekeys import hour_key, published_at
from functions.notify import store
from functions.notify.invocation import Invocation, order, receivers_trouble, webhook_answered

logger = log.get_logger(__name__)

TIMEOUT_S = 120  # the function's timeout in terraform (functions.tf; an agreement test checks)


@dataclass
class Result:
    sent: list[str] = field(default_factory=list)  # delivery ids
    skipped: int = 0  # settled before: a redelivery
    digested: int = 0  # recorded for the hour's digest (digest mode, or over the hourly cap)
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Message:
    """One event for one user on one channel: what a delivery claims, sends and settles."""

    event: AlertEvent
    alert: dict[str, Any]  # the stored alert the event is about ({} when it is gone)
    user_id: str
    user: dict[str, Any]
    channel: rules.Channel
    held: bool = False  # the user's quiet hours: into the digest, sent when they are over


def notify_event(
    event: AlertEvent,
    *,
    settings: Settings,
    db: firestore.Client,
    channels: Channels,
    published: float | None = None,
) -> Result:
    """Every matching user's deliveries. One user's trouble never stops the others: a
    delivery that may pass later (failed, busy) is retried with the whole event once the
    rest are done; a user whose stored settings do not validate, or have the wrong shape,
    is logged and skipped. ``published``: the event's Pub/Sub publish time, from which a
    receiver's failure is given up (``store.GIVE_UP_S``)."""
    result = Result()
    run = Invocation.of(channels.clock(), TIMEOUT_S, published)
    alert_snap = db.collection(fs.ALERTS).document(event.alert_id).get()
    alert = (alert_snap.to_dict() or {}) if alert_snap.exists else {}
    rules.alert_facts(event, alert)  # a malformed alert fails the event here, not every user below
    hour = datetime.fromtimestamp(run.now, UTC).hour
    messages: list[Message] = []
    for user_id, user in sorted(store.candidates(db, event.ticker).items()):
        if rules.suspended(user, run.now):
            continue
        try:
            wanted = rules.channels(user) if rules.matches(user, event, alert) else []
            held = rules.quiet(user, hour)
        except ValidationError as exc:
            logger.error("notification settings of %s do not validate; user skipped: %s", user_id, problems(exc))
            continue
        except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a stored field of the wrong shape
            logger.error("notification settings of %s cannot be read; user skipped: %r", user_id, exc)
            continue
        messages.extend(Message(event, alert, user_id, user, channel, held) for channel in wanted)
    messages = order(
        messages,
        ident=lambda m: f"{m.user_id}|{m.channel}",
        failing=lambda m: m.channel == "webhook" and fs.WEBHOOK_FAILING_SINCE in m.user,
        seed=f"{event.alert_id}|{event.level}|{run.now}",
    )
    # Side by side, so a slow or dead receiver holds its own delivery, not everyone's after it.
    with ThreadPoolExecutor(max_workers=max(1, min(settings.notify_concurrency, len(messages)))) as pool:
        outcomes = list(pool.map(log.carried(lambda m: _outcome(m, settings, db, channels, run)), messages))
    for outcome in outcomes:
        result.sent += outcome.sent
        result.skipped += outcome.skipped
        result.digested += outcome.digested
        result.failed += outcome.failed
    logger.info(
        "notified %d deliveries of %s level %d",
        len(result.sent),
        event.alert_id,
        event.level,
        extra={
            "json_fields": {
                "alert_id": event.alert_id,
                "ticker": event.ticker,
                "sent": result.sent,
                "skipped": result.skipped,
                "digested": result.digested,
                "failed": result.failed,
            }
        },
    )
    if result.failed:
        raise DeliveryFailed("; ".join(result.failed))
    return result


def _outcome(message: Message, settings: Settings, db: firestore.Client, channels: Channels, run: Invocation) -> Result:
    """One delivery's own result: what it sent, skipped, digested or failed."""
    result = Result()
    try:
        _deliver(message, settings, db, channels, run, result)
    except (DeliveryFailed, store.Busy) as exc:
        result.failed.append(f"{message.user_id}/{message.channel}: {exc}")
    except Exception as exc:  # a Firestore error, a bad document: this delivery fails, the others go on
        logger.exception("delivery to %s by %s failed", message.user_id, message.channel)
        result.failed.append(f"{message.user_id}/{message.channel}: {type(exc).__name__}: {exc}")
    return result


def _deliver(  # noqa: PLR0917 - one delivery and the invocation it is part of
    message: Message, settings: Settings, db: firestore.Client, channels: Channels, run: Invocation, result: Result
) -> None:
    run.check_time()
    delivery_id = rules.delivery_id(message.user_id, message.event, message.channel)
    claim = store.claim(db, delivery_id, channels.clock())
    if claim is None:  # settled before: sent, refused, or already in a digest
        result.skipped += 1
        return
    try:
        _settle(message, claim, delivery_id, settings, db, channels, run, result)
    except store.DigestContended as exc:  # the claim is still ours: not left leased
        with contextlib.suppress(Exception):
            store.fail(db, claim, str(exc)[:300])
        raise
    except (DeliveryFailed, store.Busy):
        raise
    except Exception as exc:
        # unsettled, the claim would hold the delivery "busy" for its whole lease: let the
        # redelivery try it at once (suppressed: the store may be what failed)
        with contextlib.suppress(Exception):
            store.fail(db, claim, f"{type(exc).__name__}: {exc}"[:300])
        raise


def _settle(  # noqa: PLR0917 - one claimed delivery's whole context
    message: Message,
    claim: store.Claim,
    delivery_id: str,
    settings: Settings,
    db: firestore.Client,
    channels: Channels,
    run: Invocation,
    result: Result,
) -> None:
    user_id, user, channel = message.user_id, message.user, message.channel
    hour = hour_key(run.now)
    entry = rules.payload(message.event, message.alert, settings.app_url)
    facts = rules.match_facts(message.event, message.alert)
    if claim.digest_hour or rules.settings_of(user).digest or message.held:
        # claimed like any delivery, so a redelivery in a later hour is not digested twice;
        # held by quiet hours: in the digest of their last hour, sent once they are over. An
        # earlier attempt that chose a digest (and died before settling) decided for good: its
        # entry may be in a digest already, and sending it now as well would deliver it twice.
        target = rules.last_quiet_hour(user, run.now) if message.held else hour
        claim, target = store.remember_digest(db, claim, target)
        store.add_to_digest(db, user_id, target, delivery_id, channel, entry, channels.clock(), hour, match=facts)
        store.finish(db, claim, "digested", reason="quiet hours" if message.held else "digest")
        result.digested += 1
        return
    if store.sent_this_hour(db, user_id, channel, hour) >= rules.settings_of(user).max_per_hour:
        # a flood becomes a digest: recorded first, so a crash before settling re-records (once)
        claim, target = store.remember_digest(db, claim, hour)
        store.add_to_digest(db, user_id, target, delivery_id, channel, entry, channels.clock(), match=facts)
        store.finish(db, claim, "digested", reason="hourly cap")
        result.digested += 1
        return
    began = channels.clock()
    try:
        if channel == "email":
            run.check_relay()
        _send(message, delivery_id, settings, channels)
    except Refused as exc:  # settled: the receiver said no, retrying cannot help
        store.finish(db, claim, "refused", reason=str(exc)[:300])
        if channel == "webhook":
            _webhook_failed(db, user_id, delivery_id, exc, settings, channels.clock())
        logger.warning("%s of %s refused %s: %s", channel, user_id, delivery_id, exc)
        return
    except DeliveryFailed as exc:
        if isinstance(exc, RelayDown):
            run.relay_failed()
        # only the receiver's own trouble is given up: a failure that may be ours never is
        trouble = receivers_trouble(exc, channel, began, proven_before=claim.silent_among_answers)
        abandon = trouble and claim.given_up(channels.clock(), run.published)
        marks = store.failure_marks(trouble, said_so=isinstance(exc, ReceiverFailing))
        store.finish(db, claim, "abandoned" if abandon else "failed", reason=str(exc)[:300], **marks)
        if channel == "webhook":
            _webhook_failed(db, user_id, delivery_id, exc, settings, channels.clock())
        if abandon:
            logger.error("gave up %s to %s after %d attempts: %s", channel, user_id, claim.attempt, exc)
            return
        raise
    if channel == "email":
        run.relay_took()
    # Sent: nothing after this may raise, or the delivery would be settled failed and sent again.
    store.settle_sent(db, claim, attempt=claim.attempt)
    result.sent.append(delivery_id)
    try:
        if channel == "webhook":
            webhook_answered(200, channels.clock())
            store.webhook_succeeded(db, user_id, message.user)
        store.count_sent(db, user_id, channel, hour, channels.clock())
    except Exception as exc:  # bookkeeping only: the message is out
        logger.warning("after sending %s, bookkeeping failed: %r", delivery_id, exc)


def _send(message: Message, delivery_id: str, settings: Settings, channels: Channels) -> None:
    user = message.user
    if message.channel == "webhook":
        body = rules.body_bytes(rules.payload(message.event, message.alert, settings.app_url))
        url, secret = str(rules.settings_of(user).webhook_url), str(user["webhook_secret"])
        previous = rules.previous_secrets(user, channels.clock())
        channels.webhook(url, secret, body, delivery_id=delivery_id, previous_secrets=previous)
        return
    unsubscribe = rules.unsubscribe_links(
        settings.notify_signing_key.get_secret_value(),
        message.user_id,
        api_url=settings.api_url,
        app_url=settings.app_url,
    )
    try:
        envelope = rules.Envelope(str(user["email"]), settings.smtp_from, unsubscribe, delivery_id, channels.clock())
        email = rules.email_message(
            message.event, message.alert, envelope, app_url=settings.app_url, reddit_web=settings.reddit_web_url
        )
    except ValueError as exc:  # an address no message can carry (a line break): no retry helps
        raise Refused(f"email: the stored address cannot be written into a message: {exc}", None) from exc
    channels.email(email)


def _webhook_failed(  # noqa: PLR0917 - one failed delivery's whole identity
    db: firestore.Client, user_id: str, delivery_id: str, exc: Exception, settings: Settings, now: float
) -> None:
    webhook_answered(exc.status if isinstance(exc, Refused | DeliveryFailed) else None, now)
    theirs = isinstance(exc, Refused | ReceiverFailing)
    if store.webhook_failed(db, user_id, delivery_id, str(exc), store.disable_policy(settings), now, theirs):
        logger.warning("webhook of %s disabled after repeated failures: %s", user_id, exc)


def _process(event: AlertEvent, delivery: Delivery, settings: Settings) -> None:
    db, published = fs.get_client(settings.project_id), published_at(delivery.publish_time)
    with log.context(ticker=event.ticker, alert_id=event.alert_id):
        notify_event(event, settings=settings, db=db, channels=Channels(settings), published=published)


notify = pubsub_function("notify", AlertEvent, _process)
