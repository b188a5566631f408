"""archive: a batch of Reddit items in, their rows in BigQuery (``reddit_items`` and ``mentions``).

Exactly once, even on redelivery: an item's id is recorded in ``archived/`` after its rows
are in, and an item recorded there is skipped. Insert ids alone would not do: production
insertAll de-duplicates only best-effort for about a minute and the emulator not at all,
while Pub/Sub may redeliver much later. The records expire by a TTL policy once no
redelivery can come (Firestore TTL on ``expires_at``, terraform/firestore.tf).

Ids are recorded by group, one document per subreddit and hour of ``created_utc``
(functions/archive/markers.py, which also bounds a group), so a delivery reads its few
groups in one ``get_all`` and writes them in one commit, whatever its number of items. Each
document is written only if unchanged since it was read (created only if absent); when
another delivery wrote one in between, the groups are read again and the ids not yet
recorded are written again, without inserting their rows again.

An attempt can die between its insert and its record (killed). Each batch worked on is
noted in ``archive_attempts/{hash of its item ids}`` (one write; a redelivery's second moves its
expiry: :func:`attempt_key`),
so another delivery of the same items knows it is one and asks BigQuery which of their rows
are in already (a query per table and chunk of :data:`ITEMS_PER_COMMIT` items, then only)
before inserting the rest: a redelivery, and also a copy with a new message id (held
messages replayed from the dead-letter hold, or a fetch that published again). Two
deliveries working at the same moment can still both insert an item's rows (a redelivery
while the first attempt is still running, past its ack deadline), and so can two messages
that share some items but not all; production's insert ids de-duplicate those within their
window, and the history query counts distinct items.

A row BigQuery rejects can never succeed: it is logged and published to this
subscription's dead-letter topic with BigQuery's errors, and the message is acknowledged.
A failure that may pass (BigQuery unavailable) raises, and Pub/Sub retries.
"""

import hashlib
import json
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from common import history, log, topics
from common.adapters import bigquery as bq
from common.adapters import firestore as fs
from common.adapters.pubsub import Publisher
from common.entrypoint import Delivery, attribute, publisher_for, pubsub_function
from common.messages import ArrivingItems, ItemBatch, RedditItem
from common.settings import Settings
from functions.archive import markers

FUNCTION = "archive"
MARKERS_PER_COMMIT = fs.WRITES_MAX
# Items archived per commit: each writes at most its shard document and its group's head.
ITEMS_PER_COMMIT = MARKERS_PER_COMMIT // 2
COMMIT_ATTEMPTS = 8  # deliveries racing for one group: each conflict lets one through
TIMEOUT_S = 120  # the function's timeout and its subscription's ack deadline (terraform; an agreement test checks)
# All of one delivery's BigQuery calls, retries included, end within this of its start: the
# rest of TIMEOUT_S records the markers and publishes rejected rows. Past the timeout Pub/Sub
# hands the message to another instance while this one still inserts.
BIGQUERY_BUDGET_S = 80.0

logger = log.get_logger(__name__)


@dataclass(frozen=True)
class Archived:
    rows: int
    rejected: int
    duplicates: int = 0  # items an earlier delivery had archived


def archive_batch(
    batch: ItemBatch,
    delivery: Delivery,
    *,
    settings: Settings,
    db: firestore.Client,
    client: bq.Client,
    publisher: Publisher,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Archived:
    """Write the rows of every item of ``batch`` no earlier delivery archived: one read of
    their groups, one insert per table, one commit of the groups with the new ids."""
    first: dict[str, RedditItem] = {}
    for item in batch.items:  # an item listed twice is archived once, as first listed
        first.setdefault(item.id, item)
    items = list(first.values())
    expires_at = now() + fs.REDELIVERY_TTL
    deadline = time.monotonic() + BIGQUERY_BUDGET_S
    # A batch worked on before may have had its rows inserted by an attempt that died
    # before recording them: another delivery of it asks BigQuery which rows are in already.
    attempt = db.collection(fs.ARCHIVE_ATTEMPTS).document(attempt_key(items))
    retried = not fs.create_if_absent(attempt, {"expires_at": expires_at})
    if retried:  # kept from this attempt on: a batch held and replayed twice outlives one TTL
        attempt.set({"expires_at": expires_at}, merge=True)
    parts = [
        _archive(
            items[start : start + ITEMS_PER_COMMIT],
            delivery,
            settings=settings,
            db=db,
            client=client,
            publisher=publisher,
            expires_at=expires_at,
            retried=retried,
            deadline=deadline,
        )
        for start in range(0, len(items), ITEMS_PER_COMMIT)
    ]
    done = Archived(sum(p.rows for p in parts), sum(p.rejected for p in parts), sum(p.duplicates for p in parts))
    logger.info(
        "archived %d items: %d rows, %d rejected",
        len(items) - done.duplicates,
        done.rows,
        done.rejected,
        extra={
            "json_fields": {
                "items": len(items) - done.duplicates,
                "duplicates": done.duplicates,
                "rows": done.rows + done.rejected,
                "rejected": done.rejected,
                "run_id": batch.run_id,
            }
        },
    )
    return done


def attempt_key(items: Iterable[RedditItem]) -> str:
    """The batch's identity whatever message carries it: its distinct item ids, hashed."""
    ids = "\n".join(sorted({item.id for item in items}))
    return f"items-{hashlib.sha256(ids.encode()).hexdigest()[:40]}"


def _archive(
    items: list[RedditItem],
    delivery: Delivery,
    *,
    settings: Settings,
    db: firestore.Client,
    client: bq.Client,
    publisher: Publisher,
    expires_at: datetime,
    retried: bool = False,
    deadline: float | None = None,
) -> Archived:
    """Archive ``items`` (at most :data:`ITEMS_PER_COMMIT`, each once) not recorded yet;
    when ``retried``, only the rows BigQuery does not hold yet; BigQuery's calls end by
    ``deadline`` (monotonic)."""
    read = _read(db, _entries(items, _most_rejected))
    done = _recorded(read, items)
    todo = [item for item in items if item.id not in done]
    if done:
        logger.info(
            "%d of %d items already archived; redelivery ignored for them",
            len(done),
            len(items),
            extra={"json_fields": {"item_ids": sorted(done)[:20]}},
        )
    if not todo:
        return Archived(rows=0, rejected=0, duplicates=len(done))
    markers.plan(read.docs, _entries(todo, _most_rejected), expires_at)  # a full group raises before any insert
    rejected: list[bq.RejectedRow] = []
    storable: list[RedditItem] = []
    for item in todo:
        reason = history.unarchivable(item)
        if reason is None:
            storable.append(item)
        else:  # nothing of it could be stored: the whole item is the rejected row
            rejected.append(
                bq.RejectedRow(
                    history.REDDIT_ITEMS,
                    item.id,
                    item.model_dump(mode="json"),
                    ({"reason": "invalid", "message": reason},),
                )
            )
    tables = history.rows_for_items(storable)
    if retried:
        tables = [_not_stored(client, settings, table, storable, deadline) for table in tables]
    for table in tables:
        rejected += bq.insert(client, settings, table, deadline=deadline)
    if rejected:
        _dead_letter(rejected, delivery, publisher)
    rows = sum(len(t.rows) for t in tables) + len(todo) - len(storable)
    refused = _per_item(rejected)
    _record(db, read, _entries(todo, lambda item: refused.get(item.id, 0)), expires_at)
    return Archived(rows=rows - len(rejected), rejected=len(rejected), duplicates=len(done))


def _not_stored(
    client: bq.Client, settings: Settings, table: history.TableRows, items: list[RedditItem], deadline: float | None
) -> history.TableRows:
    """``table`` less the rows an earlier attempt of this message inserted without living
    to record them (killed, timed out): one query, on redelivery only."""
    stored = bq.stored_row_ids(client, settings, table.table, items, deadline=deadline)
    if stored:
        logger.warning(
            "%d rows of %s were inserted by an earlier attempt that did not record them; not inserted again",
            len(stored),
            table.table,
            extra={"json_fields": {"row_ids": sorted(stored)[:20]}},
        )
    return history.without(table, stored)


def archived_ids(db: firestore.Client, items: Iterable[RedditItem]) -> set[str]:
    """The ids of ``items`` recorded as archived."""
    items = list(items)
    return _recorded(_read(db, _entries(items, lambda _: 0)), items)


def _recorded(read: "_Read", items: Iterable[RedditItem]) -> set[str]:
    return {item.id for item in items if markers.recorded(read.docs, markers.group_of(item), item.id)}


def _most_rejected(item: RedditItem) -> int:
    """The most rows of ``item`` BigQuery can reject: its own and one per ticker."""
    return 1 + len(item.tickers)


def _entries(items: Iterable[RedditItem], rejected: Callable[[RedditItem], int]) -> dict[str, dict[str, int]]:
    """Group -> {item id: rows rejected}."""
    out: dict[str, dict[str, int]] = {}
    for item in items:
        out.setdefault(markers.group_of(item), {})[item.id] = rejected(item)
    return out


@dataclass(frozen=True)
class _Read:
    docs: dict[str, markers.Marker | None]  # document id -> its marker, None if absent
    updated: dict[str, Any]  # document id -> update time, for the documents that exist


def _read(db: firestore.Client, entries: Mapping[str, Mapping[str, int]]) -> _Read:
    """The head of every group of ``entries`` and the shard documents they need (only for
    a split group, or one they would split): one ``get_all``, two for those."""
    read = _get(db, list(entries))
    shards: set[str] = set()
    for group, part in entries.items():
        shards |= markers.shards_to_read(group, read.docs[group], part)
    if not shards:
        return read
    more = _get(db, sorted(shards))
    return _Read({**read.docs, **more.docs}, {**read.updated, **more.updated})


def _get(db: firestore.Client, ids: list[str]) -> _Read:
    collection = db.collection(fs.ARCHIVED)
    found: dict[str, markers.Marker | None] = {}
    updated: dict[str, Any] = {}
    for snap in db.get_all([collection.document(i) for i in ids]):
        found[snap.id] = markers.from_doc(snap.to_dict() or {}) if snap.exists else None
        if snap.exists:
            updated[snap.id] = snap.update_time
    return _Read(found, updated)


def _record(db: firestore.Client, read: _Read, new: dict[str, dict[str, int]], expires_at: datetime) -> None:
    """Record ``new`` (group -> {item id: rows rejected}) in one commit, every document
    updated only if unchanged since ``read`` or created only if absent. On a conflict, read
    the groups again and record what is still unrecorded: the rows are in, so an id another
    delivery recorded meanwhile (the same item, archived by both) is left as it is."""
    collection = db.collection(fs.ARCHIVED)
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        writes = db.batch()
        for key, marker in markers.plan(read.docs, new, expires_at).items():
            if key in read.updated:
                option = db.write_option(last_update_time=read.updated[key])
                writes.update(collection.document(key), markers.to_doc(marker), option=option)
            else:
                writes.create(collection.document(key), markers.to_doc(marker))
        try:
            writes.commit()
            return
        except (gexc.Conflict, gexc.FailedPrecondition, gexc.NotFound):  # Conflict: AlreadyExists, Aborted
            if attempt == COMMIT_ATTEMPTS:
                raise
        time.sleep(random.uniform(0, min(1.0, 0.05 * 2**attempt)))
        read = _read(db, new)
        both = {i for group, part in new.items() for i in part if markers.recorded(read.docs, group, i)}
        if both:
            logger.warning(
                "%d items were archived by another delivery at the same time: their rows are in twice "
                "unless insert ids de-duplicated them",
                len(both),
                extra={"json_fields": {"item_ids": sorted(both)[:20]}},
            )
        new = {group: left for group, part in new.items() if (left := {i: n for i, n in part.items() if i not in both})}
        if not new:
            return


def _per_item(rejected: list[bq.RejectedRow]) -> dict[str, int]:
    """Rejected rows per item id (a mention row's id is ``<item_id>:<symbol>``)."""
    out: dict[str, int] = {}
    for row in rejected:
        item_id = row.row_id.split(":", 1)[0]
        out[item_id] = out.get(item_id, 0) + 1
    return out


# What a dead-letter message's body may hold: under Pub/Sub's 10 MB a message, with room
# for its attributes.
DEAD_LETTER_BYTES_MAX = 9_500_000


def _compact(body: Mapping[str, Any]) -> bytes:
    """JSON as short as it reads: a row is refused for its size as the BigQuery client
    encodes it (every non-ASCII character escaped, six bytes or twelve), so encoded that way
    again it could not be published either, and the message would fail on every retry."""
    # a lone surrogate (JSON allows one; a hand-published batch may hold it) as its escape
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")


def dead_letter_body(row: bq.RejectedRow) -> bytes:
    """A refused row's dead-letter body: the row with its table and id, or, when the row
    itself is too big for a message (no insert could take it either), its table and id
    alone: the item is inserted by its ``row_id`` from its source."""
    body = _compact({"table": row.table, "row_id": row.row_id, "row": row.row})
    if len(body) <= DEAD_LETTER_BYTES_MAX:
        return body
    return _compact({"table": row.table, "row_id": row.row_id, "row": None, "body_bytes": len(body)})


def _dead_letter(rejected: list[bq.RejectedRow], delivery: Delivery, publisher: Publisher) -> None:
    """Rejected rows go to the subscription's dead-letter topic, one message per row, with
    BigQuery's reasons: inspect and replay from ``reddit-items-archive-dead-letter-hold``."""
    subscription = topics.subscription_for(FUNCTION)
    for row in rejected:
        # worded as common.entrypoint words a malformed message: the dead_lettered metric and
        # its page count both (terraform/monitoring.tf)
        logger.error(
            "malformed message dead-lettered: BigQuery rejected row %s of %s: %s",
            row.row_id,
            row.table,
            row.errors,
            extra={
                "json_fields": {
                    "subscription": subscription,
                    "item_id": row.row_id.split(":", 1)[0],
                    "table": row.table,
                    "errors": list(row.errors),
                }
            },
        )
    futures = [
        publisher.publish_raw(
            topics.dead_letter_topic(subscription),
            dead_letter_body(row),
            attributes={
                "error": json.dumps(list(row.errors))[:1024],
                "source_message_id": delivery.message_id,
                "subscription": subscription,
                "function": FUNCTION,
                "table": row.table,
            },
        )
        for row in rejected
    ]
    for future in futures:
        future.result(timeout=30)


def _dead_letter_items(
    bad: list[tuple[Any, str]], run_id: str | None, delivery: Delivery, publisher: Publisher
) -> None:
    """Items that do not read as items go to the dead-letter topic together, as a batch of their
    own (``replay_held.py --malformed`` sends it back once a fix is deployed), after the
    others are archived: a failure archiving those publishes nothing. A delivery that dies
    after this publish and is redelivered publishes them again (the hold then holds two
    copies; replaying both changes nothing)."""
    subscription = topics.subscription_for(FUNCTION)
    reasons = "; ".join(f"{raw.get('id', '?') if isinstance(raw, dict) else '?'}: {why}" for raw, why in bad)
    logger.error(  # worded as common.entrypoint words a malformed message: the dead_lettered metric counts it
        "malformed message dead-lettered: %d items of the batch do not read as items: %s",
        len(bad),
        reasons,
        extra={"json_fields": {"subscription": subscription, "reason": reasons[:2000]}},
    )
    publisher.publish_raw(
        topics.dead_letter_topic(subscription),
        _compact({"run_id": run_id, "items": [raw for raw, _ in bad]}),
        attributes={
            "error": attribute(reasons),
            "source_message_id": delivery.message_id,
            "subscription": subscription,
            "function": FUNCTION,
        },
    ).result(timeout=30)


def _process(arriving: ArrivingItems, delivery: Delivery, settings: Settings) -> None:
    batch, bad = arriving.split()
    publisher = publisher_for(settings)
    if batch is not None:
        archive_batch(
            batch,
            delivery,
            settings=settings,
            db=fs.get_client(settings.project_id),
            client=bq.get_client(settings),
            publisher=publisher,
        )
    if bad:
        _dead_letter_items(bad, arriving.run_id, delivery, publisher)


archive = pubsub_function("archive", ArrivingItems, _process)
