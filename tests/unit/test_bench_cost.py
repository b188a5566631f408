"""The cost model prices what a run measured: more operations or items cost more, the
schedule's minute ticks cost per day whatever the volume (in place of the e2e replay's
dispatch), and the free tiers are taken off once a day (Firestore) or once a month (the
others)."""

from typing import Any

from bench import cost

MEASURED: dict[str, Any] = {
    "e2e": {
        "firestore_reads_per_item": 5.0,
        "firestore_writes_per_item": 5.0,
        "firestore_reads_per_item_dispatch": 0.5,
        "firestore_writes_per_item_dispatch": 0.5,
        "deliveries_per_item": 1.0,
    },
    "archive": {"reddit_items_message_bytes": 500, "bigquery_streaming_billed_kb_per_item": 1.0},
    "schedule": {
        f"dispatch_{kind}_per_day_{name}": n for name in cost.VOLUMES for kind, n in (("reads", 6_000), ("writes", 600))
    },
}


def _with(module: str, **figures: float) -> dict[str, Any]:
    return {**MEASURED, module: {**MEASURED[module], **figures}}


def test_a_small_day_fits_the_free_tiers() -> None:
    lean = _with("e2e", firestore_reads_per_item=1.0, firestore_writes_per_item=1.0)
    bill = cost.monthly(lean, "10k")
    assert bill["firestore"] == 0.0 and bill["pubsub"] == 0.0 and bill["function_invocations"] == 0.0


def test_firestore_is_priced_above_the_daily_free_quota_with_the_schedule_in_place_of_the_replays_ticks() -> None:
    bill = cost.monthly(MEASURED, "100k")
    reads, writes = 100_000 * 4.5 + 6_000 - 50_000, 100_000 * 4.5 + 600 - 20_000
    want = 30 * (reads / 100_000 * 0.06 + writes / 100_000 * 0.18)
    assert bill["firestore"] == round(want, 2)
    assert cost.model(MEASURED)["firestore_ops_per_item_100k_items_a_day"] == round((900_000 + 6_600) / 100_000, 3)


def test_the_schedules_ticks_cost_the_same_a_day_whatever_the_volume() -> None:
    busier = _with("schedule", **{f"dispatch_reads_per_day_{name}": 106_000 for name in cost.VOLUMES})
    for name in ("100k", "1m"):
        more = cost.monthly(busier, name)["firestore"] - cost.monthly(MEASURED, name)["firestore"]
        assert abs(more - 30 * 100_000 / 100_000 * 0.06) < 0.02


def test_fewer_operations_per_item_cost_less_and_the_total_adds_up() -> None:
    leaner = _with("e2e", firestore_writes_per_item=2.0)
    assert cost.monthly(leaner, "1m")["firestore"] < cost.monthly(MEASURED, "1m")["firestore"]
    bill = cost.monthly(MEASURED, "1m")
    parts = bill["firestore"] + bill["pubsub"] + bill["bigquery_streaming"] + bill["function_invocations"]
    assert abs(bill["total"] - parts) < 0.02


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
