"""The baseline: seasonal, shrunk toward the crowd for sparse tickers, blind to its own spike."""

import json
from datetime import UTC, datetime

import pytest

from common.detection.baseline import (
    DEFAULT_DAY_OF_WEEK,
    DEFAULT_HOUR_OF_DAY,
    HOUR,
    GlobalStats,
    fit,
    week_rate,
    week_start,
)
from common.detection.engine import WeekVolume
from common.detection.rhythm import MARKET_TZ, RHYTHM_FILE, market_slot
from common.detection_config import DEFAULT_CONFIG
from devtools.replay.generate import DIURNAL, WEEKLY
from tests.unit.detect_helpers import H0, evaluate_at, mentions, state_of

DAYS14 = 14 * 24


def test_a_new_tickers_baseline_is_the_global_rate() -> None:
    base = fit({}, H0 + 400, observed_hours=0, stats=GlobalStats(rate=0.2), config=DEFAULT_CONFIG)
    assert abs(base.level - 0.2) < 1e-9


def test_a_sparse_tickers_baseline_is_pulled_toward_the_global_rate() -> None:
    now = H0 + 24 * 20
    counts = {now - 100: 1}  # one mention in two weeks
    base = fit(counts, now, observed_hours=DAYS14, stats=GlobalStats(rate=1.0), config=DEFAULT_CONFIG)
    assert base.own_level < base.level < 1.0


def test_a_busy_tickers_baseline_follows_its_own_rate() -> None:
    now = H0 + 24 * 20
    counts = {h: 10 for h in range(now - DAYS14, now)}
    base = fit(counts, now, observed_hours=DAYS14, stats=GlobalStats(rate=0.05), config=DEFAULT_CONFIG)
    assert 9.5 < base.level <= 10.0


def test_the_baseline_learns_its_hour_of_day_rhythm() -> None:
    now = H0 + 24 * 20
    counts = {}
    for h in range(now - DAYS14, now):
        hour = datetime.fromtimestamp(h * HOUR, UTC).hour
        counts[h] = 30 if hour == 15 else 3
    base = fit(counts, now, observed_hours=DAYS14, stats=GlobalStats(rate=0.05), config=DEFAULT_CONFIG)
    afternoon = next(h for h in range(now, now + 24) if datetime.fromtimestamp(h * HOUR, UTC).hour == 15)
    assert base.rate_at(afternoon) > 5 * base.rate_at(afternoon + 12)


def test_the_newest_hours_do_not_raise_their_own_baseline() -> None:
    now = H0 + 24 * 20
    quiet = {h: 1 for h in range(now - DAYS14, now)}
    spiking = {**quiet, **{h: 50 for h in range(now - 5, now + 1)}}
    calm = fit(quiet, now, observed_hours=DAYS14, stats=GlobalStats(), config=DEFAULT_CONFIG)
    busy = fit(spiking, now, observed_hours=DAYS14, stats=GlobalStats(), config=DEFAULT_CONFIG)
    assert abs(calm.level - busy.level) < 1e-9


def test_last_weeks_spike_is_capped_in_the_baseline() -> None:
    now = H0 + 24 * 20
    counts = {h: 1 for h in range(now - DAYS14, now)}
    counts[now - 100] = 500
    base = fit(counts, now, observed_hours=DAYS14, stats=GlobalStats(), config=DEFAULT_CONFIG)
    assert base.own_level < 1.1


def test_three_mentions_after_one_is_not_a_spike_for_a_new_ticker() -> None:
    now = H0 + 24 * 10
    state = state_of([*mentions(now - 1, 1, prefix="a"), *mentions(now, 3, prefix="b")])
    ev = evaluate_at(state, now * HOUR + 3500)
    assert not ev.spike
    assert ev.kind is None


def test_the_global_rate_is_the_average_tickers_hourly_discussion_over_the_week_before() -> None:
    hour = H0 + 30 * 24
    steady = {h: 2 for h in range(hour - 30 * 24, hour + 1)}  # two tickers' talk, every hour
    assert week_rate(steady, hour, tickers=4) == 0.5  # over four tickers: the hour still filling left out
    # three days into collection: per the hours there are, not per week
    assert week_start(hour, since_hour=hour - 72) == hour - 72
    assert week_rate(steady, hour, tickers=4, since_hour=hour - 72) == 0.5
    assert week_rate(steady, hour, tickers=0) == week_rate(steady, hour, 4, since_hour=hour) == GlobalStats.rate
    assert week_rate({hour: 9}, hour, tickers=1) == GlobalStats.rate  # a week without talk: no prior of nothing


def test_the_backtests_rate_counts_the_weeks_talk_over_the_tickers_named_in_it() -> None:
    """What production's crowd reads (the community's volume, the summaries updated since
    the week began), kept by the backtest: a ticker loud a month ago and silent since adds
    neither its old talk nor itself, however long the history grows."""
    week = WeekVolume()
    hour = H0 + 40 * 24
    for h in range(hour - 35 * 24, hour - 34 * 24):
        week.add(h, {"GONE": 1000, "GME": 2})
    for h in range(hour - 34 * 24, hour + 1):
        week.add(h, {"GME": 2, "AMC": 1} if h % 2 else {"GME": 2})
    talk = {h: 3 if h % 2 else 2 for h in range(hour - 168, hour)}
    assert week.stats(hour).rate == week_rate(talk, hour, tickers=2) == sum(talk.values()) / 2 / 168
    assert week.named_since(hour - 168) == 2


def test_priors_of_zero_are_a_valid_config_even_for_a_ticker_with_no_history() -> None:
    config = DEFAULT_CONFIG.model_copy(update={"seasonality_prior": 0.0, "weekday_prior": 0.0})
    base = fit({}, H0 + 400, observed_hours=0, stats=GlobalStats(rate=0.2), config=config)
    assert abs(base.level - 0.2) < 1e-9  # the crowd's shape and rate, not a division by zero


def test_with_priors_of_zero_an_hour_the_ticker_was_never_named_in_expects_little_not_nothing() -> None:
    config = DEFAULT_CONFIG.model_copy(update={"seasonality_prior": 0.0, "weekday_prior": 0.0})
    now = H0 + 24 * 14
    office = {h: 10 for h in range(H0, now) if 9 <= market_slot(h)[0] < 16}  # named only in office hours
    nights = [h for h in range(H0, now) if market_slot(h)[0] == 3]

    def at_night(history: dict[int, int]) -> float:
        base = fit(history, now, observed_hours=now - H0, stats=GlobalStats(rate=0.2), config=config)
        return base.rate_at(next(h for h in range(now, now + 24) if market_slot(h)[0] == 3))

    never, once, twice = at_night(office), at_night({**office, nights[0]: 1}), at_night({**office, nights[0]: 2})
    assert 0 < never < once < twice  # not zero (five mentions then would be an infinite ratio), and monotone


def _on_the_sites_shape(first: int, stop: int, level: float) -> dict[int, int]:
    """Hourly counts that follow the site's rhythm exactly (to rounding) at ``level``."""
    return {
        h: round(level * DEFAULT_HOUR_OF_DAY[market_slot(h)[0]] * DEFAULT_DAY_OF_WEEK[market_slot(h)[1]])
        for h in range(first, stop)
    }


@pytest.mark.parametrize(
    ("start", "hours"),
    [
        (datetime(2021, 6, 5, 20, tzinfo=MARKET_TZ), 400),  # 13 days 18 hours from a Saturday evening
        (datetime(2021, 6, 5, 0, tzinfo=MARKET_TZ), 72),  # a weekend and a Monday
        (datetime(2021, 6, 4, 18, tzinfo=MARKET_TZ), 60),  # a Friday evening to Monday morning
    ],
)
def test_a_ticker_on_the_sites_rhythm_learns_the_sites_rhythm_and_its_level_whatever_its_history(
    start: datetime, hours: int
) -> None:
    """Each history hour is exposure for its own hour and weekday (a history that begins on
    a Saturday evening holds a few hours of Saturday, not a whole one), and the level is per
    hour of the site's average moment: a weekend-only history is quiet because it is a
    weekend, not because the ticker is."""
    first = int(start.timestamp()) // HOUR
    span = min(hours, DAYS14) - DEFAULT_CONFIG.baseline_gap_hours
    now = first + span + DEFAULT_CONFIG.baseline_gap_hours
    counts = _on_the_sites_shape(first, now, 1000.0)
    base = fit(
        counts,
        now,
        observed_hours=min(hours, span + DEFAULT_CONFIG.baseline_gap_hours),
        stats=GlobalStats(),
        config=DEFAULT_CONFIG,
    )
    assert base.history_hours == span and market_slot(now - DEFAULT_CONFIG.baseline_gap_hours - span) == market_slot(
        first
    )
    assert abs(base.own_level / 1000 - 1) < 0.01
    learned_shape, site_shape = base.day_of_week + base.hour_of_day, DEFAULT_DAY_OF_WEEK + DEFAULT_HOUR_OF_DAY
    for learned, site in zip(learned_shape, site_shape, strict=True):
        assert abs(learned / site - 1) < 0.02


def test_the_rhythm_is_new_yorks_so_the_open_stays_the_open_across_daylight_saving() -> None:
    assert market_slot(int(datetime(2021, 7, 1, 13, 30, tzinfo=UTC).timestamp()) // HOUR) == (9, 3)
    assert market_slot(int(datetime(2021, 1, 7, 13, 30, tzinfo=UTC).timestamp()) // HOUR) == (8, 3)
    # a ticker talked about at 10:00 New York every day learns that hour, in summer and winter
    end_of_summer_time = int(datetime(2021, 11, 7, 12, tzinfo=UTC).timestamp()) // HOUR
    now = end_of_summer_time + 24 * 5
    counts = {h: (30 if market_slot(h)[0] == 10 else 2) for h in range(now - DAYS14, now)}
    base = fit(counts, now, observed_hours=DAYS14, stats=GlobalStats(), config=DEFAULT_CONFIG)
    ten_am = next(h for h in range(now, now + 24) if market_slot(h)[0] == 10)
    assert datetime.fromtimestamp(ten_am * HOUR, UTC).hour == 15  # 14:00 UTC before the change
    assert base.rate_at(ten_am) > 4 * max(base.rate_at(ten_am - 1), base.rate_at(ten_am + 1))


def test_the_sites_rhythm_is_measured_on_real_posts_not_copied_from_the_generator() -> None:
    """The synthetic benchmark grades the detector against a generator; a prior drawn from
    that generator's curves would grade the generator against itself."""
    doc = json.loads(RHYTHM_FILE.read_text())
    assert "generate" not in doc["source"] and doc["items"] > 10_000 and doc["weeks"] >= 4
    assert abs(sum(DEFAULT_HOUR_OF_DAY) / 24 - 1) < 0.01 and abs(sum(DEFAULT_DAY_OF_WEEK) / 7 - 1) < 0.01
    for shape, generated in [(DEFAULT_HOUR_OF_DAY, DIURNAL), (DEFAULT_DAY_OF_WEEK, WEEKLY)]:
        ratios = [a / b for a, b in zip(shape, generated, strict=True)]
        assert max(ratios) / min(ratios) > 1.2  # not the generator's curve rescaled
