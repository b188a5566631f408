"""The archive's records, one document per subreddit and hour, against the real Firestore
emulator and bqemulator, in process: redelivery, an item sent again, batches racing for one
group, and a group past its bounds."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud import firestore

from common import history
from common.adapters import bigquery as bq
from common.adapters import firestore as fs
from common.adapters.pubsub import get_publisher
from common.entrypoint import Delivery
from common.messages import ItemBatch, RedditItem
from common.settings import Settings
from devtools import firestore_ops
from emulators.stack import Stack
from functions.archive import markers
from functions.archive.main import Archived, archive_batch, archived_ids

CREATED = 1_700_000_000.0  # 2023-11-14T22:13:20Z: every item below is of that hour unless moved


@dataclass
class Archive:
    """archive_batch in this process, on a Firestore client whose operations are counted."""

    settings: Settings
    db: firestore.Client
    subreddit: str  # unique per test: BigQuery is not cleared between tests

    def run(self, items: list[RedditItem], message_id: str = "", client: Any = None) -> Archived:
        return archive_batch(
            ItemBatch(items=tuple(items)),
            Delivery(message_id or uuid.uuid4().hex),
            settings=self.settings,
            db=self.db,
            client=client or bq.get_client(self.settings),
            publisher=get_publisher(self.settings.project_id),
        )

    def item(self, hours: int = 0) -> RedditItem:
        item_id = f"t1_{uuid.uuid4().hex[:10]}"
        return RedditItem(
            id=item_id,
            kind="comment",
            subreddit=self.subreddit,
            author="someone",
            body="$GME to the moon",
            permalink=f"/r/{self.subreddit}/comments/x/{item_id}/",
            created_utc=CREATED + hours * 3600,
            tickers=("GME",),
        )

    def rows(self, items: list[RedditItem]) -> list[int]:
        """``reddit_items`` rows of each item."""
        table = bq.table_ref(self.settings, history.REDDIT_ITEMS)
        sql = f"SELECT id, COUNT(*) AS n FROM `{table}` WHERE id IN UNNEST(@ids) GROUP BY id"
        ids = bq.bigquery.ArrayQueryParameter("ids", "STRING", [item.id for item in items])
        config = bq.bigquery.QueryJobConfig(query_parameters=[ids])
        counts = {row["id"]: int(row["n"]) for row in bq.get_client(self.settings).query(sql, job_config=config)}
        return [counts.get(item.id, 0) for item in items]

    def ops(self) -> tuple[int, int]:
        totals = fs.totals()
        return totals.reads, totals.writes

    def doc(self, key: str) -> dict[str, Any]:
        return self.db.collection(fs.ARCHIVED).document(key).get().to_dict() or {}


@pytest.fixture
def archive(emulators: Stack) -> Iterator[Archive]:
    assert emulators.emulators
    settings = Settings(
        project_id=emulators.emulators.project, bigquery_emulator_host=emulators.emulators.bigquery_host
    )
    db = firestore.Client(project=settings.project_id)
    firestore_ops.wrap(db)
    yield Archive(settings, db, f"sub{uuid.uuid4().hex[:12]}")


def _spent(archive: Archive, before: tuple[int, int]) -> tuple[int, int]:
    reads, writes = archive.ops()
    return reads - before[0], writes - before[1]


def test_a_fetch_runs_batch_costs_one_read_and_one_write_per_hour_and_its_redelivery_inserts_nothing(
    archive: Archive,
) -> None:
    items = [archive.item() for _ in range(9)] + [archive.item(hours=-1) for _ in range(2)]
    before = archive.ops()
    assert archive.run(items, "m1") == Archived(rows=22, rejected=0)  # an item row and a mention row each
    # two hours: two groups read, two written; and the message noted as worked on
    assert _spent(archive, before) == (2, 3)
    before = archive.ops()
    assert archive.run(items, "m1") == Archived(rows=0, rejected=0, duplicates=11)
    # the groups read again, nothing inserted; one write moves the attempt record's expiry, so
    # a batch held and replayed twice still finds it
    assert _spent(archive, before) == (2, 1)
    assert archive.rows(items) == [1] * 11
    assert archived_ids(archive.db, items) == {i.id for i in items}
    group = markers.group_of(items[0])
    assert group == f"{archive.subreddit}-2023111422"
    assert set(markers.decode(archive.doc(group)[markers.IDS])) == {i.id for i in items[:9]}
    assert archive.doc(group)["expires_at"] > datetime.now(UTC) + timedelta(days=7)


def test_an_item_sent_again_in_another_batch_is_skipped_and_the_batchs_new_items_land(archive: Archive) -> None:
    first, again, new = archive.item(), archive.item(), archive.item()
    archive.run([first, again])
    assert archive.run([again, new, new]) == Archived(rows=2, rejected=0, duplicates=1)
    assert archive.rows([first, again, new]) == [1, 1, 1]
    assert archived_ids(archive.db, [first, again, new]) == {first.id, again.id, new.id}


class _InsertingFirst:
    """A BigQuery client that, at the first insert of the batch it serves, lets ``before``
    run: a batch that reads and commits the same group between this batch's read and its
    commit, as a concurrent delivery does."""

    def __init__(self, client: Any, before: Any) -> None:
        self._client, self._before = client, before

    def insert_rows_json(self, *args: Any, **kwargs: Any) -> Any:
        before, self._before = self._before, None
        if before is not None:
            before()
        return self._client.insert_rows_json(*args, **kwargs)


def test_two_batches_of_one_group_both_land_when_one_commits_between_the_others_read_and_commit(
    archive: Archive,
) -> None:
    one, two = [archive.item(), archive.item()], [archive.item(), archive.item()]
    before = archive.ops()
    racing = _InsertingFirst(bq.get_client(archive.settings), lambda: archive.run(two, "two"))
    assert archive.run(one, "one", client=racing) == Archived(rows=4, rejected=0)
    # one read, then two's read and commit, then one's commit refused, its re-read, its commit
    # (and each message noted as worked on)
    assert _spent(archive, before) == (3, 4)
    assert archived_ids(archive.db, one + two) == {i.id for i in one + two}
    assert archive.rows(one + two) == [1, 1, 1, 1]
    assert archive.run(one + two) == Archived(rows=0, rejected=0, duplicates=4)


def test_a_group_past_its_heads_bound_continues_in_shards_and_still_knows_what_its_head_holds(
    archive: Archive,
) -> None:
    items = [archive.item() for _ in range(11)]
    group = markers.group_of(items[0])
    recorded = items[0]  # archived before the head filled up: its rows are not sent again
    full = {recorded.id: 0, **{f"t1_{n:07d}": 0 for n in range((markers.HEAD_MAX_BYTES - 30) // 15)}}
    assert markers.size(full) <= markers.HEAD_MAX_BYTES < markers.size({**full, items[1].id: 0})
    expires = datetime.now(UTC) + timedelta(days=8)
    archive.db.collection(fs.ARCHIVED).document(group).set(markers.to_doc(markers.Marker(full, 0, expires)))

    assert archive.run(items, "split") == Archived(rows=20, rejected=0, duplicates=1)
    head = markers.from_doc(archive.doc(group))
    assert (head.entries, head.shards) == (full, markers.SHARDS)
    shards = {markers.shard_key(group, i.id, markers.SHARDS) for i in items[1:]}
    assert len(shards) > 1
    assert sorted(i for key in shards for i in markers.decode(archive.doc(key)[markers.IDS])) == sorted(
        i.id for i in items[1:]
    )
    assert archive.rows(items) == [0] + [1] * 10

    more = [archive.item() for _ in range(3)]
    assert archive.run(items + more, "split") == Archived(rows=6, rejected=0, duplicates=11)
    assert archive.rows(items + more) == [0] + [1] * 13
    assert archived_ids(archive.db, items + more) == {i.id for i in items + more}


def test_a_batch_whose_shard_is_full_raises_before_any_row_is_written(archive: Archive) -> None:
    items = [archive.item() for _ in range(3)]
    group = markers.group_of(items[0])
    key = markers.shard_key(group, items[0].id, markers.SHARDS)
    full = {f"t1_{n:07d}": 0 for n in range((markers.SHARD_MAX_BYTES - 1) // 15)}
    assert markers.size({**full, items[0].id: 0}) > markers.SHARD_MAX_BYTES
    expires = datetime.now(UTC) + timedelta(days=8)
    collection = archive.db.collection(fs.ARCHIVED)
    collection.document(group).set(markers.to_doc(markers.Marker({}, markers.SHARDS, expires)))
    collection.document(key).set(markers.to_doc(markers.Marker(full, 0, expires)))
    with pytest.raises(markers.GroupFull):
        archive.run(items)
    assert archive.rows(items) == [0, 0, 0]
    assert archived_ids(archive.db, items) == set()
