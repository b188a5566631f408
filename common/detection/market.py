"""How busy the whole community is right now, against its own recent normal: pure.

When r/wallstreetbets goes from 600 posts a day to 14,000, every ticker's count rises with
it, and a ticker's own baseline (its last two weeks) cannot know. The community's volume
in the last complete hours, against the same hours of the previous days, says how much of
a ticker's rise the crowd explains; the detector raises its expectations by that much
(``DetectionConfig.market_weight``), never lowers them.
"""

from collections.abc import Mapping


def market_activity(totals: Mapping[int, int], now_hour: int, *, window: int, days: int) -> float:
    """The community's mentions in the ``window`` complete hours before ``now_hour``, over
    their average in the same hours of the previous ``days`` days. 1.0 without enough
    history (fewer than two earlier days with any volume) or with none now."""
    hours = range(now_hour - window, now_hour)
    observed = sum(totals.get(h, 0) for h in hours)
    earlier = [sum(totals.get(h - 24 * d, 0) for h in hours) for d in range(1, days + 1)]
    seen = [n for n in earlier if n > 0]
    if len(seen) < 2 or observed <= 0:
        return 1.0
    return observed / (sum(seen) / len(seen))


def expectation_factor(activity: float, weight: float) -> float:
    """What a ticker's expected count is multiplied by: the community's excess activity to the
    configured power; 1 when the community is at or below its normal."""
    return float(max(1.0, activity) ** weight)
