"""The benchmark's verdicts: a figure measured on failed requests is no pass."""

from bench.targets import evaluate

API = {"health_p99_ms": 10.0, "alerts_p99_ms": 20.0, "trending_p99_ms": 25.0}
CLEAN = {"health_errors": 0.0, "alerts_errors": 0.0, "trending_errors": 0.0}


def test_the_api_ratio_is_judged_only_when_every_request_answered() -> None:
    judged = evaluate({"api": {**API, **CLEAN}})["API p99 / health p99"]
    assert (judged["measured"], judged["verdict"]) == (2.5, "PASS")
    failed = evaluate({"api": {**API, **CLEAN, "alerts_errors": 3.0}})["API p99 / health p99"]
    assert (failed["measured"], failed["verdict"]) == (None, "not measured")


def test_the_uncached_page_is_judged_apart_from_the_cached_answers() -> None:
    measured = {**API, **CLEAN, "alerts_next_p99_ms": 70.0, "alerts_next_errors": 0.0}
    judged = evaluate({"api": measured})
    assert judged["API p99 / health p99"]["verdict"] == "PASS"
    uncached = judged["API p99 / health p99, a page read from Firestore"]
    assert (uncached["measured"], uncached["verdict"]) == (7.0, "MISS")


def test_operations_counted_with_work_still_in_flight_are_no_measure() -> None:
    name = "Firestore operations per item, bundled corpus read every ten minutes"
    paced = {"paced_firestore_ops_per_item": 3.0, "paced_behind_batches": 0, "paced_behind_updates": 0}
    assert evaluate({"bundled": paced})[name]["verdict"] == "PASS"
    behind = evaluate({"bundled": {**paced, "paced_behind_updates": 4}})[name]
    assert (behind["measured"], behind["verdict"]) == (None, "not measured")
