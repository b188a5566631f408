"""The cost model prices what a run measured: more operations or items cost more, and the
free tiers are taken off once a day (Firestore) or once a month (the others)."""

from typing import Any

from bench import cost

MEASURED: dict[str, Any] = {
    "e2e": {"firestore_reads_per_item": 5.0, "firestore_writes_per_item": 5.0, "deliveries_per_item": 1.0},
    "archive": {"reddit_items_message_bytes": 500, "bigquery_streaming_billed_kb_per_item": 1.0},
}


def test_a_small_day_fits_the_free_tiers() -> None:
    bill = cost.monthly(MEASURED, 1_000)
    assert bill["firestore"] == 0.0 and bill["pubsub"] == 0.0 and bill["function_invocations"] == 0.0


def test_firestore_is_priced_per_operation_above_the_daily_free_quota() -> None:
    bill = cost.monthly(MEASURED, 100_000)
    reads, writes = 100_000 * 5.0 - 50_000, 100_000 * 5.0 - 20_000
    want = 30 * (reads / 100_000 * 0.06 + writes / 100_000 * 0.18)
    assert bill["firestore"] == round(want, 2)


def test_fewer_operations_per_item_cost_less_and_the_total_adds_up() -> None:
    leaner = {**MEASURED, "e2e": {**MEASURED["e2e"], "firestore_writes_per_item": 2.0}}
    assert cost.monthly(leaner, 1_000_000)["firestore"] < cost.monthly(MEASURED, 1_000_000)["firestore"]
    bill = cost.monthly(MEASURED, 1_000_000)
    parts = bill["firestore"] + bill["pubsub"] + bill["bigquery_streaming"] + bill["function_invocations"]
    assert abs(bill["total"] - parts) < 0.02


def test_a_missing_figure_is_an_error_not_a_zero() -> None:
    try:
        cost.model({"e2e": {}})
    except KeyError as exc:
        assert "e2e.firestore_reads_per_item" in str(exc)
    else:
        raise AssertionError("priced a run that measured nothing")
