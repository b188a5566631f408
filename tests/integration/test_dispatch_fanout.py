"""A scheduler tick through the real Pub/Sub emulator, pushed to the running dispatch."""

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import google.cloud.pubsub_v1 as pubsub_v1
import pytest
from google.cloud import firestore

from common import topics
from common.adapters import firestore as fs
from common.settings import DEFAULT_SUBREDDITS
from demo.logs import FunctionLog
from devtools.pubsub import Observer
from emulators.stack import Stack


def publish(stack: Stack, topic: str, data: bytes) -> str:
    assert stack.emulators
    publisher = pubsub_v1.PublisherClient()
    return str(publisher.publish(publisher.topic_path(stack.emulators.project, topic), data).result(timeout=10))


def test_a_tick_fans_out_one_fetch_per_configured_subreddit(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    fetches = observe(topics.SUBREDDIT_FETCHES)
    publish(emulators, topics.SCRAPE_TICKS, b"{}")
    received = fetches.pull(expected=len(DEFAULT_SUBREDDITS), timeout=30, settle=1.0)
    assert sorted(m.json()["subreddit"] for m in received) == sorted(DEFAULT_SUBREDDITS)
    assert len({m.json()["run_id"] for m in received}) == 1


def test_a_duplicated_tick_does_not_double_the_fan_out(emulators: Stack, observe: Callable[[str], Observer]) -> None:
    assert emulators.emulators
    fetches = observe(topics.SUBREDDIT_FETCHES)
    run_id = f"run-{uuid.uuid4().hex[:6]}"
    tick = f'{{"run_id": "{run_id}", "subreddits": ["stocks", "options"]}}'.encode()
    publish(emulators, topics.SCRAPE_TICKS, tick)
    first = fetches.pull(expected=2, timeout=30)
    log = FunctionLog.from_end(emulators.log_dir / "dispatch.log")
    publish(emulators, topics.SCRAPE_TICKS, tick)  # same run delivered again
    deadline, ignored = time.monotonic() + 30, list[dict[str, object]]()
    while not ignored and time.monotonic() < deadline:  # handled, not merely slow
        ignored = [e for e in log.entries() if e.get("run_id") == run_id and "already dispatched" in str(e["message"])]
        time.sleep(0.2)
    assert ignored, "dispatch never handled the duplicate tick"
    later = fetches.pull(expected=1, timeout=2)
    assert sorted(m.json()["subreddit"] for m in first) == ["options", "stocks"]
    assert all(abs(m.json()["sent_at"] - time.time()) < 120 for m in first)  # fetch reads until the hold ends
    assert later == []
    # the run's record outlives Pub/Sub's 7-day retention of the tick, then its TTL ends it
    record = firestore.Client(project=emulators.emulators.project).collection("runs").document(run_id).get()
    assert timedelta(days=7) < record.get("expires_at") - datetime.now(UTC) <= fs.REDELIVERY_TTL


def test_a_malformed_tick_is_dead_lettered_and_does_not_block_the_next(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    dead = observe(topics.dead_letter_topic("scrape-ticks-dispatch"))
    fetches = observe(topics.SUBREDDIT_FETCHES)
    bad_id = publish(emulators, topics.SCRAPE_TICKS, b"this is not json")
    publish(emulators, topics.SCRAPE_TICKS, b'{"subreddits": ["pennystocks"]}')
    [dead_lettered] = dead.pull(expected=1, timeout=30, settle=1.0)
    assert dead_lettered.data == b"this is not json"
    assert dead_lettered.attributes["source_message_id"] == bad_id
    assert "not JSON" in dead_lettered.attributes["error"]
    assert [m.json()["subreddit"] for m in fetches.pull(expected=1, timeout=30)] == ["pennystocks"]


def test_each_fetch_names_the_config_version_in_force_when_the_tick_fanned_out(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """Downstream counts and decides the run with that version, reading the config only when
    the version is new to it: a change applies from the next tick."""
    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    fetches = observe(topics.SUBREDDIT_FETCHES)
    db.collection("config").document("detection").set({"warmup_hours": 12, "version": 5})
    publish(emulators, topics.SCRAPE_TICKS, b'{"subreddits": ["stocks"]}')
    assert [m.json()["config_version"] for m in fetches.pull(expected=1, timeout=30)] == [5]
    db.collection("config").document("detection").set({"warmup_hours": 24, "version": 6})
    publish(emulators, topics.SCRAPE_TICKS, b'{"subreddits": ["stocks"]}')
    assert [m.json()["config_version"] for m in fetches.pull(expected=1, timeout=30)] == [6]


def test_a_copy_of_a_tick_waits_while_another_copy_dispatches_and_takes_over_once_that_one_is_dead(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """Two live fan-outs would fetch every subreddit twice against Reddit's request budget.
    The live copy's lease is fresh until the test ends it, so the waiting is the lease's doing,
    whatever the clock: once ended, a redelivery of the waiting tick takes over, once."""
    from functions.dispatch.main import LEASE_S

    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    fetches = observe(topics.SUBREDDIT_FETCHES)
    log = FunctionLog.from_end(emulators.log_dir / "dispatch.log")
    alive, dead = (f"run-{uuid.uuid4().hex[:6]}" for _ in range(2))
    db.collection("runs").document(alive).set({"state": "dispatching", "dispatching_at": time.time()})
    # the dead copy chose its subreddits: the copy that takes over sends those, not its own
    db.collection("runs").document(dead).set(
        {"state": "dispatching", "dispatching_at": time.time() - 600, "subreddits": ["akleaoquietd"]}
    )
    # subreddits no corpus holds: the fetches they start find nothing to emit
    waiting = publish(
        emulators, topics.SCRAPE_TICKS, f'{{"run_id": "{alive}", "subreddits": ["akleaoquieta"]}}'.encode()
    )
    publish(emulators, topics.SCRAPE_TICKS, f'{{"run_id": "{dead}", "subreddits": ["akleaoquietb"]}}'.encode())
    first = fetches.pull(expected=1, timeout=30, settle=0.5)
    assert [(m.json()["run_id"], m.json()["subreddit"]) for m in first] == [(dead, "akleaoquietd")]
    deadline, refused = time.monotonic() + 30, list[dict[str, object]]()
    while not refused and time.monotonic() < deadline:  # the live copy's tick was handled and told to wait
        refused = [
            e for e in log.entries() if e.get("message_id") == waiting and "being dispatched by another copy" in str(e)
        ]
        time.sleep(0.2)
    assert refused, "the waiting tick was never handled"
    assert fetches.pull(expected=1, timeout=2) == []
    db.collection("runs").document(alive).update({"dispatching_at": time.time() - LEASE_S - 1})  # the copy died
    later = fetches.pull(expected=1, timeout=60, settle=3.0)
    assert [(m.json()["run_id"], m.json()["subreddit"]) for m in later] == [(alive, "akleaoquieta")]
    assert {db.collection("runs").document(r).get().get("state") for r in (alive, dead)} == {"dispatched"}


def test_a_scheduler_tick_taking_over_its_dead_copy_leaves_what_a_later_tick_claimed_since(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """The dead copy claimed two subreddits and sent nothing; a later tick has claimed one of
    them again since (its hold passed). The copy taking over sends only the other: sending
    both would fetch the first twice at once, and point the schedule back at this run."""
    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    fetches = observe(topics.SUBREDDIT_FETCHES)
    dead, later = f"tick-{uuid.uuid4().hex[:6]}", f"tick-{uuid.uuid4().hex[:6]}"
    mine, theirs = "akleaotakeover", "akleaoclaimed"  # no corpus holds them: their fetches emit nothing
    db.collection("runs").document(dead).set(
        {"state": "dispatching", "dispatching_at": time.time() - 600, "subreddits": [mine, theirs]}
    )
    db.collection("schedule").document("fetches").set(
        {"dispatched_at": {mine: time.time() - 600, theirs: time.time() - 30}, "run_ids": {mine: dead, theirs: later}},
        merge=True,
    )
    tick = json.dumps({"run_id": dead, "due_only": True, "subreddits": [mine, theirs]}).encode()
    publish(emulators, topics.SCRAPE_TICKS, tick)
    sent = fetches.pull(expected=2, timeout=30, settle=3.0)
    assert [(m.json()["run_id"], m.json()["subreddit"]) for m in sent] == [(dead, mine)]
    assert db.collection("runs").document(dead).get().get("state") == "dispatched"
    assert db.collection("schedule").document("fetches").get().get("run_ids")[theirs] == later


def test_a_takeover_leaves_a_subreddit_a_later_tick_claims_between_its_read_and_its_write(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy taking over reads the schedule, then records what it still holds; a later
    tick's claim landing in between must win, not be written back to this run (both would
    fetch it at once, and the schedule would follow the wrong one)."""
    from functions.dispatch import schedule

    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    dead, later = f"tick-{uuid.uuid4().hex[:6]}", f"tick-{uuid.uuid4().hex[:6]}"
    kept, lost = "akleaoreclaimkept", "akleaoreclaimlost"
    record = db.collection("schedule").document("fetches")
    record.set({"dispatched_at": {kept: 1.0, lost: 1.0}, "run_ids": {kept: dead, lost: dead}}, merge=True)

    class ClaimedInBetween:
        """The schedule's reference, but a later tick claims ``lost`` just after the first read."""

        def __init__(self) -> None:
            self.reads = 0

        def get(self) -> Any:
            snap = record.get()
            self.reads += 1
            if self.reads == 1:
                record.update({f"run_ids.{lost}": later, f"dispatched_at.{lost}": 2.0})
            return snap

        def __getattr__(self, name: str) -> Any:
            return getattr(record, name)

    between = ClaimedInBetween()
    monkeypatch.setattr(schedule, "_record", lambda _db: between)
    assert schedule.reclaim(db, [kept, lost], dead, now=100.0) == [kept]
    # the write made on the first read failed and the schedule was read again (a late tick of an
    # earlier test may have written it once more: the outcome below is what must hold)
    assert between.reads >= 2
    doc = record.get().to_dict() or {}
    assert (doc["run_ids"][kept], doc["dispatched_at"][kept]) == (dead, 100.0)
    assert (doc["run_ids"][lost], doc["dispatched_at"][lost]) == (later, 2.0)


QUIET = "nothing_here_yet"  # no corpus the tests load has it


def test_a_tick_sends_a_silence_check_behind_the_mentions_of_each_ticker_whose_alert_may_have_outlived_them(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """The slowest configured subreddit's ``read_through``, less an hour for late items, is the
    check's time (one that never showed an item holds nothing back; one never read whole holds
    every check back); a ticker whose alert's window emptied before it gets one, on
    ``mentions`` with the ticker as ordering key, and one whose alert is recent none."""
    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    now = 1_767_888_000.0
    # the tick names a subreddit the local Reddit has nothing of: its fetch starts no pipeline
    # that could outlive the test (and decide, in a later test's data hours, with its crowd)
    through = {s.lower(): now - 600 * i for i, s in enumerate(DEFAULT_SUBREDDITS)} | {QUIET: 0.0}
    slowest = min((t, s) for s, t in through.items() if t)[1]
    for subreddit, at in through.items():
        db.collection("cursors").document(subreddit).set({"read_through": at, "newest_created_utc": now})
    for symbol, updated_at, status in (
        ("QUIE", now - 30 * 3600, "escalated"),
        ("BUSY", now - 2 * 3600, "open"),
        ("GONE", now - 30 * 3600, "resolved"),
    ):
        alert = {"alert_id": f"{symbol}-1", "symbol": symbol, "status": status, "updated_at": updated_at}
        db.collection("alerts").document(f"{symbol}-1").set({**alert, "rule": "volume_6h"})
    mentions, fetches = observe(topics.MENTIONS), observe(topics.SUBREDDIT_FETCHES)
    db.collection("cursors").document(slowest).update({"read_through": None})  # its comments never served
    log = FunctionLog.from_end(emulators.log_dir / "dispatch.log")
    publish(emulators, topics.SCRAPE_TICKS, json.dumps({"subreddits": [QUIET]}).encode())
    deadline, held = time.monotonic() + 30, list[dict[str, object]]()
    while not held and time.monotonic() < deadline:
        held = [e for e in log.entries() if str(e.get("message")).startswith("sent 0 silence checks")]
        time.sleep(0.2)
    assert [e.get("unread") for e in held] == [[slowest]]
    assert mentions.pull(expected=1, timeout=3) == []
    # the fetch went out with the furthest whole read as its floor: read after it, even the
    # quiet subreddit shows everything written before then
    [fetch] = fetches.pull(expected=1, timeout=30, settle=1.0)
    assert fetch.json()["subreddit"] == QUIET and fetch.json()["read_floor"] == max(through.values())
    db.collection("cursors").document(slowest).update({"read_through": through[slowest]})
    publish(emulators, topics.SCRAPE_TICKS, json.dumps({"subreddits": [QUIET]}).encode())
    [check] = mentions.pull(expected=1, timeout=30, settle=3.0)
    assert check.json()["ticker"] == "QUIE" and check.json()["mentions"] == []
    assert check.json()["silence_check"] == min(t for t in through.values() if t) - 3600
    assert check.ordering_key == "QUIE"
    publish(emulators, topics.SCRAPE_TICKS, json.dumps({"subreddits": [QUIET]}).encode())
    assert mentions.pull(expected=1, timeout=5) == []  # nothing read since: sent already
    db.collection("config").document("detection").set({"warmup_hours": 24, "version": 2_000_077})
    publish(emulators, topics.SCRAPE_TICKS, json.dumps({"subreddits": [QUIET]}).encode())
    [again] = mentions.pull(expected=1, timeout=30, settle=3.0)  # a new config may decide it otherwise
    assert (again.json()["ticker"], again.json()["config_version"]) == ("QUIE", 2_000_077)


def test_the_scheduler_tick_fetches_each_subreddit_when_its_pace_makes_it_due_and_records_when(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """A busy subreddit (its cursor's pace) is due a minute after its last fetch, a quiet one
    ten minutes after, one never sent at once, and a busy one whose last run has not saved its
    cursor waits for it; a second tick right after sends none of them. The names are
    subreddits no corpus holds: the fetches they start find nothing to emit."""
    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    fetches = observe(topics.SUBREDDIT_FETCHES)
    busy, quiet, new, held = "akleaobusy", "akleaoquietc", "akleaonew", "akleaoheld"
    for name, pace in ((busy, 10.0), (quiet, 0.01), (held, 10.0)):
        db.collection("cursors").document(name).set({"pace": pace, "runs": ["tick-0"], "newest_created_utc": 1.0})
    before = time.time()
    sent = {busy: before - 90, quiet: before - 90, held: before - 90}
    db.collection("schedule").document("fetches").set(
        {"dispatched_at": sent, "run_ids": {busy: "tick-0", quiet: "tick-0", held: "tick-1"}}
    )
    tick = json.dumps({"due_only": True, "subreddits": ["AkleaoBusy", quiet, new, held]}).encode()
    publish(emulators, topics.SCRAPE_TICKS, tick)
    sent_now = fetches.pull(expected=2, timeout=30, settle=2.0)
    assert sorted(m.json()["subreddit"] for m in sent_now) == ["AkleaoBusy", new]
    record = db.collection("schedule").document("fetches").get()
    recorded = record.get("dispatched_at")
    assert recorded[quiet] == recorded[held] == before - 90
    assert before <= recorded[busy] == recorded[new] <= time.time()
    [run_id] = {m.json()["run_id"] for m in sent_now}
    assert record.get("run_ids") == {busy: run_id, new: run_id, quiet: "tick-0", held: "tick-1"}
    log = FunctionLog.from_end(emulators.log_dir / "dispatch.log")
    again = publish(emulators, topics.SCRAPE_TICKS, tick)
    deadline, handled = time.monotonic() + 30, list[dict[str, object]]()
    while not handled and time.monotonic() < deadline:  # handled, not merely slow
        handled = [e for e in log.entries() if e.get("message_id") == again and "dispatched" in str(e["message"])]
        time.sleep(0.2)
    assert [e["message"] for e in handled] == ["dispatched 0 subreddit fetches"]
    assert fetches.pull(expected=1, timeout=2) == []
    # once its run has saved the cursor, the busy one is due again after its minute
    deadline = time.monotonic() + 30
    while run_id not in (db.collection("cursors").document(busy).get().to_dict() or {}).get("runs", []):
        assert time.monotonic() < deadline, "the fetch never saved its cursor"
        time.sleep(0.2)
    # the run measured nothing here: say it measured 10 a second (in its cursor, and not in
    # what dispatch may have kept of the cursor since)
    db.collection("cursors").document(busy).update({"pace": 10.0})
    db.collection("schedule").document("fetches").update(
        {f"dispatched_at.{busy}": time.time() - 61, f"paced.{busy}": firestore.DELETE_FIELD}
    )
    publish(emulators, topics.SCRAPE_TICKS, tick)
    assert [m.json()["subreddit"] for m in fetches.pull(expected=1, timeout=30, settle=2.0)] == ["AkleaoBusy"]


def test_a_scheduler_tick_with_nothing_due_records_no_run_and_reads_no_cursor_whose_pace_it_kept(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """Most minute ticks send nothing. A pace the record kept for the run that saved it stands
    (the cursor now says busier: not read); a cursor read once its run saved is kept for the
    next ticks; the tick records no run and looks for no silence (nothing was read since the
    last tick that sent)."""
    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    fetches = observe(topics.SUBREDDIT_FETCHES)
    kept, saved, others = "akleaokept", "akleaosaved", [f"akleaoidle{i}" for i in range(4)]
    now = time.time()
    for name in (kept, saved, *others):  # every cursor says busy: a tick reading one sends it
        db.collection("cursors").document(name).set({"pace": 10.0, "runs": ["tick-0"], "newest_created_utc": 1.0})
    db.collection("cursors").document(saved).update({"pace": 0.01})
    names = [kept, saved, *others]
    db.collection("schedule").document("fetches").set(
        {
            "dispatched_at": dict.fromkeys(names, now - 90),
            "run_ids": dict.fromkeys(names, "tick-0"),
            "paced": {n: {"run": "tick-0", "pace": 0.01} for n in (kept, *others)},
        }
    )
    log = FunctionLog.from_end(emulators.log_dir / "dispatch.log")
    run_id = f"idle-{uuid.uuid4().hex[:8]}"
    tick = {"run_id": run_id, "due_only": True, "subreddits": names}
    publish(emulators, topics.SCRAPE_TICKS, json.dumps(tick).encode())
    seen: list[dict[str, object]] = []

    def ops_line() -> dict[str, object] | None:  # the count dispatch logs after the tick's last line
        ids = {e.get("message_id") for e in seen if e.get("run_id") == run_id}
        return next((e for e in seen if e.get("message_id") in ids and "ops_reads" in e), None)

    deadline = time.monotonic() + 30
    while ops_line() is None and time.monotonic() < deadline:
        seen += log.entries()
        time.sleep(0.2)
    assert [e.get("message") for e in seen if e.get("run_id") == run_id] == ["dispatched 0 subreddit fetches"]
    assert fetches.pull(expected=1, timeout=3) == []
    assert not db.collection("runs").document(run_id).get().exists
    paced = db.collection("schedule").document("fetches").get().get("paced")
    assert paced[saved] == {"run": "tick-0", "pace": 0.01, "unserved": 0}  # learnt: the next tick reads no cursor
    assert paced[kept] == {"run": "tick-0", "pace": 0.01}
    ops = ops_line()
    assert ops is not None, "dispatch logged no operation count"
    assert ops["ops_writes"] == 1  # the pace it learnt, and nothing else
    assert ops["ops_reads"] == 2  # the record and the one cursor it could not speak for: no silence to look for


@pytest.mark.parametrize("recorded", [False, True], ids=["first_record", "record_kept"])
def test_scheduler_ticks_handled_at_once_fetch_each_due_subreddit_once(emulators: Stack, recorded: bool) -> None:
    """A backlog of ticks flushing together after an outage: each finds the same subreddits
    due, and only the one that claims them first sends them, whether the schedule's record is
    yet to be made or each claim must find it as it was read."""
    import threading

    from common.entrypoint import Delivery
    from common.messages import ScrapeTick
    from common.settings import Settings
    from functions.dispatch.main import fan_out

    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    names = [f"akleaorace{i}" for i in range(3)]  # never sent: due at once
    if recorded:  # another subreddit's: the claims update the record instead of creating it
        db.collection("schedule").document("fetches").set({"dispatched_at": {"akleaoelsewhere": time.time()}})
    sent: list[str] = []
    lock = threading.Lock()

    class Recording:
        def publish_all(self, outgoing: Any, timeout: float = 60.0) -> list[str]:
            with lock:
                sent.extend(o.message.subreddit for o in outgoing)
            return []

    start = threading.Barrier(6)
    errors: list[BaseException] = []

    race = uuid.uuid4().hex[:6]
    ticks = [ScrapeTick(run_id=f"race-{race}-{i}", due_only=True, subreddits=tuple(names)) for i in range(6)]
    done: list[int] = []

    def tick(i: int) -> None:
        start.wait()
        try:
            publisher: Any = Recording()
            fan_out(ticks[i], Delivery(f"race-{i}"), Settings(), db, publisher, now=time.time())
            done.append(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=tick, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    # Each claim lost means another tick's claim landed in between: six ticks, at most five
    # losses each, within CLAIM_ATTEMPTS (12), so none needs a redelivery
    assert errors == []
    assert sorted(done) == list(range(6))
    assert sorted(sent) == names  # and each due subreddit went out once, whoever claimed it
    stored = db.collection("schedule").document("fetches").get().get("dispatched_at")
    assert set(stored) == {*names, *(["akleaoelsewhere"] if recorded else [])}  # the others kept theirs


@pytest.mark.parametrize("write", ["claim", "create", "takeover"])
def test_a_write_whose_answer_was_lost_is_known_as_the_ticks_own_and_its_fetches_go_out(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch, write: str
) -> None:
    """The client retries a commit whose answer was lost (unavailable), and the retry is
    refused: the run exists, or changed since it was read. Taken for a copy's write, the tick
    would wait out the copy's lease (and its redeliveries) with nothing sent."""
    from google.api_core import exceptions as gexc
    from google.cloud.firestore_v1.batch import WriteBatch
    from google.cloud.firestore_v1.document import DocumentReference

    from common.entrypoint import Delivery
    from common.messages import ScrapeTick
    from common.settings import Settings
    from functions.dispatch.main import fan_out

    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    run_id = f"lost-{uuid.uuid4().hex[:6]}"
    name = f"akleaolost{uuid.uuid4().hex[:4]}"  # never sent: due at once, its fetch finds nothing
    if write == "takeover":  # a copy died midway: this tick takes the run over
        db.collection("runs").document(run_id).set(
            {"state": "dispatching", "dispatching_at": time.time() - 600, "subreddits": [name]}
        )
    held = f"akleaoheld{uuid.uuid4().hex[:4]}"  # sent a moment ago: not due, and not the run's
    db.collection("schedule").document("fetches").set({"dispatched_at": {held: time.time()}}, merge=True)
    lost = {"claim": (WriteBatch, "commit"), "create": (DocumentReference, "create")}.get(
        write, (DocumentReference, "update")
    )
    original: Callable[..., Any] = getattr(*lost)
    refusals: dict[str, Callable[[str], Exception]] = {
        "claim": gexc.AlreadyExists,
        "create": gexc.AlreadyExists,
        "takeover": gexc.FailedPrecondition,
    }

    def applied_then_refused(self: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(self, DocumentReference) and self.parent.id != fs.RUNS:
            return original(self, *args, **kwargs)  # another document's: as it is
        monkeypatch.setattr(*lost, original)  # once
        original(self, *args, **kwargs)
        raise refusals[write]("the retry of a write that was applied")

    monkeypatch.setattr(*lost, applied_then_refused)
    sent: list[str] = []

    class Recording:
        def publish_all(self, outgoing: Any, timeout: float = 60.0) -> list[str]:
            sent.extend(o.message.subreddit for o in outgoing)
            return []

    named = (name, held) if write == "claim" else (name,)
    tick = ScrapeTick(run_id=run_id, due_only=write == "claim", subreddits=named)
    publisher: Any = Recording()
    assert fan_out(tick, Delivery(run_id), Settings(), db, publisher, now=time.time()) == 1
    assert sent == [name]
    assert db.collection("runs").document(run_id).get().get("state") == "dispatched"
