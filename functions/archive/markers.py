"""Which ``archived/`` documents record an item, and what they hold: pure, no I/O, no clock.

An item is recorded in the document of its *group*, ``archived/{subreddit}-{yyyymmddhh}``
(the subreddit lower-cased, the UTC hour of ``created_utc``): what every copy of the item
carries, a redelivery or a later fetch run's. A document holds its ids in one
string, ``ids``, compact JSON ``{item_id: rejected rows}``, so a delivery reads and writes
a few documents, not one per item.

A group whose head would grow beyond :data:`HEAD_MAX_BYTES` (about 13,000 items) is split:
the head keeps what it holds and its ``shards``, and the group's further ids go to
``archived/{group}-{n}``, ``n`` = CRC-32 of the id modulo ``shards``. Each shard holds at
most :data:`SHARD_MAX_BYTES` (a document holds at most 1 MiB), about 60,000 ten-character
ids, so a group holds about 900,000 items (the fullest of 16 shards bounds it): more than
fetch can read in an hour from all subreddits together, Reddit allowing one client 100
requests of at most 100 items a minute. Beyond it :func:`plan` raises :class:`GroupFull`.

A split head is rewritten only when a shard would outlive it, then to expire
:data:`HEAD_OUTLIVES` after that shard (so at most about once a day): a group without its
head is looked up in a new head alone, so the head must expire last.
"""

import json
import math
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from hashlib import blake2b
from typing import Any

from common.messages import RedditItem
from common.timekeys import hour_key

IDS = "ids"  # the field holding the entries: one string, never queried
SHARDS = 16
HEAD_MAX_BYTES = 200_000
SHARD_MAX_BYTES = 900_000
HEAD_OUTLIVES = timedelta(days=1)

_NAME = re.compile(r"[a-z0-9_]{1,64}")
_YEAR_10000 = 253_402_300_800  # the first created_utc an hour key cannot name


class GroupFull(Exception):
    """A shard would exceed :data:`SHARD_MAX_BYTES`: beyond the documented bound."""


@dataclass(frozen=True)
class Marker:
    """One ``archived/`` document: the items it records (id -> rows rejected) and, for a
    split group's head, how many shard documents the group continues in (0: not split)."""

    entries: Mapping[str, int] = field(default_factory=dict)
    shards: int = 0
    expires_at: datetime | None = None


# What was read: document id -> its marker, or None for a document read and absent.
Read = Mapping[str, Marker | None]


def group_of(item: RedditItem) -> str:
    """The id of the document recording ``item``: ``{subreddit}-{yyyymmddhh}``. A subreddit
    that is no Reddit name is replaced by a hash, a time no hour key can name by "undated"."""
    name = item.subreddit.lower()
    if not _NAME.fullmatch(name):
        name = "~" + blake2b(item.subreddit.encode(), digest_size=8).hexdigest()
    t = item.created_utc
    hour = hour_key(t) if math.isfinite(t) and 0 <= t < _YEAR_10000 else "undated"
    return f"{name}-{hour}"


def shard_key(group: str, item_id: str, shards: int) -> str:
    """The shard document of ``item_id`` in a group split into ``shards``."""
    return f"{group}-{zlib.crc32(item_id.encode()) % shards}"


def encode(entries: Mapping[str, int]) -> str:
    return json.dumps(entries, separators=(",", ":"), ensure_ascii=False)


def decode(text: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in json.loads(text).items()} if text else {}


def size(entries: Mapping[str, int]) -> int:
    """Bytes of ``entries`` as stored."""
    return len(encode(entries).encode())


def from_doc(data: Mapping[str, Any]) -> Marker:
    return Marker(decode(data.get(IDS, "")), int(data.get("shards", 0)), data.get("expires_at"))


def to_doc(marker: Marker) -> dict[str, Any]:
    doc: dict[str, Any] = {IDS: encode(marker.entries), "expires_at": marker.expires_at}
    if marker.shards:
        doc["shards"] = marker.shards
    return doc


def recorded(read: Read, group: str, item_id: str) -> bool:
    """Whether ``item_id`` is recorded in its ``group``, read with the shards it needs
    (:func:`shards_to_read`); a document needed and not read is a bug (KeyError)."""
    head = read[group]
    if head is None:
        return False
    if item_id in head.entries:
        return True
    if not head.shards:
        return False
    shard = read[shard_key(group, item_id, head.shards)]
    return shard is not None and item_id in shard.entries


def shards_to_read(group: str, head: Marker | None, entries: Mapping[str, int]) -> set[str]:
    """The shard documents to read besides ``head`` to look ``entries`` up and record them:
    none while the head is not split and they fit in it."""
    head = head or Marker()
    pending = {i: n for i, n in entries.items() if i not in head.entries}
    if not pending or (not head.shards and size({**head.entries, **pending}) <= HEAD_MAX_BYTES):
        return set()
    return {shard_key(group, i, head.shards or SHARDS) for i in pending}


def plan(read: Read, new: Mapping[str, Mapping[str, int]], expires_at: datetime) -> dict[str, Marker]:
    """The documents to write, whole, so that every entry of ``new`` (group -> {item id:
    rows rejected}) is recorded, given what was ``read`` (the heads and the shards
    :func:`shards_to_read` names). Raises :class:`GroupFull` beyond the bound."""
    writes: dict[str, Marker] = {}
    for group, entries in new.items():
        if not entries:
            continue
        head = read[group] or Marker()
        if not head.shards:
            merged = {**head.entries, **entries}
            if size(merged) <= HEAD_MAX_BYTES:
                writes[group] = Marker(merged, 0, expires_at)
                continue
        shards = head.shards or SHARDS
        parts: dict[str, dict[str, int]] = {}
        for item_id, rejected in entries.items():
            parts.setdefault(shard_key(group, item_id, shards), {})[item_id] = rejected
        for key, part in sorted(parts.items()):
            merged = {**(read[key] or Marker()).entries, **part}
            if size(merged) > SHARD_MAX_BYTES:
                raise GroupFull(f"archived/{key} would hold more than {SHARD_MAX_BYTES} bytes of ids")
            writes[key] = Marker(merged, 0, expires_at)
        if not head.shards or head.expires_at is None or head.expires_at < expires_at:
            writes[group] = Marker(head.entries, shards, expires_at + HEAD_OUTLIVES)
    return writes
