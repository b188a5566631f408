"""What one fetch of one subreddit does with what Reddit returned: pure, no I/O, no clock.

The fetch function reads listings (posts and comments) and comment trees through the Reddit
adapter and the stored state through Firestore; everything it decides in between lives
here: which items to skip (stickied posts, AutoModerator, bot accounts), which few busy
posts deserve a comment-tree request, how far the post and comment cursors may move, which
authors need a lookup, and how mentions are grouped into one message per ticker.
"""

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from common import extraction
from common.fields import number
from common.mentions import item_text, mentions_from_item
from common.messages import Mention, MentionBatch, RedditItem
from common.timekeys import hour_key, hour_start


@dataclass(frozen=True)
class ListedPost:
    """A post as a listing showed it: the item, plus what only matters for filtering."""

    item: RedditItem
    stickied: bool = False
    author_id: str | None = None  # the author's t2_ fullname, for the batched account lookup


@dataclass(frozen=True)
class ListedComment:
    """A comment as ``/r/{sub}/comments`` showed it, with the thread context it carries."""

    item: RedditItem
    author_id: str | None = None
    link_title: str = ""  # the post's title: enough context for the comment's tickers


@dataclass(frozen=True)
class StoredPost:
    """What ``posts/`` already says about a post (the planning needs no more)."""

    num_comments: int
    created_utc: float
    score: int = 0


RECENT_POSTS = 200  # posts whose last-stored numbers the cursor document keeps
TREE_COMMENTS_AHEAD = 1000  # tree comments ahead of the comment cursor it remembers
AUTHORS_REMEMBERED = 2000  # authors whose looked-up account facts it keeps


@dataclass(frozen=True)
class AuthorFacts:
    """What Reddit says about an account; all None when unknown (missing, failed)."""

    name: str
    created_utc: float | None = None
    karma: int | None = None
    suspended: bool = False
    found: bool = True


@dataclass(frozen=True)
class Cursor:
    """How far the listings have been read: the newest post and the newest comment fully
    processed (each listing has its own position), plus what spares the run reading
    ``posts/`` back: the stored ``(num_comments, score, created_utc)`` of the most recent
    posts (``posts``), and the tree comments stored ahead of the comment cursor (``ahead``,
    id -> created_utc), the only comments newer than it that may already be stored; and the
    account facts of the subreddit's authors looked up lately (``authors``, name -> (facts,
    expiry in epoch seconds)), so no author costs a read or a write of its own."""

    newest_created_utc: float = 0.0
    newest_id: str = ""
    comments_created_utc: float = 0.0
    comments_id: str = ""
    posts: Mapping[str, tuple[int, int, float]] = field(default_factory=dict)
    ahead: Mapping[str, float] = field(default_factory=dict)
    # who in the subreddit named which word-like tickers in its last day, by hour key
    # (extraction.Community: author stand-ins, at most COMMUNITY_MIN_AUTHORS per symbol)
    community: Mapping[str, Mapping[str, list[str]]] = field(default_factory=dict)
    authors: Mapping[str, tuple[AuthorFacts, float]] = field(default_factory=dict)
    # the newest comments the last run listed (all ingested or skipped by then): a comment
    # behind the comment cursor among them needs no store check; one not among them was
    # listed late (a held comment approved) and is checked (:func:`new_comments`)
    listed: frozenset[str] = frozenset()
    # Every item the listings will show created before this data time has been read and its
    # mentions published: the further of the two positions, moved only by a run that read both
    # the new posts and the comments whole (a late item aside: one approved or re-read later;
    # and a listing cut at Reddit's limit leaves a gap no run reads). None: no run has; 0.0:
    # the subreddit has shown nothing, or Reddit refuses its listings. Dispatch's silence
    # checks wait for the slowest subreddit's (functions/dispatch/silence.py).
    read_through: float | None = None
    # How fast the subreddit writes, in items per second of data time: the faster of its two
    # newest-first listings (posts, comments) as the last runs saw it (:func:`with_pace`).
    # Each listing shows about 1,000 items, so dispatch fetches a busy subreddit often enough
    # that they hold everything written between two runs (common.dispatching.Cadence).
    pace: float = 0.0
    # How many runs in a row Reddit served none of the newest-first listings (each unavailable,
    # not refused): dispatch sends such a subreddit less often (common.dispatching.Cadence), so
    # one Reddit keeps failing does not hold a fetch slot the others need, run after run. A
    # run served one of them (the posts, say, while the comments keep failing) counts none:
    # sent less often, what that listing holds would overflow it.
    unserved_runs: int = 0
    # The ids of the last runs that saved it, newest first (:func:`ran`): dispatch holds a
    # subreddit back while the run it sent last is not among them (common.dispatching.due).
    runs: tuple[str, ...] = ()
    # The update time of the stored cursor this one was read from (None: there was none): a
    # save finding another there knows another run of the subreddit saved in between.
    version: datetime | None = field(default=None, compare=False)

    @classmethod
    def from_doc(cls, data: Mapping[str, object] | None) -> "Cursor":
        if not data:
            return cls()

        def number(key: str) -> float:
            value = data.get(key)
            return float(value) if isinstance(value, int | float) else 0.0

        recent = data.get("recent_posts")
        posts: dict[str, tuple[int, int, float]] = {}
        if isinstance(recent, Mapping):
            for pid, entry in recent.items():
                if isinstance(entry, list | tuple) and len(entry) == 3:
                    posts[str(pid)] = (int(entry[0]), int(entry[1]), float(entry[2]))
        ahead = data.get("tree_comments_ahead")
        named = data.get("community")
        community = {
            str(hour): {str(k): [str(a) for a in v] for k, v in counts.items() if isinstance(v, list)}
            for hour, counts in (named.items() if isinstance(named, Mapping) else ())
            if isinstance(counts, Mapping) and isinstance(hour, str) and len(hour) == 10 and hour.isdigit()
        }
        authors = data.get("authors")
        listed = data.get("comments_listed")
        return cls(
            number("newest_created_utc"),
            str(data.get("newest_id") or ""),
            number("comments_newest_created_utc"),
            str(data.get("comments_newest_id") or ""),
            posts,
            {str(k): float(v) for k, v in ahead.items()} if isinstance(ahead, Mapping) else {},
            community,
            {
                str(name): _cached_author(str(name), entry)
                for name, entry in (authors.items() if isinstance(authors, Mapping) else ())
                if isinstance(entry, list | tuple) and len(entry) == 5
            },
            frozenset(str(i) for i in listed) if isinstance(listed, list | tuple) else frozenset(),
            read_through=float(through) if isinstance(through := data.get("read_through"), int | float) else None,
            pace=number("pace"),
            unserved_runs=int(number("unserved_runs")),
            runs=tuple(str(r) for r in runs) if isinstance(runs := data.get("runs"), list | tuple) else (),
        )

    def to_doc(self) -> dict[str, object]:
        return {
            "newest_created_utc": self.newest_created_utc,
            "newest_id": self.newest_id,
            "comments_newest_created_utc": self.comments_created_utc,
            "comments_newest_id": self.comments_id,
            "recent_posts": {pid: list(entry) for pid, entry in self.posts.items()},
            "tree_comments_ahead": dict(self.ahead),
            "community": {hour: {s: list(a) for s, a in counts.items()} for hour, counts in self.community.items()},
            "authors": {
                name: [f.created_utc, f.karma, f.suspended, f.found, expires]
                for name, (f, expires) in self.authors.items()
            },
            "comments_listed": sorted(self.listed),
            "read_through": self.read_through,
            "pace": self.pace,
            "unserved_runs": self.unserved_runs,
            "runs": list(self.runs),
        }

    def named(self) -> extraction.Community:
        """The subreddit's :class:`common.extraction.Community`, to add a run to."""
        return extraction.Community(
            {hour_start(k) // 3600: {s: list(a) for s, a in v.items()} for k, v in self.community.items()}
        )

    def with_named(self, community: extraction.Community, at: float) -> "Cursor":
        """This cursor keeping ``community``'s hours still read at ``at`` or later."""
        kept = community.since(at).hours
        return replace(self, community={hour_key(h * 3600.0): counts for h, counts in sorted(kept.items())})


def _cached_author(name: str, entry: Sequence[object]) -> tuple[AuthorFacts, float]:
    """One ``authors`` entry of a cursor document: ``[created_utc, karma, suspended, found,
    expires]``."""
    created, karma, suspended, found, expires = entry
    karma_number = number(karma)
    facts = AuthorFacts(
        name,
        created_utc=number(created),
        karma=None if karma_number is None else int(karma_number),
        suspended=bool(suspended),
        found=bool(found),
    )
    return facts, number(expires) or 0.0


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

    @property
    def trees(self) -> list[str]:
        return [w.post.id for w in self.work if w.needs_tree]


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


# How far past the fetch's own clock an item may claim to be written: clocks drift by seconds.
# More would let one item dated hours ahead carry the cursor past everything written until
# then, and later runs stop paging at that cursor (a silent loss, not a crash).
FUTURE_SKEW_S = 600.0


_Listed = TypeVar("_Listed", ListedPost, ListedComment)


def from_the_future(listed: Sequence[_Listed], now: float) -> tuple[list[_Listed], list[str]]:
    """``listed`` less the items dated after ``now`` (and ``FUTURE_SKEW_S``), and those ids. One
    such item (a broken dump replayed, a bad clock) would set its tickers' data clock
    decades ahead, after which every real item reads as a month old and is never counted."""
    kept = [entry for entry in listed if entry.item.created_utc <= now + FUTURE_SKEW_S]
    return kept, [entry.item.id for entry in listed if entry.item.created_utc > now + FUTURE_SKEW_S]


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
    min_new_comments: int = 1,
) -> Plan:
    """Decide which listed posts to ingest and which few get a comment tree.

    Every new post (not stored yet) is ingested, oldest first; its comments arrive through
    the comment listing, so no post waits for a tree. Trees (one request each) go to the
    busiest young posts: created within ``active_hours`` of ``now`` and at least
    ``min_new_comments`` comments more than when last stored (all of them for a new post),
    the most grown first, at most ``max_trees``: their top comments' scores move, and a thread
    busier than the listing window may have comments the listing no longer reaches.
    Only posts the ``new`` listing showed (ids in ``from_new``) move the cursor: a post
    seen only in ``hot`` says nothing about what ``new`` has not been read yet.
    """
    in_new = set(from_new)
    seen: set[str] = set()
    new: list[RedditItem] = []
    busy: list[tuple[int, int, RedditItem]] = []
    for listed_post in listed:
        post = listed_post.item
        if post.id in seen or not keep_post(listed_post, bots):
            continue
        seen.add(post.id)
        before = stored.get(post.id)
        if before is None:
            new.append(post)
        grown = post.num_comments - (before.num_comments if before else 0)
        if post.created_utc >= now - active_hours * 3600 and grown >= max(min_new_comments, 1):
            busy.append((grown, post.score, post))
    busy.sort(key=lambda b: (b[0], b[1], b[2].id), reverse=True)
    trees = {post.id for _, _, post in busy[: max(max_trees, 0)]}
    new.sort(key=lambda p: (p.created_utc, p.id))
    work = [PostWork(p, needs_tree=p.id in trees, is_new=True, from_new=p.id in in_new) for p in new]
    fresh = {p.id for p in new}
    work += [
        PostWork(post, needs_tree=True, is_new=False, from_new=False)
        for _, _, post in busy[: max(max_trees, 0)]
        if post.id not in fresh
    ]
    return Plan(tuple(work))


def advance(cursor: Cursor, done: Iterable[PostWork]) -> Cursor:
    """The cursor after ``done``: the newest new post processed, never moving back."""
    newest = cursor
    for unit in done:
        if (
            unit.is_new
            and unit.from_new
            and (unit.post.created_utc, unit.post.id) > (newest.newest_created_utc, newest.newest_id)
        ):
            newest = replace(newest, newest_created_utc=unit.post.created_utc, newest_id=unit.post.id)
    return newest


def advance_past_skipped(
    cursor: Cursor, listed: Iterable[ListedPost], from_new: Iterable[str], bots: Iterable[str]
) -> Cursor:
    """The cursor past the posts ``new`` showed that a bot wrote, skipped on purpose (as the
    comment cursor moves past bots' comments): else, where a bot posts more than people do,
    every run pages back to the last person's post, and past the listing's reach says data
    was lost that never was. A stickied post is an old one pinned, and moves nothing."""
    shown = set(from_new)
    newest = cursor
    for listed_post in listed:
        post = listed_post.item
        if (
            post.id in shown
            and not listed_post.stickied
            and is_ignored_author(post.author, bots)
            and (post.created_utc, post.id) > (newest.newest_created_utc, newest.newest_id)
        ):
            newest = replace(newest, newest_created_utc=post.created_utc, newest_id=post.id)
    return newest


def unread_span(oldest_listed: float | None, cursor_time: float) -> tuple[float, float] | None:
    """The data time a newest-first listing may have lost: from the cursor to the oldest item
    it gave, when it stopped before reaching back to the cursor (Reddit serves about 1,000
    items per listing, fewer than a busy subreddit writes during a long outage). The cursor
    moves past that span all the same, since no listing can page further back, so the loss
    is reported, never silent. None when the listing reached the cursor, gave nothing, or
    there was no cursor yet (a first run reads what there is)."""
    if cursor_time <= 0 or oldest_listed is None or oldest_listed <= cursor_time:
        return None
    return (cursor_time, oldest_listed)


PACE_MEMORY = 0.5  # the share of the last pace a run keeps: a burst counts at once, a lull halves it each run
PACE_MEMORY_MISSED = 0.9  # ... and a run that missed a listing, which may be the busy one
PACE_WINDOW = 100  # the newest items a listing's latest pace is read from
PACE_SAMPLE = 20  # the fewest items that say anything of a latest pace


def listing_pace(created: Iterable[float], since: float, *, cut: bool) -> float:
    """Items per second of data time a newest-first listing showed, read back to ``since``
    (its cursor's position): the faster of its pace since the cursor and its latest pace
    (its newest :data:`PACE_WINDOW` items over their own span, from :data:`PACE_SAMPLE` on), so
    a burst after a quiet spell counts at once. A listing ``cut`` short of the cursor
    (:func:`unread_span`), or read with no cursor yet, is measured over its own span. 0.0 when
    it shows too little to say (fewer than two items)."""
    times = sorted(t for t in created if t > since)
    if len(times) < 2:
        return 0.0
    own = cut or since <= 0
    span = times[-1] - (times[0] if own else since)
    paces = [(len(times) - 1 if own else len(times)) / span] if span > 0 else []
    latest = times[-PACE_WINDOW:]
    if len(latest) >= PACE_SAMPLE and latest[-1] > latest[0]:
        paces.append((len(latest) - 1) / (latest[-1] - latest[0]))
    return max(paces, default=0.0)


RUNS_KEPT = 8  # run ids a cursor remembers: more than the runs of a subreddit that overlap


def _runs(*ids: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))[:RUNS_KEPT]


def ran(cursor: Cursor, run_id: str) -> Cursor:
    """``cursor`` as run ``run_id`` saves it."""
    return replace(cursor, runs=_runs(run_id, *cursor.runs))


def with_pace(cursor: Cursor, *observed: float, missed: bool = False, unserved: bool = False) -> Cursor:
    """``cursor`` after a run that measured its listings at ``observed`` (items per second):
    the fastest of them, or what is kept of the last pace if that was faster. A run that
    ``missed`` a listing (Reddit did not serve it, or its deadline came) keeps more of the
    last pace, since the listing it missed may be the busy one, but not all of it: runs that
    keep missing (throttled for long) must not pin a subreddit to its busiest pace for good.
    A run Reddit served none of them (``unserved``) is counted (``unserved_runs``); one it
    served starts the count again."""
    kept = cursor.pace * (PACE_MEMORY_MISSED if missed else PACE_MEMORY)
    return replace(cursor, pace=max(*observed, kept, 0.0), unserved_runs=cursor.unserved_runs + 1 if unserved else 0)


def known_posts(
    listed: Sequence[ListedPost], cursor: Cursor, *, from_new: Iterable[str], bots: Iterable[str]
) -> tuple[dict[str, StoredPost], list[str]]:
    """What the cursor document already says about the listed posts, and the ids only
    ``posts/`` can answer for. A post the ``new`` listing showed newer than the post cursor
    was never stored (the cursor moves only after the store; a post stored from ``hot`` alone
    is in ``cursor.posts``), so it costs no read; neither does a post the cursor remembers.
    A cursor that never moved proves nothing: every other post is read."""
    bots = tuple(bots)
    in_new = set(from_new)
    remembered: dict[str, StoredPost] = {}
    unknown: dict[str, None] = {}
    for listed_post in listed:
        post = listed_post.item
        if not keep_post(listed_post, bots):
            continue
        entry = cursor.posts.get(post.id)
        if entry is not None:
            remembered[post.id] = StoredPost(entry[0], entry[2], entry[1])
        elif not (cursor.newest_created_utc > 0 and post.id in in_new and post.created_utc > cursor.newest_created_utc):
            unknown.setdefault(post.id, None)
    return remembered, list(unknown)


def proven_new_comments(listed: Iterable[ListedComment], cursor: Cursor) -> set[str]:
    """Listed comments that cannot be stored yet: newer than the comment cursor (which moves
    only after the store) and not a tree comment stored ahead of it. A cursor that never
    moved proves nothing."""
    if cursor.comments_created_utc <= 0:
        return set()
    return {
        c.item.id for c in listed if c.item.created_utc > cursor.comments_created_utc and c.item.id not in cursor.ahead
    }


def remember(
    cursor: Cursor,
    stored_before: Mapping[str, StoredPost],
    written: Iterable[RedditItem],
    tree_comments: Iterable[RedditItem],
) -> Cursor:
    """The cursor carrying what ``posts/`` now holds for the most recent posts: those stored
    before (as read or remembered) overwritten by the posts this run created or refreshed,
    ``RECENT_POSTS`` kept (this run's sightings first: ``hot`` shows the same old posts run
    after run; then the newest); and the tree comments stored ahead of the comment
    cursor (call after :func:`advance_comments`), those it has passed dropped."""
    posts = dict(cursor.posts)
    posts.update({pid: (s.num_comments, s.score, s.created_utc) for pid, s in stored_before.items()})
    posts.update({p.id: (p.num_comments, p.score, p.created_utc) for p in written if p.kind == "post"})
    seen_now = set(stored_before) | {p.id for p in written if p.kind == "post"}
    newest = sorted(posts.items(), key=lambda kv: (kv[0] in seen_now, kv[1][2], kv[0]), reverse=True)[:RECENT_POSTS]
    ahead = {**cursor.ahead, **{c.id: c.created_utc for c in tree_comments}}
    kept = sorted(
        ((cid, at) for cid, at in ahead.items() if at > cursor.comments_created_utc),
        key=lambda kv: (kv[1], kv[0]),
        reverse=True,
    )[:TREE_COMMENTS_AHEAD]
    return replace(cursor, posts=dict(newest), ahead=dict(kept))


def remember_authors(cursor: Cursor, looked_up: Iterable[AuthorFacts], *, now: float, days: float) -> Cursor:
    """The cursor caching the facts ``looked_up`` at ``now`` (epoch seconds) until ``days``
    later, beside those it holds that have not expired; ``AUTHORS_REMEMBERED`` kept, the
    soonest to expire dropped first. A name Firestore reserves as a field name (``__x__``)
    is not cached: it is looked up every time."""
    kept = {name: entry for name, entry in cursor.authors.items() if entry[1] > now}
    kept.update(
        {
            f.name: (f, now + days * 86400)
            for f in looked_up
            if f.name and not (f.name.startswith("__") and f.name.endswith("__"))
        }
    )
    newest = sorted(kept.items(), key=lambda kv: (kv[1][1], kv[0]), reverse=True)[:AUTHORS_REMEMBERED]
    return replace(cursor, authors=dict(newest))


def new_comments(listed: Iterable[ListedComment], cursor: Cursor, *, bots: Iterable[str]) -> list[ListedComment]:
    """Comments of the listing by people, once each, except the cursor's own (processed, it
    would cost a read and a refresh every run) and those behind the cursor that the last run
    listed too (``cursor.listed``: ingested or skipped then). One behind the cursor that it
    did not list reached the listing late (a moderator approved a held comment, often a new
    account's) and is kept for the store to tell it from one ingested before;
    :func:`proven_new_comments` spares that check for those newer than the cursor."""
    bots = tuple(bots)
    chosen: dict[str, ListedComment] = {}
    for comment in listed:
        item = comment.item
        # at the cursor's second too: one listed last run beside the cursor's own comment
        # would otherwise cost a read and a refresh on every idle run
        at_or_behind = item.created_utc <= cursor.comments_created_utc
        if item.id == cursor.comments_id or (at_or_behind and item.id in cursor.listed):
            continue
        if keep_comment(item, bots):
            chosen.setdefault(item.id, comment)
    return list(chosen.values())


LISTED_KEPT = 300  # newest listed comment ids the cursor keeps: three pages


def _newest_ids(ids: Iterable[str], keep: int) -> frozenset[str]:
    """The ``keep`` newest of these Reddit ids (base 36, in the order Reddit made them)."""

    def made(fullname: str) -> int:
        try:
            return int(fullname.rpartition("_")[2], 36)
        except ValueError:
            return -1

    return frozenset(sorted(ids, key=lambda i: (made(i), i), reverse=True)[:keep])


def reconcile(saved: Cursor, ours: Cursor) -> Cursor:
    """What a run saves when another run of the subreddit saved ``saved`` after this one read
    its cursor (a duplicated or retried fetch overlapping the next tick). Each listing's
    position is the further of the two: each run read its listings back to a position at or
    behind the one both started from, so together they cover everything up to the further
    one. What spares reads comes from both, bounded as one run bounds it. Saved whole, the
    slower run would move the cursor back and drop the other's lookups: nothing lost, but the
    next run would re-read and re-emit everything between the two positions."""
    newest = max((saved.newest_created_utc, saved.newest_id), (ours.newest_created_utc, ours.newest_id))
    comments = max((saved.comments_created_utc, saved.comments_id), (ours.comments_created_utc, ours.comments_id))
    posts = dict(saved.posts)
    for pid, numbers in ours.posts.items():  # the larger count: either run wrote it to posts/
        posts[pid] = max(numbers, posts.get(pid, numbers))
    # This run's posts are in :func:`remember`'s order (its sightings first); the stored
    # cursor's came back from a Firestore map, in no order, so newest first. The merge keeps
    # the posts either ranks highest, so neither run's are all pushed out by the other's.
    stored_order = sorted(saved.posts, key=lambda pid: (saved.posts[pid][2], pid), reverse=True)
    rank = {pid: i for i, pid in enumerate(stored_order)}
    for i, pid in enumerate(ours.posts):
        rank[pid] = min(i, rank.get(pid, i))
    recent = sorted(posts.items(), key=lambda kv: (rank[kv[0]], kv[0]))[:RECENT_POSTS]
    ahead = sorted(
        ((cid, at) for cid, at in {**saved.ahead, **ours.ahead}.items() if at > comments[0]),
        key=lambda kv: (kv[1], kv[0]),
        reverse=True,
    )[:TREE_COMMENTS_AHEAD]
    authors = dict(saved.authors)
    for name, entry in ours.authors.items():
        if name not in authors or entry[1] > authors[name][1]:
            authors[name] = entry
    kept_authors = sorted(authors.items(), key=lambda kv: (kv[1][1], kv[0]), reverse=True)[:AUTHORS_REMEMBERED]
    community = saved.named()
    community.add(ours.named().hours)
    merged = replace(
        ours,
        newest_created_utc=newest[0],
        newest_id=newest[1],
        comments_created_utc=comments[0],
        comments_id=comments[1],
        posts=dict(recent),
        ahead=dict(ahead),
        authors=dict(kept_authors),
        listed=_newest_ids(saved.listed | ours.listed, LISTED_KEPT),  # each was ingested or skipped by one
        read_through=max((t for t in (saved.read_through, ours.read_through) if t is not None), default=None),
        pace=max(saved.pace, ours.pace),
        # a run Reddit served shows it serving the subreddit: the other's failures count for nothing
        unserved_runs=min(saved.unserved_runs, ours.unserved_runs),
        runs=_runs(*ours.runs[:1], *saved.runs, *ours.runs[1:]),  # both runs kept: dispatch waits for each
        version=saved.version,
    )
    at = max(newest[0], comments[0])
    if not at and community.hours:  # no listing has a position yet: the hours both named
        at = (max(community.hours) + 1) * 3600.0 - 1
    return merged.with_named(community, at)


def read_whole(cursor: Cursor, floor: float | None = None, *, now: float) -> Cursor:
    """``cursor`` after a run that read the new posts and the comments whole: everything the
    listings show is read up to the further of its two positions, or ``floor`` if further
    (``SubredditFetch.read_floor``: how far another subreddit had been read before this run
    was sent, so this read, after it, shows everything written by then). A quiet subreddit's
    last item may be days old; without the floor it would hold every silence check back that
    long. One that has shown nothing stays 0.0: it holds nothing back. The floor counts only
    up to ``now`` (the run's clock) and the skew items may be dated ahead by: a message
    published by hand, in milliseconds say, would otherwise carry every cursor past it."""
    through = max(cursor.read_through or 0.0, cursor.newest_created_utc, cursor.comments_created_utc)
    if through and floor:
        through = max(through, min(floor, now + FUTURE_SKEW_S))
    return replace(cursor, read_through=through)


def behind_cursor(listed: Iterable[ListedComment], cursor: Cursor) -> set[str]:
    """Ids of listed comments older than the comment cursor."""
    return {c.item.id for c in listed if c.item.created_utc < cursor.comments_created_utc}


def advance_comments(cursor: Cursor, listed: Iterable[ListedComment]) -> Cursor:
    """The cursor after a comment listing read back to it: its newest comment, bots
    included (skipping them is processing them), never moving back; and the listing's
    newest :data:`LISTED_KEPT` ids, which the next run need not check again."""
    listed = list(listed)
    newest = cursor
    for comment in listed:
        key = (comment.item.created_utc, comment.item.id)
        if key > (newest.comments_created_utc, newest.comments_id):
            newest = replace(newest, comments_created_utc=key[0], comments_id=key[1])
    ordered = sorted(listed, key=lambda c: (c.item.created_utc, c.item.id), reverse=True)
    return replace(newest, listed=frozenset(c.item.id for c in ordered[:LISTED_KEPT]))


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
    with a changed comment count are refreshed without a comment-tree request: the count is
    what planning reads back (:func:`plan`). A score alone changes nearly every run on live
    Reddit (votes, and Reddit's vote fuzzing), and writing it back would cost a ``posts/``
    write per hour of listed posts on a run that found nothing new; nothing reads it."""
    new_post_ids = {u.post.id for u in done if u.is_new}
    new = [p for p in posts if p.id in new_post_ids] + [c for c in comments if c.id not in known_comments]
    again = [p for p in posts if p.id not in new_post_ids] + [c for c in comments if c.id in known_comments]
    handled = {p.id for p in posts}
    for listed_post in listed:
        item, before = listed_post.item, stored.get(listed_post.item.id)
        if (
            before is not None
            and item.id not in handled
            and item.num_comments != before.num_comments  # what the planning reads; votes move every run
        ):
            again.append(item)
    return new, list({i.id: i for i in again}.values())


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
    # items extraction raised on, kept without tickers: one text the extractor cannot read
    # must not fail every run of its subreddit (the cursor would never pass it)
    unreadable: dict[str, str] = field(default_factory=dict)  # item id -> the error

    def batches(self, run_id: str | None, config_version: int | None = None) -> list[MentionBatch]:
        return [
            MentionBatch(ticker=t, run_id=run_id, mentions=tuple(m), config_version=config_version)
            for t, m in sorted(self.by_ticker.items())
        ]

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


def _count_community(community: extraction.Community, items: list[RedditItem]) -> None:
    """Add what ``items`` name to ``community``: the batch at once, or item by item (leaving
    out any the extractor raises on) when the batch cannot be counted whole."""
    texts = [(item_text(i), i.created_utc, i.author) for i in items]
    try:
        community.add(extraction.community_counts(texts))
    except Exception:  # the items' own extraction names the culprit
        for text in texts:
            with contextlib.suppress(Exception):
                community.add(extraction.community_counts([text]))


def _mentions_in_thread(
    item: RedditItem,
    named: frozenset[str],
    post_symbols: dict[str, frozenset[str]],
    known_posts: Mapping[str, RedditItem],
    titles: Mapping[str, str],
) -> list[tuple[str, Mention]]:
    """``item``'s mentions, a comment read with its post's tickers (remembered in
    ``post_symbols``) and every item with what its community names (``named``)."""
    thread: frozenset[str] = named
    if item.kind == "comment" and item.link_id:
        if item.link_id not in post_symbols:
            post_symbols[item.link_id] = frozenset()
            # a post the extractor raises on gives its comments no tickers, and is not theirs
            # to be named for (it is named when it is a new item itself)
            with contextlib.suppress(Exception):
                if item.link_id in known_posts:
                    post = known_posts[item.link_id]
                    post_symbols[item.link_id] = frozenset(extraction.symbols(item_text(post), at=post.created_utc))
                elif titles.get(item.link_id):
                    title = titles[item.link_id]
                    post_symbols[item.link_id] = frozenset(extraction.symbols(title, at=item.created_utc))
        thread = named | post_symbols.get(item.link_id, frozenset())
    return mentions_from_item(item, thread_symbols=thread)


# What any working extractor reads: when it raises on this too, the trouble is the extractor's
# (a broken release, a dependency that fails to load), not one text's, and the run must fail
# and be redelivered once it is fixed rather than store every item without its tickers.
_CANARY = RedditItem(
    id="t3_canary",
    kind="post",
    subreddit="stocks",
    author="canary",
    title="$GME calls and AMC shares",
    body="Bought more GME today.",
    permalink="/r/stocks/comments/canary/",
    created_utc=1_600_000_000.0,
)


def _extractor_works() -> bool:
    try:
        return bool(mentions_from_item(_CANARY, thread_symbols=frozenset()))
    except Exception:  # the extractor itself is broken
        return False


def extract_mentions(
    items: Sequence[RedditItem],
    *,
    known_posts: Mapping[str, RedditItem],
    thread_titles: Mapping[str, str] | None = None,
    community: extraction.Community | None = None,
) -> Extracted:
    """Run extraction on every new item. A comment is read in the context of its post's
    tickers (``thread_symbols``), which is why posts are extracted first; a post this run
    did not see is known by the title the comment listing carries (``thread_titles``, post
    fullname -> title), which costs neither a Reddit request nor a Firestore read. Every item
    is also read in the context of its community: a word-like symbol the subreddit named as a
    ticker often enough in its last day (``community``, to which this batch is added; a batch
    alone when none is given) counts bare too."""
    out = Extracted()
    titles = thread_titles or {}
    post_symbols: dict[str, frozenset[str]] = {}
    ordered = sorted(items, key=lambda i: i.kind != "post")
    community = extraction.Community() if community is None else community
    _count_community(community, ordered)
    named = community.symbols(max((i.created_utc for i in ordered), default=0.0))
    for item in ordered:
        try:
            found = _mentions_in_thread(item, named, post_symbols, known_posts, titles)
        except Exception as exc:  # a bulkhead: the item is kept, without tickers, and named
            if not out.unreadable and not _extractor_works():
                raise  # every item would fail alike: fail the run, redelivered once it is fixed
            out.unreadable[item.id] = f"{type(exc).__name__}: {exc}"[:300]
            out.items.append(item)
            if item.kind == "post":
                post_symbols[item.id] = frozenset()  # its comments are read without its tickers
            continue
        symbols = tuple(symbol for symbol, _ in found)
        if item.kind == "post":
            post_symbols[item.id] = frozenset(symbols)
        out.items.append(item.model_copy(update={"tickers": symbols}) if symbols else item)
        for symbol, mention in found:
            out.by_ticker[symbol].append(mention)
    return out
