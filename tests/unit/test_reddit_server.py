"""The local Reddit as asyncpraw sees it (through the real adapter and real HTTP), and the
adapter's behaviour when Reddit misbehaves."""

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpraw
import pytest

from common.adapters import reddit as reddit_adapter
from common.adapters.reddit import (
    MalformedListing,
    RedditClient,
    RedditConfig,
    RedditUnavailable,
    RetryingRequestor,
    RetryPolicy,
    Thread,
    TreeRequest,
)
from common.ingest import AuthorFacts, keep_comment
from common.messages import RedditItem
from devtools.reddit import serve_in_thread
from emulators.reddit.corpus import Corpus, account_fullname, listing
from emulators.reddit.server import Fault, Replay, load_corpus
from tests.support.small_corpus import SMALL, T0


@pytest.fixture
def server() -> Iterator[tuple[str, Replay]]:
    replay = Replay()
    load_corpus(replay, str(SMALL), "start")
    with serve_in_thread(replay) as running:
        yield running


@pytest.fixture
def client(server: tuple[str, Replay]) -> Iterator[RedditClient]:
    url, _ = server
    reddit = RedditClient(
        RedditConfig(
            "test-id", "test-secret", "akleao-tests/0.1", oauth_url=url, reddit_url=url, timeout=2.0,
            policy=RetryPolicy(retries=2, base_delay=0.01, max_wait=5),
        )
    )  # fmt: skip
    yield reddit
    reddit.close()


def test_new_is_newest_first_pages_with_after_and_hides_the_future(
    server: tuple[str, Replay], client: RedditClient
) -> None:
    _, replay = server
    posts = client.listing("wallstreetbets", "new", page_size=3)
    ids = [p.item.id for p in posts]
    assert ids == ["t3_busy", "t3_nmis", "t3_nsus", "t3_bot1", "t3_gone1", "t3_dd1", "t3_daily"]
    assert replay.stats["listing_new"] == 3  # 7 posts in pages of 3
    assert all(p.item.created_utc <= replay.now for p in posts)


def test_moving_the_clock_forward_reveals_later_posts(server: tuple[str, Replay], client: RedditClient) -> None:
    _, replay = server
    replay.now = T0 + 7200
    assert client.listing("wallstreetbets", "new")[0].item.id == "t3_late1"


def test_paging_stops_once_a_page_reaches_the_cursor(server: tuple[str, Replay], client: RedditClient) -> None:
    _, replay = server
    client.listing("wallstreetbets", "new", page_size=2, newer_than=T0 + 500)
    assert replay.stats["listing_new"] == 2


def test_posts_carry_their_author_flair_stickiness_and_deleted_authors_are_none(client: RedditClient) -> None:
    posts = {p.item.id: p for p in client.listing("wallstreetbets", "hot")}
    assert posts["t3_dd1"].item.author == "alice"
    assert posts["t3_dd1"].item.flair == "DD"
    assert posts["t3_daily"].stickied
    assert posts["t3_gone1"].item.author is None
    assert posts["t3_dd1"].author_id == account_fullname("alice") and posts["t3_gone1"].author_id is None


def test_a_thread_returns_top_comments_and_replace_more_fills_what_bots_took(
    server: tuple[str, Replay], client: RedditClient
) -> None:
    _, replay = server
    [thread] = client.threads(["t3_busy"], TreeRequest(20, 1, lambda c: keep_comment(c, ())), timeout=10)
    assert isinstance(thread, Thread)
    assert thread.post is not None and thread.post.item.num_comments == 38
    assert thread.comments[0].author == "AutoModerator"  # score 1000: first under sort=top
    assert {c.id for c in thread.comments} >= {f"t1_b{i:02d}" for i in range(25)}
    assert replay.stats["morechildren"] == 1


def test_a_thread_that_is_gone_is_empty_rather_than_an_error(client: RedditClient) -> None:
    [thread] = client.threads(["t3_nothere"], TreeRequest(20, 0, lambda c: True), timeout=10)
    assert thread == Thread(None, ())


def test_author_facts_come_a_hundred_accounts_per_request_and_only_the_missing_cost_a_profile(
    server: tuple[str, Replay], client: RedditClient
) -> None:
    _, replay = server
    names = ["bob", "frank", "ghost_user"]
    facts = client.authors({n: account_fullname(n) for n in names}, timeout=10)
    bob = facts["bob"]
    assert not isinstance(bob, Exception)
    assert (bob.created_utc, bob.karma) == (T0 - 3 * 86400, 4)
    assert facts["frank"] == type(bob)("frank", suspended=True)  # left out of the batch ...
    assert facts["ghost_user"] == type(bob)("ghost_user", found=False)  # ... so told apart by profile
    assert (replay.stats["user_data"], replay.stats["user_about"]) == (1, 2)


def test_two_hundred_fifty_authors_cost_three_batched_requests(
    server: tuple[str, Replay], client: RedditClient
) -> None:
    _, replay = server
    names = [f"u{i}" for i in range(250)]
    accounts = [{"name": n, "created_utc": T0 - i, "link_karma": i, "comment_karma": 1} for i, n in enumerate(names)]
    replay.corpus = Corpus.from_records([], accounts)
    facts = client.authors({n: account_fullname(n) for n in names}, timeout=10)
    assert {n: (f.created_utc, f.karma) for n, f in facts.items() if not isinstance(f, Exception)} == {
        f"u{i}": (T0 - i, i + 1) for i in range(250)
    }
    assert (replay.stats["user_data"], replay.stats["user_about"]) == (3, 0)


def test_profile_lookups_are_bounded_per_run_and_the_rest_wait_for_the_next(
    server: tuple[str, Replay], client: RedditClient
) -> None:
    """A spam wave's suspended accounts, each left out of the batch, each a profile request:
    they would spend the request budget every subreddit shares."""
    from common.adapters.reddit import PROFILES_PER_LOOKUP

    _, replay = server
    names = [f"gone{i}" for i in range(PROFILES_PER_LOOKUP + 30)]
    facts = client.authors({n: account_fullname(n) for n in names}, timeout=30)
    assert replay.stats["user_about"] == PROFILES_PER_LOOKUP
    assert sum(isinstance(f, RedditUnavailable) for f in facts.values()) == 30  # not cached: asked again later
    assert sum(isinstance(f, AuthorFacts) and not f.found for f in facts.values()) == PROFILES_PER_LOOKUP


def test_an_author_without_a_fullname_is_looked_up_by_profile(server: tuple[str, Replay], client: RedditClient) -> None:
    _, replay = server
    facts = client.authors({"alice": None}, timeout=10)
    assert facts == {"alice": AuthorFacts("alice", created_utc=1_400_000_000.0, karma=25_000)}
    assert (replay.stats["user_data"], replay.stats["user_about"]) == (0, 1)


def test_the_batched_lookup_answers_like_reddit(server: tuple[str, Replay]) -> None:
    _, replay = server
    answer = replay.corpus.user_data([account_fullname("alice"), account_fullname("frank"), "t2_nobody"])
    assert list(answer) == [account_fullname("alice")]  # suspended and unknown accounts are left out
    assert answer[account_fullname("alice")]["name"] == "alice"
    assert {"created_utc", "link_karma", "comment_karma", "profile_img", "profile_over_18"} <= set(
        answer[account_fullname("alice")]
    )


def test_an_authors_file_may_name_the_fullname_itself() -> None:
    corpus = Corpus.from_records([], [{"name": "Zed", "id": "t2_abc", "created_utc": T0}])
    assert corpus.fullname_of("zed") == "t2_abc" and list(corpus.user_data(["t2_abc"])) == ["t2_abc"]
    assert account_fullname("Bob") == account_fullname("bob") != account_fullname("carol")


def test_the_comment_listing_is_newest_first_with_thread_context_and_stops_at_the_cursor(
    server: tuple[str, Replay], client: RedditClient
) -> None:
    _, replay = server
    comments = client.comments("wallstreetbets")
    assert [c.item.id for c in comments[:3]] == ["t1_deep11", "t1_deep10", "t1_deep9"]
    assert len(comments) == 42 and replay.stats["listing_comments"] == 1  # one request per 100
    by_id = {c.item.id: c for c in comments}
    assert by_id["t1_c1c"].link_title == "$GME squeeze thesis"
    assert (by_id["t1_c1c"].item.parent_id, by_id["t1_c1c"].item.link_id) == ("t1_c1a", "t3_dd1")
    assert by_id["t1_c1a"].author_id == account_fullname("bob")
    assert by_id["t1_c1b"].item.author is None and by_id["t1_c1b"].author_id is None
    replay.now = T0 + 7200
    replay.stats.clear()
    later = client.comments("wallstreetbets", newer_than=T0 + 1000, max_items=1000)
    assert [c.item.id for c in later][:2] == ["t1_c1e", "t1_l1a"]
    assert replay.stats["listing_comments"] == 1


def test_reddit_endpoints_refuse_requests_without_a_token(server: tuple[str, Replay]) -> None:
    url, _ = server
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}/r/wallstreetbets/new", timeout=5)
    assert refused.value.code == 401


def test_a_429_is_retried_after_the_wait_reddit_asks_for() -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    replay = Replay()
    load_corpus(replay, str(SMALL), "start")
    replay.faults.append(
        Fault("/r/stocks/new", status=429, headers={"retry-after": "7", "x-ratelimit-remaining": "0"}, times=1)
    )
    with serve_in_thread(replay) as (url, _):

        async def read() -> list[str]:
            reddit = asyncpraw.Reddit(
                client_id="i",
                client_secret="s",
                user_agent="akleao-tests/0.1",
                oauth_url=url,
                reddit_url=url,
                requestor_class=RetryingRequestor,
                requestor_kwargs={"policy": RetryPolicy(retries=3), "sleep": record},
            )
            try:
                sub = await reddit.subreddit("stocks")
                return [s.id async for s in sub.new(limit=10)]
            finally:
                await reddit.close()

        ids = asyncio.run(read())
    assert ids == ["stk1"]
    assert waits == [7.0]


def test_a_429_retried_holds_off_the_clients_other_requests_for_its_wait() -> None:
    """The trees and author lookups sent beside a listing that met a 429 would meet one too,
    and add to what Reddit counts: they wait the same pause before sending."""
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    replay = Replay()
    load_corpus(replay, str(SMALL), "start")
    replay.faults.append(Fault("/r/stocks/new", status=429, headers={"retry-after": "7"}, times=1))
    with serve_in_thread(replay) as (url, _):

        async def scenario() -> list[list[str]]:
            reddit = asyncpraw.Reddit(
                client_id="i", client_secret="s", user_agent="akleao-tests/0.1", oauth_url=url, reddit_url=url,
                requestor_class=RetryingRequestor,
                requestor_kwargs={"policy": RetryPolicy(retries=3), "sleep": record, "clock": lambda: 1000.0},
            )  # fmt: skip
            try:
                out = []
                for _ in range(2):  # the clock stands still: the pause is not over for the second
                    sub = await reddit.subreddit("stocks")
                    out.append([s.id async for s in sub.new(limit=10)])
                return out
            finally:
                await reddit.close()

        got = asyncio.run(scenario())
    assert got == [["stk1"], ["stk1"]]
    assert waits == [7.0, 7.0]  # the retry's wait, then the next request's hold-off


def test_a_429_given_up_on_that_asked_no_wait_refuses_the_runs_next_requests_at_once() -> None:
    """Reddit is throttling us and said nothing of how long: the trees and author lookups
    after the listing fail at once (the next run goes on from the cursor) rather than sleep
    through the run's deadline and then send into the same throttling."""
    waits: list[float] = []
    now = [1000.0]

    async def record(seconds: float) -> None:
        waits.append(seconds)

    replay = Replay()
    load_corpus(replay, str(SMALL), "start")
    replay.faults.append(Fault("/r/stocks/new", status=429, times=1))
    with serve_in_thread(replay) as (url, _):

        async def scenario() -> tuple[list[type[Exception]], list[int]]:
            reddit = asyncpraw.Reddit(
                client_id="i", client_secret="s", user_agent="akleao-tests/0.1", oauth_url=url, reddit_url=url,
                requestor_class=RetryingRequestor,
                requestor_kwargs={"policy": RetryPolicy(retries=0), "sleep": record, "clock": lambda: now[0]},
            )  # fmt: skip
            errors: list[type[Exception]] = []
            counts: list[int] = []
            try:
                for _ in range(2):
                    try:
                        sub = await reddit.subreddit("stocks")
                        [s.id async for s in sub.new(limit=10)]
                    except Exception as exc:
                        errors.append(type(exc))
                    counts.append(replay.stats["reddit_requests"])
                    now[0] += 5.0  # the trees come a few seconds after the listing
                return errors, counts
            finally:
                await reddit.close()

        errors, counts = asyncio.run(scenario())
    assert errors[1] is RedditUnavailable and waits == []  # refused, not slept on
    assert counts[1] == counts[0]  # the second read sent nothing


def test_a_429_given_up_on_pauses_every_request_for_the_time_reddit_asked() -> None:
    """Given up on (asking longer than a wait may be), the 429 never reaches asyncprawcore's
    rate limiter: the requestor keeps the pause, and sends nothing until it is over."""
    now = [1000.0]
    replay = Replay()
    load_corpus(replay, str(SMALL), "start")
    replay.faults.append(Fault("/r/stocks/new", status=429, headers={"retry-after": "120"}, times=1))
    with serve_in_thread(replay) as (url, _):

        async def read(subreddit: str, reddit: asyncpraw.Reddit) -> list[str]:
            sub = await reddit.subreddit(subreddit)
            return [s.id async for s in sub.new(limit=10)]

        async def scenario() -> tuple[type[Exception], type[Exception], list[str], int, int]:
            reddit = asyncpraw.Reddit(
                client_id="i", client_secret="s", user_agent="akleao-tests/0.1", oauth_url=url, reddit_url=url,
                requestor_class=RetryingRequestor,
                requestor_kwargs={"policy": RetryPolicy(retries=3, max_wait=60), "clock": lambda: now[0]},
            )  # fmt: skip
            try:
                errors: list[type[Exception]] = []
                counts: list[int] = []
                for _ in range(2):
                    try:
                        await read("stocks", reddit)
                    except Exception as exc:
                        errors.append(type(exc))
                    counts.append(replay.stats["reddit_requests"])
                assert counts[1] == counts[0]  # the second read sent nothing
                now[0] += 121  # the pause is over
                return errors[0], errors[1], await read("stocks", reddit), counts[1], replay.stats["reddit_requests"]
            finally:
                await reddit.close()

        first, second, ids, sent, after = asyncio.run(scenario())
    assert first is not RedditUnavailable  # the 429 itself, as asyncpraw raises it
    assert second is RedditUnavailable  # the next request, sent nowhere
    assert ids == ["stk1"] and after > sent


@pytest.mark.parametrize("status", [503, 408])  # 408: asyncprawcore would retry it again on its own
def test_server_errors_beyond_the_retry_budget_become_reddit_unavailable(
    server: tuple[str, Replay], client: RedditClient, status: int
) -> None:
    _, replay = server
    replay.faults.append(Fault("/comments/busy", status=status, times=10))
    results = client.threads(["t3_busy", "t3_dd1"], TreeRequest(20, 0, lambda c: True), timeout=10)
    assert isinstance(results[0], RedditUnavailable)
    assert isinstance(results[1], Thread)
    assert client.retried == 2  # our retries only, not multiplied by the library's
    assert replay.faults[-1].times == 10 - 3  # three requests reached Reddit: the first and two retries


def test_a_malformed_listing_is_reported_as_such(server: tuple[str, Replay], client: RedditClient) -> None:
    _, replay = server
    replay.faults.append(Fault.from_json({"path": "/r/wallstreetbets/new", "malformed": True}))
    with pytest.raises(MalformedListing):
        client.listing("wallstreetbets", "new")
    replay.faults.append(Fault("/r/wallstreetbets/new", status=200, body=json.dumps({"surprise": True})))
    with pytest.raises(MalformedListing):
        client.listing("wallstreetbets", "new")


def test_a_post_or_comment_that_reads_as_none_is_left_out_named_and_the_rest_of_its_listing_kept(
    server: tuple[str, Replay], client: RedditClient
) -> None:
    _, replay = server
    posts = [
        replay.corpus.post_thing(p, replay.now)
        for p in replay.corpus.listing_posts("wallstreetbets", "new", replay.now)
    ]
    posts[1]["data"]["created_utc"] = "soon"  # no time at all
    replay.faults.append(Fault("/r/wallstreetbets/new", status=200, body=json.dumps(listing(posts))))
    skipped: list[str] = []
    read = client.listing("wallstreetbets", "new", skipped=skipped)
    assert [p.item.id for p in read] == ["t3_busy", "t3_nsus", "t3_bot1", "t3_gone1", "t3_dd1", "t3_daily"]
    assert skipped == ["t3_nmis"]

    comments = [
        replay.corpus.listed_comment_thing(c) for c in replay.corpus.listing_comments("wallstreetbets", replay.now)
    ]
    del comments[0]["data"]["permalink"]
    replay.faults.append(Fault("/r/wallstreetbets/comments", status=200, body=json.dumps(listing(comments))))
    skipped.clear()
    kept = client.comments("wallstreetbets", skipped=skipped)
    assert len(kept) == len(comments) - 1 and skipped == [comments[0]["data"]["name"]]


def test_a_comment_of_a_thread_that_reads_as_none_is_left_out_and_the_thread_kept(
    client: RedditClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = client.threads(["t3_dd1"], TreeRequest(20, 0, lambda c: True), timeout=10)[0]
    assert isinstance(whole, Thread) and len(whole.comments) >= 2
    bad = whole.comments[0].id
    real = reddit_adapter.comment_from

    def strict(comment: Any) -> RedditItem:
        if f"t1_{comment.id}" == bad:
            RedditItem.model_validate({})  # as Reddit's answer for it would fail
        return real(comment)

    monkeypatch.setattr(reddit_adapter, "comment_from", strict)
    [thread] = client.threads(["t3_dd1"], TreeRequest(20, 0, lambda c: True), timeout=10)
    assert isinstance(thread, Thread) and thread.post is not None
    assert [c.id for c in thread.comments] == [c.id for c in whole.comments if c.id != bad]


def test_a_reddit_that_does_not_answer_in_time_is_unavailable(server: tuple[str, Replay], client: RedditClient) -> None:
    _, replay = server
    replay.faults.append(Fault("/r/stocks/new", status=200, delay=3.0, times=10))  # every attempt
    with pytest.raises(RedditUnavailable):
        client.listing("stocks", "new")
    assert client.retried == reddit_adapter.TRANSPORT_RETRIES  # ours only: asyncprawcore adds none


def test_one_request_that_times_out_is_tried_again_and_the_listing_served(
    server: tuple[str, Replay], client: RedditClient
) -> None:
    _, replay = server
    replay.faults.append(Fault("/r/stocks/new", status=200, delay=3.0, times=1))  # over the 2 s timeout once
    assert client.listing("stocks", "new")
    assert client.retried == 1


@pytest.mark.parametrize(
    ("status", "expected"),
    [(524, RedditUnavailable), (401, RedditUnavailable), (409, MalformedListing)],
)
def test_a_status_asyncprawcore_has_no_name_for_ends_one_thread_not_the_run(
    server: tuple[str, Replay], client: RedditClient, status: int, expected: type[Exception]
) -> None:
    _, replay = server
    replay.faults.append(Fault("/comments/odd", status=status, times=10))
    results = client.threads(["t3_odd", "t3_dd1"], TreeRequest(20, 0, lambda c: True), timeout=10)
    assert isinstance(results[0], expected), results[0]
    assert isinstance(results[1], Thread)


def test_the_admin_endpoints_move_the_clock_and_count_requests(server: tuple[str, Replay]) -> None:
    url, replay = server
    request = urllib.request.Request(f"{url}/_replay/clock", data=b'{"advance": 60}', method="POST")
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert json.loads(answer.read())["now"] == T0 + 1060
    replay.stats["listing_new"] += 2
    with urllib.request.urlopen(f"{url}/_replay/stats", timeout=5) as answer:
        assert json.loads(answer.read())["listing_new"] == 2


def test_without_local_urls_the_same_client_reads_real_reddit() -> None:
    client = RedditClient(RedditConfig("real-id", "real-secret", "akleao-tests/0.1"))

    async def endpoints() -> tuple[str, str]:
        reddit = client._client()
        return reddit.config.oauth_url, reddit.config.reddit_url

    try:
        assert client.run(endpoints()) == ("https://oauth.reddit.com", "https://www.reddit.com")
    finally:
        client.close()


def test_a_replayed_item_has_a_page_its_evidence_link_opens(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    item = {
        "id": "t3_abc", "kind": "post", "subreddit": "stocks", "author": None, "title": "NTLA <b>DD</b>",
        "body": "long thesis", "permalink": "/r/stocks/comments/abc/ntla_dd/", "created_utc": 1767225600.0,
    }  # fmt: skip
    (corpus / "items.jsonl").write_text(json.dumps(item) + "\n")
    (corpus / "authors.jsonl").write_text("")
    with serve_in_thread() as (url, replay):
        load_corpus(replay, str(corpus), None)
        with urllib.request.urlopen(f"{url}/_replay/page/r/stocks/comments/abc/ntla_dd/", timeout=5) as response:
            page = response.read().decode()
        assert "NTLA &lt;b&gt;DD&lt;/b&gt;" in page and "long thesis" in page and "[deleted]" in page
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{url}/_replay/page/r/stocks/comments/zzz/", timeout=5)
        assert missing.value.code == 404


def test_a_bug_in_our_own_reading_code_raises_instead_of_passing_for_bad_data(
    server: tuple[str, Replay], client: RedditClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A malformed answer skips a listing; our own mistake must not, or the cursor would pin
    on that listing forever with nothing but a 'malformed' line in the log."""
    from common.adapters import reddit

    def broken(submission: object) -> object:
        fields: dict[str, object] = {}
        return fields["a bug"]

    monkeypatch.setattr(reddit, "post_from", broken)
    with pytest.raises(KeyError):
        client.listing("wallstreetbets", "new")


@pytest.mark.timeout(30)  # a hang guard only
def test_a_listing_not_served_within_its_time_is_unavailable_not_waited_for(server: tuple[str, Replay]) -> None:
    """asyncprawcore waits out a spent rate-limit window (up to ten minutes) and a slow page
    as long as the request timeout allows: a run's listing gives up at the run's deadline.
    The page comes after 8 s, within the client's 16 s request timeout: had the listing
    waited for it, it would have returned the page instead of raising."""
    url, replay = server
    replay.faults.append(Fault("/r/wallstreetbets/new", status=200, delay=8.0))
    patient = RedditClient(RedditConfig("test-id", "test-secret", "akleao-tests/0.1", oauth_url=url, reddit_url=url))
    assert patient.config.timeout > 8.0
    try:
        with pytest.raises(RedditUnavailable):
            patient.listing("wallstreetbets", "new", timeout=0.5)
    finally:
        patient.close()


def test_a_reply_chain_thousands_deep_is_counted_not_a_recursion_error() -> None:
    post = {"id": "t3_deep", "kind": "post", "subreddit": "stocks", "created_utc": T0, "title": "x", "author": "a"}
    chain = [
        {"id": f"t1_r{i}", "kind": "comment", "subreddit": "stocks", "created_utc": T0 + i + 1, "author": "a",
         "parent_id": "t3_deep" if i == 0 else f"t1_r{i - 1}", "link_id": "t3_deep", "body": "y"}
        for i in range(3000)
    ]  # fmt: skip
    corpus = Corpus.from_records([post, *chain], [])
    assert corpus.num_comments(post, now=T0 + 10_000) == 3000
    assert corpus.num_comments(post, now=T0 + 100.5) == 100  # only what had been written by then


def test_a_comment_whose_parent_the_corpus_lacks_still_counts_in_its_thread() -> None:
    post = {"id": "t3_p", "kind": "post", "subreddit": "stocks", "created_utc": T0, "title": "x", "author": "a",
            "num_comments": 40}  # fmt: skip
    orphan = {"id": "t1_o", "kind": "comment", "subreddit": "stocks", "created_utc": T0 + 1, "author": "b",
              "parent_id": "t1_gone", "link_id": "t3_p", "body": "y"}  # fmt: skip
    top = {**orphan, "id": "t1_t", "parent_id": "t3_p"}
    assert Corpus.from_records([post, orphan], []).num_comments(post, now=T0 + 10) == 1
    assert Corpus.from_records([post, orphan, top, top], []).num_comments(post, now=T0 + 10) == 2  # a copy once
    assert Corpus.from_records([post], []).num_comments(post, now=T0 + 10) == 40  # none held: as recorded


def test_an_id_a_hand_made_corpus_repeats_is_served_once() -> None:
    """Listed twice in /new and twice in its thread, the second copy was served beside the
    first (the importer never writes one; a corpus made by hand or by another tool may)."""
    post = {"id": "t3_rep", "kind": "post", "subreddit": "stocks", "title": "GME", "created_utc": T0}
    reply = {"id": "t1_rep", "kind": "comment", "subreddit": "stocks", "parent_id": "t3_rep", "created_utc": T0 + 1}
    corpus = Corpus.from_records([post, reply, dict(post), dict(reply)], [])
    assert corpus.size == 2
    assert [p["id"] for p in corpus.listing_posts("stocks", "new", T0 + 10)] == ["t3_rep"]
    assert [c["id"] for c in corpus.listing_comments("stocks", T0 + 10)] == ["t1_rep"]
    assert len(corpus.visible_children("t3_rep", T0 + 10)) == 1


def test_the_rate_limit_headers_count_the_requests_of_the_window_only() -> None:
    """As Reddit's do: a count carried over from earlier windows made asyncprawcore wait up to
    ten seconds a request once thousands had been made, every window after the first."""
    from emulators.reddit.server import RATELIMIT_WINDOW, Replay

    replay = Replay()
    replay.stats["reddit_requests"] = replay.window_used = 5000
    replay.window_started -= RATELIMIT_WINDOW + 1
    headers = replay.ratelimit_headers()
    assert headers["x-ratelimit-used"] == "0" and headers["x-ratelimit-reset"] == str(int(RATELIMIT_WINDOW))
    assert replay.stats["reddit_requests"] == 5000  # the run's own total stays
