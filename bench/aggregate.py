"""Mentions per second through ``aggregate`` on the emulators, Firestore operations per
mention, and the pure core's rate in the same run as the ceiling.

The emulator figure is end to end: publish every batch on ``mentions`` (ordering key =
ticker), wait for the matching ``ticker-updates``. Reads and writes are the counts the
stack's counter logs per message (``ops_reads`` / ``ops_writes``, devtools/firestore_ops.py), as billed.
The ceiling runs the same batches through the pure plan (``fresh`` + ``plan``: duplicates,
``bucket_deltas``, ``summarize``) with the state kept in memory.
"""

import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import google.cloud.pubsub_v1 as pubsub_v1
from google.cloud.pubsub_v1.types import PublisherOptions

from common import topics
from common.aggregation import Tuning, fresh, plan
from common.duplicates import Signature
from common.features import text_features
from common.messages import Mention, MentionBatch, encode
from common.metrics import HourBucket, bucket_deltas, summarize

TICKERS = 20
BATCHES_PER_TICKER = 10
MENTIONS_PER_BATCH = 10
T0 = 1_764_000_000.0
WORDS = [
    "earnings",
    "guidance",
    "margin",
    "debt",
    "quarter",
    "revenue",
    "calls",
    "puts",
    "moon",
    "tendies",
    "bagholder",
    "dip",
    "squeeze",
    "float",
    "shorts",
    "options",
    "chain",
    "volatility",
    "position",
    "hedge",
    "dividend",
    "buyback",
    "insider",
    "filing",
    "analyst",
    "upgrade",
    "downgrade",
    "target",
]


def make_batches(seed: int = 1) -> list[MentionBatch]:
    """Batches as fetch sends them: per ticker, hour after hour, one in five items seen again."""
    rng = random.Random(seed)
    out: list[MentionBatch] = []
    earlier: dict[str, list[Mention]] = {}  # per ticker, its items so far: a later run reads some again
    n = 0
    for b in range(BATCHES_PER_TICKER):
        for t in range(TICKERS):
            symbol = f"B{t:03d}"
            mentions: list[Mention] = []
            seen = earlier.setdefault(symbol, [])
            before = seen[:]  # an earlier run's items; fetch never sends one twice in a batch
            for _ in range(MENTIONS_PER_BATCH):
                if before and rng.random() < 0.2:  # an item fetched again (refreshed, or runs overlapping)
                    mentions.append(before.pop(rng.randrange(len(before))))
                    continue
                text = " ".join(rng.choice(WORDS) for _ in range(20)) + rng.choice(("", " 🚀🚀🚀"))
                f = text_features("", text, None, "comment")
                created = T0 + b * 1800 + rng.randint(0, 1799)
                mentions.append(
                    Mention(
                        item_id=f"t1_{symbol}_{n}",
                        kind=rng.choice(("post", "comment")),
                        subreddit=rng.choice(("wallstreetbets", "stocks", "pennystocks", "options")),
                        author=f"user{rng.randint(0, 300)}",
                        author_created_utc=created - rng.randint(1, 900) * 86400,
                        created_utc=created,
                        text_length=len(text),
                        score=rng.randint(0, 100),
                        num_comments=rng.randint(0, 20),
                        emoji_count=f.emoji_count,
                        rocket_count=f.rocket_count,
                        text_hash=f.text_hash,
                        minhash=f.minhash,
                        sentiment=f.sentiment,
                    )
                )
                seen.append(mentions[-1])
                n += 1
            out.append(MentionBatch(ticker=symbol, mentions=tuple(mentions)))
    return out


def pure_rates(batches: list[MentionBatch]) -> dict[str, float]:
    """Mentions/s of the pure plan with in-memory state, and of bucket_deltas + summarize."""
    total = sum(len(b.mentions) for b in batches)
    seen: dict[str, set[str]] = {}
    hours: dict[str, dict[str, HourBucket]] = {}
    days: dict[str, dict[str, HourBucket]] = {}
    sigs: dict[str, list[Signature]] = {}
    as_of: dict[str, float | None] = {}
    began = time.perf_counter()
    for batch in batches:
        s = batch.ticker
        new = fresh(batch.mentions, seen.setdefault(s, set()), as_of.get(s), Tuning())
        effect = plan(
            s, new, hours=hours.get(s, {}), days=days.get(s, {}), recent=sigs.get(s, []), previous_as_of=as_of.get(s)
        )
        seen[s].update(m.item_id for m in effect.counted)
        hours.setdefault(s, {}).update({w.key: w.after for w in effect.hours})
        days.setdefault(s, {}).update({w.key: w.after for w in effect.days})
        sigs[s] = list(effect.signatures)
        as_of[s] = effect.as_of
    plan_s = time.perf_counter() - began
    began = time.perf_counter()
    for batch in batches:
        deltas = bucket_deltas(batch.mentions)
        summarize(batch.ticker, deltas, max(m.created_utc for m in batch.mentions))
    core_s = time.perf_counter() - began
    return {"pure_plan_mentions_per_s": total / plan_s, "pure_deltas_summarize_mentions_per_s": total / core_s}


def text_features_rate(n: int = 2000) -> float:
    rng = random.Random(2)
    texts = [" ".join(rng.choice(WORDS) for _ in range(60)) for _ in range(n)]
    began = time.perf_counter()
    for text in texts:
        text_features("A title about $GME", text, None, "post")
    return n / (time.perf_counter() - began)


def _logged_ops(log: Path) -> tuple[int, int, int]:
    reads = writes = messages = 0
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry: Any = json.loads(line)
        except json.JSONDecodeError:
            continue
        fields = entry.get("jsonPayload", entry) if isinstance(entry, dict) else {}
        if isinstance(fields, dict) and "ops_reads" in fields:
            reads += int(fields["ops_reads"])
            writes += int(fields["ops_writes"])
            messages += 1
    return reads, writes, messages


def emulator_rate(batches: list[MentionBatch]) -> dict[str, float]:
    from devtools.pubsub import Observer
    from emulators.stack import Stack

    log_dir = Path(tempfile.mkdtemp(prefix="bench-aggregate-"))
    stack = Stack(log_dir=log_dir)
    stack.start()
    saved = dict(os.environ)
    os.environ.update(stack.env)
    try:
        assert stack.emulators
        updates = Observer(stack.emulators.project, topics.TICKER_UPDATES)
        client = pubsub_v1.PublisherClient(publisher_options=PublisherOptions(enable_message_ordering=True))
        path = client.topic_path(stack.emulators.project, topics.MENTIONS)
        began = time.monotonic()
        futures = [client.publish(path, encode(b), ordering_key=b.ticker) for b in batches]
        for future in futures:
            future.result(timeout=60)
        got = updates.pull(expected=len(batches), timeout=600)
        elapsed = time.monotonic() - began
        updates.close()
        if len(got) < len(batches):
            raise RuntimeError(f"only {len(got)} of {len(batches)} ticker-updates arrived")
        reads, writes, messages = _logged_ops(log_dir / "aggregate.log")
        total = sum(len(b.mentions) for b in batches)
        return {
            "emulator_mentions_per_s": total / elapsed,
            "emulator_batches_per_s": len(batches) / elapsed,
            "firestore_reads_per_mention": reads / total,
            "firestore_writes_per_mention": writes / total,
            "logged_messages": float(messages),
        }
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(log_dir, ignore_errors=True)


def run() -> dict[str, Any]:
    batches = make_batches()
    figures: dict[str, Any] = {
        "tickers": TICKERS,
        "batches": len(batches),
        "mentions": sum(len(b.mentions) for b in batches),  # the rates' and operations' denominator
        "distinct_mentions": len({(b.ticker, m.item_id) for b in batches for m in b.mentions}),
    }
    figures.update(pure_rates(batches))
    figures["text_features_items_per_s"] = text_features_rate()
    figures.update(emulator_rate(batches))
    figures["emulator_vs_pure_plan"] = figures["emulator_mentions_per_s"] / figures["pure_plan_mentions_per_s"]
    return figures


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:<40} {value}")
