"""One evaluation of one ticker at one moment: is its volume surprising, and is it organic?

A window spikes when its count clears three bars at once: a minimum count (a handful of
mentions is never news), the volume ratio over the seasonal baseline (the design's 3x), and
a count-aware surprise, -log10 of the negative-binomial tail probability of seeing at least
that many (which a popular ticker's ordinary drift does not clear, and three mentions of a
quiet one do not either). A spike alerts as *organic* only when enough distinct authors write
substantial posts and the pump risk stays under the limit (an extreme surge of short posts
passes with its score lowered: news breaks in short posts); a spike with a high pump risk is
flagged as a *pump*, so users see it without it ever counting as a breakout.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from scipy.special import betainc

from common.detection.baseline import HOUR, Baseline
from common.detection.market import Activity, activity, expectation_factor
from common.detection.pump import pump_risk
from common.detection.silence import SLOW_RULE
from common.detection_config import DetectionConfig
from common.windows import WindowStats

DAY = 24  # hours of the window a thin promotion is judged on

SURPRISE_CAP = 50.0


def surprise(observed: float, expected: float, dispersion: float) -> float:
    """-log10 P(X >= observed) for X negative-binomial with mean ``expected`` and size
    ``dispersion`` (variance mean + mean^2/size: a popular ticker's day-to-day drift)."""
    if observed <= 0:
        return 0.0
    mean = max(expected, 1e-9)
    p_fail = mean / (dispersion + mean)
    tail = float(betainc(observed, dispersion, p_fail))  # I_{1-p}(k, r) = P(X >= k)
    return SURPRISE_CAP if tail <= 0 else min(SURPRISE_CAP, -math.log10(tail))


@dataclass(frozen=True)
class WindowScore:
    hours: int
    mentions: float  # the rolling window's count (the oldest hour weighted by what is still inside)
    expected: float
    ratio: float
    surprise: float
    spiking: bool

    def strength(self, config: DetectionConfig, surprise_min: float | None = None) -> float:
        """1 where both bars are just met (the surprise bar: ``surprise_min``, the config's
        organic one unless given); grows with the geometric mean of the margins."""
        bar = config.surprise_min if surprise_min is None else surprise_min
        return math.sqrt(max(0.0, self.ratio / config.volume_ratio_min) * max(0.0, self.surprise / bar))

    def to_doc(self) -> dict[str, float]:
        return {
            "mentions": self.mentions,
            "expected": round(self.expected, 4),
            "ratio": round(self.ratio, 4),
            "surprise": round(self.surprise, 4),
        }


def score_window(
    counts: Mapping[int, int],
    base: Baseline,
    end_hour: int,
    hours: int,
    *,
    last_fraction: float,
    min_count: int,
    config: DetectionConfig,
    market_factor: float = 1.0,
    surprise_min: float | None = None,
) -> WindowScore:
    """The rolling ``hours`` window ending ``last_fraction`` into ``end_hour``. Mentions come
    in threads (a post and its replies), so the tail probability is taken on counts divided
    by ``config.clumping``: twenty replies under one post are not twenty independent voices."""
    whole = sum(counts.get(h, 0) for h in range(end_hour - hours + 1, end_hour + 1))
    observed = whole + counts.get(end_hour - hours, 0) * (1 - last_fraction)
    expected = base.expected(end_hour, hours, last_fraction=last_fraction) * market_factor
    ratio = observed / max(expected, 1e-6)
    s = surprise(observed / config.clumping, expected / config.clumping, config.dispersion)
    bar = config.surprise_min if surprise_min is None else surprise_min
    spiking = whole >= min_count and ratio >= config.volume_ratio_min and s >= bar
    return WindowScore(hours, round(observed, 3), expected, ratio, s, spiking)


def _organic(
    best: WindowScore, *, surprise: float, quality: WindowStats, day: WindowStats, risk: float, config: DetectionConfig
) -> tuple[str | None, str, float, list[str]]:
    """A clean spike (pump risk under the organic limit) judged on its quality bars: its kind,
    rule, what its score is multiplied by, and the reasons to add. ``surprise``: the most
    surprising spiking window's (a surge is extreme in whichever window shows it)."""
    gates = {
        "author_diversity": quality.author_diversity >= config.author_diversity_min,
        "avg_text_length": quality.avg_text_length >= config.avg_length_min,
        "subreddits": quality.distinct_subreddits >= config.min_subreddits,
        "authors": quality.distinct_authors >= config.min_authors,
    }
    short = [k for k, ok in gates.items() if not ok]
    floors = {"subreddits", "authors"}  # policy, not quality: no surge is extreme enough to skip them
    extreme = surprise >= config.extreme_surprise and not floors & set(short)
    if short and not extreme:
        rule = "spike_without_quality: " + ",".join(short)
        return None, rule, quality_shortfall(quality, config), [rule]
    reasons = [
        f"{quality.distinct_authors} authors (diversity {quality.author_diversity:.2f}), "
        f"avg {quality.avg_text_length:.0f} chars, {quality.distinct_subreddits} subreddits, pump risk {risk:.2f}"
    ]
    factor = 1.0
    if short:
        factor = quality_shortfall(quality, config)
        reasons.append(f"below the quality bars ({', '.join(short)}), alerted for an extreme surge")
    if day.dd_posts:
        reasons.append(f"{day.dd_posts} DD posts in 24h")
    return "organic", f"volume_spike_{best.hours}h", factor, reasons


def quality_shortfall(quality: WindowStats, config: DetectionConfig) -> float:
    """What a spike's score is multiplied by when its texts are shorter or its author
    diversity lower than the organic bars ask: the product of the met fractions, so a surge
    at half the length bar ranks below an equal one that meets it."""
    length = min(1.0, quality.avg_text_length / config.avg_length_min) if config.avg_length_min > 0 else 1.0
    diversity = (
        min(1.0, quality.author_diversity / config.author_diversity_min) if config.author_diversity_min > 0 else 1.0
    )
    return length * diversity


@dataclass(frozen=True)
class Evaluation:
    """Everything the lifecycle and the alert need from one look at a ticker."""

    symbol: str
    as_of: float
    hour: int  # hour index of ``as_of``
    baseline: Baseline
    windows: dict[str, WindowScore]
    quality: WindowStats  # the window the organic/pump signals are read from
    quality_window: str
    signals: dict[str, float]
    pump_risk: float
    pump_components: dict[str, float]
    spike: bool
    kind: str | None  # "organic" | "pump" | None (no alert-worthy spike)
    rule: str
    score: float  # ``strength`` lowered by a quality shortfall: what alerts are ranked and filtered by
    # The surge's size alone (the score before any quality shortfall): what escalation
    # compares, so longer posts on the same volume never announce an escalation.
    strength: float
    reasons: tuple[str, ...] = field(default=())
    # The day window a thin promotion is judged on (``SLOW_RULE``): computed when no hour or
    # six spiked; what keeps an alert it opened open, since no six hours of it would.
    day: WindowScore | None = None

    def metrics_doc(self) -> dict[str, float | str]:
        """Flat name -> number: what the API shows as the alert's metrics."""
        doc: dict[str, float | str] = {}
        for name, w in self.windows.items():
            doc.update({f"{key}_{name}": float(value) for key, value in w.to_doc().items()})
        if self.day is not None:  # the day's score: what a thin promotion is flagged (or kept) on
            doc.update({f"{key}_24h": float(value) for key, value in self.day.to_doc().items()})
        doc.update({k: round(v, 6) for k, v in self.signals.items()})
        doc.update({f"pump_{k}": v for k, v in self.pump_components.items()})
        doc["quality_window"] = self.quality_window
        return doc


def read_from(six: WindowStats, day: WindowStats, config: DetectionConfig) -> tuple[WindowStats, str]:
    """The window the organic and pump signals are read from, and its name: the last six
    hours once they hold enough mentions to say something, else the day."""
    return (six, "6h") if six.mentions >= config.min_mentions_6h else (day, "24h")


def _signals(stats: WindowStats, day: WindowStats, velocity: float) -> dict[str, float]:
    posts = max(1, day.posts)
    return {
        "author_diversity": stats.author_diversity,
        "avg_text_length": stats.avg_text_length,
        "distinct_subreddits": float(stats.distinct_subreddits),
        "subreddits_24h": float(day.distinct_subreddits),
        "distinct_authors": float(stats.distinct_authors),
        "dd_posts_24h": float(day.dd_posts),
        "dd_share_24h": day.dd_posts / posts if day.posts else 0.0,
        "new_account_share": stats.new_account_share,
        "duplicate_share": stats.duplicate_share,
        "emoji_share": stats.emoji_share,
        "cashtag_stuffed_share": stats.cashtag_stuffed_share,
        "velocity": velocity,
    }


def evaluate(
    symbol: str,
    six: WindowStats,
    day: WindowStats,
    counts: Mapping[int, int],
    base: Baseline,
    *,
    as_of: float,
    config: DetectionConfig,
    stats_since: float | None = None,
    market: Activity | None = None,
    day_base: Callable[[], Baseline] | None = None,
    slow_open: bool = False,
    newcomer: Callable[[], bool] | None = None,
) -> Evaluation:
    """Score ``symbol`` at ``as_of`` against ``base``. ``six`` and ``day`` are the 6h and 24h
    windows ending at the hour of ``as_of`` (the summary's ``windows``, or
    :func:`common.metrics.window` of the buckets); ``counts`` is hour index -> volume.
    ``market``: the community's recent volume and its normal; with this ticker's own counts
    taken out, its excess raises the expectations. ``day_base``: the baseline that leaves the
    whole day out, for a day of thin promotion (``base`` learned from most of that day, so a
    steady campaign would raise its own bar); asked for only when the day could clear the
    pump's volume bar with its pump risk, or ``slow_open`` (the ticker's open alert is such a
    day's, which the day keeps open), ``base`` when not given. ``newcomer``: whether its talk
    began lately after a long silence (:func:`is_newcomer`), so an organic alert needs the
    lower ``newcomer_pump_risk_max``; asked only of a spike whose risk lies between the two
    bars."""
    now = int(as_of // HOUR)
    factor = 1.0
    if market is not None and config.market_weight > 0:
        own = activity(
            counts, now, window=config.market_window_hours, days=config.market_days, since_hour=_hour_of(stats_since)
        )
        factor = expectation_factor(market.without(own), config.market_weight)
    fraction = max(1 / 60, min(1.0, (as_of - now * HOUR) / HOUR))
    windows = {
        "1h": score_window(
            counts,
            base,
            now,
            1,
            last_fraction=fraction,
            min_count=config.min_mentions_1h,
            config=config,
            market_factor=factor,
        ),
        "6h": score_window(
            counts,
            base,
            now,
            6,
            last_fraction=fraction,
            min_count=config.min_mentions_6h,
            config=config,
            market_factor=factor,
        ),
    }
    quality, quality_window = read_from(six, day, config)
    velocity = float(counts.get(now, 0) - counts.get(now - 1, 0))
    signals = _signals(quality, day, velocity)
    risk = pump_risk(quality, config)
    spiking = [w for w in windows.values() if w.spiking]
    best = max(spiking or windows.values(), key=lambda w: w.strength(config))
    score = best.strength(config)
    shortfall = 1.0
    reasons: list[str] = []
    kind: str | None = None
    rule = "none"
    warming = stats_since is not None and as_of < stats_since + config.warmup_hours * HOUR
    slow: WindowScore | None = None
    if not spiking and not warming:
        # Promotion spread thin (a post an hour for two days) never spikes an hour or six; a
        # day of it, made of the pump signals, is a pump all the same. Never organic.
        day_risk = pump_risk(day, config)
        # Its own baseline only where it can matter: a day that could clear the pump's
        # volume bar and carries its signals, or that keeps a thin promotion's alert open.
        heavy = sum(counts.get(h, 0) for h in range(now - DAY + 1, now + 1)) >= config.pump_min_mentions_24h
        apart = heavy and (day_risk.risk >= config.pump_risk_max or slow_open)
        slow = score_window(  # pump bars: the pump signals must also be there, so less volume will do
            counts,
            day_base() if apart and day_base is not None else base,
            now,
            DAY,
            last_fraction=fraction,
            min_count=config.pump_min_mentions_24h,
            config=config,
            market_factor=factor,
            surprise_min=config.pump_surprise_min,
        )
        if slow.spiking and day_risk.risk >= config.pump_risk_max:
            kind, rule, risk, quality, quality_window = (
                "pump",
                f"pump_risk>={config.pump_risk_max:g} on {SLOW_RULE}",
                day_risk,
                day,
                "24h",
            )
            signals = _signals(day, day, velocity)  # the day's, as the flag and its pump risk are
            score = slow.strength(config, config.pump_surprise_min)  # 1 at the pump's own bars
            top = sorted(risk.components.items(), key=lambda kv: -kv[1] * config.pump_weights.get(kv[0], 0))[:3]
            reasons += [
                f"{slow.mentions:.0f} mentions in 24h vs {slow.expected:.1f} expected "
                f"({slow.ratio:.1f}x, surprise {slow.surprise:.1f})",
                f"pump risk {risk.risk:.2f}: " + ", ".join(f"{k} {v:.2f}" for k, v in top),
            ]
    if spiking and warming:
        rule = "warming_up"
    elif spiking:
        reasons.append(
            f"{best.mentions:.0f} mentions in {best.hours}h vs {best.expected:.1f} expected "
            f"({best.ratio:.1f}x, surprise {best.surprise:.1f})"
        )
        if risk.risk >= config.pump_risk_max:
            kind, rule = "pump", f"pump_risk>={config.pump_risk_max:g} on volume_spike_{best.hours}h"
            top = sorted(risk.components.items(), key=lambda kv: -kv[1] * config.pump_weights.get(kv[0], 0))[:3]
            reasons.append(f"pump risk {risk.risk:.2f}: " + ", ".join(f"{k} {v:.2f}" for k, v in top))
        elif risk.risk >= config.organic_pump_risk_max:
            rule = f"suspicious: pump risk {risk.risk:.2f}"
            reasons.append(rule)
        elif risk.risk >= config.newcomer_pump_risk_max and newcomer is not None and newcomer():
            rule = f"suspicious: pump risk {risk.risk:.2f} on a ticker new to the community"
            reasons.append(rule)
        else:
            surprising = max(w.surprise for w in spiking)
            kind, rule, shortfall, said = _organic(
                best, surprise=surprising, quality=quality, day=day, risk=risk.risk, config=config
            )
            reasons += said
    return Evaluation(
        symbol=symbol,
        as_of=as_of,
        hour=now,
        baseline=base,
        windows=windows,
        quality=quality,
        quality_window=quality_window,
        signals=signals,
        pump_risk=risk.risk,
        pump_components=risk.components,
        spike=bool(spiking),
        kind=kind,
        rule=rule,
        score=round(score * shortfall, 6),
        strength=round(score, 6),
        reasons=tuple(reasons),
        day=slow,
    )


def is_newcomer(counts: Mapping[int, int], now: int, observed_hours: int, config: DetectionConfig) -> bool:
    """Whether the ticker's talk of the last ``newcomer_days`` began after at least as long a
    silence the detector watched (``observed_hours`` back from ``now``, the hour index): a
    campaign's name, or news on a name nobody followed. A system that has watched for less
    than that knows no ticker to be new."""
    hours = round(config.newcomer_days * 24)
    first = min((h for h, n in counts.items() if n > 0 and now - hours < h <= now), default=None)
    if first is None or first - hours < now - observed_hours:
        return False
    return not any(n > 0 and first - hours <= h < first for h, n in counts.items())


def _hour_of(since: float | None) -> int | None:
    return None if since is None else int(since // HOUR)
