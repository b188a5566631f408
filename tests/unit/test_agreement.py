"""Two readings of the same texts compared, on labels whose answer is known."""

import json
from pathlib import Path

import pytest

from eval.tickers import agreement, real_set


def label(symbols: list[str], doubtful: list[str] | None = None, other: list[str] | None = None) -> dict[str, object]:
    return {"symbols": symbols, "doubtful": doubtful or [], "other": other or [], "secondary": []}


def test_the_second_reading_is_scored_against_the_first_as_the_extractor_is() -> None:
    first = [label(["GME", "BB"]), label(["AMC"])]
    second = [label(["GME"]), label(["AMC", "NOK"])]
    figures = agreement.compare(first, second, [{"GME", "BB"}, {"AMC"}])
    readers = figures["second_reader_vs_first"]
    assert (readers["tp"], readers["fp"], readers["fn"]) == (2, 1, 1)  # NOK extra, BB missed
    assert figures["extractor_vs_first"]["f1"] == 1.0
    ours_vs_second = figures["extractor_vs_second"]
    assert (ours_vs_second["tp"], ours_vs_second["fp"], ours_vs_second["fn"]) == (2, 1, 1)


def test_against_both_readers_a_contested_symbol_counts_for_nobody() -> None:
    first = [label(["GME", "BB"])]
    second = [label(["GME", "NOK"])]
    both = agreement.compare(first, second, [{"GME", "NOK"}])["extractor_vs_both"]
    assert (both["tp"], both["fp"], both["fn"], both["contested_left_out"]) == (1, 0, 0, 2)


def test_each_reading_is_scored_with_its_own_doubts_and_a_hedged_disagreement_is_contested() -> None:
    first = [label(["GME", "BB"], doubtful=["BB"])]
    second = [label(["GME", "BB", "SPX", "AMC"], other=["SPX"], doubtful=["AMC"])]
    figures = agreement.compare(first, second, [{"GME", "SPX"}])
    assert figures["second_reader_vs_first"]["f1"] == 1.0  # BB doubted by the first: not scored
    assert figures["extractor_vs_first"]["fp"] == 1  # SPX: "other" only to the second reader
    assert figures["extractor_vs_second"]["fp"] == 0
    both = agreement.compare([label(["GME", "NOK"])], [label(["GME", "NOK"], doubtful=["NOK"])], [{"GME"}])
    assert both["extractor_vs_both"]["contested_left_out"] == 1  # named firmly by one, hedged by the other
    assert both["second_reader_vs_first"]["fn"] == 1


def test_the_sample_is_fixed_by_the_ids_alone_and_only_held_out() -> None:
    ids = [{"id": f"t3_{i}", "corpus": "c", "split": "held_out" if i % 3 else "dev"} for i in range(2000)]
    picked = agreement.chosen(ids)
    assert len(picked) == agreement.SAMPLE and all(r["split"] == "held_out" for r in picked)
    assert agreement.chosen(list(reversed(ids))) == picked
    later = [
        {"id": f"t1_{i}", "corpus": "c", "split": "held_out", "round": agreement.DRAWN_FROM + 1} for i in range(500)
    ]
    assert agreement.chosen(ids + later) == picked  # a round labelled after the draw changes nothing


def test_an_import_refuses_a_file_that_does_not_answer_its_sheet_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [{"id": f"t3_{i}", "corpus": "c", "split": "held_out"} for i in range(agreement.PARTS)]
    monkeypatch.setattr(real_set, "load_ids", lambda: rows)
    monkeypatch.setattr(agreement, "LABELS", tmp_path / "labels.jsonl")
    monkeypatch.setattr(agreement, "LABELS_HASH", tmp_path / "labels.sha256")
    for part, row in enumerate(agreement.chosen(rows)):
        (tmp_path / f"part{part + 1}.jsonl").write_text(json.dumps({"id": row["id"]}) + "\n", encoding="utf-8")
        answer = {"id": row["id"], "symbols": ["gme"], "doubtful": [], "other": [], "secondary": [], "note": "quoted"}
        (tmp_path / f"labels_part{part + 1}.jsonl").write_text(json.dumps(answer) + "\n", encoding="utf-8")
    agreement.import_labels(tmp_path)
    kept = real_set.read_rows(tmp_path / "labels.jsonl")
    assert [r["symbols"] for r in kept] == [["GME"]] * agreement.PARTS and "note" not in kept[0]
    assert (tmp_path / "labels.sha256").read_text(encoding="utf-8").split()[0] == real_set.file_digest(
        tmp_path / "labels.jsonl"
    )
    (tmp_path / "labels_part1.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(SystemExit, match="line by line"):
        agreement.import_labels(tmp_path)


def test_the_second_reading_is_the_one_hashed_before_it_was_scored() -> None:
    recorded = agreement.LABELS_HASH.read_text(encoding="utf-8").split()[0]
    assert real_set.file_digest(agreement.LABELS) == recorded
