"""Which subreddits the scheduler's tick fetches: each at its own cadence
(:class:`common.dispatching.Cadence`), from what fetch's cursor says (the pace it measured,
the runs that saved it) and from when and in which run dispatch last sent it
(``schedule/fetches``, written by dispatch alone, which also keeps the pace each cursor
showed once the run sent had saved it: the scheduler ticks every minute, and most ticks
need no cursor read).

The tick claims what it sends before publishing, in one atomic write with the creation of
its run's record, made only if the schedule's record is as it was read (:func:`claim_due`):
two ticks handled at once (a backlog flushing after an outage, a slow tick beside the next)
cannot both find a subreddit due and fetch it twice. Not a transaction: on the emulator a
backlog of six contending transactions aborted one another until most ran out of attempts;
a conditional write always lets the first through. A tick that dies after its claim is
redelivered as the same run, which finds its record and sends what it claimed
(functions/dispatch/main.py).
"""

import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

from common import log
from common.adapters import firestore as fs
from common.dispatching import FETCH_TIMEOUT_S, Cadence, FetchState, due, known_state, learned
from common.settings import Settings

logger = log.get_logger(__name__)

# The two fields of fetch's cursor read here (common.ingest.Cursor; not imported: it would
# load extraction into dispatch's instance).
PACE, RUNS, UNSERVED = "pace", "runs", "unserved_runs"
DISPATCHED_AT = "dispatched_at"  # schedule/fetches: lower-case subreddit -> epoch seconds
RUN_IDS = "run_ids"  # schedule/fetches: lower-case subreddit -> the run that sent it
PACED = "paced"  # schedule/fetches: lower-case subreddit -> {"run", "pace", "unserved"} once that run saved it


# A backlog of ticks flushing together contends for the one record. Each round of claims
# lets at least one through (the first to commit), so a backlog of this many ticks all get
# through before one fails (and is redelivered, which is safe but slower).
CLAIM_ATTEMPTS = 12


def cadence(settings: Settings) -> Cadence:
    return Cadence(
        listing_cap=settings.fetch_max_posts,
        fill=settings.fetch_listing_fill,
        shortest_s=settings.fetch_min_interval_s,
        longest_s=settings.fetch_max_interval_s,
        hold_s=FETCH_TIMEOUT_S,
    )


def _record(db: firestore.Client) -> firestore.DocumentReference:
    return db.collection(fs.SCHEDULE).document(fs.FETCH_SCHEDULE)


def _map(doc: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return dict(value) if isinstance(value, Mapping) else {}


def claim_due(
    db: firestore.Client,
    subreddits: Iterable[str],
    settings: Settings,
    run: firestore.DocumentReference,
    run_record: Callable[[list[str]], dict[str, Any]],
    *,
    now: float,
) -> list[str] | None:
    """The subreddits due at ``now``, recorded as sent by ``run`` in the same atomic write
    that creates the run's record (``run_record`` of them), so no other tick finds them due;
    nothing is recorded when none is. None when a copy of this tick claimed before (the
    record names the run; its run's record says what it claimed)."""
    names = list(subreddits)
    record_ref = _record(db)
    for attempt in range(CLAIM_ATTEMPTS):
        snap = record_ref.get()
        record = fs.doc_of(snap) or {}
        if run.id in _map(record, RUN_IDS).values():
            return None
        sent, learnt = _due(db, names, record, settings, now=now)
        update: dict[str, Any] = {}
        if keep := _unsent(learnt, sent):
            update[PACED] = keep
        if sent:
            keys = [fs.cursor_id(s) for s in sent]
            update |= {DISPATCHED_AT: dict.fromkeys(keys, now), RUN_IDS: dict.fromkeys(keys, run.id)}
        if not update:
            return sent
        batch = db.batch()
        if sent:
            batch.create(run, run_record(sent))
        if snap.exists:  # only as the record was read: another tick's claim in between fails this one
            paths = {FieldPath(field, key).to_api_repr(): v for field, m in update.items() for key, v in m.items()}
            batch.update(record_ref, paths, option=db.write_option(last_update_time=snap.update_time))
        else:
            batch.create(record_ref, update)
        try:
            batch.commit()
            return sent
        except (gexc.FailedPrecondition, gexc.AlreadyExists, gexc.Aborted) as exc:
            if sent and run.get().exists:  # a copy of this tick made the run in between
                return None
            if attempt + 1 == CLAIM_ATTEMPTS:
                raise ClaimContended(f"the schedule changed under each of {CLAIM_ATTEMPTS} claims") from exc
        time.sleep(random.uniform(0, min(1.0, 0.05 * 2**attempt)))
    raise AssertionError("unreachable: the last attempt returns or raises")


class ClaimContended(RuntimeError):
    """Every claim lost to another writer of the record: the tick fails and is redelivered."""


def _unsent(learnt: Mapping[str, Any], sent: Iterable[str]) -> dict[str, Any]:
    """What a subreddit sent now learnt is its last run's: the next read is of the new one's."""
    sent_now = {fs.cursor_id(s) for s in sent}
    return {k: v for k, v in learnt.items() if k not in sent_now}


def _due(
    db: firestore.Client, names: list[str], record: Mapping[str, Any], settings: Settings, *, now: float
) -> tuple[list[str], dict[str, Any]]:
    """The subreddits due by ``record`` (the schedule's), and the paces learnt on the way: a
    batched read of three fields of the cursors the record cannot speak for (the rest of a
    cursor is fetch's, and large; no claim is conditional on it, since only fetch writes it)."""
    sent_at, sent_run, paced = _map(record, DISPATCHED_AT), _map(record, RUN_IDS), _map(record, PACED)
    states: dict[str, FetchState] = {}
    unknown: dict[str, tuple[float, str]] = {}
    learnt: dict[str, Any] = {}
    for name in names:
        key = fs.cursor_id(name)
        raw_at, run, kept = sent_at.get(key), str(sent_run.get(key) or ""), paced.get(key)
        at = float(raw_at) if isinstance(raw_at, int | float) else None
        state = known_state(at, run, kept if isinstance(kept, Mapping) else None)
        if state is not None:
            states[key] = state
        elif at is not None:
            unknown[key] = (at, run)
    if unknown:
        refs = [db.collection(fs.CURSORS).document(k) for k in sorted(unknown)]
        cursors = {snap.id: fs.doc_of(snap) or {} for snap in db.get_all(refs, field_paths=[PACE, RUNS, UNSERVED])}
        for key, (at, run) in unknown.items():
            cursor = cursors.get(key, {})
            pace, runs, unserved = cursor.get(PACE), cursor.get(RUNS), cursor.get(UNSERVED)
            states[key] = FetchState(
                pace=float(pace) if isinstance(pace, int | float) else 0.0,
                saved_runs=frozenset(str(r) for r in runs) if isinstance(runs, list) else frozenset(),
                sent_at=at,
                sent_run=run,
                unserved_runs=int(unserved) if isinstance(unserved, int | float) else 0,
            )
            if (final := learned(run, states[key])) is not None:
                learnt[key] = final
    return due(names, cadence(settings), states, now=now), learnt


def reclaim(db: firestore.Client, subreddits: Iterable[str], run_id: str, *, now: float) -> list[str]:
    """Those of ``subreddits`` the schedule still names ``run_id`` as the sender of, recorded
    as sent by it again at ``now`` in one write conditional on the schedule as read, before a
    copy taking over the run publishes them. A later tick claims a subreddit again once its
    hold has passed, and the copy taking over must leave that one to it, or it is fetched twice
    at once; a claim landing between this read and this write fails the write, and the
    schedule is read again."""
    keys = {fs.cursor_id(s): s for s in subreddits}
    record_ref = _record(db)
    for attempt in range(CLAIM_ATTEMPTS):
        snap = record_ref.get()
        run_ids = _map(fs.doc_of(snap) or {}, RUN_IDS)
        mine = [s for key, s in keys.items() if run_ids.get(key) == run_id]
        if not mine:
            return []
        paths = {FieldPath(DISPATCHED_AT, fs.cursor_id(s)).to_api_repr(): now for s in mine}
        try:
            record_ref.update(paths, option=db.write_option(last_update_time=snap.update_time))
            return mine
        except (gexc.FailedPrecondition, gexc.NotFound) as exc:
            if attempt + 1 == CLAIM_ATTEMPTS:
                raise ClaimContended(f"the schedule changed under each of {CLAIM_ATTEMPTS} reclaims") from exc
        time.sleep(random.uniform(0, min(1.0, 0.05 * 2**attempt)))
    raise AssertionError("unreachable: the last attempt returns or raises")


def record_dispatched(db: firestore.Client, subreddits: Iterable[str], run_id: str, *, now: float) -> None:
    """Remember that run ``run_id`` sent ``subreddits`` at ``now`` (merged: the others keep
    theirs)."""
    keys = [fs.cursor_id(s) for s in subreddits]
    if keys:
        _record(db).set({DISPATCHED_AT: dict.fromkeys(keys, now), RUN_IDS: dict.fromkeys(keys, run_id)}, merge=True)
