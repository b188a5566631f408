"""What a day of Reddit items costs, from the per-item figures this run measured.

Not a benchmark: :func:`model` reads the other modules' figures (``e2e``, ``archive`` and
``schedule``) after they ran and prices them with :data:`PRICES`, so the monthly bill at
10k, 100k and 1M items a day moves whenever the measured operations do. Everything is
priced per item from the e2e corpus but the schedule: the e2e bench replays whole ticks, so
dispatch's Firestore operations, and dispatch's and fetch's deliveries, are priced as the
schedule bench's day of minute ticks at each volume (its ticks, and the fetch runs they
start), a cost per day whatever the volume. Prices are list prices in
USD, written down with the page they were read from and when; Google changes them, so
check the current price list before budgeting with these figures. What is not measured per
item (Cloud Run CPU and memory time, TTL deletes, Firestore storage growth) is left out of
the total and named in ``not_priced``.
"""

from collections.abc import Mapping
from typing import Any

DAYS_PER_MONTH = 30
VOLUMES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}  # items a day

# Read 2026-12-02 from stored copies of cloud.google.com/firestore/pricing (free quota) and
# third-party summaries of its per-location table; cloud.google.com/pubsub/pricing and
# cloud.google.com/bigquery/pricing (legacy streaming inserts). Firestore in a multi-region
# location such as nam5 (terraform's default ``firestore_location``) costs twice the regional.
PRICES: dict[str, float] = {
    "firestore_read_per_100k": 0.06,  # nam5; a US region: 0.03
    "firestore_write_per_100k": 0.18,  # nam5; a US region: 0.09
    "firestore_free_reads_per_day": 50_000,
    "firestore_free_writes_per_day": 20_000,
    "pubsub_per_tib": 40.0,  # throughput, publish and delivery each, at least 1 KB a message
    "pubsub_free_gib_per_month": 10.0,
    "pubsub_min_kb": 1.0,
    "bigquery_streaming_per_200mb": 0.01,  # legacy streaming inserts, at least 1 KB a row
    "functions_per_million_invocations": 0.40,
    "functions_free_invocations_per_month": 2_000_000,
}
NOT_PRICED = (
    "Cloud Run CPU and memory time (not measured per item)",
    "Firestore TTL deletes of markers, authors and rate-limit slices",
    "Firestore and BigQuery storage growth",
    "network egress",
    "ticker-updates' own size (they carry the counted series, several KB): priced as reddit-items",
    "fetch's Firestore operations at the schedule's rate: priced per item at the e2e corpus's runs per "
    "item, more than the schedule starts at these volumes (schedule.fetch_runs_per_day_*), so an overestimate",
    "silence checks while alerts are due (the schedule bench has none active): two alert queries and "
    "a cursor read per subreddit on a tick that sends",
)


def _figure(results: Mapping[str, Any], module: str, name: str) -> float:
    value = (results.get(module) or {}).get(name)
    if not isinstance(value, int | float):
        raise KeyError(f"{module}.{name} is not in this run's results")
    return float(value)


def firestore_per_day(results: Mapping[str, Any], volume: str) -> tuple[float, float]:
    """(reads, writes) a day at ``volume`` (a key of :data:`VOLUMES`): every function's per item
    on the e2e corpus but dispatch's, which replays whole ticks there, plus the day of minute
    ticks the schedule bench counted at that volume."""
    day = float(VOLUMES[volume])
    reads = _figure(results, "e2e", "firestore_reads_per_item") - _figure(
        results, "e2e", "firestore_reads_per_item_dispatch"
    )
    writes = _figure(results, "e2e", "firestore_writes_per_item") - _figure(
        results, "e2e", "firestore_writes_per_item_dispatch"
    )
    return (
        day * reads + _figure(results, "schedule", f"dispatch_reads_per_day_{volume}"),
        day * writes + _figure(results, "schedule", f"dispatch_writes_per_day_{volume}"),
    )


def deliveries_per_day(results: Mapping[str, Any], volume: str) -> float:
    """Push deliveries a day at ``volume``: every function's per item on the e2e corpus but
    dispatch's and fetch's (the replay's ticks and runs), plus the schedule's: a tick a
    minute, and the fetch runs they start at that volume."""
    items = _figure(results, "e2e", "items")
    replayed = (_figure(results, "e2e", "deliveries_dispatch") + _figure(results, "e2e", "deliveries_fetch")) / items
    per_item = _figure(results, "e2e", "deliveries_per_item") - replayed
    scheduled = _figure(results, "schedule", "ticks_per_day") + _figure(
        results, "schedule", f"fetch_runs_per_day_{volume}"
    )
    return VOLUMES[volume] * per_item + scheduled


def reddit_requests_per_day(results: Mapping[str, Any], volume: str) -> float:
    """Reddit requests a day at ``volume``: each item what the ingest bench's long runs paid
    per item (pages, comment listings, author lookups; their few runs' own cost included, so
    a little over), and each fetch run the schedule starts what an e2e run asked beyond its
    items' share (its listings, whatever they hold)."""
    per_item = _figure(results, "ingest", "reddit_requests_per_100_items") / 100
    # a run's own: what the e2e runs asked beyond what their items cost
    run_part = _figure(results, "e2e", "reddit_requests") - _figure(results, "e2e", "items") * per_item
    per_run = max(0.0, run_part) / _figure(results, "e2e", "deliveries_fetch")
    return _figure(results, "schedule", f"fetch_runs_per_day_{volume}") * per_run + VOLUMES[volume] * per_item


def monthly(results: Mapping[str, Any], volume: str) -> dict[str, float]:
    """USD a month at ``volume`` (a key of :data:`VOLUMES`), by service, after the free tiers."""
    p = PRICES
    day = float(VOLUMES[volume])
    day_reads, day_writes = firestore_per_day(results, volume)
    reads = max(0.0, day_reads - p["firestore_free_reads_per_day"])
    writes = max(0.0, day_writes - p["firestore_free_writes_per_day"])
    firestore = DAYS_PER_MONTH * (
        reads / 100_000 * p["firestore_read_per_100k"] + writes / 100_000 * p["firestore_write_per_100k"]
    )
    deliveries = deliveries_per_day(results, volume)
    message_kb = max(p["pubsub_min_kb"], _figure(results, "archive", "reddit_items_message_bytes") / 1000)
    # each delivery was published once and delivered once: two billed passes of its bytes
    pubsub_gib = DAYS_PER_MONTH * deliveries * 2 * message_kb / 1024 / 1024
    pubsub = max(0.0, pubsub_gib - p["pubsub_free_gib_per_month"]) / 1024 * p["pubsub_per_tib"]
    streamed_mb = DAYS_PER_MONTH * day * _figure(results, "archive", "bigquery_streaming_billed_kb_per_item") / 1000
    bigquery = streamed_mb / 200 * p["bigquery_streaming_per_200mb"]
    invocations = max(0.0, DAYS_PER_MONTH * deliveries - p["functions_free_invocations_per_month"])
    functions = invocations / 1_000_000 * p["functions_per_million_invocations"]
    out = {"firestore": firestore, "pubsub": pubsub, "bigquery_streaming": bigquery, "function_invocations": functions}
    return {k: round(v, 2) for k, v in {**out, "total": sum(out.values())}.items()}


def model(results: Mapping[str, Any]) -> dict[str, Any]:
    """The ``cost`` block of ``bench/results.json``: per volume, USD a month by service, and
    Firestore operations per item (every function's, dispatch's from the schedule's day)."""
    figures: dict[str, Any] = {f"usd_per_month_{name}_items_a_day": monthly(results, name) for name in VOLUMES}
    for name, n in VOLUMES.items():
        figures[f"firestore_ops_per_item_{name}_items_a_day"] = round(sum(firestore_per_day(results, name)) / n, 3)
    for name, n in VOLUMES.items():  # free within Reddit's limit, which is per minute: both said
        requests = reddit_requests_per_day(results, name)
        figures[f"reddit_requests_per_100_items_{name}_items_a_day"] = round(100 * requests / n, 2)
        figures[f"reddit_requests_per_minute_{name}_items_a_day"] = round(requests / 1440, 1)
    figures["prices"] = dict(PRICES)
    figures["not_priced"] = list(NOT_PRICED)
    figures["inputs"] = {
        "firestore_reads_per_item": _figure(results, "e2e", "firestore_reads_per_item"),
        "firestore_writes_per_item": _figure(results, "e2e", "firestore_writes_per_item"),
        "firestore_reads_per_item_dispatch": _figure(results, "e2e", "firestore_reads_per_item_dispatch"),
        "firestore_writes_per_item_dispatch": _figure(results, "e2e", "firestore_writes_per_item_dispatch"),
        **{
            f"dispatch_{kind}_per_day_{name}": _figure(results, "schedule", f"dispatch_{kind}_per_day_{name}")
            for name in VOLUMES
            for kind in ("reads", "writes")
        },
        "deliveries_per_item": _figure(results, "e2e", "deliveries_per_item"),
        **{f"deliveries_per_day_{name}": round(deliveries_per_day(results, name), 1) for name in VOLUMES},
        "bigquery_streaming_billed_kb_per_item": _figure(results, "archive", "bigquery_streaming_billed_kb_per_item"),
    }
    return figures


if __name__ == "__main__":  # price the recorded results without running a benchmark
    import argparse
    import json

    from bench.run import RESULTS

    argparse.ArgumentParser(
        description=f"Price the recorded benchmark run again and write its cost block into {RESULTS.name}."
    ).parse_args()
    recorded = json.loads(RESULTS.read_text())
    recorded["cost"] = model(recorded)
    RESULTS.write_text(json.dumps(recorded, indent=2) + "\n")
    print(json.dumps(recorded["cost"], indent=2))
