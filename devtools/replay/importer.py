"""Import real Reddit dumps into the replay format, so the backtest, the demo and the local
Reddit can replay real history: ``python -m devtools.replay.importer OUT INPUT...``.

Inputs: Pushshift / Arctic Shift NDJSON of submissions and comments (``.ndjson``, ``.jsonl``,
``.json``, each plain, ``.gz`` or ``.zst``) and CSV exports (``.csv``, ``.csv.gz``). Any order,
any mix, duplicates allowed: every row is staged in an on-disk SQLite table keyed by Reddit
id, then written out sorted by time. Of two copies of an item the one retrieved last gives
the numbers, but a body, title or author it lost to moderation or deletion is kept from the
other (a re-scrape must not erase the text a month's dump kept); equal retrieval times are
settled by content, never by file order. Memory stays flat however
large the month; the disk holds the stage.

The manifest carries a fidelity report: how many rows were read and skipped (and why), how
many duplicates were dropped, which fields the source lacked and what was assumed instead
(an account age nobody recorded, a body that was removed).
"""

import argparse
import csv
import gzip
import io
import itertools
import json
import math
import re
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import zstandard

from common.fields import DATA_TIME_LIMIT, REDDIT_BEGAN

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
# CSV exports name columns their own way; header case is ignored, and these names are read as
# the field they hold (the Kaggle-style r/wallstreetbets export's comment count; a warehouse
# export's post of a comment). A column of the field's own name wins over its alias.
CSV_ALIASES = {"comms_num": "num_comments", "parent_post_id": "link_id"}
FILE_SUBREDDIT = "_file_subreddit"  # a row's key for its file's one subreddit (_file_subreddit)
# A thread's link names its subreddit and its post: "/r/wallstreetbets/comments/s9i9bw/...".
THREAD_LINK = re.compile(r"/r/([A-Za-z0-9_]{2,21})/comments/([a-z0-9]+)", re.IGNORECASE)


@dataclass
class Report:
    rows_read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)  # source rows lacking a field
    from_links: int = 0  # kept rows whose subreddit only a thread link gave (theirs or their file's)


class NothingImported(ValueError):
    """No row of the inputs became an item: a corpus of nothing would replay as silence."""


def _open_text(path: Path) -> IO[str]:
    name = path.name.lower()
    if name.endswith(".zst"):
        reader = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(path.open("rb"))
        return io.TextIOWrapper(reader, encoding="utf-8-sig", errors="replace")
    if name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", errors="replace")
    # utf-8-sig: a spreadsheet's "CSV UTF-8" begins with a byte-order mark, which would
    # otherwise stick to the first column's name (every row then lacks an id)
    return path.open(encoding="utf-8-sig", errors="replace", newline="")


def _rows(path: Path, report: Report) -> Iterator[dict[str, Any]]:
    stem = path.name.lower().removesuffix(".zst").removesuffix(".gz")
    with _open_text(path) as text:
        if stem.endswith(".csv"):
            yield from _csv_rows(text, _file_subreddit(path))
            return
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                report.skipped[f"not JSON ({path.name}:{number})" if report.skipped.total() < 5 else "not JSON"] += 1
                continue
            if isinstance(row, dict):
                yield row
            else:
                report.skipped["not an object"] += 1


def _lowered(raw: dict[str | None, Any]) -> dict[str, Any]:
    """A CSV row keyed by lower-case column names ("AUTHOR", "Created_UTC"), aliases read as
    their field (:data:`CSV_ALIASES`); cells past the header's columns dropped."""
    row = {key.strip().lower(): value for key, value in raw.items() if key is not None}
    for alias, name in CSV_ALIASES.items():
        if row.get(name) in (None, "") and alias in row:
            row[name] = row.pop(alias)
    return row


def _csv_rows(text: IO[str], subreddit: str | None) -> Iterator[dict[str, Any]]:
    """Each row :func:`_lowered`, with ``subreddit``, the file's own, for a row naming none."""
    for raw in csv.DictReader(text):
        row = _lowered(raw)
        if subreddit is not None:
            row[FILE_SUBREDDIT] = subreddit
        yield row


def _file_subreddit(path: Path) -> str | None:
    """A CSV export without a subreddit column is one subreddit's when every thread link in
    it names that one (its link posts name none): read the file once more to know. Without
    this, its text posts would read as one subreddit and its link posts as "unknown", and
    the detector would count the two as a ticker's spread across subreddits."""
    with _open_text(path) as text:
        rows = csv.DictReader(text)
        if "subreddit" in (name.strip().lower() for name in rows.fieldnames or ()):
            return None
        named: dict[str, str] = {}
        for raw in rows:
            if link := _thread_link(_lowered(raw)):
                named.setdefault(link.group(1).lower(), link.group(1))
                if len(named) > 1:
                    return None
    return next(iter(named.values()), None)


def _raw_id(row: dict[str, Any]) -> str:
    return str(row.get("name") or row.get("id") or row.get("postid") or "").strip()


def _thread_link(row: dict[str, Any]) -> re.Match[str] | None:
    """The item's own thread link: its permalink, or a url to its own thread (a link post's
    url may be another subreddit's thread: a crosspost)."""
    if isinstance(permalink := row.get("permalink"), str) and (match := THREAD_LINK.search(permalink)):
        return match
    short = _raw_id(row).split("_", 1)[-1].lower()
    if isinstance(url := row.get("url"), str) and (match := THREAD_LINK.search(url)):
        return match if match.group(2).lower() == short else None
    return None


def _number(value: Any) -> float | None:
    """A finite number, or None (a spreadsheet's "nan" is no score)."""
    try:
        number = float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and math.isfinite(number) else None


def _epoch(value: Any) -> float | None:
    number = _number(value)
    if number is not None:
        return number
    if isinstance(value, str) and value:
        try:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()
    return None


def _fullname(raw_id: str, prefix: str) -> str:
    return raw_id if raw_id.startswith(("t1_", "t3_")) else f"{prefix}{raw_id}"


def convert(row: dict[str, Any], report: Report) -> dict[str, Any] | None:
    """One source row as a replay item, or None (counted in ``report.skipped``)."""
    raw_id = _raw_id(row)
    created = _epoch(row.get("created_utc") or row.get("created"))
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
    if is_comment and not row.get("link_id"):
        report.skipped["comment without link_id (its post unknown)"] += 1
        return None
    link = _thread_link(row)
    subreddit = (
        str(row.get("subreddit") or "").strip()
        or (link.group(1) if link else None)
        or row.get(FILE_SUBREDDIT)
        or "unknown"
    )
    author = str(row.get("author") or "").strip() or None
    gone = author in GONE
    if gone:
        author = None
    short = raw_id.split("_", 1)[-1]
    if is_comment:
        body = str(row.get("body") or "")
        link_id = _fullname(str(row["link_id"]).strip(), "t3_")  # a bare id names a post
        item: dict[str, Any] = {
            "id": _fullname(raw_id, "t1_"),
            "kind": "comment",
            "subreddit": subreddit,
            "author": author,
            "body": body,
            "permalink": row.get("permalink") or f"/r/{subreddit}/comments/{link_id.split('_', 1)[-1]}/_/{short}/",
            "score": int(_number(row.get("score")) or 0),
            "created_utc": created,
            "parent_id": row.get("parent_id") or link_id or None,
            "link_id": link_id or None,
        }
    else:
        body = str(row.get("selftext") or row.get("body") or "")
        # an export that keeps only a url gives a text post's own thread there
        own_thread = link is not None and link.group(2).lower() == short.lower() and not row.get("permalink")
        is_self = str(row.get("is_self", "")).lower() in ("true", "1") or not row.get("url") or own_thread
        item = {
            "id": _fullname(raw_id, "t3_"),
            "kind": "post",
            "subreddit": subreddit,
            "author": author,
            "title": str(row.get("title") or ""),
            "body": body,
            "url": None if is_self else row.get("url"),
            "permalink": row.get("permalink")
            or (link.group(0) + "/" if own_thread and link else f"/r/{subreddit}/comments/{short}/"),
            "flair": row.get("link_flair_text") or row.get("flair") or None,
            "score": int(_number(row.get("score")) or 0),
            "num_comments": int(_number(row.get("num_comments")) or 0),
            "created_utc": created,
            "stickied": str(row.get("stickied", "")).lower() in ("true", "1"),
        }
    account = _epoch(row.get("author_created_utc"))
    if account is not None:
        item["_author_created_utc"] = account
    if gone:
        item["_author_gone"] = True
    return item


def count_missing(row: dict[str, Any], item: dict[str, Any], report: Report) -> None:
    """What a kept row's source lacked. An author the source never had is missing; one
    Reddit replaced with ``[deleted]`` is not (``deleted_authors`` counts those)."""
    for target, source in SOURCE_FIELDS[item["kind"]].items():
        if row.get(source) in (None, ""):
            report.missing[target] += 1
    if row.get("author") in (None, ""):
        report.missing["author"] += 1
    if not str(row.get("subreddit") or "").strip():
        if item["subreddit"] == "unknown":
            report.missing["subreddit"] += 1
        else:
            report.from_links += 1


def _lost(value: Any) -> bool:
    return value in (None, "", *GONE)


def fold(copies: list[tuple[float, str]]) -> dict[str, Any]:
    """Every copy of one item (retrieval time, JSON) as one, whatever order they came in:
    taken oldest retrieval first (equal times by content), each later copy's fields win, but
    a body, title or author it lost keeps the last one a copy had."""
    merged: dict[str, Any] = {}
    for _, row in sorted(copies):
        later = json.loads(row)
        for name in ("body", "title", "author"):
            if name in merged and _lost(later.get(name)) and not _lost(merged[name]):
                later[name] = merged[name]
        merged = later
    return merged


class Stage:
    """Every copy on disk; :meth:`settle` folds each item's copies into one (:func:`fold`),
    and the output comes out sorted."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE copies (id TEXT, retrieved REAL, row TEXT)")
        self.db.execute("CREATE TABLE items (id TEXT PRIMARY KEY, created REAL, row TEXT)")
        self.db.execute("CREATE TABLE accounts (name TEXT PRIMARY KEY, created REAL)")
        self.db.execute("CREATE TABLE gone (id TEXT PRIMARY KEY)")  # a copy said [deleted]
        self.offered = 0

    def add(self, item: dict[str, Any], retrieved: float) -> None:
        self.offered += 1
        account = item.pop("_author_created_utc", None)
        if item.pop("_author_gone", False):
            self.db.execute("INSERT OR IGNORE INTO gone VALUES (?)", (item["id"],))
        self.db.execute("INSERT INTO copies VALUES (?, ?, ?)", (item["id"], retrieved, json.dumps(item)))
        if item["author"]:
            self.db.execute(
                "INSERT INTO accounts VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                "created=COALESCE(MIN(excluded.created, accounts.created), excluded.created, accounts.created)",
                (item["author"], account),
            )

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
        for path in inputs:
            for row in _rows(path, report):
                report.rows_read += 1
                item = convert(row, report)
                if item is None:
                    continue
                if subreddits and item["subreddit"].lower() not in subreddits:
                    report.skipped["other subreddit"] += 1
                    continue
                if (since is not None and item["created_utc"] < since) or (
                    until is not None and item["created_utc"] >= until
                ):
                    report.skipped["outside the period"] += 1
                    continue
                count_missing(row, item, report)
                retrieved = _epoch(row.get("retrieved_on") or row.get("retrieved_utc")) or 0.0
                stage.add(item, retrieved)
        stage.settle()
        if not stage.count():
            stage.db.close()
            skipped = ", ".join(f"{n} {why}" for why, n in report.skipped.most_common()) or "no rows"
            raise NothingImported(f"no item in {[p.name for p in inputs]} ({report.rows_read} rows read: {skipped})")
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
        assumed = {
            "account_created_utc": (
                f"{account_created} ({ASSUMED_ACCOUNT_AGE_DAYS} days before the first item) "
                f"for {unknown_age} accounts the source gave no age"
            ),
            "karma": "0 (the detector does not read it)",
        }
        if report.from_links:
            assumed["subreddit"] = f"read from thread links (theirs or their file's one) for {report.from_links} rows"
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
                "rows_skipped": dict(report.skipped),
                "duplicates_dropped": stage.offered - kept,
                "fields_missing": {k: v for k, v in report.missing.items() if v},  # of the rows kept, copies included
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
    """What the detector cannot do with this corpus, said where a user reads the import."""
    if authorless < items:
        return []
    return [
        "no item names its author: the detector counts no distinct authors, so no spike can pass as organic "
        "(author bars and pump risk read authors)"
    ]


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
