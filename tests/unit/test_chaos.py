"""The fault suite's comparison (devtools/chaos.py): what it calls equal and what it reports."""

from collections import Counter

from devtools.chaos import Snapshot, bucket, canonical, differences


def snapshot(
    docs: dict[str, object] | None = None,
    rows: list[str] | None = None,
    dead: dict[str, set[str]] | None = None,
) -> Snapshot:
    return Snapshot(docs or {}, {"reddit_items": Counter(rows or []), "mentions": Counter()}, dead or {})


def test_a_bucket_filled_in_another_order_is_the_same_bucket() -> None:
    first = bucket({"mentions": 3, "engagement": 0.1 + 0.2, "authors": ["b", "a"]})
    second = bucket({"mentions": 3, "engagement": 0.3, "authors": ["a", "b"]})
    assert first == second
    assert canonical({"at": 1.0000001}) == canonical({"at": 1.0})


def test_an_equal_run_has_no_differences() -> None:
    clean = snapshot({"alerts/X": {"level": 2}}, ["row-1", "row-2"])
    assert differences(clean, snapshot({"alerts/X": {"level": 2}}, ["row-2", "row-1"]), {}) == []


def test_a_row_archived_twice_is_reported_doubled_and_a_missing_one_lost() -> None:
    clean = snapshot(rows=["row-1", "row-2"])
    assert differences(clean, snapshot(rows=["row-1", "row-1", "row-2"]), {}) == ["reddit_items: 1 rows doubled"]
    assert differences(clean, snapshot(rows=["row-1"]), {}) == ["reddit_items: 1 rows lost"]


def test_a_changed_alert_names_the_document_and_field() -> None:
    clean = snapshot({"alerts/X": {"level": 2, "status": "escalated"}})
    [line] = differences(clean, snapshot({"alerts/X": {"level": 3, "status": "escalated"}}), {})
    assert line == "1 docs differ (e.g. alerts/X: level)"


def test_dead_letters_must_be_exactly_the_poison() -> None:
    clean = snapshot()
    expected = {"mentions-aggregate": {"p1", "p2"}}
    assert differences(clean, snapshot(dead={"mentions-aggregate": {"p1", "p2"}}), expected) == []
    assert differences(clean, snapshot(dead={"mentions-aggregate": {"p1"}}), expected) == [
        "mentions-aggregate: 1 poison messages not dead-lettered"
    ]
    assert differences(clean, snapshot(dead={"alerts-notify": {"m9"}}), {}) == [
        "alerts-notify: 1 messages dead-lettered unexpectedly"
    ]
