"""fetch's decisions without services: the run against a store kept in dicts and a Reddit
that answers from lists. What crosses the function's boundary (Firestore, Pub/Sub, Reddit's
API) is tested through the emulators in tests/integration/test_fetch.py; here, the phases'
order and bookkeeping: what is published, what is stored, where the cursor goes."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from common import ingest, topics
from common.adapters.pubsub import Outgoing
from common.adapters.reddit import ListingRefused, RedditUnavailable, Thread, TreeRequest
from common.detection.backtest import Replay
from common.messages import ItemBatch, MentionBatch, RedditItem, SubredditFetch
from common.reports import FetchReport
from common.settings import Settings
from functions.fetch.main import ingest_subreddit

T0 = 1_767_225_600.0  # 2026-01-01


def post(n: int, text: str, at: float) -> RedditItem:
    return RedditItem(
        id=f"t3_p{n}",
        kind="post",
        subreddit="stocks",
        author=f"author{n}",
        title=text,
        body="A long enough body about the company and its quarter, nothing more.",
        permalink=f"/r/stocks/comments/p{n}/",
        created_utc=at,
        num_comments=0,
    )


@dataclass
class MemoryStore:
    cursors: dict[str, ingest.Cursor] = field(default_factory=dict)
    items: dict[str, RedditItem] = field(default_factory=dict)

    versions: dict[str, datetime] = field(default_factory=dict)
    saves: int = 0

    def read_cursor(self, subreddit: str) -> ingest.Cursor:
        return replace(self.cursors.get(subreddit, ingest.Cursor()), version=self.versions.get(subreddit))

    def save_cursor(self, subreddit: str, cursor: ingest.Cursor, run_id: str) -> None:
        # As Firestore's conditional save: a run saves over the version it read. One that lost
        # it on the way would reconcile with its own start and bring back what it dropped.
        assert cursor.version == self.versions.get(subreddit), f"run {run_id} lost the version of its cursor"
        self.cursors[subreddit] = cursor
        self.saves += 1
        self.versions[subreddit] = datetime.fromtimestamp(self.saves, UTC)

    def stored_posts(self, posts: Iterable[RedditItem]) -> dict[str, ingest.StoredPost]:
        return {
            p.id: ingest.StoredPost(self.items[p.id].num_comments, self.items[p.id].created_utc, self.items[p.id].score)
            for p in posts
            if p.id in self.items
        }

    def existing_ids(self, items: Iterable[RedditItem]) -> set[str]:
        return {i.id for i in items if i.id in self.items}

    def save_items(self, new: Sequence[RedditItem], seen_again: Sequence[RedditItem]) -> int:
        created = [i for i in new if i.id not in self.items]
        self.items.update({i.id: i for i in created})
        for item in seen_again:  # a refresh writes the numbers, as fetch's store merges them
            if item.id in self.items:
                self.items[item.id] = self.items[item.id].model_copy(update={"num_comments": item.num_comments})
        return len(created)


@dataclass
class ListReddit:
    posts: list[RedditItem]
    refuse_comments: bool = False
    comments_down: bool = False  # Reddit does not serve the comment listing this run
    new_down: bool = False  # ... nor the new posts
    refuse_posts: bool = False  # with refuse_comments: the subreddit went private
    author_lookups: int = 0
    cap: int = 1000
    listed_comments: list[RedditItem] = field(default_factory=list)  # one page, newest first
    unreadable: list[str] = field(default_factory=list)  # listed things the adapter could not read

    def listing(
        self,
        subreddit: str,
        sort: str,
        *,
        newer_than: float = 0.0,
        max_items: int = 1000,
        page_size: int = 100,
        timeout: float | None = None,
        skipped: list[str] | None = None,
    ) -> list[ingest.ListedPost]:
        """Newest first, as Reddit pages them: the new listing ends with the first post at or
        behind the cursor (its page's end), or after ``cap`` posts, Reddit's own limit."""
        if self.refuse_comments and self.refuse_posts:
            raise ListingRefused("403 private")
        if self.new_down and sort == "new":
            raise RedditUnavailable("503 after retries")
        ordered = sorted(self.posts, key=lambda p: -p.created_utc)
        if sort == "new":
            newer = [p for p in ordered if p.created_utc > newer_than]
            ordered = (newer + [p for p in ordered if p.created_utc <= newer_than][:1])[: self.cap]
        if skipped is not None:
            skipped.extend(self.unreadable)
        return [ingest.ListedPost(p) for p in ordered]

    def comments(
        self,
        subreddit: str,
        *,
        newer_than: float = 0.0,
        max_items: int = 1000,
        timeout: float | None = None,
        skipped: list[str] | None = None,
    ) -> list[ingest.ListedComment]:
        if self.refuse_comments:
            raise ListingRefused("403 private")
        if self.comments_down:
            raise RedditUnavailable("503 after retries")
        return [ingest.ListedComment(c) for c in sorted(self.listed_comments, key=lambda c: -c.created_utc)]

    def threads(self, post_ids: Sequence[str], wanted: TreeRequest, *, timeout: float) -> list[Thread | Exception]:
        return [Thread(None, ()) for _ in post_ids]

    def authors(self, names: Mapping[str, str | None], *, timeout: float) -> dict[str, ingest.AuthorFacts | Exception]:
        self.author_lookups += len(names)
        return {n: ingest.AuthorFacts(n, created_utc=T0 - 86400 * 400, karma=10) for n in names}


@dataclass
class Recorder:
    published: list[Outgoing] = field(default_factory=list)
    fail: bool = False

    def publish_all(self, outgoing: Iterable[Outgoing], timeout: float = 60.0) -> list[str]:
        if self.fail:
            raise RuntimeError("pubsub down")
        sent = list(outgoing)
        self.published.extend(sent)
        return [str(i) for i in range(len(sent))]


SETTINGS = Settings(project_id="unit", fetch_listings=["new"], fetch_comment_trees_per_run=0)


def run(
    reddit: ListReddit,
    store: MemoryStore,
    publisher: Recorder,
    n: int = 1,
    *,
    days_later: float = 0.0,
    read_floor: float | None = None,
) -> FetchReport:
    return ingest_subreddit(
        SubredditFetch(run_id=f"run-{n}", subreddit="stocks", read_floor=read_floor),
        settings=SETTINGS,
        store=store,
        publisher=publisher,
        reddit=reddit,
        wall_now=T0 + 3600 + days_later * 86400,
    )


@dataclass
class Timed(ListReddit):
    """Records the time each kind of request was given."""

    given: dict[str, float] = field(default_factory=dict)

    def listing(self, subreddit: str, sort: str, **kwargs: Any) -> list[ingest.ListedPost]:
        self.given[f"listing:{sort}"] = kwargs["timeout"]
        return super().listing(subreddit, sort, **kwargs)

    def comments(self, subreddit: str, **kwargs: Any) -> list[ingest.ListedComment]:
        self.given["comments"] = kwargs["timeout"]
        return super().comments(subreddit, **kwargs)

    def authors(self, names: Mapping[str, str | None], *, timeout: float) -> dict[str, ingest.AuthorFacts | Exception]:
        self.given["authors"] = timeout
        return super().authors(names, timeout=timeout)


def mentioned(publisher: Recorder) -> dict[str, int]:
    return {
        o.message.ticker: len(o.message.mentions)
        for o in publisher.published
        if o.topic == topics.MENTIONS and isinstance(o.message, MentionBatch)
    }


def test_a_run_publishes_the_new_items_and_their_mentions_then_stores_them_and_moves_the_cursor() -> None:
    reddit = ListReddit([post(1, "NVDA earnings beat", T0), post(2, "Thoughts on $AMD?", T0 + 60)])
    store, publisher = MemoryStore(), Recorder()
    run(reddit, store, publisher)
    assert mentioned(publisher) == {"NVDA": 1, "AMD": 1}
    archived = [i.id for o in publisher.published if isinstance(o.message, ItemBatch) for i in o.message.items]
    assert sorted(archived) == ["t3_p1", "t3_p2"]
    assert set(store.items) == {"t3_p1", "t3_p2"}
    assert store.cursors["stocks"].newest_created_utc == T0 + 60
    assert reddit.author_lookups == 2  # the mentioning authors' ages, once


def test_the_post_cursor_moves_past_a_bots_newest_posts_and_nothing_of_theirs_is_published() -> None:
    """Else every run would page ``new`` back to the last person's post."""
    bot = post(3, "Daily discussion thread: NVDA", T0 + 120).model_copy(update={"author": "AutoModerator"})
    reddit = ListReddit([post(1, "NVDA earnings beat", T0), bot])
    store, publisher = MemoryStore(), Recorder()
    run(reddit, store, publisher)
    assert mentioned(publisher) == {"NVDA": 1}
    assert (store.cursors["stocks"].newest_created_utc, store.cursors["stocks"].newest_id) == (T0 + 120, "t3_p3")


def test_a_listed_thing_the_adapter_could_not_read_is_reported_and_the_run_completes() -> None:
    reddit = ListReddit([post(1, "NVDA earnings beat", T0), post(2, "Thoughts on $AMD?", T0 + 60)])
    reddit.unreadable = ["t3_bad"]
    store, publisher = MemoryStore(), Recorder()
    report = run(reddit, store, publisher)
    assert report.unreadable_items == ["t3_bad"] and report.malformed_listings == []
    assert mentioned(publisher) == {"NVDA": 1, "AMD": 1}
    assert store.cursors["stocks"].newest_created_utc == T0 + 60  # a run like any other


def test_a_repeated_run_publishes_nothing_and_looks_up_no_author_again() -> None:
    reddit = ListReddit([post(1, "NVDA earnings beat", T0)])
    store, publisher = MemoryStore(), Recorder()
    run(reddit, store, publisher)
    again = Recorder()
    run(reddit, store, again, n=2)
    assert again.published == []
    assert reddit.author_lookups == 1


def test_the_cursor_caches_the_looked_up_facts_until_they_expire_and_they_reach_later_mentions() -> None:
    reddit = ListReddit([post(1, "NVDA earnings beat", T0)])
    store = MemoryStore()
    run(reddit, store, Recorder())
    facts, expires = store.cursors["stocks"].authors["author1"]
    assert facts.karma == 10 and expires == T0 + 3600 + SETTINGS.author_cache_days * 86400
    reddit.posts.append(post(2, "NVDA again, same author", T0 + 60).model_copy(update={"author": "author1"}))
    publisher = Recorder()
    run(reddit, store, publisher, n=2)
    [batch] = [o.message for o in publisher.published if isinstance(o.message, MentionBatch)]
    assert batch.mentions[0].author_karma == 10 and reddit.author_lookups == 1  # from the cache
    reddit.posts.append(post(3, "NVDA a week on", T0 + 120).model_copy(update={"author": "author1"}))
    run(reddit, store, Recorder(), n=3, days_later=SETTINGS.author_cache_days)
    assert reddit.author_lookups == 2  # expired: looked up again, and cached again
    assert store.cursors["stocks"].authors["author1"][1] > expires


def test_nothing_is_stored_and_the_cursor_stays_when_publishing_fails() -> None:
    reddit = ListReddit([post(1, "NVDA earnings beat", T0)])
    store = MemoryStore()
    with pytest.raises(RuntimeError):
        run(reddit, store, Recorder(fail=True))
    assert store.items == {}
    assert "stocks" not in store.cursors
    publisher = Recorder()
    run(reddit, store, publisher, n=2)  # the next run sends what the failed one could not
    assert mentioned(publisher) == {"NVDA": 1}


def test_a_refused_comment_listing_keeps_the_posts_and_the_comment_cursor() -> None:
    reddit = ListReddit([post(1, "NVDA earnings beat", T0)], refuse_comments=True)
    store, publisher = MemoryStore(), Recorder()
    run(reddit, store, publisher)
    assert mentioned(publisher) == {"NVDA": 1}
    assert store.cursors["stocks"].comments_created_utc == 0.0


def test_a_word_like_ticker_the_subreddit_named_in_earlier_runs_counts_bare_in_a_later_one() -> None:
    june_2021 = 1_622_505_600.0  # WISH was listed then, and a meme
    named = [post(i, "$WISH is my biggest position, loading more", june_2021 + i * 60) for i in range(1, 4)]
    bare = post(9, "WISH is looking good today", june_2021 + 5 * 3600)  # hours later, in another run
    alone = Recorder()
    run(ListReddit([bare]), MemoryStore(), alone)
    assert mentioned(alone) == {}  # a bare "WISH" is a word to a reader who knows nothing else
    store, publisher = MemoryStore(), Recorder()
    run(ListReddit(named), store, publisher)
    later = Recorder()
    run(ListReddit([*named, bare]), store, later, n=2)
    assert mentioned(later) == {"WISH": 1}
    assert store.cursors["stocks"].community  # what the subreddit named is kept with the cursor
    a_day_later = post(10, "WISH is looking good today", june_2021 + 25 * 3600)
    after = Recorder()
    run(ListReddit([*named, bare, a_day_later]), store, after, n=3)
    assert mentioned(after) == {}  # the day has passed: a word again


def test_the_backtest_remembers_what_each_subreddit_named_across_hours_as_fetch_does() -> None:
    june_2021 = 1_622_505_600.0
    named = [post(i, "$WISH is my biggest position, loading more", june_2021 + i * 60) for i in range(1, 4)]
    bare = post(9, "WISH is looking good today", june_2021 + 5 * 3600)
    elsewhere = bare.model_copy(update={"id": "t3_p10", "subreddit": "investing"})
    replay = Replay()
    replay.hour(named)
    before = replay.mentions
    replay.hour([bare, elsewhere])
    assert replay.mentions == before + 1  # r/stocks named it; r/investing did not


def test_a_listing_that_cannot_reach_back_to_the_cursor_reports_what_may_be_unread() -> None:
    """After an outage more was written than Reddit lists (about 1,000): the cursor moves on,
    since no listing pages further back, and the span it could not read is reported."""
    store, publisher = MemoryStore(), Recorder()
    reddit = ListReddit([post(1, "NVDA earnings beat", T0)], cap=3)
    assert run(reddit, store, publisher, 1).unread_s == {}  # a first run reads what there is
    reddit.posts += [post(n, f"post {n} about $AMD", T0 + 60 * n) for n in range(2, 8)]
    assert run(reddit, store, publisher, 2).unread_s == {"new": 300.0}  # posts 2 to 4 never listed: T0 to T0 + 300
    reddit.posts.append(post(8, "one more", T0 + 480))
    assert run(reddit, store, publisher, 3).unread_s == {}


def reply(n: int, at: float) -> RedditItem:
    return RedditItem(
        id=f"t1_c{n}",
        kind="comment",
        subreddit="stocks",
        author=f"replier{n}",
        body=f"reply {n}: $NVDA looks strong into earnings, long here",
        permalink=f"/r/stocks/comments/p1/x/c{n}/",
        created_utc=at,
        parent_id="t3_p1",
        link_id="t3_p1",
    )


def test_a_comment_listed_after_the_cursor_passed_its_time_is_ingested_once() -> None:
    """A moderator approves a held comment: it reaches the listing behind the comment cursor.
    The store, not the cursor, says it was never ingested; those ingested before stay out."""
    store, publisher = MemoryStore(), Recorder()
    reddit = ListReddit([post(1, "NVDA earnings beat", T0)], listed_comments=[reply(1, T0 + 10), reply(2, T0 + 20)])
    run(reddit, store, publisher, 1)
    assert {"t1_c1", "t1_c2"} <= set(store.items)
    reddit.listed_comments += [reply(3, T0 + 5), reply(4, T0 + 30)]  # c3 approved late, c4 new
    before = len(publisher.published)
    run(reddit, store, publisher, 2)
    published = {
        i.id
        for o in publisher.published[before:]
        if o.topic == topics.REDDIT_ITEMS and isinstance(o.message, ItemBatch)
        for i in o.message.items
    }
    assert published == {"t1_c3", "t1_c4"}


def test_the_cursor_vouches_for_a_time_only_after_a_run_read_both_posts_and_comments_whole() -> None:
    """What dispatch's silence checks wait for: a run whose comment listing Reddit did not
    serve leaves comments unread behind it, so it moves ``read_through`` not at all."""
    store = MemoryStore()
    reddit = ListReddit([post(1, "NVDA earnings beat", T0)], listed_comments=[reply(1, T0 + 120)], comments_down=True)
    run(reddit, store, Recorder(), 1)
    assert store.cursors["stocks"].newest_created_utc == T0 and store.cursors["stocks"].read_through is None
    reddit.comments_down = False
    run(reddit, store, Recorder(), 2)
    assert store.cursors["stocks"].read_through == T0 + 120
    reddit.posts.append(post(2, "AMD next", T0 + 600))
    reddit.comments_down = True
    run(reddit, store, Recorder(), 3)
    assert store.cursors["stocks"].newest_created_utc == T0 + 600
    assert store.cursors["stocks"].read_through == T0 + 120  # the comments since are not read yet
    assert ingest.Cursor.from_doc(store.cursors["stocks"].to_doc()).read_through == T0 + 120


def test_a_quiet_subreddit_read_whole_counts_as_read_up_to_the_floor_dispatch_sent() -> None:
    """Its last item three days old, it would hold every silence check back three days;
    read after another subreddit had been read up to the floor, it shows everything written
    before that too. A run not read whole takes no floor."""
    store = MemoryStore()
    reddit = ListReddit([post(1, "NVDA earnings beat", T0 - 3 * 86400)], listed_comments=[])
    run(reddit, store, Recorder(), 1, read_floor=T0 + 3000)
    assert store.cursors["stocks"].read_through == T0 + 3000
    run(reddit, store, Recorder(), 2, read_floor=T0 - 86400)  # an older floor never moves it back
    assert store.cursors["stocks"].read_through == T0 + 3000
    reddit.comments_down = True
    run(reddit, store, Recorder(), 3, read_floor=T0 + 5000)
    assert store.cursors["stocks"].read_through == T0 + 3000
    reddit.comments_down = False  # a floor in milliseconds (published by hand) reads nothing ahead of the clock
    run(reddit, store, Recorder(), 4, read_floor=(T0 + 5000) * 1000)
    assert store.cursors["stocks"].read_through == T0 + 3600 + ingest.FUTURE_SKEW_S


def test_a_subreddit_read_whole_that_showed_nothing_says_so_until_a_run_is_not_read_whole() -> None:
    store = MemoryStore()
    reddit = ListReddit([])
    run(reddit, store, Recorder(), read_floor=T0)  # nothing shown: it holds nothing back, with or without a floor
    assert store.cursors["stocks"].read_through == 0.0
    reddit.posts.append(post(1, "NVDA earnings beat", T0))
    reddit.comments_down = True  # its first items, and its comments unread
    run(reddit, store, Recorder(), 2)
    assert store.cursors["stocks"].read_through is None


def test_a_subreddit_gone_private_holds_no_silence_check_back() -> None:
    """Its last items stay its positions, but nothing it shows can be late any more."""
    store = MemoryStore()
    reddit = ListReddit([post(1, "NVDA earnings beat", T0)], listed_comments=[reply(1, T0 + 120)])
    run(reddit, store, Recorder(), 1)
    assert store.cursors["stocks"].read_through == T0 + 120
    reddit.refuse_comments = reddit.refuse_posts = True
    run(reddit, store, Recorder(), 2)
    assert store.cursors["stocks"].read_through == 0.0
    assert store.cursors["stocks"].newest_created_utc == T0  # where the next readable run goes on from


def test_a_run_measures_the_pace_of_its_busiest_listing_and_a_cut_one_over_its_own_span() -> None:
    """The cursor carries how fast the subreddit writes, which sets how soon dispatch fetches
    it again: the comments here (4 a minute) outpace the posts; a listing Reddit cut at its cap
    shows its pace over the span it holds, not over the gap back to the cursor; a run that
    missed a listing keeps the pace, since the busy listing may be the one it missed."""
    store, publisher = MemoryStore(), Recorder()
    reddit = ListReddit([post(1, "NVDA earnings beat", T0), post(2, "a second post", T0 + 600)])
    reddit.listed_comments = [reply(n, T0 + 15 * n) for n in range(1, 41)]  # 39 gaps over 585 s
    run(reddit, store, publisher, 1)
    assert store.cursors["stocks"].pace == pytest.approx(39 / 585)
    assert store.cursors["stocks"].runs == ("run-1",)
    reddit = replace(reddit, cap=3, listed_comments=[])
    reddit.posts += [post(n, f"post {n} about $AMD", T0 + 600 + 10 * n) for n in range(3, 13)]
    run(reddit, store, publisher, 2)  # new posts every 10 s, three listed: 2 gaps over 20 s
    assert store.cursors["stocks"].pace == pytest.approx(2 / 20)
    reddit = replace(reddit, cap=1000)
    run(reddit, store, publisher, 3)  # nothing new: the pace halves
    assert store.cursors["stocks"].pace == pytest.approx(2 / 20 / 2)
    reddit = replace(reddit, comments_down=True)
    run(reddit, store, publisher, 4)  # the comments not served: most of it kept
    assert store.cursors["stocks"].pace == pytest.approx(2 / 20 / 2 * ingest.PACE_MEMORY_MISSED)
    assert list(store.cursors["stocks"].runs) == ["run-4", "run-3", "run-2", "run-1"]


def test_a_post_both_new_and_hot_list_counts_once_in_the_pace() -> None:
    store, publisher = MemoryStore(), Recorder()
    reddit = ListReddit([post(n, f"post {n}", T0 + 60 * n) for n in range(1, 11)])  # 9 gaps over 540 s
    ingest_subreddit(
        SubredditFetch(run_id="run-1", subreddit="stocks"),
        settings=replace_settings(fetch_listings=["new", "hot"]),
        store=store,
        publisher=publisher,
        reddit=reddit,
        wall_now=T0 + 3600,
    )
    assert store.cursors["stocks"].pace == pytest.approx(9 / 540)


def replace_settings(**changes: object) -> Settings:
    return SETTINGS.model_copy(update=changes)


def test_a_fetch_reads_reddit_only_until_dispatch_may_send_its_subreddit_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dispatch takes a run sent 540 s ago to be over and sends its subreddit again; a copy of
    the old one still queued or retrying must not be reading then, beside the new run, against
    Reddit's budget. Its reading is cut there, and one left too little time is acknowledged
    unread (the next run reads on from the cursor)."""
    from common.dispatching import AFTER_READING_S, FETCH_TIMEOUT_S, MIN_READING_S
    from common.entrypoint import Delivery
    from functions.fetch import main as fetch_main

    budgets: list[float | None] = []

    def recorded(*args: object, budget_s: float | None = None, **kwargs: object) -> FetchReport:
        budgets.append(budget_s)
        return FetchReport(subreddit="stocks")

    for name in ("get_reddit", "publisher_for", "reddit_config", "FirestoreStore"):
        monkeypatch.setattr(f"functions.fetch.main.{name}", _anything)
    monkeypatch.setattr("functions.fetch.main.ingest_subreddit", recorded)
    monkeypatch.setattr("functions.fetch.main.fs.get_client", _anything)
    settings = Settings(project_id="p")
    job = SubredditFetch(run_id="r1", subreddit="stocks", sent_at=T0)
    hold = FETCH_TIMEOUT_S - AFTER_READING_S  # reading ends here, so the run is done when the hold is
    for waited in (0.0, hold - 100, hold - MIN_READING_S + 1, FETCH_TIMEOUT_S + 1):
        monkeypatch.setattr("functions.fetch.main.time.time", lambda waited=waited: T0 + waited)
        fetch_main._process(job, Delivery("1"), settings)
    assert budgets == [settings.fetch_deadline_s, 100.0]  # the last two: acknowledged unread
    # no sent_at (sent before it existed, or by hand): the publish time stands in
    published = datetime.fromtimestamp(T0, UTC).isoformat().replace("+00:00", "Z")
    fetch_main._process(job.model_copy(update={"sent_at": None}), Delivery("2", publish_time=published), settings)
    assert len(budgets) == 2  # published long ago: unread
    fetch_main._process(job.model_copy(update={"sent_at": None}), Delivery("3"), settings)  # no publish time either
    assert budgets[-1] == settings.fetch_deadline_s
    # a deadline configured under the minimum is read whole, not refused every time
    short = Settings(project_id="p", FETCH_DEADLINE_S=20)
    monkeypatch.setattr("functions.fetch.main.time.time", lambda: T0)
    fetch_main._process(job, Delivery("4"), short)
    assert budgets[-1] == 20.0


def _anything(*args: object, **kwargs: object) -> None:
    return None


def test_the_listings_leave_the_author_lookups_a_share_of_the_runs_time() -> None:
    """Throttled listings must not spend the whole deadline: the lookups after them give the
    mentions their account ages, which a later run never adds."""
    from functions.fetch.main import AUTHOR_LOOKUP_SHARE

    reddit = Timed([post(1, "NVDA earnings beat", T0)])
    run(reddit, MemoryStore(), Recorder())
    budget = SETTINGS.fetch_deadline_s
    reading = [v for k, v in reddit.given.items() if k != "authors"]
    assert reading and max(reading) <= budget * (1 - AUTHOR_LOOKUP_SHARE)
    assert reddit.given["authors"] > budget * (1 - AUTHOR_LOOKUP_SHARE)  # the reserve is the lookups'


@dataclass
class TreesDown(ListReddit):
    def threads(self, post_ids: Sequence[str], wanted: TreeRequest, *, timeout: float) -> list[Thread | Exception]:
        return [RuntimeError("tree refused") for _ in post_ids]


def test_a_failed_comment_tree_is_reported_apart_from_an_unread_comment_listing() -> None:
    """The comment listing was read (the cursor moves on); only a tree failed: the report
    must not say "comments", which means the listing was not read."""
    busy = post(1, "NVDA earnings beat", T0).model_copy(update={"num_comments": 50})
    report = ingest_subreddit(
        SubredditFetch(run_id="run-1", subreddit="stocks"),
        settings=SETTINGS.model_copy(update={"fetch_comment_trees_per_run": 1}),
        store=MemoryStore(),
        publisher=Recorder(),
        reddit=TreesDown([busy], listed_comments=[reply(1, T0 + 120)]),
        wall_now=T0 + 3600,
    )
    assert report.failed_trees == 1 and report.unavailable == ["comment trees"]


class TreesUnavailable(ListReddit):
    def threads(self, post_ids: Sequence[str], wanted: TreeRequest, *, timeout: float) -> list[Thread | Exception]:
        return [RedditUnavailable("503 after retries") for _ in post_ids]


@dataclass
class TreesCounted(ListReddit):
    asked: list[str] = field(default_factory=list)

    def threads(self, post_ids: Sequence[str], wanted: TreeRequest, *, timeout: float) -> list[Thread | Exception]:
        self.asked.extend(post_ids)
        return super().threads(post_ids, wanted, timeout=timeout)


def test_a_stored_post_whose_tree_failed_keeps_its_stored_count_so_the_next_run_asks_again() -> None:
    """Its growth is what asked for the tree: written back as listed, it would be spent, and
    the tree asked again only after as many more comments."""
    stored = post(1, "NVDA earnings beat", T0).model_copy(update={"num_comments": 10})
    busy = stored.model_copy(update={"num_comments": 50})
    store = MemoryStore(items={stored.id: stored})
    trees = SETTINGS.model_copy(update={"fetch_comment_trees_per_run": 1})

    def fetch(n: int, reddit: ListReddit) -> FetchReport:
        job = SubredditFetch(run_id=f"run-{n}", subreddit="stocks")
        return ingest_subreddit(
            job, settings=trees, store=store, publisher=Recorder(), reddit=reddit, wall_now=T0 + 3600
        )

    report = fetch(1, TreesUnavailable([busy]))
    assert report.failed_trees == 1 and store.items[stored.id].num_comments == 10
    again = TreesCounted([busy])
    fetch(2, again)
    assert again.asked == [stored.id]
    # a tree that cannot be read at all would be asked for every run: its growth is spent
    report = fetch(3, TreesDown([busy.model_copy(update={"num_comments": 90})]))
    assert report.failed_trees == 1 and store.items[stored.id].num_comments == 90


def test_only_a_run_reddit_served_no_newest_first_listing_counts_towards_sending_it_less_often() -> None:
    """The posts served while the comments keep failing: sent less often, the posts' listing
    would overflow between runs, and what it cannot hold is lost."""
    store, posts = MemoryStore(), [post(1, "NVDA earnings beat", T0)]
    run(ListReddit(posts, comments_down=True), store, Recorder())
    assert store.cursors["stocks"].unserved_runs == 0
    run(ListReddit(posts, comments_down=True, new_down=True), store, Recorder(), 2)
    run(ListReddit(posts, comments_down=True, new_down=True), store, Recorder(), 3)
    assert store.cursors["stocks"].unserved_runs == 2
    run(ListReddit(posts), store, Recorder(), 4)
    assert store.cursors["stocks"].unserved_runs == 0


@pytest.mark.parametrize("value", ["", "New,hot", "nwe", "comments", "new,rising"])
def test_a_listing_setting_fetch_cannot_read_fails_at_start(value: str) -> None:
    """Passed on, asyncpraw reads a misspelled listing as a bad answer on every run: posts stop
    moving the cursor and every silence check stands still, with only warnings to show."""
    with pytest.raises(ValidationError, match="FETCH_LISTINGS"):
        Settings(FETCH_LISTINGS=value)
    assert Settings(FETCH_LISTINGS=" hot , new,hot").fetch_listings == ("hot", "new")
