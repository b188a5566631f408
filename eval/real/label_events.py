"""Label the development corpus's events once, from its own data: ``python -m
eval.real.label_events`` writes ``events-2021-05-07.json`` beside this file.

For each ticker whose discussion surged in ``wsb-2021-05-07`` (the discussion rise and peak
hours measured by regex counts on the corpus, listed in ``../shared/data/events-2021-05-07.md``),
the first trading session that closed at least 20 % above the previous close, read from the
daily price files in ``../shared/data/prices``, from two sessions before the rise to five days
after the peak. Sessions open 13:30 and close 20:00 UTC in this period (ET = UTC-4).
"""

import csv
import itertools
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from eval.tickers.real_set import data_dir

HERE = Path(__file__).resolve().parent
OUT = HERE / "events-2021-05-07.json"
# (ticker, discussion rise hour, peak hour), UTC: every row of the events file's sections A
# (the events named in the brief) and B (the other surges it found by the same method),
# SPCE twice (its June and July waves). A surge without a 20 % session (no price file, or no
# such move) is still a discussion event: an alert on it is not a false one.
EVENTS = (
    ("AMC", "2021-05-26T14:00", "2021-06-02T16:00"),
    ("BB", "2021-05-26T14:00", "2021-06-03T14:00"),
    ("CLOV", "2021-06-02T17:00", "2021-06-08T14:00"),
    ("WISH", "2021-06-08T13:00", "2021-06-09T14:00"),
    ("CLNE", "2021-06-03T13:00", "2021-06-09T14:00"),
    ("WKHS", "2021-06-02T16:00", "2021-06-03T14:00"),
    ("WEN", "2021-06-07T19:00", "2021-06-08T18:00"),
    ("CLF", "2021-06-09T12:00", "2021-06-09T16:00"),
    ("ORPH", "2021-06-10T16:00", "2021-06-10T18:00"),
    ("SENS", "2021-06-03T20:00", "2021-06-11T15:00"),
    ("TRCH", "2021-06-14T11:00", "2021-06-15T16:00"),
    ("SPCE", "2021-06-25T11:00", "2021-06-25T11:00"),
    ("SPCE", "2021-07-08T17:00", "2021-07-12T13:00"),
    ("SOFI", "2021-06-28T14:00", "2021-06-29T14:00"),
    ("NEGG", "2021-06-30T19:00", "2021-07-07T14:00"),
    ("HOOD", "2021-07-29T12:00", "2021-07-29T16:00"),
)
OPEN_UTC, CLOSE_UTC = (13, 30), (20, 0)


def _closes(prices: Path) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for path in sorted(prices.glob("*.csv")):
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(line for line in f if not line.startswith("#")):
                symbol = row.get("symbol") or row.get("Symbol") or ""
                day = (row.get("date") or row.get("Date") or "")[:10]
                close = row.get("close") or row.get("Close")
                if symbol and day and close:
                    out.setdefault(symbol, {})[day] = float(close)
    return out


def _at(day: str, hm: tuple[int, int]) -> float:
    return datetime.fromisoformat(day).replace(hour=hm[0], minute=hm[1], tzinfo=UTC).timestamp()


def label(prices: Path) -> list[dict[str, object]]:
    closes = _closes(prices)
    events = []
    for ticker, rise, peak in EVENTS:
        series = closes.get(ticker, {})
        days = sorted(series)
        rise_day = rise[:10]
        earliest = days[max(0, next((i for i, d in enumerate(days) if d >= rise_day), len(days)) - 2)] if days else ""
        latest = (datetime.fromisoformat(peak) + timedelta(days=5)).date().isoformat()
        # every session of the window with its close-to-close change: the 20 % bar's margin
        # (AMC closed 19.96 % up two sessions before its first 20 % session) is read from these
        pairs = [(before, day) for before, day in itertools.pairwise(days) if earliest <= day <= latest]
        sessions = [{"day": day, "change": round(series[day] / series[before] - 1, 4)} for before, day in pairs]
        first = next(
            (s for (before, day), s in zip(pairs, sessions, strict=True) if series[day] >= 1.2 * series[before]), None
        )
        events.append(
            {
                "ticker": ticker,
                # no price file for it: "no 20 % session" would be unknown, not measured
                "priced": bool(series),
                "discussion_start": datetime.fromisoformat(rise).replace(tzinfo=UTC).timestamp(),
                "peak": datetime.fromisoformat(peak).replace(tzinfo=UTC).timestamp(),
                "first_20pct_session": first["day"] if first else None,
                "first_20pct_change": first["change"] if first else None,
                "session_open": _at(str(first["day"]), OPEN_UTC) if first else None,
                "session_close": _at(str(first["day"]), CLOSE_UTC) if first else None,
                "sessions": sessions,
            }
        )
    return events


def main() -> int:
    prices = data_dir(None) / "prices"
    if not prices.is_dir():
        print(f"{prices} is absent: the events are labelled from its price files", file=sys.stderr)
        return 1
    events = label(prices)
    OUT.write_text(json.dumps({"corpus": "wsb-2021-05-07", "events": events}, indent=2) + "\n", encoding="utf-8")
    for e in events:
        print(e["ticker"], e["first_20pct_session"], e["first_20pct_change"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
