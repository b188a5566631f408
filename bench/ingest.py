"""Items per second ingested by ``fetch`` against the local Reddit and the emulators, where
the time goes (Reddit I/O, storage, extraction, publishing), and Reddit requests per 100
items (all, and by kind: listings, comment listings, author batches, profiles, trees) on a
synthetic corpus and on the bundled corpus's first day.

The fetch core (``functions.fetch.main.ingest_subreddit``) runs in this process against the
real Pub/Sub and Firestore emulators and the local Reddit (emulators/reddit) serving a
seeded synthetic corpus, exactly as the deployed function calls it, minus the push
envelope. Ceilings measured in the same run: the Reddit adapter alone reading the same
listings and author batches (nothing stored), and extraction alone over the same items.
"""

import json
import os
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the run imports the stack lazily, as every bench module does
    from common.adapters.pubsub import Outgoing, Publisher
    from common.messages import RedditItem

SUBREDDITS = ("wallstreetbets", "stocks", "pennystocks")
BUNDLED = Path(__file__).resolve().parent.parent / "data" / "replay" / "default"
WARMUP = "warmup"  # ingested first and not counted: the emulator's JVM is slow when cold
POSTS_PER_SUB = 60
MAX_COMMENTS = 30
AUTHORS = 300
SYMBOLS = ("GME", "AMC", "TSLA", "NVDA", "PLTR", "AAPL", "AMD", "SOFI", "BB", "NOK", "SPY", "MSFT")
T0 = 1_767_225_600.0
WORDS = [
    "the",
    "stock",
    "is",
    "going",
    "up",
    "calls",
    "puts",
    "earnings",
    "dip",
    "buy",
    "hold",
    "sell",
    "moon",
    "squeeze",
    "guidance",
    "revenue",
]


# Reddit requests by kind, as the local Reddit counts them (``reddit`` is all of them).
REQUEST_KINDS = (
    ("reddit", "reddit_requests"),
    ("listing", "listing_new"),
    ("comment_listing", "listing_comments"),
    ("author_batch", "user_data"),
    ("profile", "user_about"),
    ("tree", "comments"),
)


class Capturing:
    """The publisher fetch runs with, keeping the items it published: the extraction-only
    figure times the very items fetch stored."""

    def __init__(self, inner: "Publisher") -> None:
        self.inner = inner
        self.items: list[RedditItem] = []

    def publish_all(self, outgoing: Iterable["Outgoing"], timeout: float = 60.0) -> list[str]:
        from common.messages import ItemBatch

        outgoing = list(outgoing)
        for out in outgoing:
            if isinstance(out.message, ItemBatch):
                self.items.extend(out.message.items)
        return self.inner.publish_all(outgoing, timeout)


def make_corpus(directory: Path, seed: int = 7) -> int:
    """A seeded replay corpus in the documented format (docs/replay-format.md)."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    counter = 0

    def next_id() -> str:
        nonlocal counter
        counter += 1
        return f"{counter:x}"

    def text() -> str:
        words = rng.choices(WORDS, k=rng.randint(8, 60))
        for _ in range(rng.randint(0, 3)):
            words.insert(rng.randrange(len(words) + 1), f"${rng.choice(SYMBOLS)}")
        return " ".join(words) + (" 🚀" * rng.randint(0, 2))

    for sub in (WARMUP, *SUBREDDITS):
        for n in range(POSTS_PER_SUB if sub != WARMUP else 15):
            pid = next_id()
            created = T0 + n * 60 + rng.random()
            comments = rng.randint(0, MAX_COMMENTS)
            items.append(
                {
                    "id": f"t3_{pid}",
                    "kind": "post",
                    "subreddit": sub,
                    "author": f"author{rng.randrange(AUTHORS)}" if rng.random() > 0.03 else None,
                    "title": text()[:120],
                    "body": text(),
                    "url": None,
                    "permalink": f"/r/{sub}/comments/{pid}/post/",
                    "flair": rng.choice([None, None, "DD", "Discussion"]),
                    "score": rng.randint(0, 500),
                    "num_comments": comments,
                    "created_utc": created,
                    "stickied": False,
                }
            )
            parents = [f"t3_{pid}"]
            for _ in range(comments):
                cid = next_id()
                parent = rng.choice(parents)
                items.append(
                    {
                        "id": f"t1_{cid}",
                        "kind": "comment",
                        "subreddit": sub,
                        "author": f"author{rng.randrange(AUTHORS)}",
                        "body": text(),
                        "permalink": f"/r/{sub}/comments/{pid}/post/{cid}/",
                        "score": rng.randint(-5, 200),
                        "created_utc": created + rng.uniform(1, 50),
                        "parent_id": parent,
                        "link_id": f"t3_{pid}",
                    }
                )
                parents.append(f"t1_{cid}")
    authors = [
        {
            "name": f"author{i}",
            "created_utc": T0 - rng.uniform(1, 3000) * 86400,
            "link_karma": rng.randint(0, 5000),
            "comment_karma": rng.randint(0, 50000),
            "suspended": rng.random() < 0.01,
        }
        for i in range(AUTHORS)
    ]
    with (directory / "items.jsonl").open("w") as handle:
        handle.writelines(json.dumps(i) + "\n" for i in items)
    with (directory / "authors.jsonl").open("w") as handle:
        handle.writelines(json.dumps(a) + "\n" for a in authors)
    return len(items)


def run() -> dict[str, Any]:
    from common import ingest
    from common.adapters.pubsub import Publisher
    from common.adapters.reddit import RedditClient
    from common.messages import SubredditFetch
    from common.reports import FetchReport
    from common.settings import Settings
    from devtools.reddit import serve_in_thread
    from emulators import provision
    from emulators.reddit.server import Replay, load_corpus
    from emulators.stack import Emulators
    from functions.fetch.main import ingest_subreddit, reddit_config
    from functions.fetch.store import FirestoreStore

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    corpus_items = make_corpus(work)
    replay = Replay()
    load_corpus(replay, str(work), None)
    emulators = Emulators(work / "logs").start()
    saved = dict(os.environ)
    os.environ.update(emulators.env)
    try:
        provision.provision(emulators.env["PUBSUB_EMULATOR_HOST"], emulators.project, {})
        with serve_in_thread(replay) as (url, _):
            from google.cloud import firestore

            settings = Settings(project_id=emulators.project, reddit_oauth_url=url, reddit_url=url)
            db = firestore.Client(project=emulators.project)
            publisher = Capturing(Publisher(emulators.project))

            # Ceiling: the same Reddit reads through the adapter, nothing stored.
            from emulators.reddit.corpus import account_fullname

            ceiling_client = RedditClient(reddit_config(settings))
            began = time.perf_counter()
            read = 0
            for sub in SUBREDDITS:
                posts = ceiling_client.listing(sub, "new") + ceiling_client.listing(sub, "hot", max_items=50)
                comments = ceiling_client.comments(sub)
                read += len({p.item.id for p in posts}) + len(comments)
                names = [f"author{i}" for i in range(AUTHORS)]
                ceiling_client.authors({n: account_fullname(n) for n in names}, timeout=300)
            reddit_only_s = time.perf_counter() - began
            ceiling_client.close()
            replay.stats.clear()

            client = RedditClient(reddit_config(settings))
            ingest_subreddit(
                SubredditFetch(run_id="bench-warmup", subreddit=WARMUP),
                settings=settings,
                store=FirestoreStore(db),
                publisher=publisher,
                reddit=client,
                wall_now=time.time(),
            )
            replay.stats.clear()
            reports: list[FetchReport] = []
            began = time.perf_counter()
            for sub in SUBREDDITS:
                job = SubredditFetch(run_id=f"bench-{uuid.uuid4().hex[:6]}", subreddit=sub)
                reports.append(
                    ingest_subreddit(
                        job,
                        settings=settings,
                        store=FirestoreStore(db),
                        publisher=publisher,
                        reddit=client,
                        wall_now=time.time(),
                    )
                )
            fetch_s = time.perf_counter() - began
            requests = dict(replay.stats)

            began = time.perf_counter()
            for sub in SUBREDDITS:
                job = SubredditFetch(run_id=f"bench-{uuid.uuid4().hex[:6]}", subreddit=sub)
                idle = ingest_subreddit(
                    job,
                    settings=settings,
                    store=FirestoreStore(db),
                    publisher=publisher,
                    reddit=client,
                    wall_now=time.time(),
                )
                assert idle.new_items == 0, "a repeated fetch must add nothing"
            idle_s = (time.perf_counter() - began) / len(SUBREDDITS)
            client.close()

            stored_items = [i for i in publisher.items if i.subreddit != WARMUP]
            began = time.perf_counter()
            ingest.extract_mentions(stored_items, known_posts={i.id: i for i in stored_items if i.kind == "post"})
            extraction_only_s = time.perf_counter() - began

            # The bundled replay corpus (realistic comment and author distributions), first day.
            bundled: dict[str, Any] = {}
            if BUNDLED.is_dir():
                emulators.clear_firestore()
                load_corpus(replay, str(BUNDLED), "start")
                replay.now += 86400
                replay.stats.clear()
                client = RedditClient(reddit_config(settings))
                subreddits = sorted({str(p["subreddit"]) for p in replay.corpus.posts.values()})
                began = time.perf_counter()
                day = [
                    ingest_subreddit(
                        SubredditFetch(run_id=f"bench-{uuid.uuid4().hex[:6]}", subreddit=sub),
                        settings=settings,
                        store=FirestoreStore(db),
                        publisher=publisher,
                        reddit=client,
                        wall_now=time.time(),
                    )
                    for sub in subreddits
                ]
                elapsed = time.perf_counter() - began
                client.close()
                day_items = sum(r.new_items for r in day)
                bundled = {
                    "bundled_day_items_ingested": day_items,
                    "bundled_day_fetch_items_per_s": day_items / elapsed,
                }
                for name, stat in REQUEST_KINDS:
                    bundled[f"bundled_day_{name}_requests_per_100_items"] = 100 * replay.stats[stat] / max(day_items, 1)
    finally:
        emulators.stop()
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(work, ignore_errors=True)

    new_items = sum(r.new_items for r in reports)
    kinds = ("reddit", "storage_read", "storage_write", "extraction", "publish")
    parts = {p: sum(r.timings.get(p, 0.0) for r in reports) for p in kinds}
    parts["storage"] = parts["storage_read"] + parts["storage_write"]
    total = sum(parts[p] for p in kinds) or 1.0
    return {
        "corpus_items": corpus_items,
        "items_ingested": new_items,
        "mention_batches": sum(r.batches for r in reports),
        "fetch_items_per_s": new_items / fetch_s,
        "share_reddit_io": parts["reddit"] / total,
        "share_storage": parts["storage"] / total,
        "share_storage_read": parts["storage_read"] / total,
        "share_storage_write": parts["storage_write"] / total,
        "share_extraction": parts["extraction"] / total,
        "share_publish": parts["publish"] / total,
        "share_unaccounted": max(0.0, 1 - total / fetch_s),
        **{
            f"{name}_requests_per_100_items": 100 * requests.get(stat, 0) / max(new_items, 1)
            for name, stat in REQUEST_KINDS
        },
        "idle_fetch_s": idle_s,
        "reddit_only_items_per_s": read / reddit_only_s,
        "fetch_vs_reddit_only": (new_items / fetch_s) / (read / reddit_only_s),
        "extraction_only_items_per_s": len(stored_items) / extraction_only_s,
        **bundled,
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:<40} {value}")
