"""Import real Reddit dumps into the replay format, so the backtest, the demo and the local
Reddit can replay real history: ``python -m devtools.replay.importer OUT INPUT...``.

Inputs: Pushshift / Arctic Shift NDJSON of submissions and comments (``.ndjson``, ``.jsonl``,
``.json``) and CSV exports (``.csv``), each plain, ``.gz`` or ``.zst``, read by
:mod:`devtools.replay.sources`. Any order, any mix, duplicates allowed: every row is staged
on disk (:mod:`devtools.replay.stage`, so memory stays flat however large the month), then
written out sorted by time. Of two copies of an item the one retrieved last gives the
numbers and the author, but the text (body, title) is the earliest dated retrieval's that
has it, as live reading first saw it (an edit made later must not count at the item's own
time; a copy with no retrieval time gives it only when no dated copy does), an author lost
to deletion is kept from the other copy, and so is a field its own source lacked; equal
retrieval times are settled by content, never by file order, and texts that differ where
nothing says which came first are counted in the report.

A row is a comment when its id says so (``t1_``) or, without a title, it names its thread
(``link_id``, or a ``t3_`` parent); every other row is a post. A subreddit column may say
``r/stocks``. A row without its subreddit takes it from its own thread link; else a post takes its files'
one subreddit (when they agree on one), and a comment its post's, else its files'. The manifest carries a fidelity
report: how many rows were read and skipped (and why), how many duplicates were dropped,
which fields no copy's source gave and what was assumed instead (an account age nobody
recorded, a subreddit read from a link), and the limits of what the detector can do with
such data.
"""

import argparse
import contextlib
import gzip
import io
import json
import re
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from common.fields import DATA_TIME_LIMIT, REDDIT_BEGAN, epoch, in_seconds, well_formed
from common.messages import RedditItem
from devtools.replay import sources
from devtools.replay.stage import (
    ABSENT,
    AUTHOR_AGE,
    AUTHOR_GONE,
    BY_LINK,
    COMMENTS,
    NAMED,
    POSTS,
    TEXT_CONFLICT,
    UNKNOWN,
    Stage,
)

# An account whose age the source never gave is taken as created this long before the
# corpus's first item: far older than a new-account window (30 days by default) at every
# item, so no author looks new without the data saying so (a fixed date would make every
# author of a dump older than it new).
ASSUMED_ACCOUNT_AGE_DAYS = 365
# The fields of the replay format a row's source may lack, per kind, counted missing when it
# does (a comment has no url or comment count).
SOURCE_FIELDS = {
    "post": ("title", "author_created_utc", "num_comments", "score", "permalink", "url", "stickied"),
    "comment": ("body", "author_created_utc", "score", "permalink"),
}
NUMBERS = ("score", "num_comments")  # a spreadsheet's "nan" is as missing as an empty cell
GONE = ("[removed]", "[deleted]")  # what Reddit leaves of a body or author moderation or its owner took
# Its other spellings ("[deleted by user]", "[ Removed by Reddit ]", "[removed by moderator]"),
# read as the one GONE names by its first word.
MARKER = re.compile(r"^\s*\[\s*(removed|deleted)\b[^\]]*\]\s*$", re.IGNORECASE)
# A post's flair is tracked as absent (so a copy without the column cannot erase it) but not
# reported: most posts have none.
NOT_REPORTED = ("flair",)
NAMED_BY = {"link": "their own thread link", "file": "their file's one subreddit", "post": "their post's (comments)"}


@dataclass
class Report:
    """What the reading saw, beyond the items staged."""

    rows_read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)  # how each row's kind was told
    milliseconds: Counter[str] = field(default_factory=Counter)  # times given in ms, by field
    not_utf8: Counter[str] = field(default_factory=Counter)  # bytes read as U+FFFD, by file


class NothingImported(ValueError):
    """No row of the inputs became an item: a corpus of nothing would replay as silence."""


def _fullname(raw: str, prefix: str) -> str:
    return raw if raw.startswith(("t1_", "t3_")) else f"{prefix}{raw}"


def _filled(row: dict[str, Any], name: str) -> str:
    return str(row.get(name) or "").strip()


def _seconds(value: Any, name: str, report: Report) -> float | None:
    """A time as epoch seconds. One in milliseconds (pandas' ``to_json`` writes dates so) is
    read as such, and counted: no second of Reddit's years is a number that large."""
    at = epoch(value)
    if at is None:
        return None
    seconds, milliseconds = in_seconds(at)
    if milliseconds:
        report.milliseconds[name] += 1
    return seconds


def _placed(row: dict[str, Any], report: Report) -> tuple[str, float, bool, str] | None:
    """The row's id, time, whether it is a comment and its post's id; None if it cannot be
    placed (counted in ``report.skipped``). A CSV row has every column, so a kind is read
    from what is filled in, not from which keys exist."""
    raw_id = sources.raw_id(row)
    created = _seconds(row.get("created_utc") or row.get("created"), "created_utc", report)
    if not raw_id and any(row.get(name) not in (None, "") for name in sources.ID_COLUMNS):
        report.skipped["an id that is not Reddit's (base 36)"] += 1
        return None
    if not raw_id or created is None:
        report.skipped["no id or time"] += 1
        return None
    if not REDDIT_BEGAN <= created < DATA_TIME_LIMIT:
        report.skipped["time not in Reddit's years"] += 1
        return None
    parent = sources.reddit_id(row.get("parent_id"))
    link = sources.reddit_id(row.get("link_id")) or (parent if parent.startswith("t3_") else "")
    if raw_id.startswith(("t1_", "t3_")):
        is_comment, how = raw_id.startswith("t1_"), "its id's prefix"
    elif link or parent:
        is_comment, how = not _filled(row, "title"), "a thread named, and a title or none"
    elif "title" not in row and ("link_id" in row or "parent_id" in row):
        is_comment, how = True, "a comment export's columns (no title, a thread column)"
    else:
        is_comment, how = False, "no thread named: a post"
    report.kinds[how] += 1
    if is_comment and not link:
        report.skipped["comment without link_id (its post unknown)"] += 1
        return None
    link_id = _fullname(link, "t3_") if is_comment else ""  # a bare id names a post
    return raw_id, created, is_comment, link_id


def _text(value: Any) -> str:
    """A body, title or author as the corpus keeps it: every spelling of a removal as GONE
    spells it; what is no text (a list, a map, true) is none, not its Python spelling."""
    text = str(value) if isinstance(value, str | int | float) and not isinstance(value, bool) and value else ""
    return f"[{marker.group(1).lower()}]" if (marker := MARKER.match(text)) else text


def convert(row: dict[str, Any], report: Report) -> dict[str, Any] | None:
    """One source row as a replay item, or None (counted in ``report.skipped``). The item
    carries what its row lacked (``_absent``) for :func:`fold` and the report."""
    if (placed := _placed(row, report)) is None:
        return None
    raw_id, created, is_comment, link_id = placed
    post = sources.short_id(link_id) if is_comment else sources.short_id(raw_id)
    kind = "comment" if is_comment else "post"
    absent = [
        name
        for name in SOURCE_FIELDS[kind]
        if (sources.number(row.get(name)) is None if name in NUMBERS else row.get(name) in (None, ""))
    ]
    column = sources.subreddit(row)
    link = None if column else sources.thread_link(row, post)
    subreddit = column or (link.group(1) if link else "")
    if not subreddit:
        absent.append("subreddit")
    author = _text(row.get("author")).strip() or None
    gone = author in GONE
    if author is None:
        absent.append("author")
    common = {
        "subreddit": subreddit or UNKNOWN,
        "author": None if gone else author,
        "score": int(sources.number(row.get("score")) or 0),
    }
    if is_comment:
        item = _comment(row, _fullname(raw_id, "t1_"), link_id, created, common)
        absent += ["parent_id"] if not sources.reddit_id(row.get("parent_id")) else []
    else:
        item = _post(row, _fullname(raw_id, "t3_"), created, common)
        if "permalink" in absent and sources.own_url(row, post) is not None:
            absent.remove("permalink")  # its url to its own thread gave it
        absent += ["flair"] if "link_flair_text" not in row and "flair" not in row else []
    try:  # what fetch would refuse to read, the backtest refuses to replay: never written
        valid = RedditItem.model_validate(item)
    except ValidationError as exc:
        report.skipped[f"not an item the pipeline reads ({exc.errors()[0]['loc'][0]})"] += 1
        return None
    # its texts as the pipeline reads them (a lone surrogate mended: no file can store one)
    item = {k: _mended(valid, k, v) for k, v in item.items()}
    born = _seconds(row.get("author_created_utc"), "author_created_utc", report)
    if born is not None and not REDDIT_BEGAN <= born < DATA_TIME_LIMIT:  # no date: unknown
        born = None
    marks: dict[str, Any] = {NAMED: BY_LINK if link else None, AUTHOR_AGE: born}
    marks |= {AUTHOR_GONE: gone or None, ABSENT: absent or None}
    return item | {key: value for key, value in marks.items() if value is not None}


def _mended(valid: RedditItem, key: str, value: Any) -> Any:
    """Every text as the pipeline reads it, its author too (a plain string there: a lone
    surrogate in a corrupt dump's name would stop the stage all the same)."""
    if not isinstance(value, str):
        return value
    read = getattr(valid, key, None)
    return well_formed(read if isinstance(read, str) else value)


def _comment(
    row: dict[str, Any], fullname: str, link_id: str, created: float, common: dict[str, Any]
) -> dict[str, Any]:
    post, short = sources.short_id(link_id), sources.short_id(fullname)
    parent = sources.reddit_id(row.get("parent_id"))  # one of no shape Reddit writes: none given
    if parent and not parent.startswith(("t1_", "t3_")):  # bare: the post's id, or a comment's
        parent = ("t3_" if parent == post else "t1_") + parent
    return {
        "id": fullname,
        "kind": "comment",
        **common,
        "body": _text(row.get("body")),
        "permalink": sources.path_only(row.get("permalink")) or f"/r/{common['subreddit']}/comments/{post}/_/{short}/",
        "created_utc": created,
        "parent_id": parent or link_id,
        "link_id": link_id,
    }


def _post(row: dict[str, Any], fullname: str, created: float, common: dict[str, Any]) -> dict[str, Any]:
    """A post; a url to its own thread makes it a text post and gives its permalink."""
    short = sources.short_id(fullname)
    own = sources.own_url(row, short)
    is_self = str(row.get("is_self", "")).lower() in ("true", "1") or not row.get("url") or own is not None
    return {
        "id": fullname,
        "kind": "post",
        **common,
        "title": _text(row.get("title")),
        "body": _text(row.get("selftext") or row.get("body")),
        "url": None if is_self else row.get("url"),
        "permalink": sources.path_only(row.get("permalink"))
        or (own.group(0) + "/" if own else f"/r/{common['subreddit']}/comments/{short}/"),
        "flair": row.get("link_flair_text") or row.get("flair") or None,
        "num_comments": int(sources.number(row.get("num_comments")) or 0),
        "created_utc": created,
        "stickied": str(row.get("stickied", "")).lower() in ("true", "1"),
    }


def _lost(value: Any) -> bool:
    return value in (None, "", *GONE)


def _first_text(copies: list[tuple[float, dict[str, Any]]]) -> tuple[dict[str, Any], bool]:
    """The body and title to keep, of ``copies`` in retrieval order: the earliest dated copy's
    that has them (what was first seen, before any later edit; a copy with no retrieval time
    gives them only when no dated copy does), and whether a copy that cannot be ordered
    against it (retrieved at the same time, or at no known time) says otherwise."""
    chosen: dict[str, Any] = {}
    conflict = False
    for name in ("body", "title"):
        texts = [(at, copy[name]) for at, copy in copies if not _lost(copy.get(name))]
        dated = [(at, text) for at, text in texts if at > 0]
        undated = [text for at, text in texts if at <= 0]
        if dated:
            first = dated[0][0]
            value, rivals = dated[0][1], [text for at, text in dated if at == first] + undated
        elif undated:
            value, rivals = undated[0], undated
        else:
            continue
        chosen[name] = value
        conflict |= any(text != value for text in rivals)
    return chosen, conflict


def fold(copies: list[tuple[float, str]]) -> dict[str, Any]:
    """Every copy of one item (retrieval time, JSON) as one, whatever order they came in:
    taken oldest retrieval first (equal times by content), each later copy's fields win, but
    the body and title are the ones first seen (:func:`_first_text`), an author a copy lost
    keeps the one a copy had, and a field its own source did not have (no subreddit, no score
    or url column) keeps the one a copy gave. The result's ``_absent`` is what no copy gave;
    ``_text_conflict`` marks texts that differ where which came first is unknown."""
    parsed = [(retrieved, json.loads(row)) for retrieved, row in sorted(copies)]
    text, conflict = _first_text(parsed)
    merged: dict[str, Any] = {}
    for _, later in parsed:
        if "author" in merged and _lost(later.get("author")) and not _lost(merged["author"]):
            later["author"] = merged["author"]
        guessed, known = set(later.get(ABSENT, ())), set(merged.get(ABSENT, ())) if merged else None
        if known is not None:
            for name in sorted(guessed - known):
                if name in merged:
                    later[name] = merged[name]
                if name == "subreddit":  # and what named it, and the permalink made from it
                    later[NAMED] = merged.get(NAMED)
                    if "permalink" in guessed:
                        later["permalink"] = merged["permalink"]
            later[ABSENT] = sorted(guessed & known)
        merged = later
    merged |= text
    if merged.get(NAMED) is None:
        merged.pop(NAMED, None)
    if conflict:
        merged[TEXT_CONFLICT] = True
    return merged


def _stage(
    inputs: list[Path],
    stage: Stage,
    report: Report,
    *,
    subreddits: frozenset[str],
    since: float | None,
    until: float | None,
) -> dict[int, str]:
    """Every kept row of every input on the stage; returns each file's one subreddit (by
    lower case), for the files whose rows that name one all name the same."""
    ones: dict[int, str] = {}
    for file, path in enumerate(inputs):
        named: set[str] = set()  # the file's subreddits, by lower case (two are enough to know)
        for row in sources.rows(path, report.skipped, report.not_utf8):
            report.rows_read += 1
            if row is None:
                continue
            # filtered before anything else is read of it: a month's dump holds millions of
            # subreddits (and profiles) nobody asked for
            if subreddits and (column := sources.subreddit(row)) and column.lower() not in subreddits:
                report.skipped["other subreddit"] += 1
                if len(named) < 2:
                    named.add(column.lower())
                continue
            if (item := convert(row, report)) is None:
                # a row skipped still says which subreddit its file holds: a mixed file whose
                # only other subreddit's rows were refused is no one-subreddit file
                if (column := sources.subreddit(row)) and len(named) < 2:
                    named.add(column.lower())
                continue
            subreddit = item["subreddit"] if "subreddit" not in item.get(ABSENT, ()) else None
            if subreddit is not None and len(named) < 2:
                named.add(subreddit.lower())
            if subreddits and subreddit is not None and subreddit.lower() not in subreddits:
                report.skipped["other subreddit"] += 1
                continue
            if subreddit is not None:
                stage.spelled(subreddit)
            at = item["created_utc"]
            if (since is not None and at < since) or (until is not None and at >= until):
                report.skipped["outside the period"] += 1
                continue
            # a retrieval time in milliseconds must not count as the latest copy's
            retrieved = _seconds(row.get("retrieved_on") or row.get("retrieved_utc"), "retrieved_on", report) or 0.0
            stage.add(item, retrieved, file)
        if len(named) == 1:
            ones[file] = named.pop()
    return ones


def _placed_elsewhere(inputs: list[Path], stage: Stage, subreddits: frozenset[str]) -> None:
    """Mark the staged items no copy named a subreddit for that a skipped copy placed in a
    subreddit not kept: a guess must not bring them into one kept. A second reading of the
    inputs, made only when such items exist, so a filtered month remembers nothing of the
    rows it skipped."""
    if not subreddits or not stage.count("unnamed"):
        return
    ignored = Report()
    for path in inputs:
        for row in sources.rows(path, ignored.skipped):
            if row is None or (placed := _placed(row, ignored)) is None:
                continue
            raw_id, _, is_comment, link_id = placed
            post = sources.short_id(link_id) if is_comment else sources.short_id(raw_id)
            link = sources.thread_link(row, post)
            subreddit = sources.subreddit(row) or (link.group(1) if link else "")
            if subreddit and subreddit.lower() not in subreddits:
                stage.elsewhere_if_unnamed(_fullname(raw_id, "t1_" if is_comment else "t3_"))


def _settle_subreddits(
    stage: Stage, report: Report, ones: dict[int, str], subreddits: frozenset[str], inputs: list[Path]
) -> None:
    """Name what no column or link named: a post from its files (when they agree), a comment
    from its post, else from its files; then one spelling per subreddit; then drop what the
    --subreddit filter does not keep."""
    _placed_elsewhere(inputs, stage, subreddits)
    report.skipped["other subreddit, or none named"] += stage.drop_elsewhere()
    stage.file_subreddits({file: stage.spelling(name) for file, name in ones.items()})
    stage.name_from_files(comments=False)
    stage.name_from_posts()
    stage.name_from_files(comments=True)
    stage.respell()
    if subreddits:
        report.skipped["other subreddit, or none named"] += stage.keep_subreddits(subreddits)


def import_dumps(
    inputs: list[Path],
    out: Path,
    *,
    subreddits: frozenset[str] = frozenset(),
    since: float | None = None,
    until: float | None = None,
    account_created: float | None = None,
    work_dir: Path | None = None,
) -> dict[str, Any]:
    """Write the corpus for ``inputs`` to ``out``; returns its manifest. The stage (as large
    as the rows kept) goes in ``work_dir``, by default beside ``out``: a system's temporary
    directory may be memory."""
    report = Report()
    out.parent.mkdir(parents=True, exist_ok=True)
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="akleao-import-", dir=work_dir or out.parent) as work,
        contextlib.closing(Stage(Path(work) / "stage.sqlite")) as stage,
    ):
        ones = _stage(inputs, stage, report, subreddits=subreddits, since=since, until=until)
        settled = stage.settle(fold)
        _settle_subreddits(stage, report, ones, subreddits, inputs)
        if not stage.count():
            skipped = ", ".join(f"{n} {why}" for why, n in report.skipped.most_common() if n) or "none skipped"
            names = [p.name for p in inputs]
            raise NothingImported(f"no item kept from {names} ({report.rows_read} rows read; {skipped})")
        out.mkdir(parents=True, exist_ok=True)
        written = Path(work)  # every file whole before any replaces the corpus's
        with _gzipped(written / "items.jsonl.gz") as f:
            for line in stage.items():
                f.write(line + "\n")
        if account_created is None:
            account_created = stage.span()[0] - ASSUMED_ACCOUNT_AGE_DAYS * 86400
        unknown_age = accounts = 0
        with _gzipped(written / "authors.jsonl.gz") as f:
            for name, created in stage.accounts():
                accounts += 1
                unknown_age += created is None
                account = {"name": name, "created_utc": created if created is not None else account_created}
                f.write(json.dumps({**account, "link_karma": 0, "comment_karma": 0, "suspended": False}) + "\n")
        assumed = {
            "account_created_utc": (
                f"{account_created} ({ASSUMED_ACCOUNT_AGE_DAYS} days before the first item) "
                f"for {unknown_age} accounts the source gave no age"
            ),
            "karma": "0 (the detector does not read it)",
        }
        manifest = _manifest(stage, report, inputs, settled=settled, assumed=assumed, accounts=accounts)
        (written / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        # The manifest goes first and comes back last: stopped between, the folder is no corpus
        # (the backtest refuses it) rather than one whose files disagree. A generated corpus's
        # labels name scenarios this one does not have.
        for name in ("manifest.json", "labels.json"):
            (out / name).unlink(missing_ok=True)
        for name in ("items.jsonl.gz", "authors.jsonl.gz", "manifest.json"):
            shutil.move(written / name, out / name)
    return manifest


def _manifest(
    stage: Stage, report: Report, inputs: list[Path], *, settled: int, assumed: dict[str, str], accounts: int
) -> dict[str, Any]:
    """The corpus's manifest, its fidelity report counting the items kept (rows_read and
    rows_skipped count rows, but for "other subreddit, or none named": items dropped once
    every copy was folded)."""
    kept, start, end = stage.count(), *stage.span()
    if named := stage.named():
        assumed["subreddit"] = "; ".join(f"{NAMED_BY[how]}: {named[how]}" for how in NAMED_BY if named[how])
    assumed["kind"] = "; ".join(f"{how}: {n}" for how, n in sorted(report.kinds.items())) + " (rows)"
    if report.milliseconds:
        assumed["milliseconds"] = "; ".join(f"{name}: {n}" for name, n in sorted(report.milliseconds.items())) + (
            " (rows whose time was in milliseconds, read as such)"
        )
    if report.not_utf8:
        assumed["not_utf8"] = "; ".join(f"{name}: {n}" for name, n in sorted(report.not_utf8.items())) + (
            " (bytes that are not UTF-8, read as U+FFFD)"
        )
    gone = ", ".join(f"'{g}'" for g in GONE)
    return {
        "seed": 0,
        "start": start,
        "end": end,
        "items": kept,
        "posts": stage.count(POSTS),
        "comments": stage.count(COMMENTS),
        "generator_version": "devtools.replay.importer",
        "sources": [p.name for p in inputs],
        "fidelity": {
            "rows_read": report.rows_read,
            "rows_skipped": {k: v for k, v in report.skipped.items() if v},
            "duplicates_dropped": stage.offered - settled,
            # copies of one item whose texts differ with no retrieval time to order them: the
            # text kept is one of them, not known to be the first seen
            "text_conflicts": stage.text_conflicts,
            # of the items kept: what no copy's source gave (subreddit: what nothing named)
            "fields_missing": {k: v for k, v in sorted(stage.absent().items()) if k not in NOT_REPORTED},
            "removed_or_deleted_bodies": stage.count(f"json_extract(row, '$.body') IN ({gone})"),
            "deleted_authors": stage.count("json_extract(row, '$.author') IS NULL AND id IN (SELECT id FROM gone)"),
            "accounts": accounts,
            "assumed": assumed,
            "limits": limits(kept, stage.count("json_extract(row, '$.author') IS NULL")),
        },
    }


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
    """A UTC day's start: a day only (a time, or a zone that would move it, is refused)."""
    try:
        return datetime.combine(date.fromisoformat(text), time(), UTC).timestamp()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text!r}") from exc


def _gzipped(path: Path) -> IO[str]:
    """A gzip text file whose header carries no time: the same import writes the same bytes,
    so a corpus's hash says whether its items changed."""
    return io.TextIOWrapper(gzip.GzipFile(path, "wb", mtime=0), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    summary = " ".join((__doc__ or "").split("\n\n")[0].split())
    parser = argparse.ArgumentParser(prog="python -m devtools.replay.importer", description=summary)
    parser.add_argument("out", type=Path, help="the corpus directory to write")
    parser.add_argument("inputs", type=Path, nargs="+", help="NDJSON (.zst/.gz/plain) or CSV files, any order")
    parser.add_argument("--subreddit", action="append", default=[], help="keep only these (repeatable)")
    parser.add_argument("--since", type=_day, help="keep items from this UTC day on (YYYY-MM-DD)")
    parser.add_argument("--until", type=_day, help="keep items before this UTC day (YYYY-MM-DD)")
    parser.add_argument(
        "--work-dir", type=Path, help="where the stage goes (as large as the rows kept; default: beside OUT)"
    )
    args = parser.parse_args(argv)
    try:
        manifest = import_dumps(
            args.inputs,
            args.out,
            subreddits=frozenset(sources.subreddit_name(s).lower() for s in args.subreddit),
            since=args.since,
            until=args.until,
            work_dir=args.work_dir,
        )
    except NothingImported as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(manifest, indent=2))
    for limit in manifest["fidelity"]["limits"]:
        print(f"warning: {limit}", file=sys.stderr)
    for reason in manifest["fidelity"]["rows_skipped"]:
        # a partial download, a file refused whole or rows a broken one took in must not pass
        # for the whole dump
        lost = (sources.LOST_WHOLE, sources.LOST_ITEMS, sources.WRAPPED)
        if reason.startswith((sources.CUT, sources.LOST_LINES)) or any(marker in reason for marker in lost):
            print(f"warning: {reason}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
