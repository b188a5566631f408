"""fetch's Firestore state: ``posts`` and ``cursors`` (docs/data-model.md); the cursor
document also caches the authors' account facts (``common.ingest.Cursor``).

``posts`` holds one document per subreddit and hour of creation, naming every item stored
from it with the numbers fetch plans by (``{id: "created_utc,score,num_comments"}``, one
field per item): a run writes one document per hour its items were created in, not one per
item, and reads them back the same way. The items themselves go to BigQuery through ``reddit-items``; nothing
reads their text from Firestore. A repeated or concurrent run writes the same entries again
(merged, never replaced), so nothing is lost or counted twice downstream (consumers dedupe).
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

from common import log
from common.adapters import firestore as fs
from common.ingest import Cursor, StoredPost, reconcile
from common.messages import RedditItem
from common.timekeys import hour_key

logger = log.get_logger(__name__)
ITEMS = "items"  # posts/{subreddit}_{yyyymmddhh}.items: {item id: "created_utc,score,num_comments"}
READ_CHUNK = 100  # documents per get_all, each projected to the entries asked for
PARALLEL_COMMITS = 4
# A run's documents go in write batches of at most this many (Firestore allows 500; a batch
# of merged maps costs more to commit than plain creates).
BATCH = 100


def cursor_ref(db: firestore.Client, subreddit: str) -> firestore.DocumentReference:
    return db.collection(fs.CURSORS).document(fs.cursor_id(subreddit))


def _cursor_of(snapshot: "firestore.DocumentSnapshot[Any]") -> Cursor:
    """The stored cursor, carrying the version it was read at (None when there is none)."""
    return replace(Cursor.from_doc(fs.doc_of(snapshot)), version=snapshot.update_time if snapshot.exists else None)


def read_cursor(db: firestore.Client, subreddit: str) -> Cursor:
    return _cursor_of(cursor_ref(db, subreddit).get())


SAVE_TRIES = 5  # saves of one run's cursor racing other runs of its subreddit


class CursorContended(RuntimeError):
    """Other runs kept saving the cursor: this run is retried (what it emitted is deduped)."""


def save_cursor(db: firestore.Client, subreddit: str, cursor: Cursor, run_id: str) -> None:
    """One document per subreddit, written once at the end of every run, after everything
    else: ``last_run_id`` says which run finished last (the cursor may not have moved). Every
    field is written whole, not merged: a merge would merge into the maps (``recent_posts``...)
    and keep the entries the cursor dropped. Written only over the version the run read: when
    another run of the subreddit saved in between (a duplicated or retried fetch overlapping
    the next tick), the two are reconciled (:func:`common.ingest.reconcile`) instead of the
    slower one moving the cursor back. A cursor deleted since the run read it was reset by an
    operator (the runbook's fix for one ahead of Reddit's listing): left as it is (deleted, or
    made afresh by a run that read none), or the run out at the time would write the positions
    back."""
    ref = cursor_ref(db, subreddit)
    for _ in range(SAVE_TRIES):
        doc = {
            **cursor.to_doc(),
            "subreddit": subreddit,
            "last_run_id": run_id,
            "updated_at": firestore.SERVER_TIMESTAMP,
        }
        if cursor.version is None:
            if fs.create_if_absent(ref, doc):
                return
        else:
            try:
                ref.update(doc, option=db.write_option(last_update_time=cursor.version))
                return
            except (gexc.FailedPrecondition, gexc.NotFound):
                pass  # saved (or deleted) by another run since this one read it
        snapshot = ref.get()
        made_since = cursor.version is not None and snapshot.exists and snapshot.create_time > cursor.version
        if not snapshot.exists or made_since:  # deleted, or deleted and made afresh by a run since
            logger.warning(
                "the cursor of r/%s was deleted while this run was out: not saved over (a reset)",
                subreddit,
                extra={"json_fields": {"run_id": run_id, "subreddit": subreddit}},
            )
            return
        logger.warning(
            "another run of r/%s saved its cursor since this one read it: reconciled",
            subreddit,
            extra={
                "json_fields": {
                    "run_id": run_id,
                    "subreddit": subreddit,
                    "saved_by": (snapshot.to_dict() or {}).get("last_run_id"),
                }
            },
        )
        cursor = reconcile(_cursor_of(snapshot), cursor)
    raise CursorContended(f"the cursor of r/{subreddit} kept changing under {SAVE_TRIES} saves")


def bucket_id(item: RedditItem) -> str:
    """The ``posts`` document that names ``item``: its subreddit and the hour it was created."""
    return f"{item.subreddit.lower()}_{hour_key(item.created_utc)}"


def _entries(db: firestore.Client, items: Iterable[RedditItem]) -> dict[str, str]:
    """The stored entries of ``items`` that exist: one read per document, not per item, and
    only the entries asked for (a busy hour's document holds thousands)."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for item in items:
        wanted[bucket_id(item)].add(item.id)
    keys = sorted(wanted)
    found: dict[str, str] = {}
    for start in range(0, len(keys), READ_CHUNK):
        chunk = keys[start : start + READ_CHUNK]
        refs = [db.collection(fs.POSTS).document(key) for key in chunk]
        fields = [FieldPath(ITEMS, i).to_api_repr() for key in chunk for i in sorted(wanted[key])]
        for snap in db.get_all(refs, field_paths=fields):
            stored = (snap.to_dict() or {}).get(ITEMS) if snap.exists else None
            if isinstance(stored, dict):
                found.update((i, stored[i]) for i in wanted[snap.id] if isinstance(stored.get(i), str))
    return found


def entry(item: RedditItem) -> str:
    """One string, so an item costs one field of the document's 20,000."""
    return f"{item.created_utc!r},{item.score},{item.num_comments}"


def _stored_post(value: str) -> StoredPost | None:
    try:
        created_utc, score, num_comments = value.split(",")
        return StoredPost(int(num_comments), float(created_utc), int(score))
    except ValueError:
        return None


def stored_posts(db: firestore.Client, posts: Iterable[RedditItem]) -> dict[str, StoredPost]:
    parsed = {i: _stored_post(value) for i, value in _entries(db, posts).items()}
    return {i: post for i, post in parsed.items() if post is not None}


def existing_ids(db: firestore.Client, items: Iterable[RedditItem]) -> set[str]:
    return set(_entries(db, items))


_FULL = re.compile(r"exceed|too many|maximum|too large", re.IGNORECASE)  # size and field-count limits


def save_items(db: firestore.Client, new: Sequence[RedditItem], seen_again: Sequence[RedditItem]) -> int:
    """Name ``new`` items and refresh the numbers of ``seen_again`` ones: one merged write per
    subreddit-hour document. Returns how many new items were named."""
    by_bucket: dict[str, dict[str, str]] = defaultdict(dict)
    for item in [*new, *seen_again]:
        by_bucket[bucket_id(item)][item.id] = entry(item)
    posts = db.collection(fs.POSTS)
    keys = sorted(by_bucket)
    full: list[str] = []

    def write(chunk: Sequence[str]) -> None:
        batch = db.batch()
        for key in chunk:
            subreddit, hour = key.rsplit("_", 1)
            batch.set(posts.document(key), {"subreddit": subreddit, "hour": hour, ITEMS: by_bucket[key]}, merge=True)
        batch.commit()

    def commit(chunk: Sequence[str]) -> None:
        try:
            write(chunk)
        except gexc.InvalidArgument as exc:
            if not _FULL.search(str(exc)):
                raise
            if len(chunk) > 1:
                for key in chunk:  # which document is full: the others are written
                    commit([key])
                return
            # Its items go unnamed: a later sighting reads as new and is re-emitted (consumers
            # dedupe). Failing the run would redo it forever instead.
            logger.error("posts/%s is full: %d items not recorded: %s", chunk[0], len(by_bucket[chunk[0]]), exc)
            full.append(chunk[0])

    chunks = [keys[i : i + BATCH] for i in range(0, len(keys), BATCH)]
    if len(chunks) <= 1:
        for chunk in chunks:
            commit(chunk)
    else:
        with ThreadPoolExecutor(PARALLEL_COMMITS) as pool:
            list(pool.map(log.carried(commit), chunks))  # its lines keep the run's ids
    skipped = {i for key in full for i in by_bucket[key]}
    return sum(1 for item in new if item.id not in skipped)


class FetchStore(Protocol):
    """What a fetch run reads and writes, by meaning: a unit test can keep it in a dict."""

    def read_cursor(self, subreddit: str) -> Cursor: ...
    def save_cursor(self, subreddit: str, cursor: Cursor, run_id: str) -> None: ...
    def stored_posts(self, posts: Iterable[RedditItem]) -> dict[str, StoredPost]: ...
    def existing_ids(self, items: Iterable[RedditItem]) -> set[str]: ...
    def save_items(self, new: Sequence[RedditItem], seen_again: Sequence[RedditItem]) -> int: ...


@dataclass(frozen=True)
class FirestoreStore:
    """:class:`FetchStore` on Firestore: the functions above, bound to one client."""

    db: firestore.Client

    def read_cursor(self, subreddit: str) -> Cursor:
        return read_cursor(self.db, subreddit)

    def save_cursor(self, subreddit: str, cursor: Cursor, run_id: str) -> None:
        save_cursor(self.db, subreddit, cursor, run_id)

    def stored_posts(self, posts: Iterable[RedditItem]) -> dict[str, StoredPost]:
        return stored_posts(self.db, posts)

    def existing_ids(self, items: Iterable[RedditItem]) -> set[str]:
        return existing_ids(self.db, items)

    def save_items(self, new: Sequence[RedditItem], seen_again: Sequence[RedditItem]) -> int:
        return save_items(self.db, new, seen_again)
