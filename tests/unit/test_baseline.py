"""The baseline: seasonal, shrunk toward the crowd for sparse tickers, blind to its own spike."""

from datetime import UTC, datetime

from common.detection.baseline import HOUR, GlobalStats, fit, global_rate
from common.detection_config import DEFAULT_CONFIG
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


def test_the_global_rate_is_the_average_tickers_hourly_mentions() -> None:
    assert global_rate({"A": 168, "B": 0}) == 0.5
    assert global_rate({}) == GlobalStats.rate


def test_priors_of_zero_are_a_valid_config_even_for_a_ticker_with_no_history() -> None:
    config = DEFAULT_CONFIG.model_copy(update={"seasonality_prior": 0.0, "weekday_prior": 0.0})
    base = fit({}, H0 + 400, observed_hours=0, stats=GlobalStats(rate=0.2), config=config)
    assert abs(base.level - 0.2) < 1e-9  # the crowd's shape and rate, not a division by zero
