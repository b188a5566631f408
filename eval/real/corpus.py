"""Where a real corpus is read from (``../shared/data``, ``AKLEAO_REAL_DATA`` or ``--data``),
and the one message every real eval gives when it is absent: real Reddit history is never
part of the project, so a clone without it says so instead of scoring nothing."""

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval.real import results
from eval.tickers.real_set import data_dir

DEVELOPMENT = "wsb-2021-05-07"  # the development corpus: three months of r/wallstreetbets posts


def find(data: str | None, name: str = DEVELOPMENT, *, not_done: str = "NOT SCORED") -> Path | None:
    """The corpus folder, or None after saying on stderr that it is absent (``not_done``: what
    the eval could not do without it)."""
    corpus_dir = data_dir(data) / name
    if (corpus_dir / "items.jsonl.gz").exists():
        return corpus_dir
    print(f"{not_done}: {corpus_dir} is absent (real Reddit history is never part of the project)", file=sys.stderr)
    return None


def command_line(
    argv: list[str] | None, prog: str, doc: str | None, name: str = DEVELOPMENT
) -> tuple[Path | None, bool]:
    """A real eval's command line: the corpus folder ``name`` (None, said on stderr, when
    absent) and whether ``--refresh`` asks for the block in ``eval/results.json``."""
    parser = argparse.ArgumentParser(prog=prog, description=(doc or "").splitlines()[0] if doc else None)
    parser.add_argument("--data", help="folder holding the corpora (default ../shared/data)")
    parser.add_argument("--refresh", action="store_true", help="write the block into eval/results.json")
    args = parser.parse_args(argv)
    return find(args.data, name), args.refresh


def study(
    argv: list[str] | None,
    prog: str,
    doc: str | None,
    *,
    run: Callable[[Path], dict[str, Any]],
    key: str,
    line: Callable[[dict[str, Any]], str],
) -> int:
    """The command line of a real study that measures ``variants`` of something not built:
    ``run`` over the development corpus, one ``line`` per variant, and ``--refresh`` puts the
    result under ``key`` in ``eval/results.json``."""
    corpus_dir, refresh = command_line(argv, prog, doc)
    if corpus_dir is None:
        return 1
    result = run(corpus_dir)
    for variant in result["variants"]:
        print(line(variant))
    if refresh:
        results.record(key, result)
    return 0
