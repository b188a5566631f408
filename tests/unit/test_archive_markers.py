"""Which archived/ documents record an item and what the archive writes to them (pure)."""

import string
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from common.messages import RedditItem
from functions.archive import markers
from functions.archive.markers import Marker

CREATED = 1_700_000_000.0  # 2023-11-14T22:13:20Z
EXPIRES = datetime(2023, 11, 23, tzinfo=UTC)


def _item(item_id: str = "t3_abc", **changes: Any) -> RedditItem:
    fields: dict[str, Any] = {
        "id": item_id,
        "kind": "post",
        "subreddit": "wallstreetbets",
        "permalink": f"/r/wallstreetbets/comments/{item_id}/",
        "created_utc": CREATED,
        **changes,
    }
    return RedditItem(**fields)


def _ids(n: int, prefix: str = "t1_") -> dict[str, int]:
    """``n`` ten-character comment ids, none rejected."""
    return {f"{prefix}{i:07d}": 0 for i in range(n)}


def test_every_copy_of_an_item_is_recorded_in_the_group_of_its_subreddit_and_hour() -> None:
    group = markers.group_of(_item())
    assert group == "wallstreetbets-2023111422"
    assert markers.group_of(_item(subreddit="WallStreetBets", created_utc=CREATED + 60, score=9)) == group
    assert markers.group_of(_item(created_utc=CREATED + 3600)) == "wallstreetbets-2023111423"
    assert markers.group_of(_item(subreddit="stocks")) == "stocks-2023111422"


def test_a_subreddit_or_time_no_document_id_can_hold_still_gets_one_fixed_group() -> None:
    # no valid message holds these (common.fields): built around the check, as a message
    # decoded by an older release may
    odd = [_item().model_copy(update={"subreddit": s}) for s in ("a/b", "..", "", "__x__/y", "Ünïcode")]
    groups = [markers.group_of(item) for item in odd]
    assert len(set(groups)) == len(groups)
    assert all("/" not in g and g.startswith("~") and g.endswith("-2023111422") for g in groups)
    assert groups == [markers.group_of(item) for item in odd]  # deterministic
    for t in (float("nan"), float("inf"), 1e12, -1.0):  # no valid message holds these: built around it
        assert markers.group_of(_item().model_copy(update={"created_utc": t})) == "wallstreetbets-undated"


def test_entries_survive_encoding_whatever_the_id_holds() -> None:
    entries = {"t3_a": 0, 't1_"quoted" id:1': 3, "ünï": 1, " ": 0}
    assert markers.decode(markers.encode(entries)) == entries
    assert markers.decode("") == {}
    doc = markers.to_doc(Marker(entries, 16, EXPIRES))
    assert markers.from_doc(doc) == Marker(entries, 16, EXPIRES)
    assert "shards" not in markers.to_doc(Marker(entries, 0, EXPIRES))


def test_an_id_is_always_in_the_same_shard_and_the_shards_fill_evenly() -> None:
    assert markers.shard_key("g", "t1_abc", 16) == markers.shard_key("g", "t1_abc", 16)
    assert markers.shard_key("g", "t1_abc", 16) == f"g-{zlib.crc32(b't1_abc') % 16}"
    counts = Counter(markers.shard_key("g", i, 16) for i in _ids(16_000))
    assert len(counts) == 16
    assert max(counts.values()) < 1.1 * 1000


def test_the_documented_bound_holds_for_real_looking_ids() -> None:
    """The module docstring: a shard holds about 60,000 ten-character ids, and 900,000 items
    of one group spread over 16 shards leave the fullest within its bound."""
    digits = string.digits + string.ascii_lowercase
    start = 36**6 * 20  # seven base-36 characters, as comment ids are today

    def base36(n: int) -> str:
        out = ""
        while n:
            n, r = divmod(n, 36)
            out = digits[r] + out
        return out

    ids = [f"t1_{base36(start + n * 7919)}" for n in range(900_000)]
    assert {len(i) for i in ids} == {10}
    fullest = Counter(zlib.crc32(i.encode()) % markers.SHARDS for i in ids).most_common(1)[0][1]
    per_shard = markers.SHARD_MAX_BYTES // markers.size({ids[0]: 0, ids[1]: 0}) * 2
    assert 58_000 < per_shard < 62_000
    assert fullest < per_shard
    assert markers.size(dict.fromkeys(ids[:fullest], 0)) <= markers.SHARD_MAX_BYTES


def test_an_unsplit_group_is_looked_up_and_written_in_its_head_alone() -> None:
    head = Marker({"t3_old": 0}, 0, EXPIRES - timedelta(days=1))
    read = {"g": head}
    assert markers.recorded(read, "g", "t3_old")
    assert not markers.recorded(read, "g", "t3_new")
    assert not markers.recorded({"g": None}, "g", "t3_old")
    assert markers.shards_to_read("g", head, {"t3_new": 1}) == set()
    assert markers.plan(read, {"g": {"t3_new": 1}}, EXPIRES) == {"g": Marker({"t3_old": 0, "t3_new": 1}, 0, EXPIRES)}
    assert markers.plan({"g": None}, {"g": {"t3_new": 0}}, EXPIRES) == {"g": Marker({"t3_new": 0}, 0, EXPIRES)}
    assert markers.plan(read, {"g": {}}, EXPIRES) == {}


def test_a_head_that_would_pass_its_bound_splits_and_the_new_ids_go_to_their_shards() -> None:
    full = _ids((markers.HEAD_MAX_BYTES - 1) // 15)
    assert markers.HEAD_MAX_BYTES - 15 < markers.size(full) <= markers.HEAD_MAX_BYTES
    new = _ids(10, prefix="t3_")
    head = Marker(full, 0, EXPIRES - timedelta(days=3))
    wanted = markers.shards_to_read("g", head, new)
    assert wanted == {markers.shard_key("g", i, markers.SHARDS) for i in new}
    with pytest.raises(KeyError):  # the shards must have been read
        markers.plan({"g": head}, {"g": new}, EXPIRES)
    read: dict[str, Marker | None] = {"g": head, **dict.fromkeys(wanted)}
    writes = markers.plan(read, {"g": new}, EXPIRES)
    assert writes["g"] == Marker(full, markers.SHARDS, EXPIRES + markers.HEAD_OUTLIVES)
    assert set(writes) == {"g", *wanted}
    assert sorted(i for key in wanted for i in writes[key].entries) == sorted(new)
    split = {**read, **writes}
    assert all(markers.recorded(split, "g", i) for i in [*new, *list(full)[:50]])


def test_a_split_heads_expiry_is_rewritten_only_when_a_shard_would_outlive_it() -> None:
    head = Marker({"t3_old": 0}, 4, EXPIRES + timedelta(hours=1))
    key = markers.shard_key("g", "t3_new", 4)
    assert markers.shards_to_read("g", head, {"t3_new": 0, "t3_old": 0}) == {key}
    read = {"g": head, key: Marker({"t3_other": 0}, 0, EXPIRES)}
    assert markers.recorded(read, "g", "t3_old") and not markers.recorded(read, "g", "t3_new")
    assert markers.plan(read, {"g": {"t3_new": 2}}, EXPIRES) == {key: Marker({"t3_other": 0, "t3_new": 2}, 0, EXPIRES)}
    later = EXPIRES + timedelta(hours=2)
    writes = markers.plan(read, {"g": {"t3_new": 0}}, later)
    assert writes["g"] == Marker({"t3_old": 0}, 4, later + markers.HEAD_OUTLIVES)


def test_a_shard_past_its_bound_refuses_the_ids_bound_for_it() -> None:
    head = Marker({}, markers.SHARDS, EXPIRES)
    new = "t3_one_more_long_id"
    key = markers.shard_key("g", new, markers.SHARDS)
    full = _ids((markers.SHARD_MAX_BYTES - 1) // 15)
    assert markers.size(full) <= markers.SHARD_MAX_BYTES < markers.size({**full, new: 0})
    read = {"g": head, key: Marker(full, 0, EXPIRES)}
    with pytest.raises(markers.GroupFull, match=key):
        markers.plan(read, {"g": {new: 0}}, EXPIRES)
    other = markers.shard_key("g", "t3_ok", markers.SHARDS)  # a short id still fits, wherever it goes
    assert set(markers.plan({other: None, **read}, {"g": {"t3_ok": 0}}, EXPIRES)) == {other}
