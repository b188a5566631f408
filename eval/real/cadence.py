"""``python -m eval.real.cadence``: how much of a real comment stream a fixed ten-minute
fetch loses to Reddit's 1,000-item listing, against the cadence production runs
(:class:`common.dispatching.Cadence`, read from the settings as dispatch reads them).

The stream is the real one of the December 2020 sample (``wsb-2020-12-01-pushshift``: 1,000
r/wallstreetbets comments written in 15 minutes, at 00:00 UTC, a quiet evening hour in New
York). Busier hours are the same stream played faster (``speedups``: its gaps divided, so
the bursts and lulls keep their shape), and each speed is repeated until it fills
``HOURS`` of data time. A simulated tick every minute from the first minute on asks
:func:`common.dispatching.due`;
a fetch lists the newest ``FETCH_MAX_POSTS`` items since the last one, as Reddit does, and
measures the pace with fetch's own functions (:mod:`common.ingest`). Lost: items written
between two fetches beyond the listing's cap. Nothing is tuned on it: the cadence's
settings are production's.
"""

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import ingest
from common.detection import backtest
from common.dispatching import Cadence, FetchState, due
from common.settings import Settings
from eval.real import corpus, results
from functions.dispatch.schedule import cadence

CORPUS = "wsb-2020-12-01-pushshift"
SPEEDUPS = (1, 2, 4, 8, 16, 32)
HOURS = 6.0
TICK_S = 60.0
FIXED_S = 600.0  # the schedule the cadence replaced: every subreddit every ten minutes


def stream(times: Sequence[float], speedup: float, hours: float) -> list[float]:
    """``times`` played ``speedup`` times faster from 0, repeated back to back over ``hours``."""
    start = times[0]
    played = [(t - start) / speedup for t in times]
    period = played[-1] + (played[-1] / max(len(played) - 1, 1))  # one mean gap before the next copy
    out: list[float] = []
    offset = 0.0
    while offset < hours * 3600:
        out += [offset + t for t in played if offset + t < hours * 3600]
        offset += period
    return out


def simulate(times: Sequence[float], schedule: Cadence | None, cap: int, hours: float) -> dict[str, float]:
    """Fetches of one subreddit writing ``times`` over ``hours``: a tick every minute, due per
    ``schedule`` (None: every ``FIXED_S``), and a last read at the end, not counted as a
    fetch, so what either schedule had not read yet is judged too."""
    cursor, last_sent, pace = 0.0, None, 0.0
    fetches = lost = 0
    i = 0
    end = int(hours * 3600 / TICK_S)
    for k in range(1, end + 1):  # the first fetch lists a minute written
        now = k * TICK_S
        if schedule is None:
            is_due = last_sent is None or now - last_sent >= FIXED_S
        else:
            # each simulated run saves at once: none is ever still going
            is_due = bool(due(["s"], schedule, {"s": FetchState(pace=pace, sent_at=last_sent)}, now=now))
        if not is_due and k < end:
            continue
        j = i
        while j < len(times) and times[j] <= now:
            j += 1
        written = times[i:j]
        shown = written[-cap:]  # newest first, as Reddit lists them, up to the cap
        lost += len(written) - len(shown)
        cut = len(written) > len(shown)  # the listing stopped short of the cursor (ingest.unread_span)
        pace = ingest.with_pace(ingest.Cursor(pace=pace), ingest.listing_pace(shown, cursor, cut=cut)).pace
        cursor = shown[-1] if shown else cursor  # the newest item read, as fetch's cursor
        last_sent, i = now, j
        fetches += is_due
    return {
        "fetches_per_hour": round(fetches / hours, 2),
        "lost_share": round(lost / len(times), 4) if times else 0.0,
    }


def run(corpus_dir: Path, settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or Settings.model_construct()  # the shipped defaults, not this shell's FETCH_* variables
    # every comment, bots' too: they fill Reddit's listing and count in fetch's pace
    comments = sorted(i.created_utc for i in backtest.load(corpus_dir).items(bots=None) if i.kind == "comment")
    per_s = len(comments) / (comments[-1] - comments[0])
    variants = {}
    for speedup in SPEEDUPS:
        times = stream(comments, speedup, HOURS)
        variants[f"x{speedup}"] = {
            "comments_per_minute": round(per_s * speedup * 60, 1),
            "fixed": simulate(times, None, settings.fetch_max_posts, HOURS),
            "cadence": simulate(times, cadence(settings), settings.fetch_max_posts, HOURS),
        }
    return {
        "corpus": CORPUS,
        "comments": len(comments),
        "span_minutes": round((comments[-1] - comments[0]) / 60, 1),
        "hours_simulated": HOURS,
        "listing_cap": settings.fetch_max_posts,
        "cadence": {
            "fill": settings.fetch_listing_fill,
            "min_interval_s": settings.fetch_min_interval_s,
            "max_interval_s": settings.fetch_max_interval_s,
        },
        "fixed_interval_s": FIXED_S,
        "variants": variants,
    }


def main(argv: list[str] | None = None) -> int:
    corpus_dir, refresh = corpus.command_line(argv, "python -m eval.real.cadence", __doc__, CORPUS)
    if corpus_dir is None:
        return 1
    result = run(corpus_dir)
    print(f"{result['comments']} real comments over {result['span_minutes']} min, played faster:")
    for name, v in result["variants"].items():
        print(
            f"  {name:<4} {v['comments_per_minute']:>7.1f}/min  "
            f"fixed: {v['fixed']['lost_share']:.1%} lost, {v['fixed']['fetches_per_hour']} fetches/h  "
            f"cadence: {v['cadence']['lost_share']:.1%} lost, {v['cadence']['fetches_per_hour']} fetches/h"
        )
    if refresh:
        results.record("real_fetch_cadence", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
