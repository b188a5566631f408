"""``python -m eval.real.length_bar``: an organic length bar relative to the community,
measured on real history before it is built.

The detection issue asks for quality bars "relative to the community's own distribution".
The detector's length bar is fixed (``avg_length_min``): a clean spike's texts must average
that many characters, unless the surge is extreme. Here the development corpus
(``wsb-2021-05-07``) is replayed with the bar set each hour to a multiple of a statistic of
every mention's length in the community's 7 days before (the median, the geometric mean or
the mean), beside the fixed bar, and each replay is scored by eval-real's own scoring. With
fewer than ``MIN_SAMPLE`` lengths behind it (the first hours) the bar is the fixed one.

Mention lengths in that corpus move a lot from week to week (``bar_p10_p50_p90`` says how
far each variant's bar moves over the hours), so a relative bar asks very different things
in different weeks. The grid was chosen in a first diagnostic run, whose figures were read
before this one recorded them: read the result as "what such a bar does here", not as a
held-out measure. Nothing in production reads it.
"""

import json
import math
import statistics
import sys
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.detection import backtest
from common.detection.backtest import AlertEventRecord
from common.detection.baseline import HOUR, GlobalStats
from common.detection_config import DEFAULT_CONFIG, DetectionConfig
from common.messages import Mention, RedditItem
from eval.real import ages, corpus
from eval.real import run as real
from eval.real.run import EVENTS

WINDOW_HOURS = 7 * 24
MIN_SAMPLE = 200  # mention lengths behind the hour before a relative bar is set
VARIANTS: tuple[tuple[str, float], ...] = (
    ("fixed", 1.0),  # the production bar
    ("median", 0.75),
    ("median", 1.0),
    ("median", 1.25),
    ("geometric", 1.0),
    ("mean", 0.1),
)


def bar(lengths: Sequence[int], statistic: str, factor: float, fixed: float) -> float:
    """The hour's length bar from the community's recent mention ``lengths`` (pure: tested)."""
    if statistic == "fixed" or len(lengths) < MIN_SAMPLE:
        return fixed
    if statistic == "median":
        value = statistics.median(lengths)
    elif statistic == "geometric":
        value = math.exp(statistics.fmean(math.log1p(n) for n in lengths)) - 1
    elif statistic == "mean":
        value = statistics.fmean(lengths)
    else:
        raise ValueError(f"unknown statistic {statistic!r}")
    return factor * value


@dataclass
class RelativeBar(backtest.Replay):
    """The backtest with the length bar of each hour set from the hours before it."""

    statistic: str = "fixed"
    factor: float = 1.0
    base: DetectionConfig = DEFAULT_CONFIG
    history: deque[tuple[int, list[int]]] = field(default_factory=deque)
    bars: list[float] = field(default_factory=list)
    _lengths: list[int] = field(default_factory=list)

    def hour(self, items: list[RedditItem]) -> list[AlertEventRecord]:
        index = int(items[0].created_utc // HOUR)
        while self.history and self.history[0][0] < index - WINDOW_HOURS:
            self.history.popleft()
        recent = [n for _, hour in self.history for n in hour]
        self.bars.append(bar(recent, self.statistic, self.factor, self.base.avg_length_min))
        self.config = self.base.model_copy(update={"avg_length_min": self.bars[-1]})
        self._lengths = []
        out = super().hour(items)
        self.history.append((index, self._lengths))
        return out

    def _ticker(self, symbol: str, mentions: list[Mention], stats: GlobalStats) -> list[AlertEventRecord]:
        self._lengths.extend(m.text_length for m in mentions)
        return super()._ticker(symbol, mentions, stats)


def variant(corpus_dir: Path, statistic: str, factor: float) -> dict[str, Any]:
    corpus = backtest.load(corpus_dir)
    corpus = ages.with_estimated_ages(corpus, ages.corpus_model(corpus))
    replay = RelativeBar(statistic=statistic, factor=factor)
    for _ in backtest.play(replay, corpus):
        pass
    days = (float(corpus.manifest["end"]) - float(corpus.manifest["start"])) / (24 * HOUR)
    scored = real.score([r.to_json() for r in replay.records], json.loads(EVENTS.read_text())["events"],
                        replay.items, days, warmup_days=replay.base.warmup_hours / 24,
                        end=float(corpus.manifest["end"]))  # fmt: skip
    bars = sorted(replay.bars)
    return {
        "statistic": statistic,
        "factor": factor,
        "bar_p10_p50_p90": [round(bars[len(bars) * q // 10]) for q in (1, 5, 9)],
        **{
            k: scored[k]
            for k in ("events_alerted", "before_close", "before_open", "organic_alerts", "false_alerts", "busiest_day")
        },
        "hours_after_discussion_start": {e["event"]: e["hours_after_discussion_start"] for e in scored["events"]},
    }


def run(corpus_dir: Path, workers: int = 2) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(variant, *zip(*[(corpus_dir, s, f) for s, f in VARIANTS], strict=True)))
    return {
        "corpus": corpus_dir.name,
        "window_hours": WINDOW_HOURS,
        "fixed_bar": DEFAULT_CONFIG.avg_length_min,
        "variants": rows,
    }


def describe(v: dict[str, Any]) -> str:
    return (
        f"{v['statistic']:<9} x{v['factor']:<4g} bar {v['bar_p10_p50_p90']}: {v['events_alerted']} events, "
        f"{v['before_close']} before close, {v['before_open']} before open, {v['organic_alerts']} organic, "
        f"{v['false_alerts']} false, busiest {v['busiest_day']}"
    )


def main(argv: list[str] | None = None) -> int:
    return corpus.study(
        argv, "python -m eval.real.length_bar", __doc__, run=run, key="real_length_bar_study", line=describe
    )


if __name__ == "__main__":
    sys.exit(main())
