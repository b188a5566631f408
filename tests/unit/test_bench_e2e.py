"""The end-to-end benchmark's bookkeeping: which tick fetched what, and latencies per tick."""

from bench.e2e import percentile, tick_latencies, tick_of

NOWS = [100.0, 200.0, 300.0]


def test_percentile_is_the_nearest_rank() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 95) == 5.0
    assert percentile(values, 20) == 1.0
    assert percentile([], 50) is None


def test_an_item_belongs_to_the_first_tick_whose_clock_reached_it() -> None:
    assert tick_of(50.0, NOWS) == 0
    assert tick_of(100.0, NOWS) == 0
    assert tick_of(100.5, NOWS) == 1
    assert tick_of(300.0, NOWS) == 2
    assert tick_of(301.0, NOWS) is None


def test_a_tick_is_done_when_its_last_update_is_decided() -> None:
    published = [10.0, 20.0, 30.0]
    updates = [("A", 90.0), ("B", 100.0), ("A", 150.0)]
    decided = {("A", 90.0): 11.0, ("B", 100.0): 13.5, ("A", 150.0): 22.0}
    latencies, undecided = tick_latencies(published, NOWS, updates, decided)
    assert latencies == [3.5, 2.0]
    assert undecided == 0


def test_a_tick_with_an_undecided_update_is_left_out_and_counted() -> None:
    published = [10.0, 20.0, 30.0]
    updates = [("A", 90.0), ("A", 150.0), ("B", 160.0)]
    decided = {("A", 90.0): 12.0, ("A", 150.0): 22.0}
    latencies, undecided = tick_latencies(published, NOWS, updates, decided)
    assert latencies == [2.0]
    assert undecided == 1
