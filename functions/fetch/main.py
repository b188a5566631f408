"""fetch: one ``subreddit-fetches`` message in; new posts and comments stored, archived and
turned into per-ticker mention batches out.

Order matters for at-least-once: everything is published first, then stored, then the
cursor moves. A crash before the store re-reads and re-emits the same items next time
(the aggregator and the archive dedupe per item); nothing is ever stored unpublished. A
Reddit failure midway (after the retries) ends the run early but keeps what finished: the
work is ordered oldest first and only its finished prefix is stored and moves the cursor,
so the next run continues exactly there.
"""

import contextlib
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import functions_framework
from cloudevents.http import CloudEvent
from google.cloud import firestore

from common import ingest, log, topics
from common.adapters import firestore as fs
from common.adapters.pubsub import Outgoing, Publisher, get_publisher
from common.adapters.reddit import MalformedListing, RedditClient, RedditConfig, RedditUnavailable, RetryPolicy
from common.adapters.reddit import Thread as RedditThread
from common.adapters.reddit import get_client as get_reddit
from common.entrypoint import Delivery, handle
from common.messages import RedditItem, SubredditFetch
from common.settings import Settings, get_settings
from functions.fetch import store

logger = log.get_logger(__name__)
AUTHOR_CLAIM_S = 120.0  # how long a run may hold an author's lookup before others may retry


@dataclass
class Report:
    """What one run did; logged, and read by the benchmark."""

    subreddit: str
    listed: int = 0
    new_posts: int = 0
    new_comments: int = 0
    refreshed: int = 0
    stored: int = 0
    mentions: int = 0
    batches: int = 0
    trees: int = 0
    failed_trees: int = 0
    deferred: int = 0
    authors_looked_up: int = 0
    authors_failed: int = 0
    malformed_listings: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    cursor: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def timing(self, part: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.timings[part] = self.timings.get(part, 0.0) + time.perf_counter() - began

    @property
    def new_items(self) -> int:
        return self.new_posts + self.new_comments


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


def _read_listings(
    job: SubredditFetch, settings: Settings, reddit: RedditClient, cursor: ingest.Cursor, report: Report
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


def ingest_subreddit(
    job: SubredditFetch,
    *,
    settings: Settings,
    db: firestore.Client,
    publisher: Publisher,
    reddit: RedditClient,
    wall_now: float,
) -> Report:
    """The whole run for one subreddit (see the module docstring for the order)."""
    report = Report(job.subreddit)
    deadline = time.monotonic() + settings.fetch_deadline_s
    bots = settings.bot_accounts
    with report.timing("storage_read"):
        cursor = store.read_cursor(db, job.subreddit)
    listed, from_new = _read_listings(job, settings, reddit, cursor, report)
    report.listed = len(listed)
    with report.timing("storage_read"):
        stored = store.stored_posts(db, (p.item.id for p in listed if ingest.keep_post(p, bots)))
    work_plan = ingest.plan(
        listed,
        stored,
        from_new=from_new,
        bots=bots,
        now=ingest.data_now(listed),
        active_hours=settings.active_post_hours,
        max_trees=settings.comment_trees_per_run,
    )
    report.deferred = work_plan.deferred

    done, posts, comments = _read_threads(
        job, work_plan, settings=settings, reddit=reddit, report=report, deadline=deadline
    )
    with report.timing("storage_read"):
        known_comments = store.existing_ids(db, (c.id for c in comments))
    new_items, seen_again = ingest.split_sightings(
        done, posts, comments, known_comments=known_comments, listed=listed, stored=stored
    )

    with report.timing("extraction"):
        extracted = ingest.extract_mentions(new_items, known_posts={p.id: p for p in posts})
    facts = _author_facts(
        new_items,
        extracted.mentioning(),
        settings=settings,
        db=db,
        reddit=reddit,
        report=report,
        wall_now=wall_now,
        deadline=deadline,
    )
    extracted = extracted.with_authors(facts, job.run_id)
    batches = extracted.batches(job.run_id)
    with report.timing("publish"):
        publisher.publish_all(
            [Outgoing(topics.REDDIT_ITEMS, item) for item in extracted.items]
            + [Outgoing(topics.MENTIONS, batch, ordering_key=batch.ticker) for batch in batches]
        )
    new_cursor = ingest.advance(cursor, done)
    with report.timing("storage_write"):
        report.stored = store.save_items(db, extracted.items, seen_again)
        store.save_cursor(db, job.subreddit, new_cursor, job.run_id)
    report.new_posts = sum(1 for i in new_items if i.kind == "post")
    report.new_comments = len(new_items) - report.new_posts
    report.refreshed = len(seen_again)
    report.mentions = sum(len(b.mentions) for b in batches)
    report.batches = len(batches)
    report.cursor = new_cursor.newest_created_utc
    return report


def _read_threads(
    job: SubredditFetch,
    work_plan: ingest.Plan,
    *,
    settings: Settings,
    reddit: RedditClient,
    report: Report,
    deadline: float,
) -> tuple[list[ingest.PostWork], list[RedditItem], list[RedditItem]]:
    """Comment trees of the planned posts; returns the finished prefix of the work with its
    (fresh) posts and selected comments."""
    bots = settings.bot_accounts
    tree_ids = [w.post.id for w in work_plan.work if w.needs_tree]
    with report.timing("reddit"):
        fetched = reddit.threads(
            tree_ids,
            limit=settings.comment_limit,
            replace_more=settings.replace_more_limit,
            usable=lambda c: ingest.keep_comment(c, bots),
            timeout=deadline - time.monotonic(),
        )
    threads = dict(zip(tree_ids, fetched, strict=True))
    failures = [t for t in fetched if isinstance(t, Exception)]
    report.trees, report.failed_trees = len(tree_ids) - len(failures), len(failures)
    if failures:
        report.unavailable.append("comments")
        logger.warning(
            "%d of %d comment trees of r/%s failed; the next run continues from the cursor",
            len(failures),
            len(tree_ids),
            job.subreddit,
            extra={"json_fields": {"subreddit": job.subreddit, "first_error": str(failures[0])}},
        )
    ok = [not w.needs_tree or isinstance(threads[w.post.id], RedditThread) for w in work_plan.work]
    done = ingest.completed_prefix(work_plan.work, ok)

    posts: list[RedditItem] = []
    comments: list[RedditItem] = []
    for unit in done:
        thread = threads.get(unit.post.id)
        if isinstance(thread, RedditThread) and thread.post is not None:
            posts.append(thread.post.item)
            comments.extend(ingest.select_comments(thread.comments, limit=settings.comment_limit, bots=bots))
        else:
            posts.append(unit.post)
    return done, posts, comments


def _author_facts(
    items: list[RedditItem],
    mentioning: list[RedditItem],
    *,
    settings: Settings,
    db: firestore.Client,
    reddit: RedditClient,
    report: Report,
    wall_now: float,
    deadline: float,
) -> dict[str, ingest.AuthorFacts]:
    """Cached facts of every author, plus one lookup per author of a ``mentioning`` item
    whose cache is missing or expired: account age matters for mentions only, and a profile
    costs one Reddit request. A failed lookup leaves the author unknown for this run and
    uncached, so a later run retries."""
    names = {i.author for i in items if i.author}
    with report.timing("storage_read"):
        cached = store.cached_authors(db, names)
    facts = {n: c.facts for n, c in cached.items() if c.facts is not None}
    wanted = ingest.authors_to_look_up(
        mentioning, {n: c.expires for n, c in cached.items()}, now=wall_now, bots=settings.bot_accounts
    )[: settings.author_lookups_per_run]
    if wanted:
        with report.timing("storage_write"):
            claimed = store.claim_authors(db, wanted, cached, now=wall_now, claim_s=AUTHOR_CLAIM_S)
        with report.timing("reddit"):
            looked = reddit.authors(claimed, timeout=deadline - time.monotonic())
        fresh = [f for f in looked.values() if isinstance(f, ingest.AuthorFacts)]
        report.authors_looked_up, report.authors_failed = len(fresh), len(looked) - len(fresh)
        with report.timing("storage_write"):
            store.save_authors(db, fresh, now=wall_now, days=settings.author_cache_days)
        facts.update({f.name: f for f in fresh})
    # Authors another run was looking up meanwhile: their facts have likely landed by now.
    waiting = [n for n in dict.fromkeys(i.author for i in mentioning if i.author) if n not in facts]
    if waiting:
        with report.timing("storage_read"):
            again = store.cached_authors(db, waiting)
        facts.update({n: c.facts for n, c in again.items() if c.facts is not None})
    return facts


def _publisher() -> Publisher:
    return get_publisher(get_settings().project_id)


def _process(job: SubredditFetch, delivery: Delivery, settings: Settings) -> None:
    with log.context(subreddit=job.subreddit, run_id=job.run_id):
        report = ingest_subreddit(
            job,
            settings=settings,
            db=fs.get_client(settings.project_id),
            publisher=_publisher(),
            reddit=get_reddit(reddit_config(settings)),
            wall_now=time.time(),
        )
        logger.info(
            "fetched r/%s: %d new posts, %d new comments, %d mention batches",
            job.subreddit,
            report.new_posts,
            report.new_comments,
            report.batches,
            extra={"json_fields": {"report": asdict(report), "message_id": delivery.message_id}},
        )


@functions_framework.cloud_event
def fetch(cloud_event: CloudEvent) -> None:
    settings = get_settings()
    log.configure(settings.log_level)
    handle(
        cloud_event,
        function="fetch",
        model=SubredditFetch,
        process=lambda job, delivery: _process(job, delivery, settings),
        publisher=_publisher,
    )
