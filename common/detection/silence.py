"""When an alert whose ticker fell silent ended: pure, and light enough for dispatch to load
(no numpy, no scipy), which picks the alerts worth a silence check with it."""

from collections.abc import Sequence

from common.windows import WINDOWS

SLOW_RULE = "volume_24h"  # ends the rule of a pump read from a day of thin promotion
HOUR = 3600


def span_hours(rule: str) -> int:
    """How many hours without discussion end an alert on ``rule``: its window (the six hours
    ``lifecycle.back_to_baseline`` reads, the day for the day rule), plus the hour before
    them that a rolling window still holds part of."""
    return (WINDOWS["24h"] if rule.endswith(SLOW_RULE) else WINDOWS["6h"]) + 1


def quiet_from(updated_at: float, rule: str, heard: Sequence[int]) -> float:
    """When an alert last updated at ``updated_at`` on ``rule`` resolved if its ticker fell
    silent: the moment its window first held none of its discussion, where an evaluation
    would have found fewer than ``min_mentions_1h`` (at least 1) and resolved it. ``heard``
    are the hours with discussion, in order. Silence is read from them, not from the gap
    since the last update: one update may carry many hours (a catch-up after a stalled
    fetch), and the first gap among them ends the episode as hourly updates would. The day
    rule can end sooner; the day is the latest it lasts."""
    span = span_hours(rule)
    last = int(updated_at // HOUR)
    for hour in heard:
        if hour <= last:
            continue
        if hour >= last + span:
            break  # the window emptied before this hour's discussion
        last = hour
    return float((last + span) * HOUR)
