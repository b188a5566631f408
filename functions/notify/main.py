"""notify: an alert event in, one message per matching user and channel out (webhook, email).

Each delivery is claimed in ``deliveries/`` before it is sent and marked after, so the
event's redeliveries, retries and concurrent copies send it once (store.py). A webhook is
retried in place with backoff on 5xx and timeouts; a 4xx is the receiver's refusal, not
retried; a webhook failing ``WEBHOOK_DISABLE_AFTER`` deliveries in a row is disabled, with
the reason kept for the user. A delivery still failing after its attempts raises, so
Pub/Sub redelivers the event (what was sent stays sent) and, past its retry policy,
dead-letters it. A user over their hourly cap gets that delivery recorded as suppressed.
"""

import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from google.cloud import firestore

from common import log
from common import notify as rules
from common.adapters import firestore as fs
from common.entrypoint import Delivery, pubsub_function
from common.messages import AlertEvent
from common.settings import Settings
from common.timekeys import hour_key
from functions.notify import store

logger = log.get_logger(__name__)


class DeliveryFailed(RuntimeError):
    """A channel did not take the message in its attempts: Pub/Sub retries the event."""


@dataclass
class Result:
    sent: list[str] = field(default_factory=list)  # delivery ids
    skipped: int = 0  # sent (or suppressed) before: a redelivery
    suppressed: int = 0  # over the user's hourly cap
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Channels:
    """How messages leave: replaced in tests only by the same classes pointed elsewhere."""

    settings: Settings
    sleep: Callable[[float], None] = time.sleep

    def webhook(self, url: str, secret: str, body: bytes, now: float) -> None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "akleao-notify/1",
            rules.SIGNATURE_HEADER: rules.sign(secret, int(now), body),
        }
        last = ""
        for attempt in range(self.settings.webhook_attempts):
            if attempt:
                self.sleep(self.settings.webhook_backoff_s * 2 ** (attempt - 1))
            try:
                response = requests.post(url, data=body, headers=headers, timeout=self.settings.webhook_timeout_s)
            except requests.RequestException as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code < 300:
                return
            last = f"HTTP {response.status_code}"
            if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                raise Refused(last)
        raise DeliveryFailed(f"webhook {url}: {last}")

    def email(self, message: Any) -> None:
        s = self.settings
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=10) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_username and s.smtp_password is not None:
                    smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"email: {exc}") from exc


class Refused(RuntimeError):
    """The receiver answered 4xx: retrying the same body cannot help."""


def notify_event(
    event: AlertEvent,
    *,
    settings: Settings,
    db: firestore.Client,
    channels: Channels,
    now: Callable[[], float] = time.time,
) -> Result:
    result = Result()
    alert_snap = db.collection(fs.ALERTS).document(event.alert_id).get()
    alert = (alert_snap.to_dict() or {}) if alert_snap.exists else {}
    moment = now()
    hour = datetime.fromtimestamp(moment, UTC).hour
    failures: list[str] = []
    for user_id, user in sorted(store.candidates(db, event.ticker).items()):
        if not rules.matches(user, event, alert, hour):
            continue
        for channel in rules.channels(user):
            try:
                _deliver(event, alert, user_id, user, channel, settings, db, channels, moment, result)
            except DeliveryFailed as exc:
                failures.append(f"{user_id}/{channel}: {exc}")
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
                "suppressed": result.suppressed,
                "failed": failures,
            }
        },
    )
    if failures:
        raise DeliveryFailed("; ".join(failures))
    return result


def _deliver(  # noqa: PLR0917 - one delivery's whole context, called from one place
    event: AlertEvent,
    alert: dict[str, Any],
    user_id: str,
    user: dict[str, Any],
    channel: rules.Channel,
    settings: Settings,
    db: firestore.Client,
    channels: Channels,
    moment: float,
    result: Result,
) -> None:
    delivery_id = rules.delivery_id(user_id, event, channel)
    claim = store.claim(db, delivery_id, moment)
    if claim is None:
        result.skipped += 1
        return
    hour = hour_key(moment)
    if store.sent_this_hour(db, user_id, channel, hour) >= rules.settings_of(user).max_per_hour:
        store.finish(claim, "suppressed", reason="hourly cap")
        result.suppressed += 1
        return
    if channel == "webhook":
        body = rules.body_bytes(rules.payload(event, alert, settings.app_url))
        try:
            channels.webhook(str(rules.settings_of(user).webhook_url), str(user["webhook_secret"]), body, moment)
        except (Refused, DeliveryFailed) as exc:
            disabled = store.webhook_failed(db, user_id, str(exc), settings.webhook_disable_after)
            store.finish(claim, "failed", reason=str(exc)[:300], webhook_disabled=disabled)
            if isinstance(exc, Refused):
                logger.warning("webhook of %s refused %s: %s", user_id, delivery_id, exc)
                return
            raise
        store.webhook_succeeded(db, user_id)
    else:
        token = rules.unsubscribe_token(settings.notify_signing_key.get_secret_value(), user_id)
        message = rules.email_message(
            event,
            alert,
            to=str(user["email"]),
            sender=settings.smtp_from,
            app_url=settings.app_url,
            unsubscribe_url=f"{settings.api_url.rstrip('/')}/v1/unsubscribe?token={token}",
        )
        try:
            channels.email(message)
        except DeliveryFailed as exc:
            store.finish(claim, "failed", reason=str(exc)[:300])
            raise
    store.finish(claim, "sent", attempt=claim.attempt)
    store.count_sent(db, user_id, channel, hour, moment)
    result.sent.append(delivery_id)


def _process(event: AlertEvent, delivery: Delivery, settings: Settings) -> None:
    del delivery
    with log.context(ticker=event.ticker, alert_id=event.alert_id):
        notify_event(event, settings=settings, db=fs.get_client(settings.project_id), channels=Channels(settings))


notify = pubsub_function("notify", AlertEvent, _process)
