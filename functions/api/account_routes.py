"""Accounts an admin suspends: once Better Auth has recorded a ban (no sign-in, no new token),
the web app suspends the account here, so that notify stops sending its alerts (a banned
account's webhook would otherwise go on delivering the product) until the ban ends or is
lifted."""

from functions.api import models as m
from functions.api.auth import Principal
from functions.api.openapi import API
from functions.api.services import Services


@API.route(
    "PUT",
    "/v1/users/{user_id}/suspension",
    summary="Suspend an account until a time, or until lifted (admin): nothing is sent to it meanwhile",
    tag="users",
    params=m.UserPath,
    body=m.Suspension,
    status=204,
    admin=True,
)
def suspend(svc: Services, user: Principal, params: m.UserPath, body: m.Suspension) -> None:
    svc.store.set_suspension(params.user_id, body.until, by=user.sub)


@API.route(
    "DELETE",
    "/v1/users/{user_id}/suspension",
    summary="Lift an account's suspension (admin; idempotent)",
    tag="users",
    params=m.UserPath,
    status=204,
    admin=True,
)
def lift(svc: Services, user: Principal, params: m.UserPath) -> None:
    del user
    svc.store.set_suspension(params.user_id, None, by=None, lifted=True)
