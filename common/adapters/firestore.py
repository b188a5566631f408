"""Firestore access: the collection names in one place, a lazily created client, and the
create-if-absent primitive that makes redelivered messages harmless."""

import threading
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
    """The instance-wide Firestore client (honours FIRESTORE_EMULATOR_HOST)."""
    with _lock:
        if project_id not in _clients:
            _clients[project_id] = firestore.Client(project=project_id)
        return _clients[project_id]


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
