"""The API's pure parts: the generated OpenAPI document, cursors, the history seam, the
trusted client address."""

import base64
import json
from typing import Any

import pytest
from flask import Flask
from google.api_core import exceptions as gexc
from pydantic import BaseModel, ValidationError

from common.adapters import bigquery as bq
from common.settings import Settings
from functions.api import models as m
from functions.api.app import client_ip
from functions.api.errors import ApiError
from functions.api.history import HistoryReader, counted
from functions.api.openapi import API, document
from functions.api.ratelimit import RateLimiter, _doc_id
from functions.api.store import decode_cursor, encode_cursor

SPEC = document(API, title="t", version="1")


def test_every_declared_route_is_in_the_document_with_its_method() -> None:
    declared = {(op.path, op.method.lower()) for op in API.operations}
    documented = {(path, method) for path, item in SPEC["paths"].items() for method in item}
    assert declared == documented
    assert ("/v1/alerts", "get") in documented
    assert ("/v1/config/detection/preview", "post") in documented


def test_request_bodies_are_the_schemas_of_the_models_the_code_validates() -> None:
    body = SPEC["paths"]["/v1/me/preferences"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[1]
    expected = m.PreferencesPatch.model_json_schema(ref_template="#/components/schemas/{model}")
    assert SPEC["components"]["schemas"][name]["properties"] == expected["properties"]


def test_query_parameters_come_from_the_query_model_without_null() -> None:
    params = {p["name"]: p for p in SPEC["paths"]["/v1/alerts"]["get"]["parameters"]}
    assert set(params) == set(m.AlertQuery.model_fields)
    assert params["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 20,
        "title": "Limit",
    }
    assert params["status"]["schema"]["enum"] == ["open", "escalated", "resolved"]
    assert all("null" not in str(p["schema"]) for p in params.values())


@pytest.mark.parametrize(
    ("name", "model", "field"),
    [
        ("PreferencesPatch", m.PreferencesPatch, "min_score"),
        ("DetectionConfigChanges", m.DetectionConfigChanges, "min_authors"),
    ],
)
def test_a_patch_may_leave_a_field_out_but_not_send_it_null(name: str, model: type[BaseModel], field: str) -> None:
    """As the server answers: a null field is 422, so the document must not offer it (as a
    type, or as the default a generated client sends)."""
    patch = SPEC["components"]["schemas"][name]
    assert set(patch["properties"]) == set(model.model_fields) and not patch.get("required")
    assert all("null" not in str(f) and "default" not in f for f in patch["properties"].values())
    with pytest.raises(ValidationError, match=field):
        model.model_validate({field: None})


def test_authenticated_routes_document_401_and_429_with_retry_after() -> None:
    alerts = SPEC["paths"]["/v1/alerts"]["get"]
    assert alerts["security"] == [{"bearer": []}]
    assert {"200", "400", "401", "422", "429"} <= set(alerts["responses"])
    assert "Retry-After" in alerts["responses"]["429"]["headers"]
    assert "security" not in SPEC["paths"]["/v1/health"]["get"]
    assert "403" in SPEC["paths"]["/v1/config/detection"]["put"]["responses"]


def test_a_cursor_round_trips_and_anything_else_is_a_400() -> None:
    assert decode_cursor(encode_cursor(1_760_000_000.5, "GME-4")) == (1_760_000_000.5, "GME-4")
    huge = base64.urlsafe_b64encode(json.dumps({"u": 10**309, "i": "x"}).encode()).decode()  # no float holds it
    for bad in ["", "!!!", "bnVsbA", "eyJ1IjogdHJ1ZSwgImkiOiAieCJ9", "W10", huge]:
        with pytest.raises(ApiError) as caught:
            decode_cursor(bad)
        assert caught.value.status == 400


class Source:
    def __init__(self, name: str) -> None:
        self.name = name
        self.asked: list[tuple[int, int]] = []

    def hours(self, symbol: str, start_utc: int, end_utc: int) -> list[dict[str, Any]]:
        self.asked.append((start_utc, end_utc))
        return [{"hour": "x", "start_utc": start_utc}]


def test_long_ranges_go_to_the_archive_when_there_is_one() -> None:
    recent, archive = Source("firestore"), Source("archive")
    reader = HistoryReader(recent=recent, archive=archive, recent_hours=48)
    assert reader.read("GME", 0, 47 * 3600, now=47 * 3600)[:2] == ("firestore", True)
    assert reader.read("GME", 0, 48 * 3600, now=48 * 3600)[:2] == ("archive", True)
    assert HistoryReader(recent=recent, recent_hours=48).read("GME", 0, 90 * 3600, now=90 * 3600)[:2] == (
        "firestore",
        True,
    )
    kept = HistoryReader(recent=recent, recent_hours=48, recent_keeps_hours=72)
    assert kept.read("GME", 0, 90 * 3600, now=90 * 3600)[:2] == ("firestore", False)


def test_an_archive_answer_takes_its_newest_hours_from_firestore_which_the_archive_may_lag() -> None:
    recent, archive = Source("firestore"), Source("archive")
    reader = HistoryReader(recent=recent, archive=archive, recent_hours=48, fresh_hours=6)
    end = 90 * 3600
    source, _, rows = reader.read("GME", 0, end, now=end)
    assert source == "archive" and archive.asked == [(0, end - 6 * 3600)] and recent.asked == [(end - 5 * 3600, end)]
    assert [r["start_utc"] for r in rows] == [0, end - 5 * 3600]  # oldest first, as each source answers


def test_a_range_longer_than_the_archive_keeps_is_read_whole_from_firestore_or_said_incomplete() -> None:
    """The archive's partitions expire after HISTORY_RETENTION_DAYS: a longer range from it
    would miss its oldest days while saying it was complete."""
    recent, archive = Source("firestore"), Source("archive")
    expiring = HistoryReader(recent=recent, archive=archive, recent_hours=48, archive_keeps_hours=72)
    assert expiring.read("GME", 0, 60 * 3600, now=60 * 3600)[:2] == ("archive", True)
    assert expiring.read("GME", 0, 90 * 3600, now=90 * 3600)[:2] == ("firestore", True)  # Firestore keeps every hour
    both = HistoryReader(recent=recent, archive=archive, recent_hours=48, recent_keeps_hours=60, archive_keeps_hours=72)
    assert both.read("GME", 0, 90 * 3600, now=90 * 3600)[:2] == ("archive", False)  # neither keeps it whole
    # expiry goes by age: sixty hours of a ticker silent for a day reach back 84 hours
    assert expiring.read("GME", 0, 60 * 3600, now=84 * 3600)[:2] == ("firestore", True)
    # and by whole days: a range from 23:00 is in a partition that began 23 hours earlier
    late = 23 * 3600
    assert expiring.read("GME", late, late + 49 * 3600, now=late + 50 * 3600)[:2] == ("firestore", True)


class Hours:
    """A source holding ``mentions`` per hour start."""

    def __init__(self, name: str, mentions: dict[int, int]) -> None:
        self.name, self.mentions = name, mentions
        self.asked: list[tuple[int, int]] = []

    def hours(self, symbol: str, start_utc: int, end_utc: int) -> list[dict[str, Any]]:
        self.asked.append((start_utc, end_utc))
        return [
            {"start_utc": h, "mentions": n, "source": self.name}
            for h, n in sorted(self.mentions.items())
            if start_utc <= h <= end_utc
        ]


class Days:
    def __init__(self, hours: dict[int, int]) -> None:
        self.totals: dict[int, int] = {}
        for h, n in hours.items():
            self.totals[h - h % 86400] = self.totals.get(h - h % 86400, 0) + n

    def day_mentions(self, symbol: str, start_utc: int, end_utc: int) -> dict[int, int]:
        return {d: n for d, n in self.totals.items() if start_utc <= d <= end_utc}


class BrokenDays:
    def day_mentions(self, symbol: str, start_utc: int, end_utc: int) -> dict[int, int]:
        raise RuntimeError("Firestore unavailable")


def test_a_day_the_archive_holds_fewer_mentions_of_than_aggregate_counted_is_read_from_firestore() -> None:
    """A batch held in the dead-letter hold and never replayed leaves the archive short: the
    chart would show a fall that never happened, and call itself complete."""
    day = 86400
    counted = {d * day + 12 * 3600: 5 for d in range(10)} | {3 * day + 13 * 3600: 2}
    archived = {h: n for h, n in counted.items() if h // day != 3} | {3 * day + 12 * 3600: 5}  # day 3 lost a batch
    archived[6 * day + 12 * 3600] = 9  # more than aggregate counted (items too old for it): the archive's
    recent, archive = Hours("firestore", counted), Hours("archive", archived)
    reader = HistoryReader(recent=recent, archive=archive, days=Days(counted), recent_hours=48, fresh_hours=6)
    end = 9 * day + 12 * 3600
    source, complete, rows = reader.read("GME", day + 12 * 3600, end, now=end)
    assert (source, complete) == ("archive", True)
    assert [(r["start_utc"] // day, r["mentions"], r["source"]) for r in rows] == [
        (1, 5, "archive"),
        (2, 5, "archive"),
        (3, 5, "firestore"),
        (3, 2, "firestore"),
        (4, 5, "archive"),
        (5, 5, "archive"),
        (6, 9, "archive"),
        (7, 5, "archive"),
        (8, 5, "archive"),
        (9, 5, "firestore"),  # the newest hours are Firestore's anyway
    ]
    assert (3 * day, 4 * day - 3600) in recent.asked
    # more short days than one answer reads hour by hour: the newest mended, the answer incomplete
    many = HistoryReader(recent=recent, archive=Hours("archive", {}), days=Days(counted), recent_hours=48)
    source, complete, rows = many.read("GME", 0, end, now=end)
    assert (source, complete) == ("archive", False)
    assert sorted({r["start_utc"] // day for r in rows}) == [
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
    ]  # day 9 whole: its newest hour fresh
    # day buckets unreadable: the archive's answer, unchecked, so not said complete
    assert HistoryReader(recent=recent, archive=archive, days=BrokenDays(), recent_hours=48).read(
        "GME", 0, end, now=end
    )[:2] == ("archive", False)


def test_only_the_last_forwarded_address_is_trusted() -> None:
    app = Flask("t")
    with app.test_request_context("/", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}):
        assert client_ip() == "203.0.113.9"
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        assert client_ip() == "10.1.2.3"


def test_an_ipv6_caller_is_limited_as_its_whole_subnet() -> None:
    # one subscriber holds a /64: each of its addresses would otherwise be a fresh caller
    app = Flask("t")
    for address in ("2001:db8:1:2::1", "2001:DB8:1:2:ffff:ffff:ffff:fffe"):
        with app.test_request_context("/", headers={"X-Forwarded-For": address}):
            assert client_ip() == "2001:db8:1:2::/64"
    with app.test_request_context("/", headers={"X-Forwarded-For": "::ffff:203.0.113.9"}):
        assert client_ip() == "203.0.113.9"
    with app.test_request_context("/", headers={"X-Forwarded-For": "not-an-address"}):
        assert client_ip() == "not-an-address"
    # a relay's or translator's /64 holds many callers: each is the IPv4 address it carries
    for relayed, caller in (
        ("64:ff9b::cb00:7109", "203.0.113.9"),  # NAT64
        ("2002:cb00:7109::1", "203.0.113.9"),  # 6to4: the whole /48 is one site
        ("2002:cb00:7109:ffff::abcd", "203.0.113.9"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.45"),  # Teredo: its client, not its server
    ):
        with app.test_request_context("/", headers={"X-Forwarded-For": relayed}):
            assert client_ip() == caller


class FirestoreDown:
    def collection(self, name: str) -> Any:
        raise gexc.ServiceUnavailable("emulator gone")  # type: ignore[no-untyped-call]


def test_a_rate_limit_store_outage_lets_requests_through_instead_of_failing_them() -> None:
    RateLimiter(FirestoreDown(), clock=lambda: 0.0).check("user:x", limit=1)  # type: ignore[arg-type]


class Broken(Source):
    def hours(self, symbol: str, start_utc: int, end_utc: int) -> list[dict[str, Any]]:
        raise RuntimeError("BigQuery unavailable")


def test_an_archive_outage_degrades_long_history_to_what_firestore_has() -> None:
    recent = Source("firestore")
    reader = HistoryReader(recent=recent, archive=Broken("archive"), recent_hours=48)
    source, complete, rows = reader.read("GME", 0, 90 * 3600, now=90 * 3600)
    assert (source, complete) == ("firestore", True)  # Firestore keeps every hour: only dearer to read
    assert rows == [{"hour": "x", "start_utc": 0}]
    kept = HistoryReader(recent=recent, archive=Broken("archive"), recent_hours=48, recent_keeps_hours=72)
    assert kept.read("GME", 0, 90 * 3600, now=90 * 3600)[:2] == ("firestore", False)  # a range past what it keeps
    assert kept.read("GME", 0, 60 * 3600, now=60 * 3600)[:2] == ("firestore", True)


def test_a_test_email_the_relay_refuses_for_good_is_reported_as_refused_not_a_500() -> None:
    from types import SimpleNamespace

    from common import notify
    from common.adapters.channels import Refused
    from common.settings import Settings
    from functions.api.auth import Principal
    from functions.api.notify_routes import _test_email

    class Relay:
        def email(self, message: Any) -> None:
            raise Refused("550 no such user", status=550)

    svc: Any = SimpleNamespace(settings=Settings())
    settings = notify.NotificationSettings(email=True)
    user = Principal(sub="u1", email="nobody@example.com")
    outcome = _test_email(Relay(), settings, {}, user, svc)  # type: ignore[arg-type]
    assert (outcome.outcome, outcome.status) == ("refused", 550)


def test_an_account_that_confirms_its_address_is_marked_confirmed_on_the_same_instance() -> None:
    """touch_user remembers each user per instance: a newly confirmed address still gets written."""
    from functions.api.auth import Principal
    from functions.api.store import Store

    class Doc:
        def __init__(self) -> None:
            self.data: dict[str, Any] = {"email": "old@example.com"}  # made before confirmation existed
            self.writes: list[dict[str, Any]] = []

        exists = True

        def get(self) -> "Doc":
            return self

        def to_dict(self) -> dict[str, Any]:
            return self.data

        def create(self, data: dict[str, Any]) -> None:
            raise gexc.AlreadyExists("exists")  # type: ignore[no-untyped-call]

        def update(self, data: dict[str, Any]) -> None:
            self.writes.append(data)

    doc = Doc()

    class NoTombstone:  # deleted_users/{sub}: this account was never deleted
        exists = False

        def document(self, name: str) -> "NoTombstone":
            return self

        def get(self) -> "NoTombstone":
            return self

    class Db:
        def collection(self, name: str) -> Any:
            return NoTombstone() if name == "deleted_users" else self

        def document(self, name: str) -> Doc:
            return doc

    store = Store(Db())  # type: ignore[arg-type]
    store.touch_user(Principal(sub="u1"))  # signed in unconfirmed: nothing to record
    store.touch_user(Principal(sub="u1"))
    assert doc.writes == []
    store.touch_user(Principal(sub="u1", email="old@example.com"))  # confirmed, same instance
    store.touch_user(Principal(sub="u1", email="old@example.com"))
    assert doc.writes == [{"email": "old@example.com", "email_verified": True}]


class SlowArchive:
    """A BigQuery client whose every query takes ``seconds`` of a fake clock to answer, and
    which records the waits it was allowed; a wait shorter than that ends in TimeoutError, as
    the client's own does."""

    def __init__(self, seconds: float) -> None:
        self.now, self.seconds = 0.0, seconds
        self.timeouts: list[float] = []
        self.retried_for: list[float] = []  # each call's retry deadline

    def query(self, sql: str, **options: Any) -> "SlowArchive":
        self.timeouts.append(options["timeout"])
        self.billed_max = options["job_config"].maximum_bytes_billed
        self.retried_for.append(options["retry"].deadline)
        return self

    def result(self, **options: Any) -> list[Any]:
        self.timeouts.append(options["timeout"])
        self.retried_for.append(options["retry"].deadline)
        self.now += min(self.seconds, options["timeout"])
        if self.seconds > options["timeout"]:
            raise TimeoutError("no answer in time")
        return []


def test_the_archives_reads_for_one_answer_share_one_time_budget() -> None:
    # a request (the job's insert) takes at most half of what is left, so a retry still fits;
    # waiting for the job's result may take all of it; never the 30 s a request alone may take
    slow = SlowArchive(seconds=12.0)
    with pytest.raises(TimeoutError):  # the first query took 12 s of 20: the second may wait 8
        bq.hourly_mentions(slow, Settings(project_id="t"), "GME", 0, 7200, budget_s=20.0, clock=lambda: slow.now)
    assert slow.timeouts == [10.0, 20.0, 4.0, 8.0]
    spent = SlowArchive(seconds=19.5)
    with pytest.raises(TimeoutError):  # half a second left: the second query is not even sent
        bq.hourly_mentions(spent, Settings(project_id="t"), "GME", 0, 7200, budget_s=20.0, clock=lambda: spent.now)
    assert spent.timeouts == [10.0, 20.0]
    quick = SlowArchive(seconds=3.0)
    bq.hourly_mentions(quick, Settings(project_id="t"), "GME", 0, 7200, budget_s=20.0, clock=lambda: quick.now)
    assert quick.timeouts == [10.0, 20.0, 8.5, 17.0]  # the second query gets what the first left
    # a request's retry ends one timeout before the budget; a wait's polls are not retried (each
    # poll may take the whole wait): neither can run past the budget
    assert quick.retried_for == [10.0, 0.0, 8.5, 0.0]
    assert quick.billed_max == bq.API_QUERY_BYTES_MAX  # a user's request cannot run up the bill


def test_an_archive_past_its_budget_degrades_long_history_to_what_firestore_has() -> None:
    slow = SlowArchive(seconds=25.0)
    archive = bq.BigQueryHours(Settings(project_id="t"), client=slow, budget_s=20.0)
    reader = HistoryReader(recent=Source("firestore"), archive=archive, recent_hours=48, recent_keeps_hours=72)
    assert reader.read("GME", 0, 90 * 3600, now=90 * 3600)[:2] == ("firestore", False)


def test_an_hour_is_kept_as_its_counts_as_it_is_read() -> None:
    """A busy hour's authors (a thousand names, or the sketch past that) are read as how many:
    a long history from Firestore never holds them all at once."""
    names = {"mentions": 3, "authors": ["a", "b", "c"], "hour": "2026010100"}
    assert counted(names) == {"mentions": 3, "hour": "2026010100", "distinct_authors": 3}
    sketch = {"mentions": 5000, "authors": ["a"] * 1000, "authors_overflow": True, "hll": {"0": 1}}
    kept = counted(sketch)
    assert "authors" not in kept and "hll" not in kept and kept["distinct_authors"] >= 1
    archived = {"mentions": 2, "distinct_authors": 2}
    assert counted(archived) == archived == counted(counted(archived))


def test_a_config_patch_is_documented_with_each_thresholds_own_bounds_and_checked_by_them() -> None:
    """What PATCH /v1/config/detection accepts field by field is what the spec says: the
    threshold's type and bounds, no null (a change left out is the way to keep a value)."""
    schema = SPEC["components"]["schemas"]["DetectionConfigChanges"]["properties"]["pump_risk_max"]
    assert (schema["type"], schema["minimum"], schema["maximum"]) == ("number", 0.0, 1.0)
    for refused in ({"pump_risk_max": None}, {"pump_risk_max": 5.0}):
        with pytest.raises(ValidationError):
            m.DetectionConfigChanges.model_validate(refused)
    assert m.DetectionConfigChanges.model_validate({"pump_risk_max": 0.4}).model_dump(exclude_unset=True) == {
        "pump_risk_max": 0.4
    }


def test_the_test_send_documents_the_suspended_accounts_403() -> None:
    responses = SPEC["paths"]["/v1/me/notifications/test"]["post"]["responses"]
    assert "403" in responses and "suspended" in responses["403"]["description"]


def test_a_second_preview_while_one_runs_on_the_instance_is_a_503_that_says_when_to_retry() -> None:
    """An instance serves several requests at once; two previews together would outrun the
    timeout and the memory one is sized for."""
    import threading

    from common.detection_config import DEFAULT_CONFIG
    from functions.api.preview import PREVIEW_RETRY_AFTER_S, make_backtest

    reading, release = threading.Event(), threading.Event()

    class SlowStore:
        def stream_hours(self, symbol: str, start_utc: int, end_utc: int) -> Any:
            reading.set()
            release.wait(10)
            return iter(())

        def stored_crowds(self, start_utc: int, end_utc: int) -> dict[int, Any]:
            return {}

        def collection_began(self) -> None:
            return None

    backtest = make_backtest(Settings(), SlowStore())  # type: ignore[arg-type]
    assert backtest is not None
    first = threading.Thread(target=backtest, args=([DEFAULT_CONFIG], ["GME"], 0, 3600))
    first.start()
    assert reading.wait(10)
    with pytest.raises(ApiError) as busy:
        backtest([DEFAULT_CONFIG], ["GME"], 0, 3600)
    assert (busy.value.status, busy.value.code) == (503, "preview_busy")
    assert busy.value.headers == {"Retry-After": str(PREVIEW_RETRY_AFTER_S)}
    release.set()
    first.join(10)
    assert backtest([DEFAULT_CONFIG], ["GME"], 0, 3600) == ([[]], ["GME"])  # done: the next one runs


def test_rate_limit_keys_spelled_alike_in_a_document_id_count_apart() -> None:
    long = "user:" + "a" * 300
    ids = {_doc_id(k, 7) for k in ("user:a b", "user:a_b", "user:a/b", long, long + "b", "user:é")}
    assert len(ids) == 6 and "user:a_b-7" in ids  # a key a document id may be is kept as it is
    assert all(len(i) <= 200 and "/" not in i for i in ids)
