from dataclasses import replace

import pytest
from pydantic import ValidationError

from common.dispatching import (
    SETTLE_S,
    TICK_SLACK_S,
    Cadence,
    FetchState,
    due,
    known_state,
    learned,
    plan_fetches,
    read_floor,
    run_id_for,
    settled_until,
    silence_checks,
)
from common.messages import ScrapeTick
from common.settings import Settings


def test_each_subreddit_is_fetched_once_whatever_its_case() -> None:
    plan = plan_fetches("run", ["wallstreetbets", "WallStreetBets", " stocks ", ""])
    assert [f.subreddit for f in plan] == ["wallstreetbets", "stocks"]
    assert {f.run_id for f in plan} == {"run"}


def test_a_redelivered_tick_maps_to_the_same_run() -> None:
    assert run_id_for(ScrapeTick(), "123") == run_id_for(ScrapeTick(), "123") == "tick-123"
    assert run_id_for(ScrapeTick(run_id="manual"), "123") == "manual"


@pytest.mark.parametrize("value", ["", " , ", "r/stocks"])
def test_a_subreddits_setting_naming_none_or_a_name_no_fetch_can_take_fails_at_start(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(SUBREDDITS=value)


HOUR = 3600.0
T = 1_700_000_000.0


def test_the_settled_time_is_the_slowest_subreddits_read_less_the_items_still_arriving() -> None:
    assert settled_until({"stocks": T, "options": T - 5 * HOUR}) == T - 5 * HOUR - SETTLE_S
    # a subreddit never read whole: nobody can say its tickers fell silent
    assert settled_until({"stocks": T, "options": None}) is None
    # one read whole that never showed an item hides nothing
    assert settled_until({"stocks": T, "options": 0.0}) == T - SETTLE_S
    assert settled_until({"stocks": 0.0}) is None
    assert settled_until({}) is None


def test_the_read_floor_is_the_furthest_whole_read() -> None:
    assert read_floor({"stocks": T, "options": T - 5 * HOUR, "quiet": 0.0, "new": None}) == T
    assert read_floor({"quiet": 0.0, "new": None}) is None
    plan = plan_fetches("run-1", ["stocks"], 3, sent_at=T, read_floor=T - 60)
    assert [f.read_floor for f in plan] == [T - 60]


def _alert(symbol: str, updated_at: float, *, rule: str = "volume_6h", status: str = "open") -> dict[str, object]:
    return {"symbol": symbol, "updated_at": updated_at, "rule": rule, "status": status}


def test_a_check_goes_to_each_ticker_whose_active_alert_a_silence_would_have_ended_by_then() -> None:
    settled = T + 7 * HOUR  # an alert updated in T's hour ends seven hours after that hour began
    checks = silence_checks(
        [
            _alert("QUIE", T),  # six hours and the hour before them, both over
            _alert("QUIE", T - 2 * HOUR),  # named once
            _alert("BUSY", T + 1),  # in the same hour: due as well
            _alert("RECE", T + HOUR),  # its window may still hold discussion
            _alert("SLOW", T, rule="pump_risk>=0.5 on volume_24h"),  # the day rule's day is not over
            _alert("DONE", T, status="resolved"),
            _alert("", T),
        ],
        settled,
        config_version=4,
    )
    assert [(c.ticker, c.silence_check, c.mentions, c.config_version) for c in checks] == [
        ("BUSY", settled, (), 4),
        ("QUIE", settled, (), 4),
    ]
    assert [
        c.ticker for c in silence_checks([_alert("SLOW", T, rule="pump_risk>=0.5 on volume_24h")], T + 25 * HOUR)
    ] == ["SLOW"]


CADENCE = Cadence(listing_cap=1000, fill=0.5, shortest_s=60.0, longest_s=600.0, hold_s=540.0)


def test_a_subreddit_is_fetched_before_its_listing_half_fills_within_the_shortest_and_longest_intervals() -> None:
    assert CADENCE.interval(0.0) == 600.0  # never measured, or too quiet to say
    assert CADENCE.interval(0.01) == 600.0  # 36 items an hour: the longest interval
    assert CADENCE.interval(2.0) == 250.0  # 500 items at 2 a second
    assert CADENCE.interval(100.0) == 60.0  # faster than any interval may follow


def test_a_subreddit_reddit_keeps_failing_is_sent_less_often_until_a_run_is_served() -> None:
    """Its listings time out, three attempts each: sent every tick, it would hold one of the
    few fetch slots nearly all the time, and the others would wait behind it."""
    assert [CADENCE.interval(100.0, missed) for missed in range(7)] == [60.0, 60.0, 120.0, 240.0, 480.0, 600.0, 600.0]
    assert CADENCE.interval(0.01, 3) == 600.0  # never sooner than its pace asks
    now = 1_767_225_600.0
    sick = FetchState(
        pace=100.0, sent_at=now - 200.0, sent_run="tick-9", saved_runs=frozenset({"tick-9"}), unserved_runs=3
    )
    assert due(["stocks"], CADENCE, {"stocks": sick}, now=now) == []
    assert due(["stocks"], CADENCE, {"stocks": replace(sick, unserved_runs=0)}, now=now) == ["stocks"]
    # dispatch keeps the count with the pace it learnt, so the next tick needs no cursor read
    kept = learned("tick-9", sick)
    assert kept == {"run": "tick-9", "pace": 100.0, "unserved": 3}
    assert known_state(now - 200.0, "tick-9", kept) == sick


def test_a_tick_fetches_the_subreddits_never_sent_and_those_whose_interval_has_passed() -> None:
    now = 1_767_225_600.0
    states = {
        "wallstreetbets": FetchState(pace=2.0, sent_at=now - 240.0),  # due every 250 s
        "stocks": FetchState(pace=0.05, sent_at=now - 240.0),  # every 600 s
        "options": FetchState(sent_at=now - 10.0),
    }
    names = ["WallStreetBets", "stocks", "options", "investing"]
    assert due(names, CADENCE, states, now=now) == ["WallStreetBets", "investing"]
    later = now + 600.0 - 240.0 - TICK_SLACK_S  # the tick that comes half a tick early still fetches it
    assert "stocks" in due(names, CADENCE, states, now=later)
    assert "stocks" not in due(names, CADENCE, states, now=later - 1.0)


def test_a_subreddit_whose_last_run_may_still_be_going_waits_for_it_to_save_or_time_out() -> None:
    now = 1_767_225_600.0
    sent = FetchState(pace=100.0, sent_at=now - 120.0, sent_run="tick-2", saved_runs=frozenset({"tick-1"}))
    assert due(["wallstreetbets"], CADENCE, {"wallstreetbets": sent}, now=now) == []
    saved = replace(sent, saved_runs=frozenset({"tick-1", "tick-2"}))  # saved, then overtaken or not
    assert due(["wallstreetbets"], CADENCE, {"wallstreetbets": saved}, now=now) == ["wallstreetbets"]
    timed_out = replace(sent, sent_at=now - 540.0)  # past fetch's timeout: that run is over
    assert due(["wallstreetbets"], CADENCE, {"wallstreetbets": timed_out}, now=now) == ["wallstreetbets"]


def test_fetch_intervals_out_of_order_fail_at_start() -> None:
    with pytest.raises(ValidationError, match="FETCH_MIN_INTERVAL_S"):
        Settings(fetch_min_interval_s=900.0, fetch_max_interval_s=600.0)


def test_a_pace_read_once_its_run_saved_stands_until_the_next_send_without_reading_the_cursor() -> None:
    now = 1_767_225_600.0
    assert known_state(None, "", None) == FetchState()  # never sent: due at once, nothing to read
    assert known_state(now, "tick-2", None) is None  # nothing kept: read the cursor
    read = FetchState(pace=2.0, saved_runs=frozenset({"tick-1"}), sent_at=now, sent_run="tick-2")
    assert learned("tick-2", read) is None  # its run has not saved yet: the pace may still move
    saved = replace(read, saved_runs=frozenset({"tick-2", "tick-1"}))
    kept = learned("tick-2", saved)
    assert kept == {"run": "tick-2", "pace": 2.0, "unserved": 0}
    known = known_state(now, "tick-2", kept)
    assert known is not None and due(["stocks"], CADENCE, {"stocks": known}, now=now + 220.0) == ["stocks"]
    assert due(["stocks"], CADENCE, {"stocks": known}, now=now + 200.0) == []
    assert known_state(now + 250.0, "tick-3", kept) is None  # sent again: that pace is the old run's
    assert known_state(now, "", {"run": "", "pace": 2.0}) is None  # a record without run ids


def test_a_fetch_reads_until_the_hold_ends_and_a_hand_sent_one_for_its_whole_deadline() -> None:
    from common.dispatching import AFTER_READING_S, FETCH_TIMEOUT_S, reading_time

    assert reading_time(None, 10_000.0, 240.0) == 240.0
    assert reading_time(1000.0, 1000.0, 240.0) == 240.0
    # the run's writes after reading are done when dispatch may send the subreddit again
    assert reading_time(1000.0, 1000.0 + FETCH_TIMEOUT_S - AFTER_READING_S - 100, 240.0) == 100.0
    assert reading_time(1000.0, 1000.0 + FETCH_TIMEOUT_S + 1, 240.0) < 0
    assert [f.sent_at for f in plan_fetches("r", ["a", "b"], 3, sent_at=5.0)] == [5.0, 5.0]
