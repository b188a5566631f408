"""Sentences of real Reddit text in the project's own files. The project keeps ids, labels and
results; the texts are other people's writing and stay in ``../shared/data`` (or a dump given).
A test written from a real miss is easily written in the miss's own words, so every tracked
file is read for runs of seven words that a corpus holds too.

Seven words, not fewer: shorter runs are the community's idiom, not anyone's writing. Runs
that are idiom all the same (or hold a saying), URLs or export headers are allowed
(:data:`ALLOWED`).

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
    "go big or go home",
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


def _words(text: str) -> list[str]:
    # an escaped line break ("...\\nword" in a JSON file) is a break, not part of the next word
    return _WORD.findall(text.replace("\\n", " ").lower().replace("\u2019", "'"))


def runs(text: str, size: int = RUN) -> Iterator[str]:
    """Every run of ``size`` words, lower case, punctuation gone (one corpus had it stripped)."""
    words = _words(text)
    for i in range(len(words) - size + 1):
        yield " ".join(words[i : i + size])


def corpus_texts(data: Path | None, dumps: Iterable[Path] = ()) -> Iterator[str]:
    """The texts of every corpus under ``data`` (``*/items.jsonl.gz``) and of CSV dumps."""
    for items in sorted(data.glob("*/items.jsonl.gz")) if data is not None else ():
        with gzip.open(items, "rt", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                yield " ".join(str(row.get(k) or "") for k in ("title", "body"))
    csv.field_size_limit(10**8)  # a post's text in one field: longer than the module's default
    for dump in dumps:
        with dump.open(encoding="utf-8", errors="replace", newline="") as f:
            for row in csv.reader(f):
                yield " ".join(row)


def tracked() -> list[Path]:
    """The files git tracks: what a commit would publish."""
    git = ["git", "-C", str(ROOT), "ls-files", "-z"]
    listed = subprocess.run(git, capture_output=True, check=True)  # noqa: S603 - fixed arguments
    names = [n for n in listed.stdout.decode("utf-8").split("\0") if n]
    return [ROOT / name for name in names if not name.endswith(_SKIPPED) and not name.startswith(_REGISTRIES)]


def _allowed(run: str) -> bool:
    """Within a phrase of :data:`ALLOWED`, or holding one of four words or more (a saying
    beside the next line's words: a list of sayings in a template)."""
    return any(run in phrase or (phrase.count(" ") >= 3 and phrase in run) for phrase in ALLOWED)


def _ours(files: Iterable[Path]) -> dict[str, list[tuple[str, int]]]:
    """Every run of the files' words, across line ends (a sentence split over two string
    literals is still one), with where each starts; a file that is not text is skipped."""
    found: dict[str, list[tuple[str, int]]] = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        name = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        placed = [(word, number) for number, line in enumerate(text.splitlines(), 1) for word in _words(line)]
        for i in range(len(placed) - RUN + 1):
            run = " ".join(word for word, _ in placed[i : i + RUN])
            if not _URL_WORDS & set(run.split()) and not _allowed(run):
                found.setdefault(run, []).append((name, placed[i][1]))
    return found


def quoted(files: Iterable[Path], texts: Iterable[str]) -> list[tuple[str, int, str]]:
    """(file, line, run) for each run of ``files``' words that one of ``texts`` (the corpora)
    holds, but runs of :data:`ALLOWED` phrases and of a URL's words; one a line. The corpora
    are streamed against the files' runs, so memory is the project's size, not theirs."""
    ours = _ours(files)
    hits: dict[tuple[str, int], str] = {}
    for text in texts:
        for run in runs(text):
            for place in ours.get(run, ()):
                hits.setdefault(place, run)
    return sorted((name, line, run) for (name, line), run in hits.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="folder of corpora")
    parser.add_argument("dumps", nargs="*", type=Path, help="CSV dumps to read too")
    args = parser.parse_args(argv)
    data = args.data if any(args.data.glob("*/items.jsonl.gz")) else None
    if data is None and not args.dumps:
        print(f"no corpus under {args.data} and no dump given: nothing to compare with", file=sys.stderr)
        return 2
    found = quoted(tracked(), corpus_texts(data, args.dumps))
    for name, number, run in found:
        print(f"{name}:{number}: {run}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
