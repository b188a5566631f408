"""Score a backtest against the corpus labels, and ``make eval``'s driver.

Per scenario: was it alerted, and how long before its peak (data time). Organic breakouts
and the late viral spike count as detected by an *organic* alert opened between a day
before their start and their peak; a pump is flagged by a *pump* alert and fails if any
organic alert is raised on it around the campaign; the always-popular ticker must raise no
alert at all. Every other alert episode (by id) is a false alert.
"""

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from common.detection.backtest import load, load_config, run
from common.detection.lifecycle import Alert
from common.detection_config import DetectionConfig

DAY = 86400.0
BEFORE_START_S = DAY  # an alert this long before the labelled start still belongs to it
AFTER_PEAK_S = 2 * DAY  # ... and this long after the peak (pump flags, late organic alerts)


def _matches(alert: Alert, label: dict[str, Any]) -> bool:
    start, peak = float(label["start"]), float(label["peak"])
    return alert.symbol == label["ticker"] and start - BEFORE_START_S <= alert.opened_at <= peak + AFTER_PEAK_S


def _organic_opened(alert: Alert) -> float | None:
    """When the episode first was organic (opened or reopened as such), if ever."""
    times = [h["at"] for h in alert.history if h.get("kind") == "organic" and h.get("event") in ("opened", "reopened")]
    return min(times) if times else None


def score(
    alerts: Sequence[Alert], labels: Iterable[dict[str, Any]], manifest: dict[str, Any], warmup_days: float = 0.0
) -> dict[str, Any]:
    """Per scenario, and false alerts as ``make eval-real`` counts them: organic openings
    (opened or reopened as organic) about no labelled scenario, per day the detector could
    alert (after ``warmup_days``). Pump flags about no scenario are counted apart."""
    labels = list(labels)
    rows: list[dict[str, Any]] = []
    claimed: set[str] = set()
    for label in labels:
        mine = [
            a
            for a in alerts
            if (label["scenario"] == "always_popular" and a.symbol == label["ticker"]) or _matches(a, label)
        ]
        claimed.update(a.alert_id for a in mine)
        organic_times = sorted(t for a in mine if (t := _organic_opened(a)) is not None)
        row: dict[str, Any] = {
            "scenario": label["scenario"],
            "ticker": label["ticker"],
            "start": label["start"],
            "peak": label["peak"],
            "alerts": [a.alert_id for a in mine],
        }
        if label["scenario"] in ("organic_breakout", "late_viral"):
            first = next((t for t in organic_times if t <= label["peak"]), None)
            row["detected"] = first is not None
            row["first_alert"] = first
            row["lead_time_h"] = round((label["peak"] - first) / 3600, 2) if first is not None else None
        elif label["scenario"] == "pump":
            row["flagged"] = any(a.kind == "pump" for a in mine)
            row["alerted_as_organic"] = bool(organic_times)
            row["detected"] = row["flagged"] and not row["alerted_as_organic"]
        else:  # always_popular
            row["alerted"] = bool(mine)
            row["detected"] = not mine  # "handled": it stayed quiet
        rows.append(row)
    unclaimed = [a for a in alerts if a.alert_id not in claimed]
    false_openings = [
        (a.alert_id, h["at"])
        for a in unclaimed
        for h in a.history
        if h.get("kind") == "organic" and h.get("event") in ("opened", "reopened")
    ]
    false = sorted({alert_id for alert_id, _ in false_openings})
    false_pumps = sorted(a.alert_id for a in unclaimed if a.alert_id not in false and a.kind == "pump")
    days = max(1e-9, (manifest["end"] - manifest["start"]) / DAY - warmup_days)
    organic = [r for r in rows if r["scenario"] == "organic_breakout"]
    leads = [r["lead_time_h"] for r in organic if r["lead_time_h"] is not None]
    pumps = [r for r in rows if r["scenario"] == "pump"]
    return {
        "organic_detected": sum(r["detected"] for r in organic),
        "organic_total": len(organic),
        "median_lead_time_h": round(statistics.median(leads), 2) if leads else None,
        "pumps_alerted_as_organic": sum(r["alerted_as_organic"] for r in pumps),
        "pumps_flagged": sum(r["flagged"] for r in pumps),
        "pumps_total": len(pumps),
        "always_popular_alerted": sum(r.get("alerted", False) for r in rows),
        "false_alerts": len(false_openings),
        "false_alerts_per_day": round(len(false_openings) / days, 3),
        "false_alert_ids": false,
        "false_pump_flags": false_pumps,
        "alerts_total": len({a.alert_id for a in alerts}),
        "days": round(days, 2),
        "scenarios": rows,
    }


def passes(summary: dict[str, Any]) -> bool:
    """The issue's bar: every breakout caught, a day before its peak at the median (one
    caught later passes if the others make up for it), every pump flagged and none passed as
    organic, at most one false alert a day, the always-popular ticker left alone."""
    lead = summary["median_lead_time_h"]
    return bool(
        summary["organic_detected"] == summary["organic_total"]
        and lead is not None
        and lead >= 24
        and summary["pumps_alerted_as_organic"] == 0
        and summary["pumps_flagged"] == summary["pumps_total"]
        and summary["false_alerts_per_day"] <= 1
        and summary["always_popular_alerted"] == 0
    )


def evaluate_corpus(path: Path, config: DetectionConfig) -> dict[str, Any]:
    corpus = load(path)
    replay = run(corpus, config)
    alerts = [a for state in replay.tickers.values() for a in state.alerts]
    summary = score(alerts, corpus.labels, corpus.manifest, warmup_days=config.warmup_hours / 24)
    summary["corpus"] = str(path)
    summary["seed"] = corpus.manifest.get("seed")
    summary["items"] = replay.items
    summary["mentions"] = replay.mentions
    summary["passes"] = passes(summary)
    return summary


def _print(summary: dict[str, Any]) -> None:
    keys = ("organic_detected", "organic_total", "median_lead_time_h", "pumps_alerted_as_organic", "pumps_flagged",
            "pumps_total", "false_alerts_per_day", "always_popular_alerted", "passes")  # fmt: skip
    print(f"== {summary['corpus']} (seed {summary['seed']}, {summary['items']} items, {summary['mentions']} mentions)")
    print("   " + "  ".join(f"{k}={summary[k]}" for k in keys))
    for row in summary["scenarios"]:
        extra = {k: row[k] for k in ("detected", "lead_time_h", "flagged", "alerted_as_organic", "alerted") if k in row}
        print(f"   {row['scenario']:<17} {row['ticker']:<6} {json.dumps(extra)}")
    if summary["false_alert_ids"]:
        print(f"   false alerts: {', '.join(summary['false_alert_ids'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Backtest labelled corpora and score them (make eval).")
    parser.add_argument("corpora", nargs="*", type=Path, default=[Path("data/replay/default")])
    parser.add_argument(
        "--generate-seed", type=int, action="append", default=[], help="also score a corpus generated with this seed"
    )
    parser.add_argument("--days", type=int, default=14, help="length of generated corpora")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--out", type=Path, default=Path("eval/results.json"))
    args = parser.parse_args(argv)
    config = load_config(args.config)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="akleao-eval-") as tmp:
        paths = list(args.corpora)
        if args.generate_seed:
            from devtools.replay.generate import generate, write

            for seed in args.generate_seed:
                target = Path(tmp) / f"seed-{seed}"
                write(generate(seed, args.days), target)
                paths.append(target)
        for path in paths:
            summary = evaluate_corpus(path, config)
            if str(path).startswith(tmp):
                summary["corpus"] = f"generated (seed {summary['seed']}, {args.days} days)"
            _print(summary)
            results.append(summary)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}  # other blocks (the real corpus) stay
    args.out.write_text(json.dumps({**previous, "config": config.model_dump(), "corpora": results}, indent=2) + "\n")
    print(f"written {args.out}")
    return 0 if all(r["passes"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
