"""The API's answers when a request cannot be carried out as asked, each with its documented
code: writes that lose every race to another request (409, send again), email asked for on
an account with no address (422), a preview where the backtest is not deployed (503)."""

import datetime
from typing import Any

from google.cloud import firestore

from emulators.stack import Stack
from functions.api.services import Services
from functions.api.store import FEEDBACK, Store
from tests.support import api as support
from tests.support.api import API_KEY, ApiClient, alert_doc, make_client, put_alert
from tests.support.jwks import JwksServer

LONG_AGO = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)


class AlwaysRaced:
    """The store's Firestore client, except that every write conditioned on what was read
    finds the document changed since: another request wins every race."""

    def __init__(self, db: firestore.Client) -> None:
        self.db = db

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)

    def write_option(self, **conditions: Any) -> Any:
        if "last_update_time" in conditions:
            conditions["last_update_time"] = LONG_AGO
        return self.db.write_option(**conditions)


def raced(services: Services) -> None:
    services.store = Store(AlwaysRaced(support.db()))  # type: ignore[arg-type]


def code(response: Any) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


def test_writes_that_lose_every_race_answer_409_with_their_code_and_change_nothing(
    emulators: Stack, jwks: JwksServer
) -> None:
    del emulators
    plain = make_client(jwks, API_KEY)
    doc = alert_doc("GME", 493_000, updated_at=493_000 * 3600 + 600)
    put_alert(doc)
    alert_id = str(doc["alert_id"])
    first = plain.call("POST", f"/v1/alerts/{alert_id}/feedback", sub="ann", json={"verdict": "useful"})
    assert first.status_code == 200
    assert plain.call("GET", "/v1/me", sub="ann").status_code == 200  # the user document exists

    busy = make_client(jwks, API_KEY, adjust=raced)
    assert code(busy.call("PUT", "/v1/me/watchlist/GME", sub="ann")) == (409, "watchlist_busy")
    assert code(busy.call("PUT", "/v1/me/notifications", sub="ann", json={"email": True})) == (409, "settings_busy")
    judged = busy.call("POST", f"/v1/alerts/{alert_id}/feedback", sub="ann", json={"verdict": "pump"})
    assert code(judged) == (409, "feedback_conflict")

    assert plain.call("GET", "/v1/me/watchlist", sub="ann").get_json()["symbols"] == []
    assert plain.call("GET", "/v1/me/notifications", sub="ann").get_json()["settings"]["email"] is False
    vote = support.db().collection("alerts").document(alert_id).collection(FEEDBACK).document("ann").get()
    assert vote.get("verdict") == "useful"


def test_email_for_an_account_without_a_confirmed_address_is_a_422(api: ApiClient) -> None:
    token = api.token("no-mail", email=None, email_verified=None)
    response = api.http.put("/v1/me/notifications", json={"email": True}, headers={"Authorization": f"Bearer {token}"})
    assert code(response) == (422, "no_email")


def test_a_preview_where_no_backtest_is_deployed_is_a_503(emulators: Stack, jwks: JwksServer) -> None:
    del emulators

    def without_backtest(services: Services) -> None:
        services.backtest = None

    api = make_client(jwks, API_KEY, adjust=without_backtest)
    response = api.call("POST", "/v1/config/detection/preview", role="admin", json={"config": {}})
    assert code(response) == (503, "preview_unavailable")
