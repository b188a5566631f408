"""Notification settings (``/v1/me/notifications``), a test message to the configured
channels, and the unsubscribe link emails carry, which works without signing in: its token
is the user id MACed with the service's key."""

import secrets
import time
from typing import Any

from pydantic import ValidationError

from common import log, notify
from common.adapters.channels import Channels, DeliveryFailed, ReceiverFailing, Refused
from functions.api import models as m
from functions.api.auth import Principal
from functions.api.errors import ApiError
from functions.api.openapi import API
from functions.api.services import Services
from functions.api.store import settings_etag

logger = log.get_logger(__name__)

TESTS_PER_MINUTE = 3  # test sends one user may make a minute
# ... and everyone together: each may wait out a silent receiver (WEBHOOK_TIMEOUT_S) on an
# instance serving one request at a time, so many accounts must not take every instance
TESTS_PER_MINUTE_ALL = 30


def _readable(stored: dict[str, Any]) -> tuple[notify.NotificationSettings, bool]:
    """The stored settings, or the defaults (nothing sent) and True when they no longer
    validate (a release tightened a rule): the page must still open, so they can be saved
    again, as notify skips such a user rather than failing."""
    try:
        return notify.settings_of(stored), False
    except ValidationError:
        return notify.NotificationSettings(), True


def _state(svc: Services, user: Principal) -> m.NotificationState:
    stored = svc.store.user(user)
    settings, unreadable = _readable(stored)
    if settings.email and (stored.get("email_unsubscribed") or user.email is None):
        # unsubscribed before the link turned email off in the settings, or no confirmed
        # address to send to: shown (and saved) off, so saving anything else is no 422
        settings = settings.model_copy(update={"email": False})
    return m.NotificationState(
        settings=settings,
        etag=settings_etag(stored),
        webhook_secret_set=bool(stored.get("webhook_secret")),
        webhook_disabled=bool(stored.get("webhook_disabled")),
        webhook_disabled_reason=stored.get("webhook_disabled_reason"),
        email=user.email,
        email_unsubscribed=bool(stored.get("email_unsubscribed")),
        stored_settings_invalid=unreadable,
    )


@API.route(
    "GET",
    "/v1/me/notifications",
    summary="Where and when alerts are sent to the caller",
    tag="me",
    response=m.NotificationState,
)
def get_notifications(svc: Services, user: Principal) -> m.NotificationState:
    return _state(svc, user)


@API.route(
    "PUT",
    "/v1/me/notifications",
    summary="Replace the notification settings (re-enables a disabled webhook)",
    tag="me",
    body=m.NotificationUpdate,
    response=m.NotificationState,
    may_409=True,
)
def put_notifications(svc: Services, user: Principal, body: m.NotificationUpdate) -> m.NotificationState:
    if body.email and not user.email:
        raise ApiError(422, "no_email", "the account has no confirmed email address to send to")
    if body.quiet_hours is not None and body.quiet_hours.start == body.quiet_hours.end:
        # stored, it would mean none (settings read before this check stay readable): a user
        # who typed the same hour twice most likely meant a whole day, so ask
        raise ApiError(
            422, "empty_quiet_hours", "quiet hours that start and end at the same hour cover nothing; omit them"
        )
    svc.store.set_notifications(user, body.model_dump(mode="json", exclude={"etag"}), seen=body.etag)
    return _state(svc, user)


@API.route(
    "POST",
    "/v1/me/notifications/webhook-secret",
    summary="Make a new webhook signing secret, shown only here; the old one signs beside it for 24 hours",
    tag="me",
    may_409=True,
    response=m.WebhookSecret,
    status=201,
)
def rotate_webhook_secret(svc: Services, user: Principal) -> m.WebhookSecret:
    secret = secrets.token_urlsafe(32)
    svc.store.set_webhook_secret(user, secret, time.time())
    return m.WebhookSecret(secret=secret)


@API.route(
    "POST",
    "/v1/me/notifications/test",
    summary="Send a test message to the caller's channels now; what each receiver answered",
    tag="me",
    response=m.NotificationTest,
    may_403=True,
)
def test_notifications(svc: Services, user: Principal) -> m.NotificationTest:
    # Each test waits on the user's own receivers: a few a minute per user and a bound for
    # all, so nobody, alone or with many accounts, can hold the api's instances with them.
    svc.limiter.check(f"notify-test:{user.sub}", TESTS_PER_MINUTE)
    stored = svc.store.user(user)
    if notify.suspended(stored, time.time()):  # a token from before the ban still lasts its minutes
        raise ApiError(403, "account_suspended", "an admin suspended this account: nothing is sent to it")
    settings, _ = _readable(stored)
    if settings.webhook_url is not None and stored.get("webhook_secret"):  # only a webhook can wait that long
        svc.limiter.check("notify-test", TESTS_PER_MINUTE_ALL, "webhook tests by everyone")
    channels = Channels(svc.settings)
    return m.NotificationTest(
        webhook=_test_webhook(channels, settings, stored, svc), email=_test_email(channels, settings, stored, user, svc)
    )


def _test_webhook(
    channels: Channels, settings: notify.NotificationSettings, stored: dict[str, Any], svc: Services
) -> m.ChannelTest:
    if settings.webhook_url is None or not stored.get("webhook_secret"):
        return m.ChannelTest(outcome="not_configured", detail="set a webhook URL and make a secret first")
    body = notify.body_bytes(notify.ping_payload(time.time(), svc.settings.app_url))
    try:  # one attempt: the caller is waiting, and can simply try again
        previous = notify.previous_secrets(stored, time.time())
        channels.webhook(
            str(settings.webhook_url), str(stored["webhook_secret"]), body, attempts=1, previous_secrets=previous
        )
    except Refused as exc:
        return m.ChannelTest(outcome="refused", status=exc.status, detail=str(exc)[:300])
    except DeliveryFailed as exc:
        return m.ChannelTest(outcome="failed", status=exc.status, detail=str(exc)[:300])
    return m.ChannelTest(outcome="sent")


def _test_email(
    channels: Channels, settings: notify.NotificationSettings, stored: dict[str, Any], user: Principal, svc: Services
) -> m.ChannelTest:
    address = user.email
    if not settings.email or not address or stored.get("email_unsubscribed"):
        return m.ChannelTest(outcome="not_configured", detail="email is off, unsubscribed, or the account has none")
    unsubscribe = notify.unsubscribe_links(
        svc.settings.notify_signing_key.get_secret_value(),
        user.sub,
        api_url=svc.settings.api_url,
        app_url=svc.settings.app_url,
    )
    test_id = f"test|{user.sub}|{secrets.token_hex(8)}"  # each test its own message
    envelope = notify.Envelope(str(address), svc.settings.smtp_from, unsubscribe, test_id, time.time())
    message = notify.ping_email(envelope, app_url=svc.settings.app_url)
    try:
        channels.email(message)
    except Refused as exc:  # the relay refuses the address for good: say so, it is no server error
        return m.ChannelTest(outcome="refused", status=exc.status, detail=str(exc)[:300])
    except ReceiverFailing as exc:  # the receiving side's words about this address (a full mailbox)
        return m.ChannelTest(outcome="failed", detail=str(exc)[:300])
    except DeliveryFailed as exc:  # ours, not the caller's: our relay's own words (host, login) are for our logs
        logger.error("test email not sent, the mail relay failed: %s", exc)
        return m.ChannelTest(outcome="failed", detail="our mail relay could not take it just now; try again later")
    return m.ChannelTest(outcome="sent")


@API.route(
    "POST",
    "/v1/unsubscribe",
    summary="Stop alert emails (the app's unsubscribe page and mail clients' one-click; no sign-in needed)",
    tag="me",
    query=m.UnsubscribeQuery,
    response=m.Unsubscribed,
    auth=False,
    rate_limited=False,  # the app's page posts from one address: a shared bucket anyone could drain
    may_400=True,
    may_404=True,
)
def unsubscribe(svc: Services, query: m.UnsubscribeQuery) -> m.Unsubscribed:
    """POST only: a GET is what mail scanners and link previews send, and must change nothing
    (RFC 8058; a one-click client's form body is not read). A GET of this URL (a client
    without one-click opens the header's link in a browser) goes to the app's page, which
    asks (app.py). Not rate-limited: the token's MAC is checked before anything is read."""
    user_id = notify.unsubscribed_user(svc.settings.unsubscribe_keys, query.token)
    if user_id is None:
        raise ApiError(400, "bad_token", "this unsubscribe link is not valid")
    if not svc.store.unsubscribe(user_id):
        raise ApiError(404, "not_found", "no such user")
    return m.Unsubscribed(unsubscribed=True)
