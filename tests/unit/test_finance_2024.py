"""The 2024 set's dump read as its labellers saw it: a post is its title then its body
unless Reddit removed it, a comment its body, a bot's comment nothing; its subreddit names
the text's corpus."""

import csv
import hashlib
import json
from pathlib import Path

import pytest

from eval.tickers import finance_2024, other_period

POSTS = [  # our own words, in the dump's columns
    {
        "AUTHOR": "a",
        "TITLE": "Thoughts on index funds",
        "CREATED_UTC": "1717000000",
        "ID": "1abcdef",
        "BODY": "[removed]",
        "SUBREDDIT": "investing",
    },
    {
        "AUTHOR": "b",
        "TITLE": "Is Costco overvalued?",
        "CREATED_UTC": "1717000100",
        "ID": "1bcdefg",
        "BODY": "Its margins look thin",
        "SUBREDDIT": "ValueInvesting",
    },
    {
        "AUTHOR": "b",
        "TITLE": "Is Costco overvalued?",
        "CREATED_UTC": "1717000100",
        "ID": "1bcdefg",
        "BODY": "a copy",
        "SUBREDDIT": "ValueInvesting",
    },
]
COMMENTS = [
    {
        "AUTHOR": "c",
        "CREATED_UTC": "1717000200",
        "ID": "labcdef",
        "PARENT_POST_ID": "1abcdef",
        "BODY": "VTI and chill",
        "SUBREDDIT": "investing",
    },
    {
        "AUTHOR": "AutoModerator",
        "CREATED_UTC": "1717000300",
        "ID": "lbcdefg",
        "PARENT_POST_ID": "1abcdef",
        "BODY": "Read the rules",
        "SUBREDDIT": "investing",
    },
    {
        "AUTHOR": "d",
        "CREATED_UTC": "1717000400",
        "ID": "lcdefgh",
        "PARENT_POST_ID": "1abcdef",
        "BODY": "[deleted]",
        "SUBREDDIT": "stocks",
    },
]


def write(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    with (folder / name).open("w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(rows)


def test_a_post_is_its_title_then_its_body_a_comment_its_body_and_a_bot_nothing(tmp_path: Path) -> None:
    write(tmp_path, "reddit_posts.csv", POSTS)
    write(tmp_path, "reddit_comments.csv", COMMENTS)
    read = finance_2024.read_folder(tmp_path)
    assert sorted(read) == ["t1_labcdef", "t3_1abcdef", "t3_1bcdefg"]
    assert read["t3_1abcdef"].text == "Thoughts on index funds"  # the removed body left out
    assert read["t3_1bcdefg"].text == "Is Costco overvalued?\nIts margins look thin"  # the first copy
    assert read["t1_labcdef"].kind == "comment" and read["t1_labcdef"].created_utc == 1717000200.0
    assert read["t3_1bcdefg"].corpus == "finance-2024/ValueInvesting"


def test_a_folder_without_the_dump_s_files_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(other_period.WrongDump, match="not the dump"):
        finance_2024.read_folder(tmp_path)
    monkeypatch.delenv(finance_2024.FINANCE_2024.env, raising=False)
    with pytest.raises(other_period.MissingDump, match=finance_2024.FINANCE_2024.env):
        other_period.csv_path(dump=finance_2024.FINANCE_2024)


def test_each_subreddit_is_drawn_under_its_own_corpus(tmp_path: Path) -> None:
    posts = [
        {
            **POSTS[1],
            "ID": f"1p{i:05d}",
            "TITLE": f"AAPL MSFT GOOGL NVDA {i}",
            "SUBREDDIT": ("stocks", "investing")[i % 2],
        }
        for i in range(60)
    ]
    write(tmp_path, "reddit_posts.csv", posts)
    write(tmp_path, "reddit_comments.csv", COMMENTS)
    drawn = other_period.sample(finance_2024.read_folder(tmp_path), dump=finance_2024.FINANCE_2024)
    assert {r["corpus"] for r in drawn if r["stratum"] == "list"} == {"finance-2024/stocks", "finance-2024/investing"}
    assert sum(r["stratum"] == "list" for r in drawn) == finance_2024.QUOTAS["list"]


def test_the_labels_are_the_ones_hashed_before_the_extractor_ran() -> None:
    dump = finance_2024.FINANCE_2024
    for labels, digest in ((dump.labels, dump.labels_hash), (dump.dev_labels, dump.dev_labels_hash)):
        recorded = digest.read_text(encoding="utf-8").split()[0]
        assert hashlib.sha256(labels.read_bytes()).hexdigest() == recorded


def test_the_recorded_figures_are_of_the_labels_committed() -> None:
    dump = finance_2024.FINANCE_2024
    recorded = json.loads((finance_2024.HERE.parent / "tickers.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(dump.labels.read_bytes()).hexdigest()
    assert recorded["real_finance_2024"]["labels_sha256"] == digest
    assert recorded["real_finance_2024_first"]["labels_sha256"] == digest  # measured on the same frozen labels
    dev_digest = hashlib.sha256(dump.dev_labels.read_bytes()).hexdigest()
    assert recorded["real_finance_2024_dev"]["labels_sha256"] == dev_digest
    assert recorded["real_finance_2024"]["texts"] == sum(1 for _ in dump.ids.open(encoding="utf-8"))
    assert set(recorded["real_finance_2024"]["by_corpus"]) == {"investing", "stocks", "ValueInvesting"}
