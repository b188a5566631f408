"""The rows of a Reddit dump as dicts, whatever its format: NDJSON (Pushshift, Arctic Shift)
or a CSV export, plain, ``.gz`` or ``.zst``; and what a row's own links and numbers say.

CSV exports name their columns their own way. Header case is ignored ("AUTHOR",
"Created_UTC"), and the names in :data:`CSV_ALIASES` are read as the field they hold. A
CSV row that does not parse (an unterminated quote, which would swallow the rest of the
file into one field) is counted with its file and line, not read as data.
"""

import codecs
import csv
import gzip
import io
import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import zstandard

# The Kaggle-style r/wallstreetbets export's comment count; a warehouse export's (or PRAW's)
# post of a comment; a comment export's text. A column of the field's own name wins over its
# alias.
CSV_ALIASES = {
    "comms_num": "num_comments",
    "parent_post_id": "link_id",
    "submission_id": "link_id",
    "comment_body": "body",
    "text": "body",
}
# Longer than any field a Reddit export holds (a post's text is at most 40,000 characters;
# the csv module's default, 128 KiB, is near it), short enough that an unclosed quote costs
# the rows up to a megabyte of text, not memory for the rest of the file.
CSV_FIELD_MAX = 1_000_000
csv.field_size_limit(CSV_FIELD_MAX)
# A thread's link names its subreddit and its post: "/r/wallstreetbets/comments/abc123/...".
THREAD_LINK = re.compile(r"/r/([A-Za-z0-9_]{2,21})/comments/([a-z0-9]+)", re.IGNORECASE)


class Cut(EOFError):
    """A compressed file that ends inside a frame: a partial download, not the dump's end."""


# Compressed bytes decoded at once: what decoded from the slices before a damaged one is kept
# (the damaged zstd block itself, up to 128 KiB decoded, is lost whatever the slice).
ZSTD_SLICE = 4096


class _ZstdFrames(io.RawIOBase):
    """A ``.zst`` file's frames, one after another (Pushshift's are several), decompressed
    as they are read. Unlike zstandard's stream reader, a file cut inside a frame raises
    :class:`Cut` instead of ending as if the dump ended there."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw
        self._maker = zstandard.ZstdDecompressor(max_window_size=2**31)
        self._frame = self._maker.decompressobj()
        self._begun = False  # bytes of the current frame were read
        self._any = False  # bytes of the file were read
        self._out = memoryview(b"")
        self._failed: zstandard.ZstdError | None = None  # raised once what decoded before it is read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._out:
            if self._failed is not None:
                raise self._failed
            chunk = self._raw.read(1 << 16)
            if not chunk:
                if not self._any:
                    raise Cut("the file is empty")  # a download that failed at once
                if self._begun and not self._frame.eof:
                    raise Cut("the file ends inside a zstd frame")
                return 0
            self._any = True
            self._out = memoryview(self._decoded(chunk))
        size = min(len(buffer), len(self._out))
        buffer[:size] = self._out[:size]
        self._out = self._out[size:]  # a view: what is left is not copied again
        return size

    def _decoded(self, chunk: bytes) -> bytes:
        """``chunk`` decompressed in slices of :data:`ZSTD_SLICE`: what the slices before a
        damaged one decoded is kept, and the error raised once it has been read."""
        out: list[bytes] = []
        for at in range(0, len(chunk), ZSTD_SLICE):
            try:
                out.append(self._feed(chunk[at : at + ZSTD_SLICE]))
            except zstandard.ZstdError as exc:
                self._failed = exc
                break
        return b"".join(out)

    def _feed(self, chunk: bytes) -> bytes:
        out = [self._frame.decompress(chunk)]
        self._begun = True
        while self._frame.eof:
            rest = self._frame.unused_data
            self._frame, self._begun = self._maker.decompressobj(), bool(rest)
            if not rest:
                break
            out.append(self._frame.decompress(rest))
        return b"".join(out)

    def close(self) -> None:
        self._raw.close()
        super().close()


# Bytes that are not UTF-8 (a Latin-1 export, a damaged block) are read as U+FFFD and counted
# here, so the manifest says how much text was mended. Files are read one after another, so
# the count's growth over one file's reading is that file's.
_NOT_UTF8 = "akleao-not-utf8"
_not_utf8 = [0]


def _replace_counted(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _not_utf8[0] += exc.end - exc.start
    return "\ufffd", exc.end


codecs.register_error(_NOT_UTF8, _replace_counted)


def open_text(path: Path) -> IO[str]:
    name = path.name.lower()
    if name.endswith(".zst"):
        # buffered: its peek lets _opens_array look at the start without reading a line
        frames = io.BufferedReader(_ZstdFrames(path.open("rb")))
        return io.TextIOWrapper(frames, encoding="utf-8-sig", errors=_NOT_UTF8, newline="")
    if name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", errors=_NOT_UTF8, newline="")
    # utf-8-sig: a spreadsheet's "CSV UTF-8" begins with a byte-order mark, which would
    # otherwise stick to the first column's name (every row then lacks an id); newline="":
    # a line break inside a quoted CSV field stays as written
    return path.open(encoding="utf-8-sig", errors=_NOT_UTF8, newline="")


# Longer than any one item's line (a post's 40,000 characters, JSON-escaped, with its
# metadata, is well under a megabyte), short enough that a line is never a file's worth.
LINE_MAX = 4_000_000
LONG_LINE = f"a line longer than {LINE_MAX:,} characters (not one item: a document saved whole?)"
CUT = "cut short or corrupt"  # how a damaged file is named in the import's report
LOST_WHOLE = "nothing of it read"  # ... a file refused whole
LOST_ITEMS = "its items unread"  # ... a document holding items refused
WRAPPED = "a JSON document wrapping its items in data, not one object a line"
LOST_LINES = "lines a malformed CSV row took in"  # ... and rows an unclosed quote took in


def rows(path: Path, skipped: Counter[str], not_utf8: Counter[str] | None = None) -> Iterator[dict[str, Any] | None]:
    """Each row of ``path``; None for a line that is no JSON object (its reason counted in
    ``skipped``), so that every line read is counted. A compressed file cut short or corrupt
    ends there, said in ``skipped``: the other files are still read. The bytes read as U+FFFD
    for not being UTF-8 are counted in ``not_utf8`` by file name."""
    read: list[int] = [0]
    mended_before = _not_utf8[0]
    if path.name.lower().endswith((".gz", ".zst")) and path.stat().st_size == 0:
        skipped[f"{CUT} ({path.name}: the file is empty, a download that failed at once)"] += 1
        return
    text = open_text(path)  # a file missing or unreadable stops the import: the input was mistyped
    try:
        yield from _rows(path, text, skipped, read)
    except (EOFError, gzip.BadGzipFile, zlib.error, zstandard.ZstdError) as exc:
        skipped[f"{CUT} ({path.name}, after {read[0]} rows: {exc}; the rest of it unread)"] += 1
    finally:
        text.close()
        if not_utf8 is not None and _not_utf8[0] > mended_before:
            not_utf8[path.name] += _not_utf8[0] - mended_before


def _rows(path: Path, text: IO[str], skipped: Counter[str], read: list[int]) -> Iterator[dict[str, Any] | None]:
    stem = path.name.lower().removesuffix(".zst").removesuffix(".gz")
    if stem.endswith(".csv"):
        for row in _csv_rows(text, path.name, skipped):
            read[0] += 1
            yield row
        return
    if _opens_array(text):
        # one JSON document (an API download): it would be read whole as one line, for nothing
        skipped[f"one JSON array, not one object a line ({path.name}; {LOST_WHOLE})"] += 1
        return
    for number, line in enumerate(_bounded_lines(text), start=1):
        if line is None:
            read[0] += 1
            skipped[_said(skipped, LONG_LINE, f"{path.name}:{number}")] += 1
            yield None
            continue
        if not line.strip():
            continue
        read[0] += 1
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):  # not JSON, a number past int's digit limit, nesting past the stack
            skipped[_said(skipped, "not JSON", f"{path.name}:{number}")] += 1
            yield None
            continue
        if not isinstance(row, dict):
            skipped["not an object"] += 1
            yield None
        elif isinstance(row.get("kind"), str) and isinstance(row.get("data"), dict):
            # Reddit's own API: an item inside its "thing", or a page of them (a Listing)
            yield from _things(row, skipped)
        elif not raw_id(row) and _wraps_items(row.get("data")):
            # a JSON document holding the items (an API answer saved whole): refused by name,
            # not counted as one row without an id while all it holds is lost unsaid
            skipped[_said(skipped, WRAPPED, f"{path.name}:{number}; {LOST_ITEMS}")] += 1
            yield None
        else:
            yield row


def _things(row: dict[str, Any], skipped: Counter[str]) -> Iterator[dict[str, Any] | None]:
    """The items of a line of Reddit's API: a post's or a comment's "thing", or a Listing's
    children (one page). Anything else (a "more" stub) is no item, counted so. Replies nested
    in a comment are not read: Reddit's listings give each comment on its own too."""
    kind, data = row["kind"], row["data"]
    if kind in THING_KINDS:
        yield data
        return
    children = data.get("children")
    if kind != "Listing" or not isinstance(children, list):
        skipped[f"not an item (a {kind[:20]!r} of Reddit's API)"] += 1
        yield None
        return
    for child in children:
        inner = child.get("data") if isinstance(child, dict) else None
        if isinstance(child, dict) and child.get("kind") in THING_KINDS and isinstance(inner, dict):
            yield inner
        else:
            skipped["not an item (a listing's child that is no post or comment)"] += 1
            yield None


THING_KINDS = frozenset(("t1", "t3"))  # Reddit's kinds for a comment and a post


def _wraps_items(data: object) -> bool:
    """Whether a document's ``data`` holds items: a list, or a listing's ``children``."""
    return isinstance(data, list) or (isinstance(data, dict) and isinstance(data.get("children"), list))


DETAILED = 5  # skips of one kind said with their file and line; the rest only counted


def _said(skipped: Counter[str], plain: str, where: str) -> str:
    """How a skip of kind ``plain`` is counted: with ``where`` while fewer than
    :data:`DETAILED` of its kind were said so (whatever else was skipped: a filtered import
    skips other subreddits by the thousand), then plainly."""
    detailed = sum(1 for reason in skipped if reason.startswith(f"{plain} ("))
    return f"{plain} ({where})" if detailed < DETAILED else plain


def _bounded_lines(text: IO[str], limit: int = LINE_MAX) -> Iterator[str | None]:
    """The stream's lines, None for one longer than ``limit`` characters, which is passed
    over without being kept: a file with no line breaks (an API answer saved whole, a
    document of thousands of items) is otherwise read into memory as one line."""
    carry = ""
    # a "\r" read ahead is a (blank) line of its own, not the start of the next one
    while line := carry if carry == "\r" else carry + text.readline(limit + 1 - len(carry)):
        if len(line) <= limit or line.endswith(("\n", "\r")):
            line, carry = _whole_ending(text, line)
            yield line
            continue
        rest = line
        while not rest.endswith(("\n", "\r")) and (rest := text.readline(limit)):
            pass
        carry = _whole_ending(text, rest)[1]
        yield None


def _whole_ending(text: IO[str], line: str) -> tuple[str, str]:
    """``line`` with the "\n" of its "\r\n" when the size cut it after the "\r" (else a
    blank line would follow, and each later line be numbered one too far), and the
    character read past it that is not that "\n"."""
    if not line.endswith("\r"):
        return line, ""
    after = text.read(1)
    return (line + after, "") if after == "\n" else (line, after)


def _opens_array(text: IO[str]) -> bool:
    """Whether the file's first character that is not blank opens a JSON array, read without
    reading its line (which may be the whole file); the stream is left where it was."""
    peek = getattr(getattr(text, "buffer", None), "peek", None)
    if peek is None:
        return False
    head = bytes(peek(4096))[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[")


def _delimiter(text: IO[str]) -> str:
    """The CSV's separator, from its header line, read without reading it: a comma, unless the
    header has none and has semicolons or tabs (a spreadsheet saved in a locale whose decimal
    mark is the comma writes ";"). Else every row would be one column, and skipped unexplained."""
    peek = getattr(getattr(text, "buffer", None), "peek", None)
    if peek is None:
        return ","
    header = bytes(peek(4096))[:4096].lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    if b"," in header:
        return ","
    return max((b";", b"\t"), key=header.count).decode() if header.count(b";") or header.count(b"\t") else ","


def _csv_rows(text: IO[str], name: str, skipped: Counter[str]) -> Iterator[dict[str, Any] | None]:
    taken = [0]  # lines with text the reader took from the file (its line_num stays put on an error)

    def lines() -> Iterator[str]:
        for number, line in enumerate(_bounded_lines(text), start=1):
            if line is None:  # no row's: a file of no line breaks would be read whole
                skipped[_said(skipped, LONG_LINE, f"{name}:{number}")] += 1
                continue
            taken[0] += bool(line.strip())  # a blank line (a row's "\r\r\n" ending) loses nothing
            yield line

    reader = csv.DictReader(lines(), strict=True, delimiter=_delimiter(text))
    try:
        if reader.fieldnames is None:  # read the header now, so line numbers are the rows'
            return
    except csv.Error as exc:
        skipped[f"not CSV ({name}: its header: {exc}; {LOST_WHOLE})"] += 1
        return
    while True:
        after, before = reader.line_num, taken[0]  # the row comes after this line (blank lines may come first)
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # reading goes on at the next line; an unclosed quote has read to the end
            # an unclosed quote takes in the lines after it, rows of their own, up to the field
            # limit: counted apart, or thousands of rows would be lost as one
            lost = max(taken[0] - before - 1, 0)
            skipped[_said(skipped, "not CSV", f"{name}: the row after line {after}: {exc}")] += 1
            if lost:
                skipped[f"{LOST_LINES}, lost ({name})"] += lost
            yield None
            continue
        yield lowered(raw)


def lowered(raw: dict[str | None, Any]) -> dict[str, Any]:
    """A CSV row keyed by lower-case column names, aliases read as their field; cells past
    the header's columns dropped."""
    row = {key.strip().lower(): value for key, value in raw.items() if key is not None}
    for alias, name in CSV_ALIASES.items():
        if row.get(name) in (None, "") and alias in row:
            row[name] = row.pop(alias)
    return row


def subreddit(row: dict[str, Any]) -> str:
    """The row's subreddit column as a name."""
    return subreddit_name(str(row.get("subreddit") or ""))


def subreddit_name(text: str) -> str:
    """A subreddit as written, as its name: ``r/stocks`` and ``/r/stocks/`` are ``stocks``."""
    return re.sub(r"^/?r/", "", text.strip(), flags=re.IGNORECASE).strip("/ ")


def path_only(link: Any) -> Any:
    """A permalink as the path Reddit's own are (``https://www.reddit.com/r/...`` -> ``/r/...``)."""
    if isinstance(link, str) and link.lower().startswith(("http://", "https://")):
        return urlsplit(link).path or None
    return link


# Reddit's ids: base 36 in lower case, with their fullname's kind or without.
REDDIT_ID = re.compile(r"(?:t[13]_)?[0-9a-z]{1,13}")


def reddit_id(value: Any) -> str:
    """``value`` as a Reddit id (lower case, as Reddit writes them: ``P8`` and ``p8`` are one
    item), or "" when it is none: ``true``, ``5``, ``"t1_"`` or a name would become an item,
    or a thread, that nothing else names (Reddit's ids are text)."""
    text = value.strip().lower() if isinstance(value, str) else ""
    return text if REDDIT_ID.fullmatch(text) else ""


ID_COLUMNS = ("name", "id", "postid")


def raw_id(row: dict[str, Any]) -> str:
    """The row's own id: the first of its id columns that holds one."""
    return next((i for name in ID_COLUMNS if (i := reddit_id(row.get(name)))), "")


def short_id(fullname: str) -> str:
    return fullname.split("_", 1)[-1]


def thread_link(row: dict[str, Any], post: str) -> re.Match[str] | None:
    """The item's own thread link: its permalink, or a url to the thread of ``post`` (its
    short id). A link post's url to another thread is a crosspost and names nothing of it."""
    if isinstance(permalink := row.get("permalink"), str) and (match := THREAD_LINK.search(permalink)):
        return match
    return own_url(row, post)


def own_url(row: dict[str, Any], post: str) -> re.Match[str] | None:
    """The row's url when it is the thread of ``post``: an export that keeps only a url
    gives a text post's own thread there."""
    if isinstance(url := row.get("url"), str) and (match := THREAD_LINK.search(url)):
        return match if match.group(2).lower() == post.lower() else None
    return None


def number(value: Any) -> float | None:
    """A finite number, or None (a spreadsheet's "nan" is no score)."""
    try:
        found = float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return found if found is not None and math.isfinite(found) else None
