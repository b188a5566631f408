"""The extractor as a command line, for anyone's own dump (``python -m common.extraction``)."""

import json
import sys
from typing import TextIO

from common.extraction.reading import extract, symbols


def main(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """``python -m common.extraction``: JSON lines ``{"text", "created_utc"?, "thread_text"?}``
    in, one ``{"symbols": [...], "secondary": [...]}`` line out per input line, in order. A line
    that is not such an object gets ``{"error": ...}`` and the rest go on; the exit status is 1
    if any line failed."""
    failed = False
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ValueError('expected an object with a "text" string')
            at = row.get("created_utc")
            at = None if at is None else float(at)
            thread_text = row.get("thread_text") or ""
            thread = frozenset(symbols(thread_text, at=at)) if thread_text else frozenset()
            found = [m for m in extract(row["text"], thread_symbols=thread, at=at) if m.known]
            primary = {m.symbol for m in found if m.role == "primary"}
            ordered = list(dict.fromkeys(m.symbol for m in found))
            out: dict[str, object] = {"symbols": ordered, "secondary": [s for s in ordered if s not in primary]}
        except (ValueError, TypeError) as exc:
            failed = True
            out = {"error": f"line {number}: {exc}"}
        stdout.write(json.dumps(out) + "\n")
    return 1 if failed else 0
