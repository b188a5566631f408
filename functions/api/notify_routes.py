"""Notification settings (``/v1/me/notifications``) and the unsubscribe link emails carry,
which works without signing in: its token is the user id MACed with the service's key."""

import secrets

from common import notify
from functions.api import models as m
from functions.api.auth import Principal
from functions.api.errors import ApiError
from functions.api.openapi import API
from functions.api.services import Services


def _state(svc: Services, user: Principal) -> m.NotificationState:
    stored = svc.store.user(user)
    return m.NotificationState(
        settings=notify.settings_of(stored),
        webhook_secret_set=bool(stored.get("webhook_secret")),
        webhook_disabled=bool(stored.get("webhook_disabled")),
        webhook_disabled_reason=stored.get("webhook_disabled_reason"),
        email=user.email or stored.get("email"),
        email_unsubscribed=bool(stored.get("email_unsubscribed")),
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
    body=notify.NotificationSettings,
    response=m.NotificationState,
)
def put_notifications(svc: Services, user: Principal, body: notify.NotificationSettings) -> m.NotificationState:
    if body.email and not (user.email or svc.store.user(user).get("email")):
        raise ApiError(422, "no_email", "the account has no email address to send to")
    svc.store.set_notifications(user, body.model_dump(mode="json"))
    return _state(svc, user)


@API.route(
    "POST",
    "/v1/me/notifications/webhook-secret",
    summary="Make a new webhook signing secret (the old one stops working); shown only here",
    tag="me",
    response=m.WebhookSecret,
    status=201,
)
def rotate_webhook_secret(svc: Services, user: Principal) -> m.WebhookSecret:
    secret = secrets.token_urlsafe(32)
    svc.store.set_webhook_secret(user, secret)
    return m.WebhookSecret(secret=secret)


@API.route(
    "GET",
    "/v1/unsubscribe",
    summary="Stop alert emails (the link in every email; no sign-in needed)",
    tag="me",
    query=m.UnsubscribeQuery,
    response=m.Unsubscribed,
    auth=False,
    may_400=True,
    may_404=True,
)
def unsubscribe(svc: Services, query: m.UnsubscribeQuery) -> m.Unsubscribed:
    user_id = notify.unsubscribed_user(svc.settings.notify_signing_key.get_secret_value(), query.token)
    if user_id is None:
        raise ApiError(400, "bad_token", "this unsubscribe link is not valid")
    if not svc.store.unsubscribe(user_id):
        raise ApiError(404, "not_found", "no such user")
    return m.Unsubscribed(unsubscribed=True)
