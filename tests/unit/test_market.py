"""The community's activity against its normal: what a ticker's expectation is raised by."""

from dataclasses import replace

import pytest

from common.detection.backtest import Replay
from common.detection.engine import WeekVolume
from common.detection.market import Activity, activity, expectation_factor
from common.detection_config import DEFAULT_CONFIG
from common.messages import RedditItem
from tests.unit.detect_helpers import alert

NOW = 10_000  # hour index
NOBODY = Activity()


def steady(per_hour: int, days: int = 8) -> dict[int, int]:
    return {h: per_hour for h in range(NOW - days * 24, NOW)}


def frenzy(per_hour: int, now_per_hour: int) -> dict[int, int]:
    totals = steady(per_hour)
    for h in range(NOW - 6, NOW):
        totals[h] = now_per_hour
    return totals


def test_a_community_at_its_normal_changes_nothing() -> None:
    assert activity(steady(100), NOW, window=6, days=7).without(NOBODY) == 1.0
    assert expectation_factor(1.0, 1.0) == 1.0


def test_a_frenzy_that_lifts_every_ticker_raises_the_expectation_by_as_much() -> None:
    ratio = activity(frenzy(100, 500), NOW, window=6, days=7).without(NOBODY)
    assert ratio == 5.0
    assert expectation_factor(ratio, 1.0) == 5.0 and expectation_factor(ratio, 0.5) == 5.0**0.5
    assert expectation_factor(ratio, 0.0) == 1.0  # an admin can switch it off


def test_one_tickers_own_squeeze_is_not_the_crowds_frenzy() -> None:
    community = activity(frenzy(100, 500), NOW, window=6, days=7)  # all of the rise is GME's
    gme = activity(frenzy(10, 410), NOW, window=6, days=7)
    assert community.without(gme) == 1.0  # everyone else is at their normal: GME's bar stays
    assert community.without(NOBODY) == 5.0  # a ticker that is not rising sees the crowd's rise


def test_a_quiet_community_never_lowers_the_bar_and_no_history_means_no_change() -> None:
    assert expectation_factor(activity(frenzy(100, 10), NOW, window=6, days=7).without(NOBODY), 1.0) == 1.0
    young = {h: 50 for h in range(NOW - 6, NOW)}
    assert activity(young, NOW, window=6, days=7).without(NOBODY) == 1.0


def test_days_before_data_collection_began_are_no_quiet_days_in_the_normal() -> None:
    """A steady community three days into collection is at its normal, not at 7/2 of it."""
    began = NOW - 3 * 24
    young = {h: 100 for h in range(began, NOW)}
    assert activity(young, NOW, window=6, days=7, since_hour=began).without(NOBODY) == 1.0
    assert activity(young, NOW, window=6, days=7).without(NOBODY) == pytest.approx(3.5)  # counting them as zero
    # a day lost after collection began is a real quiet day, and counts
    older = {h: 100 for h in range(NOW - 5 * 24, NOW)}
    gap = {h: n for h, n in older.items() if not NOW - 30 <= h < NOW - 24}
    assert activity(gap, NOW, window=6, days=7, since_hour=NOW - 5 * 24).expected == (0 + 3 * 600) / 4


def test_the_backtest_measures_the_market_from_every_ticker_it_counted() -> None:
    week = WeekVolume()
    for h in range(NOW - 8 * 24, NOW - 6):
        week.add(h, {"GME": 60, "AMC": 40})
    for h in range(NOW - 6, NOW):
        week.add(h, {"GME": 300, "AMC": 200, "BB": 100})
    six_hours = DEFAULT_CONFIG.model_copy(update={"market_window_hours": 6})
    assert week.stats(NOW, six_hours).market.without(NOBODY) == 6.0  # the last six hours at 6x
    assert week.stats(NOW, DEFAULT_CONFIG).market.without(NOBODY) == (18 * 100 + 6 * 600) / (24 * 100)


def test_the_backtests_market_counts_discussion_as_productions_series_do() -> None:
    """Production's crowd sums the summaries' series (discussion volume); the backtest's must
    count the same, or a week of cashtag spam makes the replayed community look busier."""
    at = 1_767_225_600.0
    talk = [
        RedditItem(
            id=f"t3_{n}",
            kind="post",
            subreddit="stocks",
            author=f"a{n}",
            title="$NVDA earnings look strong" if n < 3 else "$NVDA $AMD $TSLA $PLTR $SOFI $GME to the moon",
            body="",
            permalink=f"/r/stocks/comments/{n}/",
            created_utc=at + n,
            num_comments=0,
        )
        for n in range(5)
    ]
    replay = Replay()
    replay.hour(talk)
    hour = int(at // 3600)
    assert replay.mentions == 3 + 2 * 6  # every mention is counted for the pump signals
    assert replay.week.community[hour] == 3  # only NVDA's three plain posts are discussion


def test_the_alert_budget_counts_the_alerts_opened_in_the_day_before_the_hour_before() -> None:
    week = WeekVolume()
    week.add(100, {"GME": 5})
    for n, hour in enumerate((90, 100, 110, 110)):
        week.note(alert(f"T{n}", hour * 3600.0), ("opened",), hour)
    assert week.stats(111).alerts_24h == 2  # hours 90 and 100: an hour's alerts count from the hour after next
    assert week.stats(115).alerts_24h == 4
    assert week.stats(116).alerts_24h == 3  # hour 90 is more than a day before hour 115
    assert week.stats(136).alerts_24h == 0


def test_pump_flags_spend_no_alert_budget_and_an_alert_counts_by_the_kind_it_opened_as() -> None:
    week = WeekVolume()
    week.add(100, {"GME": 5})
    week.note(alert("PUMP", 100 * 3600.0, kind="pump"), ("opened",), 100)
    organic = alert("ORG", 100 * 3600.0)
    week.note(organic, ("opened",), 100)
    week.note(alert("LATER", 101 * 3600.0), ("updated",), 101)  # nothing opened
    assert week.stats(105).alerts_24h == 1
    flagged = replace(organic, kind="pump")  # reclassified, or reopened as a pump: opened_kind stays
    week.note(flagged, ("reclassified",), 103)
    week.note(flagged, ("reopened",), 104)
    assert week.stats(105).alerts_24h == 1  # detect's count, taken at any hour, would not move either
    week.note(None, ("opened",), 104)
    assert week.stats(106).alerts_24h == 1
    odd = replace(alert("ODD", 105 * 3600.0, kind="pump"), opened_kind="organic")
    week.note(odd, ("opened",), 105)  # the kind it opened as decides, whatever its kind says
    assert week.stats(107).alerts_24h == 2
