"""dispatch: a scheduler tick in, one ``subreddit-fetches`` message per subreddit out (the
scheduler's tick, every minute: per subreddit due at its pace, functions/dispatch/schedule.py),
and a silence check on ``mentions`` per active alert whose ticker may have fallen silent
(functions/dispatch/silence.py).

Each fetch names the detection config version in force (one read per tick that sends any): the run's
mentions are counted and decided with it, so downstream reads the config only when a
version is new to it, and a change applies from the next tick.

``runs/{run_id}`` records the fan-out, so a redelivered tick does not fan out twice (a
scheduler tick creates it in the write that claims its subreddits: schedule.py). A
copy finding the run still ``dispatching`` waits (raises, and Pub/Sub redelivers it) while
the other copy may be alive, since two live fan-outs would fetch every subreddit twice;
once that copy's lease is up it died midway, and this one sends the run's subreddits again
(a scheduler tick's, those the schedule still names it for: a later tick may have claimed
some since), which fetch tolerates. Cloud Run does not stop a handler past its timeout, so a copy starts
publishing only by ``PUBLISH_BY_S`` and waits ``PUBLISH_BUDGET_S`` for its publishes, both
within its timeout, which bounds the usual case (a publish the client still completes after
that wait is a run sent twice, which fetch tolerates).
"""

import time
import uuid
from datetime import UTC, datetime

from google.api_core import exceptions as gexc
from google.cloud import firestore

from common import log, topics
from common.adapters import firestore as fs
from common.adapters.pubsub import Outgoing, Publisher
from common.detection_config import in_force
from common.dispatching import plan_fetches, run_id_for
from common.entrypoint import Delivery, publisher_for, pubsub_function
from common.messages import ScrapeTick
from common.settings import Settings
from functions.dispatch.schedule import claim_due, reclaim, record_dispatched
from functions.dispatch.silence import Seen, check_silence, look

logger = log.get_logger(__name__)

TIMEOUT_S = 60.0  # the function's timeout (terraform/functions.tf; an agreement test checks)
PUBLISH_BUDGET_S = 20.0  # how long a copy waits on its publishes
# What a copy leaves of its timeout when it is done: it ends while Cloud Run still gives the
# request its CPU and before Pub/Sub redelivers the tick.
END_MARGIN_S = 5.0
# The latest a copy starts publishing the fetches: its wait for them then ends in time.
PUBLISH_BY_S = TIMEOUT_S - PUBLISH_BUDGET_S - END_MARGIN_S
LEASE_S = TIMEOUT_S + PUBLISH_BUDGET_S + 10.0  # a copy dispatching longer is taken to be dead
# Each read for the fetches' read_floor, before they are published (the alerts of two
# statuses, then the cursors), retries included: three stalled reads leave most of the time
# before PUBLISH_BY_S (without the floor the fetches still go out, and the silence checks
# read again after).
PRE_PUBLISH_READ_S = 3.0


class StillDispatching(RuntimeError):
    """Another copy of the tick is fanning the run out: retry later, when it is done or dead."""


def fan_out(
    tick: ScrapeTick,
    delivery: Delivery,
    settings: Settings,
    db: firestore.Client,
    publisher: Publisher,
    *,
    now: float,
    started: float | None = None,
) -> int:
    """Publish the run's fetches unless this run already did; returns how many were sent.

    A scheduler tick with no subreddit due (most of them) reads the schedule's record and
    the cursors it cannot speak for (functions/dispatch/schedule.py), writes at most what it
    learnt of them, and records no run, since a copy of it finds the same subreddits sent.
    Nor does it send silence checks: the time up to which every subreddit has been read
    moves only when a run saves its cursor, and only a tick that sends starts one. The
    checks wait for the next tick that sends (at most ``FETCH_MAX_INTERVAL_S``), those a
    new config version or a late alert makes due too: delayed, never lost.

    ``started``: ``time.monotonic()`` when the handler began, which bounds when it may still
    publish (None: no bound, for callers that are not a function's handler)."""
    run_id = run_id_for(tick, delivery.message_id)
    subreddits = [f.subreddit for f in plan_fetches(run_id, tick.subreddits or settings.subreddits)]
    created = existing = False
    claimant = uuid.uuid4().hex
    if tick.due_only:
        run = db.collection(fs.RUNS).document(run_id)
        claimed = claim_due(db, subreddits, settings, run, lambda due: _run_record(due, now, claimant), now=now)
        if claimed is not None:
            subreddits, created = claimed, True
        else:  # a copy of this tick made the run: _own finds what it named, or nothing
            existing = True
    if subreddits:
        mine = _own(run_id, subreddits, db, now=now, created=created, existing=existing, claimant=claimant)
        if mine is None:
            return 0
        # every subreddit read, not only the tick's: a silence is one only where nobody was heard
        everyone = [*settings.subreddits, *mine]
        try:  # before publishing: how far they are read goes out with the fetches (read_floor)
            seen: Seen | None = look(db, everyone, now, timeout=PRE_PUBLISH_READ_S)
        except Exception as exc:  # the fetches go out regardless, without a floor
            logger.warning("silence checks' reads failed: %s", exc, extra={"json_fields": {"run_id": run_id}})
            seen = None
        subreddits, version = _send(
            run_id,
            mine,
            db,
            publisher,
            now=now,
            record=not (created or existing),  # a claim recorded them, and a takeover's reclaim
            started=started,
            read_floor=seen.floor if seen is not None else None,
        )
        ends = None if started is None else started + TIMEOUT_S - END_MARGIN_S
        try:  # after the run is marked: a failed check must not send the tick's fetches again
            check_silence(db, publisher, everyone, version, now=now, deadline=ends, seen=seen)
        except Exception as exc:  # any failure: the next tick that sends sends the checks again
            logger.warning("silence checks not sent: %s", exc, extra={"json_fields": {"run_id": run_id}})
    logger.info(
        "dispatched %d subreddit fetches",
        len(subreddits),
        extra={"json_fields": {"run_id": run_id, "subreddits": subreddits}},
    )
    return len(subreddits)


def _version_in_force(db: firestore.Client) -> int | None:
    _, version = in_force(fs.doc_of(db.collection(fs.CONFIG).document(fs.DETECTION_CONFIG).get()))
    return version


# runs/{run_id}: the handling that made or took over the run last. A write whose answer was
# lost is retried by the client and refused (the record exists, or changed): the record
# carrying this handling's mark says the write was its own, not a copy's. (A claim's lost
# answer reads as a copy's claim; _own then finds the mark.)
CLAIMANT = "claimant"


def _run_record(subreddits: list[str], now: float, claimant: str) -> dict[str, object]:
    return {
        "state": "dispatching",
        "subreddits": subreddits,
        "dispatching_at": now,
        CLAIMANT: claimant,
        "expires_at": datetime.fromtimestamp(now, UTC) + fs.REDELIVERY_TTL,  # not one per tick for ever
    }


def _own(
    run_id: str,
    subreddits: list[str],
    db: firestore.Client,
    *,
    now: float,
    created: bool,
    existing: bool,
    claimant: str,
) -> list[str] | None:
    """Record the run (unless ``created``: its claim did; ``existing``: a copy's claim did,
    and without its record nothing is sent) or take it over from a dead copy; returns the
    subreddits this copy is to send, or None when a copy of the tick sent them already (or
    there is no run to take over). Decided before anything else is read for the run: a
    duplicate tick reads no more."""
    run = db.collection(fs.RUNS).document(run_id)
    if existing and not run.get().exists:
        logger.warning("run %s claimed its subreddits but has no record: nothing sent", run_id)
        return None
    if not created and not fs.create_if_absent(run, _run_record(subreddits, now, claimant)):
        snapshot = run.get()
        doc = snapshot.to_dict() or {}
        if doc.get(CLAIMANT) == claimant:  # made by this handling: its answer was lost, not the write
            recorded = doc.get("subreddits")
            return [str(s) for s in recorded] if isinstance(recorded, list) else subreddits
        if doc.get("state") == "dispatched":
            logger.info(
                "run %s already dispatched; duplicate tick ignored", run_id, extra={"json_fields": {"run_id": run_id}}
            )
            return None
        if now - float(doc.get("dispatching_at") or 0.0) < LEASE_S:
            raise StillDispatching(f"run {run_id} is being dispatched by another copy of its tick")
        try:  # the other copy died midway: take over, unless a third copy just did
            run.update(
                {"dispatching_at": now, CLAIMANT: claimant},
                option=db.write_option(last_update_time=snapshot.update_time),
            )
        except (gexc.FailedPrecondition, gexc.NotFound) as exc:
            if (fs.doc_of(run.get()) or {}).get(CLAIMANT) != claimant:
                raise StillDispatching(f"run {run_id} was taken over by another copy of its tick") from exc
        if isinstance(recorded := doc.get("subreddits"), list):  # the run's, as its first copy chose them
            subreddits = [str(s) for s in recorded]
        if existing:  # a scheduler tick's claim: what a later tick has claimed since is that tick's
            subreddits = reclaim(db, subreddits, run_id, now=now)
            if not subreddits:
                run.update({"state": "dispatched", "dispatched_at": firestore.SERVER_TIMESTAMP})
                logger.info("run %s taken over with nothing left to send: later ticks claimed it all", run_id)
                return None
    return subreddits


def _send(
    run_id: str,
    subreddits: list[str],
    db: firestore.Client,
    publisher: Publisher,
    *,
    now: float,
    record: bool,
    started: float | None = None,
    read_floor: float | None = None,
) -> tuple[list[str], int | None]:
    """Publish the run's fetches and mark it dispatched, and ``record`` them in the fetch
    schedule (a tick that claimed nothing: it sends what it names, due or not); returns the
    subreddits sent and the config version they name."""
    run = db.collection(fs.RUNS).document(run_id)
    version = _version_in_force(db)
    plan = plan_fetches(run_id, subreddits, version, sent_at=now, read_floor=read_floor)
    if started is not None and time.monotonic() - started > PUBLISH_BY_S:
        # too late to publish and wait within the timeout: a redelivered copy may take over,
        # so this one sends nothing
        raise StillDispatching(f"run {run_id}: {PUBLISH_BY_S:.0f} s spent before publishing")
    publisher.publish_all(
        (Outgoing(topics.SUBREDDIT_FETCHES, fetch, ordering_key="") for fetch in plan), timeout=PUBLISH_BUDGET_S
    )
    run.update({"state": "dispatched", "dispatched_at": firestore.SERVER_TIMESTAMP})
    if record:
        try:  # lost, it costs each subreddit one fetch sooner than due on the next tick
            record_dispatched(db, subreddits, run_id, now=now)
        except Exception as exc:
            logger.warning("fetch schedule not recorded: %s", exc, extra={"json_fields": {"run_id": run_id}})
    return [f.subreddit for f in plan], version


def _process(tick: ScrapeTick, delivery: Delivery, settings: Settings) -> None:
    db, publisher = fs.get_client(settings.project_id), publisher_for(settings)
    fan_out(tick, delivery, settings, db, publisher, now=time.time(), started=time.monotonic())


dispatch = pubsub_function("dispatch", ScrapeTick, _process)
