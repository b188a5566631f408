"""archive: a Reddit item in, its rows in BigQuery (``reddit_items`` and ``mentions``).

Exactly once, even on redelivery: ``archived/{item_id}`` is created after the rows are in,
and an item that has one is skipped. Insert ids alone would not do: production insertAll
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

import functions_framework
from cloudevents.http import CloudEvent
from google.cloud import firestore

from common import history, log, topics
from common.adapters import bigquery as bq
from common.adapters import firestore as fs
from common.adapters.pubsub import Publisher, get_publisher
from common.entrypoint import Delivery, handle
from common.messages import RedditItem
from common.settings import Settings, get_settings

FUNCTION = "archive"
# Pub/Sub keeps a message at most 7 days; the marker outlives any redelivery of it.
MARKER_TTL = timedelta(days=8)

logger = log.get_logger(__name__)


@dataclass(frozen=True)
class Archived:
    rows: int
    rejected: int
    duplicate: bool = False


def archive_item(
    item: RedditItem,
    delivery: Delivery,
    *,
    settings: Settings,
    db: firestore.Client,
    client: bq.Client,
    publisher: Publisher,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Archived:
    """Write ``item``'s rows unless an earlier delivery already did."""
    marker = db.collection(fs.ARCHIVED).document(item.id)
    if marker.get().exists:
        logger.info(
            "item %s already archived; redelivery ignored", item.id, extra={"json_fields": {"item_id": item.id}}
        )
        return Archived(rows=0, rejected=0, duplicate=True)
    reason = history.unarchivable(item)
    if reason is None:
        batches = history.rows_for(item)
        rows = sum(len(b.rows) for b in batches)
        rejected = [row for batch in batches for row in bq.insert(client, settings, batch)]
    else:  # nothing of it could be stored: the whole item is the rejected row
        rows = 1
        rejected = [
            bq.RejectedRow(
                history.REDDIT_ITEMS,
                item.id,
                item.model_dump(mode="json"),
                ({"reason": "invalid", "message": reason},),
            )
        ]
    if rejected:
        _dead_letter(rejected, item, delivery, publisher)
    fs.create_if_absent(
        marker,
        {
            "rows": rows - len(rejected),
            "rejected": len(rejected),
            "message_id": delivery.message_id,
            "archived_at": firestore.SERVER_TIMESTAMP,
            "expires_at": now() + MARKER_TTL,
        },
    )
    logger.info(
        "archived %s: %d rows, %d rejected",
        item.id,
        rows - len(rejected),
        len(rejected),
        extra={"json_fields": {"item_id": item.id, "rows": rows, "rejected": len(rejected)}},
    )
    return Archived(rows=rows - len(rejected), rejected=len(rejected))


def _dead_letter(rejected: list[bq.RejectedRow], item: RedditItem, delivery: Delivery, publisher: Publisher) -> None:
    """Rejected rows go to the subscription's dead-letter topic, one message per row, with
    BigQuery's reasons: inspect and replay from ``reddit-items-archive-dead-letter-hold``."""
    subscription = topics.subscription_for(FUNCTION)
    for row in rejected:
        logger.error(
            "BigQuery rejected row %s of %s: %s",
            row.row_id,
            row.table,
            row.errors,
            extra={"json_fields": {"item_id": item.id, "table": row.table, "errors": list(row.errors)}},
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


def _publisher() -> Publisher:
    return get_publisher(get_settings().project_id)


def _process(item: RedditItem, delivery: Delivery, settings: Settings) -> None:
    archive_item(
        item,
        delivery,
        settings=settings,
        db=fs.get_client(settings.project_id),
        client=bq.get_client(settings),
        publisher=_publisher(),
    )


@functions_framework.cloud_event
def archive(cloud_event: CloudEvent) -> None:
    settings = get_settings()
    log.configure(settings.log_level)
    handle(
        cloud_event,
        function=FUNCTION,
        model=RedditItem,
        process=lambda item, delivery: _process(item, delivery, settings),
        publisher=_publisher,
    )
