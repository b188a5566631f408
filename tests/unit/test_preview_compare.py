"""The preview's comparison: an episode a proposed config opens at another time reads as moved,
not as one alert lost and one gained."""

from typing import Any

from functions.api.compare import MOVED_WITHIN_S, differences

H = 3600.0


def alert(symbol: str, opened_h: float, kind: str = "organic") -> dict[str, Any]:
    return {"symbol": symbol, "kind": kind, "opened_at": 1_700_000_000 + opened_h * H}


def test_the_same_alert_under_both_configs_is_no_difference() -> None:
    same = [alert("GME", 0), alert("AMC", 5, "pump")]
    diff = differences(same, list(reversed(same)))
    assert (diff.gained, diff.lost, diff.moved) == ([], [], [])


def test_an_episode_opened_sooner_is_moved_not_lost_and_gained() -> None:
    diff = differences([alert("GME", 10), alert("BB", 0)], [alert("BB", 0), alert("GME", 7)])
    assert diff.moved == [(0, 1)]
    assert (diff.gained, diff.lost) == ([], [])


def test_another_kind_or_symbol_or_a_day_apart_is_lost_and_gained() -> None:
    current = [alert("GME", 0), alert("BB", 0), alert("NOK", 0)]
    proposed = [alert("GME", 2, "pump"), alert("BBY", 1), alert("NOK", MOVED_WITHIN_S / H + 1)]
    diff = differences(current, proposed)
    assert diff.moved == []
    assert (diff.gained, diff.lost) == ([0, 1, 2], [0, 1, 2])


def test_of_two_episodes_the_nearer_is_the_one_that_moved() -> None:
    diff = differences([alert("GME", 0), alert("GME", 20)], [alert("GME", 15)])
    assert diff.moved == [(1, 0)]
    assert (diff.gained, diff.lost) == ([], [0])


def test_pairs_never_cross_each_other_or_an_episode_both_configs_open() -> None:
    crossing = differences([alert("GME", 0), alert("GME", 5)], [alert("GME", 4), alert("GME", 6)])
    assert crossing.moved == [(0, 0), (1, 1)]  # t0 -> t4 and t5 -> t6, not t5 -> t4 and t0 -> t6
    across = differences([alert("GME", 0), alert("GME", 10)], [alert("GME", 10), alert("GME", 12)])
    assert across.moved == []  # t12 lies past the t10 episode both open: not t0 moved
    assert (across.gained, across.lost) == ([1], [0])


def test_two_small_moves_beat_three_large_ones() -> None:
    diff = differences(
        [alert("GME", 0), alert("GME", 20), alert("GME", 40)], [alert("GME", 19), alert("GME", 39), alert("GME", 59)]
    )
    assert diff.moved == [(1, 0), (2, 1)]
    assert (diff.gained, diff.lost) == ([2], [0])


def test_an_episode_both_open_splits_the_tickers_time_whatever_its_kind() -> None:
    current = [alert("GME", 0), alert("GME", 5, "pump")]
    proposed = [alert("GME", 5, "pump"), alert("GME", 10)]
    diff = differences(current, proposed)
    assert diff.moved == []  # organic at 0 and at 10 lie on either side of the pump both open
    assert (diff.gained, diff.lost) == ([1], [0])
