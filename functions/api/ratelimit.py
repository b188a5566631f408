"""Rate limits that hold across instances: a fixed one-minute window per key, counted in
Firestore (``ratelimits/{key}-{minute}``) with an ``Increment`` transform.

The commit response carries the transform's result, so one write both counts the request
and tells us the new count: no read, no transaction, no contention beyond the one
document per key per minute. ``expires_at`` lets a Firestore TTL policy sweep old windows.
"""

import datetime as dt
import re
import time
from collections.abc import Callable

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


class RateLimiter:
    def __init__(self, db: firestore.Client, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def count(self, key: str) -> tuple[int, float]:
        """Count one request for ``key``; returns the window's count and seconds left in it."""
        now = self.clock()
        window = int(now // WINDOW_S)
        ref = self.db.collection(RATELIMITS).document(_doc_id(key, window))
        expires = dt.datetime.fromtimestamp((window + 2) * WINDOW_S, tz=dt.UTC)
        result = ref.set({"count": firestore.Increment(1), "key": key, "expires_at": expires}, merge=True)
        transforms = getattr(result, "transform_results", None)
        count = int(transforms[0].integer_value) if transforms else self._read(ref)
        return count, (window + 1) * WINDOW_S - now

    @staticmethod
    def _read(ref: firestore.DocumentReference) -> int:
        snapshot = ref.get()
        return int(snapshot.get("count")) if snapshot.exists else 0

    def check(self, key: str, limit: int) -> None:
        """Raise 429 with ``Retry-After`` when ``key`` went over ``limit`` this minute.

        If the counter cannot be written the request goes through (logged): a Firestore
        hiccup should cost us a minute of unmetered traffic, not every caller a 500."""
        try:
            count, left = self.count(key)
        except gexc.GoogleAPICallError as exc:
            logger.warning("rate limit not counted for %s: %s", key, exc)
            return
        if count > limit:
            retry = max(1, int(left + 0.999))
            raise ApiError(429, "rate_limited", f"more than {limit} requests this minute", {"Retry-After": str(retry)})
