"""How far two careful readers agree on the real set's held-out texts: the ceiling the labels
put on any extractor's score.

A sample of the held-out split (``SAMPLE`` texts, chosen by a hash of the id, so nothing the
extractor does picks them) was labelled a second time, blind, by readers who saw neither the
first labels nor the extractor, from the same guidelines (``LABELLING.md``). The second labels
(``agreement_labels.jsonl``) were hashed before anything was scored against them.

Reported, on that sample: the second reading scored against the first, as the extractor is
(how much of the extractor's distance to the bar is the readers' own disagreement); the
extractor against each reading; and the extractor against what both readers name (a symbol
only one of them names, or that either marks doubtful or other, is left out).

``python -m eval.tickers.agreement sheet --out DIR`` writes the texts to label (outside the
project) and the guidelines; ``import --labels DIR`` reads the readers' files into
``agreement_labels.jsonl`` and writes its hash; ``score`` prints the figures.
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from common import extraction
from eval.tickers import real_eval, real_set

SAMPLE = 360  # held-out texts read twice: four readers of ninety, as the rounds were labelled
DRAWN_FROM = 14  # the rounds labelled when the sample was drawn: a later round changes nothing
PARTS = 4
LABELS = real_set.HERE / "agreement_labels.jsonl"
LABELS_HASH = real_set.HERE / "agreement_labels.sha256"
GUIDE = real_set.HERE / "LABELLING.md"
FIRST_SHEETS = "/tmp/labelling"  # noqa: S108 (the folder the guidelines name: rewritten, never opened)


def chosen(ids: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sample: the held-out rows of rounds up to ``DRAWN_FROM`` whose salted id hash is
    lowest, in id order."""

    def key(row: dict[str, Any]) -> bytes:
        return hashlib.sha256(f"akleao-agreement:{row['id']}".encode()).digest()

    held = [r for r in ids if r["split"] == "held_out" and r.get("round", 1) <= DRAWN_FROM]
    held = sorted(held, key=key)[:SAMPLE]
    return sorted(held, key=lambda r: (r["corpus"], r["id"]))


def _guide(out: Path) -> str:
    """The guidelines as the first readers had them, pointed at this sheet's files."""
    text = GUIDE.read_text(encoding="utf-8").split("\n## How these labels were made")[0]
    return text.replace(FIRST_SHEETS, str(out))


def sheet(data: str | None, out: Path) -> None:
    rows = chosen(real_set.load_ids())
    found = real_set.texts(real_set.data_dir(data), rows)
    out.mkdir(parents=True, exist_ok=True)
    (out / "GUIDE.md").write_text(_guide(out), encoding="utf-8")
    for part in range(PARTS):
        with (out / f"part{part + 1}.jsonl").open("w", encoding="utf-8") as f:
            for row in rows[part::PARTS]:
                f.write(json.dumps(real_set.sheet_row(found[row["id"]]), ensure_ascii=False) + "\n")
    print(f"{len(rows)} texts in {PARTS} parts -> {out}", file=sys.stderr)


def import_labels(folder: Path) -> None:
    """The readers' files into ``agreement_labels.jsonl`` (ids and symbols only: their notes
    quote the texts) and its hash, refusing a file that does not answer its sheet line by line."""
    want = {r["id"] for r in chosen(real_set.load_ids())}
    rows: dict[str, dict[str, Any]] = {}
    for part in range(PARTS):
        sheet_ids = [json.loads(line)["id"] for line in (folder / f"part{part + 1}.jsonl").open(encoding="utf-8")]
        answers = real_set.read_rows(folder / f"labels_part{part + 1}.jsonl")
        if [a["id"] for a in answers] != sheet_ids:
            raise SystemExit(f"labels_part{part + 1}.jsonl does not answer part{part + 1}.jsonl line by line")
        for a in answers:
            rows[a["id"]] = {k: sorted({str(s).upper() for s in a.get(k) or []}) for k in real_set.LABEL_KEYS}
            rows[a["id"]]["id"] = a["id"]
    if set(rows) != want:
        raise SystemExit(f"{len(want - set(rows))} texts of the sample have no label")
    LABELS.write_text("".join(json.dumps(rows[i], sort_keys=True) + "\n" for i in sorted(rows)), encoding="utf-8")
    LABELS_HASH.write_text(f"{real_set.file_digest(LABELS)}  {LABELS.name}\n", encoding="utf-8")
    print(f"{len(rows)} labels -> {LABELS} (sha256 {real_set.file_digest(LABELS)[:12]})", file=sys.stderr)


Row = tuple[set[str], set[str], set[str]]  # found, wanted, ignored


def _named(label: dict[str, Any]) -> set[str]:
    return set(label["symbols"]) - set(label["doubtful"]) - set(label["other"])


def _unsure(label: dict[str, Any]) -> set[str]:
    return set(label["doubtful"]) | set(label["other"])


def compare(
    first: list[dict[str, Any]], second: list[dict[str, Any]], ours: list[set[str]]
) -> dict[str, dict[str, Any]]:
    """The figures, each over the same texts. Against one reading, as the headline scores the
    extractor: what that reader marks doubtful or other is not scored, and the second reader's
    answer is what they name firmly. Against both: what both name firmly; a symbol one names
    firmly and the other does not (left out, doubted or called other) is contested and not
    scored, nor is what both doubt."""
    readers: list[Row] = []
    vs_first: list[Row] = []
    vs_second: list[Row] = []
    vs_both: list[Row] = []
    contested = 0
    for a, b, got in zip(first, second, ours, strict=True):
        named_a, named_b = _named(a), _named(b)
        readers.append((named_b, named_a, _unsure(a)))
        vs_first.append((got, named_a, _unsure(a)))
        vs_second.append((got, named_b, _unsure(b)))
        split = named_a ^ named_b
        contested += len(split)
        vs_both.append((got, named_a & named_b, _unsure(a) | _unsure(b) | split))
    return {
        "second_reader_vs_first": real_eval.score_rows(readers),
        "extractor_vs_first": real_eval.score_rows(vs_first),
        "extractor_vs_second": real_eval.score_rows(vs_second),
        "extractor_vs_both": {**real_eval.score_rows(vs_both), "contested_left_out": contested},
    }


def evaluate(data: str | None = None) -> dict[str, Any]:
    """The agreement figures (``real_agreement`` in ``eval/tickers.json``); raises
    ``real_set.MissingData`` without the texts."""
    second_labels = {r["id"]: r for r in real_set.read_rows(LABELS)}
    rows = [r for r in real_set.load_ids() if r["id"] in second_labels]
    first_labels = real_set.load_labels()
    inputs = real_eval.read_inputs(data, rows)
    ours = [set(extraction.symbols(text, thread_symbols=th, at=at)) for text, th, at in inputs]
    figures = compare([first_labels[r["id"]] for r in rows], [second_labels[r["id"]] for r in rows], ours)
    return {**figures, "texts": len(rows), "labels_sha256": real_set.file_digest(LABELS)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("sheet", "import", "score"))
    parser.add_argument("--data", help="folder holding the corpora (default ../shared/data)")
    parser.add_argument("--out", type=Path, help="sheet: folder for the texts to label (outside the project)")
    parser.add_argument("--labels", type=Path, help="import: folder holding labels_partN.jsonl")
    args = parser.parse_args(argv)
    if args.command == "sheet":
        sheet(args.data, args.out or Path("agreement_sheet"))
    elif args.command == "import":
        import_labels(args.labels or Path("agreement_sheet"))
    else:
        print(json.dumps(evaluate(args.data), indent=2))


if __name__ == "__main__":
    main()
