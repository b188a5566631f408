"""A day of the scheduler's minute ticks through dispatch, at the cost model's volumes: the
Firestore operations the schedule itself costs a day, and the fetch runs it starts. The e2e
bench cannot say: it replays whole ticks, every subreddit each.

How: dispatch's ``fan_out`` runs in this process against the Firestore and Pub/Sub emulators,
the tick's time passed in, so 1,440 ticks take a minute rather than a day. After each tick
every subreddit it sent has the two fields dispatch reads of its cursor saved as its fetch
run would save them (the run's id first among the last ``RUNS_KEPT``, and a pace), through
a client the counter does not see. Counted: dispatch's reads and writes as billed
(devtools/firestore_ops.py).

Assumed, not measured: each subreddit writes at a steady pace all day; :func:`shares` splits
a volume between the configured subreddits, the first (r/wallstreetbets) ``BUSIEST_SHARE``
of it; a cursor's pace is the subreddit's whole item rate (fetch measures the faster of its
two listings, so real paces are lower and runs fewer); a run saves before the next tick (a
run still going makes each tick read its cursor again: the reads are a floor); no alert is
active, so the silence checks of a tick that sends cost their two empty queries.
"""

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from google.cloud import firestore

from bench.cost import VOLUMES
from common.adapters import firestore as fs
from common.entrypoint import Delivery, publisher_for
from common.ingest import RUNS_KEPT
from common.messages import ScrapeTick
from common.settings import DEFAULT_SUBREDDITS, Settings

TICKS = 24 * 60  # a day of the scheduler's minute
T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC: any day will do, the paces are steady
BUSIEST_SHARE = 0.5  # r/wallstreetbets; the others split the rest evenly


def shares(subreddits: tuple[str, ...]) -> dict[str, float]:
    rest = (1.0 - BUSIEST_SHARE) / max(1, len(subreddits) - 1)
    return {s.lower(): BUSIEST_SHARE if i == 0 else rest for i, s in enumerate(subreddits)}


def a_day(db: firestore.Client, plain: firestore.Client, settings: Settings, items_per_day: int) -> dict[str, Any]:
    """One day of ticks at ``items_per_day``; ``db`` is counted, ``plain`` (the fetch runs'
    saves and what the bench reads to know them) is not."""
    from functions.dispatch.main import fan_out

    paces = {s: items_per_day * share / 86_400 for s, share in shares(tuple(settings.subreddits)).items()}
    publisher = publisher_for(settings)
    before = fs.totals()
    runs = 0
    for i in range(TICKS):
        run_id = f"schedule-{items_per_day}-{i:04d}"
        tick = ScrapeTick(run_id=run_id, due_only=True)
        sent = fan_out(tick, Delivery(run_id), settings, db, publisher, now=T0 + 60 * i)
        if not sent:
            continue
        record = plain.collection(fs.SCHEDULE).document(fs.FETCH_SCHEDULE).get().to_dict() or {}
        for key, run in (record.get("run_ids") or {}).items():
            if run == run_id:  # fetch saves its cursor: the run's id first among its last, and the pace
                cursor = plain.collection(fs.CURSORS).document(key)
                last = list((cursor.get().to_dict() or {}).get("runs") or [])
                cursor.set({"pace": paces[key], "runs": [run_id, *last][:RUNS_KEPT]}, merge=True)
                runs += 1
    after = fs.totals()
    reads, writes = after.reads - before.reads, after.writes - before.writes
    return {
        "dispatch_reads_per_day": reads,
        "dispatch_writes_per_day": writes,
        "dispatch_ops_per_tick": round((reads + writes) / TICKS, 3),
        "fetch_runs_per_day": runs,
    }


def run() -> dict[str, Any]:
    from devtools import firestore_ops
    from emulators.stack import Stack

    log_dir = Path(tempfile.mkdtemp(prefix="bench-schedule-"))
    stack = Stack(log_dir=log_dir, functions=[], local_reddit=False)
    stack.start()
    saved = dict(os.environ)
    os.environ.update(stack.env)
    try:
        assert stack.emulators
        firestore_ops.install()
        settings = Settings(project_id=stack.emulators.project, subreddits=DEFAULT_SUBREDDITS)
        db, plain = firestore.Client(project=settings.project_id), firestore.Client(project=settings.project_id)
        firestore_ops.wrap(db)
        figures: dict[str, Any] = {
            "ticks_per_day": TICKS,
            "subreddits": len(settings.subreddits),
            "busiest_share": BUSIEST_SHARE,
        }
        for name, volume in VOLUMES.items():
            stack.emulators.clear_firestore()
            began = time.monotonic()
            for key, value in a_day(db, plain, settings, volume).items():
                figures[f"{key}_{name}"] = value
            figures[f"simulated_day_s_{name}"] = round(time.monotonic() - began, 1)
        return figures
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(log_dir, ignore_errors=True)


if __name__ == "__main__":
    for figure, value in run().items():
        print(f"{figure:<40} {value}")
