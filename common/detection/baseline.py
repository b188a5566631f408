"""What a ticker's volume would be without news: its own hourly history, seasonal, shrunk.

Reddit is strongly diurnal and quieter at weekends, so an expected count is a level times an
hour-of-day factor times a day-of-week factor. Each factor is the ticker's own ratio pulled
toward the site's shape by pseudo-mentions, and the level is pulled toward the global
per-ticker rate by pseudo-hours: a new or sparse ticker borrows the crowd's rhythm and rate,
so three mentions after one is not a 3x spike. The newest hours are left out of the level
(a spike must not raise its own bar) and hours far above it are capped (last week's spike
must not hide this week's).

Hours and weekdays are New York's, and the site's shape is measured on real posts
(:mod:`common.detection.rhythm`).
"""

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from common.detection import rhythm
from common.detection.market import Activity
from common.detection.rhythm import market_slot
from common.detection_config import DetectionConfig

# No hour is capped below this many mentions: a quiet ticker's level times the factor can be
# under one, and capping there would cut every ordinary hour it is named in.
CAP_FLOOR = 5.0

HOUR = rhythm.HOUR
# The prior shape for tickers with too little history (common/detection/rhythm.py).
DEFAULT_HOUR_OF_DAY, DEFAULT_DAY_OF_WEEK = rhythm.prior()


@dataclass(frozen=True)
class GlobalStats:
    """The crowd a sparse ticker is compared with: discussion per hour of the average ticker
    talked about lately (:func:`week_rate`), and the rhythm of the whole site."""

    rate: float = 0.05
    hour_of_day: tuple[float, ...] = DEFAULT_HOUR_OF_DAY
    day_of_week: tuple[float, ...] = DEFAULT_DAY_OF_WEEK
    since: float | None = None  # when data collection began (epoch s): how much history exists
    market: Activity = field(
        default_factory=Activity
    )  # the community's recent volume and its normal (common.detection.market)
    alerts_24h: int = 0  # alerts opened organic in the day before (lifecycle.budget_window): the alert budget spent

    @classmethod
    def from_doc(cls, doc: Mapping[str, object] | None) -> "GlobalStats":
        if not doc:
            return cls()
        rate = doc.get("rate")
        hod = doc.get("hour_of_day")
        dow = doc.get("day_of_week")
        since = doc.get("since")
        market = doc.get("market")
        alerts = doc.get("alerts_24h")
        return cls(
            alerts_24h=int(alerts) if isinstance(alerts, int | float) else 0,
            market=Activity(float(market.get("observed") or 0.0), float(market.get("expected") or 0.0))
            if isinstance(market, dict)
            else Activity(),
            since=float(since) if isinstance(since, int | float) else None,
            rate=float(rate) if isinstance(rate, int | float) else cls.rate,
            hour_of_day=tuple(float(x) for x in hod)
            if isinstance(hod, list) and len(hod) == 24
            else DEFAULT_HOUR_OF_DAY,
            day_of_week=tuple(float(x) for x in dow)
            if isinstance(dow, list) and len(dow) == 7
            else DEFAULT_DAY_OF_WEEK,
        )


WEEK_HOURS = 168  # what the crowd's rate averages over


def week_start(hour: int, since_hour: int | None = None) -> int:
    """The first hour of the rate's week before ``hour``: 168 hours back, or when data
    collection began if that is later."""
    return hour - WEEK_HOURS if since_hour is None else max(hour - WEEK_HOURS, since_hour)


def week_rate(volumes: Mapping[int, int], hour: int, tickers: int, since_hour: int | None = None) -> float:
    """Discussion per hour of the average ticker talked about lately: the community's volume
    (hour index -> every ticker's volume, what detect's crowd keeps from the summaries'
    series) over the complete hours of the week before ``hour`` (:func:`week_start`), shared
    among the ``tickers`` named since that week began. From hours, never from each ticker's
    own 7-day window (a ticker silent for a month still holds its last week there); over the
    tickers of the week, never every ticker ever named (a year of them would divide one
    week's talk ever thinner). With no complete hour yet, or no talk in it, the default rate:
    a prior of nothing would make any first mention an infinite surprise."""
    start = week_start(hour, since_hour)
    talk = sum(volumes.get(h, 0) for h in range(start, hour))
    if tickers <= 0 or hour <= start or talk <= 0:
        return GlobalStats.rate
    return talk / tickers / (hour - start)


@dataclass(frozen=True)
class Baseline:
    """The expected rate, ready to price any hour: ``level * hod[h] * dow[d]`` per hour."""

    level: float  # mentions per hour at the site's average moment, after shrinkage
    own_level: float  # the ticker's own (capped) rate at that moment, before shrinkage
    history_hours: int  # hours of own history it learned from
    hour_of_day: tuple[float, ...]
    day_of_week: tuple[float, ...]

    def rate_at(self, hour_index: int) -> float:
        """Expected mentions in the hour starting at ``hour_index * 3600``."""
        hour, weekday = market_slot(hour_index)
        return self.level * self.hour_of_day[hour] * self.day_of_week[weekday]

    def expected(self, end_hour: int, hours: int, *, last_fraction: float = 1.0) -> float:
        """Expected mentions over the ``hours`` hours up to ``last_fraction`` into
        ``end_hour``: a rolling window, so the hour still filling is priced for what of it
        has passed and the oldest hour for what of it is still inside."""
        total = sum(self.rate_at(h) for h in range(end_hour - hours + 1, end_hour))
        return total + self.rate_at(end_hour) * last_fraction + self.rate_at(end_hour - hours) * (1 - last_fraction)

    def to_doc(self) -> dict[str, float | int]:
        return {
            "level": round(self.level, 6),
            "own_level": round(self.own_level, 6),
            "history_hours": self.history_hours,
        }


# What a bin the ticker was never named in counts, at least: with a prior of 0 (an admin may
# set it) it would otherwise expect nothing there, and one mention be an infinite ratio;
# half a mention keeps the factor growing with the mentions (0, 1, 2...) and finite. Never
# more than the bin's exposure: an empty bin expects no more than the site's shape.
EMPTY_BIN = 0.5


def _shrunk(counts: list[float], exposure: list[float], prior: float, shape: tuple[float, ...]) -> tuple[float, ...]:
    """Per-bin factor: the global shape times the ticker's own ratio to it, that ratio pulled
    to 1 by ``prior`` pseudo-mentions; normalised to mean 1."""
    factors = [
        shape[i] * max(counts[i] + prior, min(EMPTY_BIN, exposure[i] + prior)) / (exposure[i] + prior)
        if exposure[i] + prior > 0
        else shape[i]
        for i in range(len(shape))
    ]  # a bin with neither exposure nor prior (an admin may set the prior to 0) keeps the shape
    mean = sum(factors) / len(factors)
    return tuple(f / mean for f in factors) if mean > 0 else shape


@functools.lru_cache(maxsize=64)
def _exposure(
    first: int, span: int, hour_of_day: tuple[float, ...], day_of_week: tuple[float, ...]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """What the site's shape alone predicts, per hour-of-day and per weekday bin, for the
    ``span`` hours from ``first`` at a level of one mention an hour: each hour credited to
    its own bins (a history that starts on a Saturday evening has less Saturday than a whole
    day of it). The same for every ticker fitted at that hour, hence cached."""
    hod, dow = [0.0] * 24, [0.0] * 7
    for h in range(first, first + span):
        hour, weekday = market_slot(h)
        expected = hour_of_day[hour] * day_of_week[weekday]
        hod[hour] += expected
        dow[weekday] += expected
    return tuple(hod), tuple(dow)


def fit(
    counts: Mapping[int, int],
    now_hour: int,
    *,
    observed_hours: int,
    stats: GlobalStats,
    config: DetectionConfig,
    gap_hours: int | None = None,
) -> Baseline:
    """Learn the baseline at ``now_hour`` (an hour index, epoch hours) from ``counts``
    (hour index -> mentions). ``observed_hours`` is how long the data has been collected (a
    ticker silent for that long has learned it is quiet; a system started an hour ago has
    learned nothing). ``gap_hours``: the newest hours left out, ``config.baseline_gap_hours``
    unless a longer window is priced (its own hours must not raise its bar)."""
    gap = config.baseline_gap_hours if gap_hours is None else gap_hours
    span = max(0, min(config.history_days * 24, observed_hours) - gap)
    first, stop = now_hour - gap - span, now_hour - gap
    window = [(h, c) for h, c in counts.items() if first <= h < stop and c > 0]
    raw = sum(c for _, c in window) / span if span else 0.0
    cap = max(CAP_FLOOR, config.baseline_cap_factor * raw)
    capped = [(h, min(float(c), cap)) for h, c in window]
    total = sum(c for _, c in capped)
    hod_shape, dow_shape = _exposure(first, span, stats.hour_of_day, stats.day_of_week)
    # The history's hours weighted by the site's rhythm: what a level of one mention an hour
    # gives over them. A level per plain hour would count a weekend-only history's quiet
    # twice (once in its counts, again in the weekday factor it is priced with).
    seasonal_hours = sum(hod_shape)
    own = total / seasonal_hours if seasonal_hours > 0 else 0.0
    prior = config.shrinkage_prior_hours
    level = (total + prior * stats.rate) / (seasonal_hours + prior) if seasonal_hours + prior > 0 else stats.rate

    hod_counts, dow_counts = [0.0] * 24, [0.0] * 7
    for h, c in capped:
        hour, weekday = market_slot(h)
        hod_counts[hour] += c
        dow_counts[weekday] += c
    hod_exposure = [own * x for x in hod_shape]  # sums to the counts' total, like each shape's counts
    dow_exposure = [own * x for x in dow_shape]
    return Baseline(
        level=level,
        own_level=own,
        history_hours=span,
        hour_of_day=_shrunk(hod_counts, hod_exposure, config.seasonality_prior, stats.hour_of_day),
        day_of_week=_shrunk(dow_counts, dow_exposure, config.weekday_prior, stats.day_of_week),
    )
