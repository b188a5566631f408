"""The community's activity against its normal: what a ticker's expectation is raised by."""

from common.detection.engine import WeekVolume
from common.detection.market import expectation_factor, market_activity
from common.detection_config import DEFAULT_CONFIG

NOW = 10_000  # hour index


def steady(per_hour: int, days: int = 8) -> dict[int, int]:
    return {h: per_hour for h in range(NOW - days * 24, NOW)}


def test_a_community_at_its_normal_changes_nothing() -> None:
    assert market_activity(steady(100), NOW, window=6, days=7) == 1.0
    assert expectation_factor(1.0, 1.0) == 1.0


def test_a_frenzy_that_lifts_every_ticker_raises_the_expectation_by_as_much() -> None:
    totals = steady(100)
    for h in range(NOW - 6, NOW):
        totals[h] = 500
    activity = market_activity(totals, NOW, window=6, days=7)
    assert activity == 5.0
    assert expectation_factor(activity, 1.0) == 5.0 and expectation_factor(activity, 0.5) == 5.0**0.5
    assert expectation_factor(activity, 0.0) == 1.0  # an admin can switch it off


def test_a_quiet_community_never_lowers_the_bar_and_no_history_means_no_change() -> None:
    totals = steady(100)
    for h in range(NOW - 6, NOW):
        totals[h] = 10
    assert expectation_factor(market_activity(totals, NOW, window=6, days=7), 1.0) == 1.0
    assert market_activity({h: 50 for h in range(NOW - 6, NOW)}, NOW, window=6, days=7) == 1.0


def test_the_backtest_measures_the_market_from_every_ticker_it_counted() -> None:
    week = WeekVolume()
    for h in range(NOW - 8 * 24, NOW - 6):
        week.add(h, {"GME": 60, "AMC": 40})
    for h in range(NOW - 6, NOW):
        week.add(h, {"GME": 300, "AMC": 200, "BB": 100})
    assert week.stats(NOW, DEFAULT_CONFIG).market == 6.0
