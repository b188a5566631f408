"""The end-to-end benchmark's bookkeeping: which tick fetched what, and latencies per tick."""

from bench.e2e import cpu_figures, percentile, tick_latencies, tick_of

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


def test_cpu_figures_count_what_the_replay_spent_and_the_rates_it_allows() -> None:
    before = {"firestore-emulator": 5.0, "aggregate": 1.0, "reddit": 0.5}
    after = {"firestore-emulator": 11.0, "aggregate": 3.0, "reddit": 0.5, "detect": 1.0}
    figures = cpu_figures(before, after, driver_s=1.0, wall_s=10.0, items=500, cores=2)
    assert figures["cpu_s_replay_firestore-emulator"] == 6.0
    assert figures["cpu_s_replay_aggregate"] == 2.0
    assert "cpu_s_replay_reddit" not in figures  # nothing spent while the replay ran
    assert figures["cpu_s_replay"] == 10.0  # 6 + 2 + 1 + the driver's 1
    assert figures["cpu_s_replay_stand_ins"] == 6.0
    assert figures["cpu_busy_share"] == 0.5  # 10 CPU-seconds of the 20 two cores offered
    assert figures["cpu_bound_items_per_s"] == 100.0  # 500 items at 20 ms each on two cores
    assert figures["stand_ins_only_items_per_s"] == 166.67  # the emulator's 6 s alone


def test_cpu_figures_without_a_measured_interval_claim_no_rate() -> None:
    figures = cpu_figures({}, {}, driver_s=0.0, wall_s=0.0, items=0, cores=2)
    assert figures["cpu_s_replay"] == 0.0
    assert "cpu_busy_share" not in figures
    assert "cpu_bound_items_per_s" not in figures
    assert "stand_ins_only_items_per_s" not in figures
