"""The other period's set: the dump read as the labellers saw it (a comment row is its body
alone), drawn the same way every time, and scored only from a dump that is there."""

import csv
import dataclasses
import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from eval.tickers import other_period, real_set

ROWS = [  # our own words, in the dump's columns
    {"title": "Comment", "id": "abcdefg", "created": "1642791000.0", "body": "holding my calls into earnings"},
    {"title": "Thoughts on the Fed", "id": "abcdef", "created": "1642792000.0", "body": ""},
    {"title": "Comment", "id": "bcdefgh", "created": "1642793000.0", "body": ""},  # nothing to read
    {"title": "Thoughts on the Fed", "id": "abcdef", "created": "1642792000.0", "body": "a copy"},
    {"title": "Comment", "id": "cdefgh", "created": "1642794000.0", "body": "a post so titled"},  # a post's id
]


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, fieldnames=["title", "score", "id", "url", "comms_num", "created", "body", "timestamp"])
        out.writeheader()
        out.writerows({"score": "1", "url": "", "comms_num": "0", "timestamp": "", **r} for r in rows)
    return path


def test_a_comment_is_its_body_and_a_post_its_title_then_body_each_once(tmp_path: Path) -> None:
    read = other_period.read_dump(write(tmp_path / "d.csv", ROWS))
    assert sorted(read) == ["t1_abcdefg", "t3_abcdef", "t3_cdefgh"]
    assert read["t3_cdefgh"].text == "Comment\na post so titled"
    assert read["t1_abcdefg"].text == "holding my calls into earnings" and read["t1_abcdefg"].kind == "comment"
    assert read["t3_abcdef"].text == "Thoughts on the Fed" and read["t3_abcdef"].created_utc == 1642792000.0


def test_the_draw_is_the_same_every_time_and_takes_each_stratum_s_quota(tmp_path: Path) -> None:
    rows = [
        {"title": "Comment", "id": f"c{i:06d}", "created": f"{1642791000 + i}.0", "body": f"plain words number {i}"}
        for i in range(200)
    ]
    lists = [f"GME AMC NOK BB PLTR {i}" for i in range(80)]
    rows += [{"title": t, "id": f"p{i:05d}", "created": "1642791000.0", "body": ""} for i, t in enumerate(lists)]
    posts = other_period.read_dump(write(tmp_path / "d.csv", rows))
    drawn = other_period.sample(posts)
    assert drawn == other_period.sample(posts)
    strata = {r["stratum"] for r in drawn}
    assert strata == {"comment", "list"} and all(r["split"] == "held_out" for r in drawn)
    assert sum(r["stratum"] == "list" for r in drawn) == other_period.QUOTAS["list"]


def test_without_the_dump_nothing_is_scored_and_the_reason_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(other_period.ENV, raising=False)
    with pytest.raises(other_period.MissingDump, match=other_period.ENV):
        other_period.csv_path()
    with pytest.raises(other_period.MissingDump, match="absent"):
        other_period.csv_path("/nowhere/reddit_wsb.csv")


def test_the_labels_are_the_ones_hashed_before_the_extractor_ran() -> None:
    for labels, digest in (
        (other_period.LABELS, other_period.LABELS_HASH),
        (other_period.DEV_LABELS, other_period.DEV_LABELS_HASH),
    ):
        recorded = digest.read_text(encoding="utf-8").split()[0]
        assert hashlib.sha256(labels.read_bytes()).hexdigest() == recorded


def test_the_set_is_scored_as_the_main_one_and_only_from_the_texts_labelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        {"title": "Comment", "id": "aaaaaaa", "created": "1642791000.0", "body": "Loading up on $GME and $AMC calls"},
        {"title": "Comment", "id": "bbbbbbb", "created": "1642791000.0", "body": "sold my $TSLA today"},
    ]
    dump = write(tmp_path / "d.csv", rows)
    posts = other_period.read_dump(dump)
    ids = [
        {"id": key, "stratum": "cashtag", "split": "held_out", "text_sha256": real_set.text_digest(t.text)}
        for key, t in sorted(posts.items())
    ]
    labels = [  # AMC not labelled: a false positive; NOK labelled: a miss; TSLA doubtful: neither
        {"id": "t1_aaaaaaa", "symbols": ["GME", "NOK"], "secondary": [], "doubtful": [], "other": []},
        {"id": "t1_bbbbbbb", "symbols": ["TSLA"], "secondary": [], "doubtful": ["TSLA"], "other": []},
    ]
    (tmp_path / "ids.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ids), encoding="utf-8")
    (tmp_path / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in labels), encoding="utf-8")
    drawn = dataclasses.replace(other_period.WSB_2022, ids=tmp_path / "ids.jsonl", labels=tmp_path / "labels.jsonl")
    scored = other_period.evaluate(dump, rounds=1, dump=drawn)
    assert (scored["tp"], scored["fp"], scored["fn"]) == (1, 1, 1)  # GME; AMC found unlabelled; NOK missed
    assert scored["by_stratum"]["cashtag"]["texts"] == 2
    with pytest.raises(other_period.WrongDump, match="are not in"):
        other_period.evaluate(write(tmp_path / "short.csv", rows[:1]), rounds=1, dump=drawn)
    changed = [*ids[:1], {**ids[1], "text_sha256": real_set.text_digest("another text")}]
    (tmp_path / "ids.jsonl").write_text("".join(json.dumps(r) + "\n" for r in changed), encoding="utf-8")
    with pytest.raises(other_period.WrongDump, match="not the ones labelled"):
        other_period.evaluate(dump, rounds=1, dump=drawn)
    (tmp_path / "ids.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ids), encoding="utf-8")
    (tmp_path / "labels.jsonl").write_text(json.dumps(labels[0]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no label"):
        other_period.evaluate(dump, rounds=1, dump=drawn)


def test_make_eval_tickers_says_the_set_was_not_scored_without_its_dump(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from eval import tickers_eval

    for _, dump in tickers_eval.DUMPS:
        monkeypatch.delenv(dump.env, raising=False)
    recorded = json.loads(tickers_eval.COMMITTED.read_text(encoding="utf-8"))
    firsts = {f"{key}_first" for key, _ in tickers_eval.DUMPS} & set(recorded)
    assert tickers_eval._other_periods() == {k: recorded[k] for k in firsts}  # a first measurement stays as recorded
    err = capsys.readouterr().err
    assert all(f"{dump.corpus}: NOT SCORED" in err for _, dump in tickers_eval.DUMPS)


def test_the_recorded_figures_are_of_the_labels_committed() -> None:
    recorded = json.loads((other_period.HERE.parent / "tickers.json").read_text(encoding="utf-8"))
    assert recorded["real_other_period"]["labels_sha256"] == real_set.file_digest(other_period.LABELS)
    assert recorded["real_other_period"]["texts"] == len(real_set.read_rows(other_period.IDS))
    assert recorded["real_other_period_dev"]["labels_sha256"] == real_set.file_digest(other_period.DEV_LABELS)


def test_the_dev_draw_takes_none_of_the_held_out_texts(tmp_path: Path) -> None:
    rows = [
        {"title": "Comment", "id": f"c{i:06d}", "created": f"{1642791000 + i}.0", "body": f"plain words number {i}"}
        for i in range(300)
    ]
    posts = other_period.read_dump(write(tmp_path / "d.csv", rows))
    held = other_period.sample(posts)
    dev = other_period.sample(posts, "dev", frozenset(r["id"] for r in held))
    assert {r["split"] for r in dev} == {"dev"} and not {r["id"] for r in held} & {r["id"] for r in dev}
    assert dev == other_period.sample(posts, "dev", frozenset(r["id"] for r in held))


def test_a_refresh_without_a_dump_keeps_its_recorded_figures_and_the_first_measurement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eval import tickers_eval

    recorded = {
        "real_other_period": {"f1": 0.5},
        "real_other_period_dev": {"f1": 0.6},
        "real_finance_2024_first": {"f1": 0.7},
    }
    committed = tmp_path / "tickers.json"
    committed.write_text(json.dumps(recorded), encoding="utf-8")
    monkeypatch.setattr(tickers_eval, "COMMITTED", committed)
    for _, dump in tickers_eval.DUMPS:
        monkeypatch.delenv(dump.env, raising=False)
    assert tickers_eval._other_periods(refresh=True) == recorded


def test_the_2022_draw_is_made_as_it_was_labelled() -> None:
    dump = other_period.WSB_2022
    assert (dump.corpus, dump.seed, dump.dev_seed) == ("wsb-2022-01", 20261205, 20261206)
    assert dump.quotas == {
        "url": 50,
        "list": 60,
        "all_caps": 30,
        "ambiguous": 60,
        "cashtag": 40,
        "post": 40,
        "comment": 40,
    }
    assert dump.dev_quotas == {"url": 40, "ambiguous": 27, "cashtag": 35, "post": 100, "comment": 100}


def test_a_sheet_needs_a_folder_outside_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dump = write(tmp_path / "d.csv", ROWS)
    with pytest.raises(SystemExit):
        other_period.main(["sheet", "--csv", str(dump)])
    with pytest.raises(other_period.WrongDump, match="not the dump"):
        other_period.read_dump(tmp_path)  # a folder, not the CSV


def test_a_refresh_that_cannot_score_the_real_set_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without ../shared/data the headline cannot be measured: REFRESH=1 must not write a
    results file that lacks it (the README quotes real_precision, real_recall...)."""
    from eval import tickers_eval

    committed = tmp_path / "tickers.json"
    committed.write_text('{"real_precision": 0.9}\n', encoding="utf-8")
    monkeypatch.setattr(tickers_eval, "COMMITTED", committed)
    monkeypatch.setattr(tickers_eval, "ROUNDS", 1)
    monkeypatch.setattr(tickers_eval, "_real", dict)
    monkeypatch.setattr(sys, "argv", ["tickers_eval", "--refresh"])
    with pytest.raises(SystemExit, match="nothing written"):
        tickers_eval.main()
    assert committed.read_text(encoding="utf-8") == '{"real_precision": 0.9}\n'


def test_the_main_sets_labels_are_the_ones_hashed_before_the_extractor_ran() -> None:
    """The headline extraction figures rest on these labels: an edit after the hash was
    committed (a label changed to fit the extractor) must fail here, not pass unseen."""
    recorded = real_set.LABELS_HASH.read_text(encoding="utf-8").split()[0]
    assert real_set.labels_digest() == recorded


def test_each_rounds_labels_are_the_ones_hashed_with_that_round() -> None:
    """Every round rewrites the whole file's hash: an earlier round's label edited then would
    pass the test above. Each round's own hash, appended with it, must still hold."""
    recorded: dict[str, str] = {}
    for line in real_set.ROUND_HASHES.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split()
            recorded[name] = digest
    assert real_set.round_digests() == recorded


def test_the_recorded_extraction_figures_name_the_labels_they_were_measured_on() -> None:
    """The labels as they stood through the last round the figures measured: a round's labels
    are committed before anything is measured on them, so the file may hold one more."""
    recorded = json.loads((other_period.HERE.parent / "tickers.json").read_text(encoding="utf-8"))
    measured = max(int(name.removeprefix("round")) for name in recorded["real_first_measured"]["rounds"])
    assert recorded["real_labels_sha256"] == real_set.labels_digest_through(measured)


def test_the_main_sets_texts_are_the_ones_labelled(tmp_path: Path) -> None:
    """A corpus converted again (or read otherwise) giving another text for a labelled id is
    refused, not scored against labels written for the first."""
    import gzip

    folder = tmp_path / "corpus-a"
    folder.mkdir()
    with gzip.open(folder / "items.jsonl.gz", "wt", encoding="utf-8") as out:
        out.write(json.dumps({"id": "t1_a", "kind": "comment", "created_utc": 1.0, "body": "made up text"}) + "\n")
    [text] = real_set.read_corpus(folder)
    row = {"id": "t1_a", "corpus": "corpus-a", "text_sha256": real_set.pinned(text)}
    assert real_set.texts(tmp_path, [row])["t1_a"].text == "made up text"
    other = real_set.pinned(replace(text, thread_text="another thread"))  # the title beside it is pinned too
    with pytest.raises(real_set.WrongTexts, match="not the ones labelled"):
        real_set.texts(tmp_path, [{**row, "text_sha256": other}])
