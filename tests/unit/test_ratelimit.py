"""The rate limiter's bookkeeping against an in-memory stand-in for the counter document: when a
request waits on the shared write, and how far instances that have not heard of each other
can stray from the limit. The emulator tests in tests/integration/test_api.py cover the
real ``Increment`` commit."""

import threading
import time
from collections import defaultdict
from types import SimpleNamespace

import pytest
from google.api_core import exceptions as gexc

from functions.api.errors import ApiError
from functions.api.ratelimit import INSTANCES, RateLimiter, slice_size


class Counters:
    """``collection().document().set({"count": Increment(n)}, merge=True)`` and its result,
    as the Firestore client answers them; ``gate`` holds every write until it is set."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.writes = 0
        self.gate = gate
        self.lock = threading.Lock()

    def collection(self, name: str) -> "Counters":
        return self

    def document(self, doc_id: str) -> SimpleNamespace:
        return SimpleNamespace(set=lambda data, merge, retry, timeout: self._add(doc_id, data["count"].value))

    def _add(self, doc_id: str, count: int) -> SimpleNamespace:
        if self.gate is not None:
            self.gate.wait()
        with self.lock:
            self.writes += 1
            self.counts[doc_id] += count
            return SimpleNamespace(transform_results=[SimpleNamespace(integer_value=self.counts[doc_id])])

    def settled(self, doc_id: str, at_least: int) -> int:
        deadline = time.monotonic() + 5
        while self.counts[doc_id] < at_least and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.counts[doc_id]


def admitted(limiter: RateLimiter, limit: int) -> bool:
    try:
        limiter.check("user:u", limit)
    except ApiError as refused:
        assert refused.status == 429
        return False
    return True


def limiter(db: Counters) -> RateLimiter:
    return RateLimiter(db, clock=lambda: 30.0)  # type: ignore[arg-type]


def test_one_instance_writes_a_fraction_of_its_requests_and_reports_them_all() -> None:
    db = Counters()
    one = limiter(db)
    assert all(admitted(one, 100_000) for _ in range(300))
    size = slice_size(100_000)
    assert db.settled("user:u-0", 300 - size) >= 300 - size  # at most one slice still unreported
    assert db.writes <= 300 // size


def test_requests_wait_on_a_stalled_report_only_once_a_slice_is_pending() -> None:
    gate = threading.Event()
    one = limiter(Counters(gate))
    size = slice_size(100_000)  # a report leaves with a full slice; another may pile up behind it
    try:
        assert all(admitted(one, 100_000) for _ in range(2 * size))
        late = threading.Thread(target=admitted, args=(one, 100_000))
        late.start()
        late.join(timeout=0.3)
        assert late.is_alive()  # the next one waits for the report that is out
    finally:
        gate.set()  # else the stalled report keeps the interpreter from exiting
    late.join(timeout=5)
    assert not late.is_alive()


@pytest.mark.parametrize("limit", [4, 120, 1000])
def test_instances_that_share_one_caller_stay_within_two_slices_each_of_the_limit(limit: int) -> None:
    db = Counters()
    instances = [limiter(db) for _ in range(3)]
    answers = [admitted(instances[k % 3], limit) for k in range(limit * 2)]
    assert limit <= sum(answers) <= limit + 3 * 2 * slice_size(limit)
    assert not any(answers[-limit // 2 :])  # a refusal is final for the window


def test_the_last_stretch_of_a_window_is_counted_request_by_request() -> None:
    db = Counters()
    one = limiter(db)
    limit = 1000
    exact_from = limit - INSTANCES * slice_size(limit)
    assert all(admitted(one, limit) for _ in range(exact_from + 5))
    assert db.settled("user:u-0", exact_from) >= exact_from  # the stretch wrote as it went
    before = db.writes
    assert all(admitted(one, limit) for _ in range(5))
    assert db.writes == before + 5
    assert sum(admitted(one, limit) for _ in range(limit)) == limit - exact_from - 10


@pytest.mark.parametrize("limit", [10, 100_000])  # counted request by request, and a slice at a time
def test_what_a_request_is_charged_after_it_ran_fills_the_window_for_the_ones_after_it(limit: int) -> None:
    db = Counters()
    one = limiter(db)
    assert admitted(one, limit)
    one.charge("user:u", limit, limit - 3)  # a listing that read far more than a page
    assert sum(admitted(one, limit) for _ in range(10)) == 2
    assert db.settled("user:u-0", limit) == limit  # reported as admitted requests are


class Outage(Counters):
    """Every write fails as the client's retry wrapper reports an outage, after its retries."""

    def _add(self, doc_id: str, count: int) -> SimpleNamespace:
        raise gexc.RetryError("Timeout of 60.0s exceeded", cause=None)  # type: ignore[no-untyped-call]


@pytest.mark.parametrize("limit", [3, 100_000])  # counted while the request waits, and beside it
def test_an_outage_lets_requests_through_whichever_way_they_are_counted(limit: int) -> None:
    one = limiter(Outage())
    assert all(admitted(one, limit) for _ in range(limit + 5))
