"""Firestore access: the collection names in one place, a lazily created client, and the
create-if-absent primitive that makes redelivered messages harmless."""

import contextlib
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

POSTS = "posts"
AUTHORS = "authors"
TICKERS = "tickers"
HOURS = "hours"  # subcollection of tickers/{symbol}
ALERTS = "alerts"
USERS = "users"
CONFIG = "config"
CURSORS = "cursors"
RUNS = "runs"  # dispatch idempotency: one document per scheduler run
ARCHIVED = "archived"  # archive idempotency: one marker per item written to BigQuery
SEEN = "seen"  # subcollection of tickers/{symbol}: aggregate idempotency, one marker per counted item
RATELIMITS = "ratelimits"  # api: one counter per caller per minute

# Collections whose documents Firestore deletes by a TTL policy on this timestamp field.
# terraform/firestore.tf defines the same policies (tests/unit/test_terraform_agreement.py).
TTL_FIELDS: dict[str, str] = {
    AUTHORS: "expires_at",
    ARCHIVED: "expires_at",
    SEEN: "expires_at",
    RATELIMITS: "expires_at",
}


@dataclass(frozen=True)
class CompositeIndex:
    """A composite index production needs; the emulator answers any query without one."""

    collection: str
    fields: tuple[tuple[str, str], ...]  # (field path, "ASCENDING" | "DESCENDING" | "CONTAINS" for arrays)


_NEWEST = (("updated_at", "DESCENDING"), ("alert_id", "DESCENDING"))
# Every composite index a query in the code needs, named as in terraform/firestore.tf.
# Build such queries through :func:`check_indexed`, which refuses one no index here serves.
COMPOSITE_INDEXES: dict[str, CompositeIndex] = {
    "alerts-newest": CompositeIndex(ALERTS, _NEWEST),
    "alerts-symbol-newest": CompositeIndex(ALERTS, (("symbol", "ASCENDING"), *_NEWEST)),
    "alerts-status-newest": CompositeIndex(ALERTS, (("status", "ASCENDING"), *_NEWEST)),
    "alerts-kind-newest": CompositeIndex(ALERTS, (("kind", "ASCENDING"), *_NEWEST)),
    # detect: a ticker's evidence, the newest items whose tickers contain it
    "posts-ticker-newest": CompositeIndex(POSTS, (("tickers", "CONTAINS"), ("created_utc", "DESCENDING"))),
}

_lock = threading.Lock()
_clients: dict[str, firestore.Client] = {}


def get_client(project_id: str) -> firestore.Client:
    """The instance-wide Firestore client (honours FIRESTORE_EMULATOR_HOST); every read and
    write through it is counted (:func:`counting`, :func:`totals`)."""
    with _lock:
        if project_id not in _clients:
            client = firestore.Client(project=project_id)
            client._firestore_api_internal = _CountingApi(client._firestore_api)
            _clients[project_id] = client
        return _clients[project_id]


@dataclass
class OpCounts:
    """Firestore operations as billed: a read per document returned or asked for and
    missing (one per query that returns nothing), a write per document in a commit."""

    reads: int = 0
    writes: int = 0


_totals = OpCounts()
_totals_lock = threading.Lock()
_current: ContextVar[OpCounts | None] = ContextVar("firestore_op_counts", default=None)


@contextlib.contextmanager
def counting() -> Iterator[OpCounts]:
    """Count the operations of this context (one handled message). Work handed to a thread
    pool runs outside it and shows only in :func:`totals`."""
    counts = OpCounts()
    token = _current.set(counts)
    try:
        yield counts
    finally:
        _current.reset(token)


def totals() -> OpCounts:
    """Every operation of this process so far, whichever thread made it."""
    with _totals_lock:
        return OpCounts(_totals.reads, _totals.writes)


def _count(reads: int = 0, writes: int = 0) -> None:
    with _totals_lock:
        _totals.reads += reads
        _totals.writes += writes
    current = _current.get()
    if current is not None:
        current.reads += reads
        current.writes += writes


def _request_writes(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    request = kwargs.get("request", args[0] if args else None)
    writes = request.get("writes") if isinstance(request, dict) else getattr(request, "writes", None)
    return len(writes or ())


class _CountingApi:
    """The GAPIC Firestore client with a count of what each call reads and writes, so the
    functions need not count by hand; everything else passes through unchanged."""

    def __init__(self, api: Any) -> None:
        self._api = api

    def __getattr__(self, name: str) -> Any:
        return getattr(self._api, name)

    def batch_get_documents(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for response in self._api.batch_get_documents(*args, **kwargs):
            if response._pb.WhichOneof("result") is not None:
                _count(reads=1)
            yield response

    def run_query(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        documents = 0
        try:
            for response in self._api.run_query(*args, **kwargs):
                if response._pb.HasField("document"):
                    documents += 1
                yield response
        finally:
            _count(reads=max(1, documents))

    def run_aggregation_query(self, *args: Any, **kwargs: Any) -> Any:
        _count(reads=1)
        return self._api.run_aggregation_query(*args, **kwargs)

    def commit(self, *args: Any, **kwargs: Any) -> Any:
        response = self._api.commit(*args, **kwargs)
        _count(writes=_request_writes(args, kwargs))
        return response

    def batch_write(self, *args: Any, **kwargs: Any) -> Any:
        response = self._api.batch_write(*args, **kwargs)
        _count(writes=_request_writes(args, kwargs))
        return response


def create_if_absent(ref: firestore.DocumentReference, data: dict[str, Any]) -> bool:
    """Create ``ref`` with ``data``; False (and no change) when it already exists."""
    try:
        ref.create(data)
    except gexc.AlreadyExists:
        return False
    return True


class UnindexedQuery(LookupError):
    """Production would reject this query for want of a composite index (the emulator would not)."""


# StructuredQuery.FieldFilter operators an index serves like equality (==, in) and those an
# array-contains index entry serves (array-contains, array-contains-any)
_EQUALITY_OPERATORS = {5, 8}
_CONTAINS_OPERATORS = {7, 9}
_RANGE_OPERATORS = {1, 2, 3, 4, 6, 10}  # <, <=, >, >=, !=, not-in


def needed_indexes(
    collection: str, equalities: tuple[tuple[str, str], ...], orders: tuple[tuple[str, str], ...]
) -> set[CompositeIndex]:
    """The composite indexes a query needs, by Firestore's rules: none for one sort alone
    or equalities alone; otherwise one index per equality field followed by the sort
    fields (index merging serves several equalities with one sort), or the sort fields
    alone when there is no equality and more than one sort."""
    if not orders or (not equalities and len(orders) == 1):
        return set()
    if not equalities:
        return {CompositeIndex(collection, orders)}
    return {CompositeIndex(collection, (entry, *orders)) for entry in dict.fromkeys(equalities)}


def check_indexed(query: Any) -> Any:
    """``query`` itself, if every composite index it needs is in :data:`COMPOSITE_INDEXES`.

    Equality and ``in`` filters are equality fields, array-contains ones ``CONTAINS``
    entries; a range filter has to be on the first sort field (Firestore requires it) and
    orders the results by itself when the query names no sort."""
    equalities = tuple(
        (f.field.field_path, "CONTAINS" if int(f.op) in _CONTAINS_OPERATORS else "ASCENDING")
        for f in query._field_filters
        if hasattr(f, "field") and int(f.op) in _EQUALITY_OPERATORS | _CONTAINS_OPERATORS
    )
    orders = tuple((o.field.field_path, o.direction.name) for o in query._orders)
    ranges = [f.field.field_path for f in query._field_filters if hasattr(f, "field") and int(f.op) in _RANGE_OPERATORS]
    if not orders and ranges:
        orders = ((ranges[0], "ASCENDING"),)
    missing = needed_indexes(query._parent.id, equalities, orders) - set(COMPOSITE_INDEXES.values())
    if missing:
        raise UnindexedQuery(f"no composite index for {sorted(map(str, missing))}: add it here and in terraform")
    return query
