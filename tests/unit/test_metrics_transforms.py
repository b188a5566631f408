"""The plan's bucket writes as Firestore transforms: what makes them safe to apply blind."""

from google.cloud import firestore

from common.aggregation import plan
from common.messages import Mention
from common.metrics import AUTHORS_EXACT_MAX, bucket_deltas
from common.timekeys import hour_key
from functions.aggregate.store import SUMMARY_FIELDS, bucket_transforms, summary_write

T0 = 1_764_000_000.0


def mentions(n: int, first: int = 0) -> list[Mention]:
    return [
        Mention(item_id=f"t1_{i}", kind="comment", subreddit="stocks", author=f"a{i}", created_utc=T0, text_length=5)
        for i in range(first, first + n)
    ]


def test_counters_and_maps_are_increments_and_sketch_registers_are_maxima() -> None:
    [write] = plan("GME", mentions(3), hours={}, days={}, recent=[], previous_as_of=None).hours
    data = bucket_transforms(write)
    assert isinstance(data["mentions"], firestore.Increment) and data["mentions"].value == 3
    assert data["subreddits"]["stocks"].value == 3
    assert all(isinstance(v, firestore.Maximum) for v in data["hll"].values())
    assert isinstance(data["authors"], firestore.ArrayUnion)
    assert sorted(data["authors"].values) == ["a0", "a1", "a2"]
    assert "dd_posts" not in data and "duplicate_mentions" not in data  # zero: no transform, read as 0


def test_crossing_the_exact_bound_empties_the_author_set_once_and_never_adds_again() -> None:
    key = hour_key(T0)
    stored = bucket_deltas(mentions(AUTHORS_EXACT_MAX - 1))
    [crossing] = plan("GME", mentions(5, first=10_000), hours=stored, days={}, recent=[], previous_as_of=T0).hours
    data = bucket_transforms(crossing)
    assert data["authors"] == [] and data["authors_overflow"] is True
    assert crossing.after.authors_overflow and crossing.after.authors == frozenset()
    later = plan("GME", mentions(2, first=20_000), hours={key: crossing.after}, days={}, recent=[], previous_as_of=T0)
    assert "authors" not in bucket_transforms(later.hours[0])


def test_the_summary_writes_only_the_series_hours_that_changed_and_deletes_those_that_left() -> None:
    made = plan("GME", mentions(3), hours={}, days={}, recent=[], previous_as_of=None).summary
    assert made is not None
    summary = {**made.model_dump(mode="json"), "series": {"2025112416": 2, "2025112417": 5, "2025112418": 1}}
    stored = {"2025112415": 4, "2025112416": 2, "2025112417": 3}
    data, fields = summary_write(summary, stored)
    assert data["series"] == {"2025112417": 5, "2025112418": 1, "2025112415": firestore.DELETE_FIELD}
    assert "series" not in fields and set(SUMMARY_FIELDS) - {"series"} <= set(fields)
    assert {k: v for k, v in data.items() if k != "series"} == made.model_dump(mode="json")  # the rest whole
    assert sorted(f for f in fields if f.startswith("series.")) == [
        "series.`2025112415`",
        "series.`2025112417`",
        "series.`2025112418`",
    ]
    whole, whole_fields = summary_write(summary, None)  # no copy of what is stored: the series whole
    assert whole == summary and whole_fields == SUMMARY_FIELDS
