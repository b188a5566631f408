"""The preview's replay: the detector's backtest core (``common.detection.backtest.preview``)
run over recently stored hourly buckets with the given configs. Bound here so the route only
sees "config, symbols, range in; alert documents out"."""

import threading
from typing import Any

from common.detection.backtest import history_hours, preview
from common.detection_config import DetectionConfig
from common.metrics import HourBucket, bucket_from_doc
from common.settings import Settings
from functions.api.errors import ApiError
from functions.api.services import Backtest
from functions.api.store import Store

# What one preview may hold in memory, in units of about 50 bytes: an author name is two, a
# register of a bucket's HyperLogLog one and a half, a bucket's own fields BUCKET_COST
# (measured on decoded buckets, keys included: about 96 bytes an author, 78 a register, 3.7 KB
# for the rest). At most about 50 MB, so a 256 MB instance answers rather than dies: an hour
# of a busy ticker keeps up to 1,000 authors or 4,096 registers, and weeks of fifty busy
# tickers do not fit.
LOAD_MAX = 1_000_000
BUCKET_COST = 75
# One preview at a time per instance: the instance serves several requests side by side, and
# a preview takes seconds of its one CPU and up to LOAD_MAX of its memory; two or three
# together would outrun the timeout, starve the users' reads and risk the memory limit.
PREVIEW_RETRY_AFTER_S = 20


def load_cost(doc: dict[str, Any]) -> int:
    return 2 * len(doc.get("authors") or ()) + 3 * len(doc.get("hll") or ()) // 2 + BUCKET_COST


def _load(
    store: Store, symbol: str, start_utc: int, end_utc: int, room: int
) -> tuple[dict[str, HourBucket], int] | None:
    """A ticker's buckets and what they cost, or None as soon as they pass ``room`` (the
    reading stops there: a ticker too large is never held whole)."""
    buckets: dict[str, HourBucket] = {}
    used = 0
    for doc in store.stream_hours(symbol, start_utc, end_utc):
        used += load_cost(doc)
        if used > room:
            return None
        buckets[str(doc["hour"])] = bucket_from_doc(doc)
    return buckets, used


def make_backtest(settings: Settings, store: Store) -> Backtest | None:
    del settings
    running = threading.Semaphore(1)

    def backtest(
        configs: list[DetectionConfig], symbols: list[str], start_utc: int, end_utc: int
    ) -> tuple[list[list[dict[str, Any]]], list[str]]:
        """One at a time (:data:`PREVIEW_RETRY_AFTER_S`): another while one runs is 503."""
        if not running.acquire(blocking=False):
            raise ApiError(
                503,
                "preview_busy",
                "another preview is running on this instance; try again shortly",
                headers={"Retry-After": str(PREVIEW_RETRY_AFTER_S)},
            )
        try:
            return replay(configs, symbols, start_utc, end_utc)
        finally:
            running.release()

    def replay(
        configs: list[DetectionConfig], symbols: list[str], start_utc: int, end_utc: int
    ) -> tuple[list[list[dict[str, Any]]], list[str]]:
        """Each config's alerts live in [start, end], replayed from the history production
        judged those hours with (read once for every config), warmed up as production was;
        and the symbols replayed: those of ``symbols``, in order, whose buckets fit
        :data:`LOAD_MAX` together."""
        first = start_utc - max(history_hours(c) for c in configs) * 3600
        buckets: dict[str, dict[str, HourBucket]] = {}
        room = LOAD_MAX
        for symbol in symbols:
            loaded = _load(store, symbol, first, end_utc, room)
            if loaded is None:
                break
            buckets[symbol], used = loaded
            room -= used
        crowds, began = store.stored_crowds(first, end_utc), store.collection_began()
        alerts = [
            [
                alert.to_doc()
                for alert in preview(
                    buckets, config, None, float(end_utc + 3599), crowds, since=float(start_utc), began=began
                )
            ]
            for config in configs
        ]
        return alerts, list(buckets)

    return backtest
