"""Reddit through asyncpraw: listings, comment trees and author facts as plain data.

Requests are Reddit's scarce resource (about 100 a minute per OAuth client), so the reads
are the batched ones: posts and comments by subreddit listing (100 per request), author
facts by ``/api/user_data_by_account_ids`` (100 accounts per request, asyncpraw's
``partial_redditors``); comment trees and profiles only where nothing batched says enough.

asyncpraw is asynchronous while a Cloud Function handler is not, so one event loop runs in
a background thread per instance and keeps the asyncpraw client (its token and its rate
limiter, which must be shared by every request of the OAuth client) across invocations.

Retries are explicit and live in one place, :class:`RetryingRequestor`: 408, 429 and 5xx, and a
request cut on the way (reset, refused, timed out before its answer), are retried a bounded
number of times, waiting what Reddit asks for (``retry-after``, else
``x-ratelimit-reset`` when the budget is spent) or an exponential backoff (longer for a 429
that asks nothing), never more than ``max_wait`` per wait; then the error is raised as
:class:`RedditUnavailable`. asyncprawcore's own retry never sees a retryable status or a
request cut on the way, so the two do not multiply. Between successful calls asyncprawcore's
rate limiter spaces requests by the ``x-ratelimit-*`` headers; a 429 never reaches that
limiter, so the requestor itself keeps the pause: while one request waits to retry a 429,
every other request of the client waits as long before sending; after a 429 given up on,
each is :class:`RedditUnavailable` at once, sending nothing, for what Reddit asked (``max_wait``
when it asked nothing).

The same code reads real Reddit when ``oauth_url``/``reddit_url`` are left empty.
"""

import asyncio
import random
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import asyncpraw
from asyncpraw.models import Comment, Submission
from asyncprawcore import Requestor
from asyncprawcore import exceptions as praw_errors
from pydantic import ValidationError

from common import log
from common.fields import karma, number, well_formed
from common.ingest import AuthorFacts, ListedComment, ListedPost
from common.messages import RedditItem

logger = log.get_logger(__name__)
T = TypeVar("T")


def retried_status(status: int) -> bool:
    """408, 429 and every 5xx (Cloudflare's 52x in front of Reddit included) may pass a moment later."""
    return status in (408, 429) or 500 <= status <= 599


# What a request may meet on the way that a moment later it may not: retried like a 503, at
# most TRANSPORT_RETRIES times (a request that timed out has already cost its whole timeout).
_TRANSIENT = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError)
TRANSPORT_RETRIES = 2


class RedditUnavailable(Exception):
    """Reddit did not answer usefully within the retry budget (429/5xx/timeouts)."""


class MalformedListing(Exception):
    """Reddit answered, but not with something that reads as a listing or thread."""


class ListingRefused(Exception):
    """Reddit refuses this listing for good: the subreddit is private, quarantined or banned
    (403, 451), or gone (404, or a redirect to the subreddit search). Retrying cannot help
    until its moderators or Reddit change that; the next scheduled run asks again."""


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 4
    base_delay: float = 0.5
    max_wait: float = 60.0  # a single wait longer than this gives up instead
    # a 429 that says nothing of how long: Reddit is throttling us, and a retry half a second
    # later only adds to what it counts (5, 10, 20, 40 s)
    throttled_delay: float = 5.0


def retry_wait(policy: RetryPolicy, attempt: int, status: int, headers: Mapping[str, str]) -> float | None:
    """Seconds to wait before retry ``attempt`` (0-based), or None to give up.

    Reddit's own instructions win: ``retry-after`` first, then ``x-ratelimit-reset`` when
    ``x-ratelimit-remaining`` says the budget is spent. Otherwise exponential backoff with
    jitter. A wait above ``policy.max_wait`` is not worth holding a function instance for:
    the next scheduled run continues from the stored cursor instead.
    """
    if attempt >= policy.retries:
        return None
    asked = asked_wait(status, headers)
    base = policy.throttled_delay if status == 429 else policy.base_delay
    wait = asked if asked is not None else base * 2**attempt * (1 + random.random() / 2)
    return wait if wait <= policy.max_wait else None


def asked_wait(status: int, headers: Mapping[str, str]) -> float | None:
    """The seconds Reddit asked to wait: ``retry-after``, else ``x-ratelimit-reset`` when a
    429 says the budget is spent; None when it asked nothing (or nothing readable)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        if "retry-after" in lowered:
            return float(lowered["retry-after"])
        if status == 429 and float(lowered.get("x-ratelimit-remaining", "1")) <= 0:
            return float(lowered.get("x-ratelimit-reset", "0"))
    except ValueError:
        return None
    return None


@dataclass
class RetryCount:
    """Retries made, and the pauses a 429 set (monotonic seconds), shared by the client and the
    requestor asyncpraw builds for it (handed over through ``requestor_kwargs``, so nobody
    reaches into asyncpraw for its requestor): until ``not_before`` a request fails at once,
    sending nothing (a 429 given up on); until ``hold_until`` it waits first (a 429 one
    request retries after the wait Reddit asked)."""

    retried: int = 0
    not_before: float = 0.0
    hold_until: float = 0.0


class RetryingRequestor(Requestor):
    """asyncprawcore's HTTP layer with the bounded, header-honouring retry described above."""

    def __init__(
        self,
        *,
        policy: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        count: RetryCount | None = None,
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.policy = policy
        self._sleep = sleep
        self._clock = clock
        self.count = count if count is not None else RetryCount()  # for tests and the benchmark

    def _paused(self, wait: float | None, response: Any) -> None:
        """After a 429, every request of this client: held off while one retries (its wait),
        refused once it gives up, for what Reddit asked or (nothing asked) ``max_wait``, so
        the rest of the run sends nothing more and the next run goes on from the cursor."""
        now = self._clock()
        if wait is not None:
            self.count.hold_until = max(self.count.hold_until, now + wait)
            return
        asked = asked_wait(response.status, response.headers)
        self.count.not_before = max(self.count.not_before, now + (asked if asked is not None else self.policy.max_wait))

    def _refuse_if_paused(self) -> None:
        if (paused := self.count.not_before - self._clock()) > 0:
            raise RedditUnavailable(f"Reddit asked for a pause: {paused:.0f} s of it left, nothing sent")

    @asynccontextmanager
    async def request(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> AsyncIterator[Any]:
        del timeout
        self._refuse_if_paused()
        if (held := self.count.hold_until - self._clock()) > 0:  # another request waits out a 429: so does this one
            await self._sleep(min(held, self.policy.max_wait))
            self._refuse_if_paused()  # that one gave up meanwhile
        attempt = 0
        while True:
            wait: float | None
            handed = False  # past this, an error is the reader's (thrown in at the yield), not the request's
            try:
                # asyncprawcore always passes its module default; the configured timeout wins.
                async with super().request(*args, timeout=self.timeout, **kwargs) as response:
                    if not retried_status(response.status):
                        # the body too, before it is handed over: a connection cut while the
                        # JSON arrives is retried like one cut before (aiohttp keeps the body read)
                        await response.read()
                        handed = True
                        yield response
                        return
                    wait = retry_wait(self.policy, attempt, response.status, response.headers)
                    if response.status == 429:  # the client's other requests hold off too
                        self._paused(wait, response)
                    if wait is None:
                        asked = asked_wait(response.status, response.headers)
                        logger.warning(
                            "reddit answered %s, giving up",
                            response.status,
                            extra={
                                "json_fields": {
                                    "status": str(response.status),  # a label, as "none" is
                                    "attempt": attempt + 1,
                                    "url": str(response.url),
                                    "gave_up": True,
                                    "asked_wait_s": asked,
                                }
                            },
                        )
                        error = praw_errors.TooManyRequests if response.status == 429 else praw_errors.ServerError
                        raise error(response)
                    logger.warning(
                        "reddit answered %s, retrying in %.2fs",
                        response.status,
                        wait,
                        extra={
                            "json_fields": {
                                # a string: Cloud Logging keeps JSON numbers as doubles, and the
                                # metric's label (matched as "429" by reddit_paused) must not read "429.0"
                                "status": str(response.status),
                                "attempt": attempt + 1,
                                "url": str(response.url),
                            }
                        },
                    )
            except praw_errors.RequestException as exc:
                # a connection reset or refused, a read that timed out: one blip on page eight
                # would drop the seven before it
                if handed or not isinstance(exc.original_exception, _TRANSIENT):
                    raise
                cause = repr(exc.original_exception)
                fields = {"status": "none", "attempt": attempt + 1, "error": cause}
                wait = retry_wait(self.policy, attempt, 503, {}) if attempt < TRANSPORT_RETRIES else None
                if wait is None:  # unavailable, not RequestException: asyncprawcore would retry that again
                    logger.warning("reddit answered nothing (%s), giving up", cause, extra={"json_fields": fields})
                    raise RedditUnavailable(f"no answer from Reddit: {cause}") from exc
                logger.warning(
                    "reddit answered nothing (%s), retrying in %.2fs", cause, wait, extra={"json_fields": fields}
                )
            attempt += 1
            self.count.retried += 1
            await self._sleep(wait)


# ----------------------------------------------------------------------- normalising


def _author(thing: Any) -> str | None:
    author = getattr(thing, "author", None)
    name = getattr(author, "name", author)
    return str(name) if name and name != "[deleted]" else None


def _author_id(thing: Any) -> str | None:
    fullname = getattr(thing, "author_fullname", None)
    return str(fullname) if fullname and str(fullname).startswith("t2_") else None


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
        score=getattr(submission, "score", 0) or 0,
        num_comments=getattr(submission, "num_comments", 0) or 0,
        created_utc=submission.created_utc,
    )
    return ListedPost(item, stickied=bool(getattr(submission, "stickied", False)), author_id=_author_id(submission))


def comment_from(comment: Any) -> RedditItem:
    return RedditItem(
        id=f"t1_{comment.id}",
        kind="comment",
        subreddit=_subreddit(comment),
        author=_author(comment),
        body=str(getattr(comment, "body", "") or ""),
        permalink=str(comment.permalink),
        score=getattr(comment, "score", 0) or 0,
        created_utc=comment.created_utc,
        parent_id=str(comment.parent_id),
        link_id=str(comment.link_id),
    )


def listed_comment_from(comment: Any) -> ListedComment:
    """A comment of ``/r/{sub}/comments``, with the thread context the listing carries."""
    title = well_formed(str(getattr(comment, "link_title", None) or ""))  # the extractor reads it too
    return ListedComment(comment_from(comment), author_id=_author_id(comment), link_title=title)


def _readable(convert: Callable[[Any], T], thing: Any, skipped: list[str] | None, expected: type) -> T | None:
    """``convert(thing)``, or None when Reddit's answer for this one thing does not read as a
    post or comment (logged, and its name added to ``skipped``): one bad item must not cost
    the rest of its listing, nor hold the listing's cursor behind it run after run. A thing
    of another kind than ``expected`` (asyncpraw hands a child kind it does not know over
    as a plain dict) is one such. A mistake in this project's own code still raises."""
    if not isinstance(thing, expected):
        reason = f"a {type(thing).__name__} listed where a {expected.__name__} was expected"
    else:
        try:
            return convert(thing)
        except (ValidationError, *_READING_ERRORS) as exc:
            if not isinstance(exc, ValidationError) and not _raised_reading_reddit(exc):
                raise
            reason = repr(exc)[:300]
    data = thing.get("data") if isinstance(thing, dict) else None
    named = data.get("name") if isinstance(data, dict) else getattr(thing, "name", None) or getattr(thing, "id", None)
    name = str(named or "an item without an id")
    logger.error(
        "unreadable Reddit item %s skipped: %s", name, reason, extra={"json_fields": {"item": name, "reason": reason}}
    )
    if skipped is not None:
        skipped.append(name)
    return None


def _tree_comments(submission: Any) -> list[tuple[RedditItem, str | None]]:
    """The comments of a loaded thread that read as comments, each with its author's fullname."""
    read = []
    for thing in submission.comments.list():
        if not isinstance(thing, Comment):  # a "more comments" stub the read did not expand
            continue
        if (item := _readable(comment_from, thing, None, Comment)) is not None:
            read.append((item, _author_id(thing)))
    return read


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
    author_ids: Mapping[str, str] = field(default_factory=dict)  # name -> t2 fullname


@dataclass(frozen=True)
class TreeRequest:
    """What a comment-tree read asks for: sort ``top``, ``limit`` comments, and at most
    ``replace_more`` extra requests when fewer than ``limit`` of them are ``usable``."""

    limit: int
    replace_more: int
    usable: Callable[[RedditItem], bool]


# What reading an unexpected answer raises inside asyncpraw (a listing without "data", a
# thing without "kind"...). Raised in our own code, the same types are bugs and propagate.
_READING_ERRORS = (KeyError, TypeError, AttributeError, IndexError, ValueError, AssertionError)
_CLIENT_PACKAGES = frozenset({"asyncpraw", "asyncprawcore"})


def _raised_reading_reddit(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by asyncpraw while it read Reddit's answer (the frame that
    raised it belongs to the client library), not by a mistake in this project's code."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    module = str(tb.tb_frame.f_globals.get("__name__", ""))
    return module.split(".", 1)[0] in _CLIENT_PACKAGES


_UNAVAILABLE = (praw_errors.TooManyRequests, praw_errors.ServerError, praw_errors.RequestException)
_REFUSED = (praw_errors.Forbidden, praw_errors.NotFound, praw_errors.Redirect, praw_errors.UnavailableForLegalReasons)


def _by_status(what: str, exc: praw_errors.ResponseException) -> Exception:
    """One answer the named exceptions above leave out, by its status: Reddit's side or our
    token (5xx, 408, 401 that outlived the refresh) may pass later; a refusal of this resource
    (403 for a scope) is its listing's; any other 4xx is an answer we cannot read. None of them
    may end the whole run, as an unknown exception would."""
    status = int(getattr(exc.response, "status", 0) or 0)
    if status >= 500 or status in (401, 408):
        return RedditUnavailable(f"{what}: HTTP {status}")
    if status == 403:
        return ListingRefused(f"{what}: HTTP {status}")
    return MalformedListing(f"{what}: HTTP {status}: {exc!r}")


class RedditClient:
    """Sync facade over asyncpraw on the instance's background loop."""

    def __init__(self, config: RedditConfig) -> None:
        self.config = config
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self._loop.run_forever, name="reddit-loop", daemon=True)
        self._loop_thread.start()
        self._reddit: asyncpraw.Reddit | None = None
        self._retries = RetryCount()

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
                requestor_kwargs={"policy": self.config.policy, "timeout": self.config.timeout, "count": self._retries},
                check_for_updates=False,
                **urls,
            )
            self._reddit.read_only = True
        return self._reddit

    @property
    def retried(self) -> int:
        return self._retries.retried

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
        except _REFUSED as exc:
            raise ListingRefused(f"{what}: {exc}") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise RedditUnavailable(f"{what}: {exc!r}") from exc
        except (praw_errors.BadJSON, ValidationError) as exc:  # not JSON, or not a post or comment
            raise MalformedListing(f"{what}: {exc!r}") from exc
        except praw_errors.ResponseException as exc:  # any other status asyncprawcore names
            raise _by_status(what, exc) from exc
        except praw_errors.OAuthException as exc:  # our credentials refused: every listing alike
            raise RedditUnavailable(f"{what}: the token was refused: {exc}") from exc
        except asyncpraw.exceptions.RedditAPIException as exc:  # an answer naming errors, not the thing asked
            raise MalformedListing(f"{what}: {exc}") from exc
        except _READING_ERRORS as exc:
            if _raised_reading_reddit(exc):
                raise MalformedListing(f"{what}: {exc!r}") from exc
            raise

    # -- listings

    async def _listing(  # noqa: PLR0917 - the listing's parameters, as listing() takes them
        self, subreddit: str, sort: str, newer_than: float, max_items: int, page_size: int, skipped: list[str] | None
    ) -> list[ListedPost]:
        sub = await self._client().subreddit(subreddit)
        generator = getattr(sub, sort)(limit=max_items, request_limit=page_size)
        posts: list[ListedPost] = []
        seen = 0
        async for submission in generator:
            seen += 1
            if (listed := _readable(post_from, submission, skipped, Submission)) is not None:
                posts.append(listed)
            # Pages are newest first: once a whole page reaches the cursor, stop paging.
            last = posts[-1] if posts else None
            on_page_end = seen % page_size == 0
            if sort == "new" and on_page_end and last and last.item.created_utc < newer_than and not last.stickied:
                break
        return posts

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
    ) -> list[ListedPost]:
        """Posts of ``/r/{subreddit}/{sort}``, newest first; ``new`` is paged until a page
        ends at or before ``newer_than`` (the cursor) or ``max_items``. Not served whole within
        ``timeout`` (asyncprawcore waits out a spent rate-limit window, up to ten minutes):
        :class:`RedditUnavailable`. A post that does not read as one is left out, logged and
        named in ``skipped``."""
        reading = asyncio.wait_for(self._listing(subreddit, sort, newer_than, max_items, page_size, skipped), timeout)
        return self.run(self._guard(f"r/{subreddit}/{sort}", reading))

    async def _comments(
        self, subreddit: str, newer_than: float, max_items: int, skipped: list[str] | None
    ) -> list[ListedComment]:
        sub = await self._client().subreddit(subreddit)
        comments: list[ListedComment] = []
        seen = 0
        async for thing in sub.comments(limit=max_items, request_limit=100):
            seen += 1
            if (listed := _readable(listed_comment_from, thing, skipped, Comment)) is not None:
                comments.append(listed)
            if seen % 100 == 0 and comments and comments[-1].item.created_utc < newer_than:
                break  # a whole page reached the cursor
        return comments

    def comments(
        self,
        subreddit: str,
        *,
        newer_than: float = 0.0,
        max_items: int = 1000,
        timeout: float | None = None,
        skipped: list[str] | None = None,
    ) -> list[ListedComment]:
        """The newest comments of ``/r/{subreddit}/comments`` (100 per request), paged until
        a page ends before ``newer_than`` (the comment cursor) or ``max_items``; within
        ``timeout`` as :meth:`listing`, unreadable comments as there."""
        reading = asyncio.wait_for(self._comments(subreddit, newer_than, max_items, skipped), timeout)
        return self.run(self._guard(f"r/{subreddit}/comments", reading))

    # -- comment trees

    async def _thread(self, post_id: str, wanted: TreeRequest) -> Thread:
        submission = await self._client().submission(post_id.removeprefix("t3_"), fetch=False)
        submission.comment_sort = "top"
        submission.comment_limit = wanted.limit
        try:
            await submission.load()
        except (praw_errors.NotFound, praw_errors.Forbidden):
            return Thread(None, ())
        read = _tree_comments(submission)
        has_more = any(isinstance(c, asyncpraw.models.MoreComments) for c in submission.comments.list())
        if wanted.replace_more > 0 and has_more and sum(wanted.usable(c) for c, _ in read) < wanted.limit:
            await submission.comments.replace_more(limit=wanted.replace_more)
            read = _tree_comments(submission)
        ids = {c.author: i for c, i in read if c.author and i}
        return Thread(post_from(submission), tuple(c for c, _ in read), ids)

    def threads(self, post_ids: Sequence[str], wanted: TreeRequest, *, timeout: float) -> list[Thread | Exception]:
        """Each post's comment tree as ``wanted`` says (extra requests only when bots and
        nesting leave too few usable comments), fetched with bounded concurrency. A failed
        or unfinished post is an exception in its slot."""

        async def all_threads() -> list[Thread | Exception]:
            gate = asyncio.Semaphore(self.config.concurrency)

            async def one(post_id: str) -> Thread | Exception:
                async with gate:
                    try:
                        return await self._guard(f"comments/{post_id}", self._thread(post_id, wanted))
                    except (RedditUnavailable, MalformedListing, ListingRefused) as exc:
                        return exc
                    except Exception as exc:  # a tree is an extra: its post and comments still come by listing
                        return _extra_failed(f"comment tree of {post_id}", exc)

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

    async def _profile(self, name: str) -> AuthorFacts:
        try:
            redditor = await self._client().redditor(name, fetch=True)
        except praw_errors.NotFound:
            return AuthorFacts(name, found=False)
        if getattr(redditor, "is_suspended", False):
            return AuthorFacts(name, suspended=True)
        return _facts(name, redditor)

    async def _batch(self, fullnames: Mapping[str, str]) -> dict[str, AuthorFacts]:
        """One ``/api/user_data_by_account_ids`` request for up to 100 accounts (fullname ->
        name); accounts missing from the answer are missing from the result."""
        found: dict[str, AuthorFacts] = {}
        async for partial in self._client().redditors.partial_redditors(list(fullnames)):
            name = fullnames.get(str(getattr(partial, "fullname", "")))
            if name is not None:
                found[name] = _facts(name, partial)
        return found

    def authors(self, names: Mapping[str, str | None], *, timeout: float) -> dict[str, AuthorFacts | Exception]:
        """Account facts per author name (mapped to its ``t2_`` fullname when a listing gave
        one). Known fullnames are looked up 100 per request; an account the batch leaves out
        (suspended or deleted) or without a fullname costs one profile request, which tells
        the two apart: ``suspended=True`` or ``found=False``, at most
        :data:`PROFILES_PER_LOOKUP` of them. A failed lookup, or one past that bound, is an
        exception (not cached, retried by a later run)."""
        with_id = {fullname: name for name, fullname in names.items() if fullname}
        chunks = [dict(list(with_id.items())[i : i + BATCH_IDS]) for i in range(0, len(with_id), BATCH_IDS)]

        async def all_authors() -> dict[str, AuthorFacts | Exception]:
            gate = asyncio.Semaphore(self.config.concurrency)
            out: dict[str, AuthorFacts | Exception] = {}

            async def batch(chunk: dict[str, str]) -> None:
                async with gate:
                    try:
                        found = await self._guard("api/user_data_by_account_ids", self._batch(chunk))
                    except (RedditUnavailable, MalformedListing, ListingRefused) as exc:
                        out.update({name: exc for name in chunk.values()})
                        return
                    except Exception as exc:  # account facts are an extra: a run never fails for them
                        out.update(dict.fromkeys(chunk.values(), _extra_failed("account lookup", exc)))
                        return
                out.update(found)

            async def profile(name: str) -> None:
                async with gate:
                    try:
                        out[name] = await self._guard(f"user/{name}/about", self._profile(name))
                    except (RedditUnavailable, MalformedListing, ListingRefused) as exc:
                        out[name] = exc
                    except Exception as exc:
                        out[name] = _extra_failed(f"profile of {name}", exc)

            async def everything() -> None:
                await asyncio.gather(*(batch(c) for c in chunks))
                left = [n for n in names if n not in out]
                for name in left[PROFILES_PER_LOOKUP:]:
                    out[name] = RedditUnavailable(
                        f"author {name}: past the run's {PROFILES_PER_LOOKUP} profile lookups"
                    )
                await asyncio.gather(*(profile(n) for n in left[:PROFILES_PER_LOOKUP]))

            with suppress(TimeoutError):
                await asyncio.wait_for(everything(), timeout=max(timeout, 0.0))
            return {n: out.get(n) or RedditUnavailable(f"author {n}: fetch deadline") for n in names}

        return self.run(all_authors())


BATCH_IDS = 100  # accounts per /api/user_data_by_account_ids request (Reddit's maximum)
# Profile requests (one account each) per lookup: the accounts the batch leaves out are
# mostly suspended ones, which a spam wave brings by the hundred; the rest wait for the next
# run (not cached), so the subreddits sharing the OAuth client keep their request budget.
PROFILES_PER_LOOKUP = 50


def _extra_failed(what: str, exc: Exception) -> Exception:
    """An extra (account facts, a comment tree) that failed in a way no Reddit answer should
    make it: logged with its traceback for Error Reporting, and only that extra is lost this
    run (a run failing on it would fail the same way every time and stall the subreddit)."""
    logger.error("%s failed unexpectedly; the run goes on without it", what, exc_info=exc)
    return MalformedListing(f"{what}: {exc!r}")


def _facts(name: str, thing: Any) -> AuthorFacts:
    """An account's facts as read; a value that is no number is unknown, not a failure."""
    known = karma(getattr(thing, "link_karma", None), getattr(thing, "comment_karma", None))
    return AuthorFacts(name, created_utc=number(getattr(thing, "created_utc", None)), karma=known)


_lock = threading.Lock()
_clients: dict[RedditConfig, RedditClient] = {}


def get_client(config: RedditConfig) -> RedditClient:
    """The instance-wide client for ``config`` (token and rate limiter shared)."""
    with _lock:
        if config not in _clients:
            _clients[config] = RedditClient(config)
        return _clients[config]
