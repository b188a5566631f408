"""Answers that change once per scheduler tick, kept per instance for a few seconds.

Trending reads up to a few hundred summaries to recount them to now; the data under it
moves when a fetch run lands (every one to ten minutes per subreddit in production), so every caller in the
same half-minute may share one answer instead of each paying the reads.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlMemo(Generic[V]):
    """``get(key, compute)``: the value computed for ``key`` less than ``ttl_s`` ago, else
    ``compute()`` now (outside the lock: callers never wait on each other). While one caller
    recomputes an expired value the others get the expired one, so an expiry costs one slow
    request, not one per concurrent caller; with no value yet, each caller computes. At most
    ``max_entries`` keys are kept, the least recently read going first: callers asking for
    views of their own (a ``since`` each, a long watchlist) then push out each other, not the
    views every client polls."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic, max_entries: int = 64) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._values: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._refreshing: set[Hashable] = set()

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        if self.ttl_s <= 0:
            return compute()
        now = self.clock()
        with self._lock:
            hit = self._values.get(key)
            if hit is not None and (now - hit[0] < self.ttl_s or key in self._refreshing):
                self._values.move_to_end(key)
                return hit[1]  # fresh, or being recomputed by another caller right now
            self._refreshing.add(key)
        try:
            value = compute()
        except BaseException:
            with self._lock:
                self._refreshing.discard(key)
            raise
        with self._lock:  # stored and released together: no caller starts a second recomputation between
            self._refreshing.discard(key)
            self._values.pop(key, None)
            while self._values and len(self._values) >= self.max_entries:
                self._values.popitem(last=False)
            self._values[key] = (now, value)
        return value
