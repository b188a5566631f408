"""Fit the site's rhythm, the baseline's seasonal prior, from a real replay corpus.

A ticker with little history borrows the crowd's hour-of-day and day-of-week shape
(``common/detection/rhythm.py``). That shape is a fact about Reddit, so it is measured on
real posts, never written by hand or taken from the synthetic generator (which would make the
synthetic benchmark grade the generator against itself). Hours are New York's
(``rhythm.market_slot``): the discussion follows the US trading day, and a shape in UTC hours
would be an hour off for half the year.

Medians, not totals: a week of frenzy (a squeeze, an earnings day) would otherwise teach the
prior its own Wednesday. Each local day's hourly counts become shares of that day, each week's
daily counts shares of that week, and the prior is the median share per hour and per weekday
over every complete day and week, scaled to mean 1.

Usage::

    PYTHONPATH=. python scripts/fit_rhythm.py ../shared/data/wsb-2021-05-07 --hours-since 2021-07-01
"""

import argparse
import gzip
import json
import statistics
import sys
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

from common.detection.rhythm import HOUR, MARKET_TZ, RHYTHM_FILE, market_slot


def local_day(hour_index: int) -> int:
    """The proleptic ordinal of that hour's New York date (ordinal 1 is a Monday, so weeks
    are ``(ordinal - 1) // 7``)."""
    return datetime.fromtimestamp(hour_index * HOUR, MARKET_TZ).date().toordinal()


def fit(hour_counts: Counter[int], *, hours_since: date | None = None) -> dict[str, object]:
    """The median shares from items per UTC hour index (hours absent are hours with none);
    the hour-of-day shape only from the New York days from ``hours_since`` on."""
    if not hour_counts:
        raise ValueError("no items")
    first, last = min(hour_counts), max(hour_counts)
    days: dict[int, list[float]] = defaultdict(lambda: [0.0] * 24)
    for h in range(first, last + 1):
        days[local_day(h)][market_slot(h)[0]] += hour_counts.get(h, 0)
    # whole days: the first and last only when the items begin at a midnight and end at one
    # (a New York day is 23, 24 or 25 hours long)
    from_day = local_day(first) + (local_day(first - 1) == local_day(first))
    to_day = local_day(last) - (local_day(last + 1) == local_day(last))
    whole = {d: counts for d, counts in days.items() if from_day <= d <= to_day and sum(counts) > 0}
    first_day = hours_since.toordinal() if hours_since else 0
    shaped = [counts for d, counts in whole.items() if d >= first_day]
    if not shaped:
        raise ValueError("no whole day to fit the hour-of-day shape on")
    hod = [statistics.median(counts[i] * 24 / sum(counts) for counts in shaped) for i in range(24)]
    weeks: dict[int, list[float]] = defaultdict(lambda: [0.0] * 7)
    for day, counts in whole.items():
        weeks[(day - 1) // 7][(day - 1) % 7] += sum(counts)  # ordinal 1 is a Monday
    full = [w for w in weeks.values() if all(w)]
    if not full:
        raise ValueError("no complete week: a weekday shape needs seven whole days")
    dow = [statistics.median(w[i] * 7 / sum(w) for w in full) for i in range(7)]
    return {
        "hour_of_day": [round(x * 24 / sum(hod), 3) for x in hod],
        "day_of_week": [round(x * 7 / sum(dow), 3) for x in dow],
        "days": len(whole),
        "hour_days": len(shaped),
        "weeks": len(full),
        "items": sum(hour_counts.values()),
        "from": datetime.fromtimestamp(first * HOUR, UTC).date().isoformat(),
        "to": datetime.fromtimestamp(last * HOUR, UTC).date().isoformat(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="a replay corpus folder (items.jsonl[.gz], manifest.json)")
    parser.add_argument("--out", type=Path, default=RHYTHM_FILE)
    parser.add_argument(
        "--hours-since",
        type=date.fromisoformat,
        help="fit the hour-of-day shape on days from this date on (days whose hours the corpus's README"
        " says are under-covered still count toward the weekday shape, each losing about the same)",
    )
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    packed = args.corpus / "items.jsonl.gz"  # the replay format's two spellings; not via the
    # backtest, whose import loads the very file this script writes
    counts: Counter[int] = Counter()
    with gzip.open(packed, "rt") if packed.exists() else (args.corpus / "items.jsonl").open() as lines:
        for line in lines:
            if line.strip():
                counts[int(float(json.loads(line)["created_utc"]) // HOUR)] += 1
    manifest = json.loads((args.corpus / "manifest.json").read_text())
    rhythm = {
        "source": f"{args.corpus.name}: {manifest.get('source', 'a replay corpus')}",
        "method": "scripts/fit_rhythm.py: median hourly share of each New York day, median daily share of each week",
        "timezone": MARKET_TZ.key,
        "hours_since": args.hours_since.isoformat() if args.hours_since else None,
        **fit(counts, hours_since=args.hours_since),
    }
    args.out.write_text(json.dumps(rhythm, indent=1) + "\n")
    print(json.dumps(rhythm))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
