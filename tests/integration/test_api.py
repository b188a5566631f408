"""The API against the real Firestore emulator: users, watchlists, alerts with filters and
pagination, tickers, detection config, rate limits, CORS and error shapes."""

import io
import string
import time
from collections.abc import Callable, Hashable
from typing import Any

import pytest

from common import notify
from common.adapters import firestore as fs
from common.detection_config import DetectionConfig
from common.extraction import is_listed
from emulators.stack import Stack
from functions.api.cache import TtlMemo
from tests.support import api as support
from tests.support.api import API_KEY, ApiClient, alert_doc, make_client, put_alert, put_hour, put_ticker
from tests.support.jwks import JwksServer, claims

KEY = API_KEY
NOW = 1_760_000_000.0  # data time, not the wall clock
MINUTE = NOW - NOW % 60


def error_of(response: object) -> str:
    body = response.get_json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return str(body["error"]["code"])


# ---------------------------------------------------------------- users


def test_the_user_record_is_created_on_first_use_keyed_by_the_better_auth_id(api: ApiClient) -> None:
    response = api.call("GET", "/v1/me", sub="ba-user-42")
    assert response.status_code == 200
    assert response.get_json()["id"] == "ba-user-42"
    assert response.headers["Cache-Control"] == "no-store"  # the caller's own: no cache between may keep it
    assert "Cache-Control" not in api.http.get("/v1/health").headers
    stored = support.db().collection("users").document("ba-user-42").get()
    assert stored.exists
    assert stored.get("watchlist") == []
    assert stored.get("preferences")["max_pump_risk"] == 0.5


def test_an_address_given_up_for_one_not_confirmed_yet_is_mailed_no_more(api: ApiClient) -> None:
    """The user changes their address: the new one's token says unconfirmed. Notify must stop
    mailing the old one, as the API's own answer (email off) already says, until the new one
    is confirmed."""

    def call(email: str, confirmed: bool, method: str = "GET", body: Any = None) -> Any:
        token = api.token("mover", email=email, email_verified=confirmed)
        return api.http.open(
            "/v1/me/notifications", method=method, json=body, headers={"Authorization": f"Bearer {token}"}
        )

    def stored() -> dict[str, Any]:
        return support.db().collection("users").document("mover").get().to_dict() or {}

    assert call("old@example.com", True, "PUT", {"email": True}).status_code == 200
    assert notify.channels(stored()) == ["email"] and stored()["email"] == "old@example.com"
    # a token minted before that address was confirmed, still used in another tab: same address
    assert call("OLD@example.com", False).status_code == 200
    assert notify.channels(stored()) == ["email"] and stored()["email"] == "old@example.com"
    for _ in range(2):  # once per instance; the second costs no write and changes nothing
        answer = call("new@example.com", False)
        assert answer.status_code == 200 and answer.get_json()["email"] is None
    assert notify.channels(stored()) == [] and "email" not in stored() and stored()["email_verified"] is False
    assert call("new@example.com", True).status_code == 200  # confirmed: mailed again, at the new one
    assert notify.channels(stored()) == ["email"] and stored()["email"] == "new@example.com"


def test_an_old_tabs_token_never_brings_back_the_address_a_newer_one_gave_up(api: ApiClient) -> None:
    """Tokens live for minutes: one issued while the old address was confirmed, still held by
    another tab, must not put it back after a newer token named a new one (nor undo the new
    one's confirmation), whether it only signs in or saves the notification settings."""
    now = time.time()

    def call(email: str, confirmed: bool, issued: float, method: str = "GET", body: Any = None) -> Any:
        token = api.key.sign(claims(now, sub="tabs", email=email, email_verified=confirmed, iat=int(issued)))
        return api.http.open(
            "/v1/me/notifications", method=method, json=body, headers={"Authorization": f"Bearer {token}"}
        )

    def stored() -> dict[str, Any]:
        return support.db().collection("users").document("tabs").get().to_dict() or {}

    assert call("old@example.com", True, now - 120, "PUT", {"email": True}).status_code == 200
    assert call("new@example.com", False, now - 60).status_code == 200
    assert notify.channels(stored()) == [] and "email" not in stored()
    for method, body in (("GET", None), ("PUT", {"email": True})):  # the old tab signs in, then saves
        assert call("old@example.com", True, now - 120, method, body).status_code == 200
        assert notify.channels(stored()) == [] and "email" not in stored()
    assert call("new@example.com", True, now - 30).status_code == 200  # confirmed: mailed, at the new one
    assert call("old@example.com", True, now - 120).status_code == 200
    assert notify.channels(stored()) == ["email"] and stored()["email"] == "new@example.com"
    # the user goes back to the old address and confirms it: that newer token is written, though
    # the old tab's token said the same and was refused on this instance
    assert call("old@example.com", True, now).status_code == 200
    assert notify.channels(stored()) == ["email"] and stored()["email"] == "old@example.com"


def test_preferences_change_only_the_fields_sent(api: ApiClient) -> None:
    api.call("PATCH", "/v1/me/preferences", json={"min_score": 1.5, "subreddits": ["stocks"]})
    response = api.call("PATCH", "/v1/me/preferences", json={"watchlist_only": True})
    assert response.status_code == 200
    assert response.get_json() == {
        "min_score": 1.5,
        "max_pump_risk": 0.5,
        "watchlist_only": True,
        "subreddits": ["stocks"],
    }


def test_invalid_preferences_are_422_and_unknown_fields_are_refused(api: ApiClient) -> None:
    assert error_of(api.call("PATCH", "/v1/me/preferences", json={"max_pump_risk": 3})) == "invalid_request"
    nulled = api.call("PATCH", "/v1/me/preferences", json={"min_score": None})  # not read as "leave it"
    assert (nulled.status_code, error_of(nulled)) == (422, "invalid_request")
    assert "min_score" in nulled.get_json()["error"]["message"]
    assert api.call("PATCH", "/v1/me/preferences", json={"min_scroe": 1}).status_code == 422


def test_a_body_value_of_another_json_type_is_422_not_converted(api: ApiClient) -> None:
    """Read loosely, ``true`` was a ban ending one second into 1970 (answered 204, nothing
    suspended) and ``"yes"`` a preference; a query's text is still read as its number."""
    wrong = [
        ("PUT", "/v1/users/someone/suspension", {"until": True}),
        ("PUT", "/v1/users/someone/suspension", {"until": "4102444800"}),
        ("PATCH", "/v1/me/preferences", {"min_score": True}),
        ("PATCH", "/v1/me/preferences", {"watchlist_only": "yes"}),
        ("PATCH", "/v1/config/detection", {"changes": {"min_mentions_1h": True}}),
        ("PATCH", "/v1/config/detection", {"changes": {}, "expected_version": True}),
    ]
    for method, path, body in wrong:
        answer = api.call(method, path, json=body, role="admin")
        assert (answer.status_code, error_of(answer)) == (422, "invalid_request"), (path, body)
    assert api.call("PUT", "/v1/users/someone/suspension", json={"until": 4102444800}, role="admin").status_code == 204
    kinds = api.call("PUT", "/v1/me/notifications", json={"kinds": ["organic", "pump"], "events": ["open"]})
    assert kinds.status_code == 200 and kinds.get_json()["settings"]["kinds"] == ["organic", "pump"]  # a tuple
    assert api.call("GET", "/v1/alerts?limit=5&min_score=1").status_code == 200


def test_stored_preferences_this_code_cannot_read_fall_back_to_defaults_field_by_field(api: ApiClient) -> None:
    """A release that drops or tightens a preference leaves records it cannot read whole:
    the account keeps working with what still reads, and a PATCH is answered too."""
    assert api.call("PATCH", "/v1/me/preferences", json={"min_score": 1.5}, sub="old-prefs").status_code == 200
    ref = support.db().collection("users").document("old-prefs")
    ref.update({"preferences.digest_hour": 5, "preferences.max_pump_risk": 7})
    me = api.call("GET", "/v1/me", sub="old-prefs")
    assert me.status_code == 200
    assert me.get_json()["preferences"]["min_score"] == 1.5  # what still reads is kept
    assert me.get_json()["preferences"]["max_pump_risk"] == 0.5  # the default, for a value now refused
    assert api.call("GET", "/v1/alerts?apply_preferences=true", sub="old-prefs").status_code == 200
    patched = api.call("PATCH", "/v1/me/preferences", json={"max_pump_risk": 0.3}, sub="old-prefs")
    assert (patched.status_code, patched.get_json()["max_pump_risk"]) == (200, 0.3)
    assert api.call("GET", "/v1/me", sub="no-map").status_code == 200
    support.db().collection("users").document("no-map").update({"preferences": "not a map"})
    assert api.call("GET", "/v1/me", sub="no-map").get_json()["preferences"]["max_pump_risk"] == 0.5


def test_the_watchlist_adds_removes_and_replaces_symbols_idempotently(api: ApiClient) -> None:
    assert api.call("PUT", "/v1/me/watchlist/gme").get_json() == {"symbols": ["GME"]}
    assert api.call("PUT", "/v1/me/watchlist/GME").get_json() == {"symbols": ["GME"]}
    assert api.call("PUT", "/v1/me/watchlist/brk.b").get_json() == {"symbols": ["GME", "BRK.B"]}
    assert api.call("DELETE", "/v1/me/watchlist/GME").get_json() == {"symbols": ["BRK.B"]}
    assert api.call("DELETE", "/v1/me/watchlist/GME").status_code == 200
    replaced = api.call("PUT", "/v1/me/watchlist", json={"symbols": ["aapl", "tsla", "AAPL"]})
    assert replaced.get_json() == {"symbols": ["AAPL", "TSLA"]}
    assert api.call("GET", "/v1/me/watchlist").get_json() == {"symbols": ["AAPL", "TSLA"]}
    assert api.call("GET", "/v1/me/watchlist", sub="someone-else").get_json() == {"symbols": []}


def test_a_symbol_that_cannot_be_a_ticker_is_a_client_error(api: ApiClient) -> None:
    assert api.call("PUT", "/v1/me/watchlist/NOTATICKER").status_code == 422
    assert api.call("PUT", "/v1/me/watchlist/G%20ME").status_code == 422


def test_a_symbol_that_is_not_listed_cannot_be_watched(api: ApiClient) -> None:
    missing = api.call("PUT", "/v1/me/watchlist/XYZZY")
    assert (missing.status_code, error_of(missing)) == (404, "not_found")
    mixed = api.call("PUT", "/v1/me/watchlist", json={"symbols": ["GME", "QQQQQ"]})
    assert (mixed.status_code, error_of(mixed)) == (422, "unknown_symbol")
    assert "QQQQQ" in mixed.get_json()["error"]["message"]
    assert api.call("GET", "/v1/me/watchlist").get_json() == {"symbols": []}


def test_a_full_watchlist_refuses_one_more_symbol_with_409(api: ApiClient) -> None:
    letters = string.ascii_uppercase
    full = [a + b for a in letters for b in letters if is_listed(a + b)][:100]
    assert len(full) == 100
    assert api.call("PUT", "/v1/me/watchlist", json={"symbols": full}).status_code == 200
    assert "GME" not in full
    assert error_of(api.call("PUT", "/v1/me/watchlist/GME")) == "watchlist_full"
    assert api.call("PUT", f"/v1/me/watchlist/{full[0]}").status_code == 200  # already there: fine


def test_adds_racing_for_the_last_place_on_a_watchlist_let_one_in(api: ApiClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    letters = string.ascii_uppercase
    listed = [a + b for a in letters for b in letters if is_listed(a + b)]
    assert api.call("PUT", "/v1/me/watchlist", json={"symbols": listed[:99]}).status_code == 200
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda s: api.call("PUT", f"/v1/me/watchlist/{s}"), listed[99:105]))
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409, 409, 409]
    assert {error_of(a) for a in answers if a.status_code == 409} == {"watchlist_full"}
    assert len(api.call("GET", "/v1/me/watchlist").get_json()["symbols"]) == 100


# ---------------------------------------------------------------- alerts


@pytest.fixture
def alerts() -> list[dict[str, object]]:
    docs = [
        alert_doc("GME", 1, updated_at=NOW - 100, score=2.5),
        alert_doc("GME", 2, updated_at=NOW - 200, score=0.4, status="resolved", peak_score=2.2, pump_risk=0.3),
        alert_doc("AMC", 3, updated_at=NOW - 300, score=1.8, kind="pump", pump_risk=0.9),
        alert_doc("TSLA", 4, updated_at=NOW - 400, score=1.2),
        alert_doc("AAPL", 5, updated_at=NOW - 500, score=3.0, status="escalated", level=2),
        alert_doc("NVDA", 6, updated_at=NOW - 600, score=0.9),
        alert_doc("PLTR", 7, updated_at=NOW - 700, score=1.1),
    ]
    for doc in docs:
        put_alert(doc)
    return docs


def ids(response: object) -> list[str]:
    return [a["alert_id"] for a in response.get_json()["alerts"]]  # type: ignore[attr-defined]


def test_alerts_are_listed_newest_update_first(api: ApiClient, alerts: list[dict[str, object]]) -> None:
    assert ids(api.call("GET", "/v1/alerts")) == [a["alert_id"] for a in alerts]


class _Kept(TtlMemo[Any]):
    """The first pages the instance keeps, as it keeps them."""

    def __init__(self) -> None:
        super().__init__(5.0)
        self.kept: list[Any] = []

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        value = super().get(key, compute)
        self.kept.append(value)
        return value


def test_a_listing_reads_each_alerts_summary_not_its_bulk(
    emulators: Stack, jwks: JwksServer, alerts: list[dict[str, object]]
) -> None:
    """The first page an instance keeps holds no alert's history, metrics or baseline, and
    the listing says of each alert what the alert itself says; the evidence the subreddit
    filter reads is kept."""
    del emulators
    memo = _Kept()
    api = make_client(jwks, KEY, alerts=memo)
    listed = api.call("GET", "/v1/alerts?limit=50").get_json()["alerts"]
    assert len(listed) == len(alerts)
    [first_page] = memo.kept
    assert first_page and not any({"history", "metrics", "baseline"} & doc.keys() for doc in first_page)
    assert all(doc.get("evidence") for doc in first_page)
    whole = [api.call("GET", f"/v1/alerts/{a['alert_id']}").get_json() for a in listed]
    assert listed == [{k: alert[k] for k in summary} for summary, alert in zip(listed, whole, strict=True)]


def test_alerts_are_filtered_by_symbol_status_score_and_time(api: ApiClient, alerts: list[dict[str, object]]) -> None:
    del alerts
    assert ids(api.call("GET", "/v1/alerts?symbol=gme")) == ["GME-1", "GME-2"]
    assert ids(api.call("GET", "/v1/alerts?status=resolved")) == ["GME-2"]
    assert ids(api.call("GET", "/v1/alerts?min_score=1.5")) == ["GME-1", "AMC-3", "AAPL-5"]
    assert ids(api.call("GET", "/v1/alerts?kind=pump")) == ["AMC-3"]
    assert ids(api.call("GET", "/v1/alerts?max_pump_risk=0.5&min_score=1.5")) == ["GME-1", "AAPL-5"]
    assert ids(api.call("GET", f"/v1/alerts?since={NOW - 350}")) == ["GME-1", "GME-2", "AMC-3"]
    # since ends the newest-first scan (no range filter beside the equalities, which would need
    # indexes of its own in production), across pages too
    assert ids(api.call("GET", f"/v1/alerts?since={NOW - 350}&status=open&kind=organic")) == ["GME-1"]
    first = api.call("GET", f"/v1/alerts?since={NOW - 350}&limit=1").get_json()
    rest = api.call("GET", f"/v1/alerts?since={NOW - 350}&limit=5&cursor={first['next_cursor']}")
    assert [a["alert_id"] for a in first["alerts"]] + ids(rest) == ["GME-1", "GME-2", "AMC-3"]


def test_watchlist_only_shows_watched_symbols(api: ApiClient, alerts: list[dict[str, object]]) -> None:
    del alerts
    assert ids(api.call("GET", "/v1/alerts?watchlist_only=true")) == []
    api.call("PUT", "/v1/me/watchlist", json={"symbols": ["TSLA", "PLTR"]})
    assert ids(api.call("GET", "/v1/alerts?watchlist_only=true")) == ["TSLA-4", "PLTR-7"]
    assert ids(api.call("GET", "/v1/alerts?watchlist_only=true&symbol=GME")) == []


def test_a_long_watchlist_lists_its_alerts_newest_first_across_pages(
    api: ApiClient, alerts: list[dict[str, object]]
) -> None:
    """More symbols than one Firestore "in" filter holds: read as several queries, merged."""
    del alerts
    letters = string.ascii_uppercase
    fillers = [a + b for a in letters for b in letters if is_listed(a + b)][:92]
    watched = ["GME", *fillers[:30], "TSLA", *fillers[30:60], "AAPL", *fillers[60:], "PLTR"]
    assert api.call("PUT", "/v1/me/watchlist", json={"symbols": watched}).status_code == 200
    assert ids(api.call("GET", "/v1/alerts?watchlist_only=true")) == ["GME-1", "GME-2", "TSLA-4", "AAPL-5", "PLTR-7"]
    pages, cursor = [], ""
    while True:
        body = api.call("GET", f"/v1/alerts?watchlist_only=true&limit=2{cursor}").get_json()
        pages.append([a["alert_id"] for a in body["alerts"]])
        if not body["next_cursor"]:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert pages == [["GME-1", "GME-2"], ["TSLA-4", "AAPL-5"], ["PLTR-7"]]


def test_subreddits_in_preferences_are_case_insensitive_and_kept_once(api: ApiClient) -> None:
    sent = api.call("PATCH", "/v1/me/preferences", json={"subreddits": ["Stocks", "stocks", "STOCKS", "PennyStocks"]})
    assert sent.get_json()["subreddits"] == ["stocks", "pennystocks"]


def test_a_query_parameter_given_twice_is_422_whichever_comes_first(api: ApiClient) -> None:
    for query in ("limit=1&limit=abc", "limit=abc&limit=1", "limit=1&limit=1"):
        response = api.call("GET", f"/v1/alerts?{query}")
        assert (response.status_code, error_of(response)) == (422, "invalid_request")
        assert "limit" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("alert_id", ["__x__", "__reserved__", ".", ".."])
def test_an_alert_id_firestore_cannot_hold_is_a_client_error_on_every_route(api: ApiClient, alert_id: str) -> None:
    for method, path, body in [
        ("GET", f"/v1/alerts/{alert_id}", None),
        ("POST", f"/v1/alerts/{alert_id}/feedback", {"verdict": "useful"}),
        ("DELETE", f"/v1/alerts/{alert_id}/feedback", None),
    ]:
        response = api.call(method, path, json=body)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)


def test_saved_preferences_filter_alerts_when_asked(api: ApiClient, alerts: list[dict[str, object]]) -> None:
    del alerts
    api.call("PATCH", "/v1/me/preferences", json={"min_score": 1.0, "max_pump_risk": 0.5})
    # the pump-risk preference skips risky organic alerts, as notify does: a pump warning always shows;
    # a resolution is judged by the alert it ended (its peak), as notify judges it
    both = ["GME-1", "GME-2", "AMC-3", "TSLA-4", "AAPL-5", "PLTR-7"]
    assert ids(api.call("GET", "/v1/alerts?apply_preferences=true")) == both
    assert ids(api.call("GET", "/v1/alerts?apply_preferences=true&min_score=2")) == ["GME-1", "GME-2", "AAPL-5"]
    assert ids(api.call("GET", "/v1/alerts?min_score=2")) == ["GME-1", "AAPL-5"]  # the latest score, as documented
    assert "AMC-3" not in ids(api.call("GET", "/v1/alerts?apply_preferences=true&max_pump_risk=0.5"))  # asked for
    api.call("PATCH", "/v1/me/preferences", json={"max_pump_risk": 0.05})  # below every organic alert's 0.1
    assert ids(api.call("GET", "/v1/alerts?apply_preferences=true")) == ["GME-2", "AMC-3"]
    api.call("PATCH", "/v1/me/preferences", json={"max_pump_risk": 0.5, "watchlist_only": True})  # nothing watched
    assert ids(api.call("GET", "/v1/alerts?apply_preferences=true")) == []
    # a filter given overrides the saved one, false as well as a number
    unwatched = ids(api.call("GET", "/v1/alerts?apply_preferences=true&watchlist_only=false"))
    assert unwatched == both


@pytest.mark.parametrize("query", ["", "min_score=1.0", "symbol=GME"])
def test_cursor_pages_cover_every_alert_once_in_order(
    api: ApiClient, alerts: list[dict[str, object]], query: str
) -> None:
    everything = ids(api.call("GET", f"/v1/alerts?{query}"))
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        url = f"/v1/alerts?limit=2&{query}" + (f"&cursor={cursor}" if cursor else "")
        page = api.call("GET", url).get_json()
        assert len(page["alerts"]) <= 2
        seen += [a["alert_id"] for a in page["alerts"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    assert len(everything) >= 2
    del alerts


@pytest.mark.parametrize(
    "cursor",
    # garbage; {}; wrong types; a lone surrogate as the id; a NaN time; a time past any update
    [
        "garbage",
        "e30",
        "eyJ1IjogIngiLCAiaSI6IDF9",
        "%%%",
        "eyJ1IjoxNzY4MzQ3MDQyLjAsImkiOiJcdWQ4MDAifQ",
        "eyJ1IjpOYU4sImkiOiJHTUUtMSJ9",
        "eyJ1IjoxZTMwOCwiaSI6IkdNRS0xIn0",
    ],
)
def test_a_cursor_the_api_did_not_issue_is_400(api: ApiClient, cursor: str) -> None:
    response = api.call("GET", f"/v1/alerts?cursor={cursor}")
    assert response.status_code == 400
    assert error_of(response) == "bad_cursor"


def test_one_alert_comes_with_its_evidence_and_history(api: ApiClient, alerts: list[dict[str, object]]) -> None:
    del alerts
    alert = api.call("GET", "/v1/alerts/AAPL-5").get_json()
    assert alert["status"] == "escalated"
    assert alert["evidence"][0]["permalink"] == "/r/stocks/comments/aapl5/"
    assert alert["history"][0]["status"] == "open"
    missing = api.call("GET", "/v1/alerts/NOPE-1")
    assert missing.status_code == 404
    assert error_of(missing) == "not_found"


# ---------------------------------------------------------------- tickers


def test_trending_orders_tickers_by_mentions_in_the_chosen_window(api: ApiClient) -> None:
    put_ticker("GME", NOW, {"1h": 5, "6h": 40, "24h": 90, "7d": 300})
    put_ticker("AMC", NOW, {"1h": 30, "6h": 35, "24h": 60, "7d": 200})
    put_ticker("TSLA", NOW, {"1h": 1, "6h": 50, "24h": 55, "7d": 500})
    for window, expected in [("1h", ["AMC", "GME", "TSLA"]), ("6h", ["TSLA", "GME", "AMC"])]:
        body = api.call("GET", f"/v1/tickers/trending?window={window}").get_json()
        assert [t["symbol"] for t in body["tickers"]] == expected
    assert api.call("GET", "/v1/tickers/trending?window=24h&limit=1").get_json()["tickers"][0]["mentions"] == 90
    assert api.call("GET", "/v1/tickers/trending?window=2h").status_code == 422


def test_trending_answers_are_shared_for_the_cache_time_then_recounted(emulators: Stack, jwks: JwksServer) -> None:
    del emulators
    clock = [0.0]
    api = make_client(jwks, KEY, trending=TtlMemo(30.0, clock=lambda: clock[0]))
    put_ticker("AMD", NOW, {"1h": 5, "24h": 50})
    first = api.call("GET", "/v1/tickers/trending?window=24h").get_json()
    put_ticker("NVDA", NOW, {"1h": 9, "24h": 90})
    clock[0] = 29.0
    assert api.call("GET", "/v1/tickers/trending?window=24h").get_json() == first  # shared
    # by every limit: a limit is the start of the one answer, not a recount of its own
    assert api.call("GET", "/v1/tickers/trending?window=24h&limit=1").get_json()["tickers"] == first["tickers"][:1]
    assert [t["symbol"] for t in api.call("GET", "/v1/tickers/trending?window=1h").get_json()["tickers"]] == [
        "NVDA",
        "AMD",
    ]  # another window is another answer
    clock[0] = 31.0
    assert [t["symbol"] for t in api.call("GET", "/v1/tickers/trending?window=24h").get_json()["tickers"]] == [
        "NVDA",
        "AMD",
    ]


def test_an_alert_listing_from_the_top_is_shared_for_the_cache_time_and_pages_always_read(
    emulators: Stack, jwks: JwksServer
) -> None:
    del emulators
    clock = [0.0]
    api = make_client(jwks, KEY, alerts=TtlMemo(5.0, clock=lambda: clock[0]))
    for i, symbol in enumerate(["AAA", "BBB", "CCC"]):
        put_alert(alert_doc(symbol, 2026010100 + i, updated_at=NOW - 100 + i))
    first = api.call("GET", "/v1/alerts?limit=2").get_json()
    assert [a["symbol"] for a in first["alerts"]] == ["CCC", "BBB"]
    put_alert(alert_doc("DDD", 2026010105, updated_at=NOW))
    clock[0] = 4.0
    assert api.call("GET", "/v1/alerts?limit=2").get_json() == first  # shared
    rest = api.call("GET", f"/v1/alerts?limit=2&cursor={first['next_cursor']}").get_json()
    assert [a["symbol"] for a in rest["alerts"]] == ["AAA"]  # a page after the first reads now
    assert [a["symbol"] for a in api.call("GET", "/v1/alerts?limit=5").get_json()["alerts"]] == [
        "DDD",
        "CCC",
        "BBB",
        "AAA",
    ]  # another view is another answer
    clock[0] = 6.0
    assert [a["symbol"] for a in api.call("GET", "/v1/alerts?limit=2").get_json()["alerts"]] == ["DDD", "CCC"]


def test_trending_is_counted_to_now_so_a_ticker_silent_for_a_day_drops_out(api: ApiClient) -> None:
    put_ticker("OLD", NOW - 30 * 3600, {"1h": 100, "6h": 120, "24h": 146, "7d": 146})
    put_ticker("AMC", NOW, {"1h": 3, "6h": 8, "24h": 20, "7d": 40})
    body = api.call("GET", "/v1/tickers/trending?window=24h").get_json()
    assert body["now"] == NOW  # the data clock: the newest mention counted anywhere
    assert [(t["symbol"], t["mentions"]) for t in body["tickers"]] == [("AMC", 20)]


def test_a_ticker_shows_its_windows_baseline_and_scores(api: ApiClient) -> None:
    put_ticker("GME", NOW, {"1h": 5, "6h": 40, "24h": 90, "7d": 300}, score=1.7)
    body = api.call("GET", "/v1/tickers/gme").get_json()
    assert body["symbol"] == "GME"
    assert body["windows"]["6h"]["mentions"] == 40
    assert body["detection"]["score"] == 1.7
    assert body["detection"]["baseline_1h"] == 2.0
    unknown, quiet = api.call("GET", "/v1/tickers/ZZZZ"), api.call("GET", "/v1/tickers/AAPL")
    assert (unknown.status_code, error_of(unknown)) == (404, "unknown_symbol")  # no such security
    assert (quiet.status_code, error_of(quiet)) == (404, "no_data_yet")  # listed, never mentioned yet
    assert "is listed" in quiet.get_json()["error"]["message"]
    gone = api.call("GET", "/v1/tickers/TWTR")  # delisted in 2022: not "listed"
    assert (gone.status_code, error_of(gone)) == (404, "no_data_yet")
    assert "no longer listed" in gone.get_json()["error"]["message"]


def test_history_is_the_hourly_series_ending_at_the_newest_data(api: ApiClient) -> None:
    newest_hour = int(NOW // 3600) * 3600
    put_ticker("GME", NOW, {"1h": 3})
    for back in range(5):
        put_hour("GME", newest_hour - back * 3600, mentions=back + 1)
    body = api.call("GET", "/v1/tickers/GME/history?hours=3").get_json()
    assert [h["start_utc"] for h in body["hours"]] == [newest_hour - 7200, newest_hour - 3600, newest_hour]
    assert [h["mentions"] for h in body["hours"]] == [3, 2, 1]
    assert body["hours"][0]["distinct_authors"] == 3
    assert body["source"] == "firestore" and body["complete"] is True
    assert api.call("GET", "/v1/tickers/GME/history?hours=0").status_code == 422
    assert api.call("GET", "/v1/tickers/ZZZ/history").status_code == 404


# ---------------------------------------------------------------- detection config


def test_the_detection_config_defaults_until_an_admin_changes_it(api: ApiClient) -> None:
    body = api.call("GET", "/v1/config/detection").get_json()
    assert body["version"] == 0
    assert body["config"]["volume_ratio_min"] == 3.0


def full_config(**changes: object) -> dict[str, object]:
    return {**DetectionConfig().model_dump(), **changes}


def test_only_admins_change_the_detection_config(api: ApiClient) -> None:
    proposed = {"config": full_config(volume_ratio_min=4.0)}
    refused = api.call("PUT", "/v1/config/detection", json=proposed, role="user")
    assert refused.status_code == 403
    assert error_of(refused) == "forbidden"
    saved = api.call("PUT", "/v1/config/detection", json=proposed, role="admin", sub="admin-1")
    assert saved.status_code == 200
    assert saved.get_json()["version"] == 1
    assert saved.get_json()["updated_by"] == "admin-1"
    stored = support.db().collection("config").document("detection").get().to_dict() or {}
    assert stored["volume_ratio_min"] == 4.0 and stored["version"] == 1 and stored["updated_by"] == "admin-1"
    # everyone reads the config; who saved it (an account id) only admins
    assert api.call("GET", "/v1/config/detection", role="user").get_json()["updated_by"] is None
    assert api.call("GET", "/v1/config/detection", role="admin").get_json()["updated_by"] == "admin-1"


def test_a_partial_put_is_refused_and_a_patch_merges_onto_the_stored_config(api: ApiClient) -> None:
    api.call("PUT", "/v1/config/detection", json={"config": full_config(volume_ratio_min=4.0)}, role="admin")
    partial = api.call("PUT", "/v1/config/detection", json={"config": {"warmup_hours": 24}}, role="admin")
    assert (partial.status_code, error_of(partial)) == (422, "incomplete_config")
    assert "volume_ratio_min" in partial.get_json()["error"]["message"]

    patched = api.call(
        "PATCH", "/v1/config/detection", json={"changes": {"warmup_hours": 24}, "expected_version": 1}, role="admin"
    )
    assert patched.status_code == 200
    body = patched.get_json()
    assert body["version"] == 2
    assert body["config"]["warmup_hours"] == 24
    assert body["config"]["volume_ratio_min"] == 4.0  # kept, not reset to its default
    stale = api.call("PATCH", "/v1/config/detection", json={"changes": {}, "expected_version": 1}, role="admin")
    assert (stale.status_code, error_of(stale)) == (409, "version_conflict")
    # a threshold out of its bounds is refused as the request's (the spec documents them) ...
    invalid = api.call("PATCH", "/v1/config/detection", json={"changes": {"volume_ratio_min": 0.5}}, role="admin")
    assert (invalid.status_code, error_of(invalid)) == (422, "invalid_request")
    assert "volume_ratio_min" in invalid.get_json()["error"]["message"]
    # ... a value only the whole config can judge, as the merged config's
    unknown_part = {"changes": {"pump_weights": {"no_such_component": 1.0}}}
    merged = api.call("PATCH", "/v1/config/detection", json=unknown_part, role="admin")
    assert (merged.status_code, error_of(merged)) == (422, "invalid_config")
    unknown = api.call("PATCH", "/v1/config/detection", json={"changes": {"no_such_threshold": 1}}, role="admin")
    assert unknown.status_code == 422
    assert api.call("PATCH", "/v1/config/detection", json={"changes": {}}, role="user").status_code == 403


def test_a_stale_config_version_is_a_409_conflict(api: ApiClient) -> None:
    whole = full_config()
    first = api.call("PUT", "/v1/config/detection", json={"config": whole, "expected_version": 0}, role="admin")
    assert first.get_json()["version"] == 1
    stale = api.call("PUT", "/v1/config/detection", json={"config": whole, "expected_version": 0}, role="admin")
    assert stale.status_code == 409
    assert error_of(stale) == "version_conflict"


def test_an_invalid_config_is_422(api: ApiClient) -> None:
    response = api.call("PUT", "/v1/config/detection", json={"config": full_config(volume_ratio_min=0.5)}, role="admin")
    assert response.status_code == 422
    # whole numbers Firestore cannot store (64-bit) are refused, not a 500 on the write
    for changes in ({"min_mentions_1h": 10**23}, {"min_authors": 2**63}):
        patched = api.call("PATCH", "/v1/config/detection", json={"changes": changes}, role="admin")
        assert (patched.status_code, error_of(patched)) == (422, "invalid_config")
    put = api.call("PUT", "/v1/config/detection", json={"config": full_config(min_authors=2**63)}, role="admin")
    assert put.status_code == 422
    # no NaN or infinity: written as strings JSON lets through, they are no numbers (stored
    # they read back as null, and a NaN pump weight turns every pump risk into 0); weights
    # whose sum is infinite are no config
    non_finite: tuple[tuple[dict[str, object], str], ...] = (
        ({"cooldown_hours": "Infinity"}, "invalid_request"),
        ({"volume_ratio_min": "1e999"}, "invalid_request"),
        ({"pump_weights": {"copy_paste": "nan"}}, "invalid_request"),
        ({"pump_weights": {"copy_paste": 1e308, "new_accounts": 1e308}}, "invalid_config"),
    )
    for bad, code in non_finite:
        patched = api.call("PATCH", "/v1/config/detection", json={"changes": bad}, role="admin")
        assert (patched.status_code, error_of(patched)) == (422, code), bad


def test_a_stored_config_that_no_longer_validates_shows_the_defaults_in_force_and_a_save_repairs_it(
    api: ApiClient,
) -> None:
    """A field a release retired is set aside, the other thresholds kept; a value a release
    no longer accepts: the functions run on the defaults, and the API says so."""
    config = support.db().collection("config").document("detection")
    config.set({**full_config(volume_ratio_min=4.0), "retired_threshold": 1, "version": 3})
    shown = api.call("GET", "/v1/config/detection").get_json()
    assert (shown["version"], shown["config"]["volume_ratio_min"]) == (3, 4.0)
    config.set({**full_config(volume_ratio_min=0.5), "warmup_hours": 12, "version": 3})
    shown = api.call("GET", "/v1/config/detection").get_json()
    assert (shown["version"], shown["config"]["volume_ratio_min"], shown["config"]["warmup_hours"]) == (3, 3.0, 48.0)
    patched = api.call(
        "PATCH", "/v1/config/detection", json={"changes": {"warmup_hours": 36}, "expected_version": 3}, role="admin"
    )
    assert patched.status_code == 200 and patched.get_json()["version"] == 4
    repaired = config.get().to_dict() or {}
    assert (repaired["volume_ratio_min"], repaired["warmup_hours"]) == (3.0, 36)


# ---------------------------------------------------------------- auth, limits, CORS, errors


def test_requests_without_a_valid_token_are_401_with_a_json_error(api: ApiClient) -> None:
    for headers in [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic dXNlcjpwYXNz"}]:
        response = api.http.get("/v1/me", headers=headers)
        assert response.status_code == 401
        assert error_of(response) == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    expired = api.key.sign({"sub": "u", "iss": "http://localhost:3000", "aud": "http://localhost:3000", "exp": 1})
    assert api.http.get("/v1/alerts", headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_health_and_openapi_need_no_token(api: ApiClient) -> None:
    assert api.http.get("/v1/health").get_json()["status"] == "ok"
    spec = api.http.get("/v1/openapi.json").get_json()
    assert "/v1/alerts" in spec["paths"]


def test_the_user_rate_limit_holds_across_instances_and_says_when_to_retry(emulators: Stack, jwks: JwksServer) -> None:
    del emulators
    first = make_client(jwks, KEY, clock=lambda: MINUTE + 15, RATE_LIMIT_USER_PER_MINUTE=4)
    second = make_client(jwks, KEY, clock=lambda: MINUTE + 15, RATE_LIMIT_USER_PER_MINUTE=4)  # another instance
    statuses = [client.call("GET", "/v1/me/watchlist", sub="busy").status_code for client in [first, second] * 3]
    limited = second.call("GET", "/v1/me/watchlist", sub="busy")
    assert statuses[:4] == [200, 200, 200, 200]
    assert statuses[4:] == [429, 429]
    assert limited.status_code == 429
    assert error_of(limited) == "rate_limited"
    assert int(limited.headers["Retry-After"]) == 45  # seconds left in the minute
    assert first.call("GET", "/v1/me/watchlist", sub="calm").status_code == 200


def test_a_removal_and_admin_work_count_apart_from_the_callers_own_requests(emulators: Stack, jwks: JwksServer) -> None:
    """The web app deletes an account with a token of the account's own: one that spent its
    minute's requests is still removed; an admin's bans are not refused for their browsing."""
    del emulators
    client = make_client(jwks, KEY, clock=lambda: MINUTE + 15, RATE_LIMIT_USER_PER_MINUTE=2)
    for sub, role in (("spender", None), ("boss", "admin")):
        statuses = [client.call("GET", "/v1/me/watchlist", sub=sub, role=role).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
    assert client.call("DELETE", "/v1/me", sub="spender").status_code == 204
    assert (
        client.call("PUT", "/v1/users/spender2/suspension", sub="boss", role="admin", json={"until": None}).status_code
        == 204
    )
    assert client.call("GET", "/v1/me/watchlist", sub="boss", role="admin").status_code == 429  # their own: still spent


def test_an_instance_reports_what_it_admitted_beside_the_requests_not_ahead_of_them(
    emulators: Stack, jwks: JwksServer
) -> None:
    del emulators
    client = make_client(jwks, KEY, clock=lambda: MINUTE + 15, RATE_LIMIT_USER_PER_MINUTE=500)  # slices of 5
    assert {client.call("GET", "/v1/me/watchlist", sub="thrifty").status_code for _ in range(25)} == {200}
    window = support.db().collection("ratelimits").document(f"user:thrifty-{int(MINUTE // 60)}")
    deadline = time.monotonic() + 60  # reported in the background, slowly on a loaded machine
    while (window.get().get("count") if window.get().exists else 0) < 25 - 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert 25 - 5 <= window.get().get("count") <= 25  # what was admitted, less at most one unreported slice


def test_a_listing_that_reads_hundreds_of_alerts_costs_its_caller_more_of_the_rate_limit(
    emulators: Stack, jwks: JwksServer
) -> None:
    """A filter that rejects most alerts scans up to MAX_SCAN of them per request; counted as one
    request each, a caller repeating such scans would read alerts by the hundred thousand a minute."""
    from functions.api.routes import ALERTS_PER_REQUEST

    del emulators
    batch = support.db().batch()
    for i in range(2 * ALERTS_PER_REQUEST + 50):
        doc = alert_doc("ZZSC", i, updated_at=NOW - i, score=1.0)
        batch.set(support.db().collection(fs.ALERTS).document(doc["alert_id"]), doc)
    batch.commit()
    client = make_client(jwks, KEY, clock=lambda: MINUTE + 15, RATE_LIMIT_USER_PER_MINUTE=5)
    scans = [client.call("GET", "/v1/alerts?symbol=ZZSC&min_score=99", sub="scanner") for _ in range(3)]
    assert [r.status_code for r in scans] == [200, 200, 429]  # 1 + 2 each: 250 alerts read
    assert scans[0].get_json()["alerts"] == []
    pages = [client.call("GET", "/v1/alerts?symbol=ZZSC", sub="reader").status_code for _ in range(6)]
    assert pages == [200] * 5 + [429]  # a page of 20 is one request
    full = [client.call("GET", "/v1/alerts?symbol=ZZSC&limit=100", sub="hundred").status_code for _ in range(6)]
    assert full == [200] * 5 + [429]  # and of 100 (101 read: the one more says a next page exists)


def test_a_long_watchlists_listing_is_charged_for_what_its_queries_read_ahead(
    emulators: Stack, jwks: JwksServer
) -> None:
    """More symbols than one "in" filter holds are several queries, each reading a batch before
    the merge yields one alert: 400 read for a page of 50 is charged as 400, not as 50."""
    del emulators
    letters = string.ascii_uppercase
    watched = [a + b for a in letters for b in letters if is_listed(a + b)][:100]
    batch = support.db().batch()
    for chunk in range(4):  # the first symbol of each query's 30 has a full batch of its own
        for i in range(100):
            doc = alert_doc(watched[30 * chunk], 1000 * chunk + i, updated_at=NOW - i, score=1.0)
            batch.set(
                support.db().collection(fs.ALERTS).document(f"RA{chunk}-{i}"), {**doc, "alert_id": f"RA{chunk}-{i}"}
            )
        batch.commit()
        batch = support.db().batch()
    client = make_client(jwks, KEY, clock=lambda: MINUTE + 15, RATE_LIMIT_USER_PER_MINUTE=5)
    assert client.call("PUT", "/v1/me/watchlist", json={"symbols": watched}, sub="watcher").status_code == 200
    listing = "/v1/alerts?watchlist_only=true&min_score=0&limit=50"
    answers = [client.call("GET", listing, sub="watcher") for _ in range(3)]
    assert len(answers[0].get_json()["alerts"]) == 50
    assert [a.status_code for a in answers] == [200, 429, 429]  # the watchlist, then 1 + 3 for 400 read
    # since ends each query's reading too: the newest few alerts cost a few reads, not a batch each
    assert client.call("PUT", "/v1/me/watchlist", json={"symbols": watched}, sub="recent").status_code == 200
    newest = [client.call("GET", f"{listing}&since={NOW - 1}", sub="recent") for _ in range(5)]
    assert len(newest[0].get_json()["alerts"]) == 8  # two of each query's symbol
    assert [a.status_code for a in newest] == [200] * 4 + [429]


def test_a_suspended_admins_token_acts_as_admin_no_more(api: ApiClient) -> None:
    """A ban revokes the admin's sessions, but a token already issued lasts its 15 minutes: with
    it the banned admin could lift their own suspension, and notify would send to them again."""
    boss = f"boss-{time.time_ns()}"
    assert api.call("GET", "/v1/me", sub=boss, role="admin").status_code == 200
    assert api.call("PUT", f"/v1/users/{boss}/suspension", sub="admin-2", role="admin", json={}).status_code == 204
    own = api.call("DELETE", f"/v1/users/{boss}/suspension", sub=boss, role="admin")
    assert (own.status_code, error_of(own)) == (403, "account_suspended")
    assert api.call("GET", "/v1/me", sub=boss, role="admin").get_json()["suspended"] is not None
    assert api.call("DELETE", f"/v1/users/{boss}/suspension", sub="admin-2", role="admin").status_code == 204
    assert api.call("DELETE", f"/v1/users/{boss}/suspension", sub=boss, role="admin").status_code == 204


def test_a_new_minute_starts_a_new_window(emulators: Stack, jwks: JwksServer) -> None:
    del emulators
    now = [NOW]
    client = make_client(jwks, KEY, clock=lambda: now[0], RATE_LIMIT_USER_PER_MINUTE=1)
    assert [client.call("GET", "/v1/me/watchlist").status_code for _ in range(2)] == [200, 429]
    now[0] += 60
    assert client.call("GET", "/v1/me/watchlist").status_code == 200


def test_unauthenticated_routes_are_limited_per_client_ip(emulators: Stack, jwks: JwksServer) -> None:
    del emulators
    client = make_client(jwks, KEY, clock=lambda: NOW, RATE_LIMIT_IP_PER_MINUTE=2)
    hits = [client.http.get("/v1/openapi.json", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code for _ in range(3)]
    other = client.http.get("/v1/openapi.json", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert hits == [200, 200, 429]
    assert other.status_code == 200


def test_cors_answers_only_configured_origins(api: ApiClient) -> None:
    allowed = api.http.options(
        "/v1/alerts",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"},
    )
    assert allowed.status_code == 204
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
    refused = api.http.options(
        "/v1/alerts", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers
    response = api.call("GET", "/v1/me", headers={"Origin": "http://localhost:3000"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    # the web app's waits (Try again in N s) read it: a browser hides headers not exposed
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]
    foreign = api.call("GET", "/v1/me", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_bodies_that_are_not_json_too_big_or_malformed_are_client_errors(api: ApiClient) -> None:
    token = {"Authorization": f"Bearer {api.token()}"}
    wrong_type = api.http.patch("/v1/me/preferences", data="min_score=1", headers=token)
    assert (wrong_type.status_code, error_of(wrong_type)) == (415, "unsupported_media_type")
    broken = api.http.patch(
        "/v1/me/preferences", data="{not json", headers={**token, "Content-Type": "application/json"}
    )
    assert (broken.status_code, error_of(broken)) == (400, "bad_json")
    nan = api.http.patch(
        "/v1/me/preferences", data='{"min_score": NaN}', headers={**token, "Content-Type": "application/json"}
    )
    assert nan.status_code == 400
    huge = api.http.put(
        "/v1/me/watchlist",
        data='{"symbols": [' + ",".join(['"GME"'] * 20000) + "]}",
        headers={**token, "Content-Type": "application/json"},
    )
    assert (huge.status_code, error_of(huge)) == (413, "payload_too_large")
    chunked = api.http.put(  # no Content-Length: the server cannot refuse it up front
        "/v1/me/watchlist",
        input_stream=io.BytesIO(('{"symbols": [' + ",".join(['"GME"'] * 40000) + "]}").encode()),
        headers={**token, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert (chunked.status_code, error_of(chunked)) == (413, "payload_too_large")
    not_an_object = api.call("PATCH", "/v1/me/preferences", json=[1, 2])
    assert not_an_object.status_code == 422
    deep = api.http.post(  # small, but nested past the parser's recursion limit
        "/v1/alerts/GME-1/feedback",
        data="[" * 5000 + "]" * 5000,
        headers={**token, "Content-Type": "application/json"},
    )
    assert (deep.status_code, error_of(deep)) == (400, "bad_json")


def test_unknown_routes_and_methods_are_json_errors(api: ApiClient) -> None:
    assert error_of(api.call("GET", "/v1/nothing-here")) == "not_found"
    wrong_method = api.call("POST", "/v1/alerts")
    assert (wrong_method.status_code, error_of(wrong_method)) == (405, "method_not_allowed")
