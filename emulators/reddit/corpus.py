"""A replay corpus in memory and the Reddit JSON it renders (format: docs/replay-format.md).

Everything here is plain data in, plain data out: what is visible depends only on the
``now`` passed in, so the server can move its clock and tests can check listings without
a socket.
"""

import bisect
import gzip
import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Json = dict[str, Any]
MAX_MORECHILDREN = 100  # Reddit answers /api/morechildren with at most this many comments
# Memory the local Reddit takes per item it loads (every item is held: listings are served
# from memory); measured on the bundled corpus (2.1 KB), a real dump's longer texts take more.
BYTES_PER_ITEM = 2_500
LOAD_ITEMS_PER_S = 20_000  # a slow machine's pace loading a corpus (about five times slower than this one's)


def manifest_items(directory: Path) -> int | None:
    """How many items a corpus's manifest says it holds (None: no manifest, or it says not)."""
    try:
        items = json.loads((directory / "manifest.json").read_text(encoding="utf-8")).get("items")
    except (OSError, ValueError, AttributeError):
        return None
    return int(items) if isinstance(items, int) and not isinstance(items, bool) else None


def fits_in_memory(items: int, available_bytes: int) -> str | None:
    """Why a corpus of ``items`` cannot be served with ``available_bytes`` free (half of them
    for it: every function and emulator runs beside it), or None when it can."""
    needed = items * BYTES_PER_ITEM
    if needed <= available_bytes // 2:
        return None
    return (
        f"the local Reddit holds every item in memory: {items:,} items need about {needed / 2**30:.1f} GiB, and "
        f"this machine has {available_bytes / 2**30:.1f} GiB free; import a shorter period (--since/--until) "
        "or fewer subreddits (--subreddit)"
    )


def _open_jsonl(directory: Path, stem: str) -> Iterator[Json]:
    for name, opener in ((f"{stem}.jsonl.gz", gzip.open), (f"{stem}.jsonl", open)):
        path = directory / name
        if path.exists():
            with opener(path, "rt", encoding="utf-8-sig") as handle:  # a byte-order mark is no part of a row
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        try:
                            yield json.loads(line)
                        except json.JSONDecodeError as exc:
                            raise ValueError(f"{path}:{number}: not JSON: {exc}") from exc
            return


def _short(fullname: str) -> str:
    return fullname.split("_", 1)[1] if "_" in fullname else fullname


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def account_fullname(name: str) -> str:
    """A stable ``t2_`` fullname for an author of a replay without one: base36 of a hash of
    the lower-cased name (Reddit names are case-insensitive), so every listing, the batched
    lookup and every run agree on it."""
    digest = hashlib.blake2b(name.lower().encode(), digest_size=8).digest()
    return f"t2_{_base36(int.from_bytes(digest[:6], 'big'))}"


def hot_rank(score: int, created_utc: float) -> float:
    """Reddit's published hot formula: log of the score plus a bonus for recency."""
    order = math.log10(max(abs(score), 1))
    sign = 1 if score > 0 else -1 if score < 0 else 0
    return round(sign * order + (created_utc - 1134028003) / 45000, 7)


@dataclass
class Corpus:
    """Posts, comments and authors of one replay, indexed for the endpoints."""

    posts: dict[str, Json] = field(default_factory=dict)  # short id -> item
    comments: dict[str, Json] = field(default_factory=dict)  # short id -> item
    by_subreddit: dict[str, list[Json]] = field(default_factory=lambda: defaultdict(list))  # newest first
    children: dict[str, list[Json]] = field(default_factory=lambda: defaultdict(list))  # parent fullname -> items
    authors: dict[str, Json] = field(default_factory=dict)  # lower-case name -> author
    by_account: dict[str, Json] = field(default_factory=dict)  # t2 fullname -> author
    comments_by_subreddit: dict[str, list[Json]] = field(default_factory=lambda: defaultdict(list))  # newest first
    # post fullname -> the times of its comments, whatever their parents (a parent the corpus
    # lacks, cut by --since or deleted, hides a reply from the tree but not from the count)
    thread_times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls, directory: str | Path) -> "Corpus":
        directory = Path(directory)
        if not directory.is_dir():
            raise FileNotFoundError(f"no replay corpus at {directory}")
        return cls.from_records(_open_jsonl(directory, "items"), _open_jsonl(directory, "authors"))

    @classmethod
    def from_records(cls, items: Iterator[Json] | list[Json], authors: Iterator[Json] | list[Json]) -> "Corpus":
        corpus = cls()
        for item in items:
            short = _short(str(item["id"]))
            if short in (corpus.posts if item["kind"] == "post" else corpus.comments):
                continue  # a copy of one already read (a hand-made corpus): served once, as Reddit would
            if item["kind"] == "post":
                corpus.posts[short] = item
                corpus.by_subreddit[str(item["subreddit"]).lower()].append(item)
            else:
                thread = str(item.get("link_id") or item["parent_id"])
                corpus.thread_times[thread].append(float(item["created_utc"]))
                corpus.comments[short] = item
                corpus.children[str(item["parent_id"])].append(item)
                corpus.comments_by_subreddit[str(item["subreddit"]).lower()].append(item)
        for things in (*corpus.by_subreddit.values(), *corpus.comments_by_subreddit.values()):
            things.sort(key=lambda p: (p["created_utc"], p["id"]), reverse=True)
        for times in corpus.thread_times.values():
            times.sort()
        for author in authors:
            corpus.authors[str(author["name"]).lower()] = author
            corpus.by_account[corpus.fullname_of(str(author["name"]))] = author
        return corpus

    def fullname_of(self, name: str) -> str:
        """The account's ``t2_`` fullname: the ``id`` of its authors.jsonl line, else derived."""
        author = self.authors.get(name.lower())
        given = author.get("id") if author else None
        return str(given) if given else account_fullname(name)

    @property
    def size(self) -> int:
        return len(self.posts) + len(self.comments)

    # ------------------------------------------------------------------ what is visible

    def visible_children(self, parent: str, now: float) -> list[Json]:
        return [c for c in self.children.get(parent, ()) if c["created_utc"] <= now]

    def _descendants(self, fullname: str, now: float) -> int:
        """Counted without recursion: a reply chain may be thousands deep (each comment is
        counted once, whatever bad data says of its parents)."""
        seen, todo = {fullname}, [fullname]
        while todo:
            for child in self.visible_children(todo.pop(), now):
                if child["id"] not in seen:
                    seen.add(child["id"])
                    todo.append(child["id"])
        return len(seen) - 1

    def num_comments(self, post: Json, now: float) -> int:
        """Comments visible at ``now`` when the corpus holds any of the post's comments, else
        the recorded count (a corpus may record engagement without every comment)."""
        times = self.thread_times.get(post["id"])
        if times:
            return bisect.bisect_right(times, now)
        return int(post.get("num_comments", 0))

    def listing_posts(self, subreddit: str, sort: str, now: float) -> list[Json]:
        visible = [p for p in self.by_subreddit.get(subreddit.lower(), ()) if p["created_utc"] <= now]
        if sort == "hot":
            visible.sort(key=lambda p: (bool(p.get("stickied")), hot_rank(int(p.get("score", 0)), p["created_utc"])))
            visible.reverse()
        return visible

    def listing_comments(self, subreddit: str, now: float) -> list[Json]:
        """``/r/{sub}/comments``: the subreddit's visible comments, newest first."""
        return [c for c in self.comments_by_subreddit.get(subreddit.lower(), ()) if c["created_utc"] <= now]

    def _author_fields(self, thing: Json) -> Json:
        author = thing.get("author")
        if not author:
            return {"author": "[deleted]"}
        return {"author": author, "author_fullname": self.fullname_of(author)}

    # ------------------------------------------------------------------ Reddit JSON

    def post_thing(self, post: Json, now: float) -> Json:
        short = _short(post["id"])
        body = post.get("body") or ""
        url = post.get("url") or f"https://www.reddit.com{post['permalink']}"
        return {
            "kind": "t3",
            "data": {
                "id": short,
                "name": post["id"],
                "subreddit": post["subreddit"],
                "subreddit_name_prefixed": f"r/{post['subreddit']}",
                **self._author_fields(post),
                "title": post.get("title") or "",
                "selftext": body,
                "is_self": not post.get("url"),
                "url": url,
                "permalink": post["permalink"],
                "link_flair_text": post.get("flair"),
                "score": int(post.get("score", 0)),
                "ups": int(post.get("score", 0)),
                "num_comments": self.num_comments(post, now),
                "created_utc": float(post["created_utc"]),
                "stickied": bool(post.get("stickied", False)),
                "over_18": False,
                "distinguished": None,
            },
        }

    def comment_thing(self, comment: Json, depth: int, replies: Json | str = "") -> Json:
        return {
            "kind": "t1",
            "data": {
                "id": _short(comment["id"]),
                "name": comment["id"],
                "subreddit": comment["subreddit"],
                **self._author_fields(comment),
                "body": comment.get("body") or "",
                "permalink": comment["permalink"],
                "score": int(comment.get("score", 0)),
                "ups": int(comment.get("score", 0)),
                "created_utc": float(comment["created_utc"]),
                "parent_id": comment["parent_id"],
                "link_id": comment["link_id"],
                "depth": depth,
                "stickied": False,
                "distinguished": None,
                "replies": replies,
            },
        }

    def listed_comment_thing(self, comment: Json) -> Json:
        """A comment as ``/r/{sub}/comments`` shows it: with its post's title, permalink and
        author, which is all the thread context a reader gets without asking for the post."""
        thing = self.comment_thing(comment, 0)
        post = self.posts.get(_short(comment["link_id"]))
        if post is not None:
            thing["data"].update(
                {
                    "link_title": post.get("title") or "",
                    "link_permalink": f"https://www.reddit.com{post['permalink']}",
                    "link_author": post.get("author") or "[deleted]",
                }
            )
        return thing

    def sorted_children(self, parent: str, sort: str, now: float) -> list[Json]:
        found = self.visible_children(parent, now)
        if sort in ("new",):
            return sorted(found, key=lambda c: (c["created_utc"], c["id"]), reverse=True)
        if sort == "old":
            return sorted(found, key=lambda c: (c["created_utc"], c["id"]))
        # ties (same score, same second: common in a busy thread) broken by id, not file order
        return sorted(found, key=lambda c: (int(c.get("score", 0)), -c["created_utc"], c["id"]), reverse=True)

    def comment_tree(self, parent: str, *, sort: str, now: float, limit: int, depth: int, level: int = 0) -> list[Json]:
        """The children of ``parent`` as Reddit renders them: at most ``limit`` comments in
        total (best first by ``sort``), replies nested below ``depth`` levels, and a
        ``more`` object for what was left out, so clients can ask for it."""
        budget = [limit]
        return self._tree(parent, sort=sort, now=now, budget=budget, depth=depth, level=level)

    def _tree(self, parent: str, *, sort: str, now: float, budget: list[int], depth: int, level: int) -> list[Json]:
        things: list[Json] = []
        kids = self.sorted_children(parent, sort, now)
        for index, child in enumerate(kids):
            if budget[0] <= 0:
                left = kids[index:]
                things.append(self.more_thing(parent, left, now, level))
                break
            budget[0] -= 1
            replies: Json | str = ""
            if self.visible_children(child["id"], now):
                if level + 1 < depth:
                    nested = self._tree(child["id"], sort=sort, now=now, budget=budget, depth=depth, level=level + 1)
                    replies = listing(nested)
                else:  # "continue this thread": a more object without children
                    replies = listing([self.continue_thing(child["id"], level + 1)])
            things.append(self.comment_thing(child, level, replies))
        return things

    def more_thing(self, parent: str, left: list[Json], now: float, level: int) -> Json:
        count = sum(1 + self._descendants(c["id"], now) for c in left)
        first = _short(left[0]["id"])
        return {
            "kind": "more",
            "data": {
                "count": count,
                "name": f"t1_{first}",
                "id": first,
                "parent_id": parent,
                "depth": level,
                "children": [_short(c["id"]) for c in left],
            },
        }

    @staticmethod
    def continue_thing(parent: str, level: int) -> Json:
        return {
            "kind": "more",
            "data": {"count": 0, "name": "t1__", "id": "_", "parent_id": parent, "depth": level, "children": []},
        }

    def more_children(self, ids: list[str], *, sort: str, now: float) -> list[Json]:
        """/api/morechildren: the asked-for comments and their descendants, flat, parents
        before children, at most :data:`MAX_MORECHILDREN`."""
        out: list[Json] = []
        queue = [self.comments[i] for i in ids if i in self.comments and self.comments[i]["created_utc"] <= now]
        while queue and len(out) < MAX_MORECHILDREN:
            comment = queue.pop(0)
            out.append(self.comment_thing(comment, 0))
            queue[0:0] = self.sorted_children(comment["id"], sort, now)
        return out

    def user_data(self, fullnames: list[str]) -> Json:
        """``/api/user_data_by_account_ids``: fullname -> summary for each known, active
        account; suspended and unknown (deleted) accounts are left out, as Reddit does."""
        out: Json = {}
        for fullname in fullnames:
            author = self.by_account.get(fullname)
            if author is None or author.get("suspended"):
                continue
            out[fullname] = {
                "name": author["name"],
                "created_utc": float(author["created_utc"]),
                "link_karma": int(author.get("link_karma", 0)),
                "comment_karma": int(author.get("comment_karma", 0)),
                "profile_img": "https://www.redditstatic.com/avatars/defaults/v2/avatar_default_1.png",
                "profile_color": "",
                "profile_over_18": False,
            }
        return out

    def author_about(self, name: str) -> Json | None:
        author = self.authors.get(name.lower())
        if author is None:
            return None
        if author.get("suspended"):
            return {"kind": "t2", "data": {"name": author["name"], "is_suspended": True}}
        link, comment = int(author.get("link_karma", 0)), int(author.get("comment_karma", 0))
        return {
            "kind": "t2",
            "data": {
                "name": author["name"],
                "id": self.fullname_of(author["name"]).removeprefix("t2_"),
                "created_utc": float(author["created_utc"]),
                "link_karma": link,
                "comment_karma": comment,
                "total_karma": link + comment,
                "is_suspended": False,
            },
        }


def listing(children: list[Json], after: str | None = None, before: str | None = None) -> Json:
    return {
        "kind": "Listing",
        "data": {"after": after, "before": before, "dist": len(children), "children": children, "modhash": None},
    }


def page(items: list[Json], *, limit: int, after: str | None, before: str | None) -> tuple[list[Json], str | None]:
    """Reddit's fullname pagination over an ordered list: the page and the next ``after``."""
    ids = [i["id"] for i in items]
    start, end = 0, len(items)
    if after:
        start = ids.index(after) + 1 if after in ids else len(items)
    elif before:
        end = ids.index(before) if before in ids else 0
        start = max(0, end - limit)
    chosen = items[start : min(end, start + limit)]
    more = start + len(chosen) < end and bool(chosen)
    return chosen, (chosen[-1]["id"] if more else None)
