"""The performance targets, judged on the figures ``bench/results.json`` holds (no ``run``: not
a benchmark itself; bench/run.py calls :func:`evaluate` after every module has run).

A full ``make bench`` measures every figure in one run; ``make bench ONLY=x`` re-measures
module x and keeps the others as recorded (each module's ``measured_at`` says when). A target
whose figures were never measured, or whose module failed, is ``not measured``, never a pass.
"""

from collections.abc import Callable
from typing import Any

Figures = dict[str, Any]


def _get(results: Figures, module: str, name: str) -> float | None:
    value = results.get(module, {}).get(name) if isinstance(results.get(module), dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _api_p99_vs_health(*names: str) -> Callable[[Figures], float | None]:
    """The largest of ``names``' p99 over health's. Not measured when any request failed: the
    latencies would be of errors, or of fewer requests than the run made."""

    def read(r: Figures) -> float | None:
        if any(_get(r, "api", f"{name}_errors") != 0.0 for name in ("health", *names)):
            return None
        ratios = [_ratio(_get(r, "api", f"{name}_p99_ms"), _get(r, "api", "health_p99_ms")) for name in names]
        present = [x for x in ratios if x is not None]
        return max(present) if present else None

    return read


def _reddit_per_100(r: Figures) -> float | None:
    """The ingest bench's figure (the bundled corpus's replay) when it ran, else e2e's."""
    found = _get(r, "ingest", "reddit_requests_per_100_items")
    return found if found is not None else _get(r, "e2e", "reddit_requests_per_100_items")


def _paced_ops(r: Figures) -> float | None:
    """Not measured while work was still in flight when it was counted: its operations would
    be missing."""
    if _get(r, "bundled", "paced_behind_batches") != 0.0 or _get(r, "bundled", "paced_behind_updates") != 0.0:
        return None
    return _get(r, "bundled", "paced_firestore_ops_per_item")


def _demo_behind(r: Figures) -> float | None:
    batches, updates = _get(r, "bundled", "behind_batches"), _get(r, "bundled", "behind_updates")
    return None if batches is None or updates is None else batches + updates


def _demo_missed(r: Figures) -> float | None:
    missed = (r.get("bundled") or {}).get("labelled_not_alerted") if isinstance(r.get("bundled"), dict) else None
    return float(len(missed)) if isinstance(missed, list) else None


# name, how it reads, limit, True when at most the limit passes (False: at least)
TARGETS: list[tuple[str, Callable[[Figures], float | None], float, bool]] = [
    ("e2e items/s vs no-op ceiling", lambda r: _get(r, "e2e", "e2e_vs_ceiling"), 0.5, False),
    ("fetch-to-alert p95 (s)", lambda r: _get(r, "e2e", "fetch_to_alert_p95_s"), 5.0, True),
    ("Firestore operations per item", lambda r: _get(r, "e2e", "firestore_ops_per_item"), 4.0, True),
    (
        "Firestore operations per item, bundled corpus",
        lambda r: _get(r, "bundled", "firestore_ops_per_item"),
        4.0,
        True,
    ),
    (
        "Firestore operations per item, bundled corpus read every ten minutes",
        _paced_ops,
        4.0,
        True,
    ),
    ("demo: work behind when its table prints", _demo_behind, 0.0, True),
    ("demo: labelled scenarios without an alert", _demo_missed, 0.0, True),
    ("Reddit requests per 100 items", _reddit_per_100, 3.0, True),
    ("API p99 / health p99", _api_p99_vs_health("alerts", "trending"), 3.0, True),
    # the next page of alerts: what a listing costs when no cached answer serves it
    ("API p99 / health p99, a page read from Firestore", _api_p99_vs_health("alerts_next"), 3.0, True),
    ("peak RSS of a function worker (MB)", lambda r: _get(r, "e2e", "rss_peak_mb_max_worker"), 256.0, True),
    ("memory of a function instance, PSS (MB)", lambda r: _get(r, "e2e", "pss_end_mb_max_tree"), 256.0, True),
    ("modules dispatch loads at cold start", lambda r: _get(r, "cold_start", "dispatch_modules"), 1300.0, True),
    # four times the length: a linear reading takes four times as long, a quadratic one sixteen
    (
        "extraction: a crafted text's time at four times its length",
        lambda r: _get(r, "extraction", "crafted_growth_worst"),
        6.0,
        True,
    ),
]


def evaluate(results: Figures) -> dict[str, Any]:
    judged: dict[str, Any] = {}
    for name, read, limit, at_most in TARGETS:
        value = read(results)
        if value is None:
            verdict = "not measured"
        else:
            verdict = "PASS" if (value <= limit if at_most else value >= limit) else "MISS"
        judged[name] = {
            "measured": None if value is None else round(value, 3),
            "target": f"{'<=' if at_most else '>='} {limit:g}",
            "verdict": verdict,
        }
    return judged
