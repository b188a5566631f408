"""The detector over many tickers in data time: buckets in, evaluations and alert events out.

Shared by the backtest (fed from replayed items) and the API's config preview (fed from the
stored hourly buckets), so both decide exactly as ``functions/detect`` does: the same
baseline fit, the same evaluation, the same lifecycle step, per ticker update.
:func:`decide` turns buckets into what the ticker's summary document holds (the volume
series and the 6h/24h windows) and hands it to :func:`decide_summary`, which is what
``functions/detect`` calls on the stored summary.
"""

from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace

from common.detection.baseline import HOUR, WEEK_HOURS, Baseline, GlobalStats, fit, week_rate, week_start
from common.detection.lifecycle import (
    Alert,
    Redo,
    budget_bar,
    budget_window,
    ended_by_silence,
    quiet_from,
    redecide,
    silenced,
    step,
)
from common.detection.market import Activity, activity
from common.detection.signals import DAY, Evaluation, evaluate, is_newcomer
from common.detection.silence import SLOW_RULE
from common.detection_config import DEFAULT_CONFIG, DetectionConfig
from common.evidence import Evidence, keep_candidates
from common.metrics import HourBucket, merge, volume, window
from common.timekeys import hour_key, hour_start
from common.windows import WindowStats

COMMUNITY_HOURS = 16 * 24  # enough for the rate's week and any configured market_days and window


def kept_hours(config: DetectionConfig) -> int:
    """How far back a decision reads a ticker's counts: the baseline's history (its window
    reaches one hour past ``history_days``), or the market's normal when that reaches further
    (a ticker's own past must come out of the normal it is part of, all of it)."""
    return max(config.history_days * 24 + 1, config.market_days * 24 + config.market_window_hours)


def series_counts(series: Mapping[str, int], now_hour: int, config: DetectionConfig) -> dict[int, int]:
    """The summary's ``series`` (hour key -> volume) as hour index -> volume, limited to what
    a decision reads (:func:`kept_hours` before ``now_hour``, up to it)."""
    first = now_hour - kept_hours(config)
    out: dict[int, int] = {}
    for key, n in series.items():
        index = hour_start(key) // HOUR
        if first <= index <= now_hour:
            out[index] = int(n)
    return out


def heard_before(counts: Mapping[int, int], hour: int) -> list[int]:
    """The hours before ``hour`` with discussion, in order: what a silence is read from
    (:func:`common.detection.lifecycle.quiet_from`)."""
    return sorted(h for h, n in counts.items() if n > 0 and h < hour)


def in_history(counts: Mapping[int, int], now_hour: int, config: DetectionConfig) -> dict[int, int]:
    """``counts`` (hour index -> volume) over the range :func:`series_counts` keeps, so a
    decision from buckets sees the history a decision from the summary sees."""
    first = now_hour - kept_hours(config)
    return {h: counts[h] for h in range(first, now_hour + 1) if h in counts}


def volumes(buckets: Mapping[str, HourBucket]) -> dict[int, int]:
    """Hour index -> discussion volume: what the baseline and the spike scores count."""
    return {hour_start(key) // HOUR: volume(b) for key, b in buckets.items()}


@dataclass
class TickerState:
    buckets: dict[str, HourBucket] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()  # the best candidates of the last day (common.evidence)
    alert: Alert | None = None
    alerts: list[Alert] = field(default_factory=list)  # every episode, newest state each

    def add(self, deltas: Mapping[str, HourBucket]) -> None:
        for key, delta in deltas.items():
            before = self.buckets.get(key)
            self.buckets[key] = delta if before is None else merge(before, delta)
            index = hour_start(key) // HOUR
            self.counts[index] = self.counts.get(index, 0) + volume(delta)


def observed_hours(counts: Mapping[int, int], now_hour: int, config: DetectionConfig, since: float | None) -> int:
    """How much history the baseline can trust: the hours since data collection began
    (silence over them is evidence of quiet), or, when that is unknown, since the ticker's
    oldest bucket within the lookback."""
    lookback = config.history_days * 24
    if since is not None:
        return max(0, min(lookback, now_hour - int(since // HOUR)))
    oldest = min((h for h, c in counts.items() if c > 0 and now_hour - lookback <= h <= now_hour), default=now_hour)
    return now_hour - oldest


@dataclass(frozen=True)
class Outcome:
    evaluation: Evaluation
    alert: Alert | None
    events: tuple[str, ...]
    # the previous alert, resolved by its ticker's silence, when ``alert`` is a new episode
    ended: Alert | None = None


def decide(
    symbol: str,
    buckets: Mapping[str, HourBucket],
    counts: Mapping[int, int],
    previous: Alert | None,
    evidence: Iterable[Evidence],
    *,
    as_of: float,
    stats: GlobalStats,
    config: DetectionConfig,
    config_version: int = 0,
    redo: Redo | None = None,
) -> Outcome:
    """One ticker update from its buckets. ``counts`` is :func:`volumes` of ``buckets``
    (passed in so the backtest can keep it incrementally)."""
    last = hour_key(as_of)
    return decide_summary(
        symbol,
        in_history(counts, int(as_of // HOUR), config),
        window(buckets, last, 6),
        window(buckets, last, 24),
        previous=previous,
        evidence=evidence,
        as_of=as_of,
        stats=stats,
        config=config,
        config_version=config_version,
        redo=redo,
    )


def decide_summary(
    symbol: str,
    counts: Mapping[int, int],
    six: WindowStats,
    day: WindowStats,
    *,
    previous: Alert | None,
    evidence: Iterable[Evidence],
    as_of: float,
    stats: GlobalStats,
    config: DetectionConfig,
    config_version: int = 0,
    redo: Redo | None = None,
) -> Outcome:
    """One ticker update from what its summary holds: fit the baseline on ``counts`` (hour
    index -> volume), evaluate with the 6h/24h windows ending at the hour of ``as_of``, step
    the alert (or, with ``redo``, decide its data hour again). ``evidence`` is only used when
    the step opens, escalates or reopens."""
    now = int(as_of // HOUR)
    observed = observed_hours(counts, now, config, stats.since)
    base = fit(counts, now, observed_hours=observed, stats=stats, config=config)

    def day_base() -> Baseline:
        return fit(
            counts,
            now,
            observed_hours=observed,
            stats=stats,
            config=config,
            gap_hours=max(DAY, config.baseline_gap_hours),
        )

    ev = evaluate(
        symbol,
        six,
        day,
        counts,
        base,
        as_of=as_of,
        config=config,
        stats_since=stats.since,
        market=stats.market,
        day_base=day_base,
        slow_open=previous is not None and previous.active and previous.rule.endswith(SLOW_RULE),
        newcomer=lambda: is_newcomer(counts, now, observed, config),
    )
    bar = budget_bar(stats.alerts_24h, config)
    heard = heard_before(counts, now)
    if redo is not None:  # the hour was decided already: again, from the alert before it
        alert, events = redecide(
            redo.before, previous, ev, evidence, config=config, config_version=config_version, heard=heard, bar=bar
        )
    else:
        alert, events = step(previous, ev, evidence, config, config_version, heard=heard, bar=bar)
    return Outcome(ev, alert, events, ended_by_silence(previous, alert, as_of, heard))


def assess(
    symbol: str,
    state: TickerState,
    as_of: float,
    *,
    stats: GlobalStats,
    config: DetectionConfig,
    config_version: int = 0,
) -> Outcome:
    """Evaluate ``symbol`` at ``as_of`` and move its alert one step, in memory."""
    recent = keep_candidates(state.evidence, as_of)
    outcome = decide(
        symbol,
        state.buckets,
        state.counts,
        state.alert,
        recent,
        as_of=as_of,
        stats=stats,
        config=config,
        config_version=config_version,
    )
    alert = outcome.alert
    if outcome.ended is not None and state.alerts and state.alerts[-1].alert_id == outcome.ended.alert_id:
        state.alerts[-1] = outcome.ended
    if alert is not None and alert is not state.alert:
        if state.alerts and state.alerts[-1].alert_id == alert.alert_id:
            state.alerts[-1] = alert
        else:
            state.alerts.append(alert)
        state.alert = alert
    return outcome


class WeekVolume:
    """The community's discussion per hour and when each ticker was last named, for the
    crowd's rate and market activity (what ``functions/detect`` reads from the ``tickers/*``
    summaries: their series, and how many were updated in the week), and the organic alerts
    opened (the alert budget)."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}  # ticker -> the latest hour it was named in
        self.named: dict[int, int] = {}  # hour -> tickers last named then, for the hours of the rate's week
        self.first: int | None = None
        self.community: dict[int, int] = {}  # hour index -> every ticker's discussion
        self.opened: deque[int] = deque()  # hour index of each organic alert opened, oldest first (the alert budget)

    def note(self, alert: Alert | None, events: Collection[str], hour: int) -> None:
        """An assessment's events: an alert that opened organic in ``hour`` spends the budget
        of the hours :func:`budget_window` says. Its kind at opening decides, as detect's
        count reads ``opened_kind``: pump flags spend none, and a later reclassification
        changes nothing already counted."""
        if alert is not None and "opened" in events and alert.opened_kind == "organic":
            self.opened.append(hour)

    def add(self, hour: int, per_ticker: Mapping[str, int], discussion: Mapping[str, int] | None = None) -> None:
        """``per_ticker``: the hour's mentions (a ticker named at all has a summary);
        ``discussion``: their :func:`volume` (what production's series hold, and so its
        community), the mentions when not given."""
        if self.first is None:
            self.first = hour
        talk = per_ticker if discussion is None else discussion
        self.community[hour] = self.community.get(hour, 0) + sum(talk.values())
        for old_hour in [h for h in self.community if h < hour - COMMUNITY_HOURS]:
            del self.community[old_hour]
        for symbol in per_ticker:
            before = self.last.get(symbol)
            if before is not None and before >= hour:
                continue
            if before is not None and before in self.named:
                self.named[before] -= 1
                if not self.named[before]:
                    del self.named[before]
            self.last[symbol] = hour
            self.named[hour] = self.named.get(hour, 0) + 1
        for old in [h for h in self.named if h < hour - WEEK_HOURS]:
            del self.named[old]  # older than any week asked for from now on

    def named_since(self, hour: int) -> int:
        """Tickers named in ``hour`` or after (what detect counts as summaries updated since)."""
        return sum(n for h, n in self.named.items() if h >= hour)

    def stats(self, hour: int, config: DetectionConfig = DEFAULT_CONFIG) -> GlobalStats:
        if self.first is None:
            return GlobalStats()
        rate = week_rate(self.community, hour, self.named_since(week_start(hour, self.first)), self.first)
        market = activity(
            self.community, hour, window=config.market_window_hours, days=config.market_days, since_hour=self.first
        )
        window = budget_window(hour)
        while self.opened and self.opened[0] < window.start:
            self.opened.popleft()
        recent = sum(1 for h in self.opened if h in window)
        return GlobalStats(rate=rate, since=float(self.first * HOUR), market=market, alerts_24h=recent)


@dataclass(frozen=True)
class StoredCrowd:
    """What detect fixed for a data hour (``stats/global/hours``), for the whole community: the
    preview replays a few tickers, and learning the crowd from them alone would judge each by
    which others it was previewed with. A field an older document lacks is None: the replay's own."""

    alerts_24h: int | None = None
    rate: float | None = None
    market: Activity | None = None
    market_span: tuple[int, int] | None = None  # (market_window_hours, market_days) it was measured with
    community: Mapping[int, int] | None = None  # hour index -> the community's volume, the hours it kept

    @classmethod
    def from_doc(cls, doc: Mapping[str, object]) -> "StoredCrowd":
        alerts, rate, market = doc.get("alerts_24h"), doc.get("rate"), doc.get("market")
        fields: Mapping[str, object] = market if isinstance(market, dict) else {}
        observed, expected = fields.get("observed"), fields.get("expected")
        window, days = fields.get("window_hours"), fields.get("days")
        kept = doc.get("community")
        community: dict[int, int] | None = None
        if isinstance(kept, dict):
            try:
                community = {int(str(h)): int(str(n)) for h, n in kept.items()}
            except ValueError:  # not one detect wrote: the replay's own market instead
                community = None
        return cls(
            alerts_24h=int(alerts) if isinstance(alerts, int) and not isinstance(alerts, bool) else None,
            rate=float(rate) if isinstance(rate, int | float) and not isinstance(rate, bool) and rate >= 0 else None,
            market=Activity(float(observed), float(expected))
            if isinstance(observed, int | float) and isinstance(expected, int | float)
            else None,
            market_span=(window, days) if isinstance(window, int) and isinstance(days, int) else None,
            community=community,
        )

    def over(self, own: GlobalStats, config: DetectionConfig, hour: int, since_hour: int | None) -> GlobalStats:
        """``own`` with the rate detect stored, and its market where it was measured over the
        window ``config`` reads (the ticker's own share is taken out over that window); over
        another window, measured again from the community's volumes the crowd kept, as detect
        does, when they reach back far enough; else the replay's own."""
        window, days = config.market_window_hours, config.market_days
        market = own.market
        if self.market is not None and self.market_span == (window, days):
            market = self.market
        elif self.community is not None and all(h in self.community for h in range(hour - window - 24 * days, hour)):
            market = activity(self.community, hour, window=window, days=days, since_hour=since_hour)
        return replace(own, rate=own.rate if self.rate is None else self.rate, market=market)


def replay_buckets(
    buckets_by_ticker: Mapping[str, Mapping[str, HourBucket]],
    config: DetectionConfig,
    stats: GlobalStats | float | None,
    as_of: float,
    crowds: Mapping[int, StoredCrowd] | None = None,
    *,
    began: float | None = None,
) -> list[Alert]:
    """Walk stored hourly buckets hour by hour, evaluating each ticker at every hour it has
    mentions (as the aggregator would have announced), and return the alerts raised, those
    whose ticker then fell silent resolved as dispatch's silence checks resolve them.
    ``began``: when production's data collection began (its warm-up), when the buckets start
    later than that."""
    by_hour: dict[int, dict[str, HourBucket]] = {}
    for symbol, buckets in buckets_by_ticker.items():
        for key, bucket in buckets.items():
            index = hour_start(key) // HOUR
            if index * HOUR <= as_of:
                by_hour.setdefault(index, {})[symbol] = bucket
    states: dict[str, TickerState] = {}
    week = WeekVolume()
    for index in sorted(by_hour):
        touched = by_hour[index]
        week.add(index, {s: b.mentions for s, b in touched.items()}, {s: volume(b) for s, b in touched.items()})
        own = current = week.stats(index, config)
        if isinstance(stats, GlobalStats):
            current = stats if stats.since is not None else replace(stats, since=current.since)
        elif stats is not None:
            current = replace(current, rate=float(stats))
        # the crowd as detect fixed it for the whole community where stored (its rate and
        # market unless given here), else the replay's own
        stored = (crowds or {}).get(index, StoredCrowd())
        current = replace(current, alerts_24h=own.alerts_24h if stored.alerts_24h is None else stored.alerts_24h)
        if began is not None:
            current = replace(current, since=began)
        if stats is None:
            since_hour = int(current.since // HOUR) if current.since is not None else None
            current = stored.over(current, config, index, since_hour)
        for symbol, bucket in touched.items():
            state = states.setdefault(symbol, TickerState())
            state.add({bucket.hour: bucket})
            outcome = assess(symbol, state, min(as_of, (index + 1) * HOUR - 1), stats=current, config=config)
            week.note(outcome.alert, outcome.events, index)
    end_hour = int(as_of // HOUR)
    for state in states.values():  # no update comes for a silent ticker: its silence check would
        alert = state.alert
        if alert is not None and alert.active:
            heard = heard_before(state.counts, end_hour + 1)
            if quiet_from(alert, heard) <= as_of:
                state.alert = state.alerts[-1] = silenced(alert, heard)
    return [a for s in states.values() for a in s.alerts]
