"""An hour bucket at its fullest still fits one Firestore document: past 1 MiB or 20,000
fields every commit touching it is refused, on every redelivery, and the ticker's counts stop.
Sizes as Firestore documents them (cloud.google.com/firestore/docs/storage-size)."""

from typing import Any

import pytest
from pydantic import ValidationError

from common.fields import AUTHOR_MAX, ITEM_ID_MAX
from common.messages import Mention
from common.metrics import AUTHORS_EXACT_MAX, COUNTERS, HLL_REGISTERS
from functions.aggregate.store import ITEMS, ITEMS_MAX

DOCUMENT_MAX_BYTES = 1_048_576
DOCUMENT_MAX_FIELDS = 20_000
# Distinct communities one ticker is named in within one hour: the configured subreddits
# and the profiles a crosspost lands on, far fewer in practice.
SUBREDDITS_ASSUMED = 1_000
SUBREDDIT_MAX = 64
T = 1_764_000_000.0


def size(value: Any) -> int:
    if isinstance(value, bool):
        return 1
    if isinstance(value, int | float):
        return 8
    if isinstance(value, str):
        return len(value.encode()) + 1
    if isinstance(value, list):
        return sum(size(v) for v in value)
    if isinstance(value, dict):
        return sum(size(k) + size(v) for k, v in value.items())
    raise TypeError(value)


def fields(value: dict[str, Any]) -> int:
    return sum(1 + (fields(v) if isinstance(v, dict) else 0) for v in value.values())


def fullest_bucket() -> dict[str, Any]:
    return {
        "hour": "2026120700",
        "start_utc": 1_796_601_600,
        **dict.fromkeys(COUNTERS, 2**43),
        "subreddits": {f"{i:0{SUBREDDIT_MAX}d}": 2**20 for i in range(SUBREDDITS_ASSUMED)},
        # the schema bounds an author's characters, not bytes: four bytes each at worst
        "authors": [f"{i:\U0001f680>{AUTHOR_MAX}d}" for i in range(AUTHORS_EXACT_MAX)],
        "authors_overflow": False,
        "hll": {str(i): 20 for i in range(HLL_REGISTERS)},
        ITEMS: {f"t1_{i:0{ITEM_ID_MAX - 3}d}": True for i in range(ITEMS_MAX)},
    }


def test_the_fullest_hour_bucket_fits_a_firestore_document_with_room_to_spare() -> None:
    bucket = fullest_bucket()
    name = size("projects") + size("akleao") + size("databases") + size("(default)") + size("documents")
    name += size("tickers") + size("ABCDEFGHIJKL") + size("hours") + size(bucket["hour"]) + 16
    total = name + size(bucket) + 32
    assert total < 0.9 * DOCUMENT_MAX_BYTES, total
    assert fields(bucket) < DOCUMENT_MAX_FIELDS


def test_a_mention_with_a_longer_id_is_refused_at_the_boundary() -> None:
    """The bound holds where messages enter, so no bucket meets a longer id."""
    fits = Mention(item_id="t1_" + "a" * (ITEM_ID_MAX - 3), kind="comment", subreddit="s", created_utc=T, text_length=1)
    assert len(fits.item_id) == ITEM_ID_MAX
    with pytest.raises(ValidationError):
        Mention(item_id="t1_" + "a" * (ITEM_ID_MAX - 2), kind="comment", subreddit="s", created_utc=T, text_length=1)
