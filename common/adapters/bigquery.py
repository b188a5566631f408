"""BigQuery access: a lazily created client (pointed at bqemulator when
``BIGQUERY_EMULATOR_HOST`` is set), streaming inserts with insert ids, and the hourly
history query the API uses beyond what Firestore keeps."""

import importlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials

from common import history
from common.history import TableRows
from common.messages import RedditItem
from common.settings import Settings

# Imported at run time on purpose: once mypy follows google-cloud-bigquery's inline types it
# resolves the google.cloud namespace differently and reports the untyped siblings
# (``from google.cloud import pubsub_v1``) everywhere else. Clients are typed ``Client``.
bigquery: Any = importlib.import_module("google.cloud.bigquery")
Client = Any

# Give up well inside a function's timeout (terraform/functions.tf): Pub/Sub redelivers,
# which beats one invocation retrying for the client's default ten minutes.
RETRY_DEADLINE_S = 60.0
RETRY = bigquery.DEFAULT_RETRY.with_deadline(RETRY_DEADLINE_S)
REQUEST_TIMEOUT_S = 30.0
# All of one API answer's archive reads, retries included: well inside the api's 60 s timeout,
# so a slow archive degrades the answer to Firestore's hours (complete: false) rather than
# ending in the platform's 504 with every retry still pending.
API_READ_BUDGET_S = 20.0
# What one of the api's archive queries may bill: users start them (every ?hours= past a week,
# up to the rate limit), so a query past it fails, and the answer falls back to Firestore.
# 90 days of one symbol, pruned by partition and clustered by symbol, reads a small part of it.
API_QUERY_BYTES_MAX = 10 * 2**30

_lock = threading.Lock()
_clients: dict[tuple[str, str | None], Client] = {}


def get_client(settings: Settings) -> Client:
    """The instance-wide client. The Google client library has no emulator variable of its
    own, so the emulator is reached through an explicit endpoint and anonymous credentials."""
    key = (settings.project_id, settings.bigquery_emulator_host)
    with _lock:
        if key not in _clients:
            if settings.bigquery_emulator_host:
                _clients[key] = bigquery.Client(
                    project=settings.project_id,
                    credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                    client_options=ClientOptions(api_endpoint=f"http://{settings.bigquery_emulator_host}"),
                )
            else:
                _clients[key] = bigquery.Client(project=settings.project_id)
        return _clients[key]


def table_ref(settings: Settings, table: str) -> str:
    return f"{settings.project_id}.{settings.bigquery_dataset}.{table}"


@dataclass(frozen=True)
class RejectedRow:
    """A row BigQuery refused (schema mismatch, bad value): retrying cannot help."""

    table: str
    row_id: str
    row: dict[str, Any]
    errors: tuple[dict[str, Any], ...]


class RowsNotStored(RuntimeError):
    """BigQuery skipped rows for a reason that may pass (``backendError``, ``timeout``,
    ``stopped``): the message must be redelivered, not its rows dead-lettered."""


PERMANENT = frozenset({"invalid"})  # the row itself is wrong: no retry can store it
# ... except a field the table does not have yet: after a deploy that adds a column, streaming
# keeps refusing it for minutes. Retried (and, past the retries, held whole for a replay),
# never dead-lettered row by row as if the row were wrong.
NOT_YET = "no such field"


# insertAll refuses a request over 10 MB, as the client encodes it: JSON with every non-ASCII
# character escaped (an emoji takes 12 bytes), so a batch Pub/Sub carries whole (2,000,000
# characters) can be several times that. Requests are cut below it, room left for the envelope.
REQUEST_BYTES_MAX = 9_000_000


def _encoded_size(row: Mapping[str, Any], row_id: str) -> int:
    return len(json.dumps(row)) + len(row_id) + 64  # the row, its insertId and their wrapping


def _requests(batch: TableRows) -> list[range]:
    """``batch``'s rows cut into insertAll requests under :data:`REQUEST_BYTES_MAX`, in order;
    a row over it alone is a request of its own."""
    out: list[range] = []
    start = size = 0
    for i, (row, row_id) in enumerate(zip(batch.rows, batch.row_ids, strict=True)):
        n = _encoded_size(row, row_id)
        if i > start and size + n > REQUEST_BYTES_MAX:
            out.append(range(start, i))
            start, size = i, 0
        size += n
    if start < len(batch.rows):
        out.append(range(start, len(batch.rows)))
    return out


def _left(deadline: float, clock: Callable[[], float]) -> float:
    """The seconds left before ``deadline``; a budget spent raises, and the caller's answer
    falls back (the api) or Pub/Sub redelivers (archive)."""
    if (left := deadline - clock()) < 1.0:
        raise TimeoutError("the time for BigQuery is spent")
    return left


def bounded(deadline: float | None, clock: Callable[[], float] = time.monotonic) -> tuple[Any, float]:
    """The retry and the request timeout of a call that must end by ``deadline`` (``clock``
    seconds; None: each call's own bounds). Each call's bounds alone let one delivery's calls
    add up past its function's timeout, and a delivery still running when Pub/Sub gives it to
    another instance inserts beside it; a budget already spent raises, and Pub/Sub redelivers.

    The retry checks its deadline only before an attempt, and each attempt may take the whole
    request timeout: so the retry stops starting attempts one timeout before ``deadline``, and
    an attempt takes at most half of what is left, so a retry still fits after it."""
    if deadline is None:
        return RETRY, REQUEST_TIMEOUT_S
    left = _left(deadline, clock)
    timeout = min(REQUEST_TIMEOUT_S, left / 2)
    return RETRY.with_deadline(min(RETRY_DEADLINE_S, left - timeout)), timeout


def waiting(deadline: float | None, clock: Callable[[], float] = time.monotonic) -> tuple[Any, float]:
    """The retry and the timeout of waiting for a query job's result by ``deadline``. The
    client checks that timeout between polls and gives each poll the whole of it, so a retried
    poll could take it twice: the wait gets all that is left (a slow query is still answered)
    and a failed poll is not retried (the api falls back, archive's delivery comes again)."""
    if deadline is None:
        return RETRY, REQUEST_TIMEOUT_S
    return RETRY.with_deadline(0.0), _left(deadline, clock)


def insert(client: Client, settings: Settings, batch: TableRows, *, deadline: float | None = None) -> list[RejectedRow]:
    """Stream ``batch`` in as few insertAll calls as its size allows; the rows BigQuery
    refused come back.

    ``skip_invalid_rows`` lets the valid rows land even when one is bad. Transport and
    server failures raise (after the client's own retries), so the message is redelivered;
    so does a row skipped for any reason but its own invalidity (:func:`refused`). A row too
    big for any request can never be streamed: it is refused as invalid, not sent.
    """
    errors: list[Mapping[str, Any]] = []
    for part in _requests(batch):
        if len(part) == 1 and _encoded_size(batch.rows[part.start], batch.row_ids[part.start]) > REQUEST_BYTES_MAX:
            too_big = f"over {REQUEST_BYTES_MAX} bytes once encoded: no insertAll request (10 MB at most) can carry it"
            errors.append({"index": part.start, "errors": [{"reason": "invalid", "message": too_big}]})
            continue
        retry, timeout = bounded(deadline)
        answered = client.insert_rows_json(
            table_ref(settings, batch.table),
            [batch.rows[i] for i in part],
            row_ids=[batch.row_ids[i] for i in part],
            skip_invalid_rows=True,
            retry=retry,
            timeout=timeout,
        )
        errors.extend({**e, "index": part.start + int(e["index"])} for e in answered)
    return refused(batch, errors)


def refused(batch: TableRows, errors: Sequence[Mapping[str, Any]]) -> list[RejectedRow]:
    """The rows of ``batch`` that insertAll's per-row ``errors`` say can never be stored.
    Raises :class:`RowsNotStored` when a row was skipped for a passing reason: the rows
    that did land are found and left out on redelivery (``stored_row_ids``)."""
    rejected = []
    passing = []
    for error in errors:
        index = int(error["index"])
        reasons = {str(e.get("reason") or "") for e in error.get("errors") or ()}
        not_yet = any(NOT_YET in str(e.get("message") or "").lower() for e in error.get("errors") or ())
        if reasons & PERMANENT and not not_yet:
            rejected.append(RejectedRow(batch.table, batch.row_ids[index], batch.rows[index], tuple(error["errors"])))
        else:  # what BigQuery said, so an operator can tell a missing column from an outage
            said = sorted(
                {f"{e.get('location') or ''} {e.get('message') or ''}".strip() for e in error.get("errors") or ()}
            )
            passing.append(f"{batch.row_ids[index]}: {sorted(reasons)} {said}")
    if passing:
        raise RowsNotStored(f"{len(passing)} rows of {batch.table} not stored, for now: {passing[:5]}")
    return rejected


def stored_row_ids(
    client: Client, settings: Settings, table: str, items: Sequence[RedditItem], *, deadline: float | None = None
) -> set[str]:
    """The insert ids of ``items``' rows that ``table`` already holds (one query)."""
    if not items:
        return set()
    times = [datetime.fromtimestamp(i.created_utc, UTC) for i in items]
    job_config = bigquery.QueryJobConfig(
        query_parameters=[
            bigquery.ArrayQueryParameter("ids", "STRING", sorted({i.id for i in items})),
            bigquery.ScalarQueryParameter("start", "TIMESTAMP", min(times) - timedelta(seconds=1)),
            bigquery.ScalarQueryParameter("end", "TIMESTAMP", max(times) + timedelta(seconds=1)),
        ]
    )
    sql = history.STORED_ROW_IDS_SQL[table].format(table=table_ref(settings, table))
    # bounded like the inserts: the client's default job retry would rerun a failed job for
    # up to 40 minutes, long past archive's timeout, while Pub/Sub redelivers the batch
    retry, timeout = bounded(deadline)
    job = client.query(sql, job_config=job_config, retry=retry, timeout=timeout, job_retry=None)
    retry, timeout = waiting(deadline)
    rows = job.result(retry=retry, timeout=timeout, job_retry=None)
    return {str(row["row_id"]) for row in rows}


@dataclass
class BigQueryHours:
    """Hourly mention series of a ticker from the ``mentions`` table: the API's archive
    source (functions/api/history.py ``HourlySource``) for ranges too long to read from Firestore hour by hour."""

    settings: Settings
    client: Client | None = None
    name: str = "archive"  # what History.source reports (functions/api/models.py)
    budget_s: float = API_READ_BUDGET_S

    def hours(self, symbol: str, start_utc: int, end_utc: int) -> list[dict[str, Any]]:
        """Buckets with ``start_utc`` in [start_utc, end_utc], oldest first; hours without
        mentions are absent, as in Firestore. Not answered within ``budget_s``: TimeoutError."""
        client = self.client or get_client(self.settings)
        return hourly_mentions(client, self.settings, symbol, start_utc, end_utc, budget_s=self.budget_s)


def hourly_mentions(
    client: Client,
    settings: Settings,
    symbol: str,
    start_utc: int,
    end_utc: int,
    *,
    budget_s: float = API_READ_BUDGET_S,
    clock: Callable[[], float] = time.monotonic,
) -> list[dict[str, Any]]:
    """Hourly counters of ``symbol`` for the hours starting in [start_utc, end_utc]; both
    queries, their retries and their waits within ``budget_s`` in all (then TimeoutError)."""
    ends = clock() + budget_s
    first_hour = -(-start_utc // 3600) * 3600  # an hour starting before start_utc is not in the range
    end_exclusive = (end_utc // 3600 + 1) * 3600
    job_config = bigquery.QueryJobConfig(
        query_parameters=[
            bigquery.ScalarQueryParameter("symbol", "STRING", symbol.upper()),
            bigquery.ScalarQueryParameter("start", "TIMESTAMP", datetime.fromtimestamp(first_hour, UTC)),
            bigquery.ScalarQueryParameter("end", "TIMESTAMP", datetime.fromtimestamp(end_exclusive, UTC)),
        ],
        maximum_bytes_billed=API_QUERY_BYTES_MAX,
    )
    table = table_ref(settings, history.MENTIONS)

    def run(sql: str) -> list[dict[str, Any]]:
        retry, timeout = bounded(ends, clock)
        # job_retry=None: a failed job is not run again, the answer falls back instead
        job = client.query(sql.format(table=table), job_config=job_config, retry=retry, timeout=timeout, job_retry=None)
        retry, timeout = waiting(ends, clock)
        rows = job.result(retry=retry, timeout=timeout, job_retry=None)
        return [dict(row.items()) for row in rows]

    return history.hourly_buckets(run(history.HOURLY_MENTIONS_SQL), run(history.HOURLY_SUBREDDITS_SQL))
