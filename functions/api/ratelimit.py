"""Rate limits that hold across instances: a fixed one-minute window per key, counted in
Firestore (``ratelimits/{key}-{minute}``) with an ``Increment`` transform.

The commit response carries the transform's result, so one write both counts and tells us
the new count: no read, no transaction. An instance does not write per request: it claims a
slice of the window's count at a time (:func:`lease_size`, a fiftieth of the limit, at most 20)
and hands out those positions from memory; a request whose position is past the limit is
refused. Across instances the limit still holds; what an instance claimed and did not use
can refuse callers early by at most its slice. ``expires_at`` lets a TTL policy sweep old
windows.
"""

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from google.api_core import exceptions as gexc
from google.cloud import firestore

from common import log
from common.adapters.firestore import RATELIMITS
from functions.api.errors import ApiError

WINDOW_S = 60
logger = log.get_logger(__name__)


def _doc_id(key: str, window: int) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.:@-]", "_", key)[:200]
    return f"{safe}-{window}"


def lease_size(limit: int) -> int:
    """Positions one instance claims at once: a fiftieth of the limit (at most 20). The api
    runs up to ten instances, so what they claim and leave unused costs a caller at most a
    fifth of the limit; small limits are counted one request per write."""
    return max(1, min(20, limit // 50))


@dataclass
class _Lease:
    next: int  # the next position in the window's count this instance hands out
    last: int  # the last position it claimed


class RateLimiter:
    def __init__(self, db: firestore.Client, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock
        self._leases: dict[tuple[str, int], _Lease] = {}
        self._lock = threading.Lock()

    def position(self, key: str, limit: int) -> tuple[int, float]:
        """This request's position in ``key``'s window (1 for the window's first request) and
        the seconds left in the window; a Firestore write only when the lease runs out."""
        now = self.clock()
        window = int(now // WINDOW_S)
        left = (window + 1) * WINDOW_S - now
        with self._lock:
            lease = self._leases.get((key, window))
            if lease is not None and lease.next <= lease.last:
                lease.next += 1
                return lease.next - 1, left
        size = lease_size(limit)
        last = self._claim(key, window, size)
        with self._lock:
            for stale in [k for k in self._leases if k[1] < window]:
                del self._leases[stale]
            self._leases[(key, window)] = _Lease(next=last - size + 2, last=last)
        return last - size + 1, left

    def _claim(self, key: str, window: int, size: int) -> int:
        """Add ``size`` to the window's count; returns the count after."""
        ref = self.db.collection(RATELIMITS).document(_doc_id(key, window))
        expires = dt.datetime.fromtimestamp((window + 2) * WINDOW_S, tz=dt.UTC)
        result = ref.set({"count": firestore.Increment(size), "key": key, "expires_at": expires}, merge=True)
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
