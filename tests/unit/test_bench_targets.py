"""The benchmark's verdicts: a figure measured on failed requests is no pass."""

from bench.targets import evaluate

API = {"health_p99_ms": 10.0, "alerts_p99_ms": 20.0, "trending_p99_ms": 25.0}
CLEAN = {"health_errors": 0.0, "alerts_errors": 0.0, "trending_errors": 0.0}


def test_the_api_ratio_is_judged_only_when_every_request_answered() -> None:
    judged = evaluate({"api": {**API, **CLEAN}})["API p99 / health p99"]
    assert (judged["measured"], judged["verdict"]) == (2.5, "PASS")
    failed = evaluate({"api": {**API, **CLEAN, "alerts_errors": 3.0}})["API p99 / health p99"]
    assert (failed["measured"], failed["verdict"]) == (None, "not measured")
