"""What one fetch of one subreddit does with what Reddit returned: pure, no I/O, no clock.

The fetch function reads listings and comment trees through the Reddit adapter and the
stored state through Firestore; everything it decides in between lives here: which items to
skip (stickied posts, AutoModerator, bot accounts), which posts deserve a comment-tree
request (new, or young and still gaining comments), in which order work is done so that a
failure midway leaves a cursor that is safe to resume from, which authors need a profile
lookup, and how mentions are grouped into one message per ticker.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from common import extraction
from common.mentions import item_text, mentions_from_item
from common.messages import Mention, MentionBatch, RedditItem

DEFAULT_BOTS = ("AutoModerator", "VisualMod", "WSBVoteBot", "RemindMeBot", "sneakpeekbot")


@dataclass(frozen=True)
class ListedPost:
    """A post as a listing showed it: the item, plus what only matters for filtering."""

    item: RedditItem
    stickied: bool = False


@dataclass(frozen=True)
class StoredPost:
    """What ``posts/{id}`` already says about a post (the planning needs no more)."""

    num_comments: int
    created_utc: float
    score: int = 0


@dataclass(frozen=True)
class Cursor:
    """How far a listing has been read: the newest post fully processed."""

    newest_created_utc: float = 0.0
    newest_id: str = ""

    @classmethod
    def from_doc(cls, data: Mapping[str, object] | None) -> "Cursor":
        if not data:
            return cls()
        created = data.get("newest_created_utc")
        return cls(float(created) if isinstance(created, int | float) else 0.0, str(data.get("newest_id") or ""))

    def to_doc(self) -> dict[str, object]:
        return {"newest_created_utc": self.newest_created_utc, "newest_id": self.newest_id}


@dataclass(frozen=True)
class PostWork:
    """One post to ingest; ``needs_tree`` costs one Reddit request for its comments."""

    post: RedditItem
    needs_tree: bool
    is_new: bool
    from_new: bool = True  # seen in the ``new`` listing: only those may move the cursor


@dataclass(frozen=True)
class Plan:
    work: tuple[PostWork, ...]
    deferred: int = 0  # new posts left for the next run (comment-tree budget spent)


def is_ignored_author(author: str | None, bots: Iterable[str]) -> bool:
    """AutoModerator and configured bots are not people talking about stocks."""
    if author is None:  # [deleted]: kept, as an unknown author
        return False
    name = author.lower()
    return name == "automoderator" or name in {b.lower() for b in bots}


def keep_post(listed: ListedPost, bots: Iterable[str]) -> bool:
    return not listed.stickied and not is_ignored_author(listed.item.author, bots)


def keep_comment(comment: RedditItem, bots: Iterable[str]) -> bool:
    return not is_ignored_author(comment.author, bots)


def data_now(posts: Iterable[ListedPost]) -> float:
    """The newest time the listings show: "now" as far as the data is concerned."""
    return max((p.item.created_utc for p in posts), default=0.0)


def plan(
    listed: Sequence[ListedPost],
    stored: Mapping[str, StoredPost],
    *,
    from_new: Iterable[str] = (),
    bots: Iterable[str],
    now: float,
    active_hours: float,
    max_trees: int,
) -> Plan:
    """Decide which listed posts to ingest, in which order, and which need comments.

    New posts (not stored yet) come first, oldest first: processing stops at the first
    failure, so whatever finished is a prefix in time and the cursor can move up to its
    newest post. Stored posts follow when they are still active (created within
    ``active_hours`` of ``now`` and their comment count grew): their new comments matter,
    but they never move the cursor. Comment trees beyond ``max_trees`` are deferred.
    Only posts the ``new`` listing showed (ids in ``from_new``) move the cursor: a post
    seen only in ``hot`` says nothing about what ``new`` has not been read yet.
    """
    in_new = set(from_new)
    seen: set[str] = set()
    new: list[RedditItem] = []
    active: list[RedditItem] = []
    for listed_post in listed:
        post = listed_post.item
        if post.id in seen or not keep_post(listed_post, bots):
            continue
        seen.add(post.id)
        before = stored.get(post.id)
        if before is None:
            new.append(post)
        elif post.created_utc >= now - active_hours * 3600 and post.num_comments > before.num_comments:
            active.append(post)
    new.sort(key=lambda p: (p.created_utc, p.id))
    active.sort(key=lambda p: p.created_utc, reverse=True)
    work: list[PostWork] = []
    trees = 0
    deferred = 0
    for post in new:
        needs_tree = post.num_comments > 0
        if deferred or (needs_tree and trees >= max_trees):
            deferred += 1  # keep the prefix property: nothing newer runs before this one
            continue
        trees += needs_tree
        work.append(PostWork(post, needs_tree=needs_tree, is_new=True, from_new=post.id in in_new))
    for post in active:
        if trees >= max_trees:
            break
        trees += 1
        work.append(PostWork(post, needs_tree=True, is_new=False, from_new=False))
    return Plan(tuple(work), deferred)


def completed_prefix(work: Sequence[PostWork], succeeded: Sequence[bool]) -> list[PostWork]:
    """The work that finished before the first new post that did not: only that may be
    stored and may move the cursor (active refreshes after a failure are harmless)."""
    done: list[PostWork] = []
    for unit, ok in zip(work, succeeded, strict=True):
        if not ok:
            if unit.is_new:
                break
            continue
        done.append(unit)
    return done


def advance(cursor: Cursor, done: Iterable[PostWork]) -> Cursor:
    """The cursor after ``done``: the newest new post processed, never moving back."""
    newest = cursor
    for unit in done:
        if (
            unit.is_new
            and unit.from_new
            and (unit.post.created_utc, unit.post.id) > (newest.newest_created_utc, newest.newest_id)
        ):
            newest = Cursor(unit.post.created_utc, unit.post.id)
    return newest


def select_comments(comments: Iterable[RedditItem], *, limit: int, bots: Iterable[str]) -> list[RedditItem]:
    """The first ``limit`` comments by people, in the order Reddit ranked them."""
    bots = tuple(bots)
    chosen: list[RedditItem] = []
    seen: set[str] = set()
    for comment in comments:
        if comment.id in seen or not keep_comment(comment, bots):
            continue
        seen.add(comment.id)
        chosen.append(comment)
        if len(chosen) >= limit:
            break
    return chosen


def split_sightings(
    done: Sequence[PostWork],
    posts: Sequence[RedditItem],
    comments: Sequence[RedditItem],
    *,
    known_comments: set[str],
    listed: Sequence[ListedPost],
    stored: Mapping[str, StoredPost],
) -> tuple[list[RedditItem], list[RedditItem]]:
    """(items to create and emit, stored items to refresh). Stored posts the listings show
    with a changed score or comment count are refreshed without a comment-tree request."""
    new_post_ids = {u.post.id for u in done if u.is_new}
    new = [p for p in posts if p.id in new_post_ids] + [c for c in comments if c.id not in known_comments]
    again = [p for p in posts if p.id not in new_post_ids] + [c for c in comments if c.id in known_comments]
    handled = {p.id for p in posts}
    for listed_post in listed:
        item, before = listed_post.item, stored.get(listed_post.item.id)
        if (
            before is not None
            and item.id not in handled
            and (item.score, item.num_comments)
            != (
                before.score,
                before.num_comments,
            )
        ):
            again.append(item)
    return new, list({i.id: i for i in again}.values())


@dataclass(frozen=True)
class AuthorFacts:
    """What Reddit says about an account; all None when unknown (missing, failed)."""

    name: str
    created_utc: float | None = None
    karma: int | None = None
    suspended: bool = False
    found: bool = True


def authors_to_look_up(
    items: Iterable[RedditItem], cached_expiry: Mapping[str, float], *, now: float, bots: Iterable[str]
) -> list[str]:
    """Distinct authors with no cached facts, or facts whose expiry (epoch) has passed."""
    bots = tuple(bots)
    names: dict[str, None] = {}
    for item in items:
        if item.author is None or is_ignored_author(item.author, bots):
            continue
        expires = cached_expiry.get(item.author)
        if expires is None or expires <= now:
            names.setdefault(item.author, None)
    return list(names)


def with_author(item: RedditItem, facts: AuthorFacts | None, run_id: str | None) -> RedditItem:
    if facts is None:
        return item.model_copy(update={"run_id": run_id})
    return item.model_copy(
        update={"author_created_utc": facts.created_utc, "author_karma": facts.karma, "run_id": run_id}
    )


@dataclass
class Extracted:
    """New items with their tickers filled in, and their mentions grouped per ticker."""

    items: list[RedditItem] = field(default_factory=list)
    by_ticker: dict[str, list[Mention]] = field(default_factory=lambda: defaultdict(list))

    def batches(self, run_id: str | None) -> list[MentionBatch]:
        return [MentionBatch(ticker=t, run_id=run_id, mentions=tuple(m)) for t, m in sorted(self.by_ticker.items())]

    def mentioning(self) -> list[RedditItem]:
        """The items that mention a ticker: only their authors' age matters downstream."""
        return [i for i in self.items if i.tickers]

    def with_authors(self, facts: Mapping[str, AuthorFacts], run_id: str | None) -> "Extracted":
        """Account age and karma filled into every item and mention whose author is known."""
        out = Extracted([with_author(i, facts.get(i.author or ""), run_id) for i in self.items])
        for ticker, mentions in self.by_ticker.items():
            for mention in mentions:
                known = facts.get(mention.author or "")
                out.by_ticker[ticker].append(
                    mention
                    if known is None
                    else mention.model_copy(
                        update={"author_created_utc": known.created_utc, "author_karma": known.karma}
                    )
                )
        return out


def extract_mentions(items: Sequence[RedditItem], *, known_posts: Mapping[str, RedditItem]) -> Extracted:
    """Run extraction on every new item. A comment is read in the context of its post's
    tickers (``thread_symbols``), which is why posts are extracted first."""
    out = Extracted()
    post_symbols: dict[str, frozenset[str]] = {}
    ordered = sorted(items, key=lambda i: i.kind != "post")
    for item in ordered:
        thread: frozenset[str] = frozenset()
        if item.kind == "comment" and item.link_id:
            if item.link_id not in post_symbols and item.link_id in known_posts:
                context = known_posts[item.link_id]
                post_symbols[item.link_id] = frozenset(extraction.symbols(item_text(context)))
            thread = post_symbols.get(item.link_id, frozenset())
        found = mentions_from_item(item, thread_symbols=thread)
        symbols = tuple(symbol for symbol, _ in found)
        if item.kind == "post":
            post_symbols[item.id] = frozenset(symbols)
        out.items.append(item.model_copy(update={"tickers": symbols}) if symbols else item)
        for symbol, mention in found:
            out.by_ticker[symbol].append(mention)
    return out
