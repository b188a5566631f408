"""The crowd of a data hour, from Firestore aggregation queries rather than a scan.

What a ticker is compared with (``common.detection.baseline.week_rate`` and
``common.detection.market.activity``) needs how many tickers were talked about in the week
and the community's hourly volume over the week and the market window. Reading every ``tickers/*`` summary for
that costs one read per ticker per data hour; a ``count`` and a ``sum`` per hour over the
summaries cost one read per thousand tickers, and the alerts opened in the day before one
``count``. The
community's volumes are kept in each hour's crowd document, so a new hour recounts only the
hours since the newest earlier crowd's latest ``RECOUNT_HOURS`` (items of those may still be
arriving) and takes the older ones from it; with no such document (the first hour) it scans
the summaries once.
"""

from collections.abc import Mapping
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.aggregation import AggregationQuery
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.field_path import FieldPath

from common.adapters import firestore as fs
from common.detection.baseline import HOUR, WEEK_HOURS
from common.detection.lifecycle import budget_window
from common.detection_config import DetectionConfig
from common.timekeys import hour_key, hour_start

RECOUNT_HOURS = 2  # the latest hours recounted at each new hour: later items may still land there
MAX_RECOUNT = 48  # hours to recount one by one before a single scan of the summaries is cheaper


def span(hour: int, config: DetectionConfig) -> range:
    """The hours (indexes) the crowd reads before ``hour``: the rate's week, and the market
    term's window with the same window on each of the previous ``market_days`` days."""
    return range(hour - max(WEEK_HOURS, config.market_window_hours + 24 * config.market_days), hour)


def tickers_since(db: firestore.Client, hour: int) -> int:
    """How many tickers were named in ``hour`` or after (their summary's ``as_of``, its newest
    item, from then on): one ``count`` query on a single field, as the backtest counts the
    tickers it saw named since then."""
    query = db.collection(fs.TICKERS).where(filter=FieldFilter("as_of", ">=", float(hour * HOUR)))
    rows = AggregationQuery(fs.indexed(query)).count(alias="tickers").get()
    return int(next((r.value for row in rows for r in row if r.alias == "tickers"), 0) or 0)


def alerts_opened(db: firestore.Client, hour: int) -> int:
    """Organic alerts opened in the 24 hours before the hour before ``hour`` (data time): what
    the alert budget (``common.detection.lifecycle.budget_bar``) has spent. Pump flags spend
    none (one promoter's flag says nothing about how crowded the organic alerts are). The
    kind is the one an alert opened as (``opened_kind``, never changed), as the backtest's
    ``WeekVolume`` counts it: a reclassification arriving after the count changes nothing. The latest hour is
    left out because its items may still be arriving (as ``RECOUNT_HOURS`` says), and an
    alert opened late for it must count the same here as in the backtest (one decided more than an
    hour late does not: docs/detection.md). One count query."""
    window = budget_window(hour)
    alerts = db.collection(fs.ALERTS)
    query = (
        alerts.where(filter=FieldFilter("opened_kind", "==", "organic"))
        .where(filter=FieldFilter("opened_at", ">=", float(window.start * HOUR)))
        .where(filter=FieldFilter("opened_at", "<", float(window.stop * HOUR)))
    )
    rows = AggregationQuery(fs.indexed(query)).count(alias="opened").get()
    return int(next((r.value for row in rows for r in row if r.alias == "opened"), 0) or 0)


def hour_volume(db: firestore.Client, hour: int) -> int:
    """The community's discussion volume in the hour ``hour``: every summary's ``series``
    entry for it, summed by Firestore."""
    field = FieldPath("series", hour_key(hour * HOUR))
    rows = db.collection(fs.TICKERS).sum(field, alias="volume").get()
    return int(next((r.value for row in rows for r in row if r.alias == "volume"), 0) or 0)


def scanned(db: firestore.Client, hours: range) -> dict[int, int]:
    """The community's volume per hour of ``hours`` from every summary's series: the fallback
    when no earlier hour's crowd holds them (one read per ticker)."""
    by_hour: dict[int, int] = {}
    for snap in db.collection(fs.TICKERS).select(["series"]).stream():
        for key, n in ((snap.to_dict() or {}).get("series") or {}).items():
            index = hour_start(key) // HOUR
            if index in hours:
                by_hour[index] = by_hour.get(index, 0) + int(n)
    return by_hour


def latest_before(crowds: firestore.CollectionReference, hour: int) -> Mapping[str, Any] | None:
    """The newest crowd document of an hour before ``hour`` (one read): hours without any
    decision have none."""
    query = crowds.where(filter=FieldFilter("hour", "<", hour_key(hour * HOUR)))
    query = fs.indexed(query.order_by("hour", direction=firestore.Query.DESCENDING).limit(1))
    return next((snap.to_dict() for snap in query.stream()), None)


def community(
    db: firestore.Client, hour: int, config: DetectionConfig, before: Mapping[str, Any] | None
) -> dict[int, int]:
    """The community's volume for every hour of :func:`span` (0 included): the older ones
    from ``before`` (the newest earlier crowd document) when it holds them all, and the
    hours since its own latest ``RECOUNT_HOURS`` counted now; a scan of the summaries when
    ``before`` is missing, of another span, or more than ``MAX_RECOUNT`` hours back."""
    hours = span(hour, config)
    kept = (before or {}).get("community")
    older = {int(k): int(v) for k, v in kept.items()} if isinstance(kept, dict) else {}
    then = hour_start(str((before or {}).get("hour") or hour_key(0))) // HOUR
    recount = range(max(hours.start, then - RECOUNT_HOURS), hour)
    if len(recount) > MAX_RECOUNT or any(h not in older for h in hours if h not in recount):
        return {h: 0 for h in hours} | scanned(db, hours)
    return {h: older[h] for h in hours if h not in recount} | {h: hour_volume(db, h) for h in recount}
