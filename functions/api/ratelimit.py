"""Rate limits that hold across instances: a fixed one-minute window per key, counted in
Firestore (``ratelimits/{key}-{minute}``) with an ``Increment`` transform.

A request should not wait on that write, so an instance counts locally and reports what it
admitted after the fact: the ``Increment`` of the requests admitted since its last report
runs beside the requests that follow, and its commit returns the shared count (no read, no
transaction), which becomes the instance's view of the other instances. A request waits on
the write only when

- the instance holds a full slice (:func:`slice_size`) of unreported requests while its
  last report is still out (on Cloud Functions the CPU is throttled between requests, so a
  report may stall until the next request arrives), or
- the shared count is within :data:`INSTANCES` slices of the limit: there every request is
  counted with its own write, so the last stretch of a window is exact.

What an instance has admitted but not reported is at most two slices; instances that have
not heard of each other's traffic can together overshoot the limit by that much each, and
never refuse early. Reporting what was used, rather than claiming ahead, wastes nothing.
``expires_at`` lets a TTL policy sweep old windows.
"""

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from google.api_core import exceptions as gexc
from google.cloud import firestore

from common import log
from common.adapters.firestore import RATELIMITS
from functions.api.errors import ApiError

WINDOW_S = 60
INSTANCES = 10  # the api's max_instances in terraform/functions.tf
logger = log.get_logger(__name__)


def _doc_id(key: str, window: int) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.:@-]", "_", key)[:200]
    return f"{safe}-{window}"


def slice_size(limit: int) -> int:
    """Requests an instance may admit before the others hear of them: a hundredth of the
    limit, at most 10. With up to :data:`INSTANCES` instances each holding at most two
    slices, a caller who spreads over all of them gets at most a fifth over the limit."""
    return max(1, min(10, limit // 100))


@dataclass
class _Window:
    shared: int = 0  # the window's count as the last report returned it (ours included)
    pending: int = 0  # admitted here, not reported yet
    flying: int = 0  # carried by the report that is out
    report: Future[int] | None = None

    def seen(self) -> int:
        return self.shared + self.flying + self.pending


class RateLimiter:
    def __init__(self, db: firestore.Client, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock
        self._windows: dict[tuple[str, int], _Window] = {}
        self._lock = threading.Lock()
        self._reports = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ratelimit")

    def position(self, key: str, limit: int) -> tuple[int, float]:
        """This request's position in ``key``'s window (1 for the window's first request) as
        far as this instance knows it, and the seconds left in the window."""
        now = self.clock()
        window = int(now // WINDOW_S)
        left = (window + 1) * WINDOW_S - now
        size = slice_size(limit)
        while True:
            with self._lock:
                state = self._window(key, window)
                self._settle(key, state)
                seen = state.seen()
                if seen >= limit:
                    return seen + 1, left  # refused: a refusal is not counted
                report = state.report
                exact = limit - state.shared <= INSTANCES * size
                if report is None or not (exact or state.pending >= size):
                    if exact:
                        break  # counted below with its own write
                    state.pending += 1
                    if report is None and state.pending * 2 >= size:
                        self._send(key, window, state)
                    return seen + 1, left
            report.exception()  # wait for the report that is out, then look again
        return self._count_now(key, window, state), left

    def _window(self, key: str, window: int) -> _Window:
        state = self._windows.get((key, window))
        if state is None:
            for stale in [k for k in self._windows if k[1] < window]:
                del self._windows[stale]
            state = self._windows[(key, window)] = _Window()
        return state

    def _settle(self, key: str, state: _Window) -> None:
        """Fold a finished report into the window's view (called under the lock)."""
        report = state.report
        if report is None or not report.done():
            return
        state.report, carried, state.flying = None, state.flying, 0
        failure = report.exception()
        if isinstance(failure, gexc.GoogleAPICallError):
            logger.warning("rate limit: %d requests for %s not counted: %s", carried, key, failure)
        elif failure is not None:  # a bug, not an outage: Error Reporting should see it
            logger.error("rate limit: %d requests for %s not counted", carried, key, exc_info=failure)
        else:
            state.shared = max(state.shared, report.result())

    def _send(self, key: str, window: int, state: _Window) -> None:
        state.flying, state.pending = state.pending, 0
        state.report = self._reports.submit(self._add, key, window, state.flying)

    def _count_now(self, key: str, window: int, state: _Window) -> int:
        """Report the pending requests and this one with one write, and wait for it."""
        with self._lock:
            carried, state.pending = state.pending + 1, 0
        total = self._add(key, window, carried)
        with self._lock:
            state.shared = max(state.shared, total)
        return total

    def _add(self, key: str, window: int, count: int) -> int:
        """Add ``count`` to the window's shared count; returns the count after."""
        ref = self.db.collection(RATELIMITS).document(_doc_id(key, window))
        expires = dt.datetime.fromtimestamp((window + 2) * WINDOW_S, tz=dt.UTC)
        result = ref.set({"count": firestore.Increment(count), "key": key, "expires_at": expires}, merge=True)
        transforms = getattr(result, "transform_results", None)
        return int(transforms[0].integer_value) if transforms else self._read(ref)

    @staticmethod
    def _read(ref: firestore.DocumentReference) -> int:
        snapshot = ref.get()
        return int(snapshot.get("count")) if snapshot.exists else 0

    def check(self, key: str, limit: int) -> None:
        """Raise 429 with ``Retry-After`` when ``key`` went over ``limit`` this minute.

        If the counter cannot be written the request goes through (logged): a Firestore
        hiccup should cost us a minute of unmetered traffic, not every caller a 500."""
        try:
            count, left = self.position(key, limit)
        except gexc.GoogleAPICallError as exc:
            logger.warning("rate limit not counted for %s: %s", key, exc)
            return
        if count > limit:
            retry = max(1, int(left + 0.999))
            raise ApiError(429, "rate_limited", f"more than {limit} requests this minute", {"Retry-After": str(retry)})
