"""The BigQuery history as plain data: the rows the archive writes for one Reddit item,
and the hourly series the API reads back for ranges longer than Firestore keeps.

Table and column names match terraform/bigquery.tf and terraform/schemas/*.json
(tests/unit/test_terraform_agreement.py and tests/unit/test_archive_rows.py check both).
Insert ids are deterministic (item id, ``item_id:symbol``), so production's best-effort
insertAll de-duplication sees a redelivered item as the same rows.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from common.messages import RedditItem
from common.timekeys import hour_key

REDDIT_ITEMS: Final = "reddit_items"
MENTIONS: Final = "mentions"
TABLES: Final = (REDDIT_ITEMS, MENTIONS)

# Partitioning column and clustering of each table (terraform/bigquery.tf has the same).
PARTITION_FIELD: Final = "created_at"
CLUSTERING: Final[dict[str, tuple[str, ...]]] = {REDDIT_ITEMS: ("subreddit",), MENTIONS: ("symbol", "subreddit")}


@dataclass(frozen=True)
class TableRows:
    """Rows bound for one table in one insert call, each with its insert id."""

    table: str
    rows: tuple[dict[str, Any], ...]
    row_ids: tuple[str, ...]


INT64_MAX: Final = 2**63 - 1
TIMESTAMP_MAX: Final = 253_402_300_799  # 9999-12-31T23:59:59Z, BigQuery's largest TIMESTAMP


def unarchivable(item: RedditItem) -> str | None:
    """Why BigQuery could never store ``item`` (None when it can): values the message model
    accepts but the table types cannot hold. Such an item is dead-lettered, not retried."""
    if not 0 <= item.created_utc <= TIMESTAMP_MAX:  # also false for NaN
        return f"created_utc {item.created_utc!r} is not a TIMESTAMP"
    for name in ("score", "num_comments", "author_karma"):
        value = getattr(item, name)
        if value is not None and not -INT64_MAX - 1 <= value <= INT64_MAX:
            return f"{name} {value!r} does not fit an INTEGER"
    return None


def timestamp(created_utc: float) -> str:
    """BigQuery TIMESTAMP text of an epoch-seconds time (the partitioning column)."""
    return datetime.fromtimestamp(created_utc, UTC).isoformat()


def symbols(item: RedditItem) -> tuple[str, ...]:
    """The item's tickers, each once, in the order they were found."""
    return tuple(dict.fromkeys(t.upper() for t in item.tickers if t))


# The reddit_items columns, in schema order; a RedditItem field not listed here is not
# archived (tests/unit/test_archive_rows.py makes adding one a decision, not an accident).
ITEM_COLUMNS: Final = (
    "id",
    "kind",
    "subreddit",
    "author",
    "author_created_utc",
    "author_karma",
    "title",
    "body",
    "url",
    "permalink",
    "flair",
    "score",
    "num_comments",
    "created_utc",
    "created_at",
    "parent_id",
    "link_id",
    "tickers",
    "run_id",
)


def account_made(author_created_utc: float | None) -> float | None:
    """The account's creation time as archived: None for a value that is no time at all (NaN,
    or 2⁶³ s from 1970, which a FLOAT holds but no reader of the history could use). Only that
    column is lost: the item's text and tickers are history all the same."""
    if author_created_utc is None or not -INT64_MAX <= author_created_utc <= INT64_MAX:
        return None
    return author_created_utc


def item_row(item: RedditItem) -> dict[str, Any]:
    data = item.model_dump(mode="json")
    data["author_created_utc"] = account_made(item.author_created_utc)
    data["tickers"] = list(symbols(item))
    data["created_at"] = timestamp(item.created_utc)
    return {column: data.get(column) for column in ITEM_COLUMNS}


def mention_row(item: RedditItem, symbol: str) -> dict[str, Any]:
    return {
        "item_id": item.id,
        "symbol": symbol,
        "kind": item.kind,
        "subreddit": item.subreddit,
        "author": item.author,
        "created_utc": item.created_utc,
        "created_at": timestamp(item.created_utc),
        "score": item.score,
        "num_comments": item.num_comments,
        "permalink": item.permalink,
        "run_id": item.run_id,
    }


def rows_for(item: RedditItem) -> list[TableRows]:
    """One insert per table: the item's row, and one mention row per ticker (if any)."""
    out = [TableRows(REDDIT_ITEMS, (item_row(item),), (item.id,))]
    tickers = symbols(item)
    if tickers:
        out.append(
            TableRows(
                MENTIONS,
                tuple(mention_row(item, s) for s in tickers),
                tuple(f"{item.id}:{s}" for s in tickers),
            )
        )
    return out


def rows_for_items(items: Iterable[RedditItem]) -> list[TableRows]:
    """The rows of many items, one :class:`TableRows` per table (one insert call each)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    ids: dict[str, list[str]] = {}
    for item in items:
        for table in rows_for(item):
            rows.setdefault(table.table, []).extend(table.rows)
            ids.setdefault(table.table, []).extend(table.row_ids)
    return [TableRows(name, tuple(rows[name]), tuple(ids[name])) for name in TABLES if name in rows]


# The insert ids (TableRows.row_ids) among ``@ids`` whose rows a table already holds, for a
# redelivered message whose earlier attempt may have inserted them before it could record
# them. The created_at range meets ``require_partition_filter`` and prunes partitions.
STORED_ROW_IDS_SQL: Final = {
    REDDIT_ITEMS: "SELECT DISTINCT id AS row_id FROM `{table}` "
    "WHERE created_at >= @start AND created_at <= @end AND id IN UNNEST(@ids)",
    MENTIONS: "SELECT DISTINCT CONCAT(item_id, ':', symbol) AS row_id FROM `{table}` "
    "WHERE created_at >= @start AND created_at <= @end AND item_id IN UNNEST(@ids)",
}


def without(batch: TableRows, stored: set[str]) -> TableRows:
    """``batch`` less the rows whose insert id is in ``stored``."""
    keep = [i for i, row_id in enumerate(batch.row_ids) if row_id not in stored]
    return TableRows(batch.table, tuple(batch.rows[i] for i in keep), tuple(batch.row_ids[i] for i in keep))


# Hourly series of one ticker. Rows are first reduced to one per item, so a row that
# reached BigQuery twice (insertAll de-duplicates only best-effort, for about a minute)
# is still counted once. ``require_partition_filter`` is met by the created_at range.
HOURLY_MENTIONS_SQL: Final = """
WITH items AS (
  SELECT item_id,
         ANY_VALUE(kind) AS kind,
         ANY_VALUE(author) AS author,
         ANY_VALUE(created_at) AS created_at,
         MAX(score) AS score,
         MAX(num_comments) AS num_comments
  FROM `{table}`
  WHERE symbol = @symbol AND created_at >= @start AND created_at < @end
  GROUP BY item_id
)
SELECT UNIX_SECONDS(TIMESTAMP_TRUNC(created_at, HOUR)) AS start_utc,
       COUNT(*) AS mentions,
       COUNTIF(kind = 'post') AS posts,
       COUNTIF(kind = 'comment') AS comments,
       COUNT(DISTINCT author) AS distinct_authors,
       SUM(score) AS score,
       SUM(num_comments) AS num_comments
FROM items
GROUP BY start_utc
ORDER BY start_utc
"""


# Where the same ticker's mentions of each hour were, one row per (hour, subreddit): the
# buckets' ``subreddits`` counts.
HOURLY_SUBREDDITS_SQL: Final = """
WITH items AS (
  SELECT item_id,
         ANY_VALUE(subreddit) AS subreddit,
         ANY_VALUE(created_at) AS created_at
  FROM `{table}`
  WHERE symbol = @symbol AND created_at >= @start AND created_at < @end
  GROUP BY item_id
)
SELECT UNIX_SECONDS(TIMESTAMP_TRUNC(created_at, HOUR)) AS start_utc,
       subreddit,
       COUNT(*) AS mentions
FROM items
GROUP BY start_utc, subreddit
"""

# Bucket counters aggregate derives from what fetch read about each text and its author (DD,
# the account's age then, near-duplicates, sentiment); the archive keeps the items, not
# those readings, so its hours answer None for them: unknown, not zero.
NOT_ARCHIVED: Final = ("dd_posts", "new_account_mentions", "duplicate_mentions", "bullish", "bearish")


def hourly_buckets(
    rows: Iterable[Mapping[str, Any]], subreddit_rows: Iterable[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """Query rows as the API's hourly dicts (``hour``, ``start_utc`` and the counters the
    Firestore buckets also have, None for the ones the archive cannot rebuild), oldest first."""
    where: dict[int, dict[str, int]] = {}
    for row in subreddit_rows:
        where.setdefault(int(row["start_utc"]), {})[str(row["subreddit"])] = int(row["mentions"])
    out = []
    for row in rows:
        start = int(row["start_utc"])
        out.append(
            {
                "hour": hour_key(start),
                "start_utc": start,
                "mentions": int(row["mentions"]),
                "posts": int(row["posts"]),
                "comments": int(row["comments"]),
                "distinct_authors": int(row["distinct_authors"]),
                "score": int(row["score"] or 0),
                "num_comments": int(row["num_comments"] or 0),
                "subreddits": where.get(start, {}),
                **dict.fromkeys(NOT_ARCHIVED),
            }
        )
    return sorted(out, key=lambda b: b["start_utc"])
