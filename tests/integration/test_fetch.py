"""dispatch -> fetch through the real emulators, reading the local Reddit (emulators/reddit)
serving tests/fixtures/replay/small. What the corpus holds at its start (T0 + 1000 s):

r/wallstreetbets: dd1 (alice, DD, $GME $AMC; comments by bob, a deleted author, carol and
AutoModerator), a stickied AutoModerator thread, gone1 (deleted author, $TSLA), bot1
(VisualMod), nsus (suspended frank), nmis (ghost_user, unknown to Reddit), busy (dave,
$PLTR; AutoModerator's top comment, 25 top-level comments and a 12-deep chain).
One hour later: late1 (erin, $NVDA) with a comment, and a new comment on dd1.
r/stocks: stk1 with one comment.

Comments arrive through r/{sub}/comments (every new comment, 100 per request); busy, the one
post with at least FETCH_TREE_MIN_NEW_COMMENTS comments, also gets its comment tree.
"""

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import google.cloud.pubsub_v1 as pubsub_v1
import pytest
from google.api_core import exceptions as gexc
from google.cloud import firestore

from common import topics
from common.adapters import firestore as fs
from common.adapters.pubsub import Publisher
from common.adapters.reddit import TRANSPORT_RETRIES, RedditClient
from common.messages import RedditItem, SubredditFetch
from common.reports import FetchReport
from common.settings import Settings
from common.timekeys import hour_key
from devtools.pubsub import Observer, Received
from devtools.reddit import LocalReddit
from emulators.reddit.corpus import account_fullname
from emulators.stack import Stack
from functions.archive.main import archived_ids
from functions.fetch.main import ingest_subreddit, reddit_config
from functions.fetch.store import FirestoreStore
from tests.conftest import FAST_REDDIT_RETRIES
from tests.support.items import post
from tests.support.small_corpus import SMALL, T0

WSB = "wallstreetbets"
FIRST_POSTS = {"t3_dd1", "t3_gone1", "t3_nsus", "t3_nmis", "t3_busy"}
BUSY_COMMENTS = {f"t1_b{i:02d}" for i in range(25)} | {f"t1_deep{i}" for i in range(12)}
FIRST_COMMENTS = {"t1_c1a", "t1_c1b", "t1_c1c"} | BUSY_COMMENTS  # every comment by people
FIRST_ITEMS = FIRST_POSTS | FIRST_COMMENTS  # 45: no bots, no stickied
LATER_ITEMS = {"t3_late1", "t1_l1a", "t1_c1e"}


def tick(stack: Stack, *subreddits: str) -> str:
    """A scheduler tick for ``subreddits``; returns its run id."""
    assert stack.emulators
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    publisher = pubsub_v1.PublisherClient()
    data = f'{{"run_id": "{run_id}", "subreddits": {list(subreddits)!r}}}'.replace("'", '"').encode()
    publisher.publish(publisher.topic_path(stack.emulators.project, topics.SCRAPE_TICKS), data).result(timeout=10)
    return run_id


def finished(db: firestore.Client, subreddit: str, run_id: str, timeout: float = 90.0) -> dict[str, Any]:
    """Wait until fetch wrote the cursor for ``run_id`` (its last step); the cursor doc."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snapshot = db.collection(fs.CURSORS).document(subreddit.lower()).get()
        if snapshot.exists and snapshot.get("last_run_id") == run_id:
            return snapshot.to_dict() or {}
        time.sleep(0.2)
    raise AssertionError(f"fetch of r/{subreddit} for {run_id} did not finish in {timeout}s")


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def pull_items(observer: Observer, expected: int, timeout: float = 30.0, settle: float = 0.0) -> list[dict[str, Any]]:
    """The items of ``reddit-items`` (many per message): wait until ``expected`` arrived,
    then ``settle`` seconds for extras."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(out) < expected and time.monotonic() < deadline:
        for message in observer.pull(expected=1, timeout=max(0.1, deadline - time.monotonic())):
            out.extend(message.json()["items"])
    if settle:
        for message in observer.pull(expected=1_000_000, timeout=settle):
            out.extend(message.json()["items"])
    return out


def by_ticker(received: list[Received]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for message in received:
        batch = message.json()
        assert message.ordering_key == batch["ticker"]
        assert batch["ticker"] not in out, "one message per ticker per fetch"
        out[batch["ticker"]] = batch["mentions"]
    return out


def stored(db: firestore.Client) -> dict[str, list[float]]:
    """Every item ``posts`` names, from its subreddit-hour documents: id -> [created_utc,
    score, num_comments]."""
    out: dict[str, list[float]] = {}
    for doc in db.collection(fs.POSTS).stream():
        for item_id, value in ((doc.to_dict() or {}).get("items") or {}).items():
            out[item_id] = [float(v) for v in value.split(",")]
    return out


def documents(entries: dict[str, list[float]], item_ids: set[str]) -> int:
    """How many subreddit-hour documents name ``item_ids`` (all of WSB here)."""
    return len({hour_key(entries[i][0]) for i in item_ids})


def db_client(stack: Stack) -> firestore.Client:
    assert stack.emulators
    return firestore.Client(project=stack.emulators.project)


def test_a_tick_stores_and_emits_each_new_item_once_and_an_identical_run_adds_nothing(
    emulators: Stack, observe: Callable[[str], Observer], local_reddit: LocalReddit
) -> None:
    local_reddit.load(SMALL, "start")
    items, mentions = observe(topics.REDDIT_ITEMS), observe(topics.MENTIONS)
    db = db_client(emulators)

    run_1 = tick(emulators, WSB)
    cursor = finished(db, WSB, run_1)
    emitted = pull_items(items, len(FIRST_ITEMS), 30, 1.0)
    batches = by_ticker(mentions.pull(expected=4, timeout=30, settle=1.0))

    assert sorted(ids(emitted)) == sorted(FIRST_ITEMS)
    assert (cursor["newest_id"], cursor["newest_created_utc"]) == ("t3_busy", T0 + 600)
    entries = stored(db)
    assert set(entries) == FIRST_ITEMS
    assert entries["t3_dd1"][0] == next(i for i in emitted if i["id"] == "t3_dd1")["created_utc"]
    emitted_by_id = {i["id"]: i for i in emitted}
    assert emitted_by_id["t3_dd1"]["flair"] == "DD" and emitted_by_id["t3_dd1"]["run_id"] == run_1
    assert emitted_by_id["t1_c1a"]["author_created_utc"] == T0 - 3 * 86400  # bob's account age travels along

    assert sorted(m["item_id"] for m in batches["GME"]) == ["t1_c1a", "t3_dd1"]
    assert sorted(m["item_id"] for m in batches["AMC"]) == ["t1_c1c", "t3_dd1"]
    assert len(batches["PLTR"]) == 26  # the post and its 25 comments that name it
    [gme_post] = [m for m in batches["GME"] if m["item_id"] == "t3_dd1"]
    assert gme_post["author"] == "alice" and gme_post["is_dd"] and gme_post["subreddit"] == WSB
    assert gme_post["author_created_utc"] == 1_400_000_000.0 and gme_post["author_karma"] == 25_000
    assert gme_post["text_length"] > 0 and gme_post["created_utc"] == T0 + 60

    authors = cursor["authors"]  # [created_utc, karma, suspended, found, expires], cached with the cursor
    assert {"alice", "bob", "carol", "dave", "frank", "ghost_user"} <= set(authors)
    assert not {"AutoModerator", "VisualMod"} & set(authors)
    assert authors["frank"][:3] == [None, None, True]  # suspended: no age, no karma
    assert authors["ghost_user"][3] is False  # unknown to Reddit
    assert authors["alice"][:2] == [1_400_000_000.0, 25_000] and authors["alice"][4] > time.time()
    assert list(db.collection(fs.AUTHORS).stream()) == []  # no document of its own
    requests = local_reddit.stats()
    # 11 authors of mentions in one batched request; the two it leaves out (suspended frank,
    # unknown ghost_user) one profile each; one listing request each; busy's tree (+ its more).
    assert (requests["user_data"], requests["user_about"]) == (1, 2)
    assert (requests["listing_new"], requests["listing_hot"], requests["listing_comments"]) == (1, 1, 1)
    assert (requests["comments"], requests["morechildren"]) == (1, 1)  # 8 Reddit requests for 45 items
    assert (cursor["comments_newest_id"], cursor["comments_newest_created_utc"]) == ("t1_deep11", T0 + 811)

    run_2 = tick(emulators, WSB)
    finished(db, WSB, run_2)
    assert pull_items(items, 1, 3) == []
    assert mentions.pull(expected=1, timeout=1) == []
    again = local_reddit.stats()
    assert (again["user_data"], again["user_about"]) == (1, 2)  # cached: one lookup per author
    assert again["comments"] == 1  # busy did not grow: no second tree
    assert set(stored(db)) == FIRST_ITEMS


def test_moving_the_clock_forward_brings_only_the_new_posts_and_comments(
    emulators: Stack, observe: Callable[[str], Observer], local_reddit: LocalReddit
) -> None:
    local_reddit.load(SMALL, "start")
    db = db_client(emulators)
    finished(db, WSB, tick(emulators, WSB))
    items, mentions = observe(topics.REDDIT_ITEMS), observe(topics.MENTIONS)

    local_reddit.clock(advance=3600)
    local_reddit.reset()
    cursor = finished(db, WSB, tick(emulators, WSB))
    assert sorted(ids(pull_items(items, 3, 30, 1.0))) == sorted(LATER_ITEMS)
    batches = by_ticker(mentions.pull(expected=2, timeout=30, settle=1.0))
    assert sorted(m["item_id"] for m in batches["NVDA"]) == ["t1_l1a", "t3_late1"]
    assert [m["item_id"] for m in batches["GME"]] == ["t1_c1e"]  # read in dd1's context
    assert cursor["newest_id"] == "t3_late1"
    assert cursor["comments_newest_id"] == "t1_c1e"
    requests = local_reddit.stats()
    assert requests["listing_comments"] == 1 and "comments" not in requests  # the new comments came listed
    assert stored(db)["t3_dd1"][2] == 5  # num_comments refreshed


def test_items_by_deleted_authors_are_counted_and_archived_downstream_and_nothing_is_dead_lettered(
    emulators: Stack, observe: Callable[[str], Observer], local_reddit: LocalReddit
) -> None:
    local_reddit.load(SMALL, "start")
    items, mentions = observe(topics.REDDIT_ITEMS), observe(topics.MENTIONS)
    dead = [observe(topics.dead_letter_topic(s)) for s in map(topics.subscription_for, ("archive", "aggregate"))]
    db = db_client(emulators)
    finished(db, WSB, tick(emulators, WSB))
    emitted = {item["id"]: item for item in pull_items(items, len(FIRST_ITEMS), 30)}
    assert emitted["t1_c1b"]["author"] is None  # written out, so the decoder downstream accepts it
    [tsla] = by_ticker(mentions.pull(expected=4, timeout=30, settle=1.0))["TSLA"]
    assert tsla["item_id"] == "t3_gone1"
    assert tsla["author"] is None and tsla["author_created_utc"] is None

    # aggregate counted the deleted author's mention and archive kept both of their items.
    bucket = db.collection(fs.TICKERS).document("TSLA").collection(fs.HOURS).document(hour_key(tsla["created_utc"]))
    gone = [RedditItem.model_validate(emitted[i]) for i in ("t3_gone1", "t1_c1b")]

    def archived() -> bool:
        return archived_ids(db, gone) == {"t3_gone1", "t1_c1b"}

    def counted() -> bool:
        return "t3_gone1" in ((bucket.get().to_dict() or {}).get("items") or {})

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (counted() and archived()):
        time.sleep(0.3)
    assert counted(), "aggregate never counted the mention by a deleted author"
    assert archived(), "archive never stored the items by a deleted author"
    assert [m.json() for d in dead for m in d.pull(expected=1, timeout=2)] == []


def test_a_429_is_retried_and_the_fetch_completes(
    emulators: Stack, observe: Callable[[str], Observer], local_reddit: LocalReddit
) -> None:
    local_reddit.load(SMALL, "start")
    local_reddit.fault(
        f"/r/{WSB}/new",
        status=429,
        headers={"retry-after": "1", "x-ratelimit-remaining": "0", "x-ratelimit-used": "100", "x-ratelimit-reset": "1"},
    )
    items = observe(topics.REDDIT_ITEMS)
    finished(db_client(emulators), WSB, tick(emulators, WSB))
    assert sorted(ids(pull_items(items, len(FIRST_ITEMS), 30, 1.0))) == sorted(FIRST_ITEMS)
    stats = local_reddit.stats()
    assert stats["faults_injected"] == 1  # the 429 was answered ...
    assert stats["listing_new"] == 1  # ... and the retry served the listing


def test_an_account_lookup_answer_with_a_value_that_is_no_number_costs_that_fact_not_the_run(
    emulators: Stack, observe: Callable[[str], Observer], local_reddit: LocalReddit
) -> None:
    """A karma Reddit gives as a string failed every run of the subreddit (the author never
    cached, so each run asked again) until its items left the listing."""
    local_reddit.load(SMALL, "start")
    odd = {"name": "alice", "created_utc": 1_400_000_000.0, "link_karma": "n/a", "comment_karma": 20000}
    local_reddit.fault("user_data_by_account_ids", status=200, body={account_fullname("alice"): odd}, times=99)
    items, mentions = observe(topics.REDDIT_ITEMS), observe(topics.MENTIONS)
    cursor = finished(db_client(emulators), WSB, tick(emulators, WSB), timeout=60)
    assert sorted(ids(pull_items(items, len(FIRST_ITEMS), 30, 1.0))) == sorted(FIRST_ITEMS)
    [gme_post] = [
        m for m in by_ticker(mentions.pull(expected=4, timeout=30, settle=1.0))["GME"] if m["author"] == "alice"
    ]
    assert gme_post["author_created_utc"] == 1_400_000_000.0 and gme_post["author_karma"] is None
    assert cursor["authors"]["alice"][:2] == [1_400_000_000.0, None]
    assert cursor["authors"]["bob"][0] == T0 - 3 * 86400  # the others, left out of that answer, by profile


def test_a_listing_whose_answer_is_cut_mid_body_is_asked_again_not_lost_for_the_run(
    emulators: Stack, observe: Callable[[str], Observer], local_reddit: LocalReddit
) -> None:
    """A connection dropped while the JSON arrives is as passing as one dropped before it."""
    local_reddit.load(SMALL, "start")
    local_reddit.fault(f"/r/{WSB}/comments", cut=True)
    items = observe(topics.REDDIT_ITEMS)
    cursor = finished(db_client(emulators), WSB, tick(emulators, WSB))
    assert sorted(ids(pull_items(items, len(FIRST_ITEMS), 30, 1.0))) == sorted(FIRST_ITEMS)
    assert cursor["comments_newest_id"] == "t1_deep11"  # the listing was read whole, this run
    assert local_reddit.stats()["faults_injected"] == 1


def test_a_server_error_on_the_comment_listing_keeps_its_cursor_and_the_next_run_resumes_without_loss_or_duplicates(
    emulators: Stack, observe: Callable[[str], Observer], local_reddit: LocalReddit
) -> None:
    local_reddit.load(SMALL, "start")
    local_reddit.fault(f"/r/{WSB}/comments", status=500, times=10)  # beyond the retry budget
    items = observe(topics.REDDIT_ITEMS)
    db = db_client(emulators)

    cursor = finished(db, WSB, tick(emulators, WSB))
    first = ids(pull_items(items, 25, 30, 1.5))
    tree = {f"t1_b{i:02d}" for i in range(20)}  # busy's top 20 still came with its tree
    assert sorted(first) == sorted(FIRST_POSTS | tree)
    assert cursor["newest_id"] == "t3_busy" and cursor["comments_newest_created_utc"] == 0.0

    local_reddit.reset()  # Reddit recovers
    cursor = finished(db, WSB, tick(emulators, WSB))
    second = ids(pull_items(items, len(FIRST_ITEMS) - 25, 30, 1.5))
    assert Counter(first + second) == Counter(FIRST_ITEMS)  # nothing lost, nothing twice
    assert cursor["comments_newest_id"] == "t1_deep11"
    assert set(stored(db)) == FIRST_ITEMS


def test_a_reddit_timeout_on_the_comment_listing_keeps_its_cursor_and_the_next_run_continues(
    emulators: Stack, observe: Callable[[str], Observer], local_reddit: LocalReddit
) -> None:
    local_reddit.load(SMALL, "start")
    attempts = min(TRANSPORT_RETRIES, int(FAST_REDDIT_RETRIES["REDDIT_MAX_RETRIES"])) + 1  # a timeout is retried
    local_reddit.fault(f"/r/{WSB}/comments", status=200, delay=6.0, times=attempts)  # longer than REDDIT_TIMEOUT_S
    items = observe(topics.REDDIT_ITEMS)
    db = db_client(emulators)

    assert finished(db, WSB, tick(emulators, WSB))["comments_newest_id"] == ""
    first = ids(pull_items(items, 25, 30, 1.0))
    assert set(first) >= FIRST_POSTS

    assert finished(db, WSB, tick(emulators, WSB))["comments_newest_id"] == "t1_deep11"
    second = ids(pull_items(items, len(FIRST_ITEMS) - len(first), 30, 1.0))
    assert Counter(first + second) == Counter(FIRST_ITEMS)


def test_a_failed_comment_tree_loses_nothing_the_listing_gives(
    emulators: Stack, observe: Callable[[str], Observer], local_reddit: LocalReddit
) -> None:
    local_reddit.load(SMALL, "start")
    local_reddit.fault("/comments/busy", status=500, times=10)
    items = observe(topics.REDDIT_ITEMS)
    cursor = finished(db_client(emulators), WSB, tick(emulators, WSB))
    assert sorted(ids(pull_items(items, len(FIRST_ITEMS), 30, 1.5))) == sorted(FIRST_ITEMS)
    assert (cursor["newest_id"], cursor["comments_newest_id"]) == ("t3_busy", "t1_deep11")


def test_a_malformed_listing_is_logged_and_skipped_without_hurting_other_subreddits(
    emulators: Stack, observe: Callable[[str], Observer], local_reddit: LocalReddit
) -> None:
    local_reddit.load(SMALL, "start")
    local_reddit.fault(f"/r/{WSB}/(new|hot|comments)", malformed=True, times=3)
    items = observe(topics.REDDIT_ITEMS)
    dead = observe(topics.dead_letter_topic("subreddit-fetches-fetch"))
    db = db_client(emulators)

    run_id = tick(emulators, WSB, "stocks")
    wsb_cursor = finished(db, WSB, run_id)
    finished(db, "stocks", run_id)
    assert sorted(ids(pull_items(items, 2, 30, 1.0))) == ["t1_s1a", "t3_stk1"]
    assert wsb_cursor["newest_created_utc"] == 0.0  # nothing read, nothing skipped for good
    assert wsb_cursor["comments_newest_created_utc"] == 0.0
    assert dead.pull(expected=1, timeout=1) == []
    log = Path(emulators.log_dir / "fetch.log").read_text()
    assert any("malformed" in line and WSB in line and run_id in line for line in log.splitlines())


def test_a_listing_reddit_refuses_is_skipped_with_one_warning_and_the_other_listings_are_kept(
    emulators: Stack, observe: Callable[[str], Observer], local_reddit: LocalReddit
) -> None:
    """What real Reddit answers for a private, quarantined or banned subreddit (403) or a
    listing that is gone (404): not an error to retry, and no reason to drop the rest."""
    local_reddit.load(SMALL, "start")
    local_reddit.fault(f"/r/{WSB}/hot", status=403, times=10)
    local_reddit.fault(f"/r/{WSB}/comments", status=404, times=10)
    items = observe(topics.REDDIT_ITEMS)
    dead = observe(topics.dead_letter_topic("subreddit-fetches-fetch"))
    db = db_client(emulators)

    run_id = tick(emulators, WSB)
    cursor = finished(db, WSB, run_id)
    got = ids(pull_items(items, len(FIRST_POSTS), 30, 1.0))
    assert set(got) >= FIRST_POSTS  # the new listing's posts, stored and published
    assert cursor["newest_id"] == "t3_busy" and cursor["comments_newest_created_utc"] == 0.0
    assert dead.pull(expected=1, timeout=1) == []
    warnings = [
        json.loads(line)
        for line in Path(emulators.log_dir / "fetch.log").read_text().splitlines()
        if "refused by Reddit" in line and run_id in line
    ]
    assert sorted(w["listing"] for w in warnings) == ["comments", "hot"]
    assert all(w["severity"] == "WARNING" and w["subreddit"] == WSB for w in warnings)


def test_the_tree_cap_bounds_tree_requests_per_run_and_comments_still_arrive_by_listing(
    emulators: Stack, local_reddit: LocalReddit
) -> None:
    local_reddit.load(SMALL, "start")
    assert emulators.emulators is not None
    db = db_client(emulators)
    publisher = Publisher(emulators.emulators.project)
    reports: dict[int, FetchReport] = {}
    for cap in (0, 1):
        emulators.emulators.clear_firestore()
        local_reddit.reset()
        settings = Settings(
            project_id=emulators.emulators.project,
            reddit_oauth_url=local_reddit.url,
            reddit_url=local_reddit.url,
            fetch_comment_trees_per_run=cap,
            fetch_tree_min_new_comments=1,  # busy (38 comments) and dd1 (4) both qualify
        )
        reddit = RedditClient(reddit_config(settings))
        try:
            reports[cap] = ingest_subreddit(
                SubredditFetch(run_id=f"cap-{cap}", subreddit=WSB),
                settings=settings,
                store=FirestoreStore(db),
                publisher=publisher,
                reddit=reddit,
                wall_now=time.time(),
            )
        finally:
            reddit.close()
        assert local_reddit.stats().get("comments", 0) == cap
        assert set(stored(db)) == FIRST_ITEMS
    assert (reports[0].trees, reports[1].trees) == (0, 1)


def test_a_repeated_run_reads_only_its_cursor_and_the_next_hour_costs_its_cursor_and_a_write_per_hour_of_items(
    emulators: Stack, local_reddit: LocalReddit
) -> None:
    local_reddit.load(SMALL, "start")
    assert emulators.emulators is not None
    db = fs.get_client(emulators.emulators.project)  # the counting client the function uses
    settings = Settings(
        project_id=emulators.emulators.project, reddit_oauth_url=local_reddit.url, reddit_url=local_reddit.url
    )
    publisher = Publisher(emulators.emulators.project)
    reddit = RedditClient(reddit_config(settings))

    def run(name: str) -> tuple[FetchReport, fs.OpCounts]:
        before = fs.totals()
        report = ingest_subreddit(
            SubredditFetch(run_id=name, subreddit=WSB),
            settings=settings,
            store=FirestoreStore(db),
            publisher=publisher,
            reddit=reddit,
            wall_now=time.time(),
        )
        after = fs.totals()
        return report, fs.OpCounts(after.reads - before.reads, after.writes - before.writes)

    try:
        first, ops = run("ops-1")
        assert first.new_items == len(FIRST_ITEMS)
        # a cursor that never moved vouches for nothing: the cursor, the 5 listed posts by people and
        # the 40 comments looked up, a read per subreddit-hour document naming them; a write per
        # such document and the cursor's; no author document
        assert (first.posts_read, first.comments_read) == (5, 40)
        entries = stored(db)
        posts, comments = documents(entries, FIRST_POSTS), documents(entries, FIRST_COMMENTS)
        assert (ops.reads, ops.writes) == (1 + posts + comments, documents(entries, FIRST_ITEMS) + 1)
        assert documents(entries, FIRST_ITEMS) < len(FIRST_ITEMS) / 10
        again, ops = run("ops-2")
        assert again.new_items == 0 and again.refreshed == 0
        assert (ops.reads, ops.writes) == (1, 1)  # the cursor, read and written: nothing else
        local_reddit.clock(advance=3600)
        later, ops = run("ops-3")
    finally:
        reddit.close()
    assert later.new_items == len(LATER_ITEMS) and later.authors_looked_up == 1  # erin, new
    assert (later.posts_read, later.comments_read) == (0, 0)  # the cursors prove them new
    # the cursor read; the documents naming the 3 new items and dd1 (refreshed) written, and the cursor
    entries = stored(db)
    assert (ops.reads, ops.writes) == (1, documents(entries, LATER_ITEMS | {"t3_dd1"}) + 1)
    assert set(entries) == FIRST_ITEMS | LATER_ITEMS
    assert entries["t3_dd1"][2] == 5  # num_comments refreshed from the listing
    cursor = db.collection(fs.CURSORS).document(WSB).get().to_dict() or {}
    assert cursor["recent_posts"]["t3_dd1"][0] == 5  # and remembered as refreshed
    assert cursor["pace"] > 0  # how fast the subreddit writes: dispatch reads it (functions/dispatch/schedule.py)


def test_a_full_posts_document_is_logged_and_skipped_and_the_others_are_written(
    emulators: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """Past Firestore's document limits a subreddit-hour cannot name more items: the run
    must go on (failing it would redo the same commit forever), the other hours are written
    and the loss is logged (those items read as new if seen again; consumers dedupe)."""
    from functions.fetch.store import bucket_id, save_items

    db = db_client(emulators)
    full, fine = post("t3_full", T0), post("t3_fine", T0 + 3 * 3600)
    ref = db.collection(fs.POSTS).document(bucket_id(full))
    for pad in range(1_048_576, 1_040_000, -16):  # the largest document Firestore takes: full
        try:
            ref.set({"pad": "x" * pad})
            break
        except gexc.InvalidArgument:
            continue
    else:
        pytest.fail("Firestore took no document near 1 MiB")
    with caplog.at_level("ERROR", logger="functions.fetch.store"):
        assert save_items(db, [full, fine], []) == 1  # named: the other is not
    assert set(stored(db)) == {"t3_fine"}
    assert any("is full" in r.getMessage() for r in caplog.records)


def test_a_run_saving_after_an_overlapping_run_of_its_subreddit_never_moves_the_cursor_back(emulators: Stack) -> None:
    """A duplicated or retried fetch overlaps the next tick's: both read one cursor, the
    faster saves first. The slower one's save must not move the cursor back (the next run
    would re-read and re-emit everything in between) nor drop what the faster one cached."""
    from dataclasses import replace

    from common.ingest import AuthorFacts, Cursor

    store = FirestoreStore(db_client(emulators))
    for first in (None, Cursor(T0, "t3_a")):  # a subreddit's first runs, then later ones
        sub = f"overlap{uuid.uuid4().hex[:6]}"
        if first is not None:
            store.save_cursor(sub, first, "run-0")
        slow, fast = store.read_cursor(sub), store.read_cursor(sub)
        fay = (AuthorFacts("fay", created_utc=T0 - 86400), T0 + 86400)
        store.save_cursor(
            sub, replace(fast, newest_created_utc=T0 + 600, newest_id="t3_f", authors={"fay": fay}), "fast"
        )
        store.save_cursor(sub, replace(slow, newest_created_utc=T0 + 300, newest_id="t3_s"), "slow")
        saved = store.read_cursor(sub)
        assert (saved.newest_created_utc, saved.newest_id) == (T0 + 600, "t3_f")
        assert saved.authors == {"fay": fay}
        store.save_cursor(sub, replace(saved, authors={}), "next")  # no overlap: written whole, as it is
        assert store.read_cursor(sub).authors == {}


def test_a_cursor_an_operator_deletes_while_a_run_is_out_stays_deleted(emulators: Stack) -> None:
    """The runbook resets a cursor ahead of Reddit's listing by deleting it; a busy subreddit
    has a run out most of the time, and that run's save must not write the positions back."""
    from dataclasses import replace

    from common.ingest import Cursor

    db = db_client(emulators)
    store = FirestoreStore(db)
    sub = f"reset{uuid.uuid4().hex[:6]}"
    store.save_cursor(sub, Cursor(T0 + 10**6, "t3_ahead"), "run-0")
    out = store.read_cursor(sub)
    db.collection("cursors").document(sub).delete()  # the operator's reset
    store.save_cursor(sub, replace(out, newest_created_utc=T0 + 10**6 + 60, newest_id="t3_later"), "run-1")
    assert not db.collection("cursors").document(sub).get().exists
    store.save_cursor(sub, store.read_cursor(sub), "run-2")  # the next run starts afresh and saves
    assert db.collection("cursors").document(sub).get().exists
    # the other order: deleted, made afresh by a run that read none, then the run out saves
    out = store.read_cursor(sub)
    db.collection("cursors").document(sub).delete()
    store.save_cursor(sub, Cursor(T0, "t3_fresh"), "run-3")
    store.save_cursor(sub, replace(out, newest_created_utc=T0 + 10**6 + 60, newest_id="t3_later"), "run-1b")
    assert (store.read_cursor(sub).newest_created_utc, store.read_cursor(sub).newest_id) == (T0, "t3_fresh")
