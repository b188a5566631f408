"""``python -m eval.real.signal_shares``: how strong each pump signal runs in real talk that
nobody is pumping, read exactly as the detector reads a window.

The development corpus (``wsb-2021-05-07``) lost its punctuation and emoji, so the emoji
and cashtag signals, and ``organic_signal_max`` (an organic alert is held when one
pump-risk component is at its full share), cannot be measured on it. The December 2020 sample
(``wsb-2020-12-01-pushshift``: 16.5 hours of posts and 15 minutes of comments, text as
posted) can. It is replayed through the backtest (the production counting rules, duplicates
included); every ticker with the distinct authors an organic alert needs (``min_authors``)
gets its 24-hour window's pump-risk components. Account ages are neutral in that sample, so
the new-account component reads 0 there. One quiet day of one community: what ordinary talk
looks like, not a frenzy's worst.
"""

import argparse
import sys
from pathlib import Path
from typing import Any

from common.detection import backtest
from common.detection.pump import components
from common.detection_config import DEFAULT_CONFIG, DetectionConfig
from common.metrics import window
from common.timekeys import hour_key
from common.windows import WindowStats
from eval.real import results
from eval.tickers.real_set import data_dir

CORPUS = "wsb-2020-12-01-pushshift"


def summarise(windows: dict[str, WindowStats], config: DetectionConfig) -> dict[str, Any]:
    """Per component: the tickers at or over ``organic_signal_max``, and the highest value
    with its ticker (pure: tested on its own)."""
    rows = {symbol: components(stats, config) for symbol, stats in windows.items()}
    out: dict[str, Any] = {"tickers": len(rows), "components": {}}
    for name in sorted(next(iter(rows.values()), {})):
        top = max(rows, key=lambda s: (rows[s][name], s))
        out["components"][name] = {
            "at_or_over_organic_signal_max": sorted(s for s in rows if rows[s][name] >= config.organic_signal_max),
            "highest": round(rows[top][name], 4),
            "highest_ticker": top if rows[top][name] > 0 else None,
        }
    return out


def run(corpus_dir: Path, config: DetectionConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    corpus = backtest.load(corpus_dir)
    replay = backtest.run(corpus, config)
    end = hour_key(max(i.created_utc for i in corpus.items()))
    every = {symbol: window(state.buckets, end, 24) for symbol, state in replay.tickers.items()}
    windows = {symbol: stats for symbol, stats in every.items() if stats.distinct_authors >= config.min_authors}
    buckets = [b for state in replay.tickers.values() for b in state.buckets.values()]
    mentions = sum(b.mentions for b in buckets)
    emoji = sum(b.emoji_heavy_mentions for b in buckets)
    result = summarise(windows, config)
    result.update(
        corpus=corpus_dir.name,
        items=replay.items,
        mentions=mentions,
        emoji_heavy_share=round(emoji / mentions, 4) if mentions else 0.0,
        organic_signal_max=config.organic_signal_max,
        account_ages="neutral (the sample has none)",
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.real.signal_shares", description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder holding the corpora (default ../shared/data)")
    parser.add_argument("--refresh", action="store_true", help="write the block into eval/results.json")
    args = parser.parse_args(argv)
    corpus_dir = data_dir(args.data) / CORPUS
    if not (corpus_dir / "items.jsonl.gz").exists():
        print(f"NOT SCORED: {corpus_dir} is absent (real Reddit history is never part of the project)", file=sys.stderr)
        return 1
    result = run(corpus_dir)
    print(
        f"{result['mentions']} mentions in {result['items']} items, {result['emoji_heavy_share']:.1%} emoji-heavy; "
        f"{result['tickers']} tickers with {DEFAULT_CONFIG.min_authors} authors or more"
    )
    for name, row in result["components"].items():
        print(
            f"  {name:<22} highest {row['highest']:.2f} ({row['highest_ticker'] or '-'}), at full: "
            f"{row['at_or_over_organic_signal_max'] or 'none'}"
        )
    if args.refresh:
        results.record("real_signal_shares", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
