"""The pure decisions of one fetch: filtering, planning, resuming, authors, mention batches."""

from dataclasses import replace
from typing import Any

import pytest

from common import ingest
from common.ingest import AuthorFacts, Cursor, ListedPost, PostWork, StoredPost
from common.messages import RedditItem
from common.timekeys import hour_key

T0 = 1_767_225_600.0
BOTS = ("VisualMod",)


def post(pid: str, created: float, *, author: str | None = "alice", comments: int = 0, **extra: object) -> RedditItem:
    return RedditItem.model_validate(
        {
            "id": f"t3_{pid}",
            "kind": "post",
            "subreddit": "wallstreetbets",
            "author": author,
            "title": extra.pop("title", f"post {pid}"),
            "body": extra.pop("body", ""),
            "permalink": f"/r/wallstreetbets/comments/{pid}/x/",
            "num_comments": comments,
            "created_utc": created,
            **extra,
        }
    )


def comment(cid: str, pid: str, *, author: str | None = "bob", body: str = "hi") -> RedditItem:
    return RedditItem(
        id=f"t1_{cid}",
        kind="comment",
        subreddit="wallstreetbets",
        author=author,
        body=body,
        permalink=f"/r/wallstreetbets/comments/{pid}/x/{cid}/",
        created_utc=T0 + 10,
        parent_id=f"t3_{pid}",
        link_id=f"t3_{pid}",
    )


def listed(*items: RedditItem, stickied: bool = False) -> list[ListedPost]:
    return [ListedPost(i, stickied=stickied) for i in items]


def test_stickied_posts_automoderator_and_configured_bots_are_skipped() -> None:
    posts = [
        *listed(post("sticky", T0, author="mods"), stickied=True),
        *listed(post("auto", T0 + 1, author="AutoModerator"), post("bot", T0 + 2, author="visualmod")),
        *listed(post("real", T0 + 3)),
    ]
    result = ingest.plan(posts, {}, bots=BOTS, now=T0 + 3, active_hours=24, max_trees=10)
    assert [w.post.id for w in result.work] == ["t3_real"]


def test_a_deleted_author_is_kept_as_unknown() -> None:
    result = ingest.plan(listed(post("gone", T0, author=None)), {}, bots=BOTS, now=T0, active_hours=24, max_trees=10)
    assert [(w.post.id, w.post.author) for w in result.work] == [("t3_gone", None)]


def test_new_posts_are_processed_oldest_first_and_only_those_with_comments_cost_a_tree() -> None:
    posts = listed(post("c", T0 + 30, comments=2), post("b", T0 + 20), post("a", T0 + 10, comments=1))
    result = ingest.plan(posts, {}, from_new={"t3_a", "t3_b", "t3_c"}, bots=BOTS, now=T0, active_hours=24, max_trees=9)
    assert [(w.post.id, w.needs_tree) for w in result.work] == [("t3_a", True), ("t3_b", False), ("t3_c", True)]


def test_a_stored_post_is_refetched_only_while_young_and_gaining_comments() -> None:
    now = T0 + 48 * 3600
    posts = listed(
        post("young_grew", now - 3600, comments=5),
        post("young_same", now - 3600, comments=2),
        post("old_grew", now - 30 * 3600, comments=9),
    )
    stored = {
        "t3_young_grew": StoredPost(3, now - 3600),
        "t3_young_same": StoredPost(2, now - 3600),
        "t3_old_grew": StoredPost(1, now - 30 * 3600),
    }
    result = ingest.plan(posts, stored, bots=BOTS, now=now, active_hours=24, max_trees=9)
    assert [(w.post.id, w.is_new) for w in result.work] == [("t3_young_grew", False)]


def test_trees_go_to_the_most_grown_young_posts_up_to_the_cap_and_no_new_post_waits_for_one() -> None:
    now = T0 + 3600
    posts = listed(
        *(post(f"p{i}", T0 + i, comments=5 * i) for i in range(5)),  # new: grown 0, 5, 10, 15, 20
        post("stored_busy", T0 - 60, comments=40),  # grown 30 since stored
        post("stored_old", now - 30 * 3600, comments=99),  # grown a lot, but no longer young
    )
    stored = {"t3_stored_busy": StoredPost(10, T0 - 60), "t3_stored_old": StoredPost(0, now - 30 * 3600)}
    result = ingest.plan(
        posts,
        stored,
        from_new={p.item.id for p in posts},
        bots=BOTS,
        now=now,
        active_hours=24,
        max_trees=2,
        min_new_comments=10,
    )
    assert [w.post.id for w in result.work if w.is_new] == [f"t3_p{i}" for i in range(5)]  # all, oldest first
    assert result.trees == ["t3_p4", "t3_stored_busy"]
    assert ingest.advance(Cursor(), result.work) == Cursor(T0 + 4, "t3_p4")


def test_no_tree_at_all_when_the_cap_is_zero() -> None:
    posts = listed(post("a", T0, comments=500))
    result = ingest.plan(posts, {}, from_new={"t3_a"}, bots=BOTS, now=T0, active_hours=24, max_trees=0)
    assert [(w.post.id, w.needs_tree) for w in result.work] == [("t3_a", False)]


def listed_comment(cid: str, created: float, *, author: str | None = "bob", title: str = "") -> ingest.ListedComment:
    item = comment(cid, "p", author=author).model_copy(update={"created_utc": created})
    return ingest.ListedComment(item, author_id=f"t2_{author}" if author else None, link_title=title)


def test_comments_by_bots_and_the_cursors_own_are_not_taken_and_only_newer_ones_skip_the_store_check() -> None:
    cursor = Cursor(comments_created_utc=T0 + 10, comments_id="t1_m")
    comments = [
        listed_comment("n", T0 + 11),
        listed_comment("bot", T0 + 12, author="AutoModerator"),
        listed_comment("same_second", T0 + 10),  # kept: the store's check drops it if known
        listed_comment("m", T0 + 10),  # the cursor's own: processed
        listed_comment("late", T0 + 9),  # behind the cursor, listed late (approved): the store decides
        listed_comment("n", T0 + 11),
    ]
    taken = ingest.new_comments(comments, cursor, bots=BOTS)
    assert [c.item.id for c in taken] == ["t1_n", "t1_same_second", "t1_late"]
    assert ingest.proven_new_comments(taken, cursor) == {"t1_n"}
    listed_before = replace(cursor, listed=frozenset({"t1_late"}))  # the last run listed it: handled then
    assert [c.item.id for c in ingest.new_comments(comments, listed_before, bots=BOTS)] == ["t1_n", "t1_same_second"]
    both = replace(cursor, listed=frozenset({"t1_late", "t1_same_second"}))  # so was the cursor's neighbour
    assert [c.item.id for c in ingest.new_comments(comments, both, bots=BOTS)] == ["t1_n"]


def test_the_comment_cursor_moves_to_the_newest_listed_comment_bots_included_and_never_back() -> None:
    cursor = Cursor(T0 + 5, "t3_x", T0 + 10, "t1_m")
    moved = ingest.advance_comments(cursor, [listed_comment("old", T0 + 1), listed_comment("bot", T0 + 20, author="x")])
    assert moved == Cursor(T0 + 5, "t3_x", T0 + 20, "t1_bot", listed=frozenset({"t1_old", "t1_bot"}))
    again = ingest.advance_comments(moved, [listed_comment("older", T0 + 15)])
    assert (again.comments_created_utc, again.comments_id) == (T0 + 20, "t1_bot")
    assert Cursor.from_doc(moved.to_doc()) == moved
    assert Cursor.from_doc({"newest_created_utc": T0, "newest_id": "t3_x"}) == Cursor(T0, "t3_x")  # old documents


def test_a_comment_of_a_post_this_run_did_not_see_reads_its_thread_from_the_listed_title() -> None:
    reply = comment("x", "p", body="I like COST here")  # a bare COST needs the thread's evidence
    without = ingest.extract_mentions([reply], known_posts={})
    with_title = ingest.extract_mentions([reply], known_posts={}, thread_titles={"t3_p": "$COST earnings tonight"})
    assert without.batches(None) == []
    assert [b.ticker for b in with_title.batches(None)] == ["COST"]


def test_the_cursor_never_moves_back_and_ignores_posts_seen_only_in_hot() -> None:
    cursor = Cursor(T0 + 100, "t3_z")
    done = [
        PostWork(post("older", T0 + 50), needs_tree=False, is_new=True),
        PostWork(post("hot_only", T0 + 500), needs_tree=False, is_new=True, from_new=False),
    ]
    assert ingest.advance(cursor, done) == cursor


def test_the_post_cursor_moves_past_bots_posts_new_showed_as_past_the_posts_it_took() -> None:
    """Skipped on purpose, as bots' comments are: else every run pages back to the last
    person's post. A stickied post (an old one, pinned) and one only ``hot`` showed move nothing."""
    bot = ingest.ListedPost(post("bot", T0 + 300, author="AutoModerator"))
    pinned = ingest.ListedPost(post("pinned", T0 + 400, author="AutoModerator"), stickied=True)
    hot_only = ingest.ListedPost(post("hot", T0 + 500, author="AutoModerator"))
    person = ingest.ListedPost(post("person", T0 + 200))
    cursor = Cursor(T0 + 100, "t3_z")
    shown = ["t3_bot", "t3_pinned", "t3_person"]
    moved = ingest.advance_past_skipped(cursor, [bot, pinned, hot_only, person], shown, BOTS)
    assert moved == Cursor(T0 + 300, "t3_bot")
    assert ingest.advance_past_skipped(moved, [person], shown, BOTS) == moved  # never back


def test_the_cursor_round_trips_through_its_document() -> None:
    cursor = Cursor(T0, "t3_abc")
    assert Cursor.from_doc(cursor.to_doc()) == cursor
    assert Cursor.from_doc(None) == Cursor()


def test_comments_keep_reddits_order_without_bots_up_to_the_limit() -> None:
    comments = [comment("a", "p"), comment("m", "p", author="AutoModerator"), comment("b", "p"), comment("c", "p")]
    chosen = ingest.select_comments(comments, limit=2, bots=BOTS)
    assert [c.id for c in chosen] == ["t1_a", "t1_b"]


def test_each_author_is_looked_up_once_and_only_when_the_cache_expired() -> None:
    items = [
        post("a", T0, author="fresh"),
        post("b", T0, author="stale"),
        post("c", T0, author="unknown"),
        post("d", T0, author="unknown"),
        post("e", T0, author=None),
        post("f", T0, author="VisualMod"),
    ]
    wanted = ingest.authors_to_look_up(items, {"fresh": 2000.0, "stale": 999.0}, now=1000.0, bots=BOTS)
    assert wanted == ["stale", "unknown"]


def test_new_items_are_split_from_sightings_of_stored_ones() -> None:
    new_post, old_post = post("n", T0 + 10), post("o", T0, comments=4, score=9)
    done = [PostWork(new_post, needs_tree=False, is_new=True), PostWork(old_post, needs_tree=True, is_new=False)]
    listed_posts = listed(new_post, old_post, post("s", T0 - 9, score=5), post("u", T0 - 8, score=1))
    stored = {"t3_o": StoredPost(1, T0), "t3_s": StoredPost(0, T0 - 9, score=2), "t3_u": StoredPost(0, T0 - 8, score=1)}
    new, again = ingest.split_sightings(
        done,
        [new_post, old_post],
        [comment("x", "o"), comment("y", "o")],
        known_comments={"t1_y"},
        listed=listed_posts,
        stored=stored,
    )
    assert [i.id for i in new] == ["t3_n", "t1_x"]
    # t3_s's score moved, t3_u nothing: neither is written (planning reads the comment count)
    assert sorted(i.id for i in again) == ["t1_y", "t3_o"]


def test_mentions_are_grouped_into_one_batch_per_ticker() -> None:
    items = [
        post("a", T0, title="$GME and $AMC"),
        comment("x", "a", body="$GME forever"),
        post("b", T0 + 1, title="$GME again"),
    ]
    extracted = ingest.extract_mentions(items, known_posts={})
    batches = extracted.batches("run-1")
    assert [(b.ticker, sorted(m.item_id for m in b.mentions)) for b in batches] == [
        ("AMC", ["t3_a"]),
        ("GME", ["t1_x", "t3_a", "t3_b"]),
    ]
    assert all(b.run_id == "run-1" for b in batches)
    assert {i.id: i.tickers for i in extracted.items}["t3_a"] == ("GME", "AMC")
    assert {b.config_version for b in extracted.batches("run-1", 7)} == {7}  # the run's config version travels on


def test_an_item_the_extractor_raises_on_is_kept_without_tickers_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug of ours on one text must not fail every run of its subreddit: the cursor would
    never pass the text, and the subreddit would never be read again."""
    from common import extraction
    from common.mentions import mentions_from_item as real_mentions

    real_counts = extraction.community_counts

    def mentions(item: RedditItem, **kwargs: Any) -> Any:
        if "cursed" in (item.title or ""):
            raise IndexError("a text the extractor cannot read")
        return real_mentions(item, **kwargs)

    def counts(texts: Any) -> Any:
        texts = list(texts)
        if any("cursed" in text for text, _, _ in texts):
            raise IndexError("a text the extractor cannot read")
        return real_counts(texts)

    real_symbols = extraction.symbols

    def symbols(text: str, **kwargs: Any) -> Any:
        if "cursed" in text:
            raise IndexError("a text the extractor cannot read")
        return real_symbols(text, **kwargs)

    monkeypatch.setattr(ingest, "mentions_from_item", mentions)
    monkeypatch.setattr(extraction, "community_counts", counts)
    monkeypatch.setattr(extraction, "symbols", symbols)
    items = [
        post("a", T0, title="cursed $GME"),
        comment("x", "a", body="$AMC to the moon"),
        post("b", T0 + 1, title="$GME again"),
    ]
    extracted = ingest.extract_mentions(items, known_posts={})
    assert [(b.ticker, [m.item_id for m in b.mentions]) for b in extracted.batches(None)] == [
        ("AMC", ["t1_x"]),
        ("GME", ["t3_b"]),
    ]
    assert sorted(i.id for i in extracted.items) == ["t1_x", "t3_a", "t3_b"]
    assert {i.id: i.tickers for i in extracted.items}["t3_a"] == ()
    assert list(extracted.unreadable) == ["t3_a"] and "IndexError" in extracted.unreadable["t3_a"]
    # a post known from an earlier run that the extractor raises on: its new comment keeps its own tickers
    reply = comment("y", "a", body="$AMC again")
    later = ingest.extract_mentions([reply], known_posts={"t3_a": items[0]})
    assert [b.ticker for b in later.batches(None)] == ["AMC"] and later.unreadable == {}


def test_an_extractor_that_raises_on_everything_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken release or a dependency that fails to load: kept without tickers, every item
    of every subreddit would be stored past its cursor and never read again. Failed, the run
    is redelivered once the fix is deployed."""

    def broken(item: RedditItem, **kwargs: Any) -> Any:
        raise ImportError("vaderSentiment")

    monkeypatch.setattr(ingest, "mentions_from_item", broken)
    with pytest.raises(ImportError):
        ingest.extract_mentions([post("a", T0, title="$GME calls")], known_posts={})


def test_author_facts_travel_with_the_item_into_its_mentions() -> None:
    item = ingest.with_author(
        post("a", T0, title="$TSLA", author="bob"),
        ingest.AuthorFacts("bob", created_utc=T0 - 86400, karma=12),
        "run-9",
    )
    [batch] = ingest.extract_mentions([item], known_posts={}).batches(None)
    assert batch.mentions[0].author_created_utc == T0 - 86400
    assert batch.mentions[0].author_karma == 12
    assert item.run_id == "run-9"


def test_only_authors_of_items_that_mention_a_ticker_matter_and_their_facts_reach_the_mentions() -> None:
    items = [post("a", T0, title="$TSLA calls", author="bob"), post("b", T0, title="no tickers", author="carol")]
    extracted = ingest.extract_mentions(items, known_posts={})
    assert [i.author for i in extracted.mentioning()] == ["bob"]
    facts = {"bob": ingest.AuthorFacts("bob", created_utc=T0 - 5 * 86400, karma=3)}
    enriched = extracted.with_authors(facts, "run-3")
    [batch] = enriched.batches("run-3")
    assert (batch.mentions[0].author_created_utc, batch.mentions[0].author_karma) == (T0 - 5 * 86400, 3)
    assert [(i.author_created_utc, i.run_id) for i in enriched.items] == [(T0 - 5 * 86400, "run-3"), (None, "run-3")]


def test_posts_the_new_listing_shows_past_the_cursor_or_the_cursor_remembers_cost_no_read() -> None:
    cursor = Cursor(T0 + 100, "t3_edge", posts={"t3_hot": (7, 30, T0 - 500)})
    posts = listed(
        post("fresh", T0 + 200),  # newer than the cursor, from new: never stored
        post("edge", T0 + 100),  # at the cursor: maybe stored
        post("hot", T0 - 500, comments=9),  # remembered by the cursor document
        post("hot_only", T0 + 300),  # newer, but seen only in hot: maybe stored from hot
        post("old", T0 - 900),  # behind the cursor, forgotten: read
    )
    remembered, unknown = ingest.known_posts(posts, cursor, from_new={"t3_fresh", "t3_edge", "t3_old"}, bots=BOTS)
    assert remembered == {"t3_hot": StoredPost(7, T0 - 500, 30)}
    assert unknown == ["t3_edge", "t3_hot_only", "t3_old"]


def test_a_cursor_that_never_moved_vouches_for_no_post_and_no_comment() -> None:
    _, unknown = ingest.known_posts(listed(post("a", T0)), Cursor(), from_new={"t3_a"}, bots=BOTS)
    assert unknown == ["t3_a"]
    assert ingest.proven_new_comments([listed_comment("n", T0 + 11)], Cursor()) == set()


def test_only_comments_past_the_comment_cursor_and_not_stored_ahead_by_a_tree_are_proven_new() -> None:
    cursor = Cursor(comments_created_utc=T0 + 10, comments_id="t1_m", ahead={"t1_tree": T0 + 30})
    comments = [
        listed_comment("n", T0 + 11),
        listed_comment("same_second", T0 + 10),
        listed_comment("tree", T0 + 30),
    ]
    assert ingest.proven_new_comments(comments, cursor) == {"t1_n"}


def test_the_cursor_remembers_what_posts_holds_for_this_runs_posts_first_and_the_tree_comments_ahead() -> None:
    old = {f"t3_old{i}": (1, 1, T0 + 10_000 + i) for i in range(ingest.RECENT_POSTS)}  # newer, not seen now
    cursor = Cursor(comments_created_utc=T0 + 50, posts=old, ahead={"t1_passed": T0 + 40, "t1_kept": T0 + 60})
    refreshed = post("seen", T0, comments=8, score=4)
    after = ingest.remember(
        cursor,
        {"t3_seen": StoredPost(3, T0, 1), "t3_same": StoredPost(2, T0 - 5, 9)},
        [refreshed, post("made", T0 + 1, comments=1, score=2), comment("x", "made")],
        [comment("t", "seen").model_copy(update={"created_utc": T0 + 70}), comment("b", "seen")],
    )
    assert len(after.posts) == ingest.RECENT_POSTS
    assert after.posts["t3_seen"] == (8, 4, T0)  # as refreshed, not as stored before
    assert after.posts["t3_same"] == (2, 9, T0 - 5)
    assert after.posts["t3_made"] == (1, 2, T0 + 1)
    assert "t3_old0" not in after.posts and "t1_x" not in after.posts
    assert after.ahead == {"t1_kept": T0 + 60, "t1_t": T0 + 70}  # T0 + 10 and T0 + 40 are behind it
    assert Cursor.from_doc(after.to_doc()) == after


def test_the_cursor_caches_looked_up_authors_until_they_expire_the_soonest_to_expire_dropped_first() -> None:
    day = 86400.0
    held = {f"a{i}": (AuthorFacts(f"a{i}", karma=i), T0 + 2 * day + i) for i in range(ingest.AUTHORS_REMEMBERED)}
    cursor = Cursor(authors={**held, "gone": (AuthorFacts("gone"), T0 - 1)})
    looked_up = [
        AuthorFacts("new-name", created_utc=T0 - 400 * day, karma=12),
        AuthorFacts("frank", suspended=True),
        AuthorFacts("ghost", found=False),
        AuthorFacts("__reserved__", karma=1),  # a field name Firestore refuses
    ]
    after = ingest.remember_authors(cursor, looked_up, now=T0, days=7)
    assert len(after.authors) == ingest.AUTHORS_REMEMBERED
    assert after.authors["new-name"] == (looked_up[0], T0 + 7 * day)
    assert after.authors["frank"][0].suspended and not after.authors["ghost"][0].found
    assert "gone" not in after.authors and "__reserved__" not in after.authors  # expired; refused
    assert {"a0", "a1", "a2"}.isdisjoint(after.authors) and "a3" in after.authors  # soonest to expire
    assert Cursor.from_doc(after.to_doc()) == after
    assert Cursor.from_doc({"authors": {"x": "junk", "y": [1, 2], "z": None}}).authors == {}  # unreadable: not cached


def test_an_item_dated_after_the_fetch_is_not_read_since_it_would_stop_its_tickers_counting() -> None:
    now = 1_767_888_000.0
    items = listed(post("ok", now - 60), post("skewed", now + 60), post("hours", now + 3600), post("broken", 4.0e9))
    kept, dropped = ingest.from_the_future(items, now)
    assert [p.item.id for p in kept] == ["t3_ok", "t3_skewed"] and dropped == ["t3_hours", "t3_broken"]
    comments, dropped = ingest.from_the_future([listed_comment("c", 4.0e9)], now)
    assert comments == [] and dropped == ["t1_c"]


def test_two_overlapping_runs_reconcile_to_the_further_position_of_each_listing_and_both_runs_lookups() -> None:
    """Both read the same cursor; the faster saved first. The slower one must not move the
    cursor back, nor drop what the faster one cached."""
    start = Cursor(T0, "t3_a", T0, "t1_a", posts={"t3_a": (1, 1, T0)})
    fast = replace(
        start,
        newest_created_utc=T0 + 600,
        newest_id="t3_f",
        comments_created_utc=T0 + 50,
        comments_id="t1_f",
        posts={"t3_a": (9, 2, T0), "t3_f": (0, 1, T0 + 600)},
        ahead={"t1_tree_old": T0 + 40, "t1_tree_new": T0 + 900},
        authors={"fay": (AuthorFacts("fay", created_utc=T0 - 86400), T0 + 10)},
        listed=frozenset({"t1_f"}),
    )
    slow = replace(
        start,
        newest_created_utc=T0 + 300,
        newest_id="t3_s",
        comments_created_utc=T0 + 200,
        comments_id="t1_s",
        posts={"t3_a": (3, 5, T0), "t3_s": (0, 1, T0 + 300)},
        authors={"fay": (AuthorFacts("fay", created_utc=T0 - 86400), T0 + 20), "sam": (AuthorFacts("sam"), T0 + 5)},
        listed=frozenset({"t1_s"}),
    )
    saved = ingest.reconcile(fast, slow)
    assert (saved.newest_created_utc, saved.newest_id) == (T0 + 600, "t3_f")  # posts: the faster run's
    assert (saved.comments_created_utc, saved.comments_id) == (T0 + 200, "t1_s")  # comments: the slower one's
    assert saved.posts == {"t3_a": (9, 2, T0), "t3_f": (0, 1, T0 + 600), "t3_s": (0, 1, T0 + 300)}
    assert saved.ahead == {"t1_tree_new": T0 + 900}  # behind the comment cursor now: not ahead
    assert saved.authors["fay"][1] == T0 + 20 and set(saved.authors) == {"fay", "sam"}
    assert saved.listed == {"t1_f", "t1_s"}
    assert ingest.reconcile(slow, fast) == saved  # whichever saved first
    # each run read whole vouches for its own time: together, the further one
    assert ingest.reconcile(ingest.read_whole(fast, now=T0), ingest.read_whole(slow, now=T0)).read_through == T0 + 600
    assert ingest.reconcile(fast, ingest.read_whole(slow, now=T0)).read_through == T0 + 300
    assert saved.read_through is None


def test_a_run_reddit_served_is_not_undone_by_an_overlapping_copy_it_did_not() -> None:
    """Two copies of one run: one served (its count reset), one refused by an instance still
    paused by a 429. Saved as the other's count, dispatch would wait twice the pace and lose
    what passed the listing's cap meanwhile."""
    start = Cursor(T0, "t3_a", T0, "t1_a", unserved_runs=1)
    served, refused = replace(start, unserved_runs=0), replace(start, unserved_runs=2)
    assert ingest.reconcile(served, refused).unserved_runs == 0
    assert ingest.reconcile(refused, served).unserved_runs == 0
    assert ingest.reconcile(refused, replace(start, unserved_runs=3)).unserved_runs == 2


def test_reconciled_cursors_keep_the_community_both_runs_saw_within_its_day() -> None:
    hour = int(T0 // 3600)
    one = Cursor(T0, "t3_a", community={hour_key(hour * 3600.0): {"WISH": ["a1"]}})
    other = Cursor(
        T0 + 60,
        "t3_b",
        community={
            hour_key(hour * 3600.0): {"WISH": ["b1", "a1"]},
            hour_key((hour - 30) * 3600.0): {"BB": ["old"]},  # a day and more before: dropped
        },
    )
    saved = ingest.reconcile(one, other)
    assert saved.community == {hour_key(hour * 3600.0): {"WISH": ["a1", "b1"]}}


def test_a_reconciled_cursor_keeps_each_runs_first_ranked_posts_the_newest_listed_ids_and_the_saved_version() -> None:
    """Bounded as one run's cursor: hot posts a run saw first are not pushed out by the other
    run's newer ones, and the listed ids stay the newest 300. It carries the version it was
    merged with, so the next save is conditional on that one."""
    from datetime import UTC, datetime

    hot = {f"t3_hot{i}": (1, 1, T0 - 86400 + i) for i in range(150)}  # old posts this run saw in hot
    newer = {f"t3_new{i}": (0, 1, T0 + i) for i in range(ingest.RECENT_POSTS)}
    ours = Cursor(T0, "t3_a", posts=hot, listed=frozenset(f"t1_{n}" for n in range(300, 600)))
    saved = Cursor(T0, "t3_a", posts=newer, listed=frozenset(f"t1_{n}" for n in range(300)))
    saved = replace(saved, version=datetime(2026, 12, 1, tzinfo=UTC))
    merged = ingest.reconcile(saved, ours)
    assert len(merged.posts) == ingest.RECENT_POSTS
    assert {f"t3_hot{i}" for i in range(100)} <= set(merged.posts)  # each run's top hundred
    assert merged.listed == {f"t1_{n}" for n in range(300, 600)}
    assert merged.version == saved.version


def test_a_listing_pace_counts_what_came_since_the_cursor_or_over_its_own_span_when_cut() -> None:
    times = [T0 + 60 * n for n in range(1, 11)]  # ten items, one a minute
    assert ingest.listing_pace(times, T0, cut=False) == pytest.approx(10 / 600)
    assert ingest.listing_pace(times, T0 - 3000, cut=True) == pytest.approx(9 / 540)  # held the cap
    assert ingest.listing_pace(times, 0.0, cut=False) == pytest.approx(9 / 540)  # no cursor yet
    assert ingest.listing_pace([*times, T0 - 5], T0, cut=False) == pytest.approx(10 / 600)  # the cursor's own
    assert ingest.listing_pace([T0 + 60], T0, cut=False) == 0.0  # one item says nothing of a pace
    assert ingest.listing_pace([T0 + 60, T0 + 60], 0.0, cut=False) == 0.0


def test_a_burst_after_a_quiet_spell_counts_at_once() -> None:
    """Two quiet hours, then 500 comments in the last five minutes: over the whole gap that is
    a quiet pace; the newest hundred items show the burst."""
    burst = [T0 + 7200 + 0.6 * n for n in range(500)]
    assert ingest.listing_pace(burst, T0, cut=False) == pytest.approx(99 / 59.4)
    few = [T0 + 7200 + n for n in range(ingest.PACE_SAMPLE - 1)]  # too few to read a latest pace from
    assert ingest.listing_pace(few, T0, cut=False) == pytest.approx(len(few) / (few[-1] - T0))


def test_a_cursors_pace_takes_a_burst_at_once_and_a_lull_by_halves_and_survives_storage_and_reconciling() -> None:
    cursor = ingest.with_pace(Cursor(), 0.5, 2.0)
    assert cursor.pace == 2.0
    assert ingest.with_pace(cursor, 0.1).pace == 1.0
    assert ingest.with_pace(cursor).pace == 1.0
    assert ingest.with_pace(cursor, 0.1, missed=True).pace == 2.0 * ingest.PACE_MEMORY_MISSED  # most of it kept
    # runs in a row Reddit served no newest-first listing are counted, and a run served starts again
    twice = ingest.with_pace(ingest.with_pace(cursor, missed=True, unserved=True), missed=True, unserved=True)
    assert twice.unserved_runs == 2 and ingest.with_pace(twice, 0.1, missed=True).unserved_runs == 0
    assert Cursor.from_doc(twice.to_doc()) == twice
    cursor = ingest.ran(ingest.ran(cursor, "run-1"), "run-2")
    assert Cursor.from_doc(cursor.to_doc()) == cursor
    assert Cursor.from_doc({"pace": "fast", "runs": "run-1"}) == Cursor()
    assert ingest.reconcile(replace(cursor, pace=3.0), cursor).pace == 3.0
    assert ingest.reconcile(Cursor(), cursor).pace == 2.0
    other = ingest.ran(Cursor(), "run-3")
    assert ingest.reconcile(cursor, other).runs == ("run-3", "run-2", "run-1")
    many = [f"run-{n}" for n in range(20)]
    assert ingest.ran(replace(cursor, runs=tuple(many)), "new").runs == ("new", *many[: ingest.RUNS_KEPT - 1])


def test_a_late_copy_of_a_run_saving_after_the_next_run_keeps_both_runs() -> None:
    """Dispatch sends a subreddit again only once the run it sent last is in the cursor: a
    slow copy of run 8 saving after run 9 must not push run 9 out of a full list."""
    older = tuple(f"run-{n}" for n in range(7, 0, -1))  # run-7 .. run-1
    eighth = ingest.ran(replace(Cursor(), runs=older), "run-8")  # what the slow copy read and saves
    saved = ingest.ran(eighth, "run-9")  # run 9 saved first
    runs = ingest.reconcile(saved, eighth).runs
    assert runs[:2] == ("run-8", "run-9") and len(runs) == ingest.RUNS_KEPT
