"""``make eval-real``: the detector on real Reddit history, the figures that matter.

Backtests the development corpus (``wsb-2021-05-07``: three months of real r/wallstreetbets
posts, read from ``../shared/data`` or ``AKLEAO_REAL_DATA``, never from the project) with the
production configuration, and scores it against the events labelled from its own data and
price files (``events-2021-05-07.json``, made by ``label_events.py``):

- per event: the first organic alert on the ticker against the discussion start, the open and
  the close of the first session that closed 20 % up, and the discussion peak;
- overall: false alerts per day (organic alerts on tickers with no labelled event, or outside
  an event's window), the busiest day's alerts, alerts on symbols that did not trade that
  day, alerts per 1,000 items.

Writes ``eval/out/real.json``; ``--refresh`` puts the block into ``eval/results.json``.
"""

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import extraction
from common.detection import backtest
from common.detection.baseline import HOUR
from common.detection.lifecycle import Alert
from common.detection_config import DEFAULT_CONFIG, PUMP_COMPONENTS, DetectionConfig
from eval.real import ages, alert_review, corpus, results

HERE = Path(__file__).resolve().parent
EVENTS = HERE / "events-2021-05-07.json"
SCRATCH = results.LATEST_REAL
DAY = 24 * HOUR
WINDOW_BEFORE, WINDOW_AFTER = 3 * DAY, 3 * DAY  # an alert this close to an event is about it
OPEN, CLOSE = timedelta(hours=13, minutes=30), timedelta(hours=20)  # UTC, in this period (ET = UTC-4)


# The 20 % bar's margin: the same counts with the first session closing at least this much up
# (AMC closed 19.96 % up two sessions before its first 20 % session).
THRESHOLDS = (0.15, 0.195, 0.2, 0.25)


def _window(event: dict[str, Any], at: float) -> bool:
    return bool(event["discussion_start"] - WINDOW_BEFORE <= at <= event["peak"] + WINDOW_AFTER)


def score(
    records: list[dict[str, Any]],
    events: list[dict[str, Any]],
    items: int,
    days: float,
    warmup_days: float = 0.0,
    *,
    end: float | None = None,
) -> dict[str, Any]:
    """The figures, from the alert events the backtest wrote (pure: tested on its own).
    ``warmup_days``: the start of the corpus in which the detector may not alert, left out
    of the days false alerts are spread over. ``end``: the corpus's end; a session that
    closes after it prices nothing (every alert the corpus can hold is before it), so its
    event is left out of the before-open and before-close counts."""
    opened = [r for r in records if r["event"] in ("opened", "reopened")]
    organic = [r for r in opened if r["kind"] == "organic"]
    per_event = []
    for event, name in zip(events, event_names(events), strict=True):
        mine = sorted(r["at"] for r in organic if r["symbol"] == event["ticker"] and _window(event, r["at"]))
        first = mine[0] if mine else None
        row: dict[str, Any] = {
            "event": name,
            "ticker": event["ticker"],
            "discussion_start": event["discussion_start"],
            "first_alert": first,
            "hours_after_discussion_start": None
            if first is None
            else round((first - event["discussion_start"]) / HOUR, 1),
            "hours_before_peak": None if first is None else round((event["peak"] - first) / HOUR, 1),
            "first_20pct_session": event["first_20pct_session"],
        }
        if event["session_open"] is not None and _in_corpus(event["session_close"], end):
            row["before_session_open"] = first is not None and first < event["session_open"]
            row["before_session_close"] = first is not None and first < event["session_close"]
        per_event.append(row)

    def about_an_event(r: dict[str, Any]) -> bool:
        return any(e["ticker"] == r["symbol"] and _window(e, r["at"]) for e in events)

    false = [r for r in organic if not about_an_event(r)]
    per_day = Counter(time.strftime("%Y-%m-%d", time.gmtime(r["at"])) for r in organic)
    unlisted = [r for r in opened if not extraction.is_listed(r["symbol"], r["at"])]
    priced = [e for e in per_event if "before_session_close" in e]
    alerting_days = max(0.0, days - warmup_days)
    return {
        "events": per_event,
        "events_alerted": sum(e["first_alert"] is not None for e in per_event),
        "events_alerted_before_peak": sum(
            row["first_alert"] is not None and row["first_alert"] <= event["peak"]
            for row, event in zip(per_event, events, strict=True)
        ),
        "events_labelled": len(per_event),
        "before_close": sum(e["before_session_close"] for e in priced),
        "before_open": sum(e["before_session_open"] for e in priced),
        "events_priced": len(priced),
        # no price file: whether they had a +20 % session is not known, so they are not counted
        "events_unpriced": [
            row["event"] for row, event in zip(per_event, events, strict=True) if not event.get("priced", True)
        ],
        "sessions_after_the_corpus": [
            row["event"] for row in per_event if row["first_20pct_session"] and "before_session_close" not in row
        ],
        "by_threshold": {
            f"at_{t * 100:g}".replace(".", "_"): _at_threshold(events, per_event, t, end) for t in THRESHOLDS
        },
        "organic_alerts": len(organic),
        "pump_alerts": sum(r["kind"] == "pump" for r in opened),
        "false_alerts": len(false),
        "false_alerts_per_day": round(len(false) / alerting_days, 3) if alerting_days else 0.0,
        "false_alert_symbols": dict(Counter(r["symbol"] for r in false).most_common(15)),
        "busiest_day": max(per_day.items(), key=lambda kv: kv[1], default=("", 0)),
        "alerts_on_unlisted_symbols": len(unlisted),
        "alerts_per_1000_items": round(1000 * len(organic) / items, 3) if items else 0.0,
        "items": items,
        "days": round(days, 1),
        "alerting_days": round(alerting_days, 1),
    }


def event_names(events: list[dict[str, Any]]) -> list[str]:
    """Each event's name: its ticker, with the day its discussion started when the ticker has
    several (SPCE's June and July waves)."""
    tickers = Counter(e["ticker"] for e in events)
    return [
        e["ticker"]
        if tickers[e["ticker"]] == 1
        else f"{e['ticker']} {time.strftime('%Y-%m-%d', time.gmtime(e['discussion_start']))}"
        for e in events
    ]


def _in_corpus(close: float, end: float | None) -> bool:
    return end is None or close <= end


def _at_threshold(
    events: list[dict[str, Any]], per_event: list[dict[str, Any]], threshold: float, end: float | None = None
) -> dict[str, int]:
    """Before-open and before-close counts with the first session closing ``threshold`` up
    (from each event's ``sessions``), over the events that had one within the corpus."""
    priced = before_open = before_close = 0
    for event, row in zip(events, per_event, strict=True):
        session = next((x for x in event.get("sessions", []) if x["change"] >= threshold), None)
        if session is None:
            continue
        day = datetime.fromisoformat(session["day"]).replace(tzinfo=UTC)
        if not _in_corpus((day + CLOSE).timestamp(), end):
            continue
        priced += 1
        first = row["first_alert"]
        before_open += first is not None and first < (day + OPEN).timestamp()
        before_close += first is not None and first < (day + CLOSE).timestamp()
    return {"events_priced": priced, "before_open": before_open, "before_close": before_close}


def organic_pump_signals(announced: Iterable[tuple[str, Alert]]) -> dict[str, Any]:
    """The pump-risk components organic alerts were announced with (opened, reopened,
    escalated; the ``trigger`` each event wrote): how many carried one at its full share, the
    highest component, and the highest weighted pump risk (pure: tested on its own). Under
    the default weights a component at full from low diversity, new accounts or copy-paste
    already reaches the organic bar alone; emoji and stuffing do not."""
    organic = [
        alert for event, alert in announced if alert.kind == "organic" and event in ("opened", "reopened", "escalated")
    ]
    rows = [
        (alert.symbol, {n: float(alert.trigger.get("metrics", {}).get(f"pump_{n}", 0.0)) for n in PUMP_COMPONENTS})
        for alert in organic
    ]
    peaks = [(value, name, symbol) for symbol, parts in rows for name, value in parts.items()]
    value, name, symbol = max(peaks, default=(0.0, "", ""))
    risk, risky = max(((a.pump_risk, a.symbol) for a in organic), default=(0.0, ""))
    return {
        "announcements": len(rows),
        "with_a_component_at_full": sum(any(v >= 1.0 for v in parts.values()) for _, parts in rows),
        "highest": {"value": round(value, 4), "component": name, "symbol": symbol} if value > 0 else None,
        # the weighted risk itself: how close real growth comes to the organic bar
        "highest_risk": {"value": round(risk, 4), "symbol": risky} if risk > 0 else None,
    }


def run(corpus_dir: Path, config: DetectionConfig = DEFAULT_CONFIG, *, estimated_ages: bool = True) -> dict[str, Any]:
    corpus = backtest.load(corpus_dir)
    if estimated_ages:
        corpus = ages.with_estimated_ages(corpus, ages.corpus_model(corpus))
    started = time.perf_counter()
    replay = backtest.run(corpus, config)
    seconds = time.perf_counter() - started
    records = [r.to_json() for r in replay.records]
    events = json.loads(EVENTS.read_text())["events"]
    days = (float(corpus.manifest["end"]) - float(corpus.manifest["start"])) / DAY
    end = float(corpus.manifest["end"])
    result = score(records, events, replay.items, days, warmup_days=config.warmup_hours / 24, end=end)
    result["backtest_seconds"] = round(seconds, 1)
    result["corpus"] = corpus_dir.name
    result["organic_pump_signals"] = organic_pump_signals((r.event, r.alert) for r in replay.records)
    result["account_ages"] = "estimated" if estimated_ages else "neutral"
    result["blind_review"] = alert_review.coverage(
        (r["symbol"], r["at"], r["kind"]) for r in records if r["event"] in ("opened", "reopened")
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.real.run", description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder holding the corpora (default ../shared/data)")
    parser.add_argument("--refresh", action="store_true", help="write the block into eval/results.json")
    parser.add_argument("--config", type=Path, help="a DetectionConfig as JSON (default: the production defaults)")
    parser.add_argument(
        "--neutral-ages",
        action="store_true",
        help="every account two years old, as the corpus stores them (default: estimated from account ids, "
        "eval.real.ages)",
    )
    args = parser.parse_args(argv)
    corpus_dir = corpus.find(args.data)
    if corpus_dir is None:
        return 1
    result = run(corpus_dir, backtest.load_config(args.config), estimated_ages=not args.neutral_ages)
    for e in result["events"]:
        print(
            f"{e['ticker']:<5} first organic alert {e['hours_after_discussion_start']} h after the discussion started, "
            f"{e['hours_before_peak']} h before its peak; first +20% session {e['first_20pct_session']}: "
            f"before open {e.get('before_session_open')}, before close {e.get('before_session_close')}"
        )
    print(
        f"alerted {result['events_alerted']}/{result['events_labelled']} events; before the close of the first "
        f"+20% session {result['before_close']}/{result['events_priced']}, before its open {result['before_open']}; "
        f"false alerts {result['false_alerts']} ({result['false_alerts_per_day']}/day); busiest day "
        f"{result['busiest_day']}; alerts on unlisted symbols {result['alerts_on_unlisted_symbols']}; "
        f"{result['alerts_per_1000_items']} alerts per 1,000 items; backtest {result['backtest_seconds']} s"
    )
    SCRATCH.parent.mkdir(parents=True, exist_ok=True)
    SCRATCH.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.refresh:
        results.record("real", result)
    print(f"wrote {SCRATCH.relative_to(HERE.parents[1])}" + (" and eval/results.json" if args.refresh else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
