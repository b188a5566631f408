"""Where a ticker's hourly series comes from.

Recent hours live in Firestore (``tickers/{SYMBOL}/hours/{yyyymmddhh}``, written by
aggregate). Long ranges (``?hours=`` up to 90 days) belong in BigQuery's ``mentions``
table, which the archive owns. The seam: anything implementing
:class:`HourlySource` can be handed to :func:`functions.api.app.create_app` as
``archive``; ranges longer than ``recent_hours`` go to it (``functions/api/main.py`` wires
``common.adapters.bigquery.BigQueryHours``): one query instead of a read per hour (up to
2,160). Without one, or while it fails, or for a range reaching further back than the
archive keeps (``HISTORY_RETENTION_DAYS``, its day partitions' expiry), Firestore answers, and says
``complete: false`` only when the range reaches past what it keeps (``recent_keeps_hours``;
its hour buckets have no TTL, so by default it keeps every hour since collection began).
The newest :data:`FRESH_HOURS` of an archive answer are Firestore's all the same: the archive
is written after aggregate counts (and behind it while it retries), so its newest hours may
be short, which a chart would show as a fall that never happened. Older days can be short
too: a batch the archive failed on through every retry waits in the dead-letter hold, and one
never replayed is never archived. So each day of an archive answer is checked against
aggregate's day bucket (``tickers/{SYMBOL}/days``, one small read a day): a day the archive
holds fewer mentions of is read hour by hour from Firestore instead (at most
:data:`MENDED_DAYS_MAX` of them; past that, or unchecked, the answer says ``complete: false``). A day the
archive holds more of (items older than aggregate counts, a backfill) is the archive's.

An archive reader returns the same dicts as :meth:`FirestoreHours.hours`: one per hour
with ``hour`` (yyyymmddhh), ``start_utc`` and the bucket counters of
docs/data-model.md (``authors`` may be replaced by ``distinct_authors``).
"""

import time
from dataclasses import dataclass
from typing import Any, Protocol

from common import log
from common.metrics import hll_estimate
from functions.api.store import Store

logger = log.get_logger(__name__)

DAY_S = 86400
RECENT_HOURS = 24 * 7  # ranges up to this are read from Firestore, a read per hour; longer is the archive's
FRESH_HOURS = 6  # an archive answer's newest hours, read from Firestore: the archive may lag by that much
MENDED_DAYS_MAX = 7  # short archive days read from Firestore instead, 24 reads each, per answer


def counted(row: dict[str, Any]) -> dict[str, Any]:
    """An hour as the API shows it: its counters, with its authors (up to a thousand names,
    or the sketch's registers past that bound) as how many there were. Applied as the hours
    are read, a busy ticker's 90 days of buckets never sit in memory whole (~170 KB an hour)."""
    authors, registers = row.get("authors"), row.get("hll")
    if row.get("authors_overflow") and isinstance(registers, dict):
        distinct = round(hll_estimate(registers))  # past the exact bound (common.metrics)
    elif isinstance(authors, list):
        distinct = len(authors)
    else:
        distinct = int(row.get("distinct_authors") or 0)
    return {k: v for k, v in row.items() if k not in ("authors", "hll")} | {"distinct_authors": distinct}


class HourlySource(Protocol):
    name: str

    def hours(self, symbol: str, start_utc: int, end_utc: int) -> list[dict[str, Any]]:
        """Hourly buckets of ``symbol`` with ``start_utc`` in [start_utc, end_utc], oldest first."""
        ...


class DailyTotals(Protocol):
    def day_mentions(self, symbol: str, start_utc: int, end_utc: int) -> dict[int, int]:
        """Start of each UTC day with ``start_utc`` in [start_utc, end_utc] -> the mentions
        counted that day; days without any are absent."""
        ...


@dataclass
class FirestoreHours:
    store: Store
    name: str = "firestore"

    def hours(self, symbol: str, start_utc: int, end_utc: int) -> list[dict[str, Any]]:
        return [counted(row) for row in self.store.stream_hours(symbol, start_utc, end_utc)]


@dataclass
class HistoryReader:
    recent: HourlySource
    archive: HourlySource | None = None
    days: DailyTotals | None = None  # what each day counted (the API's Store), to find the archive's short days
    recent_hours: int = RECENT_HOURS
    recent_keeps_hours: int | None = None  # the recent source's retention; None: every hour
    archive_keeps_hours: int | None = None  # the archive's (its partitions' expiry); None: every hour
    fresh_hours: int = FRESH_HOURS

    def read(
        self, symbol: str, start_utc: int, end_utc: int, *, now: float | None = None
    ) -> tuple[str, bool, list[dict[str, Any]]]:
        """(source name, complete, hours) for the range. A source keeps what is younger than
        its retention (``now``: the wall clock's time, by default): a range reaching further
        back is the recent source's when that one keeps it whole (dearer to read, but all of
        it), else the archive's, said incomplete."""
        # the archive expires whole days (partitions by day, UTC): the oldest hour's day counts
        oldest = (time.time() if now is None else now) - (start_utc - start_utc % DAY_S)
        span_hours = (end_utc - start_utc) // 3600 + 1
        recent_whole = _keeps(self.recent_keeps_hours, oldest)
        if span_hours <= self.recent_hours:
            return self.recent.name, recent_whole, self.recent.hours(symbol, start_utc, end_utc)
        archive_whole = _keeps(self.archive_keeps_hours, oldest)
        if self.archive is not None and (archive_whole or not recent_whole):
            fresh = max(start_utc, end_utc - (self.fresh_hours - 1) * 3600)
            first_day = _day_of(start_utc)  # whole days, to set against their day buckets
            try:
                older = self.archive.hours(symbol, first_day, fresh - 3600) if fresh > start_utc else []
            except Exception as exc:  # an archive outage degrades the answer, it does not fail it
                logger.warning("archive history unavailable, answering from %s: %s", self.recent.name, exc)
            else:
                rows, mended_all = self._mended(
                    symbol, older + self.recent.hours(symbol, fresh, end_utc), first_day, end_utc
                )
                return self.archive.name, archive_whole and mended_all, [r for r in rows if r["start_utc"] >= start_utc]
        return self.recent.name, recent_whole, self.recent.hours(symbol, start_utc, end_utc)

    def _mended(
        self, symbol: str, rows: list[dict[str, Any]], first_day: int, end_utc: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """``rows`` with each day the archive holds fewer mentions of than aggregate counted
        read from the recent source instead, and whether every such day was."""
        if self.days is None:
            return rows, True
        try:
            counted_days = self.days.day_mentions(symbol, first_day, end_utc)
        except Exception as exc:  # unchecked: the answer is what the archive holds, not said complete
            logger.warning("day buckets unavailable, archive history unchecked: %s", exc)
            return rows, False
        held: dict[int, int] = {}
        for row in rows:
            day = _day_of(int(row["start_utc"]))
            held[day] = held.get(day, 0) + int(row.get("mentions") or 0)
        # newest first: past the bound, the days a chart's reader looks at most are the ones mended
        short = sorted((day for day, n in counted_days.items() if held.get(day, 0) < n), reverse=True)
        if not short:
            return rows, True
        if len(short) > MENDED_DAYS_MAX:
            logger.warning(
                "archive history of %s short on %d days, %d read from Firestore", symbol, len(short), MENDED_DAYS_MAX
            )
        mended = set(short[:MENDED_DAYS_MAX])
        kept = [r for r in rows if _day_of(int(r["start_utc"])) not in mended]
        for day in mended:
            kept += self.recent.hours(symbol, day, min(day + DAY_S - 3600, end_utc))
        return sorted(kept, key=lambda r: int(r["start_utc"])), len(short) <= MENDED_DAYS_MAX


def _day_of(at: int) -> int:
    """Start of the UTC day ``at`` falls in."""
    return at - at % DAY_S


def _keeps(retention_hours: int | None, age_s: float) -> bool:
    """Whether a source that keeps ``retention_hours`` (None: every hour) still holds an hour
    that began ``age_s`` ago: expiry goes by age, not by how long the range is."""
    return retention_hours is None or age_s <= retention_hours * 3600
