"""fetch: one ``subreddit-fetches`` message in; new posts and comments stored, archived and
turned into per-ticker mention batches out.

Reddit requests are the scarce resource, so everything comes from batched reads: posts
from ``new``/``hot``, comments from ``/r/{sub}/comments`` (both 100 per request, read back
to the subreddit's cursors), account facts 100 per request; comment trees only for the few
busiest young posts (``FETCH_COMMENT_TREES_PER_RUN``). Firestore operations are the other
cost, so a run reads and writes its cursor document once and names its items in one
``posts/`` document per subreddit and hour they were created in: the cursor vouches for
what is new without reading it back, remembers the recent posts' numbers, and caches the
authors' account facts.

Order matters for at-least-once: everything is published first, then stored, then the
cursors move. A crash before the store re-reads and re-emits the same items next time
(the aggregator and the archive dedupe per item); nothing is ever stored unpublished. A
listing Reddit fails to serve (after the retries, or by the run's deadline) leaves its cursor where it was, so the
next run reads that stretch again; a failed tree or author lookup only loses its extra
(and facts looked up by a run that fails before its cursor moves are looked up again).
"""

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from common import extraction, ingest, log, topics
from common.adapters import firestore as fs
from common.adapters.pubsub import Outgoing
from common.adapters.reddit import (
    ListingRefused,
    MalformedListing,
    RedditConfig,
    RedditUnavailable,
    RetryPolicy,
    TreeRequest,
)
from common.adapters.reddit import Thread as RedditThread
from common.adapters.reddit import get_client as get_reddit
from common.dispatching import MIN_READING_S, reading_time
from common.entrypoint import Delivery, publisher_for, pubsub_function
from common.messages import RedditItem, SubredditFetch, item_batches
from common.reports import FetchReport
from common.settings import Settings
from common.timekeys import published_at
from functions.fetch.store import FetchStore, FirestoreStore

logger = log.get_logger(__name__)

# The share of FETCH_DEADLINE_S kept for the author lookups (account ages: the new-account
# signal of pump risk) after the listings and trees.
AUTHOR_LOOKUP_SHARE = 0.2


class Reddit(Protocol):
    """The Reddit reads a run makes (:class:`common.adapters.reddit.RedditClient`)."""

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
    ) -> list[ingest.ListedPost]: ...
    def comments(
        self,
        subreddit: str,
        *,
        newer_than: float = 0.0,
        max_items: int = 1000,
        timeout: float | None = None,
        skipped: list[str] | None = None,
    ) -> list[ingest.ListedComment]: ...
    def threads(
        self, post_ids: Sequence[str], wanted: TreeRequest, *, timeout: float
    ) -> list[RedditThread | Exception]: ...
    def authors(
        self, names: Mapping[str, str | None], *, timeout: float
    ) -> dict[str, ingest.AuthorFacts | Exception]: ...


class Publishes(Protocol):
    def publish_all(self, outgoing: Iterable[Outgoing], timeout: float = 60.0) -> list[str]: ...


def reddit_config(settings: Settings) -> RedditConfig:
    return RedditConfig(
        client_id=settings.reddit_client_id,
        client_secret=settings.reddit_client_secret.get_secret_value(),
        user_agent=settings.reddit_user_agent,
        oauth_url=settings.reddit_oauth_url,
        reddit_url=settings.reddit_url,
        timeout=settings.reddit_timeout_s,
        policy=RetryPolicy(settings.reddit_max_retries, settings.reddit_backoff_s, settings.reddit_max_wait_s),
        concurrency=settings.reddit_concurrency,
    )


def _read_listings(  # noqa: PLR0917 - the run's parts a listing needs
    job: SubredditFetch, settings: Settings, reddit: Reddit, cursor: ingest.Cursor, report: FetchReport, deadline: float
) -> tuple[list[ingest.ListedPost], set[str]]:
    listed: list[ingest.ListedPost] = []
    from_new: set[str] = set()
    for sort in settings.fetch_listings:
        newest_first = sort == "new"
        try:
            with report.timing("reddit"):
                posts = reddit.listing(
                    job.subreddit,
                    sort,
                    newer_than=cursor.newest_created_utc if newest_first else 0.0,
                    max_items=settings.fetch_max_posts if newest_first else settings.hot_limit,
                    page_size=100 if newest_first else settings.hot_limit,
                    timeout=max(0.0, deadline - time.monotonic()),
                    skipped=report.unreadable_items,
                )
        except MalformedListing as exc:
            report.malformed_listings.append(sort)
            logger.error(
                "malformed %s listing of r/%s skipped: %s",
                sort,
                job.subreddit,
                exc,
                extra={"json_fields": {"subreddit": job.subreddit, "listing": sort, "reason": str(exc)}},
            )
            continue
        except ListingRefused as exc:
            _refused(job, sort, exc, report)
            continue
        except RedditUnavailable as exc:
            report.unavailable.append(f"listing:{sort}")
            logger.warning(
                "r/%s/%s unavailable: %s",
                job.subreddit,
                sort,
                exc,
                extra={"json_fields": {"subreddit": job.subreddit, "listing": sort}},
            )
            continue
        listed.extend(posts)
        if newest_first:
            from_new.update(p.item.id for p in posts)
    return listed, from_new


def _refused(job: SubredditFetch, listing: str, exc: ListingRefused, report: FetchReport) -> None:
    """One clear warning; what the other listings returned is kept, and nothing is retried
    or dead-lettered: the next scheduled run asks again."""
    report.refused.append(listing)
    logger.warning(
        "r/%s/%s refused by Reddit (private, quarantined, banned or gone); skipped this run: %s",
        job.subreddit,
        listing,
        exc,
        extra={
            "json_fields": {"subreddit": job.subreddit, "listing": listing, "run_id": job.run_id, "reason": str(exc)}
        },
    )


def _read_comments(  # noqa: PLR0917 - the run's parts a listing needs
    job: SubredditFetch, settings: Settings, reddit: Reddit, cursor: ingest.Cursor, report: FetchReport, deadline: float
) -> list[ingest.ListedComment] | None:
    """The comment listing back to the comment cursor, or None when Reddit did not serve it
    whole (the cursor then stays, and the next run reads the stretch again)."""
    try:
        with report.timing("reddit"):
            return reddit.comments(
                job.subreddit,
                newer_than=cursor.comments_created_utc,
                max_items=settings.fetch_max_posts,
                timeout=max(0.0, deadline - time.monotonic()),
                skipped=report.unreadable_items,
            )
    except ListingRefused as exc:
        _refused(job, "comments", exc, report)
        return None
    except (MalformedListing, RedditUnavailable) as exc:
        bad = isinstance(exc, MalformedListing)
        (report.malformed_listings if bad else report.unavailable).append("comments")
        log_at = logger.error if bad else logger.warning
        log_at(
            "%s comments listing of r/%s skipped: %s",
            "malformed" if bad else "unavailable",
            job.subreddit,
            exc,
            extra={"json_fields": {"subreddit": job.subreddit, "listing": "comments", "reason": str(exc)}},
        )
        return None


@dataclass
class Run:
    """One run's context, handed to each phase."""

    job: SubredditFetch
    settings: Settings
    store: FetchStore
    reddit: Reddit
    wall_now: float
    deadline: float
    report: FetchReport
    budget_s: float  # the seconds from the start to ``deadline``

    @property
    def reading_deadline(self) -> float:
        """When the listings and comment trees give up: before ``deadline``, so the author
        lookups that come last keep time of their own. A run slowed by Reddit's rate limit
        would otherwise spend it all on listings, and publish every mention of the burst
        without account ages, for good (the cursor moves past them)."""
        return self.deadline - AUTHOR_LOOKUP_SHARE * self.budget_s


@dataclass(frozen=True)
class Seen:
    """What the listings showed, against the cursor they were read back to."""

    cursor: ingest.Cursor
    listed: list[ingest.ListedPost]
    from_new: set[str]
    listed_comments: list[ingest.ListedComment] | None  # None: not served whole this run
    new_from_listing: list[ingest.ListedComment]


@dataclass(frozen=True)
class Work:
    stored: dict[str, ingest.StoredPost]  # the listed posts already stored, by id
    plan: ingest.Plan


@dataclass(frozen=True)
class Sightings:
    posts: list[RedditItem]
    tree_comments: list[RedditItem]
    tree_authors: dict[str, str]
    new_items: list[RedditItem]
    seen_again: list[RedditItem]


def ingest_subreddit(
    job: SubredditFetch,
    *,
    settings: Settings,
    store: FetchStore,
    publisher: Publishes,
    reddit: Reddit,
    wall_now: float,
    budget_s: float | None = None,
) -> FetchReport:
    """The whole run for one subreddit, phase by phase (the module docstring says why in
    this order): read the listings, plan the work, collect what is new, extract mentions,
    publish, then store and move the cursor. Reddit is read for ``budget_s`` at most
    (default ``FETCH_DEADLINE_S``)."""
    budget_s = settings.fetch_deadline_s if budget_s is None else budget_s
    run = Run(
        job,
        settings,
        store,
        reddit,
        wall_now,
        time.monotonic() + budget_s,
        FetchReport(subreddit=job.subreddit),
        budget_s,
    )
    seen = _read(run)
    work = _plan(run, seen)
    sightings = _collect(run, seen, work)
    extracted, named, looked_up = _extract(run, seen, sightings)
    batches = extracted.batches(job.run_id, job.config_version)
    with run.report.timing("publish"):
        publisher.publish_all(
            [Outgoing(topics.REDDIT_ITEMS, batch) for batch in item_batches(extracted.items, job.run_id)]
            + [Outgoing(topics.MENTIONS, batch, ordering_key=batch.ticker) for batch in batches]
        )
    _commit(run, seen, work, sightings, extracted, named=named, looked_up=looked_up)
    report = run.report
    report.new_posts = sum(1 for i in sightings.new_items if i.kind == "post")
    report.new_comments = len(sightings.new_items) - report.new_posts
    report.refreshed = len(sightings.seen_again)
    report.mentions = sum(len(b.mentions) for b in batches)
    report.batches = len(batches)
    return report


def _read(run: Run) -> Seen:
    with run.report.timing("storage_read"):
        cursor = run.store.read_cursor(run.job.subreddit)
    until = run.reading_deadline
    listed, from_new = _read_listings(run.job, run.settings, run.reddit, cursor, run.report, until)
    listed_comments = _read_comments(run.job, run.settings, run.reddit, cursor, run.report, until)
    listed, future = ingest.from_the_future(listed, run.wall_now)
    if listed_comments is not None:
        listed_comments, future_comments = ingest.from_the_future(listed_comments, run.wall_now)
        future += future_comments
    if future:
        logger.warning(
            "%d items of r/%s are dated after now; not read",
            len(future),
            run.job.subreddit,
            extra={"json_fields": {"item_ids": future[:20], "subreddit": run.job.subreddit}},
        )
    run.report.listed = len(listed)
    run.report.listed_comments = len(listed_comments or ())
    oldest_new = min(_from_new(listed, from_new), default=None)
    _unread(run, "new", ingest.unread_span(oldest_new, cursor.newest_created_utc))
    oldest_comment = min((c.item.created_utc for c in listed_comments or ()), default=None)
    _unread(run, "comments", ingest.unread_span(oldest_comment, cursor.comments_created_utc))
    new_from_listing = ingest.new_comments(listed_comments or (), cursor, bots=run.settings.bot_accounts)
    return Seen(cursor, listed, from_new, listed_comments, new_from_listing)


def _from_new(listed: Iterable[ingest.ListedPost], from_new: set[str]) -> list[float]:
    """The creation times of the posts the ``new`` listing showed, each once (``hot`` may list
    it too; a stickied one is old)."""
    return list({p.item.id: p.item.created_utc for p in listed if p.item.id in from_new and not p.stickied}.values())


def _unread(run: Run, listing: str, span: tuple[float, float] | None) -> None:
    if span is None:
        return
    seconds = round(span[1] - span[0], 1)
    run.report.unread_s[listing] = seconds
    logger.error(
        "r/%s/%s did not reach back to the cursor: %.0f s of data time may be unread",
        run.job.subreddit,
        listing,
        seconds,
        extra={
            "json_fields": {
                "subreddit": run.job.subreddit,
                "listing": listing,
                "unread_from": span[0],
                "unread_to": span[1],
                "unread_s": seconds,
            }
        },
    )


def _plan(run: Run, seen: Seen) -> Work:
    """Which listed posts are new or worth a refresh, and which get their comment tree read:
    the posts the cursor does not vouch for are read from the store first."""
    settings = run.settings
    remembered, unknown = ingest.known_posts(
        seen.listed, seen.cursor, from_new=seen.from_new, bots=settings.bot_accounts
    )
    with run.report.timing("storage_read"):
        by_id = {p.item.id: p.item for p in seen.listed}
        stored = {**remembered, **run.store.stored_posts(by_id[i] for i in unknown)}
    run.report.posts_read = len(unknown)
    plan = ingest.plan(
        seen.listed,
        stored,
        from_new=seen.from_new,
        bots=settings.bot_accounts,
        now=ingest.data_now(seen.listed),
        active_hours=settings.active_post_hours,
        max_trees=settings.fetch_comment_trees_per_run,
        min_new_comments=settings.fetch_tree_min_new_comments,
    )
    return Work(stored, plan)


def _collect(run: Run, seen: Seen, work: Work) -> Sightings:
    """The planned posts and comments, split into never seen (stored and published) and seen
    again (their score and comment count refreshed)."""
    posts, tree_comments, tree_authors = _read_threads(
        run.job,
        work,
        settings=run.settings,
        reddit=run.reddit,
        report=run.report,
        deadline=run.reading_deadline,
    )
    # A comment both listed and in a tree: the tree's copy has the fresher score.
    comments = list({c.id: c for c in [*(c.item for c in seen.new_from_listing), *tree_comments]}.values())
    proven = ingest.proven_new_comments(seen.new_from_listing, seen.cursor)
    with run.report.timing("storage_read"):
        known_comments = run.store.existing_ids(c for c in comments if c.id not in proven)
    run.report.comments_read = sum(1 for c in comments if c.id not in proven)
    # listed behind the cursor and stored already: nothing to refresh every run (a tree's copy still is)
    late = ingest.behind_cursor(seen.new_from_listing, seen.cursor) & known_comments
    late -= {c.id for c in tree_comments}
    comments = [c for c in comments if c.id not in late]
    new_items, seen_again = ingest.split_sightings(
        work.plan.work, posts, comments, known_comments=known_comments, listed=seen.listed, stored=work.stored
    )
    return Sightings(posts, tree_comments, tree_authors, new_items, seen_again)


def _extract(
    run: Run, seen: Seen, sightings: Sightings
) -> tuple[ingest.Extracted, extraction.Community, list[ingest.AuthorFacts]]:
    """The new items' mentions, each with its author's account facts, read in the context of
    what the subreddit has been naming (the cursor's community, this run added to it); and
    the facts this run looked up, for the cursor to cache."""
    named = seen.cursor.named()
    with run.report.timing("extraction"):
        extracted = ingest.extract_mentions(
            sightings.new_items,
            known_posts={**{p.item.id: p.item for p in seen.listed}, **{p.id: p for p in sightings.posts}},
            thread_titles={c.item.link_id: c.link_title for c in seen.new_from_listing if c.item.link_id},
            community=named,
        )
    if extracted.unreadable:  # kept without tickers: a bug of ours, which must not stop the subreddit
        logger.error(
            "extraction failed on %d items of r/%s; kept without tickers",
            len(extracted.unreadable),
            run.job.subreddit,
            extra={
                "json_fields": {"subreddit": run.job.subreddit, "items": dict(list(extracted.unreadable.items())[:20])}
            },
        )
    account_ids = {
        **{p.item.author: p.author_id for p in seen.listed if p.item.author and p.author_id},
        **{c.item.author: c.author_id for c in seen.new_from_listing if c.item.author and c.author_id},
        **sightings.tree_authors,
    }
    facts, looked_up = _author_facts(extracted.mentioning(), account_ids, seen.cursor, run)
    return extracted.with_authors(facts, run.job.run_id), named, looked_up


def _commit(
    run: Run,
    seen: Seen,
    work: Work,
    sightings: Sightings,
    extracted: ingest.Extracted,
    *,
    named: extraction.Community,
    looked_up: list[ingest.AuthorFacts],
) -> None:
    """After publishing: store the items, then move the cursor past them (with the recent
    posts' numbers, what the subreddit named and the authors' facts it carries)."""
    new_post_ids = {u.post.id for u in work.plan.work if u.is_new}
    cursor = ingest.advance(seen.cursor, work.plan.work)
    cursor = ingest.advance_past_skipped(cursor, seen.listed, seen.from_new, run.settings.bot_accounts)
    if seen.listed_comments is not None:
        cursor = ingest.advance_comments(cursor, seen.listed_comments)
    cursor = ingest.remember(
        cursor,
        work.stored,
        [*(i for i in extracted.items if i.id in new_post_ids), *sightings.seen_again],
        sightings.tree_comments,
    )
    cursor = cursor.with_named(named, max(cursor.newest_created_utc, cursor.comments_created_utc) or run.wall_now)
    cursor = ingest.remember_authors(cursor, looked_up, now=run.wall_now, days=run.settings.author_cache_days)
    cursor = ingest.with_pace(cursor, *_paces(seen), missed=bool(_missed(run, seen)), unserved=_unserved(run))
    read = _read_whole(run, seen)
    cursor = ingest.ran(cursor, run.job.run_id)
    if read == "refused":  # private or banned: nothing it shows can be late; it holds no check back
        cursor = replace(cursor, read_through=0.0)
    elif read == "whole":
        cursor = ingest.read_whole(cursor, run.job.read_floor, now=run.wall_now)
    elif cursor.read_through == 0.0:  # shown nothing so far, and not read whole now: unknown
        cursor = replace(cursor, read_through=None)
    with run.report.timing("storage_write"):
        run.report.stored = run.store.save_items(extracted.items, sightings.seen_again)
        run.store.save_cursor(run.job.subreddit, cursor, run.job.run_id)
    run.report.cursor = cursor.newest_created_utc


def _paces(seen: Seen) -> list[float]:
    """How fast each newest-first listing this run read shows items (a listing not served
    whole shows nothing of it)."""

    def pace(created: list[float], since: float) -> float:
        cut = ingest.unread_span(min(created, default=None), since) is not None
        return ingest.listing_pace(created, since, cut=cut)

    paces = [pace(_from_new(seen.listed, seen.from_new), seen.cursor.newest_created_utc)]
    if seen.listed_comments is not None:
        paces.append(pace([c.item.created_utc for c in seen.listed_comments], seen.cursor.comments_created_utc))
    return paces


def _missed(run: Run, seen: Seen) -> set[str]:
    """Which of the newest-first listings this run asked for were not served (unavailable,
    malformed, past the deadline); one Reddit refuses shows nothing, and is not missed."""
    report = run.report
    missed = set()
    if seen.listed_comments is None and "comments" not in report.refused:
        missed.add("comments")
    if "listing:new" in report.unavailable or "new" in report.malformed_listings:
        missed.add("new")
    return missed


def _unserved(run: Run) -> bool:
    """Whether Reddit served none of the newest-first listings this run asked for: each it
    answered unavailable (a listing it refuses, or serves malformed, is not this)."""
    unavailable = set(run.report.unavailable)
    new = "new" not in run.settings.fetch_listings or "listing:new" in unavailable
    return new and "comments" in unavailable


def _read_whole(run: Run, seen: Seen) -> Literal["whole", "refused", "partial"]:
    """How this run read the new posts and the comments, which moves the cursor's
    ``read_through``: whole (a listing Reddit refuses counts: it shows nothing), both refused
    (the subreddit is private or banned: it shows nothing at all), or partial (one missed,
    or ``new`` not configured)."""
    if {"new", "comments"} <= set(run.report.refused):
        return "refused"
    return "whole" if "new" in run.settings.fetch_listings and not _missed(run, seen) else "partial"


def _read_threads(
    job: SubredditFetch,
    work: Work,
    *,
    settings: Settings,
    reddit: Reddit,
    report: FetchReport,
    deadline: float,
) -> tuple[list[RedditItem], list[RedditItem], dict[str, str]]:
    """The planned posts (fresh from their tree where one was read) and the trees' selected
    comments, with the account fullnames the trees showed. A failed tree costs nothing but
    its extra: the post is kept as listed, its comments come from the comment listing, and a
    stored post whose tree Reddit did not serve for now keeps the comment count stored
    before, so the next run's plan sees the growth that asked for the tree and asks again (a
    tree that cannot be read, malformed, would be asked for every run: its growth is spent)."""
    bots = settings.bot_accounts
    work_plan = work.plan
    tree_ids = work_plan.trees
    wanted = TreeRequest(
        limit=settings.comment_limit,
        replace_more=settings.replace_more_limit,
        usable=lambda c: ingest.keep_comment(c, bots),
    )
    with report.timing("reddit"):
        fetched = reddit.threads(tree_ids, wanted, timeout=deadline - time.monotonic())
    threads = dict(zip(tree_ids, fetched, strict=True))
    failures = [t for t in fetched if isinstance(t, Exception)]
    report.trees, report.failed_trees = len(tree_ids) - len(failures), len(failures)
    if failures:
        report.unavailable.append("comment trees")  # the listing itself was read: "comments" says it was not
        logger.warning(
            "%d of %d comment trees of r/%s failed; their comments still come from the comment listing",
            len(failures),
            len(tree_ids),
            job.subreddit,
            extra={"json_fields": {"subreddit": job.subreddit, "first_error": str(failures[0])}},
        )
    posts: list[RedditItem] = []
    comments: list[RedditItem] = []
    authors: dict[str, str] = {}
    for unit in work_plan.work:
        thread = threads.get(unit.post.id)
        if isinstance(thread, RedditThread) and thread.post is not None:
            posts.append(thread.post.item)
            comments.extend(ingest.select_comments(thread.comments, limit=settings.comment_limit, bots=bots))
            authors.update(thread.author_ids)
            if thread.post.author_id and thread.post.item.author:
                authors[thread.post.item.author] = thread.post.author_id
        elif isinstance(thread, RedditUnavailable) and not unit.is_new and unit.post.id in work.stored:
            posts.append(unit.post.model_copy(update={"num_comments": work.stored[unit.post.id].num_comments}))
        else:
            posts.append(unit.post)
    return posts, comments, authors


def _author_facts(
    mentioning: list[RedditItem], account_ids: dict[str, str], cursor: ingest.Cursor, run: Run
) -> tuple[dict[str, ingest.AuthorFacts], list[ingest.AuthorFacts]]:
    """The facts the cursor caches for the subreddit's authors, plus a lookup of each author
    of a ``mentioning`` item whose facts are missing or expired (account age matters for
    mentions only): 100 accounts per request by their fullnames (``account_ids``); and what
    the lookup found. A failed lookup leaves the author as the cursor had it (unknown when
    not cached) for this run; a later run retries.

    The cache lives in the cursor document, read and written by every run anyway: an author
    costs no Firestore operation. The price: an author active in several subreddits is
    looked up once for each (two overlapping runs of one subreddit keep both caches)."""
    settings, report = run.settings, run.report
    facts = {name: f for name, (f, _) in cursor.authors.items()}
    expiry = {name: expires for name, (_, expires) in cursor.authors.items()}
    wanted = ingest.authors_to_look_up(mentioning, expiry, now=run.wall_now, bots=settings.bot_accounts)[
        : settings.author_lookups_per_run
    ]
    if not wanted:
        return facts, []
    with report.timing("reddit"):
        looked = run.reddit.authors({n: account_ids.get(n) for n in wanted}, timeout=run.deadline - time.monotonic())
    fresh = [f for f in looked.values() if isinstance(f, ingest.AuthorFacts)]
    report.authors_looked_up, report.authors_failed = len(fresh), len(looked) - len(fresh)
    facts.update({f.name: f for f in fresh})
    return facts, fresh


def _process(job: SubredditFetch, delivery: Delivery, settings: Settings) -> None:
    with log.context(subreddit=job.subreddit, run_id=job.run_id):
        now = time.time()
        # a message from before sent_at existed (or sent by hand): its publish time stands in
        sent_at = job.sent_at if job.sent_at is not None else published_at(delivery.publish_time)
        budget_s = reading_time(sent_at, now, settings.fetch_deadline_s)
        if budget_s < min(MIN_READING_S, settings.fetch_deadline_s):
            logger.warning(
                "fetch of r/%s sent %.0f s ago, too late to read before dispatch sends it again; not read",
                job.subreddit,
                now - (sent_at or now),
                extra={"json_fields": {"message_id": delivery.message_id}},
            )
            return
        report = ingest_subreddit(
            job,
            settings=settings,
            store=FirestoreStore(fs.get_client(settings.project_id)),
            publisher=publisher_for(settings),
            reddit=get_reddit(reddit_config(settings)),
            wall_now=now,
            budget_s=budget_s,
        )
        logger.info(
            "fetched r/%s: %d new posts, %d new comments, %d mention batches",
            job.subreddit,
            report.new_posts,
            report.new_comments,
            report.batches,
            extra={"json_fields": {"report": report.model_dump(), "message_id": delivery.message_id}},
        )


fetch = pubsub_function("fetch", SubredditFetch, _process)
