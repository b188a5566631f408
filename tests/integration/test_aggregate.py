"""Mentions batches through the real Pub/Sub emulator, pushed to the running ``aggregate``,
counted into the real Firestore emulator; checked against a recount written independently
of ``common.metrics``."""

import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import google.cloud.pubsub_v1 as pubsub_v1
from google.cloud import firestore
from google.cloud.pubsub_v1.types import PublisherOptions

from common import topics
from common.features import text_features
from common.messages import Mention, MentionBatch, encode
from common.metrics import bucket_from_doc, volume
from common.timekeys import hour_key
from devtools.pubsub import Observer
from emulators.stack import Stack

T0 = 1_764_000_000.0  # 2025-11-24 16:00 UTC
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
    "price",
    "chart",
    "support",
    "resistance",
    "volume",
    "breakout",
    "rally",
    "selloff",
    "premarket",
    "afterhours",
    "ceo",
    "merger",
    "lawsuit",
    "fda",
    "approval",
    "contract",
    "guidance",
    "cash",
    "burn",
    "dilution",
    "offering",
]
EMOJI = ("", "", "", " 🚀", " 🚀🚀🚀 💎🙌🏽", " 👨‍👩‍👧")


def random_text(rng: random.Random) -> str:
    """Fourteen random words: two of these never look alike, so only planted copies match."""
    return " ".join(rng.choice(WORDS) for _ in range(14)) + rng.choice(EMOJI)


COPY_PASTE = "this stock will explode next week, shorts are trapped and the float is tiny, get in now before"


def _mention(rng: random.Random, i: int, symbol: str, created: float, author: str, text: str) -> Mention:
    kind = "post" if i % 4 == 0 else "comment"
    title = f"Thoughts on ${symbol}" if kind == "post" else ""
    f = text_features(title, text, "DD" if i % 9 == 0 else None, kind)
    return Mention(
        item_id=f"{'t3' if kind == 'post' else 't1'}_{symbol.lower()}{i}",
        kind=kind,
        subreddit=rng.choice(("wallstreetbets", "stocks", "pennystocks")),
        author=author,
        author_created_utc=created - rng.choice((5, 400)) * 86400,
        created_utc=created,
        text_length=len(title) + len(text),
        score=rng.randint(0, 50),
        num_comments=rng.randint(0, 10),
        permalink=f"/r/x/comments/{i}",
        title=title,
        flair="DD" if i % 9 == 0 else None,
        is_dd=f.is_dd,
        emoji_count=f.emoji_count,
        rocket_count=f.rocket_count,
        cashtag_count=f.cashtag_count,
        text_hash=f.text_hash,
        minhash=f.minhash,
        sentiment=f.sentiment,
    )


def batches_for(symbol: str, seed: int, n_batches: int = 4, per_batch: int = 6) -> list[MentionBatch]:
    """Batches of one ticker over three hours; one copy-pasted text from two authors in two
    batches, and one item repeated by a later batch (the same post seen again by a fetch)."""
    rng = random.Random(seed)
    out: list[MentionBatch] = []
    i = 0
    for b in range(n_batches):
        mentions = []
        for _ in range(per_batch):
            created = T0 + rng.randint(0, 3 * 3600 - 1)
            text = COPY_PASTE if i in (2, per_batch + 3) else random_text(rng)
            author = f"shill{i}" if text == COPY_PASTE else f"user{rng.randint(0, 9)}"
            mentions.append(_mention(rng, i, symbol, created, author, text))
            i += 1
        if b > 0:
            mentions.append(out[0].mentions[0])  # seen again by a later fetch
        out.append(MentionBatch(ticker=symbol, run_id=f"run{b}", mentions=tuple(mentions)))
    return out


def recount(batches: list[MentionBatch]) -> dict[str, dict[str, Any]]:
    """Per hour, straight from the input (unique items): the independent expectation."""
    items = {m.item_id: m for b in batches for m in b.mentions}
    hours: dict[str, dict[str, Any]] = defaultdict(
        lambda: (
            {"mentions": 0, "posts": 0, "comments": 0, "text_length": 0, "score": 0, "num_comments": 0}
            | {"authors": set(), "subreddits": Counter(), "new_account_mentions": 0}
        )
    )
    for m in items.values():
        h = hours[datetime.fromtimestamp(m.created_utc, UTC).strftime("%Y%m%d%H")]
        h["mentions"] += 1
        h["posts" if m.kind == "post" else "comments"] += 1
        h["text_length"] += m.text_length
        h["score"] += m.score
        h["num_comments"] += m.num_comments
        h["authors"].add(m.author)
        h["subreddits"][m.subreddit] += 1
        h["new_account_mentions"] += int(m.created_utc - (m.author_created_utc or 0) < 30 * 86400)
    return dict(hours)


def publish_all(stack: Stack, messages: list[MentionBatch]) -> list[str]:
    """Publish in order per ticker; returns the message ids (what aggregate announces as batch_id)."""
    assert stack.emulators
    client = pubsub_v1.PublisherClient(publisher_options=PublisherOptions(enable_message_ordering=True))
    path = client.topic_path(stack.emulators.project, topics.MENTIONS)
    futures = [client.publish(path, encode(m), ordering_key=m.ticker) for m in messages]
    return [str(future.result(timeout=30)) for future in futures]


def snapshot(db: firestore.Client, symbols: list[str]) -> dict[str, Any]:
    """Every document the aggregator wrote for ``symbols``, by path (the summary without the
    ``detection`` field and ``state/`` without the episode pointer, which the running
    ``detect`` owns and writes when it gets to them)."""
    out: dict[str, Any] = {}
    for symbol in symbols:
        ticker = db.collection("tickers").document(symbol)
        summary = ticker.get().to_dict() or {}
        summary.pop("detection", None)
        out[ticker.path] = summary
        for name in ("hours", "days", "state"):
            for doc in ticker.collection(name).stream():
                if not (name == "state" and doc.id == "episode"):
                    out[doc.reference.path] = doc.to_dict()
    return out


def series_recount(db: firestore.Client, symbol: str) -> dict[str, int]:
    """The detector's history recounted from the stored hour buckets: discussion volume
    (:func:`common.metrics.volume`) per hour that has any (the corpus spans days, well inside
    the series' window)."""
    hours = db.collection("tickers").document(symbol).collection("hours").stream()
    volumes = {d.id: volume(bucket_from_doc(d.to_dict() or {})) for d in hours}
    return {hour: n for hour, n in sorted(volumes.items()) if n > 0}


def run(stack: Stack, observe: Callable[[str], Observer], messages: list[MentionBatch]) -> list[dict[str, Any]]:
    """Publish ``messages`` and return one ticker update per published batch.

    Delivery is at least once: a redelivered batch is announced again under the same batch
    id (its message id), and other tests' updates may still be in flight on the shared
    topic, so updates are matched by batch id on this test's tickers."""
    tickers = {m.ticker for m in messages}
    updates = observe(topics.TICKER_UPDATES)
    published = set(publish_all(stack, messages))
    mine: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 120
    while not published <= set(mine) and time.monotonic() < deadline:
        for received in updates.pull(expected=1, timeout=5):
            update = received.json()
            if update["ticker"] in tickers:
                mine.setdefault(update["batch_id"], update)
    assert set(mine) == published, f"batches never announced: {published - set(mine)}"
    return list(mine.values())


def test_aggregated_buckets_match_an_independent_recount_of_the_input(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    # tickers of this test only: a late message of another test can't touch its documents
    symbols = [f"G{uuid.uuid4().hex[:4].upper()}", f"A{uuid.uuid4().hex[:4].upper()}"]
    per_symbol = {s: batches_for(s, seed) for seed, s in enumerate(symbols)}
    updates = run(emulators, observe, [b for s in symbols for b in per_symbol[s]])
    db = firestore.Client(project=emulators.emulators.project if emulators.emulators else "")
    for symbol in symbols:
        expected = recount(per_symbol[symbol])
        stored = {d.id: d.to_dict() for d in db.collection("tickers").document(symbol).collection("hours").stream()}
        assert sorted(stored) == sorted(expected)
        for hour, want in expected.items():
            got = stored[hour]
            for name in ("mentions", "posts", "comments", "text_length", "score", "num_comments"):
                assert got.get(name, 0) == want[name], (symbol, hour, name)  # a counter never added is absent
            assert got.get("new_account_mentions", 0) == want["new_account_mentions"]
            assert set(got["authors"]) == want["authors"]
            assert got["subreddits"] == dict(want["subreddits"])
        assert sum(h.get("duplicate_mentions", 0) for h in stored.values()) == 1  # the copy-paste, second copy
        summary = db.collection("tickers").document(symbol).get().to_dict() or {}
        newest = max(m.created_utc for b in per_symbol[symbol] for m in b.mentions)
        assert summary["as_of"] == newest
        assert summary["windows"]["24h"]["mentions"] == sum(h["mentions"] for h in expected.values())
        assert summary["windows"]["24h"]["distinct_authors"] == len(
            set().union(*(h["authors"] for h in expected.values()))
        )
        assert summary["series"] == series_recount(db, symbol)
        assert sum(summary["series"].values()) <= sum(h["mentions"] for h in expected.values())
        mine = [u for u in updates if u["ticker"] == symbol]
        assert len(mine) == len(per_symbol[symbol])
        assert max(u["as_of"] for u in mine) == newest


def test_replaying_every_message_twice_out_of_order_across_tickers_gives_identical_documents(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    assert emulators.emulators
    symbols = [f"T{uuid.uuid4().hex[:4].upper()}", f"U{uuid.uuid4().hex[:4].upper()}"]
    per_symbol = {s: batches_for(s, seed, n_batches=3) for seed, s in enumerate(symbols, start=7)}
    db = firestore.Client(project=emulators.emulators.project)

    run(emulators, observe, [b for s in symbols for b in per_symbol[s]])
    once = snapshot(db, symbols)
    emulators.emulators.clear_firestore()

    # every message twice; tickers interleaved in reverse; each ticker's own order kept (its mailbox)
    rng = random.Random(3)
    queues = {s: [b for b in per_symbol[s] for _ in range(2)] for s in reversed(symbols)}
    replay: list[MentionBatch] = []
    while any(queues.values()):
        symbol = rng.choice([s for s, q in queues.items() if q])
        replay.append(queues[symbol].pop(0))
    run(emulators, observe, replay)
    twice = snapshot(db, symbols)

    assert any(path.endswith("/hours/" + k) for path in once for k in ("2025112416", "2025112417"))
    assert twice == once
    for symbol in symbols:
        summary = db.collection("tickers").document(symbol).get().to_dict() or {}
        assert summary["series"] and summary["series"] == series_recount(db, symbol)


def test_an_hour_that_left_the_series_window_leaves_the_stored_summary(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """The summary's series is written as a change to the stored one: an hour the window
    dropped must be deleted from the document, not left behind."""
    assert emulators.emulators
    symbol = f"W{uuid.uuid4().hex[:4].upper()}"
    rng = random.Random(11)
    late = T0 + 30 * 86400  # past the series' window (28 days and 2 hours)

    def batch(run_id: str, start: float, first: int) -> MentionBatch:
        texts = [f"{random_text(rng)} {random_text(rng)} {random_text(rng)}" for _ in range(4)]
        mentions = [_mention(rng, first + i, symbol, start + 60 * i, f"user{i}", t) for i, t in enumerate(texts)]
        return MentionBatch(ticker=symbol, run_id=run_id, mentions=tuple(mentions))

    db = firestore.Client(project=emulators.emulators.project)
    run(emulators, observe, [batch("run0", T0, 0)])
    first = (db.collection("tickers").document(symbol).get().to_dict() or {})["series"]
    assert first and first == series_recount(db, symbol)
    run(emulators, observe, [batch("run1", late, 100)])
    summary = db.collection("tickers").document(symbol).get().to_dict() or {}
    recounted = series_recount(db, symbol)
    assert set(recounted) == {hour_key(T0), hour_key(late)}
    assert summary["series"] == {hour_key(late): recounted[hour_key(late)]}


def test_a_new_tickers_series_replaces_whatever_its_summary_document_held(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """With no state (so no copy of the stored series to diff against) the series is written
    whole: an hour a stray summary document held does not survive into the crowd's sums."""
    assert emulators.emulators
    symbol = f"N{uuid.uuid4().hex[:4].upper()}"
    db = firestore.Client(project=emulators.emulators.project)
    db.collection("tickers").document(symbol).set({"series": {"2025112300": 9}})
    run(emulators, observe, batches_for(symbol, seed=21, n_batches=1))
    summary = db.collection("tickers").document(symbol).get().to_dict() or {}
    assert summary["series"] and summary["series"] == series_recount(db, symbol)


def test_a_mention_dated_after_its_message_was_published_is_refused_and_stops_nothing(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """An item dated in 2099 would make 2099 the ticker's newest data time, and every real
    mention after it a month too old to count: it is refused (and logged), the rest counted."""
    assert emulators.emulators
    symbol = f"F{uuid.uuid4().hex[:4].upper()}"
    rng = random.Random(12)
    future = datetime(2099, 1, 1, tzinfo=UTC).timestamp()
    mentions = [
        _mention(rng, 0, symbol, T0, "ann", random_text(rng)),
        _mention(rng, 1, symbol, future, "bob", random_text(rng)),
    ]
    db = firestore.Client(project=emulators.emulators.project)
    updates = run(emulators, observe, [MentionBatch(ticker=symbol, run_id="run0", mentions=tuple(mentions))])
    assert [u["as_of"] for u in updates] == [T0]
    later = _mention(rng, 2, symbol, T0 + 3600, "cat", random_text(rng))
    run(emulators, observe, [MentionBatch(ticker=symbol, run_id="run1", mentions=(later,))])
    summary = db.collection("tickers").document(symbol).get().to_dict() or {}
    hours = db.collection("tickers").document(symbol).collection("hours").stream()
    assert summary["as_of"] == T0 + 3600 and sum((d.to_dict() or {})["mentions"] for d in hours) == 2
