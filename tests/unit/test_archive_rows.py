"""What the archive writes: rows that fit the Terraform-deployed schemas exactly."""

import json
import time
from typing import Any

import pytest

from common import history
from common.adapters import bigquery as bq
from common.messages import RedditItem
from common.settings import Settings
from emulators import tfmodel

ITEM = RedditItem(
    id="t3_abc",
    kind="post",
    subreddit="wallstreetbets",
    author="someone",
    title="$GME to the moon",
    body="also $AMC",
    permalink="/r/wallstreetbets/comments/abc/",
    created_utc=1_700_000_000.5,
    tickers=("GME", "AMC", "GME"),
    run_id="run-1",
)


def _columns(table: str) -> list[str]:
    return [field["name"] for field in tfmodel.load().bigquery_tables[table].schema]


def test_an_item_row_has_exactly_the_reddit_items_columns_in_schema_order() -> None:
    assert list(history.item_row(ITEM)) == _columns(history.REDDIT_ITEMS) == list(history.ITEM_COLUMNS)


def test_every_reddit_item_field_is_archived_so_adding_one_means_adding_a_column() -> None:
    assert set(RedditItem.model_fields) <= set(history.ITEM_COLUMNS)


def test_a_mention_row_has_exactly_the_mentions_columns() -> None:
    assert list(history.mention_row(ITEM, "GME")) == _columns(history.MENTIONS)


def test_an_item_becomes_one_insert_per_table_with_one_mention_per_distinct_ticker() -> None:
    items, mentions = history.rows_for(ITEM)
    assert (items.table, items.row_ids) == ("reddit_items", ("t3_abc",))
    assert items.rows[0]["tickers"] == ["GME", "AMC"]
    assert items.rows[0]["created_at"] == "2023-11-14T22:13:20.500000+00:00"
    assert (mentions.table, mentions.row_ids) == ("mentions", ("t3_abc:GME", "t3_abc:AMC"))
    assert [r["symbol"] for r in mentions.rows] == ["GME", "AMC"]


def test_insert_ids_are_the_same_for_a_redelivered_item() -> None:
    again = RedditItem.model_validate(ITEM.model_dump())
    assert [b.row_ids for b in history.rows_for(again)] == [b.row_ids for b in history.rows_for(ITEM)]


def test_an_item_without_tickers_writes_only_its_own_row() -> None:
    [only] = history.rows_for(ITEM.model_copy(update={"tickers": ()}))
    assert only.table == history.REDDIT_ITEMS


def test_hourly_buckets_carry_the_hour_key_and_come_oldest_first() -> None:
    rows: list[dict[str, Any]] = [
        {
            "start_utc": 1_700_003_600,
            "mentions": 1,
            "posts": 0,
            "comments": 1,
            "distinct_authors": 1,
            "score": None,
            "num_comments": None,
        },
        {
            "start_utc": 1_699_999_200,
            "mentions": 2,
            "posts": 1,
            "comments": 1,
            "distinct_authors": 2,
            "score": 5,
            "num_comments": 3,
        },
    ]
    where = [
        {"start_utc": 1_699_999_200, "subreddit": "stocks", "mentions": 1},
        {"start_utc": 1_699_999_200, "subreddit": "wallstreetbets", "mentions": 1},
    ]
    buckets = history.hourly_buckets(rows, where)
    assert [b["hour"] for b in buckets] == ["2023111422", "2023111423"]
    assert buckets[1]["score"] == 0
    assert buckets[0]["mentions"] == 2
    assert buckets[0]["subreddits"] == {"stocks": 1, "wallstreetbets": 1} and buckets[1]["subreddits"] == {}
    # what the archive cannot rebuild is unknown, never a zero that reads as "no pump signal"
    assert all(b[name] is None for b in buckets for name in history.NOT_ARCHIVED)


def test_values_the_message_accepts_but_bigquery_cannot_hold_make_an_item_unarchivable() -> None:
    assert history.unarchivable(ITEM) is None
    assert "author_karma" in str(history.unarchivable(ITEM.model_copy(update={"author_karma": 2**63})))
    assert "created_utc" in str(history.unarchivable(ITEM.model_copy(update={"created_utc": float("nan")})))
    assert "created_utc" in str(history.unarchivable(ITEM.model_copy(update={"created_utc": 1e12})))
    assert history.unarchivable(ITEM.model_copy(update={"score": -(2**63)})) is None


@pytest.mark.parametrize("made", [float("nan"), float("inf"), 1e300, -1e300])
def test_an_account_time_that_is_no_time_loses_that_column_not_the_item(made: float) -> None:
    item = ITEM.model_copy(update={"author_created_utc": made})
    assert history.unarchivable(item) is None
    row = history.rows_for_items([item])[0].rows[0]
    assert row["author_created_utc"] is None
    assert (row["id"], row["tickers"]) == (ITEM.id, list(history.symbols(ITEM)))
    ok = ITEM.model_copy(update={"author_created_utc": 1.6e9})
    assert history.rows_for_items([ok])[0].rows[0]["author_created_utc"] == 1.6e9


def test_only_a_row_invalid_in_itself_is_refused_and_a_row_skipped_for_a_passing_reason_is_retried() -> None:
    rows = history.rows_for_items([ITEM])[0]
    invalid = [{"index": 0, "errors": [{"reason": "invalid", "message": "Cannot convert value to integer"}]}]
    [refused] = bq.refused(rows, invalid)
    assert (refused.table, refused.row_id, refused.errors[0]["reason"]) == (rows.table, rows.row_ids[0], "invalid")
    assert bq.refused(rows, []) == []
    for reason in ("backendError", "timeout", "stopped", ""):  # BigQuery skipped it; the row is fine
        with pytest.raises(bq.RowsNotStored, match=rows.table):
            bq.refused(rows, [{"index": 0, "errors": [{"reason": reason}]}])
    # a column added by the deploy that streaming does not know yet: retried, not thrown away
    with pytest.raises(bq.RowsNotStored, match="no such field: flair"):  # the log says which column
        bq.refused(rows, [{"index": 0, "errors": [{"reason": "invalid", "message": "no such field: flair."}]}])


class Recording:
    """insertAll as BigQuery answers it: each request's size kept, one row refused."""

    def __init__(self, refuse: str) -> None:
        self.sizes: list[int] = []
        self.refuse = refuse

    def insert_rows_json(self, table: Any, rows: list[dict[str, Any]], row_ids: list[str], **_: Any) -> list[Any]:
        self.sizes.append(sum(len(json.dumps(r)) for r in rows))
        return [
            {"index": i, "errors": [{"reason": "invalid", "message": "Cannot convert"}]}
            for i, row_id in enumerate(row_ids)
            if row_id == self.refuse
        ]


def test_a_batch_too_big_for_one_request_as_encoded_goes_in_several_and_refusals_keep_their_rows() -> None:
    """Non-ASCII is escaped on the wire (an emoji is 12 bytes): a batch Pub/Sub carries whole
    can be twice insertAll's 10 MB limit."""
    items = [ITEM.model_copy(update={"id": f"t3_big{i}", "body": "🚀" * 150_000 + "$GME"}) for i in range(6)]
    rows = history.rows_for_items(items)[0]
    client = Recording(refuse=rows.row_ids[4])
    [refused] = bq.insert(client, Settings(), rows)
    assert len(client.sizes) > 1 and max(client.sizes) <= bq.REQUEST_BYTES_MAX
    assert refused.row_id == rows.row_ids[4] and refused.row["id"] == "t3_big4"
    too_big = ITEM.model_copy(update={"id": "t3_huge", "body": "🚀" * 800_000})
    [alone] = bq.insert(Recording(refuse=""), Settings(), history.rows_for_items([too_big])[0])
    assert "insertAll" in alone.errors[0]["message"]


class Timing(Recording):
    """insertAll recording the request timeout and retry deadline each call was given."""

    def __init__(self) -> None:
        super().__init__(refuse="")
        self.bounds: list[tuple[float, float]] = []

    def insert_rows_json(self, table: Any, rows: list[dict[str, Any]], row_ids: list[str], **kw: Any) -> list[Any]:
        self.bounds.append((kw["timeout"], kw["retry"].deadline))
        return super().insert_rows_json(table, rows, row_ids)


def test_a_deliverys_bigquery_calls_end_by_its_deadline_and_a_spent_budget_raises() -> None:
    """Each call's own bounds (30 s a request, 60 s of retries) add up past the function's
    timeout over a delivery's several calls: near the deadline they shrink to what is left."""
    rows = history.rows_for_items([ITEM])[0]
    client = Timing()
    bq.insert(client, Settings(), rows)
    bq.insert(client, Settings(), rows, deadline=time.monotonic() + 10)
    bq.insert(client, Settings(), rows, deadline=time.monotonic() + 40)
    (free_timeout, free_retry), *near = client.bounds
    assert (free_timeout, free_retry) == (bq.REQUEST_TIMEOUT_S, bq.RETRY_DEADLINE_S)
    # the retry may start an attempt until its deadline, and that attempt may take the whole
    # request timeout: the two together end by the budget, with room for a retry in it
    assert [timeout + retry <= budget for (timeout, retry), budget in zip(near, (10, 40), strict=True)] == [True, True]
    assert [retry >= timeout > 0 for timeout, retry in near] == [True, True]
    with pytest.raises(TimeoutError):
        bq.insert(client, Settings(), rows, deadline=time.monotonic() + 0.5)
    assert len(client.bounds) == 3  # nothing sent once the budget is spent


def test_a_refused_row_is_dead_lettered_in_a_body_a_message_can_carry() -> None:
    from functions.archive.main import DEAD_LETTER_BYTES_MAX, dead_letter_body

    def refused(body: str) -> bq.RejectedRow:
        return bq.RejectedRow(history.REDDIT_ITEMS, "t3_x", {"id": "t3_x", "body": body}, ({"reason": "invalid"},))

    # 3.6 MB of emoji: 10.8 MB escaped, as the BigQuery client sends it and json.dumps writes by default
    emoji = refused("\U0001f680" * 900_000)
    assert len(json.dumps(emoji.row)) > 10_000_000
    kept = dead_letter_body(emoji)
    assert len(kept) <= DEAD_LETTER_BYTES_MAX
    assert json.loads(kept)["row"] == emoji.row  # the row itself, written as short as it reads
    # too big for any message: its table and id, and its size, without the row
    huge = refused("\U0001f680" * 2_500_000)
    body = json.loads(dead_letter_body(huge))
    assert (body["table"], body["row_id"], body["row"]) == (history.REDDIT_ITEMS, "t3_x", None)
    assert body["body_bytes"] > DEAD_LETTER_BYTES_MAX


def test_a_dead_letter_body_keeps_a_lone_surrogate_as_its_escape() -> None:
    """JSON may carry a lone surrogate (a hand-published batch); written as UTF-8 it would
    raise, and the message would fail on every retry instead of going to the hold."""
    from functions.archive.main import _compact

    body = _compact({"items": [{"id": "t3_x", "subreddit": "", "title": "\ud83d"}]})
    assert json.loads(body)["items"][0]["title"] == "\ud83d"
