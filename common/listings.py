"""When each symbol meant its security: the point-in-time part of the symbol universe.

A text means the symbols that traded on the day it was written. "HOOD" in May 2021 is a
word (Robinhood listed on 2021-07-29); "APHA" in December 2020 is Aphria, gone since its
merger with Tilray. Extraction asks :func:`Listings.valid` with the item's own time, so a
replay of 2021 reads 2021's universe, and live traffic today's.

Read from ``common/data``: ``symbol_history.csv`` (dates, curated with their precision),
``listings_since_2022.csv`` (listed from the month given), ``delisted_since_2022.csv``
(gone by the end of the year given, unless the history is more precise) and
``gone_before_2022.csv`` (in a 2020 snapshot, gone from the 2022 base list: valid until that
list's date; every curated file wins over it). A symbol in none of them is taken as listed
throughout. Pure: files in, lookups out; no clock.
"""

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True, slots=True)
class Listing:
    """Half-open validity: ``listed <= t < delisted`` (epoch seconds; infinite when open)."""

    listed: float = -math.inf
    delisted: float = math.inf
    successor: str | None = None
    renamed: bool = False  # the successor is this company under a new symbol, not another one
    # from when the company's new name (its successor's) already named it: a rename that
    # came before the symbol changed ("Meta" was FB from 2021-10-28 to 2022-06-08)
    renamed_from: float = math.inf
    # listed again under the same symbol from then on, after the gap from ``delisted`` (Hertz:
    # off the NYSE in its bankruptcy, traded over the counter, back on Nasdaq as HTZ)
    relisted: float = math.inf

    def valid(self, at: float | None) -> bool:
        """``at`` None asks about the universe as shipped: still listed."""
        if at is None:
            return self.delisted == math.inf or self.relisted < math.inf
        return self.listed <= at < self.delisted or at >= self.relisted


EXCHANGE_TZ = ZoneInfo("America/New_York")  # where a listing's days begin and end


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(line for line in f if not line.startswith("#"))


def _day(text: str) -> date:
    parts = [int(p) for p in text.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def _start(text: str) -> float:
    """Midnight of that trading day where the exchanges are: a text written the evening before
    a listing, New York time, was written before it (and the evening before a delisting or a
    rename, while the old symbol still traded)."""
    return datetime.combine(_day(text), datetime.min.time(), tzinfo=EXCHANGE_TZ).timestamp()


def _after(text: str, precision: str) -> float:
    """The first moment after the last trading day ``text`` (a day, or the end of the month or
    year it names when that is all that is known)."""
    day = _day(text)
    if precision == "year" or text.count("-") == 0:
        day = date(day.year, 12, 31)
    elif precision == "month" and text.count("-") == 1:
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return _start((day + timedelta(days=1)).isoformat())


@dataclass(frozen=True)
class Listings:
    windows: dict[str, Listing]
    names: dict[str, str]  # names of symbols that left before the base list was made
    # new symbol -> old, for a company that took its new name before its new symbol
    named_first: dict[str, str] = field(default_factory=dict)

    def valid(self, symbol: str, at: float | None) -> bool:
        window = self.windows.get(symbol)
        return window is None or window.valid(at)

    def named_early(self, symbol: str, at: float | None) -> str | None:
        """The symbol a name of ``symbol``'s company named at ``at``, before ``symbol`` itself
        traded: the old one, when the company took its new name first (Meta in January 2022
        is FB); None when no rename says so."""
        old = self.named_first.get(symbol)
        if at is None or old is None:
            return None
        window = self.windows[old]
        return old if window.renamed_from <= at and window.valid(at) else None

    @classmethod
    def load(cls, data: Path = DATA) -> "Listings":
        windows: dict[str, Listing] = {}
        names: dict[str, str] = {}
        # Listed before the snapshot as far as anyone here knows (its listing day is unknown,
        # as for the base list's symbols), and gone by the day the base list was made: the
        # exact delisting day is unknown too, so texts up to then keep the symbol. A symbol
        # that symbols.csv lists again (a universe refreshed from the exchanges, where a new
        # company took it) is today's company: one window per symbol, and the live one wins.
        current = {row["symbol"] for row in _rows(data / "symbols.csv")}
        for row in _rows(data / "gone_before_2022.csv"):
            if row["symbol"] not in current:
                windows[row["symbol"]] = Listing(delisted=_start(row["gone_by"]))
                names[row["symbol"]] = row["name"]
        for row in _rows(data / "listings_since_2022.csv"):
            windows[row["symbol"]] = Listing(listed=_start(row["listed"]))
        for row in _rows(data / "delisted_since_2022.csv"):
            windows[row["symbol"]] = Listing(delisted=_after(row["year"], "year"))
            names[row["symbol"]] = row["what happened"].split(":")[0]
        for row in _rows(data / "symbol_history.csv"):
            precision = row["precision"] or "day"
            windows[row["symbol"]] = Listing(
                listed=_start(row["listed"]) if row["listed"] else -math.inf,
                delisted=_after(row["delisted"], precision) if row["delisted"] else math.inf,
                successor=row["successor"] or None,
                renamed=row.get("change") == "rename",
                renamed_from=_start(row["renamed_from"]) if row.get("renamed_from") else math.inf,
                relisted=_start(row["relisted"]) if row.get("relisted") else math.inf,
            )
            if row["name"]:
                names[row["symbol"]] = row["name"]
        early = {
            w.successor: old for old, w in windows.items() if w.renamed and w.successor and w.renamed_from < math.inf
        }
        return cls(windows, names, early)
