"""How busy the whole community is right now, against its own recent normal: pure.

When r/wallstreetbets goes from 600 posts a day to 14,000, every ticker's count rises with
it, and a ticker's own baseline (its last two weeks) cannot know. The community's volume
in the last complete hours, against the same hours of the previous days, says how much of
a ticker's rise the crowd explains; the detector raises its expectations by that much
(``DetectionConfig.market_weight``), never lowers them. A ticker's own mentions are taken
out of the community's first: a squeeze that is one ticker's own is not the crowd's frenzy.
"""

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Activity:
    """Mentions in the last ``window`` complete hours, and their average in the same hours of
    the previous days (0 when there is not enough history to say)."""

    observed: float = 0.0
    expected: float = 0.0

    def without(self, own: "Activity") -> float:
        """The community's activity over its normal once ``own`` (one ticker's) is taken out;
        1.0 when there is no normal to compare with."""
        expected = self.expected - own.expected
        if self.expected <= 0 or expected <= 0:
            return 1.0
        return max(0.0, self.observed - own.observed) / expected


def activity(
    totals: Mapping[int, int], now_hour: int, *, window: int, days: int, since_hour: int | None = None
) -> Activity:
    """``totals`` (hour index -> mentions) over the ``window`` complete hours before
    ``now_hour``, against the same hours of each of the previous ``days`` days that lie wholly
    after ``since_hour`` (when data collection began: a day before it is no quiet day, and
    counting it as zero would make the normal a fraction of itself for the first week). No
    normal (expected 0) unless at least two of those days had any volume."""
    hours = range(now_hour - window, now_hour)
    observed = sum(totals.get(h, 0) for h in hours)
    earlier = [
        sum(totals.get(h - 24 * d, 0) for h in hours)
        for d in range(1, days + 1)
        if since_hour is None or now_hour - window - 24 * d >= since_hour
    ]
    if sum(1 for n in earlier if n > 0) < 2:
        return Activity(float(observed), 0.0)
    return Activity(float(observed), sum(earlier) / len(earlier))


def expectation_factor(ratio: float, weight: float) -> float:
    """What a ticker's expected count is multiplied by: the community's excess activity to the
    configured power; 1 when the community is at or below its normal."""
    return float(max(1.0, ratio) ** weight)
