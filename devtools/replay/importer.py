"""Import real Reddit dumps into the replay format, so the backtest, the demo and the local
Reddit can replay real history: ``python -m devtools.replay.importer OUT INPUT...``.

Inputs: Pushshift / Arctic Shift NDJSON of submissions and comments (``.ndjson``, ``.jsonl``,
``.json``, each plain, ``.gz`` or ``.zst``) and CSV exports (``.csv``, ``.csv.gz``,
``.csv.zst``), read by :mod:`devtools.replay.sources`. Any order, any mix, duplicates
allowed: every row is staged in an on-disk SQLite table keyed by Reddit id, then written out
sorted by time. Of two copies of an item the one retrieved last gives the numbers, but a
body, title or author it lost to moderation or deletion is kept from the other (a re-scrape
must not erase the text a month's dump kept), and so is a field its own source lacked;
equal retrieval times are settled by content, never by file order. Memory stays flat however
large the month; the disk holds the stage.

A row without its subreddit takes it from its own thread link, else from its file when
all the file's rows that name one name the same, else a comment from its post. The manifest
carries a fidelity report: how many rows were read and skipped (and why), how many
duplicates were dropped, which fields the source lacked and what was assumed instead (an
account age nobody recorded, a subreddit read from a link), and the limits of what the
detector can do with such data.
"""

import argparse
import gzip
import itertools
import json
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common.fields import DATA_TIME_LIMIT, REDDIT_BEGAN
from devtools.replay import sources

# An account whose age the source never gave is taken as created this long before the
# corpus's first item: far older than a new-account window (30 days by default) at every
# item, so no author looks new without the data saying so (a fixed date would make every
# author of a dump older than it new).
ASSUMED_ACCOUNT_AGE_DAYS = 365
# Fields the replay format uses, per kind, and the source field each comes from (a post's
# flair is legitimately empty, a comment has no url or comment count: not counted missing).
SOURCE_FIELDS = {
    "post": {
        "author_created_utc": "author_created_utc",
        "num_comments": "num_comments",
        "score": "score",
        "permalink": "permalink",
        "url": "url",
        "stickied": "stickied",
    },
    "comment": {"author_created_utc": "author_created_utc", "score": "score", "permalink": "permalink"},
}
GONE = ("[removed]", "[deleted]")  # what Reddit leaves of a body or author moderation or its owner took
UNKNOWN = "unknown"  # the subreddit of a row nothing names one for
ABSENT = "_absent"  # an item's fields its row did not give (a guess): another copy's value wins


@dataclass
class Report:
    rows_read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)  # source rows lacking a field
    subreddit_from: Counter[str] = field(default_factory=Counter)  # what named it, when no column did
    spellings: dict[str, str] = field(default_factory=dict)  # a subreddit's first spelling, by lower case

    def subreddit(self, name: str) -> str:
        """One spelling per subreddit ("WallStreetBets" and "wallstreetbets" are one)."""
        return self.spellings.setdefault(name.lower(), name)


class NothingImported(ValueError):
    """No row of the inputs became an item: a corpus of nothing would replay as silence."""


def _fullname(raw: str, prefix: str) -> str:
    return raw if raw.startswith(("t1_", "t3_")) else f"{prefix}{raw}"


def convert(row: dict[str, Any], report: Report) -> dict[str, Any] | None:
    """One source row as a replay item, or None (counted in ``report.skipped``)."""
    raw_id = sources.raw_id(row)
    created = sources.epoch(row.get("created_utc") or row.get("created"))
    if not raw_id or created is None:
        report.skipped["no id or time"] += 1
        return None
    if not REDDIT_BEGAN <= created < DATA_TIME_LIMIT:
        report.skipped["time not in Reddit's years (milliseconds?)"] += 1
        return None
    # a row with a thread column (even empty) and no title is a comment; one with neither is a post
    threaded = "link_id" in row or "parent_id" in row
    is_comment = raw_id.startswith("t1_") or (
        not raw_id.startswith("t3_") and "body" in row and "title" not in row and threaded
    )
    if is_comment and not str(row.get("link_id") or "").strip():
        report.skipped["comment without link_id (its post unknown)"] += 1
        return None
    short = sources.short_id(raw_id)
    link_id = _fullname(str(row.get("link_id") or "").strip(), "t3_") if is_comment else ""  # a bare id names a post
    post = sources.short_id(link_id) if is_comment else short
    link = sources.thread_link(row, post)
    named = str(row.get("subreddit") or "").strip()
    if not named and link is not None:
        named = link.group(1)
    subreddit = report.subreddit(named) if named else UNKNOWN
    author = str(row.get("author") or "").strip() or None
    gone = author in GONE
    if gone:
        author = None
    absent = [name for name in ("score",) if sources.number(row.get(name)) is None]
    if subreddit == UNKNOWN:
        absent.append("subreddit")
    if not row.get("permalink"):
        absent.append("permalink")
    common = {"subreddit": subreddit, "author": author, "score": int(sources.number(row.get("score")) or 0)}
    if is_comment:
        item = _comment(row, _fullname(raw_id, "t1_"), link_id, created, common)
    else:
        item = _post(row, _fullname(raw_id, "t3_"), created, common, absent)
    account = sources.epoch(row.get("author_created_utc"))
    if account is not None:
        item["_author_created_utc"] = account
    if gone:
        item["_author_gone"] = True
    if absent:
        item[ABSENT] = absent
    return item


def _comment(
    row: dict[str, Any], fullname: str, link_id: str, created: float, common: dict[str, Any]
) -> dict[str, Any]:
    post, short = sources.short_id(link_id), sources.short_id(fullname)
    parent = str(row.get("parent_id") or "").strip()
    if parent and not parent.startswith(("t1_", "t3_")):  # bare: the post's id, or a comment's
        parent = ("t3_" if parent == post else "t1_") + parent
    return {
        "id": fullname,
        "kind": "comment",
        "subreddit": common["subreddit"],
        "author": common["author"],
        "body": str(row.get("body") or ""),
        "permalink": row.get("permalink") or f"/r/{common['subreddit']}/comments/{post}/_/{short}/",
        "score": common["score"],
        "created_utc": created,
        "parent_id": parent or link_id,
        "link_id": link_id,
    }


def _post(
    row: dict[str, Any], fullname: str, created: float, common: dict[str, Any], absent: list[str]
) -> dict[str, Any]:
    """A post; a url to its own thread makes it a text post and gives its permalink."""
    short = sources.short_id(fullname)
    own = sources.own_url(row, short)
    is_self = str(row.get("is_self", "")).lower() in ("true", "1") or not row.get("url") or own is not None
    absent += [name for name in ("num_comments",) if sources.number(row.get(name)) is None]
    absent += [name for name in ("flair", "stickied") if name not in row and "link_flair_text" not in row]
    if own is not None and "permalink" in absent:
        absent.remove("permalink")
    return {
        "id": fullname,
        "kind": "post",
        "subreddit": common["subreddit"],
        "author": common["author"],
        "title": str(row.get("title") or ""),
        "body": str(row.get("selftext") or row.get("body") or ""),
        "url": None if is_self else row.get("url"),
        "permalink": row.get("permalink")
        or (own.group(0) + "/" if own else f"/r/{common['subreddit']}/comments/{short}/"),
        "flair": row.get("link_flair_text") or row.get("flair") or None,
        "score": common["score"],
        "num_comments": int(sources.number(row.get("num_comments")) or 0),
        "created_utc": created,
        "stickied": str(row.get("stickied", "")).lower() in ("true", "1"),
    }


def count_missing(row: dict[str, Any], item: dict[str, Any], report: Report) -> None:
    """What a kept row's source lacked. An author the source never had is missing; one
    Reddit replaced with ``[deleted]`` is not (``deleted_authors`` counts those)."""
    for target, source in SOURCE_FIELDS[item["kind"]].items():
        if row.get(source) in (None, ""):
            report.missing[target] += 1
    if not str(row.get("author") or "").strip():
        report.missing["author"] += 1
    if not str(row.get("subreddit") or "").strip() and item["subreddit"] != UNKNOWN:
        report.subreddit_from["their own thread link"] += 1


def _lost(value: Any) -> bool:
    return value in (None, "", *GONE)


def fold(copies: list[tuple[float, str]]) -> dict[str, Any]:
    """Every copy of one item (retrieval time, JSON) as one, whatever order they came in:
    taken oldest retrieval first (equal times by content), each later copy's fields win, but
    a body, title or author it lost keeps the last one a copy had, and a field its source did
    not have (a guess: no subreddit, no score column) keeps the one a copy gave."""
    merged: dict[str, Any] = {}
    for _, row in sorted(copies):
        later = json.loads(row)
        for name in ("body", "title", "author"):
            if name in merged and _lost(later.get(name)) and not _lost(merged[name]):
                later[name] = merged[name]
        if later.get("subreddit") == UNKNOWN and merged.get("subreddit", UNKNOWN) != UNKNOWN:
            later["subreddit"], later["permalink"] = merged["subreddit"], merged["permalink"]
        guessed = set(later.get(ABSENT, ()))
        for name in guessed - set(merged.get(ABSENT, ())):
            if name in merged:
                later[name] = merged[name]
        if merged:
            later[ABSENT] = sorted(guessed & set(merged.get(ABSENT, ())))
        merged = later
    merged.pop(ABSENT, None)
    return merged


class Stage:
    """Every copy on disk; :meth:`settle` folds each item's copies into one (:func:`fold`),
    and the output comes out sorted."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE copies (id TEXT, retrieved REAL, row TEXT, file INTEGER, unnamed INTEGER)")
        self.db.execute("CREATE TABLE items (id TEXT PRIMARY KEY, created REAL, row TEXT)")
        self.db.execute("CREATE TABLE accounts (name TEXT PRIMARY KEY, created REAL)")
        self.db.execute("CREATE TABLE gone (id TEXT PRIMARY KEY)")  # a copy said [deleted]
        self.offered = 0

    def add(self, item: dict[str, Any], retrieved: float, file: int) -> None:
        self.offered += 1
        account = item.pop("_author_created_utc", None)
        if item.pop("_author_gone", False):
            self.db.execute("INSERT OR IGNORE INTO gone VALUES (?)", (item["id"],))
        self.db.execute(
            "INSERT INTO copies VALUES (?, ?, ?, ?, ?)",
            (item["id"], retrieved, json.dumps(item), file, item["subreddit"] == UNKNOWN),
        )
        if item["author"]:
            self.db.execute(
                "INSERT INTO accounts VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                "created=COALESCE(MIN(excluded.created, accounts.created), excluded.created, accounts.created)",
                (item["author"], account),
            )

    def name_from_file(self, file: int, subreddit: str) -> int:
        """The file's one subreddit for its copies that name none; how many took it."""
        return self.db.execute(
            "UPDATE copies SET unnamed = 0, row = json_set(row, '$.subreddit', ?1, '$.permalink', "
            "replace(json_extract(row, '$.permalink'), '/r/unknown/', '/r/' || ?1 || '/')) "
            "WHERE file = ?2 AND unnamed",
            (subreddit, file),
        ).rowcount

    def settle(self) -> None:
        """One item per id from its copies, read in id order (SQLite sorts on disk)."""
        group: list[tuple[float, str]] = []
        current = None
        query = self.db.execute("SELECT id, retrieved, row FROM copies ORDER BY id")
        for item_id, retrieved, row in itertools.chain(query, [(None, 0.0, "")]):  # the end closes the last
            if item_id != current and group:
                merged = fold(group)
                self.db.execute(
                    "INSERT INTO items VALUES (?, ?, ?)",
                    (current, merged["created_utc"], json.dumps(merged, ensure_ascii=False)),
                )
                group = []
            current = item_id
            group.append((float(retrieved), row))
        self.db.execute("DROP TABLE copies")

    def name_from_posts(self) -> int:
        """A comment that names no subreddit is in its post's; how many took it."""
        post_subreddit = (
            "(SELECT json_extract(p.row, '$.subreddit') FROM items p WHERE p.id = json_extract(items.row, '$.link_id'))"
        )
        return self.db.execute(
            f"UPDATE items SET row = json_set(row, '$.subreddit', {post_subreddit}, '$.permalink', "  # noqa: S608
            f"replace(json_extract(row, '$.permalink'), '/r/unknown/', '/r/' || {post_subreddit} || '/')) "
            f"WHERE id LIKE 't1_%' AND json_extract(row, '$.subreddit') = '{UNKNOWN}' "
            f"AND coalesce({post_subreddit}, '{UNKNOWN}') != '{UNKNOWN}'"
        ).rowcount

    def keep_subreddits(self, subreddits: frozenset[str]) -> int:
        """Drop the items of other subreddits (those only their file or post named); how many."""
        marks = ", ".join("?" * len(subreddits))
        return self.db.execute(
            f"DELETE FROM items WHERE lower(json_extract(row, '$.subreddit')) NOT IN ({marks})",  # noqa: S608
            sorted(subreddits),
        ).rowcount

    def items(self) -> Iterator[str]:
        for (row,) in self.db.execute("SELECT row FROM items ORDER BY created, id"):
            yield row

    def count(self, where: str = "1") -> int:
        return int(self.db.execute(f"SELECT COUNT(*) FROM items WHERE {where}").fetchone()[0])  # noqa: S608

    def span(self) -> tuple[float, float]:
        low, high = self.db.execute("SELECT MIN(created), MAX(created) FROM items").fetchone()
        return float(low or 0.0), float(high or 0.0)

    def accounts(self) -> Iterator[tuple[str, float | None]]:
        """The authors of the items kept (not of a copy merged away), with the earliest age
        any row gave."""
        yield from self.db.execute(
            "SELECT DISTINCT a.name, a.created FROM items i JOIN accounts a "
            "ON a.name = json_extract(i.row, '$.author') ORDER BY a.name"
        )


def _stage(
    inputs: list[Path],
    stage: Stage,
    report: Report,
    *,
    subreddits: frozenset[str],
    since: float | None,
    until: float | None,
) -> None:
    """Every kept row of every input on the stage, each file's unnamed rows given the one
    subreddit the rest of the file names (when it names exactly one)."""
    for file, path in enumerate(inputs):
        named: set[str] = set()  # the file's subreddits, by lower case (two are enough to know)
        for row in sources.rows(path, report.skipped):
            report.rows_read += 1
            item = convert(row, report)
            if item is None:
                continue
            subreddit = item["subreddit"]
            if subreddit != UNKNOWN and len(named) < 2:
                named.add(subreddit.lower())
            if subreddits and subreddit != UNKNOWN and subreddit.lower() not in subreddits:
                report.skipped["other subreddit"] += 1
                continue
            if (since is not None and item["created_utc"] < since) or (
                until is not None and item["created_utc"] >= until
            ):
                report.skipped["outside the period"] += 1
                continue
            count_missing(row, item, report)
            retrieved = sources.epoch(row.get("retrieved_on") or row.get("retrieved_utc")) or 0.0
            stage.add(item, retrieved, file)
        if len(named) == 1:
            report.subreddit_from["their file's one subreddit"] += stage.name_from_file(
                file, report.spellings[named.pop()]
            )


def import_dumps(
    inputs: list[Path],
    out: Path,
    *,
    subreddits: frozenset[str] = frozenset(),
    since: float | None = None,
    until: float | None = None,
    account_created: float | None = None,
) -> dict[str, Any]:
    """Write the corpus for ``inputs`` to ``out``; returns its manifest."""
    report = Report()
    with tempfile.TemporaryDirectory(prefix="akleao-import-") as work:
        stage = Stage(Path(work) / "stage.sqlite")
        _stage(inputs, stage, report, subreddits=subreddits, since=since, until=until)
        stage.settle()
        settled = stage.count()
        report.subreddit_from["their post's (comments)"] += stage.name_from_posts()
        if subreddits:
            report.skipped["other subreddit, or none named"] += stage.keep_subreddits(subreddits)
        if not stage.count():
            stage.db.close()
            skipped = ", ".join(f"{n} {why}" for why, n in report.skipped.most_common() if n) or "none skipped"
            raise NothingImported(
                f"no item kept from {[p.name for p in inputs]} ({report.rows_read} rows read; {skipped})"
            )
        out.mkdir(parents=True, exist_ok=True)
        with gzip.open(out / "items.jsonl.gz", "wt", encoding="utf-8") as f:
            for line in stage.items():
                f.write(line + "\n")
        start, end = stage.span()
        if account_created is None:
            account_created = start - ASSUMED_ACCOUNT_AGE_DAYS * 86400
        unknown_age = accounts = 0
        with gzip.open(out / "authors.jsonl.gz", "wt", encoding="utf-8") as f:
            for name, created in stage.accounts():
                accounts += 1
                unknown_age += created is None
                account = {"name": name, "created_utc": created if created is not None else account_created}
                f.write(json.dumps({**account, "link_karma": 0, "comment_karma": 0, "suspended": False}) + "\n")
        kept = stage.count()
        missing = {k: v for k, v in report.missing.items() if v}  # of the rows kept, copies included
        if unnamed := stage.count(f"json_extract(row, '$.subreddit') = '{UNKNOWN}'"):
            missing["subreddit"] = unnamed  # of the items: what no column, link, file or post named
        assumed = {
            "account_created_utc": (
                f"{account_created} ({ASSUMED_ACCOUNT_AGE_DAYS} days before the first item) "
                f"for {unknown_age} accounts the source gave no age"
            ),
            "karma": "0 (the detector does not read it)",
        }
        if named_by := {why: n for why, n in report.subreddit_from.items() if n}:
            assumed["subreddit"] = "; ".join(f"{why}: {n}" for why, n in named_by.items())
        manifest = {
            "seed": 0,
            "start": start,
            "end": end,
            "items": kept,
            "posts": stage.count("id LIKE 't3_%'"),
            "comments": stage.count("id LIKE 't1_%'"),
            "generator_version": "devtools.replay.importer",
            "sources": [p.name for p in inputs],
            "fidelity": {
                "rows_read": report.rows_read,
                "rows_skipped": {k: v for k, v in report.skipped.items() if v},
                "duplicates_dropped": stage.offered - settled,
                "fields_missing": missing,
                "removed_or_deleted_bodies": stage.count("json_extract(row, '$.body') IN ('[removed]', '[deleted]')"),
                "deleted_authors": stage.count("json_extract(row, '$.author') IS NULL AND id IN (SELECT id FROM gone)"),
                "accounts": accounts,
                "assumed": assumed,
                "limits": limits(kept, stage.count("json_extract(row, '$.author') IS NULL")),
            },
        }
        stage.db.close()
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def limits(items: int, authorless: int) -> list[str]:
    """What the detector cannot do with this corpus, said where a user reads the import:
    it counts authors only where an item names one (distinct authors, their diversity,
    copy-paste across authors)."""
    if authorless == items:
        return [
            "no item names its author: the detector counts no distinct authors, so no spike can pass as "
            "organic (each reads as low author diversity, suspicious or pump), and copy-paste across "
            "authors goes unseen"
        ]
    if authorless * 2 > items:
        return [
            f"{authorless} of {items} items name no author (deleted or never given): the detector counts "
            "only named authors, so author diversity reads lower and spikes more suspicious than they are"
        ]
    return []


def _day(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.replay.importer", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the corpus directory to write")
    parser.add_argument("inputs", type=Path, nargs="+", help="NDJSON (.zst/.gz/plain) or CSV files, any order")
    parser.add_argument("--subreddit", action="append", default=[], help="keep only these (repeatable)")
    parser.add_argument("--since", help="keep items from this UTC day on (YYYY-MM-DD)")
    parser.add_argument("--until", help="keep items before this UTC day (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    try:
        manifest = import_dumps(
            args.inputs,
            args.out,
            subreddits=frozenset(s.lower() for s in args.subreddit),
            since=_day(args.since) if args.since else None,
            until=_day(args.until) if args.until else None,
        )
    except NothingImported as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(manifest, indent=2))
    for limit in manifest["fidelity"]["limits"]:
        print(f"warning: {limit}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
