"""Reddit through asyncpraw: listings, comment trees and author profiles as plain data.

asyncpraw is asynchronous while a Cloud Function handler is not, so one event loop runs in
a background thread per instance and keeps the asyncpraw client (its token and its rate
limiter, which must be shared by every request of the OAuth client) across invocations.

Retries are explicit and live in one place, :class:`RetryingRequestor`: 429 and 5xx are
retried a bounded number of times, waiting what Reddit asks for (``retry-after``, else
``x-ratelimit-reset`` when the budget is spent) or an exponential backoff, never more than
``max_wait`` per wait; then the error is raised as :class:`RedditUnavailable`. asyncprawcore's
own retry never sees a retryable status, so the two do not multiply. Between successful
calls asyncprawcore's rate limiter spaces requests by the ``x-ratelimit-*`` headers.

The same code reads real Reddit when ``oauth_url``/``reddit_url`` are left empty.
"""

import asyncio
import random
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import asyncpraw
from asyncprawcore import Requestor
from asyncprawcore import exceptions as praw_errors

from common import log
from common.ingest import AuthorFacts, ListedPost
from common.messages import RedditItem

logger = log.get_logger(__name__)
T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 522})


class RedditUnavailable(Exception):
    """Reddit did not answer usefully within the retry budget (429/5xx/timeouts)."""


class MalformedListing(Exception):
    """Reddit answered, but not with something that reads as a listing or thread."""


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 4
    base_delay: float = 0.5
    max_wait: float = 60.0  # a single wait longer than this gives up instead


def retry_wait(policy: RetryPolicy, attempt: int, status: int, headers: Mapping[str, str]) -> float | None:
    """Seconds to wait before retry ``attempt`` (0-based), or None to give up.

    Reddit's own instructions win: ``retry-after`` first, then ``x-ratelimit-reset`` when
    ``x-ratelimit-remaining`` says the budget is spent. Otherwise exponential backoff with
    jitter. A wait above ``policy.max_wait`` is not worth holding a function instance for:
    the next scheduled run continues from the stored cursor instead.
    """
    if attempt >= policy.retries:
        return None
    asked: float | None = None
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        if "retry-after" in lowered:
            asked = float(lowered["retry-after"])
        elif status == 429 and float(lowered.get("x-ratelimit-remaining", "1")) <= 0:
            asked = float(lowered.get("x-ratelimit-reset", "0"))
    except ValueError:
        asked = None
    wait = asked if asked is not None else policy.base_delay * 2**attempt * (1 + random.random() / 2)
    return wait if wait <= policy.max_wait else None


class RetryingRequestor(Requestor):
    """asyncprawcore's HTTP layer with the bounded, header-honouring retry described above."""

    def __init__(
        self,
        *,
        policy: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.policy = policy
        self._sleep = sleep
        self.retried = 0  # counted for tests and the benchmark

    @asynccontextmanager
    async def request(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> AsyncIterator[Any]:
        del timeout
        attempt = 0
        while True:
            wait: float | None
            # asyncprawcore always passes its module default; the configured timeout wins.
            async with super().request(*args, timeout=self.timeout, **kwargs) as response:
                if response.status not in RETRY_STATUSES:
                    yield response
                    return
                wait = retry_wait(self.policy, attempt, response.status, response.headers)
                if wait is None:
                    error = praw_errors.TooManyRequests if response.status == 429 else praw_errors.ServerError
                    raise error(response)
                logger.warning(
                    "reddit answered %s, retrying in %.2fs",
                    response.status,
                    wait,
                    extra={
                        "json_fields": {"status": response.status, "attempt": attempt + 1, "url": str(response.url)}
                    },
                )
            attempt += 1
            self.retried += 1
            await self._sleep(wait)


# ----------------------------------------------------------------------- normalising


def _author(thing: Any) -> str | None:
    author = getattr(thing, "author", None)
    name = getattr(author, "name", author)
    return str(name) if name and name != "[deleted]" else None


def _subreddit(thing: Any) -> str:
    sub = getattr(thing, "subreddit", "")
    return str(getattr(sub, "display_name", sub))


def post_from(submission: Any) -> ListedPost:
    """asyncpraw Submission -> ListedPost (a [deleted] author becomes None)."""
    is_self = bool(getattr(submission, "is_self", True))
    item = RedditItem(
        id=f"t3_{submission.id}",
        kind="post",
        subreddit=_subreddit(submission),
        author=_author(submission),
        title=str(submission.title or ""),
        body=str(getattr(submission, "selftext", "") or ""),
        url=None if is_self else (getattr(submission, "url", None) or None),
        permalink=str(submission.permalink),
        flair=getattr(submission, "link_flair_text", None) or None,
        score=int(getattr(submission, "score", 0) or 0),
        num_comments=int(getattr(submission, "num_comments", 0) or 0),
        created_utc=float(submission.created_utc),
    )
    return ListedPost(item, stickied=bool(getattr(submission, "stickied", False)))


def comment_from(comment: Any) -> RedditItem:
    return RedditItem(
        id=f"t1_{comment.id}",
        kind="comment",
        subreddit=_subreddit(comment),
        author=_author(comment),
        body=str(getattr(comment, "body", "") or ""),
        permalink=str(comment.permalink),
        score=int(getattr(comment, "score", 0) or 0),
        created_utc=float(comment.created_utc),
        parent_id=str(comment.parent_id),
        link_id=str(comment.link_id),
    )


# ----------------------------------------------------------------------- the client


@dataclass(frozen=True)
class RedditConfig:
    client_id: str
    client_secret: str
    user_agent: str
    oauth_url: str = ""  # empty: real Reddit
    reddit_url: str = ""
    timeout: float = 16.0
    policy: RetryPolicy = RetryPolicy()
    concurrency: int = 4


@dataclass(frozen=True)
class Thread:
    """A post re-read with its comment tree (score and comment count are fresh); ``post`` is
    None when Reddit no longer shows the thread (removed, private): nothing to add then."""

    post: ListedPost | None
    comments: tuple[RedditItem, ...]


_PARSE_ERRORS = (praw_errors.BadJSON, ValueError, KeyError, TypeError, AttributeError, IndexError, AssertionError)
_UNAVAILABLE = (praw_errors.TooManyRequests, praw_errors.ServerError, praw_errors.RequestException)


class RedditClient:
    """Sync facade over asyncpraw on the instance's background loop."""

    def __init__(self, config: RedditConfig) -> None:
        self.config = config
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self._loop.run_forever, name="reddit-loop", daemon=True)
        self._loop_thread.start()
        self._reddit: asyncpraw.Reddit | None = None
        self._requestor: RetryingRequestor | None = None

    # -- plumbing

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _client(self) -> asyncpraw.Reddit:
        if self._reddit is None:
            urls = {
                k: v for k, v in (("oauth_url", self.config.oauth_url), ("reddit_url", self.config.reddit_url)) if v
            }
            self._reddit = asyncpraw.Reddit(
                client_id=self.config.client_id,
                client_secret=self.config.client_secret,
                user_agent=self.config.user_agent,
                requestor_class=RetryingRequestor,
                requestor_kwargs={"policy": self.config.policy, "timeout": self.config.timeout},
                check_for_updates=False,
                **urls,
            )
            self._reddit.read_only = True
            core = self._reddit._core
            assert core is not None
            self._requestor = core.requestor
        return self._reddit

    @property
    def retried(self) -> int:
        return self._requestor.retried if self._requestor else 0

    def close(self) -> None:
        if self._reddit is not None:
            self.run(self._reddit.close(), timeout=10)
            self._reddit = None
        self._loop.call_soon_threadsafe(self._loop.stop)

    @staticmethod
    async def _guard(what: str, call: Awaitable[T]) -> T:
        try:
            return await call
        except _UNAVAILABLE as exc:
            raise RedditUnavailable(f"{what}: {exc}") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise RedditUnavailable(f"{what}: {exc!r}") from exc
        except _PARSE_ERRORS as exc:
            raise MalformedListing(f"{what}: {exc!r}") from exc

    # -- listings

    async def _listing(
        self, subreddit: str, sort: str, newer_than: float, max_items: int, page_size: int
    ) -> list[ListedPost]:
        sub = await self._client().subreddit(subreddit)
        generator = getattr(sub, sort)(limit=max_items, request_limit=page_size)
        posts: list[ListedPost] = []
        async for submission in generator:
            listed = post_from(submission)
            posts.append(listed)
            # Pages are newest first: once a whole page reaches the cursor, stop paging.
            on_page_end = len(posts) % page_size == 0
            if sort == "new" and on_page_end and listed.item.created_utc < newer_than and not listed.stickied:
                break
        return posts

    def listing(
        self, subreddit: str, sort: str, *, newer_than: float = 0.0, max_items: int = 1000, page_size: int = 100
    ) -> list[ListedPost]:
        """Posts of ``/r/{subreddit}/{sort}``, newest first; ``new`` is paged until a page
        ends at or before ``newer_than`` (the cursor) or ``max_items``."""
        coroutine = self._guard(
            f"r/{subreddit}/{sort}", self._listing(subreddit, sort, newer_than, max_items, page_size)
        )
        return self.run(coroutine)

    # -- comment trees

    async def _thread(
        self, post_id: str, limit: int, replace_more: int, usable: Callable[[RedditItem], bool]
    ) -> Thread:
        submission = await self._client().submission(post_id.removeprefix("t3_"), fetch=False)
        submission.comment_sort = "top"
        submission.comment_limit = limit
        try:
            await submission.load()
        except (praw_errors.NotFound, praw_errors.Forbidden):
            return Thread(None, ())
        comments = [comment_from(c) for c in submission.comments.list() if isinstance(c, asyncpraw.models.Comment)]
        has_more = any(isinstance(c, asyncpraw.models.MoreComments) for c in submission.comments.list())
        if replace_more > 0 and has_more and sum(map(usable, comments)) < limit:
            await submission.comments.replace_more(limit=replace_more)
            comments = [comment_from(c) for c in submission.comments.list() if isinstance(c, asyncpraw.models.Comment)]
        return Thread(post_from(submission), tuple(comments))

    def threads(
        self,
        post_ids: Sequence[str],
        *,
        limit: int,
        replace_more: int,
        usable: Callable[[RedditItem], bool],
        timeout: float,
    ) -> list[Thread | Exception]:
        """Each post's comment tree (sort ``top``, ``limit`` comments, at most
        ``replace_more`` extra requests when bots and nesting leave too few), fetched with
        bounded concurrency. A failed or unfinished post is an exception in its slot."""

        async def all_threads() -> list[Thread | Exception]:
            gate = asyncio.Semaphore(self.config.concurrency)

            async def one(post_id: str) -> Thread | Exception:
                async with gate:
                    try:
                        return await self._guard(
                            f"comments/{post_id}", self._thread(post_id, limit, replace_more, usable)
                        )
                    except (RedditUnavailable, MalformedListing) as exc:
                        return exc

            tasks = [asyncio.ensure_future(one(p)) for p in post_ids]
            done, pending = await asyncio.wait(tasks, timeout=max(timeout, 0.0)) if tasks else (set(), set())
            for task in pending:
                task.cancel()
            return [
                t.result() if t in done else RedditUnavailable(f"comments/{p}: fetch deadline")
                for t, p in zip(tasks, post_ids, strict=True)
            ]

        return self.run(all_threads())

    # -- authors

    async def _author(self, name: str) -> AuthorFacts:
        try:
            redditor = await self._client().redditor(name, fetch=True)
        except praw_errors.NotFound:
            return AuthorFacts(name, found=False)
        if getattr(redditor, "is_suspended", False):
            return AuthorFacts(name, suspended=True)
        created = getattr(redditor, "created_utc", None)
        link, comment = getattr(redditor, "link_karma", None), getattr(redditor, "comment_karma", None)
        karma = int(link or 0) + int(comment or 0) if link is not None or comment is not None else None
        return AuthorFacts(name, created_utc=float(created) if created is not None else None, karma=karma)

    def authors(self, names: Sequence[str], *, timeout: float) -> dict[str, AuthorFacts | Exception]:
        """Account facts per author; a missing account is ``found=False``, a suspended one
        ``suspended=True``; a failed lookup is an exception (not cached, retried later)."""

        async def all_authors() -> dict[str, AuthorFacts | Exception]:
            gate = asyncio.Semaphore(self.config.concurrency)

            async def one(name: str) -> AuthorFacts | Exception:
                async with gate:
                    try:
                        return await self._guard(f"user/{name}/about", self._author(name))
                    except (RedditUnavailable, MalformedListing) as exc:
                        return exc

            tasks = [asyncio.ensure_future(one(n)) for n in names]
            done, pending = await asyncio.wait(tasks, timeout=max(timeout, 0.0)) if tasks else (set(), set())
            for task in pending:
                task.cancel()
            return {
                n: t.result() if t in done else RedditUnavailable(f"user/{n}/about: fetch deadline")
                for t, n in zip(tasks, names, strict=True)
            }

        return self.run(all_authors())


_lock = threading.Lock()
_clients: dict[RedditConfig, RedditClient] = {}


def get_client(config: RedditConfig) -> RedditClient:
    """The instance-wide client for ``config`` (token and rate limiter shared)."""
    with _lock:
        if config not in _clients:
            _clients[config] = RedditClient(config)
        return _clients[config]
