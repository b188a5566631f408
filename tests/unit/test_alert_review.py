"""The blind review of real alerts: its sheet hides what the detector decided, its labels are
held to their recorded hash, and its score counts each kind's labels as the docstring says."""

import json

import pytest

from eval.real import alert_review


def _window(wid: str, kind: str, posts: int = 4, removed: int = 1) -> dict[str, object]:
    return {"window": wid, "symbol": f"S{wid}", "at": 0.0, "kind": kind, "posts": posts, "removed": removed}


def test_score_counts_each_kinds_labels_and_the_promotion_share_of_decided_windows() -> None:
    key = [
        _window("W1", "pump", 10, 8),
        _window("W2", "pump", 5, 1),
        _window("W3", "pump"),
        _window("W4", "organic", 20, 2),
        _window("W5", "organic", 10, 3),
        _window("W6", "organic"),
    ]
    labels = {
        "W1": {"label": "promotion"},
        "W2": {"label": "organic"},
        "W3": {"label": "promotion"},
        "W4": {"label": "organic"},
        "W5": {"label": "misread"},
        # W6 not labelled
    }
    out = alert_review.score(key, labels, 0.3)
    assert out["pump"]["promotion"] == 2 and out["pump"]["organic"] == 1
    assert out["pump"]["promotion_share_of_decided"] == round(2 / 3, 3)
    assert out["pump"]["promotion_symbols"] == ["SW1", "SW3"]
    assert out["pump"]["removed_or_deleted_share"] == round(10 / 19, 3)
    assert out["removed_or_deleted_share_by_label"]["promotion"] == round(9 / 14, 3)  # W1 and W3
    assert out["removed_or_deleted_share_by_label"]["unclear"] is None
    assert out["organic"]["labelled"] == 2 and out["organic"]["misread"] == 1
    assert out["organic"]["promotion_share_of_decided"] == 0.0
    assert out["corpus_removed_or_deleted_share"] == 0.3


def test_the_sheet_guide_names_every_label_and_nothing_the_detector_decides() -> None:
    for label in alert_review.LABEL_VALUES:
        assert label in alert_review.GUIDE
    for hidden in ("pump risk", "score", "new account", "removed by"):
        assert hidden not in alert_review.GUIDE.lower()


def test_the_committed_labels_cover_the_committed_key_and_match_their_hash() -> None:
    key = json.loads(alert_review.KEY.read_text())["windows"]
    read_somewhere: set[str] = set()
    for read in alert_review.reads(json.loads(alert_review.LABELS.read_text())).values():
        assert read["sha256"] == alert_review.labels_hash(read)
        assert {v["label"] for v in read["labels"].values()} <= set(alert_review.LABEL_VALUES)
        read_somewhere |= set(read["labels"])
    # A read is never edited once hashed: alerts the detector no longer opens keep their
    # labels, and alerts it opens since are read in a read of their own.
    assert {w["window"] for w in key} <= read_somewhere
    labels = json.loads(alert_review.LABELS.read_text())
    hashes = {name: read["sha256"] for name, read in alert_review.reads(labels).items()}
    assert {name: hashes.get(name) for name in READS} == READS  # as recorded when each read was imported
    assert all(set(w) == {"window", "symbol", "at", "kind", "posts", "removed", "item_ids"} for w in key)  # no text


READS = {  # each read's hash as kept (quotes left out of its notes: its frozen hash is in the labels file)
    "first": "da9a9e156387a13009382e1ecd405e5cce71f198e6cf63ffcf8f0d2f10083019",
    "second": "ecdb1b8700a680941bbec77efc25dc2afcdbde3448fa02a3ea3755aa3c505842",
    "third": "ea1a57634fa601cbc16b5600f97fe123ceb47ac66c3110cc08fe0e59688e5837",  # its notes with quotes left out
    "fourth": "e5a91785be1e73609a06e87ebdef564811405f0cdb453320d20e2d53bac32d13",
}


def test_agreement_counts_windows_both_reads_labelled_alike_per_kind() -> None:
    key = [_window("W1", "pump"), _window("W2", "pump"), _window("W3", "organic"), _window("W4", "organic")]
    a = {w: {"label": "promotion"} for w in ("W1", "W2")} | {"W3": {"label": "organic"}, "W4": {"label": "organic"}}
    b = {"W1": {"label": "promotion"}, "W2": {"label": "unclear"}, "W3": {"label": "organic"}}
    assert alert_review.agreement(key, a, b) == {
        "pump": {"windows": 2, "same_label": 1, "share": 0.5},
        "organic": {"windows": 1, "same_label": 1, "share": 1.0},
    }


def test_a_readers_labels_are_imported_under_the_keys_ids_and_hashed() -> None:
    sheet_ids = {"Sabc": "W1", "Sdef": "W2"}
    read = {"labeller": "r", "labels": {"Sabc": {"label": "promotion"}, "Sdef": {"label": "organic", "note": "n"}}}
    out = alert_review.import_read(read, sheet_ids, "f00")
    assert out["labels"] == {"W1": {"label": "promotion"}, "W2": {"label": "organic", "note": "n"}}
    assert out["sha256"] == alert_review.labels_hash(out) and out["sheet_sha256"] == "f00"
    with pytest.raises(ValueError, match="did not have"):
        alert_review.import_read({"labels": {"Sxyz": {"label": "organic"}}}, sheet_ids, "f00")
    with pytest.raises(ValueError, match="outside"):
        alert_review.import_read({"labels": {"Sabc": {"label": "pump"}}}, sheet_ids, "f00")


def test_a_window_shows_pseudonyms_titles_and_bodies_but_no_removal_age_or_author_name() -> None:
    import random

    from common.messages import RedditItem

    def post(n: int, author: str | None, body: str) -> RedditItem:
        return RedditItem(
            id=f"t3_{n}",
            kind="post",
            subreddit="wallstreetbets",
            author=author,
            author_created_utc=1_600_000_000.0,
            title=f"title {n}",
            body=body,
            permalink=f"/r/wallstreetbets/comments/{n}/",
            created_utc=1_622_000_000.0 + n,
        )

    posts = [
        post(1, "t2_alice", "first body"),
        post(2, "t2_bob", "[removed]"),
        post(3, "t2_alice", "again"),
        post(4, None, ""),
    ]
    text = alert_review.render("W007", "XYZ", posts, random.Random(0))
    assert text.startswith("== W007  symbol XYZ  4 posts by 3 accounts in the day\n")
    assert "accounts with more than one post that day: A1 2\n" in text
    assert "A1: title 1" in text and "A2: title 2" in text and "A1: title 3" in text and "A3: title 4" in text
    assert "first body" in text and "again" in text
    assert "removed" not in text and "t2_" not in text and "1600000000" not in text
    many = [post(n, f"t2_{n % 4}" if n < 12 else f"t2_{n}", "") for n in range(alert_review.SHOWN + 5)]
    busy = alert_review.render("W008", "XYZ", many, random.Random(0))
    assert busy.count("\n  [") == alert_review.SHOWN
    assert "(15 shown at random)" in busy and "that day: A1 3, A2 3, A3 3, A4 3\n" in busy  # counted over the whole day


def test_coverage_says_how_much_of_a_backtests_alerts_the_review_holds() -> None:
    key = json.loads(alert_review.KEY.read_text())["windows"]
    first = key[0]
    opened = [(first["symbol"], first["at"], first["kind"]), ("NEW", 1.0, "organic")]
    out = alert_review.coverage(opened)
    assert out == {"alerts_opened": 2, "in_review": 1, "review_windows": len(key)}
    other = "pump" if first["kind"] == "organic" else "organic"
    assert alert_review.coverage([(first["symbol"], first["at"], other)])["in_review"] == 0  # a kind changed
