"""The plan's bucket writes as Firestore transforms: what makes them safe to apply blind."""

from google.cloud import firestore

from common.adapters import firestore as fs
from common.aggregation import plan
from common.messages import Mention
from common.metrics import AUTHORS_EXACT_MAX, bucket_deltas
from common.timekeys import hour_key
from functions.aggregate.main import CHUNK, chunks
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


def _transforms(data: object) -> int:
    """Field transforms in a merge-set as Firestore counts them (an array union's elements each)."""
    if isinstance(data, dict):
        return sum(_transforms(v) for v in data.values())
    if isinstance(data, firestore.ArrayUnion):
        return len(data.values)
    return int(isinstance(data, firestore.Increment | firestore.Maximum))


def test_a_busy_tickers_batch_is_committed_in_chunks_each_bucket_within_firestores_transform_limit() -> None:
    """Firestore refuses a commit putting more than 500 transforms on one document (the
    emulator applies it): 240 distinct authors over 30 subreddits in one hour would be 19
    counters + 30 subreddits + ~233 registers + 240 authors on the day bucket."""
    many = [
        Mention(item_id=f"t1_{i}", kind="comment", subreddit=f"sub{i % 30}", author=f"a{i}", created_utc=T0 + i,
                text_length=5, score=1)
        for i in range(600)
    ]  # fmt: skip
    parts = list(chunks(many))
    assert [m for part in parts for m in part] == many  # in order, nothing left out
    for part in parts:
        effect = plan("GME", part, hours={}, days={}, recent=[], previous_as_of=None)
        for write in (*effect.hours, *effect.days):
            assert _transforms(bucket_transforms(write)) <= fs.FIELD_TRANSFORMS_MAX
    few_authors = [m.model_copy(update={"author": f"a{i % 3}", "subreddit": "stocks"}) for i, m in enumerate(many)]
    full, rest = divmod(600, CHUNK)
    assert [len(p) for p in chunks(few_authors)] == [CHUNK] * full + [rest] * bool(rest)  # cut only where needed
