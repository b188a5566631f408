"""The detector's pure core: ticker evaluations per second, and the backtest's items per
second on the bundled corpus, each beside a ceiling measured in the same run.

- ``evaluations_per_s``: one ``decide`` (baseline fit over 14 days of hourly buckets,
  windows, signals, pump risk, lifecycle step) for a busy ticker; the ceiling is the
  baseline fit alone, the part that grows with history.
- ``backtest_items_per_s``: the whole replay (extraction, duplicates, buckets, detection)
  over ``data/replay/default``; the ceiling is ``mentions_from_item`` alone on the same
  items, the part the backtest cannot skip.
- ``detect_import_rss_mb``: peak resident memory of a fresh interpreter after importing the
  detect function (scipy included), beside the aggregate function's (same libraries but
  scipy's special functions); both must leave room in a 256 MB Cloud Function.
"""

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common.detection.backtest import Replay, hours, load
from common.detection.baseline import HOUR, GlobalStats, fit
from common.detection.engine import TickerState, decide, observed_hours
from common.detection_config import DEFAULT_CONFIG
from common.mentions import mentions_from_item
from common.messages import Mention
from common.metrics import bucket_deltas

CORPUS = Path(__file__).resolve().parents[1] / "data" / "replay" / "default"
START = 1_767_225_600
HOURS = 14 * 24


def _busy_ticker() -> TickerState:
    state = TickerState()
    ms = []
    for h in range(HOURS):
        for k in range(12):
            created = START + h * HOUR + k * 300.0
            ms.append(
                Mention(
                    item_id=f"t1_{h}x{k}",
                    kind="comment",
                    subreddit=("stocks", "wallstreetbets", "investing")[k % 3],
                    author=f"user{(h * 7 + k) % 400}",
                    author_created_utc=created - 900 * 86400,
                    created_utc=created,
                    text_length=150,
                )
            )
    state.add(bucket_deltas(ms))
    return state


def _rate(fn: Any, seconds: float = 2.0) -> float:
    done, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        fn()
        done += 1
    return done / (time.perf_counter() - began)


def _rss_after_import(module: str) -> float:
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from this (large) process
    # across the child's exec, so both figures would be this benchmark's own peak.
    code = (
        f"import {module}\n"
        "with open('/proc/self/status') as status:\n"
        "    print(next(int(line.split()[1]) for line in status if line.startswith('VmHWM:')) / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=CORPUS.parents[2]
    )
    return float(out.stdout.strip())


def run() -> dict[str, Any]:
    state = _busy_ticker()
    stats = GlobalStats(rate=0.2, since=float(START))
    as_of = START + HOURS * HOUR - 60.0
    now = int(as_of // HOUR)

    def one() -> None:
        decide("BUSY", state.buckets, state.counts, None, [], as_of=as_of, stats=stats, config=DEFAULT_CONFIG)

    def fit_only() -> None:
        fit(state.counts, now, observed_hours=observed_hours(state.counts, now, DEFAULT_CONFIG, stats.since),
            stats=stats, config=DEFAULT_CONFIG)  # fmt: skip

    evaluations = _rate(one)
    fits = _rate(fit_only)

    corpus = load(CORPUS)
    items = list(corpus.items())
    began = time.perf_counter()
    replay = Replay()
    for batch in hours(iter(items)):
        replay.hour(batch)
    backtest_s = time.perf_counter() - began
    began = time.perf_counter()
    for item in items:
        mentions_from_item(item, sentiment=False)  # as the backtest reads them: no decision reads sentiment
    extraction_s = time.perf_counter() - began
    return {
        "evaluations_per_s": round(evaluations, 1),
        "ceiling_baseline_fits_per_s": round(fits, 1),
        "evaluations_vs_fit_ratio": round(evaluations / fits, 3),
        "backtest_items": replay.items,
        "backtest_mentions": replay.mentions,
        "backtest_evaluations": replay.evaluations,
        "backtest_s": round(backtest_s, 2),
        "backtest_items_per_s": round(replay.items / backtest_s, 1),
        "backtest_evaluations_per_s": round(replay.evaluations / backtest_s, 1),
        "ceiling_extraction_items_per_s": round(len(items) / extraction_s, 1),
        "backtest_vs_extraction_ratio": round(extraction_s / backtest_s, 3),
        "detect_import_rss_mb": round(_rss_after_import("functions.detect.main"), 1),
        "ceiling_aggregate_import_rss_mb": round(_rss_after_import("functions.aggregate.main"), 1),
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:<36} {value}")
