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
- the count the instance last heard is within :data:`INSTANCES` slices of the limit: from
  there it counts every request with its own write (an instance that has not heard lately
  learns it at its next report, within a slice).

Reporting what was used, rather than claiming ahead, wastes nothing; so a request that
costs more than most (a listing that read hundreds of alerts) is charged its extra after it
ran (:meth:`RateLimiter.charge`), and the requests after it find the window that much fuller.
What an instance has admitted but not reported is at most two slices (one out, one pending),
plus what was charged while a report was out, which waits for the caller's next request
here; instances that have not heard of each other's traffic can together overshoot the limit
by that much each, and nobody is refused early. A write gets one try of
:data:`WRITE_TIMEOUT_S`: a Firestore outage lets requests through uncounted (logged) instead
of holding them.
``expires_at`` lets a TTL policy sweep old windows.
"""

import datetime as dt
import functools
import hashlib
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
INSTANCES = 10  # the api's max_instances in terraform/functions.tf (an agreement test checks)
WRITE_TIMEOUT_S = 2.0
logger = log.get_logger(__name__)


def user_key(sub: str, window: str = "user") -> str:
    """The window a signed-in caller's requests count in: their own (``user``), or one a kind
    of request has apart (``admin``, ``deletion``)."""
    return f"{window}:{sub}"


def _log_failure(key: str, carried: int, report: "Future[int]") -> None:
    failure = report.exception()
    if isinstance(failure, gexc.GoogleAPIError):
        logger.warning("rate limit: %d requests for %s not counted: %s", carried, key, failure)
    elif failure is not None:  # a bug, not an outage: Error Reporting should see it
        logger.error("rate limit: %d requests for %s not counted", carried, key, exc_info=failure)


_READABLE = re.compile(r"[A-Za-z0-9_.:@-]{1,200}")


def _doc_id(key: str, window: int) -> str:
    """The key itself where a document id may be it; else a readable part and the key's
    hash, so that two keys made the same by the spelling (``a b`` and ``a_b``, two long ones
    alike for 200 characters) never share one count."""
    if _READABLE.fullmatch(key):
        return f"{key}-{window}"
    readable = re.sub(r"[^A-Za-z0-9_.:@-]", "_", key)[:100]
    return f"{readable}~{hashlib.sha256(key.encode()).hexdigest()[:32]}-{window}"


def slice_size(limit: int) -> int:
    """Requests an instance may admit before the others hear of them: a hundredth of the
    limit, at least 1 and at most 50. With up to :data:`INSTANCES` instances each holding at
    most two slices, a caller served by all of them at once passes the limit by at most a
    fifth of it, or by 20 requests where that is more (limits under 100)."""
    return max(1, min(50, limit // 100))


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
        self._newest = 0  # the newest window any key has opened: older ones are dropped once
        self._lock = threading.Lock()
        self._reports = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ratelimit")

    def position(self, key: str, limit: int) -> tuple[int, float]:
        """This request's position in ``key``'s window (1 for the window's first request) as
        far as this instance knows it, and the seconds left in the window."""
        size = slice_size(limit)
        while True:
            now = self.clock()  # again after a wait: the minute may have turned meanwhile
            window = int(now // WINDOW_S)
            left = (window + 1) * WINDOW_S - now
            with self._lock:
                state = self._window(key, window)
                self._settle(state)
                seen = state.seen()
                if seen >= limit:
                    return seen + 1, left  # refused without a write
                report = state.report
                if report is None and state.pending >= size:
                    self._send(key, window, state)  # a full slice goes out before more join it
                    report = state.report
                exact = limit - state.shared <= INSTANCES * size
                if exact and report is None:
                    break  # counted below with its own write
                if not exact and state.pending < size:
                    state.pending += 1
                    if report is None and state.pending >= size:
                        self._send(key, window, state)
                    return seen + 1, left
            assert report is not None
            report.exception()  # the report that is out ends within WRITE_TIMEOUT_S; look again
        return self._count_now(key, window, state), left

    def _window(self, key: str, window: int) -> _Window:
        """``key``'s state in ``window`` (called under the lock). The states of older windows
        are dropped when a newer window first opens, once per minute, not per new key."""
        if window > self._newest:
            self._windows = {k: v for k, v in self._windows.items() if k[1] >= window}
            self._newest = window
        state = self._windows.get((key, window))
        if state is None:
            state = self._windows[(key, window)] = _Window()
        return state

    @staticmethod
    def _settle(state: _Window) -> None:
        """Fold a finished report into the window's view (called under the lock); a failed
        one was logged when it failed, and its requests stay uncounted."""
        report = state.report
        if report is None or not report.done():
            return
        state.report, state.flying = None, 0
        if report.exception() is None:
            state.shared = max(state.shared, report.result())

    def _send(self, key: str, window: int, state: _Window) -> None:
        state.flying, state.pending = state.pending, 0
        report = self._reports.submit(self._add, key, window, state.flying)
        report.add_done_callback(functools.partial(_log_failure, key, state.flying))
        state.report = report

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
        fields = {"count": firestore.Increment(count), "key": key, "expires_at": expires}
        # One try, briefly: a request may wait on this, and a lost count costs less than a stall.
        result = ref.set(fields, merge=True, retry=None, timeout=WRITE_TIMEOUT_S)
        transforms = getattr(result, "transform_results", None)
        return int(transforms[0].integer_value) if transforms else self._read(ref)

    @staticmethod
    def _read(ref: firestore.DocumentReference) -> int:
        snapshot = ref.get()
        return int(snapshot.get("count")) if snapshot.exists else 0

    def charge(self, key: str, limit: int, amount: int) -> None:
        """Count ``amount`` more requests' worth against ``key``'s window, after a request
        that cost that much more than one ran: it is never refused for it, the ones after it
        are. Reported as admitted requests are, a full slice at a time."""
        if amount <= 0:
            return
        window = int(self.clock() // WINDOW_S)
        with self._lock:
            state = self._window(key, window)
            self._settle(state)
            state.pending += amount
            if state.report is None and state.pending >= slice_size(limit):
                self._send(key, window, state)

    def check(self, key: str, limit: int, what: str = "requests") -> None:
        """Raise 429 with ``Retry-After`` when ``key`` went over ``limit`` this minute
        (``what``: what the message says were too many).

        If the counter cannot be written the request goes through (logged): a Firestore
        hiccup should cost us a minute of unmetered traffic, not every caller a 500."""
        try:
            count, left = self.position(key, limit)
        except gexc.GoogleAPIError as exc:
            logger.warning("rate limit not counted for %s: %s", key, exc)
            return
        if count > limit:
            retry = max(1, int(left + 0.999))
            raise ApiError(429, "rate_limited", f"more than {limit} {what} this minute", {"Retry-After": str(retry)})
