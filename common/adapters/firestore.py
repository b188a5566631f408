"""Firestore access: the collection names in one place, a lazily created client, and the
create-if-absent primitive that makes redelivered messages harmless."""

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

POSTS = "posts"
AUTHORS = "authors"
TICKERS = "tickers"
HOURS = "hours"  # subcollection of tickers/{symbol}
DAYS = "days"  # subcollection of tickers/{symbol}: daily buckets, same shape as hours
ALERTS = "alerts"
USERS = "users"
DELETED_USERS = "deleted_users"  # api: accounts deleted, kept while a token issued before can still be used
CONFIG = "config"
DETECTION_CONFIG = "detection"  # config/detection: the detection thresholds in force
CONFIG_VERSIONS = "versions"  # config/detection/versions/{n}: each version as the API wrote it, never changed
CURSORS = "cursors"  # cursors/{subreddit, lower case}: how far fetch has read each subreddit
RUNS = "runs"  # dispatch idempotency: one document per scheduler run
SCHEDULE = "schedule"  # dispatch's own: fetches (when each subreddit was sent), silence (the last checks)
FETCH_SCHEDULE = "fetches"
SILENCE_SCHEDULE = "silence"
ARCHIVED = "archived"  # archive idempotency: the items archived, per subreddit and hour
ARCHIVE_ATTEMPTS = "archive_attempts"  # archive: one per message worked on, so a redelivery knows it is one
SEEN = "seen"  # tickers/{symbol}/seen/{item_id}: aggregate's per-item markers, for buckets that do not name their items
RATELIMITS = "ratelimits"  # api: one counter per caller per minute
DELIVERIES = "deliveries"  # notify: one record per user, alert, level and channel
SENT = "sent"  # subcollection of users/{id}: notify's messages per channel per hour
DIGESTS = "digests"  # notify: one per user and hour, {user|hour}, the hour's events in its entries
STATE = "state"  # subcollection of tickers/{symbol}: aggregate's and detect's private state
DIGEST_ENTRIES = "digest_entries"  # subcollection of digests/{id}: one per delivery id
STATS = "stats"  # stats/global: when collection began; stats/global/hours/{yyyymmddhh}: detect's crowd of that hour
GLOBAL = "global"

# Firestore's hard limits on one commit, which the emulator does not enforce (the local stack's
# client refuses past them: devtools/firestore_ops.py): writes, and field transforms on one
# document, each element of an array union or removal counted (as the limits page says of
# Datastore mode; counting them keeps a writer safe either way).
WRITES_MAX = 500
FIELD_TRANSFORMS_MAX = 500

# Pub/Sub keeps a message at most 7 days (terraform: subscriptions' default, the dead-letter
# holds' retention): an idempotency record that lives longer sees every redelivery and replay
# of its message, then goes (TTL_FIELDS).
REDELIVERY_TTL = timedelta(days=8)

# users/{id}: a webhook's health, written by notify (each failed delivery) and reset by a
# delivered one (notify) or by the user saving the settings again (api).
WEBHOOK_FAILED = "webhook_failed_deliveries"  # the distinct deliveries failed in a row (their ids)
WEBHOOK_FAILING_SINCE = "webhook_failing_since"  # when the first of them failed (epoch seconds)
WEBHOOK_LAST_FAILURE = "webhook_last_failure"  # when the latest of them did
WEBHOOK_FAILING_THEIRS = "webhook_failing_theirs"  # whether any of them was the receiver's own doing
WEBHOOK_HEALTHY: dict[str, Any] = {
    "webhook_failures": 0,
    WEBHOOK_FAILED: [],
    WEBHOOK_FAILING_SINCE: firestore.DELETE_FIELD,
    WEBHOOK_LAST_FAILURE: firestore.DELETE_FIELD,
    WEBHOOK_FAILING_THEIRS: firestore.DELETE_FIELD,
}

# Fields exempt from single-field indexing (name -> collection group, field): never queried,
# and wide (one index entry per key or element would cost every write thousands of them, and
# can pass Firestore's 40,000 per document). terraform/firestore.tf exempts the same.
UNINDEXED_FIELDS: dict[str, tuple[str, str]] = {
    "hours-items": (HOURS, "items"),  # the items an hour bucket counted
    # a bucket's distinct authors: up to AUTHORS_EXACT_MAX names, then up to 4,096 registers
    "hours-authors": (HOURS, "authors"),
    "hours-hll": (HOURS, "hll"),
    "days-authors": (DAYS, "authors"),
    "days-hll": (DAYS, "hll"),
    "posts-items": (POSTS, "items"),  # the items fetch stored, per subreddit and hour
    "archived-ids": (ARCHIVED, "ids"),  # the items a group archived (one long JSON string)
    "cursors-recent-posts": (CURSORS, "recent_posts"),
    "cursors-comments-ahead": (CURSORS, "tree_comments_ahead"),
    "cursors-community": (CURSORS, "community"),
    "cursors-authors": (CURSORS, "authors"),
    "cursors-comments-listed": (CURSORS, "comments_listed"),
    "state-before": (STATE, "before"),  # detect's copy of an alert as it stood before a data hour
}

# Collections whose documents Firestore deletes by a TTL policy on this timestamp field.
# terraform/firestore.tf defines the same policies (tests/unit/test_terraform_agreement.py).
TTL_FIELDS: dict[str, str] = {
    AUTHORS: "expires_at",
    ARCHIVED: "expires_at",
    ARCHIVE_ATTEMPTS: "expires_at",
    SEEN: "expires_at",
    RATELIMITS: "expires_at",
    DELIVERIES: "expires_at",
    SENT: "expires_at",
    DIGESTS: "expires_at",
    DIGEST_ENTRIES: "expires_at",
    RUNS: "expires_at",
    DELETED_USERS: "expires_at",
}


@dataclass(frozen=True)
class CompositeIndex:
    """A composite index production needs; the emulator answers any query without one."""

    collection: str
    fields: tuple[tuple[str, str], ...]  # (field path, "ASCENDING" | "DESCENDING" | "CONTAINS" for arrays)


_NEWEST = (("updated_at", "DESCENDING"), ("alert_id", "DESCENDING"))
# Every composite index a query in the code needs, named as in terraform/firestore.tf.
# Build such queries through :func:`indexed`, which tests check against this registry.
COMPOSITE_INDEXES: dict[str, CompositeIndex] = {
    "alerts-newest": CompositeIndex(ALERTS, _NEWEST),
    "alerts-symbol-newest": CompositeIndex(ALERTS, (("symbol", "ASCENDING"), *_NEWEST)),
    "alerts-status-newest": CompositeIndex(ALERTS, (("status", "ASCENDING"), *_NEWEST)),
    "alerts-kind-newest": CompositeIndex(ALERTS, (("kind", "ASCENDING"), *_NEWEST)),
    "alerts-opened-kind": CompositeIndex(ALERTS, (("opened_kind", "ASCENDING"), ("opened_at", "ASCENDING"))),
    "digests-open-hour": CompositeIndex(DIGESTS, (("status", "ASCENDING"), ("hour", "ASCENDING"))),
}

_lock = threading.Lock()
_clients: dict[str, firestore.Client] = {}
# Called with each new client: where dev tooling (devtools/firestore_ops.py) attaches its
# operation counter. Production installs none.
_client_hooks: list[Callable[[firestore.Client], None]] = []


def on_new_client(hook: Callable[[firestore.Client], None]) -> None:
    """Run ``hook`` on every client :func:`get_client` creates from now on."""
    with _lock:
        _client_hooks.append(hook)


def get_client(project_id: str) -> firestore.Client:
    """The instance-wide Firestore client (honours FIRESTORE_EMULATOR_HOST)."""
    with _lock:
        if project_id not in _clients:
            client = firestore.Client(project=project_id)
            for hook in _client_hooks:
                hook(client)
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
_recording = False


@contextlib.contextmanager
def counting() -> Iterator[OpCounts | None]:
    """The operations of this context (one handled message), or None when nothing records
    them (production). Work handed to a thread pool runs outside it and shows only in
    :func:`totals`."""
    if not _recording:
        yield None
        return
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


def record(reads: int = 0, writes: int = 0) -> None:
    """The seam a counter reports through (the one in devtools/firestore_ops.py)."""
    with _totals_lock:
        _totals.reads += reads
        _totals.writes += writes
    current = _current.get()
    if current is not None:
        current.reads += reads
        current.writes += writes


def start_recording() -> None:
    """Let :func:`counting` count from now on (a counter calls it when it is installed)."""
    global _recording  # noqa: PLW0603 - a process-wide switch, set once
    _recording = True


def doc_of(snap: "firestore.DocumentSnapshot[Any]") -> dict[str, Any] | None:
    """A read document's fields, or None when it does not exist."""
    return (snap.to_dict() or {}) if snap.exists else None


def create_if_absent(ref: firestore.DocumentReference, data: dict[str, Any]) -> bool:
    """Create ``ref`` with ``data``; False (and no change) when it already exists."""
    try:
        ref.create(data)
    except gexc.AlreadyExists:
        return False
    return True


def needed_indexes(
    collection: str,
    equalities: tuple[tuple[str, str], ...],
    orders: tuple[tuple[str, str], ...],
    *,
    ranged: bool = False,
) -> set[CompositeIndex]:
    """The composite indexes a query needs, by Firestore's rules: none for one sort alone
    or equalities alone; otherwise one index per equality field followed by the sort
    fields (index merging serves several equalities with one sort), or the sort fields
    alone when there is no equality and more than one sort. With a range filter too
    (``ranged``), merging is not counted on (Firestore documents it for equalities and a
    sort): several equalities need one index holding them all."""
    if not orders or (not equalities and len(orders) == 1):
        return set()
    if not equalities:
        return {CompositeIndex(collection, orders)}
    fields = tuple(dict.fromkeys(equalities))
    if ranged and len(fields) > 1:
        return {CompositeIndex(collection, (*sorted(fields), *orders))}
    return {CompositeIndex(collection, (entry, *orders)) for entry in fields}


# Set by dev tooling (devtools/firestore_indexes.py) in tests and the local stack, where the
# emulator would answer a query production refuses; production sets none.
_index_checker: Callable[[Any], None] | None = None


def check_queries_with(checker: Callable[[Any], None]) -> None:
    global _index_checker  # noqa: PLW0603 - a process-wide switch, set once by dev tooling
    _index_checker = checker


def indexed(query: Any) -> Any:
    """``query`` itself. Every query that needs a composite index is built through here, so
    tests and the local stack can check it against :data:`COMPOSITE_INDEXES` (the emulator
    needs no index, production does); production runs it unchecked."""
    if _index_checker is not None:
        _index_checker(query)
    return query


def cursor_id(subreddit: str) -> str:
    """``cursors/`` document of a subreddit: Reddit names are case-insensitive."""
    return subreddit.lower()


def detection_config_refs(
    db: firestore.Client, version: int | None
) -> tuple[firestore.DocumentReference, firestore.DocumentReference | None]:
    """``config/detection`` (the version in force) and, for a message that names a version,
    that version as kept (``versions/{n}``): read together, in the caller's one round trip."""
    current = db.collection(CONFIG).document(DETECTION_CONFIG)
    named = current.collection(CONFIG_VERSIONS).document(str(version)) if version is not None and version >= 1 else None
    return current, named
