"""Reddit items through the real Pub/Sub emulator into the running archive, and out of the
BigQuery emulator (bqemulator) exactly once, whatever Pub/Sub delivers twice."""

import base64
import json
import time
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import google.cloud.pubsub_v1 as pubsub_v1
import pytest

from common import history, topics
from common.adapters import bigquery as bq
from common.adapters import firestore as fs
from common.messages import ItemBatch, RedditItem, encode
from common.settings import Settings
from devtools.pubsub import Observer
from emulators.stack import Stack
from functions.archive.main import archived_ids, attempt_key

CREATED = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def _settings(stack: Stack) -> Settings:
    assert stack.emulators
    return Settings(project_id=stack.emulators.project, bigquery_emulator_host=stack.emulators.bigquery_host)


def _item(**changes: Any) -> RedditItem:
    item_id = f"t3_{uuid.uuid4().hex[:10]}"
    fields: dict[str, Any] = {
        "id": item_id,
        "kind": "post",
        "subreddit": "wallstreetbets",
        "author": "someone",
        "title": "$GME and $AMC",
        "permalink": f"/r/wallstreetbets/comments/{item_id}/",
        "created_utc": CREATED,
        "tickers": ("GME", "AMC"),
        **changes,
    }
    return RedditItem(**fields)


def _publish(stack: Stack, *items: RedditItem) -> str:
    assert stack.emulators
    publisher = pubsub_v1.PublisherClient()
    topic = publisher.topic_path(stack.emulators.project, topics.REDDIT_ITEMS)
    return str(publisher.publish(topic, encode(ItemBatch(items=items))).result(timeout=10))


def _count(stack: Stack, table: str, column: str, value: str) -> int:
    settings = _settings(stack)
    sql = f"SELECT COUNT(*) AS n FROM `{bq.table_ref(settings, table)}` WHERE {column} = @value"
    config = bq.bigquery.QueryJobConfig(query_parameters=[bq.bigquery.ScalarQueryParameter("value", "STRING", value)])
    return int(next(iter(bq.get_client(settings).query(sql, job_config=config).result()))["n"])


def _wait_archived(stack: Stack, item: RedditItem, timeout: float = 30.0) -> None:
    """The archive records the item after its rows are in: wait for that."""
    assert stack.emulators
    db = fs.get_client(stack.emulators.project)
    deadline = time.monotonic() + timeout
    while item.id not in archived_ids(db, [item]):
        if time.monotonic() > deadline:
            pytest.fail(f"{item.id} was not archived within {timeout:.0f}s")
        time.sleep(0.2)


def test_an_item_lands_once_in_reddit_items_and_once_per_ticker_in_mentions(emulators: Stack) -> None:
    item = _item()
    _publish(emulators, item)
    _wait_archived(emulators, item)
    assert _count(emulators, history.REDDIT_ITEMS, "id", item.id) == 1
    assert _count(emulators, history.MENTIONS, "item_id", item.id) == 2


def test_an_item_published_again_after_it_was_archived_is_not_written_twice(emulators: Stack) -> None:
    item = _item()
    _publish(emulators, item)
    _wait_archived(emulators, item)
    duplicate_id = _publish(emulators, item)  # what a retried fetch or a redelivery produces
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _ignored(emulators, duplicate_id):
        time.sleep(0.2)
    assert _ignored(emulators, duplicate_id), "the duplicate was never delivered"
    assert _count(emulators, history.REDDIT_ITEMS, "id", item.id) == 1
    assert _count(emulators, history.MENTIONS, "item_id", item.id) == 2


def _push(stack: Stack, item: RedditItem, message_id: str) -> int:
    """Deliver ``item`` to the running archive exactly as a Pub/Sub push does (same envelope,
    same message id on every delivery)."""
    envelope = {
        "message": {
            "data": base64.b64encode(encode(ItemBatch(items=(item,)))).decode(),
            "messageId": message_id,
            "publishTime": "2023-11-14T22:13:21Z",
        },
        "subscription": "projects/akleao-local/subscriptions/reddit-items-archive",
    }
    request = urllib.request.Request(
        stack.services["archive"].url + "/",
        data=json.dumps(envelope).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(response.status)


def test_the_same_message_delivered_again_writes_its_rows_once(emulators: Stack) -> None:
    item, message_id = _item(), f"redelivered-{uuid.uuid4().hex[:8]}"
    assert _push(emulators, item, message_id) == 200
    assert _push(emulators, item, message_id) == 200  # Pub/Sub redelivers with the same id
    assert _count(emulators, history.REDDIT_ITEMS, "id", item.id) == 1
    assert _count(emulators, history.MENTIONS, "item_id", item.id) == 2
    assert _ignored(emulators, message_id)


def _ignored(stack: Stack, message_id: str) -> bool:
    """Whether the archive logged message ``message_id`` as an already archived item."""
    for line in stack.services["archive"].log_path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("message_id") == message_id and "redelivery ignored" in entry.get("message", ""):
            return True
    return False


def test_the_emulator_keeps_both_rows_of_a_repeated_insert_id_so_the_marker_is_what_dedupes(
    emulators: Stack,
) -> None:
    """Measured, and the reason for the archived/ records: bqemulator ignores insert ids, and
    production insertAll de-duplicates them only best-effort for about a minute."""
    settings = _settings(emulators)
    [rows, *_] = history.rows_for(_item(tickers=()))
    client = bq.get_client(settings)
    assert bq.insert(client, settings, rows) == []
    assert bq.insert(client, settings, rows) == []
    assert _count(emulators, history.REDDIT_ITEMS, "id", rows.row_ids[0]) == 2


def test_a_row_bigquery_rejects_comes_back_with_its_reason_and_the_valid_rows_still_land(emulators: Stack) -> None:
    settings = _settings(emulators)
    good, bad = _item(tickers=()), _item(tickers=())
    batch = history.TableRows(
        history.REDDIT_ITEMS,
        (history.item_row(good), {**history.item_row(bad), "created_utc": "yesterday"}),
        (good.id, bad.id),
    )
    [rejected] = bq.insert(bq.get_client(settings), settings, batch)
    assert (rejected.table, rejected.row_id) == (history.REDDIT_ITEMS, bad.id)
    assert rejected.errors[0]["reason"] == "invalid"
    assert _count(emulators, history.REDDIT_ITEMS, "id", good.id) == 1
    assert _count(emulators, history.REDDIT_ITEMS, "id", bad.id) == 0


def test_an_account_time_that_is_no_time_is_archived_empty_and_its_item_kept(emulators: Stack) -> None:
    item = _item(author_created_utc=1e300)  # valid JSON, valid RedditItem, not a time BigQuery holds
    _publish(emulators, item)
    _wait_archived(emulators, item)
    settings = _settings(emulators)
    sql = f"SELECT author_created_utc FROM `{bq.table_ref(settings, history.REDDIT_ITEMS)}` WHERE id = @value"
    config = bq.bigquery.QueryJobConfig(query_parameters=[bq.bigquery.ScalarQueryParameter("value", "STRING", item.id)])
    [row] = list(bq.get_client(settings).query(sql, job_config=config).result())
    assert row["author_created_utc"] is None
    assert _count(emulators, history.MENTIONS, "item_id", item.id) == 2


def test_a_batch_stores_its_new_items_skips_the_archived_and_dead_letters_only_the_bad_one(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    dead = observe(topics.dead_letter_topic("reddit-items-archive"))
    archived, fresh = _item(), _item(tickers=("TSLA",))
    bad = _item().model_copy(update={"created_utc": 1e12})  # published by a release that read times loosely
    _publish(emulators, archived)
    _wait_archived(emulators, archived)
    _publish(emulators, archived, fresh, bad, fresh)  # one message, the fresh item twice
    _wait_archived(emulators, fresh)
    [message] = dead.pull(expected=1, timeout=30, settle=1.0)
    assert [i["id"] for i in message.json()["items"]] == [bad.id]
    assert [_count(emulators, history.REDDIT_ITEMS, "id", i.id) for i in (archived, fresh, bad)] == [1, 1, 0]
    assert _count(emulators, history.MENTIONS, "item_id", fresh.id) == 1


def test_an_item_that_does_not_read_as_an_item_is_dead_lettered_alone_and_its_batch_archived(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """A release that reads a field more strictly, or a batch published by hand: one bad item
    dead-lettered the whole batch (100 items) and the history lost the other 99."""
    assert emulators.emulators
    dead = observe(topics.dead_letter_topic("reddit-items-archive"))
    good = [_item(), _item(tickers=("TSLA",))]
    bad = {**good[0].model_dump(mode="json"), "id": f"t3_{uuid.uuid4().hex[:10]}", "subreddit": ""}
    payload = {"run_id": "by-hand", "items": [good[0].model_dump(mode="json"), bad, good[1].model_dump(mode="json")]}
    publisher = pubsub_v1.PublisherClient()
    topic = publisher.topic_path(emulators.emulators.project, topics.REDDIT_ITEMS)
    source_id = publisher.publish(topic, json.dumps(payload).encode()).result(timeout=10)
    for item in good:
        _wait_archived(emulators, item)
    [message] = dead.pull(expected=1, timeout=30, settle=1.0)
    assert message.attributes["source_message_id"] == source_id and "subreddit" in message.attributes["error"]
    assert [i["id"] for i in message.json()["items"]] == [bad["id"]]  # a batch of its own, replayable
    assert [_count(emulators, history.REDDIT_ITEMS, "id", i.id) for i in good] == [1, 1]


def test_the_hourly_history_counts_each_item_once_even_if_its_rows_landed_twice(emulators: Stack) -> None:
    settings = _settings(emulators)
    client = bq.get_client(settings)
    symbol = f"Z{uuid.uuid4().hex[:5].upper()}"
    post = _item(tickers=(symbol,), author="a", score=10)
    comment = _item(tickers=(symbol,), kind="comment", author="b", created_utc=CREATED + 3600, num_comments=0)
    for item in (post, post, comment):  # the post's rows twice: insert ids do not help here
        for batch in history.rows_for(item):
            assert bq.insert(client, settings, batch) == []
    hours = bq.BigQueryHours(settings).hours(symbol, int(CREATED) - 2 * 3600, int(CREATED) + 2 * 3600)
    assert [(h["hour"], h["mentions"], h["posts"], h["comments"], h["score"]) for h in hours] == [
        ("2023111422", 1, 1, 0, 10),
        ("2023111423", 1, 0, 1, 0),
    ]


def test_a_redelivery_after_an_attempt_died_between_its_insert_and_its_record_inserts_nothing_again(
    emulators: Stack,
) -> None:
    """What a kill -9 (or a timeout) between the insert and the record leaves: the rows in
    BigQuery, the batch noted as worked on, the item not recorded. Its redelivery asks
    BigQuery first and inserts only what is missing (here: one of the two mention rows), and
    so does a copy under a new message id (replayed from the dead-letter hold)."""
    assert emulators.emulators is not None
    settings = _settings(emulators)
    item, message_id = _item(), f"died-{uuid.uuid4().hex[:8]}"
    items_rows, mention_rows = history.rows_for(item)
    client = bq.get_client(settings)
    assert bq.insert(client, settings, items_rows) == []
    first_mention = history.TableRows(history.MENTIONS, mention_rows.rows[:1], mention_rows.row_ids[:1])
    assert bq.insert(client, settings, first_mention) == []  # died midway through its inserts
    db = fs.get_client(emulators.emulators.project)
    db.collection(fs.ARCHIVE_ATTEMPTS).document(attempt_key([item])).set({"expires_at": None})
    assert item.id not in archived_ids(db, [item])

    assert _push(emulators, item, message_id) == 200
    assert _count(emulators, history.REDDIT_ITEMS, "id", item.id) == 1
    assert _count(emulators, history.MENTIONS, "item_id", item.id) == 2
    assert item.id in archived_ids(db, [item])
    # each attempt keeps the record a TTL from itself: held and replayed twice, a batch outlives one
    attempt = db.collection(fs.ARCHIVE_ATTEMPTS).document(attempt_key([item])).get().to_dict() or {}
    assert attempt["expires_at"] is not None
    assert attempt["expires_at"].timestamp() > time.time() + fs.REDELIVERY_TTL.total_seconds() - 600
