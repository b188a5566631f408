"""What a ticker update carries from the aggregator to the detector (pure, no services)."""

from common.aggregation import counted
from common.detection_config import DEFAULT_CONFIG
from common.metrics import summarize
from common.timekeys import hour_key


def test_an_update_carries_the_windows_and_the_configured_history_as_of_its_moment() -> None:
    """What the detector decides from travels in the update: the 6h and 24h windows of the
    summary, and the series over ``history_days`` (plus the hour before, as the detector's
    bounds read) ending at the summary's hour, nothing older."""
    now = 1_767_888_000.0
    series = {hour_key(now - h * 3600): h + 1 for h in range(0, 30 * 24)}
    summary = summarize("ABC", {}, now)
    rules = DEFAULT_CONFIG.model_copy(update={"history_days": 3})
    got = counted(summary, series, rules)
    assert got.six == summary.windows["6h"] and got.day == summary.windows["24h"]
    assert sorted(got.series) == sorted(hour_key(now - h * 3600) for h in range(3 * 24 + 2))
    assert got.series[hour_key(now)] == 1
