"""What one Reddit item costs downstream, measured on the bundled replay corpus: the inputs
of the README's cost estimate (README "Deployment").

- ``mentions_per_item``: distinct known tickers per item (``common.mentions``), i.e. rows
  in the ``mentions`` table and mentions the aggregator counts.
- ``mention_batches_per_item``: ``MentionBatch`` messages (one per ticker per subreddit
  per scheduler tick), which is also how many ``ticker-updates`` the detector handles.
  (What detect reads per update is measured, not modelled, by ``bench/e2e.py``: since it
  reads the ticker's summary instead of its hourly buckets, it no longer scales with history.)
- ``authors_per_item``: distinct authors per item (author lookups are cached for 7 days).
- row and message sizes as JSON (what insertAll and Pub/Sub carry), and BigQuery
  streaming bytes as billed (every row counts at least 1 KB).
- ``rows_per_s`` against ``parse_per_s``: building the archive rows beside just reading
  the corpus, the part the archive cannot skip (a ratio, so it means the same anywhere).
"""

import gzip
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from common import history
from common.mentions import mentions_from_item
from common.messages import RedditItem, encode

CORPUS = Path(__file__).resolve().parents[1] / "data" / "replay" / "default"
TICK_S = 600  # each subreddit's fetch run at up to 100k items a day: every 10 minutes (bench/schedule.py)
KB = 1024


def _items() -> list[RedditItem]:
    with gzip.open(CORPUS / "items.jsonl.gz", "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    return [RedditItem.model_validate(row) for row in rows if not row.get("stickied")]


def run() -> dict[str, Any]:
    began = time.perf_counter()
    items = _items()
    parse_s = time.perf_counter() - began

    began = time.perf_counter()
    tagged = [item.model_copy(update={"tickers": tuple(s for s, _ in mentions_from_item(item))}) for item in items]
    batches = [history.rows_for(item) for item in tagged]
    rows_s = time.perf_counter() - began

    item_bytes = [len(json.dumps(b[0].rows[0])) for b in batches]
    mention_bytes = [len(json.dumps(row)) for b in batches for t in b[1:] for row in t.rows]
    billed = sum(max(KB, n) for n in item_bytes) + sum(max(KB, n) for n in mention_bytes)

    groups: dict[tuple[str, int], set[str]] = defaultdict(set)
    for item in tagged:
        for symbol in item.tickers:
            groups[(item.subreddit, int(item.created_utc // TICK_S))].add(symbol)
    updates = sum(len(s) for s in groups.values())

    n = len(items)
    days = (max(i.created_utc for i in items) - min(i.created_utc for i in items)) / 86400
    return {
        "items": n,
        "items_per_day": round(n / days, 1),
        "mentions_per_item": round(len(mention_bytes) / n, 3),
        "items_with_mentions_share": round(sum(1 for t in tagged if t.tickers) / n, 3),
        "mention_batches_per_item": round(updates / n, 3),
        "authors_per_item": round(len({i.author for i in items if i.author}) / n, 3),
        "reddit_items_row_bytes": round(sum(item_bytes) / n),
        "mentions_row_bytes": round(sum(mention_bytes) / max(1, len(mention_bytes))),
        "reddit_items_message_bytes": round(sum(len(encode(t)) for t in tagged) / n),
        "bigquery_streaming_billed_kb_per_item": round(billed / KB / n, 2),
        "parse_per_s": round(n / parse_s),
        "rows_per_s": round(n / rows_s),
        "rows_vs_parse": round(parse_s / rows_s, 3),
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:<44} {value}")
