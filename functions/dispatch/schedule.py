"""Which subreddits the scheduler's tick fetches: each at its own cadence
(:class:`common.dispatching.Cadence`), from the pace fetch measured (its cursor's ``pace``)
and from when dispatch last sent it (``schedule/fetches``, written by dispatch alone).

The record is written after the fetches are published: a tick that fails in between sends
them again next time, which fetch tolerates, rather than holding a subreddit back unread.
"""

from collections.abc import Iterable

from google.cloud import firestore

from common.adapters import firestore as fs
from common.dispatching import Cadence, due
from common.settings import Settings

PACE = "pace"  # the one field of fetch's cursor read here (common.ingest.Cursor)
DISPATCHED_AT = "dispatched_at"  # schedule/fetches: lower-case subreddit -> epoch seconds


def cadence(settings: Settings) -> Cadence:
    return Cadence(
        listing_cap=settings.fetch_max_posts,
        fill=settings.fetch_listing_fill,
        shortest_s=settings.fetch_min_interval_s,
        longest_s=settings.fetch_max_interval_s,
    )


def _record(db: firestore.Client) -> firestore.DocumentReference:
    return db.collection(fs.SCHEDULE).document(fs.FETCH_SCHEDULE)


def due_now(db: firestore.Client, subreddits: Iterable[str], settings: Settings, *, now: float) -> list[str]:
    """The subreddits due at ``now``: one read of the record and one batched read of the
    cursors' pace (the rest of a cursor is fetch's, and large)."""
    names = list(subreddits)
    refs = [db.collection(fs.CURSORS).document(fs.cursor_id(s)) for s in names]
    paces: dict[str, float] = {}
    for snap in db.get_all(refs, field_paths=[PACE]):
        value = (fs.doc_of(snap) or {}).get(PACE)
        paces[snap.id] = float(value) if isinstance(value, int | float) else 0.0
    sent = (fs.doc_of(_record(db).get()) or {}).get(DISPATCHED_AT)
    dispatched_at = {str(k): float(v) for k, v in (sent or {}).items() if isinstance(v, int | float)}
    return due(names, cadence(settings), paces=paces, dispatched_at=dispatched_at, now=now)


def record_dispatched(db: firestore.Client, subreddits: Iterable[str], *, now: float) -> None:
    """Remember that ``subreddits`` were sent at ``now`` (merged: the others keep theirs)."""
    sent = {fs.cursor_id(s): now for s in subreddits}
    if sent:
        _record(db).set({DISPATCHED_AT: sent}, merge=True)
