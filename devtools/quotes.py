"""Sentences of real Reddit text in the project's own files. The project keeps ids, labels and
results; the texts are other people's writing and stay in ``../shared/data`` (or a dump given).
A test written from a real miss is easily written in the miss's own words, so every tracked
file is read for runs of seven words that a corpus holds too.

Seven words, not fewer: short runs ("to the moon", "all in on BB") are the community's idiom,
not anyone's writing. Runs that are idiom all the same, URLs or export headers are in
:data:`ALLOWED`.

    python -m devtools.quotes [--data DIR] [DUMP.csv ...]
"""

import argparse
import csv
import gzip
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = 7
_WORD = re.compile(r"[a-z0-9$']+")
# Phrases a corpus holds that are nobody's writing: sayings, a moderator's template, the
# words of CSV headers. A run inside one of them is allowed.
ALLOWED = (
    "i have no idea what i'm doing",
    "we are all going to be rich",
    "bulls make money bears make money pigs get slaughtered",
    "the market can stay irrational longer than you can stay solvent",
    "is it just me or is the",
    "now is the time to buy not",
    "are we going to talk about the",
    "to the moon this is the next",
    "all in on bb to the moon",
    "your daily trading discussion thread please keep the shitposting to a minimum",
    "title score id url comms num created body timestamp",
    "author created utc id parent post id score body subreddit",
)
_URL_WORDS = frozenset({"https", "http", "www", "com"})
# binaries, and label files (ids, symbols and the labellers' own notes)
_SKIPPED = (".gz", ".png", ".jar", ".ico", ".woff2", ".sqlite", "_labels.jsonl")
_REGISTRIES = "common/data/"  # securities' and words' lists from public registries: their names recur in posts


def runs(text: str, size: int = RUN) -> Iterator[str]:
    """Every run of ``size`` words, lower case, punctuation gone (one corpus had it stripped)."""
    words = _WORD.findall(text.lower().replace("\u2019", "'"))
    for i in range(len(words) - size + 1):
        yield " ".join(words[i : i + size])


def corpus_texts(data: Path, dumps: Iterable[Path] = ()) -> Iterator[str]:
    """The texts of every corpus under ``data`` (``*/items.jsonl.gz``) and of CSV dumps."""
    for items in sorted(data.glob("*/items.jsonl.gz")):
        with gzip.open(items, "rt", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                yield " ".join(str(row.get(k) or "") for k in ("title", "body"))
    for dump in dumps:
        with dump.open(encoding="utf-8", errors="replace", newline="") as f:
            for row in csv.reader(f):
                yield " ".join(row)


def held(texts: Iterable[str]) -> set[int]:
    """The corpora's runs, hashed: millions of them fit in memory so."""
    return {hash(run) for text in texts for run in runs(text)}


def tracked() -> list[Path]:
    """The files git tracks: what a commit would publish."""
    git = ["git", "-C", str(ROOT), "ls-files"]
    listed = subprocess.run(git, capture_output=True, text=True, check=True)  # noqa: S603 - fixed arguments
    names = listed.stdout.split()
    return [ROOT / name for name in names if not name.endswith(_SKIPPED) and not name.startswith(_REGISTRIES)]


def _allowed(run: str) -> bool:
    return any(run in phrase for phrase in ALLOWED)


def quoted(files: Iterable[Path], corpus: set[int]) -> list[tuple[str, int, str]]:
    """(file, line, run) for each line of ``files`` holding a run the corpora hold, but for
    :data:`ALLOWED` runs and runs of a URL's words."""
    found = []
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(lines, start=1):
            for run in runs(line):
                if hash(run) in corpus and not _URL_WORDS & set(run.split()) and not _allowed(run):
                    found.append((str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path), number, run))
                    break
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="folder of corpora")
    parser.add_argument("dumps", nargs="*", type=Path, help="CSV dumps to read too")
    args = parser.parse_args(argv)
    if not any(args.data.glob("*/items.jsonl.gz")):
        print(f"no corpus under {args.data}: nothing to compare with", file=sys.stderr)
        return 2
    found = quoted(tracked(), held(corpus_texts(args.data, args.dumps)))
    for name, number, run in found:
        print(f"{name}:{number}: {run}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
