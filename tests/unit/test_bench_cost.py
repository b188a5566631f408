"""The cost model prices what a run measured: more operations or items cost more, the
schedule's minute ticks and the runs they start cost per day (in place of the e2e replay's
ticks and runs), each volume at its own, and the free tiers are taken off once a day
(Firestore) or once a month (the others)."""

from typing import Any

from bench import cost

# each volume's schedule figures its own, so reading another volume's is caught
SCHEDULE_READS = {"10k": 6_000, "100k": 7_000, "1m": 9_000}
SCHEDULE_WRITES = {"10k": 600, "100k": 700, "1m": 900}
FETCH_RUNS = {"10k": 1_000, "100k": 1_100, "1m": 2_400}
MEASURED: dict[str, Any] = {
    "e2e": {
        "firestore_reads_per_item": 5.0,
        "firestore_writes_per_item": 5.0,
        "firestore_reads_per_item_dispatch": 0.5,
        "firestore_writes_per_item_dispatch": 0.5,
        "deliveries_per_item": 1.0,
        "items": 1_000,
        "deliveries_dispatch": 30,
        "deliveries_fetch": 170,  # with dispatch's, 0.2 of the 1.0 per item: the replay's
        "reddit_requests": 510,  # three a fetch run
    },
    "ingest": {"reddit_requests_per_100_items": 2.0},
    "archive": {"reddit_items_message_bytes": 500, "bigquery_streaming_billed_kb_per_item": 1.0},
    "schedule": {
        "ticks_per_day": 1_440,
        **{f"dispatch_reads_per_day_{name}": n for name, n in SCHEDULE_READS.items()},
        **{f"dispatch_writes_per_day_{name}": n for name, n in SCHEDULE_WRITES.items()},
        **{f"fetch_runs_per_day_{name}": n for name, n in FETCH_RUNS.items()},
    },
}


def _with(module: str, **figures: float) -> dict[str, Any]:
    return {**MEASURED, module: {**MEASURED[module], **figures}}


def test_a_small_day_fits_the_free_tiers() -> None:
    lean = _with("e2e", firestore_reads_per_item=1.0, firestore_writes_per_item=1.0)
    bill = cost.monthly(lean, "10k")
    assert bill["firestore"] == 0.0 and bill["pubsub"] == 0.0 and bill["function_invocations"] == 0.0


def test_firestore_is_priced_above_the_daily_free_quota_with_the_schedule_in_place_of_the_replays_ticks() -> None:
    for name, n in cost.VOLUMES.items():
        reads = max(0.0, n * 4.5 + SCHEDULE_READS[name] - 50_000)
        writes = max(0.0, n * 4.5 + SCHEDULE_WRITES[name] - 20_000)
        want = 30 * (reads / 100_000 * 0.06 + writes / 100_000 * 0.18)
        assert cost.monthly(MEASURED, name)["firestore"] == round(want, 2), name
        per_item = (n * 9.0 + SCHEDULE_READS[name] + SCHEDULE_WRITES[name]) / n
        assert cost.model(MEASURED)[f"firestore_ops_per_item_{name}_items_a_day"] == round(per_item, 3)


def test_the_schedules_ticks_and_runs_are_delivered_in_place_of_the_replays() -> None:
    for name, n in cost.VOLUMES.items():
        assert cost.deliveries_per_day(MEASURED, name) == n * 0.8 + 1_440 + FETCH_RUNS[name]
    invocations = 30 * (1_000_000 * 0.8 + 1_440 + 2_400) - 2_000_000
    assert cost.monthly(MEASURED, "1m")["function_invocations"] == round(invocations / 1_000_000 * 0.40, 2)


def test_the_schedules_ticks_cost_the_same_a_day_whatever_the_volume() -> None:
    busier = _with("schedule", **{f"dispatch_reads_per_day_{name}": n + 100_000 for name, n in SCHEDULE_READS.items()})
    for name in ("100k", "1m"):
        more = cost.monthly(busier, name)["firestore"] - cost.monthly(MEASURED, name)["firestore"]
        assert abs(more - 30 * 100_000 / 100_000 * 0.06) < 0.02


def test_fewer_operations_per_item_cost_less_and_the_total_adds_up() -> None:
    leaner = _with("e2e", firestore_writes_per_item=2.0)
    assert cost.monthly(leaner, "1m")["firestore"] < cost.monthly(MEASURED, "1m")["firestore"]
    bill = cost.monthly(MEASURED, "1m")
    parts = bill["firestore"] + bill["pubsub"] + bill["bigquery_streaming"] + bill["function_invocations"]
    assert abs(bill["total"] - parts) < 0.02


def test_reddit_requests_are_each_scheduled_runs_and_each_items_own() -> None:
    figures = cost.model(MEASURED)
    for name, n in cost.VOLUMES.items():
        per_day = FETCH_RUNS[name] * (510 - 1_000 * 0.02) / 170 + n * 0.02  # a run's share beyond its items
        assert figures[f"reddit_requests_per_100_items_{name}_items_a_day"] == round(100 * per_day / n, 2)
        assert figures[f"reddit_requests_per_minute_{name}_items_a_day"] == round(per_day / 1440, 1)
    # a quiet day is mostly the schedule's runs: more requests per item than a busy one
    assert (
        figures["reddit_requests_per_100_items_10k_items_a_day"]
        > figures["reddit_requests_per_100_items_1m_items_a_day"]
    )


def test_a_missing_figure_is_an_error_not_a_zero() -> None:
    for partial, missing in (
        ({"e2e": {}}, "e2e.firestore_reads_per_item"),
        ({**MEASURED, "schedule": {}}, "schedule.dispatch_reads_per_day_10k"),
    ):
        try:
            cost.model(partial)
        except KeyError as exc:
            assert missing in str(exc)
        else:
            raise AssertionError("priced a run that measured nothing")
