"""``python -m eval.real.slow_burn``: a slow-burn alert measured on real history before it is
built.

The detection issue asks for "sustained growth of distinct authors and DD over days, before
any spike, as its own alert kind". Whether such a signal comes earlier than the spike alerts,
and how often it fires on tickers with no event, is a question for the real corpus, so this
study replays it (``wsb-2021-05-07``, the backtest with the production configuration) and
reads every ticker's distinct authors per UTC day from the hour buckets the
detector keeps. A day *fires* when the ticker's distinct authors rose day over day across the
last ``run`` days (``run - 1`` rises), reached ``min_authors`` (the organic alert's floor, read from the config) and
``lift`` times its daily average of the week before; variants also ask that its share of the
community's authors grew (a frenzy lifts every ticker). DD cannot be asked: the corpus lost
its flairs, so it holds no DD post.

Per variant: firings (ticker-days) per day that are about no labelled event (the cost; the
spike alerts' false alerts count episodes, so the units differ), and per event the hours a
firing came before the event's first organic alert, within the same window that makes a
firing about the event. The grid was written before the figures were read, and nothing is tuned
on it: it informs whether to build the kind at all.
"""

import itertools
import json
import statistics
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from common.detection import backtest
from common.detection.baseline import HOUR
from common.detection_config import DEFAULT_CONFIG
from common.metrics import window
from common.timekeys import hour_key
from eval.real import ages, corpus
from eval.real import run as real
from eval.real.run import EVENTS, WINDOW_AFTER, WINDOW_BEFORE

DAY = 24 * HOUR
WEEK = 7
RUNS, LIFTS = (3, 4), (2.0, 3.0)


def fires(
    authors: Mapping[int, int],
    community: Mapping[int, int],
    day: int,
    *,
    run: int,
    lift: float,
    min_authors: int,
    shares: bool,
) -> bool:
    """Whether the slow burn fires at the end of UTC day ``day`` (pure: tested on its own)."""
    days = range(day - run + 1, day + 1)
    seen = [authors.get(d, 0) for d in days]
    if seen[-1] < min_authors or any(a >= b for a, b in itertools.pairwise(seen)):
        return False
    if shares:
        share = [authors.get(d, 0) / max(1, community.get(d, 0)) for d in days]
        if any(a >= b for a, b in itertools.pairwise(share)):
            return False
    before = sum(authors.get(d, 0) for d in range(day - run - WEEK + 1, day - run + 1)) / WEEK
    return seen[-1] >= lift * max(1.0, before)


def score(
    daily: Mapping[str, Mapping[int, int]],
    community: Mapping[int, int],
    events: list[dict[str, Any]],
    first_alerts: Mapping[str, float | None],
    *,
    days: range,
    **variant: Any,
) -> dict[str, Any]:
    """One variant over every ticker and each of ``days`` (pure: tested on its own)."""
    firings = [
        (symbol, day)
        for symbol, authors in daily.items()
        for day in days
        if fires(authors, community, day, min_authors=DEFAULT_CONFIG.min_authors, **variant)
    ]

    def about_an_event(symbol: str, at: float) -> bool:
        return any(
            e["ticker"] == symbol and e["discussion_start"] - WINDOW_BEFORE <= at <= e["peak"] + WINDOW_AFTER
            for e in events
        )

    leads = {}
    for e, name in zip(events, real.event_names(events), strict=True):
        first = first_alerts.get(name)
        early = [
            (day + 1) * DAY
            for symbol, day in firings
            if symbol == e["ticker"]
            and e["discussion_start"] - WINDOW_BEFORE <= (day + 1) * DAY
            and (first is None or (day + 1) * DAY < first)
        ]
        leads[name] = None if not early or first is None else round((first - min(early)) / HOUR, 1)
    unrelated = [f for f in firings if not about_an_event(f[0], (f[1] + 1) * DAY)]
    gained = [v for v in leads.values() if v is not None]
    return {
        **variant,
        "firings": len(firings),
        "firings_about_no_event_per_day": round(len(unrelated) / len(days), 3) if days else 0.0,
        "tickers": len({s for s, _ in firings}),
        "events_earlier_than_their_first_alert": len(gained),
        "median_hours_earlier": statistics.median(gained) if gained else None,
        "hours_earlier": leads,
    }


def run(corpus_dir: Path) -> dict[str, Any]:
    corpus = backtest.load(corpus_dir)
    corpus = ages.with_estimated_ages(corpus, ages.corpus_model(corpus))
    community_authors: dict[int, set[str]] = {}
    for item in corpus.items():
        if item.author:
            community_authors.setdefault(int(item.created_utc // DAY), set()).add(item.author)
    replay = backtest.run(corpus)
    first_day, last_day = min(community_authors), max(community_authors) - 1  # the last day may be partial
    daily = {
        symbol: {
            d: window(state.buckets, hour_key((d + 1) * DAY - 1), 24).distinct_authors
            for d in {int(h // 24) for h in state.counts}
        }
        for symbol, state in replay.tickers.items()
    }
    events = json.loads(EVENTS.read_text())["events"]
    scored = real.score(
        [r.to_json() for r in replay.records],
        events,
        replay.items,
        float(last_day - first_day),
        warmup_days=DEFAULT_CONFIG.warmup_hours / 24,
        end=float(corpus.manifest["end"]),
    )  # scored as eval-real scores it
    first_alerts = {e["event"]: e["first_alert"] for e in scored["events"]}  # as eval-real times them
    community = {d: len(a) for d, a in community_authors.items()}
    variants = [
        score(
            daily,
            community,
            events,
            first_alerts,
            days=range(first_day + WEEK + max(RUNS), last_day + 1),  # a week before the longest run
            run=r,
            lift=lift,
            shares=shares,
        )
        for r, lift, shares in itertools.product(RUNS, LIFTS, (True, False))
    ]
    return {"corpus": corpus_dir.name, "min_authors": DEFAULT_CONFIG.min_authors, "variants": variants}


def describe(v: dict[str, Any]) -> str:
    return (
        f"run {v['run']} lift {v['lift']:g} shares {v['shares']!s:<5}: "
        f"{v['firings_about_no_event_per_day']:.2f} a day about no event, {v['tickers']} tickers; "
        f"earlier than the first alert on {v['events_earlier_than_their_first_alert']} of "
        f"{len(v['hours_earlier'])} events (median {v['median_hours_earlier']} h)"
    )


def main(argv: list[str] | None = None) -> int:
    return corpus.study(
        argv, "python -m eval.real.slow_burn", __doc__, run=run, key="real_slow_burn_study", line=describe
    )


if __name__ == "__main__":
    sys.exit(main())
