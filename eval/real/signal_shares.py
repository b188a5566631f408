"""``python -m eval.real.signal_shares``: how strong each pump signal runs in real talk that
nobody is pumping, read as the detector reads it.

The development corpus (``wsb-2021-05-07``) lost its punctuation and emoji, so the emoji and
cashtag signals cannot be measured on it. The December 2020 sample
(``wsb-2020-12-01-pushshift``: 16.5 hours of posts and 15 minutes of comments, text as
posted) can. It is replayed through the backtest (the production counting rules, duplicates
included), and at every hour a ticker was evaluated its pump-risk components are read from
the window the detector reads them from (:func:`common.detection.signals.read_from`). Only
evaluations with the distinct authors an organic alert needs (``min_authors``) count: the
others could never be called organic. A rule that let one component at its full share hold
an organic alert would hold the ones reported at full here. Account ages are neutral in that
sample, so the new-account component reads 0. One day of one community: ordinary talk, not
a frenzy's worst.
"""

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from common.detection import backtest
from common.detection.baseline import HOUR
from common.detection.engine import TickerState
from common.detection.pump import components, pump_risk
from common.detection.signals import read_from
from common.detection_config import DEFAULT_CONFIG, DetectionConfig
from common.metrics import window
from common.timekeys import hour_key
from common.windows import WindowStats
from eval.real import corpus, results

CORPUS = "wsb-2020-12-01-pushshift"


def summarise(read: list[tuple[str, str, WindowStats]], config: DetectionConfig) -> dict[str, Any]:
    """Per component: the evaluations (ticker, hour) with it at its full share, and the
    highest value with its ticker (pure: tested on its own)."""
    rows = [(symbol, hour, components(stats, config)) for symbol, hour, stats in read]
    out: dict[str, Any] = {"evaluations": len(rows), "tickers": len({s for s, _, _ in rows}), "components": {}}
    for name in sorted(rows[0][2] if rows else {}):
        value, symbol = max((parts[name], s) for s, _, parts in rows)
        at_full = [
            {
                "ticker": s,
                "hour": hour,
                "authors": stats.distinct_authors,
                "avg_text_length": round(stats.avg_text_length),
                "pump_risk": pump_risk(stats, config).risk,
            }
            for (s, hour, parts), (_, _, stats) in zip(rows, read, strict=True)
            if parts[name] >= 1.0
        ]
        out["components"][name] = {
            "evaluations_at_full": len(at_full),
            "at_full": at_full,
            "highest": round(value, 4),
            "highest_ticker": symbol if value > 0 else None,
        }
    return out


def evaluations(tickers: Mapping[str, TickerState], config: DetectionConfig) -> list[tuple[str, str, WindowStats]]:
    """Each ticker at the end of every hour it had mentions (when the replay evaluated it),
    read from the window the detector reads, when it had ``min_authors`` distinct authors."""
    out = []
    for symbol, state in sorted(tickers.items()):
        for index in sorted(state.counts):
            last = hour_key(float(index * HOUR))
            stats, _ = read_from(window(state.buckets, last, 6), window(state.buckets, last, 24), config)
            if stats.distinct_authors >= config.min_authors:
                out.append((symbol, last, stats))
    return out


def run(corpus_dir: Path, config: DetectionConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    corpus = backtest.load(corpus_dir)
    replay = backtest.run(corpus, config)
    buckets = [b for state in replay.tickers.values() for b in state.buckets.values()]
    mentions = sum(b.mentions for b in buckets)
    result = summarise(evaluations(replay.tickers, config), config)
    result.update(
        corpus=corpus_dir.name,
        items=replay.items,
        mentions=mentions,
        emoji_heavy_share=round(sum(b.emoji_heavy_mentions for b in buckets) / mentions, 4) if mentions else 0.0,
        account_ages="neutral (the sample has none)",
    )
    return result


def main(argv: list[str] | None = None) -> int:
    corpus_dir, refresh = corpus.command_line(argv, "python -m eval.real.signal_shares", __doc__, CORPUS)
    if corpus_dir is None:
        return 1
    result = run(corpus_dir)
    print(
        f"{result['mentions']} mentions in {result['items']} items, {result['emoji_heavy_share']:.1%} emoji-heavy; "
        f"{result['evaluations']} evaluations of {result['tickers']} tickers with "
        f"{DEFAULT_CONFIG.min_authors} authors or more"
    )
    for name, row in result["components"].items():
        print(
            f"  {name:<22} highest {row['highest']:.2f} ({row['highest_ticker'] or '-'}), "
            f"at full in {row['evaluations_at_full']}: "
            + (", ".join(f"{e['ticker']} {e['hour']} ({e['authors']} authors)" for e in row["at_full"]) or "none")
        )
    if refresh:
        results.record("real_signal_shares", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
