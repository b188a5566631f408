"""Real dumps into the replay format: Pushshift-style NDJSON (zst and plain, any order, with
duplicates) and a CSV export become corpora the backtest and the local Reddit both read."""

import csv
import gzip
import io
import itertools
import json
import random
import time
from pathlib import Path
from typing import Any

import pytest
import zstandard

from common.detection import backtest
from devtools.replay.importer import NothingImported, import_dumps
from devtools.replay.importer import main as importer_main
from emulators.reddit.corpus import Corpus

T0 = 1_620_000_000  # 2021-05-03, in the development corpus's period


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def submission(i: int, **extra: object) -> dict[str, object]:
    return {
        "id": f"p{i}",
        "subreddit": "wallstreetbets",
        "author": f"user{i % 7}",
        "author_created_utc": T0 - 400 * 86400 - i,
        "title": f"GME to the moon {i}",
        "selftext": "long thesis about $GME and its float",
        "url": f"https://www.reddit.com/r/wallstreetbets/comments/p{i}/x/",
        "is_self": True,
        "permalink": f"/r/wallstreetbets/comments/p{i}/gme_to_the_moon/",
        "link_flair_text": "DD",
        "score": 3,
        "num_comments": 1,
        "created_utc": T0 + 60 * i,
        "retrieved_on": T0 + 60 * i + 30,
        **extra,
    }


def comment(i: int, post: int, **extra: object) -> dict[str, object]:
    return {
        "id": f"c{i}",
        "subreddit": "wallstreetbets",
        "author": "[deleted]" if i % 5 == 0 else f"user{i % 3}",
        "body": "[removed]" if i % 4 == 0 else "holding $AMC calls",
        "link_id": f"t3_p{post}",
        "parent_id": f"t3_p{post}",
        "score": 1,
        "created_utc": T0 + 60 * post + 5 + i,
        "retrieved_on": T0 + 60 * post + 40,
        **extra,
    }


def test_a_pushshift_dump_in_any_order_with_duplicates_becomes_a_sorted_corpus(tmp_path: Path) -> None:
    rows = [submission(i) for i in range(20)] + [comment(i, i % 20) for i in range(30)]
    rows.append(submission(3, title="edited later", score=77, retrieved_on=T0 + 10_000))  # its numbers win
    rows.append({"id": "p99", "subreddit": "stocks", "title": "other sub", "created_utc": T0})
    random.Random(4).shuffle(rows)
    plain = tmp_path / "RS_2021-05.ndjson"
    plain.write_text("".join(json.dumps(r) + "\n" for r in rows[:25]) + "not json\n")
    packed = tmp_path / "RC_2021-05.zst"
    packed.write_bytes(zstandard.ZstdCompressor().compress("".join(json.dumps(r) + "\n" for r in rows[25:]).encode()))

    out = tmp_path / "corpus"
    manifest = import_dumps([plain, packed], out, subreddits=frozenset({"wallstreetbets"}))

    assert (manifest["posts"], manifest["comments"]) == (20, 30)
    fidelity = manifest["fidelity"]
    assert fidelity["duplicates_dropped"] == 1 and fidelity["rows_read"] == 53  # the line of no JSON too
    assert fidelity["rows_skipped"]["other subreddit"] == 1 and sum(fidelity["rows_skipped"].values()) == 2
    assert fidelity["deleted_authors"] == 6 and fidelity["removed_or_deleted_bodies"] == 8
    items = read_jsonl(out / "items.jsonl.gz")
    assert [i["created_utc"] for i in items] == sorted(i["created_utc"] for i in items)
    edited = next(i for i in items if i["id"] == "t3_p3")
    assert (edited["title"], edited["score"]) == ("GME to the moon 3", 77)  # the text as first seen
    assert {i["author"] for i in items if i["kind"] == "comment"} >= {None}

    served = Corpus.load(out)  # the local Reddit reads it
    assert len(served.posts) == 20 and len(served.comments) == 30
    replayed = list(backtest.load(out).items())  # and so does the backtest
    assert len(replayed) == 50
    authors = {a["name"]: a for a in read_jsonl(out / "authors.jsonl.gz")}
    ages = [
        float(str(r["author_created_utc"])) for r in rows if r.get("author") == "user1" and "author_created_utc" in r
    ]
    assert authors["user1"]["created_utc"] == min(ages)  # the earliest recorded age of the account


def test_a_csv_export_with_stripped_columns_imports_and_says_what_it_lacked(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["postid", "title", "selftext", "author", "created_utc", "subreddit"])
        writer.writeheader()
        for i in range(5):
            writer.writerow(
                {"postid": f"q{i}", "title": f"AMC squeeze {i}", "selftext": "", "author": f"t2_a{i}",
                 "created_utc": str(T0 + i * 3600), "subreddit": "wallstreetbets"}
            )  # fmt: skip
    manifest = import_dumps([path], tmp_path / "csv")
    assert manifest["posts"] == 5 and manifest["comments"] == 0
    assert manifest["fidelity"]["fields_missing"]["author_created_utc"] == 5
    assert "5 accounts" in manifest["fidelity"]["assumed"]["account_created_utc"]
    assert len(list(backtest.load(tmp_path / "csv").items())) == 5


def _ndjson(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_rescrape_that_lost_a_posts_text_keeps_it_whatever_the_file_order(tmp_path: Path) -> None:
    """An early dump and a later re-scrape: the numbers are the later's, the text and author
    moderation removed since are the early one's (the posts a pump campaign leaves)."""
    early = _ndjson(tmp_path / "early.ndjson", [submission(1, score=2)])
    late = _ndjson(
        tmp_path / "late.ndjson",
        [submission(1, author="[deleted]", selftext="[removed]", score=40, retrieved_on=T0 + 90_000)],
    )
    outputs: list[list[dict[str, Any]]] = []
    for order in ([early, late], [late, early]):
        out = tmp_path / f"corpus-{len(outputs)}"
        manifest = import_dumps(order, out)
        outputs.append(read_jsonl(out / "items.jsonl.gz"))
        assert manifest["fidelity"]["duplicates_dropped"] == 1 and manifest["fidelity"]["accounts"] == 1
    assert outputs[0] == outputs[1]
    [post] = outputs[0]
    assert (post["author"], post["body"], post["score"]) == ("user1", "long thesis about $GME and its float", 40)


def test_copies_retrieved_at_the_same_time_merge_the_same_in_any_file_order(tmp_path: Path) -> None:
    header = "id,title,selftext,author,created_utc,subreddit\n"
    one = tmp_path / "one.csv"
    one.write_text(header + f"q1,AMC,first text,alice,{T0},wallstreetbets\n")
    two = tmp_path / "two.csv"
    two.write_text(header + f"q1,AMC,second text,alice,{T0},wallstreetbets\n")
    import_dumps([one, two], tmp_path / "a")
    import_dumps([two, one], tmp_path / "b")
    assert read_jsonl(tmp_path / "a" / "items.jsonl.gz") == read_jsonl(tmp_path / "b" / "items.jsonl.gz")


def test_an_old_dump_does_not_make_every_author_a_new_account(tmp_path: Path) -> None:
    old = 1_500_000_000  # 2017: no comment row of a dump carries its author's age
    rows = [{**comment(i, 0), "created_utc": old + i, "author": "bob"} for i in range(1, 4)]
    manifest = import_dumps([_ndjson(tmp_path / "RC_2017.ndjson", rows)], tmp_path / "old")
    [bob] = read_jsonl(tmp_path / "old" / "authors.jsonl.gz")
    assert bob["created_utc"] <= manifest["start"] - 365 * 86400  # older than any new-account window


def test_spreadsheet_exports_bad_times_and_orphan_comments_are_read_or_refused_by_name(tmp_path: Path) -> None:
    export = tmp_path / "excel.csv"  # Excel's "CSV UTF-8" starts with a byte-order mark
    export.write_bytes(
        b"\xef\xbb\xbfid,title,selftext,author,created_utc,subreddit,score\n"
        + f"q1,GME,text,alice,{T0},wallstreetbets,nan\n".encode()
        + f"q2,GME,text,alice,{T0 * 1000},wallstreetbets,1\n".encode()  # pandas' milliseconds
        + b"q4,GME,text,alice,12345,wallstreetbets,1\n"  # 1970: no Reddit item
    )
    orphans = tmp_path / "comments.csv"  # comments exported without their post's id
    orphans.write_text(f"id,body,link_id,author,created_utc,subreddit,score\nc1,$GME yes,,bob,{T0},wallstreetbets,3\n")
    filtered = _ndjson(tmp_path / "other.ndjson", [{**submission(5), "subreddit": "stocks"}])
    bodies = tmp_path / "posts.csv"  # posts exported with a body column and no title: posts still
    bodies.write_text(f"id,body,author,created_utc,subreddit,score\nq3,GME to the moon,carol,{T0},wallstreetbets,5\n")
    manifest = import_dumps(
        [export, orphans, filtered, bodies], tmp_path / "out", subreddits=frozenset({"wallstreetbets"})
    )
    items = {i["id"]: i for i in read_jsonl(tmp_path / "out" / "items.jsonl.gz")}
    assert sorted(items) == ["t3_q1", "t3_q2", "t3_q3"]
    post, other = items["t3_q1"], items["t3_q3"]
    assert (post["id"], post["kind"], post["score"]) == ("t3_q1", "post", 0)  # "nan" is no score
    assert (other["id"], other["kind"], other["body"]) == ("t3_q3", "post", "GME to the moon")
    assert items["t3_q2"]["created_utc"] == T0 and "created_utc: 1" in manifest["fidelity"]["assumed"]["milliseconds"]
    skipped = manifest["fidelity"]["rows_skipped"]
    assert skipped["time not in Reddit's years"] == 1
    assert skipped["comment without link_id (its post unknown)"] == 1  # not a post either
    assert manifest["fidelity"]["fields_missing"] == {"author_created_utc": 3, "num_comments": 3, "permalink": 3,
                                                      "score": 1, "url": 3, "stickied": 3, "title": 1}  # fmt: skip


def test_three_copies_fold_the_same_in_every_order(tmp_path: Path) -> None:
    """An edit retrieved second and a removal retrieved last: the text first seen survives (the
    edit came after the item's time, which the backtest replays it at), with the last copy's
    numbers, whatever order the files come in."""
    copies = [
        submission(1, selftext="v1", retrieved_on=T0 + 1_000),
        submission(1, selftext="v2 edited", retrieved_on=T0 + 2_000),
        submission(1, selftext="[removed]", author="[deleted]", score=9, retrieved_on=T0 + 3_000),
    ]
    seen = set()
    for n, order in enumerate(itertools.permutations(copies)):
        paths = [_ndjson(tmp_path / f"{n}-{i}.ndjson", [row]) for i, row in enumerate(order)]
        import_dumps(paths, tmp_path / f"out{n}")
        [post] = read_jsonl(tmp_path / f"out{n}" / "items.jsonl.gz")
        seen.add((post["body"], post["author"], post["score"]))
    assert seen == {("v1", "user1", 9)}


def test_a_warehouse_export_with_capital_headers_and_bare_post_ids_imports_posts_and_comments(tmp_path: Path) -> None:
    posts = tmp_path / "reddit_posts.csv"
    posts.write_text(
        "AUTHOR,TITLE,CREATED_UTC,ID,SCORE,BODY,SUBREDDIT,URL\n"
        f"alice,Thoughts on KO,{T0},abc1,12,Dividend looks safe to me,investing,"
        "https://www.reddit.com/r/investing/comments/abc1/thoughts_on_ko/\n"
    )
    comments = tmp_path / "reddit_comments.csv"
    comments.write_text(
        f"AUTHOR,CREATED_UTC,ID,PARENT_POST_ID,SCORE,BODY,SUBREDDIT\nbob,{T0 + 60},def2,abc1,3,Agreed,investing\n"
    )
    manifest = import_dumps([posts, comments], tmp_path / "out")
    post, reply = read_jsonl(tmp_path / "out" / "items.jsonl.gz")
    assert (post["id"], post["author"], post["subreddit"], post["score"]) == ("t3_abc1", "alice", "investing", 12)
    assert (reply["id"], reply["kind"], reply["link_id"]) == ("t1_def2", "comment", "t3_abc1")
    assert reply["parent_id"] == "t3_abc1"  # its post: the only parent the export names
    assert manifest["fidelity"]["rows_skipped"] == {} and manifest["fidelity"]["limits"] == []


KAGGLE_STYLE: list[list[object]] = [  # no author, no subreddit column, the comment count as comms_num
    ["title", "score", "id", "url", "comms_num", "created", "body", "timestamp"],
    # a text post: its own thread as its url
    ["NVDA earnings play", 5, "k1", "https://www.reddit.com/r/wallstreetbets/comments/k1/nvda/", 14, T0, "calls", ""],
    ["Chart of the day", 2, "k2", "https://i.example.com/chart.png", 0, T0 + 60, "", ""],  # a link post
    # a crosspost: its url is another subreddit's thread
    ["Seen elsewhere", 1, "k3", "https://www.reddit.com/r/stocks/comments/zz9/other/", 1, T0 + 120, "", ""],
]


def test_an_export_without_authors_or_subreddits_reads_its_links_and_says_what_the_detector_cannot_do(
    tmp_path: Path,
) -> None:
    export = tmp_path / "reddit_wsb.csv"
    with export.open("w", newline="") as f:
        csv.writer(f).writerows(KAGGLE_STYLE)
    manifest = import_dumps([export], tmp_path / "out")
    items = read_jsonl(tmp_path / "out" / "items.jsonl.gz")
    assert [i["subreddit"] for i in items] == ["wallstreetbets"] * 3  # one subreddit's export, not three
    text_post = items[0]
    assert (text_post["url"], text_post["permalink"], text_post["num_comments"]) == (
        None, "/r/wallstreetbets/comments/k1/", 14
    )  # fmt: skip
    assert items[1]["url"] == "https://i.example.com/chart.png" and items[2]["url"].endswith("/other/")
    fidelity = manifest["fidelity"]
    assert fidelity["fields_missing"]["author"] == 3 and "subreddit" not in fidelity["fields_missing"]
    assert fidelity["fields_missing"]["permalink"] == 2  # the text post's own url gave its permalink
    assert fidelity["deleted_authors"] == 0  # never given is not deleted
    assert fidelity["assumed"]["subreddit"] == "their own thread link: 1; their file's one subreddit: 2"
    assert len(fidelity["limits"]) == 1 and "no item names its author" in fidelity["limits"][0]


def test_an_export_of_several_subreddits_without_the_column_leaves_the_unlinked_unknown(tmp_path: Path) -> None:
    export = tmp_path / "mixed.csv"
    export.write_text(
        "id,title,author,created_utc,url\n"
        f"m1,AMD,ann,{T0},https://www.reddit.com/r/stocks/comments/m1/amd/\n"
        f"m2,AMD,ben,{T0 + 1},https://www.reddit.com/r/investing/comments/m2/amd/\n"
        f"m3,AMD,cat,{T0 + 2},https://example.com/amd-news\n"
    )
    manifest = import_dumps([export], tmp_path / "out")
    subreddits = [i["subreddit"] for i in read_jsonl(tmp_path / "out" / "items.jsonl.gz")]
    assert subreddits == ["stocks", "investing", "unknown"]
    fidelity = manifest["fidelity"]
    assert fidelity["fields_missing"]["subreddit"] == 1
    assert fidelity["assumed"]["subreddit"] == "their own thread link: 2"  # two subreddits: no file's one


def test_deleted_authors_count_only_what_reddit_deleted_and_most_unnamed_is_a_limit(tmp_path: Path) -> None:
    rows = [submission(1, author="[deleted]"), submission(2, author="  "), submission(3)]
    manifest = import_dumps([_ndjson(tmp_path / "RS.ndjson", rows)], tmp_path / "out")
    fidelity = manifest["fidelity"]
    assert fidelity["deleted_authors"] == 1 and fidelity["fields_missing"]["author"] == 1
    assert fidelity["limits"] == [
        "2 of 3 items name no author (deleted or never given): the detector counts only named authors, so "
        "author diversity reads lower and spikes more suspicious than they are"
    ]
    rows.append(submission(4))
    assert import_dumps([_ndjson(tmp_path / "RS.ndjson", rows)], tmp_path / "out2")["fidelity"]["limits"] == []


def test_an_import_that_reads_nothing_fails_by_name_and_writes_nothing(tmp_path: Path, capsys: Any) -> None:
    export = tmp_path / "wrong.csv"
    export.write_text("post,when\nq1,yesterday\n")
    out = tmp_path / "out"
    with pytest.raises(NothingImported, match="1 no id or time"):
        import_dumps([export], out)
    assert not out.exists()
    assert importer_main([str(out), str(export)]) == 1
    assert capsys.readouterr().err == "error: no item kept from ['wrong.csv'] (1 rows read; 1 no id or time)\n"


def test_a_copy_without_a_subreddit_or_counts_does_not_erase_another_copys(tmp_path: Path) -> None:
    """A CSV copy retrieved later (no subreddit, no comment count, no score) beside the dump's
    copy of the same post: the dump's subreddit, permalink and numbers stay."""
    dump = _ndjson(tmp_path / "RS.ndjson", [{**submission(1), "retrieved_on": None, "num_comments": 40}])
    export = tmp_path / "export.csv"
    export.write_text(f"id,title,created_utc,author,retrieved_on\np1,GME to the moon 1,{T0 + 60},user1,{T0 + 999}\n")
    for n, order in enumerate(([dump, export], [export, dump])):
        manifest = import_dumps(order, tmp_path / f"out{n}", subreddits=frozenset({"wallstreetbets"}))
        [post] = read_jsonl(tmp_path / f"out{n}" / "items.jsonl.gz")
        assert (post["subreddit"], post["num_comments"], post["score"]) == ("wallstreetbets", 40, 3)
        assert post["permalink"] == "/r/wallstreetbets/comments/p1/gme_to_the_moon/"
        assert manifest["fidelity"]["rows_skipped"] == {} and manifest["fidelity"]["duplicates_dropped"] == 1


def test_comments_exported_apart_take_their_posts_subreddit_and_bare_parents_their_kind(tmp_path: Path) -> None:
    posts = tmp_path / "posts.csv"
    posts.write_text(f"id,title,author,created_utc,permalink\nab1,AMD,ann,{T0},/r/WallStreetBets/comments/ab1/amd/\n")
    comments = tmp_path / "comments.csv"
    comments.write_text(
        "id,body,author,created_utc,link_id,parent_id\n"
        f"cd1,AMD calls,ben,{T0 + 5},ab1,ab1\n"
        f"cd2,same,cat,{T0 + 9},ab1,cd1\n"
        f"cd3,orphan thread,dan,{T0 + 9},zz9,zz9\n"
    )
    stocks = _ndjson(tmp_path / "RS.ndjson", [{**submission(7), "subreddit": "wallstreetbets"}])
    manifest = import_dumps([posts, comments, stocks], tmp_path / "out", subreddits=frozenset({"wallstreetbets"}))
    items = {i["id"]: i for i in read_jsonl(tmp_path / "out" / "items.jsonl.gz")}
    assert {i["subreddit"] for i in items.values()} == {"WallStreetBets"}  # one spelling: one subreddit
    assert items["t1_cd1"]["parent_id"] == "t3_ab1" and items["t1_cd2"]["parent_id"] == "t1_cd1"
    assert items["t1_cd2"]["permalink"] == "/r/WallStreetBets/comments/ab1/_/cd2/"
    fidelity = manifest["fidelity"]
    assert "t1_cd3" not in items and fidelity["rows_skipped"] == {"other subreddit, or none named": 1}
    assert fidelity["duplicates_dropped"] == 0  # what the filter dropped is no duplicate
    assert fidelity["assumed"]["subreddit"] == "their own thread link: 1; their post's (comments): 2"


def test_a_text_posts_own_url_beside_its_permalink_still_makes_it_a_text_post(tmp_path: Path) -> None:
    row = {**submission(3), "is_self": None, "url": "https://www.reddit.com/r/wallstreetbets/comments/p3/x/"}
    import_dumps([_ndjson(tmp_path / "RS.ndjson", [row])], tmp_path / "out")
    [post] = read_jsonl(tmp_path / "out" / "items.jsonl.gz")
    assert post["url"] is None


def test_compressed_csv_exports_read_like_plain_ones(tmp_path: Path) -> None:
    text = (
        "\ufeffID,TITLE,CREATED_UTC,AUTHOR,URL\n" + f"k1,NVDA,{T0},ann,https://www.reddit.com/r/stocks/comments/k1/n/\n"
    )
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(text.encode()))
    (tmp_path / "b.csv.zst").write_bytes(zstandard.ZstdCompressor().compress(text.replace("k1", "k2").encode()))
    import_dumps([tmp_path / "a.csv.gz", tmp_path / "b.csv.zst"], tmp_path / "out")
    items = read_jsonl(tmp_path / "out" / "items.jsonl.gz")
    assert [(i["id"], i["subreddit"], i["url"]) for i in items] == [
        ("t3_k1", "stocks", None),
        ("t3_k2", "stocks", None),
    ]


def test_a_subreddit_known_from_one_file_survives_a_later_copy_that_names_none(tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text(
        "id,title,created_utc,author,url\n"
        f"p8,AMD,{T0},ann,https://www.reddit.com/r/stocks/comments/p8/amd/\n"
        f"p9,Chart,{T0 + 1},ben,https://example.com/chart.png\n"  # its file's one subreddit: stocks
    )
    later = tmp_path / "later.csv"
    later.write_text(f"id,title,created_utc,author,retrieved_on\np9,Chart,{T0 + 1},ben,{T0 + 999}\n")
    import_dumps([first, later], tmp_path / "out")
    assert [i["subreddit"] for i in read_jsonl(tmp_path / "out" / "items.jsonl.gz")] == ["stocks", "stocks"]


def test_a_thinner_later_copy_keeps_the_url_parent_and_flags_another_copy_gave(tmp_path: Path) -> None:
    link_post = {**submission(5), "is_self": False, "url": "https://example.com/news", "stickied": True}
    reply = comment(1, 5, parent_id="t1_c0", author="ann", body="a reply")
    dump = _ndjson(tmp_path / "RS.ndjson", [link_post, reply])
    posts = tmp_path / "posts.csv"  # retrieved later; no url, flair, stickied or parent column
    posts.write_text(
        f"id,title,author,created_utc,subreddit,retrieved_on\np5,GME,user5,{T0 + 300},wallstreetbets,{T0 + 9e5}\n"
    )
    comments = tmp_path / "comments.csv"
    comments.write_text(f"id,body,author,created_utc,link_id,retrieved_on\nc1,a reply,ann,{T0 + 306},p5,{T0 + 9e5}\n")
    import_dumps([dump, posts, comments], tmp_path / "out")
    items = {i["id"]: i for i in read_jsonl(tmp_path / "out" / "items.jsonl.gz")}
    assert (items["t3_p5"]["url"], items["t3_p5"]["stickied"]) == ("https://example.com/news", True)
    assert items["t1_c1"]["parent_id"] == "t1_c0"
    assert not [key for item in items.values() for key in item if key.startswith("_")]  # nothing of the stage


def test_a_comment_takes_its_posts_subreddit_before_its_files_guess_and_counts_are_of_what_is_kept(
    tmp_path: Path,
) -> None:
    posts = _ndjson(tmp_path / "RS.ndjson", [{**submission(1), "subreddit": "investing"}, submission(2)])
    comments = tmp_path / "comments.csv"  # the file's only named subreddit is stocks
    comments.write_text(
        "id,body,author,created_utc,link_id,permalink\n"
        f"c1,named,ann,{T0 + 100},t3_zz,/r/stocks/comments/zz/_/c1/\n"
        f"c2,in investing,ben,{T0 + 101},t3_p1,\n"
        f"c3,unplaced,cat,{T0 + 102},t3_yy,\n"
    )
    manifest = import_dumps([posts, comments], tmp_path / "out", subreddits=frozenset({"investing"}))
    items = {i["id"]: i for i in read_jsonl(tmp_path / "out" / "items.jsonl.gz")}
    assert set(items) == {"t3_p1", "t1_c2"} and items["t1_c2"]["subreddit"] == "investing"
    assert items["t1_c2"]["permalink"] == "/r/investing/comments/p1/_/c2/"
    fidelity = manifest["fidelity"]
    assert fidelity["assumed"]["subreddit"] == "their post's (comments): 1"  # c3, named by its file, was dropped
    assert fidelity["fields_missing"]["permalink"] == 1 and "subreddit" not in fidelity["fields_missing"]
    assert fidelity["rows_skipped"] == {"other subreddit": 2, "other subreddit, or none named": 1}


def test_one_spelling_per_subreddit_whatever_the_input_order_and_a_real_r_unknown_stays(tmp_path: Path) -> None:
    a = _ndjson(tmp_path / "a.ndjson", [{**submission(1), "subreddit": "WallStreetBets"}])
    b = _ndjson(tmp_path / "b.ndjson", [submission(2), submission(3)])
    odd = tmp_path / "odd.csv"
    odd.write_text(f"id,title,author,created_utc,permalink\nu1,x,ann,{T0},/r/unknown/comments/u1/x/\n")
    seen = []
    for n, order in enumerate(([a, b, odd], [odd, b, a])):
        import_dumps(order, tmp_path / f"out{n}")
        seen.append(sorted((i["id"], i["subreddit"]) for i in read_jsonl(tmp_path / f"out{n}" / "items.jsonl.gz")))
    bare = tmp_path / "bare.csv"  # names no subreddit at all: not r/unknown's
    bare.write_text(f"id,title,author,created_utc\nb1,x,bob,{T0}\n")
    import_dumps([a, odd, bare], tmp_path / "only", subreddits=frozenset({"unknown"}))
    assert [i["id"] for i in read_jsonl(tmp_path / "only" / "items.jsonl.gz")] == ["t3_u1"]
    assert seen[0] == seen[1] == [
        ("t3_p1", "wallstreetbets"), ("t3_p2", "wallstreetbets"), ("t3_p3", "wallstreetbets"), ("t3_u1", "unknown")
    ]  # fmt: skip


def test_a_subreddit_a_link_named_stays_named_by_it_when_a_later_copy_names_none(tmp_path: Path) -> None:
    early = tmp_path / "early.csv"
    early.write_text(f"id,title,author,created_utc,url\nk1,x,ann,{T0},https://www.reddit.com/r/stocks/comments/k1/x/\n")
    later = tmp_path / "later.csv"
    later.write_text(f"id,title,author,created_utc,retrieved_on\nk1,x,ann,{T0},{T0 + 999}\n")
    manifest = import_dumps([early, later], tmp_path / "out")
    assert manifest["fidelity"]["assumed"]["subreddit"] == "their own thread link: 1"


def test_a_guess_never_places_an_item_a_real_copy_placed_elsewhere(tmp_path: Path) -> None:
    """With --subreddit, a copy naming r/stocks is skipped; the export's copy of the same post
    names none, in a file of r/investing: the post is not r/investing's."""
    real = _ndjson(tmp_path / "RS.ndjson", [{**submission(9), "subreddit": "stocks"}])
    export = tmp_path / "investing.csv"
    export.write_text(
        "id,title,author,created_utc,url\n"
        f"p9,GME,user9,{T0},https://example.com/x\n"
        f"k1,AMD,ann,{T0},https://www.reddit.com/r/investing/comments/k1/a/\n"
    )
    for n, order in enumerate(([real, export], [export, real])):
        manifest = import_dumps(order, tmp_path / f"out{n}", subreddits=frozenset({"investing"}))
        assert [i["id"] for i in read_jsonl(tmp_path / f"out{n}" / "items.jsonl.gz")] == ["t3_k1"]
        skipped = {"other subreddit": 1, "other subreddit, or none named": 1}  # the row, then its item
        assert manifest["fidelity"]["rows_skipped"] == skipped


def test_a_permalink_made_for_no_subreddit_follows_the_subreddit_another_copy_gave(tmp_path: Path) -> None:
    named = tmp_path / "named.csv"
    named.write_text(f"id,title,author,created_utc,subreddit\nx1,x,ann,{T0},stocks\n")
    bare = tmp_path / "bare.csv"
    bare.write_text(f"id,title,author,created_utc,retrieved_on\nx1,x,ann,{T0},{T0 + 999}\n")
    for n, order in enumerate(([named, bare], [bare, named])):
        import_dumps(order, tmp_path / f"out{n}")
        [post] = read_jsonl(tmp_path / f"out{n}" / "items.jsonl.gz")
        assert (post["subreddit"], post["permalink"]) == ("stocks", "/r/stocks/comments/x1/")


def test_files_that_disagree_name_nothing_whatever_their_order(tmp_path: Path) -> None:
    def export(name: str, subreddit: str) -> Path:
        path = tmp_path / f"{name}.csv"
        path.write_text(
            "id,title,author,created_utc,url\n"
            f"z1,x,ann,{T0},https://example.com/x\n"
            f"{name}1,y,bob,{T0},https://www.reddit.com/r/{subreddit}/comments/{name}1/y/\n"
        )
        return path

    one, two = export("a", "stocks"), export("b", "investing")
    for n, order in enumerate(([one, two], [two, one])):
        import_dumps(order, tmp_path / f"out{n}")
        items = {i["id"]: i["subreddit"] for i in read_jsonl(tmp_path / f"out{n}" / "items.jsonl.gz")}
        assert items["t3_z1"] == "unknown"


def test_a_nan_score_never_erases_a_real_one(tmp_path: Path) -> None:
    real = _ndjson(tmp_path / "RS.ndjson", [{**submission(4), "score": 77}])
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        f"id,title,author,created_utc,subreddit,score,retrieved_on\np4,x,user4,{T0},wallstreetbets,nan,{T0 + 9e5}\n"
    )
    import_dumps([real, sheet], tmp_path / "out")
    assert read_jsonl(tmp_path / "out" / "items.jsonl.gz")[0]["score"] == 77


def test_the_command_line_writes_the_corpus_and_refuses_a_bad_day(tmp_path: Path, capsys: Any) -> None:
    rows = [submission(1), {**submission(2), "created_utc": T0 + 5 * 86400}]
    dump = _ndjson(tmp_path / "RS.ndjson", rows)
    assert importer_main([str(tmp_path / "out"), str(dump), "--until", "2021-05-05"]) == 0
    assert json.loads(capsys.readouterr().out)["items"] == 1
    with pytest.raises(SystemExit):
        importer_main([str(tmp_path / "out2"), str(dump), "--since", "May 1st"])
    assert "not a day (YYYY-MM-DD): 'May 1st'" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # a zone would move the day: not taken as UTC's
        importer_main([str(tmp_path / "out2"), str(dump), "--since", "2021-05-01T00:00+05:00"])
    assert "not a day" in capsys.readouterr().err
    # the subreddit as Reddit links it; a work directory not there yet is made
    kept = [str(tmp_path / "out3"), str(dump), "--subreddit", "r/WallStreetBets/", "--work-dir", str(tmp_path / "w/x")]
    assert importer_main(kept) == 0
    assert json.loads(capsys.readouterr().out)["items"] == 2


def test_ids_and_texts_of_no_shape_reddit_writes_are_not_made_into_items(tmp_path: Path) -> None:
    rows = [
        {**submission(1), "id": True},
        {**submission(2), "id": "t1_"},
        {**submission(3), "id": "P3", "author": ["x"], "title": {"a": 1}},
        submission(3),  # the same post as P3: Reddit's ids are lower case
        {"id": "c1", "link_id": 5, "body": "GME", "author": "bob", "created_utc": T0},  # no thread it names
        {"id": "c2", "link_id": "t3_p3", "parent_id": "T1_ABC", "body": "GME", "author": "bob", "created_utc": T0},
        {"id": "c3", "link_id": "t3_p3", "parent_id": 5, "body": "GME", "author": "bob", "created_utc": T0},
    ]
    manifest = import_dumps([_ndjson(tmp_path / "RS.ndjson", rows)], tmp_path / "out")
    post, *comments = sorted(read_jsonl(tmp_path / "out" / "items.jsonl.gz"), key=lambda i: i["id"], reverse=True)
    assert post["id"] == "t3_p3" and post["author"] == "user3" and post["title"] == "GME to the moon 3"
    assert [(c["id"], c["parent_id"]) for c in comments] == [("t1_c3", "t3_p3"), ("t1_c2", "t1_abc")]
    assert manifest["fidelity"]["duplicates_dropped"] == 1
    skipped = manifest["fidelity"]["rows_skipped"]
    assert skipped["an id that is not Reddit's (base 36)"] == 2
    assert skipped["comment without link_id (its post unknown)"] == 1


def test_a_comment_follows_its_post_once_the_posts_file_named_it(tmp_path: Path) -> None:
    posts = tmp_path / "posts.csv"
    posts.write_text(
        "id,title,author,created_utc,url\n"
        f"k1,AMD,ann,{T0},https://www.reddit.com/r/stocks/comments/k1/a/\n"
        f"k2,chart,bob,{T0 + 1},https://example.com/chart.png\n"
    )
    comments = tmp_path / "comments.csv"
    comments.write_text(f"id,body,author,created_utc,link_id\nc1,nice chart,cat,{T0 + 2},k2\n")
    import_dumps([posts, comments], tmp_path / "out")
    items = {i["id"]: i["subreddit"] for i in read_jsonl(tmp_path / "out" / "items.jsonl.gz")}
    assert items == {"t3_k1": "stocks", "t3_k2": "stocks", "t1_c1": "stocks"}


def test_one_spelling_for_a_real_r_unknown_leaves_what_nothing_named_as_written(tmp_path: Path) -> None:
    rows = [{**submission(i), "subreddit": name} for i, name in ((1, "Unknown"), (2, "Unknown"), (3, "unknown"))]
    bare = tmp_path / "bare.csv"
    bare.write_text(f"id,title,author,created_utc\nb1,x,bob,{T0}\n")
    import_dumps([_ndjson(tmp_path / "RS.ndjson", rows), bare], tmp_path / "out")
    items = {i["id"]: i["subreddit"] for i in read_jsonl(tmp_path / "out" / "items.jsonl.gz")}
    assert items == {"t3_p1": "Unknown", "t3_p2": "Unknown", "t3_p3": "Unknown", "t3_b1": "unknown"}


def test_a_csv_of_posts_and_comments_together_tells_them_apart_by_what_is_filled_in(tmp_path: Path) -> None:
    both = tmp_path / "export.csv"  # every row has every column: a comment's title is empty
    both.write_text(
        "id,title,body,author,created_utc,subreddit,link_id,parent_id\n"
        f"pa,GME DD,thesis,ann,{T0},r/stocks,,\n"
        f"ca,,agreed on $GME,ben,{T0 + 60},r/stocks,t3_pa,t3_pa\n"
        f"cb,,and AMC,cat,{T0 + 90},/r/stocks/,,t3_pa\n"  # no link_id: its t3_ parent names the post
    )
    praw = tmp_path / "praw_comments.csv"  # PRAW's names for a comment's post and text
    praw.write_text(f"id,submission_id,text,author,created_utc,subreddit\ncc,pa,holding NOK,dan,{T0 + 99},stocks\n")
    manifest = import_dumps([both, praw], tmp_path / "out", subreddits=frozenset({"stocks"}))
    items = {i["id"]: i for i in read_jsonl(tmp_path / "out" / "items.jsonl.gz")}
    assert {k: (v["kind"], v["subreddit"]) for k, v in items.items()} == {
        "t3_pa": ("post", "stocks"), "t1_ca": ("comment", "stocks"), "t1_cb": ("comment", "stocks"),
        "t1_cc": ("comment", "stocks"),
    }  # fmt: skip
    assert items["t1_cc"]["body"] == "holding NOK" and items["t1_cb"]["link_id"] == "t3_pa"
    assert items["t1_ca"]["permalink"] == "/r/stocks/comments/pa/_/ca/"  # not /r/r/stocks/
    assert (manifest["posts"], manifest["comments"]) == (1, 3)
    assert "a thread named" in manifest["fidelity"]["assumed"]["kind"]


def test_every_spelling_of_a_removal_is_one_and_a_rescrapes_marker_never_replaces_the_title(tmp_path: Path) -> None:
    early = _ndjson(tmp_path / "early.ndjson", [submission(1, retrieved_on=T0 + 10)])
    later = _ndjson(
        tmp_path / "later.ndjson",
        [
            submission(1, title="[deleted by user]", selftext="[deleted]", author="[deleted]", retrieved_on=T0 + 9e4),
            {**comment(7, 1), "body": "[ Removed by Reddit ]"},
            {**comment(8, 1), "body": "[removed by moderator]"},
        ],
    )
    manifest = import_dumps([later, early], tmp_path / "out")
    items = {i["id"]: i for i in read_jsonl(tmp_path / "out" / "items.jsonl.gz")}
    assert items["t3_p1"]["title"] == "GME to the moon 1" and items["t3_p1"]["author"] == "user1"
    assert items["t1_c7"]["body"] == items["t1_c8"]["body"] == "[removed]"
    assert manifest["fidelity"]["removed_or_deleted_bodies"] == 2


def test_copies_with_no_order_between_them_and_different_text_are_counted(tmp_path: Path) -> None:
    one = tmp_path / "one.csv"
    one.write_text(f"id,title,body,author,created_utc,subreddit,permalink\nq1,GME,first,ann,{T0},stocks,"
                   "https://www.reddit.com/r/stocks/comments/q1/gme/\n")  # fmt: skip
    two = tmp_path / "two.csv"
    two.write_text(f"id,title,body,author,created_utc,subreddit\nq1,GME,second,ann,{T0},stocks\n")
    manifest = import_dumps([one, two], tmp_path / "out")
    [post] = read_jsonl(tmp_path / "out" / "items.jsonl.gz")
    assert post["permalink"] == "/r/stocks/comments/q1/gme/"  # a path, as Reddit's own permalinks are
    assert manifest["fidelity"]["text_conflicts"] == 1 and manifest["fidelity"]["duplicates_dropped"] == 1


def test_a_csv_row_that_does_not_parse_is_named_not_read_as_the_rest_of_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    lines = [f'q{i},"GME {i},ann,{T0 + i},stocks' if i == 2 else f"q{i},GME {i},ann,{T0 + i},stocks" for i in range(5)]
    broken.write_text("id,title,author,created_utc,subreddit\n" + "\n".join(lines) + "\n")
    manifest = import_dumps([broken], tmp_path / "out")
    assert manifest["items"] == 2  # the two before it; the quote swallowed the rest
    [(why, count)] = [(k, v) for k, v in manifest["fidelity"]["rows_skipped"].items() if k.startswith("not CSV")]
    assert "broken.csv: the row after line 3:" in why and count == 1  # its quote opened on line 4
    # the two rows its quote took in are said lost, not hidden inside that one skipped row
    assert manifest["fidelity"]["rows_skipped"]["lines a malformed CSV row took in, lost (broken.csv)"] == 2
    # blank lines (a row's "\r\r\n" ending read with newline="") are no rows lost
    spaced = tmp_path / "spaced.csv"
    spaced.write_text("id,title,author,created_utc,subreddit\n\n" + "\n\n".join(lines) + "\n")
    skipped = import_dumps([spaced], tmp_path / "spaced")["fidelity"]["rows_skipped"]
    assert skipped["lines a malformed CSV row took in, lost (spaced.csv)"] == 2
    # past a megabyte of text the quote is given up: the rows after it are read, and memory
    # never holds the rest of a large file
    from devtools.replay.sources import CSV_FIELD_MAX

    filler = "x" * 1000
    rows = [f"f{i},{filler} {i},ann,{T0 + i},stocks" for i in range(CSV_FIELD_MAX // 1000 + 50)]
    long = tmp_path / "long.csv"
    long.write_text("id,title,author,created_utc,subreddit\n" + lines[2] + "\n" + "\n".join(rows) + "\n")
    kept = import_dumps([long], tmp_path / "long")["items"]
    assert 0 < kept < len(rows) and len(rows) - kept < 1100
    header = tmp_path / "header.csv"
    header.write_text('id,"title"x,body\nq1,GME,text\n')
    with pytest.raises(NothingImported, match="its header"):  # said, not a traceback
        import_dumps([header], tmp_path / "none")


def test_a_json_file_that_is_one_array_is_refused_unread(tmp_path: Path) -> None:
    download = tmp_path / "api.json"
    download.write_text("\n  " + json.dumps([submission(i) for i in range(3)]))
    kept = _ndjson(tmp_path / "RS.ndjson", [submission(9)])
    (tmp_path / "api.json.zst").write_bytes(zstandard.ZstdCompressor().compress(download.read_bytes()))
    for path in (download, tmp_path / "api.json.gz", tmp_path / "api.json.zst"):
        if path.suffix == ".gz":
            with gzip.open(path, "wt") as f:
                f.write(download.read_text())
        manifest = import_dumps([path, kept], tmp_path / f"out-{path.suffix}")
        assert manifest["items"] == 1
        assert any("one JSON array" in why for why in manifest["fidelity"]["rows_skipped"])


def test_a_line_longer_than_any_item_is_passed_over_unkept_and_counted(tmp_path: Path) -> None:
    """A document saved whole on one line (thousands of items in "data") is not read into
    memory as one line: it is skipped by name, and the lines around it are read."""
    from devtools.replay.sources import LINE_MAX, LONG_LINE, _bounded_lines

    whole = json.dumps({"data": [submission(i) for i in range(LINE_MAX // 300)]})
    assert len(whole) > LINE_MAX
    dump = tmp_path / "RS.ndjson"
    dump.write_text("\n".join([json.dumps(submission(1)), whole, json.dumps(submission(2))]) + "\n")
    manifest = import_dumps([dump], tmp_path / "out")
    assert manifest["items"] == 2
    assert [why for why in manifest["fidelity"]["rows_skipped"] if LONG_LINE in why] == [f"{LONG_LINE} (RS.ndjson:2)"]
    # at the limit exactly a line is read, past it passed over whatever ends it
    lines = ["abcd\n", "abcde\n", "ab\r", "abc\r\n", "x" * 12 + "\n", "abcd"]
    got = list(_bounded_lines(io.StringIO("".join(lines), newline=""), limit=4))
    assert got == ["abcd\n", None, "ab\r", "abc\r\n", None, "abcd"]
    # a "\r\n" the size cuts after its "\r" stays one line end, not a blank line more
    lines = ["abcd\r\n", "ef\n", "abcd\r", "gh\n", "x" * 9 + "\r\n", "ij\n", "x" * 7 + "\r", "k"]
    got = list(_bounded_lines(io.StringIO("".join(lines), newline=""), limit=4))
    assert got == ["abcd\r\n", "ef\n", "abcd\r", "gh\n", None, "ij\n", None, "k"]
    # a blank line of a file ending its lines in "\r" alone stays a line of its own
    got = list(_bounded_lines(io.StringIO("ab\r\rcd\r\r\nef", newline=""), limit=4))
    assert got == ["ab\r", "\r", "cd\r", "\r\n", "ef"]
    # nor is a CSV of no line breaks read whole
    export = tmp_path / "posts.csv"
    wide = ",".join(["x" * 1000] * (LINE_MAX // 1000 + 1))
    export.write_text(f"id,title,author,created_utc,subreddit\n{wide}\nq1,GME,ann,{T0},stocks\n")
    manifest = import_dumps([export], tmp_path / "csv")
    assert manifest["items"] == 1 and manifest["fidelity"]["rows_skipped"] == {f"{LONG_LINE} (posts.csv:2)": 1}


def test_a_filtered_import_remembers_nothing_of_the_subreddits_it_skips(tmp_path: Path) -> None:
    from collections import Counter

    from devtools.replay.importer import Report, _stage
    from devtools.replay.stage import Stage

    rows = [{**submission(i), "subreddit": f"other{i}"} for i in range(50)] + [submission(99)]
    dump = _ndjson(tmp_path / "RS.ndjson", rows)
    report, stage = Report(), Stage(tmp_path / "stage.sqlite")
    _stage([dump], stage, report, subreddits=frozenset({"wallstreetbets"}), since=None, until=None)
    assert stage.spelled_names() == {"wallstreetbets"} and report.skipped == Counter({"other subreddit": 50})
    assert stage.db.execute("SELECT COUNT(*) FROM elsewhere").fetchone() == (0,)
    stage.close()


def test_an_import_into_a_generated_corpus_directory_drops_its_labels(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "labels.json").write_text('{"scenarios": []}')
    import_dumps([_ndjson(tmp_path / "RS.ndjson", [submission(1)])], out)
    assert not (out / "labels.json").exists()


def test_an_undated_rescrape_never_replaces_the_text_a_dated_copy_first_saw(tmp_path: Path) -> None:
    dated = _ndjson(tmp_path / "RS.ndjson", [submission(1, selftext="first words", retrieved_on=T0 + 60)])
    undated = tmp_path / "export.csv"  # no retrieval time: when it was read is unknown
    undated.write_text(
        f"id,title,selftext,author,created_utc,subreddit\np1,GME to the moon 1,edited,user1,{T0},wallstreetbets\n"
    )
    removed = _ndjson(tmp_path / "later.ndjson", [submission(1, selftext="[removed]", retrieved_on=T0 + 10)])
    manifest = import_dumps([undated, removed, dated], tmp_path / "out")
    [post] = read_jsonl(tmp_path / "out" / "items.jsonl.gz")
    assert post["body"] == "first words"  # the first dated copy that still had it
    assert manifest["fidelity"]["text_conflicts"] == 1  # the undated edit differs, and may have come first


def test_a_row_the_pipeline_would_not_read_is_skipped_by_name_and_a_profiles_hyphen_is_read(tmp_path: Path) -> None:
    """What fetch refuses (an id no document can hold), the backtest must not stop on: the
    importer skips it and says why; a user profile's subreddit (u_some-user) is a name."""
    export = tmp_path / "posts.csv"
    export.write_text(
        "id,title,selftext,author,created_utc,subreddit\n"
        f"q1,GME,text,alice,{T0},u_some-user\n"
        f"a/b,GME,text,alice,{T0 + 1},u_some-user\n"
    )
    manifest = import_dumps([export], tmp_path / "out")
    [post] = read_jsonl(tmp_path / "out" / "items.jsonl.gz")
    assert (post["id"], post["subreddit"]) == ("t3_q1", "u_some-user")
    assert manifest["fidelity"]["rows_skipped"] == {"an id that is not Reddit's (base 36)": 1}


def test_the_stage_is_read_in_its_orders_without_a_sort_outside_its_file(tmp_path: Path) -> None:
    """A sort at read time spills to the system's temporary directory, not the work
    directory the stage was put in for its size: both reads walk an index instead."""
    from devtools.replay.stage import Stage

    stage = Stage(tmp_path / "stage.sqlite")
    for query in (
        "SELECT id, retrieved, file, row FROM copies ORDER BY id",
        "SELECT row FROM items ORDER BY created, id",
    ):
        plan = " ".join(str(row[-1]) for row in stage.db.execute(f"EXPLAIN QUERY PLAN {query}"))
        assert "TEMP B-TREE" not in plan, (query, plan)
    stage.close()


def test_a_lone_surrogate_is_mended_and_an_age_in_milliseconds_read_as_such(tmp_path: Path) -> None:
    """A dump's "\\ud83d" (half an emoji) no file can store, and an account's creation time in
    milliseconds: the import goes on, each read as the pipeline reads it."""
    path = tmp_path / "RS.ndjson"
    rows = [submission(1, author="ms", author_created_utc=1_500_000_000_000), submission(2, author="odd")]
    text = "".join(json.dumps(r) + "\n" for r in rows).replace("GME to the moon 1", "GME \\ud83d moon")
    path.write_text(text.replace('"odd"', '"odd\\udc00"'))  # a corrupt dump's name too
    import_dumps([path], tmp_path / "out")
    [title] = [i["title"] for i in read_jsonl(tmp_path / "out" / "items.jsonl.gz") if i["id"] == "t3_p1"]
    assert title.startswith("GME ") and title.endswith(" moon") and title.isprintable()
    ages = {a["name"]: a["created_utc"] for a in read_jsonl(tmp_path / "out" / "authors.jsonl.gz")}
    assert ages["ms"] == 1_500_000_000  # 2017, not the year 49,500


def test_bytes_that_are_not_utf8_are_read_as_replacement_characters_and_counted_by_file(tmp_path: Path) -> None:
    latin, clean = tmp_path / "RS_latin.ndjson", tmp_path / "RS_clean.ndjson"
    latin.write_bytes(
        json.dumps(submission(1, title="GME caf\u00e9 to the moon"), ensure_ascii=False).encode("latin-1") + b"\n"
    )
    clean.write_text(json.dumps(submission(2)) + "\n")
    manifest = import_dumps([latin, clean], tmp_path / "out")
    assert manifest["fidelity"]["assumed"]["not_utf8"].startswith("RS_latin.ndjson: 1 (")
    [title] = [i["title"] for i in read_jsonl(tmp_path / "out" / "items.jsonl.gz") if i["id"] == "t3_p1"]
    assert "caf\ufffd " in title
    again = import_dumps([clean], tmp_path / "again")
    assert "not_utf8" not in again["fidelity"]["assumed"]


def test_an_import_that_fails_while_writing_leaves_no_corpus_whose_files_disagree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    import_dumps([_ndjson(tmp_path / "a.ndjson", [submission(i) for i in range(5)])], out)
    before = {name: (out / name).read_bytes() for name in ("items.jsonl.gz", "authors.jsonl.gz", "manifest.json")}
    from devtools.replay import stage

    def full(self: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stage.Stage, "accounts", full)
    with pytest.raises(OSError, match="No space"):
        import_dumps([_ndjson(tmp_path / "b.ndjson", [submission(i) for i in range(9)])], out)
    assert {name: (out / name).read_bytes() for name in before} == before  # the old corpus, whole
    assert backtest.load(out).manifest["items"] == 5


def test_a_dump_cut_short_or_corrupt_is_read_up_to_the_damage_and_said_so_and_the_others_still_read(
    tmp_path: Path, capsys: Any
) -> None:
    rows = "".join(json.dumps(submission(i)) + "\n" for i in range(1, 2001)).encode()
    packed = zstandard.ZstdCompressor().compress(rows)
    (tmp_path / "RS_cut.zst").write_bytes(packed[: len(packed) // 2])  # a partial download
    corrupt = bytearray(zstandard.ZstdCompressor(write_checksum=True).compress(rows))
    corrupt[len(corrupt) // 2 : len(corrupt) // 2 + 64] = bytes(64)
    (tmp_path / "RS_bad.zst").write_bytes(bytes(corrupt))
    (tmp_path / "RS_cut.gz").write_bytes(gzip.compress(rows)[:-200])
    (tmp_path / "RS_empty.zst").write_bytes(b"")  # a download that failed at once
    kept = _ndjson(tmp_path / "RS_good.ndjson", [submission(9001)])
    for name in ("RS_cut.zst", "RS_bad.zst", "RS_cut.gz", "RS_empty.zst"):
        out = tmp_path / f"out-{name}"
        assert importer_main([str(out), str(tmp_path / name), str(kept)]) == 0
        printed = capsys.readouterr()
        manifest = json.loads(printed.out)
        said = [why for why in manifest["fidelity"]["rows_skipped"] if why.startswith("cut short or corrupt")]
        assert len(said) == 1 and name in said[0], (name, manifest["fidelity"]["rows_skipped"])
        if "cut" in name:  # what the file held before its end, and the good file's item
            assert 1 < manifest["items"] < 2001
        assert f"warning: cut short or corrupt ({name}" in printed.err
    with pytest.raises(FileNotFoundError):  # a mistyped input is no damage to read past
        import_dumps([tmp_path / "RS_2021-0l.zst", kept], tmp_path / "out-typo")


def test_one_line_past_the_parsers_limits_is_not_json_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "RS.ndjson"
    path.write_text(
        '{"id": "zz", "score": ' + "1" * 5000 + "}\n" + "[" * 100_000 + "\n" + json.dumps(submission(1)) + "\n"
    )
    manifest = import_dumps([path], tmp_path / "out")
    assert manifest["items"] == 1
    assert sum(n for why, n in manifest["fidelity"]["rows_skipped"].items() if why.startswith("not JSON")) == 2


def test_a_retrieval_time_in_milliseconds_does_not_make_an_older_copy_the_latest(tmp_path: Path) -> None:
    later = submission(1, score=5, retrieved_on=T0 + 2_000)
    earlier_in_ms = submission(1, score=9, retrieved_on=(T0 + 1_000) * 1000)
    for order in ((later, earlier_in_ms), (earlier_in_ms, later)):
        out = tmp_path / f"out-{order[0]['score']}"
        import_dumps([_ndjson(tmp_path / f"RS-{order[0]['score']}.ndjson", list(order))], out)
        [item] = read_jsonl(out / "items.jsonl.gz")
        assert item["score"] == 5


def test_an_empty_compressed_file_is_said_to_be_cut_short(tmp_path: Path) -> None:
    (tmp_path / "RS_empty.gz").write_bytes(b"")
    kept = _ndjson(tmp_path / "RS_good.ndjson", [submission(9001)])
    manifest = import_dumps([tmp_path / "RS_empty.gz", kept], tmp_path / "out")
    assert any(why.startswith("cut short or corrupt (RS_empty.gz") for why in manifest["fidelity"]["rows_skipped"])


def test_reddit_api_lines_are_read_and_a_document_wrapping_its_items_is_refused_by_name(
    tmp_path: Path, capsys: Any
) -> None:
    """A line of Reddit's own API wraps its item in a "thing" (kind, data); a saved API answer
    wraps them all in one document, which was counted as one row without an id while all its
    items were lost unsaid."""
    things = _ndjson(tmp_path / "things.ndjson", [{"kind": "t3", "data": submission(i)} for i in range(3)])
    saved = tmp_path / "answer.json"
    saved.write_text(json.dumps({"data": [submission(i) for i in range(10, 40)], "metadata": {}}) + "\n")
    pages = _ndjson(  # a page of Reddit's listing a line, and a "more" stub
        tmp_path / "pages.ndjson",
        [
            {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": submission(50)}, {"kind": "more"}]}},
            {"kind": "more", "data": {"children": ["x1"]}},
            {"kind": ["t3"], "data": submission(51)},  # a kind of no shape Reddit writes: a row without an id
        ],
    )
    manifest = import_dumps([things, saved, pages], tmp_path / "out")
    assert manifest["items"] == 4
    skipped = manifest["fidelity"]["rows_skipped"]
    assert [why for why in skipped if "wrapping its items" in why] == [
        "a JSON document wrapping its items in data, not one object a line (answer.json:1; its items unread)"
    ]
    assert skipped["not an item (a 'more' of Reddit's API)"] == 1
    assert skipped["not an item (a listing's child that is no post or comment)"] == 1
    assert importer_main([str(tmp_path / "cli"), str(saved), str(things)]) == 0
    assert "answer.json" in capsys.readouterr().err  # warned, not only written down


def test_a_semicolon_separated_export_reads_like_a_comma_one(tmp_path: Path) -> None:
    """A spreadsheet in a locale whose decimal mark is the comma saves "CSV" with semicolons:
    every row was one column, skipped as "no id or time"."""
    path = tmp_path / "export.csv"
    rows = [f"q{i};AMC squeeze {i};ann;{T0 + i * 3600};wallstreetbets" for i in range(4)]
    path.write_text("id;title;author;created_utc;subreddit\n" + "\n".join(rows) + "\n", encoding="utf-8-sig")
    assert import_dumps([path], tmp_path / "out")["posts"] == 4


def test_where_a_bad_line_is_stays_said_in_an_import_that_filters_subreddits(tmp_path: Path) -> None:
    """The file and line of the first few bad lines were said only while fewer than five rows of
    any kind were skipped: a filtered import skips other subreddits by the thousand."""
    rows = [submission(i, subreddit="stocks") for i in range(20)] + [submission(30)]
    path = tmp_path / "mixed.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{not json\n")
    manifest = import_dumps([path], tmp_path / "out", subreddits=frozenset({"wallstreetbets"}))
    assert manifest["fidelity"]["rows_skipped"]["not JSON (mixed.ndjson:22)"] == 1


def test_a_hand_made_corpus_with_a_byte_order_mark_loads_and_a_bad_line_is_named_by_file_and_line(
    tmp_path: Path,
) -> None:
    """An editor's byte-order mark failed the load; a line that is not JSON failed it with
    the parser's "line 1" (of the line), not the file's."""
    out = tmp_path / "corpus"
    import_dumps([_ndjson(tmp_path / "RS.ndjson", [submission(i) for i in range(3)])], out)
    rows = read_jsonl(out / "items.jsonl.gz")
    (out / "items.jsonl.gz").unlink()
    (out / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8-sig")
    assert len(list(backtest.load(out).items())) == 3
    assert Corpus.load(out).size == 3  # the local Reddit reads it too
    (out / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [rows[0], rows[0], rows[1]]))
    assert [i.id for i in backtest.load(out).items()] == [rows[0]["id"], rows[1]["id"]]  # a repeat read once
    (out / "items.jsonl").write_text(json.dumps(rows[0]) + "\n" + "{oops\n")
    with pytest.raises(ValueError, match=r"items\.jsonl line 2: not JSON"):
        list(backtest.load(out).items())
    with gzip.open(out / "items.jsonl.gz", "wt") as packed:  # the file it read is the one named
        packed.write(json.dumps(rows[0]) + "\n" + "{oops\n")
    with pytest.raises(ValueError, match=r"items\.jsonl\.gz line 2: not JSON"):
        list(backtest.load(out).items())


def test_the_same_import_writes_the_same_bytes(tmp_path: Path) -> None:
    """gzip stamps the time into its header: a corpus's hash changed with every import."""
    dump = _ndjson(tmp_path / "RS.ndjson", [submission(i) for i in range(3)])
    first, second = tmp_path / "a", tmp_path / "b"
    import_dumps([dump], first)
    time.sleep(1.1)  # gzip's header time is in whole seconds
    import_dumps([dump], second)
    for name in ("items.jsonl.gz", "authors.jsonl.gz"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_a_corrupt_zstd_dump_keeps_what_decoded_before_the_damage(tmp_path: Path) -> None:
    """Decoded 64 KiB of compressed input at a time, the damage lost every row decoded from
    the same read before it: hundreds of good rows a cut file at the same spot still gives."""
    rows = "".join(
        json.dumps(submission(i, selftext=f"thesis {random.Random(i).random()}")) + "\n" for i in range(20_000)
    )
    packed = zstandard.ZstdCompressor(write_checksum=True).compress(rows.encode())
    spot = len(packed) * 7 // 10
    corrupt = bytearray(packed)
    corrupt[spot] ^= 0xFF
    (tmp_path / "RS_bad.zst").write_bytes(bytes(corrupt))
    (tmp_path / "RS_cut.zst").write_bytes(packed[:spot])
    bad = import_dumps([tmp_path / "RS_bad.zst"], tmp_path / "bad")["items"]
    cut = import_dumps([tmp_path / "RS_cut.zst"], tmp_path / "cut")["items"]
    assert cut - bad < 100, (bad, cut)
