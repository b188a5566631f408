"""Users' verdicts on alerts and the detection precision they measure, through the real
Firestore emulator: one verdict per user per alert, changeable, counted once whatever the
retries, and the admins' precision equal to a count by hand."""

import contextlib
import io
import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, cast

import pytest
import schemathesis
from google.cloud import firestore
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from common import log
from common.feedback import Verdict, day_start
from emulators.stack import Stack
from functions.api.store import FEEDBACK, FEEDBACK_COUNTS, Store
from tests.integration.test_api_fuzz import CHECKS
from tests.support import api as support
from tests.support.api import API_KEY, ApiClient, alert_doc, make_client, put_alert, put_ticker
from tests.support.jwks import JwksServer

KEY = API_KEY
DAY = 86400
MONDAY = 1_772_409_600  # 2026-03-02 00:00 UTC, data time
ADMIN_SUB = "admin-1"


def opened(symbol: str, at: float, kind: str = "organic", rule: str = "volume_spike_6h") -> str:
    doc = alert_doc(symbol, int(at // 3600), updated_at=at + 600, opened_at=at, kind=kind, rule=rule)
    put_alert(doc)
    return str(doc["alert_id"])


def judge(api: ApiClient, alert_id: str, user: str, verdict: str) -> dict[str, Any]:
    response = api.call("POST", f"/v1/alerts/{alert_id}/feedback", sub=user, json={"verdict": verdict})
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def stats(api: ApiClient, query: str) -> dict[str, Any]:
    response = api.call("GET", f"/v1/stats/detection?{query}", sub=ADMIN_SUB, role="admin")
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def counters(alert_id: str) -> dict[str, int]:
    doc = support.db().collection(FEEDBACK_COUNTS).document(alert_id).get().to_dict() or {}
    return {v: int(doc.get(v) or 0) for v in ("useful", "not_useful", "pump")}


def stored_verdicts(alert_id: str) -> dict[str, str]:
    votes = support.db().collection("alerts").document(alert_id).collection(FEEDBACK).stream()
    return {v.id: str((v.to_dict() or {})["verdict"]) for v in votes}


def test_precision_from_several_users_equals_a_count_by_hand(api: ApiClient) -> None:
    gme = opened("GME", MONDAY + 3600)
    amc = opened("AMC", MONDAY + 7200, kind="pump", rule="pump_risk>=0.5 on volume_spike_1h")
    tsla = opened("TSLA", MONDAY + DAY + 3600, rule="volume_spike_1h")
    opened("NVDA", MONDAY + 5 * 3600)  # nobody judges it: it says nothing about precision
    judge(api, gme, "ann", "useful")
    judge(api, gme, "bob", "not_useful")
    judge(api, gme, "bob", "useful")  # bob changes his mind: his not_useful no longer counts
    judge(api, gme, "cat", "pump")
    repeated = judge(api, gme, "cat", "pump")  # a retried request: counted once
    assert (repeated["changed"], repeated["previous"]) == (False, "pump")
    judge(api, amc, "ann", "pump")
    judge(api, amc, "bob", "useful")
    judge(api, tsla, "ann", "not_useful")

    # By hand. GME (organic, day 1): ann useful, bob useful, cat pump -> 2 of 3 agree.
    # AMC (pump, day 1): ann pump, bob useful -> 1 of 2. TSLA (organic, day 2): 0 of 1.
    assert counters(gme) == {"useful": 2, "not_useful": 0, "pump": 1}
    assert stored_verdicts(gme) == {"ann": "useful", "bob": "useful", "cat": "pump"}
    body = stats(api, "since=2026-03-02&until=2026-03-08")
    rows = [(r["period"], r["kind"], r["rule"], r["alerts"], r["correct"], r["precision"]) for r in body["rows"]]
    assert rows == [
        ("2026-03-02", "organic", "volume_spike_6h", 1, 2, round(2 / 3, 4)),
        ("2026-03-02", "pump", "pump_risk>=0.5 on volume_spike_1h", 1, 1, 0.5),
        ("2026-03-03", "organic", "volume_spike_1h", 1, 0, 0.0),
    ]
    totals = {t["kind"]: (t["useful"], t["not_useful"], t["pump"], t["precision"]) for t in body["totals"]}
    assert totals == {"organic": (2, 1, 1, 0.5), "pump": (1, 0, 1, 0.5)}  # organic: 2 of 4
    assert body["complete"] is True
    weekly = stats(api, "since=2026-03-02&until=2026-03-08&bucket=week")
    assert {r["period"] for r in weekly["rows"]} == {"2026-03-02"}
    assert stats(api, "since=2026-03-03&until=2026-03-03")["totals"] == [
        {
            "period": None,
            "kind": "organic",
            "rule": None,
            "alerts": 1,
            "useful": 0,
            "not_useful": 1,
            "pump": 0,
            "correct": 0,
            "precision": 0.0,
        }
    ]


def test_the_default_period_ends_on_the_day_of_the_newest_data(api: ApiClient) -> None:
    gme = opened("GME", MONDAY + 3600)
    judge(api, gme, "ann", "useful")
    put_ticker("GME", MONDAY + 2 * DAY, {"1h": 3})
    body = stats(api, "")
    assert (body["since"], body["until"]) == ("2026-02-03", "2026-03-04")
    assert [t["precision"] for t in body["totals"]] == [1.0]


def test_an_alert_reclassified_as_a_pump_is_judged_by_its_kind_now(api: ApiClient) -> None:
    gme = opened("GME", MONDAY + 3600)
    judge(api, gme, "ann", "pump")
    assert stats(api, "since=2026-03-02&until=2026-03-02")["totals"][0]["precision"] == 0.0
    opened("GME", MONDAY + 3600, kind="pump")  # detect turns the episode into a pump
    assert stats(api, "since=2026-03-02&until=2026-03-02")["totals"][0]["precision"] == 1.0


def test_a_withdrawn_verdict_leaves_the_counts_and_withdrawing_twice_is_harmless(api: ApiClient) -> None:
    gme = opened("GME", MONDAY + 3600)
    judge(api, gme, "ann", "not_useful")
    assert api.call("DELETE", f"/v1/alerts/{gme}/feedback", sub="ann").status_code == 204
    assert api.call("DELETE", f"/v1/alerts/{gme}/feedback", sub="ann").status_code == 204
    assert counters(gme) == {"useful": 0, "not_useful": 0, "pump": 0}
    assert stored_verdicts(gme) == {}
    assert judge(api, gme, "ann", "useful")["previous"] is None


def test_an_alert_reads_back_the_callers_own_verdict_only(api: ApiClient) -> None:
    gme = opened("GME", MONDAY + 3600)

    def mine(user: str) -> object:
        response = api.call("GET", f"/v1/alerts/{gme}", sub=user)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["your_verdict"]

    assert mine("ann") is None
    judge(api, gme, "ann", "pump")
    judge(api, gme, "bob", "useful")
    assert (mine("ann"), mine("bob"), mine("cat")) == ("pump", "useful", None)
    assert api.call("DELETE", f"/v1/alerts/{gme}/feedback", sub="ann").status_code == 204
    assert (mine("ann"), mine("bob")) == (None, "useful")


def test_concurrent_changes_by_one_user_leave_counters_equal_to_the_stored_verdict(api: ApiClient) -> None:
    gme = opened("GME", MONDAY + 3600)
    verdicts = ["useful", "not_useful", "pump"] * 3
    statuses: list[int] = []

    def send(verdict: str) -> None:
        response = api.call("POST", f"/v1/alerts/{gme}/feedback", sub="ann", json={"verdict": verdict})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send, args=(v,)) for v in verdicts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {200, 409} and 200 in statuses
    final = stored_verdicts(gme)["ann"]
    assert counters(gme) == {v: int(v == final) for v in ("useful", "not_useful", "pump")}


class Interleaved:
    """The store's Firestore client, except that before its first batch another request
    changes the same user's verdict: the moment between our read and our commit."""

    def __init__(self, db: firestore.Client, meanwhile: Callable[[], object]) -> None:
        self.db, self.meanwhile, self.batches = db, meanwhile, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)

    def batch(self) -> Any:
        self.batches += 1
        if self.batches == 1:
            self.meanwhile()
        return self.db.batch()


@pytest.mark.parametrize("before", [None, "useful"], ids=["first verdict", "changed verdict"])
def test_a_verdict_changed_between_our_read_and_our_commit_is_decided_again(
    emulators: Stack, before: Verdict | None
) -> None:
    del emulators
    gme = opened("GME", MONDAY + 3600)
    db = support.db()
    if before is not None:
        Store(db).set_feedback(gme, "ann", before)
    racing = Interleaved(db, lambda: Store(db).set_feedback(gme, "ann", "pump"))
    change = Store(cast(firestore.Client, racing)).set_feedback(gme, "ann", "not_useful")
    assert racing.batches == 2  # the first commit failed on its precondition, the second read saw "pump"
    assert change is not None and (change.previous, change.verdict) == ("pump", "not_useful")
    assert counters(gme) == {"useful": 0, "not_useful": 1, "pump": 0}
    assert stored_verdicts(gme) == {"ann": "not_useful"}


def test_feedback_on_an_unknown_alert_is_404_and_a_bad_verdict_is_422(api: ApiClient) -> None:
    missing = api.call("POST", "/v1/alerts/NOPE-1/feedback", json={"verdict": "useful"})
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "not_found")
    assert api.call("DELETE", "/v1/alerts/NOPE-1/feedback").status_code == 404
    gme = opened("GME", MONDAY + 3600)
    for body in ({"verdict": "great"}, {}, {"verdict": "useful", "why": "x"}, {"verdict": None}):
        bad = api.call("POST", f"/v1/alerts/{gme}/feedback", json=body)
        assert (bad.status_code, bad.get_json()["error"]["code"]) == (422, "invalid_request")
    assert support.db().collection(FEEDBACK_COUNTS).document(gme).get().exists is False


def test_only_admins_read_the_stats_and_a_bad_period_is_422(api: ApiClient) -> None:
    forbidden = api.call("GET", "/v1/stats/detection")
    assert (forbidden.status_code, forbidden.get_json()["error"]["code"]) == (403, "forbidden")
    for query in (
        "since=2026-03-09&until=2026-03-02",
        "since=2024-01-01&until=2026-03-02",
        "since=2026-02-30",
        "until=yesterday",
        "since=0001-01-01",
        "bucket=month",
        "until=9999-12-31",
        "since=1704067200&until=1704153600",  # seconds that fall on midnights are no days either
    ):
        response = api.call("GET", f"/v1/stats/detection?{query}", sub=ADMIN_SUB, role="admin")
        assert response.status_code == 422, query
        assert response.get_json()["error"]["code"] == "invalid_request"


def test_feedback_is_rate_limited_like_every_route(emulators: Stack, jwks: JwksServer) -> None:
    del emulators
    limited = make_client(jwks, KEY, clock=lambda: float(MONDAY), RATE_LIMIT_USER_PER_MINUTE=2)
    gme = opened("GME", MONDAY + 3600)
    codes = [
        limited.call("POST", f"/v1/alerts/{gme}/feedback", sub="eve", json={"verdict": "useful"}).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]


def test_each_recorded_verdict_is_one_info_line_with_kind_rule_and_verdict(
    api: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    gme = opened("GME", MONDAY + 3600)
    with caplog.at_level(logging.INFO, logger="functions.api.feedback_routes"):
        judge(api, gme, "ann", "not_useful")
        judge(api, gme, "ann", "not_useful")  # unchanged: not counted, not logged
        judge(api, gme, "ann", "useful")
    lines = [getattr(r, "json_fields", {}) for r in caplog.records if r.getMessage().startswith("feedback recorded")]
    assert [(f["kind"], f["rule"], f["verdict"], f["correct"]) for f in lines] == [
        ("organic", "volume_spike_6h", "not_useful", False),
        ("organic", "volume_spike_6h", "useful", True),
    ]
    assert all(r.levelname == "INFO" for r in caplog.records if r.getMessage().startswith("feedback"))


def test_the_line_as_cloud_logging_reads_it_names_the_function_and_the_route(api: ApiClient) -> None:
    gme = opened("GME", MONDAY + 3600)
    stream = io.StringIO()
    handler = log.json_handler(stream)
    logger = logging.getLogger("functions.api.feedback_routes")
    logger.addHandler(handler)
    try:
        with caplog_level(logger, logging.INFO):
            judge(api, gme, "ann", "pump")
    finally:
        logger.removeHandler(handler)
    (line,) = [
        e for e in map(json.loads, stream.getvalue().splitlines()) if str(e.get("message")).startswith("feedback")
    ]
    assert line["severity"] == "INFO" and line["message"].startswith("feedback recorded")
    assert (line["function"], line["route"], line["operation"]) == (  # K_SERVICE names the function in production
        "local",
        "/v1/alerts/<alert_id>/feedback",
        "give_feedback",
    )
    assert (line["kind"], line["rule"], line["verdict"], line["correct"]) == (
        "organic",
        "volume_spike_6h",
        "pump",
        False,
    )


def test_stats_from_a_day_the_data_has_not_reached_are_empty_rather_than_an_error(api: ApiClient) -> None:
    judge(api, opened("GME", MONDAY), "ann", "useful")
    body = stats(api, "since=2099-01-01")  # until defaults to the data's newest day, long before
    assert (body["since"], body["until"], body["totals"]) == ("2099-01-01", "2099-01-01", [])


def test_the_stats_read_only_the_alerts_opened_in_the_period(api: ApiClient) -> None:
    before = opened("GME", MONDAY - 1)
    inside = opened("AMC", MONDAY)
    after = opened("TSLA", day_start(date(2026, 3, 3)))
    for alert_id in (before, inside, after):
        judge(api, alert_id, "ann", "useful")
    body = stats(api, "since=2026-03-02&until=2026-03-02")
    assert [t["alerts"] for t in body["totals"]] == [1]


def test_generated_verdicts_on_a_real_alert_and_generated_periods_get_only_documented_answers(
    api: ApiClient,
) -> None:
    """The fuzz test meets the feedback routes mostly with unknown alerts (404); here
    Schemathesis's requests are aimed at a real one, and the stats see real counters."""
    gme = opened("GME", MONDAY + 3600)
    judge(api, gme, "ann", "pump")
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", api.app)
    admin = {"Authorization": f"Bearer {api.token(sub='fuzzer', role='admin')}"}
    wanted = {("/v1/alerts/{alert_id}/feedback", "POST"), ("/v1/alerts/{alert_id}/feedback", "DELETE")}
    wanted.add(("/v1/stats/detection", "GET"))
    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]
    chosen = [op for op in operations if (op.path, op.method.upper()) in wanted]
    assert len(chosen) == 3
    statuses: set[int] = set()
    for operation in chosen:

        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def exercise(case: Any) -> None:
            if "alert_id" in (case.path_parameters or {}):
                case.path_parameters = {"alert_id": gme}
            response = case.call_and_validate(headers=admin, checks=CHECKS)
            statuses.add(response.status_code)

        exercise()
    assert {200, 204} <= statuses
    final = stored_verdicts(gme)
    assert sum(counters(gme).values()) == len(final)
    assert counters(gme) == {v: list(final.values()).count(v) for v in ("useful", "not_useful", "pump")}


@contextlib.contextmanager
def caplog_level(logger: logging.Logger, level: int) -> Iterator[None]:
    before = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(before)
