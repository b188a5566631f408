"""The extractor as a command line, for anyone's own dump (``python -m common.extraction``)."""

import argparse
import json
import os
import sys
from collections.abc import Iterator
from typing import Annotated, TextIO

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from common.extraction.reading import extract, symbols
from common.fields import DATA_TIME_LIMIT, REDDIT_BEGAN, Text, epoch, in_seconds, problems


def _time(value: object) -> object:
    """A time as dumps write it (seconds or milliseconds, a number or text, an ISO date) as
    epoch seconds; anything else is left for the field to refuse by name."""
    at = epoch(value)
    return value if at is None else in_seconds(at)[0]


Seconds = Annotated[float, Field(allow_inf_nan=False, ge=REDDIT_BEGAN, lt=DATA_TIME_LIMIT)]


class Line(BaseModel):
    """One input line. Strict, so a number is no text and ``true`` is no time."""

    model_config = ConfigDict(strict=True, extra="ignore")

    text: Text  # lone surrogates mended, as the pipeline mends an item's
    # within Reddit's years, as the pipeline's items: not a date whose universe lists nothing;
    # null is "no time", as leaving it out is (the bounds are the number's, not the None's)
    created_utc: Annotated[Seconds | None, BeforeValidator(_time)] = None
    thread_text: Text | None = None


def answer(line: str) -> dict[str, object]:
    """What one input line gets: its symbols and which are secondary, or ``{"error": ...}``."""
    try:
        row = Line.model_validate(json.loads(line))
    except json.JSONDecodeError as exc:
        return {"error": f"not JSON: {exc.msg} at column {exc.colno}"}
    except ValidationError as exc:  # a ValueError too: before the clause below
        return {"error": f"not a valid line: {problems(exc)}"}
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, nesting past the stack
        return {"error": f"not JSON this reads: {type(exc).__name__}: {str(exc)[:200]}"}
    at = row.created_utc
    try:
        thread = frozenset(symbols(row.thread_text, at=at)) if row.thread_text else frozenset()
        found = [m for m in extract(row.text, thread_symbols=thread, at=at) if m.known]
    except Exception as exc:  # a bug of ours on one text, as fetch keeps going past one: not the stream's end
        return {"error": f"extraction failed: {type(exc).__name__}: {str(exc)[:200]}"}
    primary = {m.symbol for m in found if m.role == "primary"}
    ordered = list(dict.fromkeys(m.symbol for m in found))
    return {"symbols": ordered, "secondary": [s for s in ordered if s not in primary]}


def _lines(stdin: TextIO) -> Iterator[str | UnicodeDecodeError]:
    """Each line of the process's stdin decoded on its own from its bytes: one that is not
    UTF-8 is that line's error, not the end of the stream. Any other stream is read as the
    text it is (its encoding, what was read of it already)."""
    if stdin is not sys.stdin or not hasattr(stdin, "buffer"):
        yield from stdin
        return
    source = stdin.buffer
    for raw in source:
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield exc


def main(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """``python -m common.extraction``: JSON lines ``{"text", "created_utc"?, "thread_text"?}``
    in, one ``{"symbols": [...], "secondary": [...]}`` line out per input line, in order, so
    the n-th answer is the n-th line's. A line that is not such an object (a blank one
    included) gets ``{"error": "line N: ..."}`` and the rest go on; the exit status is 1 if
    any line failed."""
    failed = False
    for number, read in enumerate(_lines(stdin), start=1):
        # a byte-order mark some editors write first is no part of the first line
        line = read.removeprefix("\ufeff") if number == 1 and isinstance(read, str) else read
        if isinstance(line, UnicodeDecodeError):
            out: dict[str, object] = {"error": f"not UTF-8 at byte {line.start}"}
        else:
            out = answer(line.strip()) if line.strip() else {"error": "a blank line"}
        if "error" in out:
            failed = True
            out = {"error": f"line {number}: {out['error']}"}
        stdout.write(json.dumps(out) + "\n")
        stdout.flush()  # each answer as its line is read: a caller may wait for it before writing the next
    return 1 if failed else 0


def run(argv: list[str] | None = None) -> int:
    """The command: stdin to stdout (``-h`` says so; a file named is refused, not ignored), and
    quiet when the reader stops early (``| head``)."""
    parser = argparse.ArgumentParser(
        prog="python -m common.extraction",
        description="Reads JSON lines {text, created_utc?, thread_text?} on stdin and writes one "
        '{"symbols": [...], "secondary": [...]} line per input line (or {"error": ...}) on stdout.',
        epilog="example: python -m common.extraction < texts.jsonl > symbols.jsonl",
    )
    parser.parse_args(argv)
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader is gone: nothing more to say, and no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code
