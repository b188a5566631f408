"""archive: a batch of Reddit items in, their rows in BigQuery (``reddit_items`` and ``mentions``).

Exactly once, even on redelivery: ``archived/{item_id}`` is written after the item's rows
are in, and an item that has one is skipped. Insert ids alone would not do: production insertAll
de-duplicates only best-effort for about a minute and the emulator not at all, while
Pub/Sub may redeliver much later. The marker expires by a TTL policy once no redelivery
can come (Firestore TTL on ``expires_at``, terraform/firestore.tf).

A row BigQuery rejects can never succeed: it is logged and published to this
subscription's dead-letter topic with BigQuery's errors, and the message is acknowledged.
A failure that may pass (BigQuery unavailable) raises, and Pub/Sub retries.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.cloud import firestore

from common import history, log, topics
from common.adapters import bigquery as bq
from common.adapters import firestore as fs
from common.adapters.pubsub import Publisher
from common.entrypoint import Delivery, publisher_for, pubsub_function
from common.messages import ItemBatch, RedditItem
from common.settings import Settings

FUNCTION = "archive"
# Pub/Sub keeps a message at most 7 days; the marker outlives any redelivery of it.
MARKER_TTL = timedelta(days=8)

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
    their markers, one insert per table, one commit of the new markers."""
    first: dict[str, RedditItem] = {}
    for item in batch.items:  # an item listed twice is archived once, as first listed
        first.setdefault(item.id, item)
    items = list(first.values())
    markers = {item.id: db.collection(fs.ARCHIVED).document(item.id) for item in items}
    done = {snap.id for snap in db.get_all(list(markers.values())) if snap.exists}
    todo = [item for item in items if item.id not in done]
    if done:
        logger.info(
            "%d of %d items already archived; redelivery ignored for them",
            len(done),
            len(items),
            extra={"json_fields": {"item_ids": sorted(done)[:20]}},
        )
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
    for table in tables:
        rejected += bq.insert(client, settings, table)
    if rejected:
        _dead_letter(rejected, delivery, publisher)
    rows = sum(len(t.rows) for t in tables) + len(todo) - len(storable)
    refused = _per_item(rejected)
    writes = db.batch()
    for n, item in enumerate(todo, start=1):
        writes.set(
            markers[item.id],
            {
                "rejected": refused.get(item.id, 0),
                "message_id": delivery.message_id,
                "archived_at": firestore.SERVER_TIMESTAMP,
                "expires_at": now() + MARKER_TTL,
            },
        )
        if n % MARKERS_PER_COMMIT == 0:
            writes.commit()
            writes = db.batch()
    if len(todo) % MARKERS_PER_COMMIT:
        writes.commit()
    logger.info(
        "archived %d items: %d rows, %d rejected",
        len(todo),
        rows - len(rejected),
        len(rejected),
        extra={
            "json_fields": {
                "items": len(todo),
                "duplicates": len(done),
                "rows": rows,
                "rejected": len(rejected),
                "run_id": batch.run_id,
            }
        },
    )
    return Archived(rows=rows - len(rejected), rejected=len(rejected), duplicates=len(done))


MARKERS_PER_COMMIT = 500  # Firestore's limit on writes in one commit


def _per_item(rejected: list[bq.RejectedRow]) -> dict[str, int]:
    """Rejected rows per item id (a mention row's id is ``<item_id>:<symbol>``)."""
    out: dict[str, int] = {}
    for row in rejected:
        item_id = row.row_id.split(":", 1)[0]
        out[item_id] = out.get(item_id, 0) + 1
    return out


def _dead_letter(rejected: list[bq.RejectedRow], delivery: Delivery, publisher: Publisher) -> None:
    """Rejected rows go to the subscription's dead-letter topic, one message per row, with
    BigQuery's reasons: inspect and replay from ``reddit-items-archive-dead-letter-hold``."""
    subscription = topics.subscription_for(FUNCTION)
    for row in rejected:
        logger.error(
            "BigQuery rejected row %s of %s: %s",
            row.row_id,
            row.table,
            row.errors,
            extra={
                "json_fields": {"item_id": row.row_id.split(":", 1)[0], "table": row.table, "errors": list(row.errors)}
            },
        )
    futures = [
        publisher.publish_raw(
            topics.dead_letter_topic(subscription),
            json.dumps({"table": row.table, "row_id": row.row_id, "row": row.row}).encode(),
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


def _process(batch: ItemBatch, delivery: Delivery, settings: Settings) -> None:
    archive_batch(
        batch,
        delivery,
        settings=settings,
        db=fs.get_client(settings.project_id),
        client=bq.get_client(settings),
        publisher=publisher_for(settings),
    )


archive = pubsub_function("archive", ItemBatch, _process)
