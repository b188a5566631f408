"""The fault suite's comparison (devtools/chaos.py): what it calls equal and what it reports."""

import logging
from collections import Counter
from typing import Any

import pytest
from google.api_core import exceptions as gexc

from common.entrypoint import Delivery
from common.messages import ScrapeTick
from common.settings import Settings
from devtools.chaos import Case, Snapshot, bucket, canonical, differences, finished, outcome
from functions.dispatch.main import fan_out
from functions.dispatch.silence import Seen


def snapshot(
    docs: dict[str, object] | None = None,
    rows: list[str] | None = None,
    dead: dict[str, set[str]] | None = None,
    batches: tuple[int, ...] = (),
) -> Snapshot:
    return Snapshot(
        docs or {}, {"reddit_items": Counter(rows or []), "mentions": Counter()}, dead or {}, batches=batches
    )


def test_a_bucket_filled_in_another_order_is_the_same_bucket() -> None:
    first = bucket({"mentions": 3, "engagement": 0.1 + 0.2, "authors": ["b", "a"]})
    second = bucket({"mentions": 3, "engagement": 0.3, "authors": ["a", "b"]})
    assert first == second
    assert canonical({"at": 1.0000001}) == canonical({"at": 1.0})


def test_an_equal_run_has_no_differences() -> None:
    clean = snapshot({"alerts/X": {"level": 2}}, ["row-1", "row-2"])
    assert differences(clean, snapshot({"alerts/X": {"level": 2}}, ["row-2", "row-1"]), {}) == []


def test_a_row_archived_twice_is_reported_doubled_and_a_missing_one_lost() -> None:
    clean = snapshot(rows=["row-1", "row-2"])
    assert differences(clean, snapshot(rows=["row-1", "row-1", "row-2"]), {}) == ["reddit_items: 1 rows doubled"]
    assert differences(clean, snapshot(rows=["row-1"]), {}) == ["reddit_items: 1 rows lost"]


def test_a_changed_alert_names_the_document_and_field() -> None:
    clean = snapshot({"alerts/X": {"level": 2, "status": "escalated"}})
    [line] = differences(clean, snapshot({"alerts/X": {"level": 3, "status": "escalated"}}), {})
    assert line == "1 docs differ (e.g. alerts/X: level)"


def test_dead_letters_must_be_exactly_the_poison() -> None:
    clean = snapshot()
    expected = {"mentions-aggregate": {"p1", "p2"}}
    assert differences(clean, snapshot(dead={"mentions-aggregate": {"p1", "p2"}}), expected) == []
    assert differences(clean, snapshot(dead={"mentions-aggregate": {"p1"}}), expected) == [
        "mentions-aggregate: 1 poison messages not dead-lettered"
    ]
    assert differences(clean, snapshot(dead={"alerts-notify": {"m9"}}), {}) == [
        "alerts-notify: 1 messages dead-lettered unexpectedly"
    ]


def test_alerts_that_differ_say_when_the_breakout_was_counted_in_another_order() -> None:
    """The order is not compared (it is timing), but a reader of a differing row is told."""
    clean = snapshot({"alerts/X": {"level": 2}}, batches=(14, 16, 12))
    ok, text = outcome(clean, snapshot({"alerts/X": {"level": 3}}, batches=(16, 14, 12)), Case(), [])
    assert not ok
    assert text == "1 docs differ (e.g. alerts/X: level); breakout batches counted as 16,14,12, clean run 14,16,12"
    ok, text = outcome(clean, snapshot({"alerts/X": {"level": 2}}, batches=(16, 14, 12)), Case(), [])
    assert ok and text == "recovered, equal"


class RunDoc:
    """``runs/{run_id}`` in memory, reached through any collection and document path but
    ``config`` (absent: the defaults): what dispatch's fan-out reads and writes (its silence
    checks are left out: tests/integration/test_dispatch_fanout.py)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] | None = None

    def collection(self, name: str) -> "RunDoc":
        return RunDoc() if name == "config" else self

    def document(self, name: str) -> "RunDoc":
        return self

    def create(self, data: dict[str, Any]) -> None:
        if self.data is not None:
            raise gexc.AlreadyExists("run exists")  # type: ignore[no-untyped-call]
        self.data = dict(data)

    def update(self, data: dict[str, Any]) -> None:
        assert self.data is not None
        self.data.update(data)

    def get(self) -> "RunSnapshot":
        return RunSnapshot(self.data)


class RunSnapshot:
    def __init__(self, data: dict[str, Any] | None) -> None:
        self.exists, self.data = data is not None, dict(data or {})

    def get(self, field: str) -> Any:
        return self.data[field]

    def to_dict(self) -> dict[str, Any] | None:
        return self.data if self.exists else None


class Publisher:
    def publish_all(self, outgoing: Any, timeout: float = 60.0) -> list[str]:
        return [str(n) for n, _ in enumerate(outgoing)]


def test_the_harness_sees_dispatch_finish_a_tick_and_its_late_duplicate(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite waits for each tick's "done" line; one it does not recognise leaves the tick
    outstanding forever, and the late copy of a duplicated tick is never sent, nor reads for it."""
    looked: list[object] = []

    def look(*args: object, **kwargs: object) -> Seen:
        looked.append(args)
        return Seen([], {})  # no alert due

    monkeypatch.setattr("functions.dispatch.main.look", look)
    monkeypatch.setattr("functions.dispatch.main.check_silence", lambda *args, **kwargs: 0)
    monkeypatch.setattr("functions.dispatch.main.record_dispatched", lambda *args, **kwargs: None)
    run, tick = RunDoc(), ScrapeTick(run_id="chaos-07", subreddits=["stocks", "investing"])
    with caplog.at_level(logging.INFO, logger="functions.dispatch.main"):
        fan_out(tick, Delivery("161"), Settings(project_id="p"), run, Publisher(), now=1.0)  # type: ignore[arg-type]
        fan_out(tick, Delivery("162"), Settings(project_id="p"), run, Publisher(), now=2.0)  # type: ignore[arg-type]
    lines = [r.getMessage() for r in caplog.records if r.name == "functions.dispatch.main"]
    assert len(lines) == 2 and "already dispatched" in lines[1]
    assert len(looked) == 1  # the duplicate stopped before the silence reads
    assert all(finished("dispatch", line) for line in lines)
    assert not finished("dispatch", "firestore ops: 1 reads, 0 writes")


def test_a_copy_of_a_tick_too_late_to_publish_within_its_timeout_publishes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cloud Run does not stop a handler past its timeout; a copy may be taking the run over,
    so one that could not wait for its publishes within the timeout sends nothing and is
    retried (the takeover's lease assumes it)."""
    import time

    from functions.dispatch.main import PUBLISH_BY_S, StillDispatching

    monkeypatch.setattr("functions.dispatch.main.look", lambda *args, **kwargs: Seen([], {}))  # no alert due
    monkeypatch.setattr("functions.dispatch.main.check_silence", lambda *args, **kwargs: 0)
    sent: list[Any] = []

    class Recording(Publisher):
        def publish_all(self, outgoing: Any, timeout: float = 60.0) -> list[str]:
            sent.extend(outgoing)
            return []

    tick = ScrapeTick(run_id="late-01", subreddits=["stocks"])
    late = time.monotonic() - PUBLISH_BY_S - 1  # within the timeout, but too late to publish in it
    with pytest.raises(StillDispatching, match="before publishing"):
        fan_out(tick, Delivery("1"), Settings(project_id="p"), RunDoc(), Recording(), now=1.0, started=late)  # type: ignore[arg-type]
    assert sent == []


def test_the_silence_checks_wait_only_for_what_is_left_of_the_functions_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """They go out after the fetches: a stalled Pub/Sub must not hold the handler past its
    timeout (Cloud Run answers 504, the tick comes again). With no time left they wait for the
    next tick that sends."""
    import time

    from functions.dispatch.main import TIMEOUT_S

    given: list[float] = []

    def check(*args: object, deadline: float, **kwargs: object) -> int:
        given.append(deadline - time.monotonic())
        return 0

    monkeypatch.setattr("functions.dispatch.main.look", lambda *args, **kwargs: Seen([], {}))  # no alert due
    monkeypatch.setattr("functions.dispatch.main.check_silence", check)
    monkeypatch.setattr("functions.dispatch.main.record_dispatched", lambda *args, **kwargs: None)
    tick = ScrapeTick(run_id="quiet-01", subreddits=["stocks"])
    started = time.monotonic() - 30.0  # still in time to publish
    fan_out(tick, Delivery("1"), Settings(project_id="p"), RunDoc(), Publisher(), now=1.0, started=started)  # type: ignore[arg-type]
    # what is left of the timeout less its 5 s margin, to be counted after the checks' reads
    assert len(given) == 1 and TIMEOUT_S - 30.0 - 5.0 - 1.0 < given[0] <= TIMEOUT_S - 30.0 - 5.0
