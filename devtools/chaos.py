"""``make chaos``: faults on the real local stack, each run against a clean run of the same replay.

The delivery rules (at-least-once, idempotent handlers, dead-letter topics, one ordered
mailbox per ticker) are argued in the docstrings; this suite exercises them. Every case
starts a fresh stack, plays the same small replay (a 30-hour corpus with one organic
breakout, a tick every 3 hours of data time), strikes with its fault while the breakout is
being counted, lets the system recover (the driver restarts what it killed, Pub/Sub
redelivers, fetch retries), waits until every message published on every topic has been
handled, and compares what the system stored with the clean run's: Firestore's hour and
day buckets, ticker summaries and alerts, BigQuery's rows, and the dead-letter topics.

Dev-only (``devtools/``): nothing here is deployed. docs/operations.md, "Fault suite",
says what each case does and what is left out.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.cloud import firestore
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient
from google.cloud.pubsub_v1.types import PublisherOptions

from common import history, topics
from common.adapters import bigquery as bq
from common.adapters import firestore as fs
from common.detection_config import DetectionConfig
from common.messages import MalformedMessage, decode_data
from common.metrics import COUNTERS
from common.settings import Settings
from demo.logs import FunctionLog
from devtools.corpus import HOUR, START, SUBREDDITS, write_breakout_corpus
from devtools.reddit import LocalReddit
from emulators.stack import STATE_DIR, Stack
from functions.detect.store import GLOBAL, STATS
from functions.detect.store import HOURS as STATS_HOURS

CORPUS_HOURS = 30
SPIKE_FROM = 20  # the breakout's first hour
STEP_HOURS = 3  # data time per tick
FAULT_TICK = 7  # clock at hour 21: the breakout is being fetched, counted and detected
DETECTION = {"warmup_hours": 12}  # as the e2e test: a 30-hour corpus can alert
# Every Pub/Sub-triggered function: each topic has its consumer, so a poison message on any
# topic meets a function that must dead-letter it. The api is not needed by the pipeline.
FUNCTIONS = ("dispatch", "fetch", "archive", "aggregate", "detect", "notify", "notify_digest")
RESTART_AFTER_S = 2.0  # a killed function is down this long: pushes to it fail meanwhile
# max_delivery_attempts for the chaos stack: Pub/Sub's largest (Terraform's variable stops at
# 50, within the idempotency records' days) instead of the default 20. The emulator retries
# a push on an *ordered* subscription at once, without the
# retry policy's backoff (measured: 30 refused pushes to a killed aggregate within 5 s, where
# the unordered fetch saw 4 in a minute), so a function down for two seconds uses up the
# attempts, and the emulator's dead-letter forwarding then throws (NullPointerException in
# MessageBacklog.pull) and the subscription's push loop never delivers again. Production
# waits at least 10 s between attempts; 100 attempts cover a few seconds of immediate ones.
MAX_DELIVERY_ATTEMPTS = 100
# Nothing logged for this long after every message was handled: a redelivery the emulator
# still owes (its retry backoff starts at terraform's 10 s) has had time to land.
QUIET_S = 12.0
SETTLE_TIMEOUT_S = 420.0
FETCH_TIMEOUT_S = 300.0  # a killed fetch's jobs come back after Pub/Sub's backoff
LOG_ROOT = STATE_DIR / "chaos"

# How each line a function logs once a message's work is done (its writes and publishes
# made) begins, as a pattern: a duplicate tick's line names its run first ("run chaos-07
# already dispatched; ..."), which a fixed prefix cannot match. A malformed message's line
# is common to all (common/entrypoint.py). tests/unit/test_chaos.py holds these to the
# lines the functions really log.
DONE: Mapping[str, re.Pattern[str]] = {
    "dispatch": re.compile(r"dispatched \d+ subreddit fetches|run \S+ already dispatched"),
    "fetch": re.compile(r"fetched r/"),
    "archive": re.compile(r"archived \d+ items"),
    "aggregate": re.compile(r"aggregated |unusable ticker|silence check of "),
    "detect": re.compile(r"detected |stale update"),
    "notify": re.compile(r"notified "),
    "notify_digest": re.compile(r"sent \d+ digests"),
}
DEAD_LETTERED = "malformed message dead-lettered"


def finished(function: str, message: str) -> bool:
    """Whether ``message``, logged by ``function``, says a message's work is done."""
    return DONE[function].match(message) is not None


# ---------------------------------------------------------------- what is compared

# Ticker summary fields that are not what was counted, each left out for a reason:
# - ``detection``: detect's own bookkeeping of its latest decision (config version, the
#   scores of the last update it saw); what detection decided is compared through alerts.
SUMMARY_EXCLUDED = frozenset({"detection"})
# Alert fields compared: identity, kind, level, status and the history of its moments
# (each stamped with data time), which is what a user is told and when.
ALERT_FIELDS = ("alert_id", "symbol", "kind", "level", "status", "history")
# Left out of each history entry: ``score``. Detect compares a ticker with the crowd of its
# data hour, computed once from whatever ticker summaries exist when the first update of
# that hour is decided (functions/detect/store.py, read_stats): how far the other tickers'
# aggregation has got by then is timing, so two clean runs of one replay already differ in
# it (measured: 5.80 and 6.01 for the same moment). Moments, levels and kinds do not.
HISTORY_EXCLUDED = frozenset({"score"})
# BigQuery columns left out: ``run_id`` names which scheduler run first read an item; when
# two runs overlap (a fault case), either may, and the row is the same row.
ROW_EXCLUDED = frozenset({"run_id"})


def canonical(value: Any) -> Any:
    """A comparable form: floats rounded (Firestore sums float increments in arrival
    order, which changes the last bits), author lists as sets (ArrayUnion keeps arrival
    order), timestamps as text."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        items = [canonical(v) for v in value]
        return items
    if isinstance(value, bytes):
        return value.hex()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def bucket(doc: Mapping[str, Any]) -> Any:
    """An hour or day bucket; its ``authors`` is a set kept as an array, and a counter no
    batch added to is absent (0), so runs batched differently compare equal."""
    out = {**dict.fromkeys(COUNTERS, 0), **doc}
    if isinstance(out.get("authors"), list):
        out["authors"] = sorted(out["authors"])
    return canonical(out)


@dataclass(frozen=True)
class Snapshot:
    """What a run left behind, in comparable form."""

    firestore: dict[str, Any]  # document path -> canonical fields
    rows: dict[str, Counter[str]]  # BigQuery table -> rows (canonical JSON) with their counts
    dead_letters: dict[str, set[str]]  # subscription -> ids of the messages dead-lettered
    # The crowd detect compared each data hour with (stats/global and its hours), as stored:
    # pinned in the runs that follow (see pin_crowd), never compared.
    crowd: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The sizes of the breakout ticker's mention batches in the order aggregate counted them
    # (one batch per subreddit and run): never compared, told when the alerts differ. Detect
    # escalates an alert when its score grows by ``escalation_step`` over the score it last
    # announced, and it decides on the ticker as counted after each batch, so the order the
    # subreddits' batches arrive in (timing, not a fault) can change the alert's levels.
    batches: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """For a person to diff two runs (each run's log folder keeps its own)."""
        return {
            "firestore": self.firestore,
            "rows": {table: dict(rows) for table, rows in self.rows.items()},
            "dead_letters": {name: sorted(ids) for name, ids in self.dead_letters.items()},
            "batches": list(self.batches),
        }


def read_firestore(db: firestore.Client) -> dict[str, Any]:
    """Ticker summaries, their hour and day buckets, and alerts."""
    out: dict[str, Any] = {}
    for ticker in db.collection(fs.TICKERS).list_documents():
        snap = ticker.get()
        if snap.exists:
            summary = {k: v for k, v in (snap.to_dict() or {}).items() if k not in SUMMARY_EXCLUDED}
            out[ticker.path] = canonical(summary)
        for sub in (fs.HOURS, "days"):
            for doc in ticker.collection(sub).stream():
                out[doc.reference.path] = bucket(doc.to_dict() or {})
    for alert in db.collection(fs.ALERTS).stream():
        data = alert.to_dict() or {}
        fields = {k: data.get(k) for k in ALERT_FIELDS}
        fields["history"] = [
            {k: v for k, v in entry.items() if k not in HISTORY_EXCLUDED} for entry in fields["history"] or []
        ]
        out[alert.reference.path] = canonical(fields)
    return out


def read_crowd(db: firestore.Client) -> dict[str, dict[str, Any]]:
    """``stats/global`` and ``stats/global/hours/*`` as stored (document path -> fields)."""
    root = db.collection(STATS).document(GLOBAL)
    docs = [root.get(), *root.collection(STATS_HOURS).stream()]
    return {d.reference.path: d.to_dict() or {} for d in docs if d.exists}


def pin_crowd(db: firestore.Client, crowd: Mapping[str, Mapping[str, Any]]) -> None:
    """Give detect the clean run's crowd for every data hour before the first tick.

    Detect computes the crowd of a data hour once, from whatever ticker summaries exist when
    it decides the first update of that hour, and keeps it (functions/detect/store.py,
    read_stats): how far the other tickers' aggregation has got at that moment is timing,
    so two clean runs of this replay already differ (measured: the breakout escalated to
    level 3 in one run and stopped at level 2 in the other). With the crowd pinned, what a
    fault changes is what the comparison sees."""
    for path, fields in crowd.items():
        db.document(path).set(dict(fields))


def read_rows(settings: Settings) -> dict[str, Counter[str]]:
    """Every row of every archive table, counted (a row archived twice counts 2)."""
    client = bq.get_client(settings)
    out: dict[str, Counter[str]] = {}
    for table in history.TABLES:
        rows = client.list_rows(bq.table_ref(settings, table))
        out[table] = Counter(
            json.dumps(canonical({k: v for k, v in dict(row).items() if k not in ROW_EXCLUDED}), sort_keys=True)
            for row in rows
        )
    return out


def differences(clean: Snapshot, got: Snapshot, expected_dead: Mapping[str, set[str]]) -> list[str]:
    """What differs from the clean run, in a few words each (empty: equal)."""
    out: list[str] = []
    missing = sorted(set(clean.firestore) - set(got.firestore))
    extra = sorted(set(got.firestore) - set(clean.firestore))
    changed = sorted(p for p in set(clean.firestore) & set(got.firestore) if clean.firestore[p] != got.firestore[p])
    for what, paths in (("missing", missing), ("extra", extra), ("differ", changed)):
        if paths:
            out.append(f"{len(paths)} docs {what} ({_field_hint(clean, got, paths[0])})")
    for table in history.TABLES:
        want, have = clean.rows.get(table, Counter()), got.rows.get(table, Counter())
        lost, added = want - have, have - want
        doubled = sum(n for row, n in added.items() if row in want)
        if lost:
            out.append(f"{table}: {sum(lost.values())} rows lost")
        if doubled:
            out.append(f"{table}: {doubled} rows doubled")
        if sum(added.values()) - doubled:
            out.append(f"{table}: {sum(added.values()) - doubled} rows unlike the clean run's")
    for subscription in sorted(set(got.dead_letters) | set(expected_dead)):
        have_ids, want_ids = got.dead_letters.get(subscription, set()), expected_dead.get(subscription, set())
        if want_ids - have_ids:
            out.append(f"{subscription}: {len(want_ids - have_ids)} poison messages not dead-lettered")
        if have_ids - want_ids:
            out.append(f"{subscription}: {len(have_ids - want_ids)} messages dead-lettered unexpectedly")
    return out


def _field_hint(clean: Snapshot, got: Snapshot, path: str) -> str:
    """The first document and field that differ, for the table."""
    before, after = clean.firestore.get(path), got.firestore.get(path)
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
        return f"e.g. {path}: {', '.join(keys[:4])}"
    return f"e.g. {path}"


# ---------------------------------------------------------------- the replay and one run


@dataclass(frozen=True)
class Replay:
    """The corpus and the replay clock at each tick: the same for every run."""

    corpus: Path
    ticker: str
    clocks: tuple[float, ...]

    @classmethod
    def write(cls, directory: Path) -> "Replay":
        label = write_breakout_corpus(directory, hours=CORPUS_HOURS, spike_from=SPIKE_FROM)
        clocks = tuple(START + h * HOUR for h in range(STEP_HOURS, CORPUS_HOURS + 1, STEP_HOURS))
        return cls(directory, str(label["ticker"]), clocks)


class Shadows:
    """A pull subscription on every topic, made before anything is published: the ids of
    every message published, to know when each has been handled."""

    def __init__(self, project: str) -> None:
        self.subscriber = SubscriberClient()
        self.paths = {
            topic: self.subscriber.subscription_path(project, f"chaos-shadow-{topic}") for topic in topics.TOPICS
        }
        for topic, path in self.paths.items():
            self.subscriber.create_subscription(request={"name": path, "topic": f"projects/{project}/topics/{topic}"})
        self.published: dict[str, set[str]] = {topic: set() for topic in topics.TOPICS}

    def collect(self) -> dict[str, set[str]]:
        for topic, path in self.paths.items():
            self.published[topic] |= set(pull_all(self.subscriber, path))
        return self.published


def pull_all(subscriber: SubscriberClient, path: str) -> dict[str, dict[str, str]]:
    """Everything waiting on a pull subscription (acknowledged): message id -> attributes."""
    got: dict[str, dict[str, str]] = {}
    while True:
        request = {"subscription": path, "max_messages": 1000, "return_immediately": True}
        response = subscriber.pull(request=request, timeout=10)
        if not response.received_messages:
            return got
        subscriber.acknowledge(
            request={"subscription": path, "ack_ids": [m.ack_id for m in response.received_messages]}
        )
        got.update({m.message.message_id: dict(m.message.attributes) for m in response.received_messages})


@dataclass
class Run:
    """One replay through one fresh stack, watched from its logs and shadow subscriptions."""

    stack: Stack
    replay: Replay
    shadows: Shadows
    publisher: PublisherClient
    logs: dict[str, FunctionLog]
    handled: dict[str, set[str]] = field(default_factory=dict)  # function -> message ids done
    fetched: dict[str, set[str]] = field(default_factory=dict)  # run id -> subreddits reported
    batches: list[int] = field(default_factory=list)  # see Snapshot.batches
    log_bytes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    ending: threading.Event = field(default_factory=threading.Event)  # set as the stack stops

    @property
    def project(self) -> str:
        return self.stack.env["GOOGLE_CLOUD_PROJECT"]

    def publish(self, topic: str, data: bytes, ordering_key: str = "") -> str:
        path = self.publisher.topic_path(self.project, topic)
        return str(self.publisher.publish(path, data, ordering_key=ordering_key).result(timeout=30))

    def tick(self, run_id: str) -> str:
        """One scheduler tick (the e2e test's payload: the corpus's subreddits)."""
        return self.publish(topics.SCRAPE_TICKS, json.dumps({"run_id": run_id, "subreddits": SUBREDDITS}).encode())

    def poll(self) -> None:
        """Read what the functions logged since the last poll."""
        with self.lock:
            for function, log in self.logs.items():
                for entry in log.entries():
                    self._note(function, entry)
            self.log_bytes = sum(log.offset for log in self.logs.values())

    def _note(self, function: str, entry: Mapping[str, Any]) -> None:
        message = str(entry.get("message") or "")
        if finished(function, message) or message.startswith(DEAD_LETTERED):
            self.handled.setdefault(function, set()).add(str(entry.get("message_id")))
        counted = int(entry.get("counted") or 0) if message.startswith("aggregated ") else 0  # 0: a redelivery
        if function == "aggregate" and counted and entry.get("ticker") == self.replay.ticker:
            self.batches.append(int(entry.get("mentions") or 0))
        if function == "fetch" and isinstance(entry.get("report"), dict):
            self.fetched.setdefault(str(entry.get("run_id")), set()).add(str(entry["report"].get("subreddit")))

    def outstanding(self, only: tuple[str, ...] = topics.TOPICS) -> dict[str, int]:
        """Messages published on each topic in ``only`` that its function has not finished."""
        self.poll()
        published = self.shadows.collect()
        out = {}
        for _subscription, (topic, function) in topics.SUBSCRIPTIONS.items():
            if topic in only:
                left = len(published[topic] - self.handled.get(function, set()))
                if left:
                    out[topic] = left
        return out

    def wait_fetched(self, run_id: str, timeout: float = FETCH_TIMEOUT_S) -> None:
        """Until the run's subreddits are fetched and no tick or fetch job is left, so the
        replay clock moves only once this tick's data is all read (as in the clean run)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = self.outstanding((topics.SCRAPE_TICKS, topics.SUBREDDIT_FETCHES))
            if not left and self.fetched.get(run_id, set()) >= set(SUBREDDITS):
                return
            time.sleep(0.3)
        raise TimeoutError(f"run {run_id} not fetched after {timeout:.0f} s; unhandled: {self.outstanding()}")

    def settle(self, timeout: float = SETTLE_TIMEOUT_S) -> str | None:
        """Until every message on every topic is handled and the logs are quiet; None when
        it did, else what was still outstanding."""
        deadline = time.monotonic() + timeout
        last_bytes, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            left = self.outstanding()
            if self.log_bytes != last_bytes:
                last_bytes, quiet_since = self.log_bytes, time.monotonic()
            if not left and time.monotonic() - quiet_since >= QUIET_S:
                return None
            time.sleep(0.5)
        return f"not settled after {timeout:.0f} s: {self.outstanding()} messages unhandled"

    def after_done(self, function: str, action: Callable[[], None]) -> threading.Event:
        """Run ``action`` on a thread as soon as ``function`` logs that it finished a message
        from now on: the moment it is in the middle of its work (its other pushes in flight).
        The event is set once the action has run.

        The thread then lives until the run ends: the stack starts its processes with a
        parent-death signal, which the kernel sends when the *thread* that started them
        exits, so a process restarted here would die with a thread that returned."""
        log = FunctionLog.from_end(self.stack.log_dir / f"{function}.log")
        struck = threading.Event()

        def watch() -> None:
            deadline = time.monotonic() + FETCH_TIMEOUT_S
            while time.monotonic() < deadline and not struck.is_set():
                if any(finished(function, str(e.get("message") or "")) for e in log.entries()):
                    action()
                    struck.set()
                time.sleep(0.05)
            self.ending.wait()

        threading.Thread(target=watch, name=f"chaos-{function}", daemon=True).start()
        return struck

    def dead_letters(self) -> dict[str, set[str]]:
        """Per subscription, the source ids of what its dead-letter topic holds."""
        subscriber = self.shadows.subscriber
        out: dict[str, set[str]] = {}
        for subscription in topics.SUBSCRIPTIONS:
            path = subscriber.subscription_path(self.project, f"{topics.dead_letter_topic(subscription)}-hold")
            held = pull_all(subscriber, path)
            if held:
                out[subscription] = {attrs.get("source_message_id", mid) for mid, attrs in held.items()}
        return out

    def snapshot(self) -> Snapshot:
        settings = Settings(project_id=self.project, bigquery_emulator_host=self.stack.env["BIGQUERY_EMULATOR_HOST"])
        db = firestore.Client(project=self.project)
        self.poll()
        return Snapshot(
            read_firestore(db), read_rows(settings), self.dead_letters(), read_crowd(db), tuple(self.batches)
        )


# ---------------------------------------------------------------- the cases


@dataclass
class Case:
    """A replay with nothing wrong: the clean run, and the control row (run again, it must
    equal the first, or the comparison itself is not to be trusted)."""

    name: str = "none (clean run again)"
    notes: list[str] = field(default_factory=list)
    dead_letters: dict[str, set[str]] = field(default_factory=dict)  # what must end there
    strikes: list[threading.Event] = field(default_factory=list)  # set once each fault struck

    def play_tick(self, run: Run, number: int, run_id: str) -> None:
        run.tick(run_id)
        run.wait_fetched(run_id)

    def finish(self, run: Run) -> None:
        """After the last tick: every fault has struck, or the row says it never did."""
        for struck in self.strikes:
            if not struck.wait(FETCH_TIMEOUT_S):
                self.notes.append("never struck")


@dataclass
class KillMidWork(Case):
    """kill -9 the function once it has finished its first message of the fault tick,
    then start it again on the same port after a moment down."""

    function: str = "fetch"

    def __post_init__(self) -> None:
        self.name = f"kill -9 {self.function} mid-work, restart"

    def play_tick(self, run: Run, number: int, run_id: str) -> None:
        if number == FAULT_TICK:
            self.strikes.append(run.after_done(self.function, lambda: self.kill(run)))
        super().play_tick(run, number, run_id)

    def kill(self, run: Run) -> None:
        run.stack.kill_function(self.function)
        time.sleep(RESTART_AFTER_S)
        run.stack.restart_function(self.function)

    def finish(self, run: Run) -> None:
        """The row says how many pushes met the dead function (each is redelivered later)."""
        super().finish(run)
        url = run.stack.services[self.function].url
        log = (run.stack.log_dir / "pubsub-emulator.log").read_text(errors="replace")
        failed = log.count(f"Failed to push to endpoint '{url}/'")
        self.notes.append(f"{failed} pushes failed while it was down")


@dataclass
class DuplicateTick(Case):
    """The scheduler fires the same tick twice at once, and once more after it was fetched."""

    name: str = "same tick fired twice (+ once late)"

    def play_tick(self, run: Run, number: int, run_id: str) -> None:
        if number != FAULT_TICK:
            return super().play_tick(run, number, run_id)
        run.tick(run_id)
        run.tick(run_id)
        run.wait_fetched(run_id)
        run.tick(run_id)
        run.wait_fetched(run_id)
        return None


@dataclass
class OverlappingTicks(Case):
    """Two ticks (two run ids) at once: two runs read the same listings concurrently."""

    name: str = "two ticks overlap"

    def play_tick(self, run: Run, number: int, run_id: str) -> None:
        if number != FAULT_TICK:
            return super().play_tick(run, number, run_id)
        run.tick(run_id)
        run.tick(f"{run_id}-overlap")
        run.wait_fetched(run_id)
        run.wait_fetched(f"{run_id}-overlap")
        return None


def poison_payloads(ticker: str) -> dict[str, list[tuple[bytes, str]]]:
    """Per topic: (data, ordering key) of a message that is not JSON and one whose JSON has
    the wrong shape for that topic. Ordered topics get the breakout ticker's key, so a
    poison message sits in the very mailbox the alert comes through."""
    wrong: dict[str, dict[str, Any]] = {
        topics.SCRAPE_TICKS: {"run_id": "poison", "subreddits": 42},
        topics.SUBREDDIT_FETCHES: {"run_id": "poison", "subreddit": "../etc"},
        topics.REDDIT_ITEMS: {"run_id": "poison", "items": []},
        topics.MENTIONS: {"ticker": ticker, "mentions": []},
        topics.TICKER_UPDATES: {"ticker": ticker, "as_of": "soon"},
        topics.ALERTS: {"alert_id": 5},
        topics.DIGEST_TICKS: {"hour": "yesterday"},
    }
    out = {}
    for topic in topics.TOPICS:
        key = ticker if topic in topics.ORDERED else ""
        out[topic] = [(b'{"not json', key), (json.dumps(wrong[topic]).encode(), key)]
    return out


@dataclass
class Poison(Case):
    """A malformed and a wrong-schema message on every topic, published mid-run."""

    name: str = "poison on every topic"
    ticker: str = ""

    def play_tick(self, run: Run, number: int, run_id: str) -> None:
        if number != FAULT_TICK:
            return super().play_tick(run, number, run_id)
        run.tick(run_id)
        by_topic = {topic: subscription for subscription, (topic, _) in topics.SUBSCRIPTIONS.items()}
        for topic, messages in poison_payloads(self.ticker).items():
            for data, key in messages:
                self.dead_letters.setdefault(by_topic[topic], set()).add(run.publish(topic, data, key))
        run.wait_fetched(run_id)
        return None


@dataclass
class RedditOutage(Case):
    """The local Reddit answers 429 (Retry-After) then 5xx on every read for a while, then
    recovers: shorter than fetch's retries last, so each request gets through in the end."""

    name: str = "Reddit 429 then 503, recovers"
    phases: tuple[tuple[int, dict[str, str], float], ...] = ((429, {"retry-after": "3"}, 4.0), (503, {}, 3.0))

    def play_tick(self, run: Run, number: int, run_id: str) -> None:
        if number != FAULT_TICK:
            return super().play_tick(run, number, run_id)
        assert run.stack.reddit is not None
        reddit = LocalReddit(run.stack.reddit.url)
        status, headers, _ = self.phases[0]
        reddit.fault(READS, status=status, headers=headers, times=1_000_000)
        struck = threading.Event()
        threading.Thread(target=self.outage, args=(reddit, struck), daemon=True).start()
        self.strikes.append(struck)
        run.tick(run_id)
        run.wait_fetched(run_id)
        injected = reddit.stats().get("faults_injected", 0)
        self.notes.append(f"{injected} Reddit answers faulted" if injected else "never faulted a Reddit answer")
        return None

    def outage(self, reddit: LocalReddit, struck: threading.Event) -> None:
        for number, (_status, _headers, seconds) in enumerate(self.phases):
            time.sleep(seconds)
            reddit.clear_faults()
            if number + 1 < len(self.phases):
                status, headers, _ = self.phases[number + 1]
                reddit.fault(READS, status=status, headers=headers, times=1_000_000)
        struck.set()


READS = r"^/(r|comments|user)/|^/api/(morechildren|user_data)"  # every read; tokens still granted


@dataclass
class FirestoreRestart(Case):
    """The Firestore emulator restarts while aggregate is busy, its data exported and
    imported again on the same port. The functions are paused (SIGSTOP) from the export to
    the stop, so no write is acknowledged that the export misses; requests they make while
    it is down fail and are retried."""

    name: str = "Firestore restart (export/import)"

    def play_tick(self, run: Run, number: int, run_id: str) -> None:
        if number == FAULT_TICK:
            self.strikes.append(run.after_done("aggregate", lambda: self.restart(run)))
        super().play_tick(run, number, run_id)

    def restart(self, run: Run) -> None:
        assert run.stack.emulators is not None and run.stack.emulators.firestore is not None
        began = time.monotonic()
        groups = [s.process.pid for s in run.stack.services.values() if s.process is not None]
        _signal_all(groups, signal.SIGSTOP)
        try:
            export = run.stack.log_dir / "firestore-export"
            run.stack.emulators.restart_firestore(export)
        finally:
            _signal_all(groups, signal.SIGCONT)
        self.notes.append(f"Firestore restarted in {time.monotonic() - began:.0f} s")


def _signal_all(groups: list[int], signum: signal.Signals) -> None:
    for pid in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signum)


def all_cases(ticker: str) -> list[Case]:
    return [
        Case(),
        *(KillMidWork(function=name) for name in ("fetch", "aggregate", "detect", "archive")),
        DuplicateTick(),
        OverlappingTicks(),
        Poison(ticker=ticker),
        RedditOutage(),
        FirestoreRestart(),
    ]


# ---------------------------------------------------------------- driving it


@contextlib.contextmanager
def started(case: Case, replay: Replay, log_dir: Path) -> Iterator[Run]:
    """A fresh stack for one run, this process's clients pointed at it."""
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    stack = Stack(log_dir=log_dir, functions=FUNCTIONS, max_delivery_attempts=MAX_DELIVERY_ATTEMPTS)
    stack.start()
    saved = dict(os.environ)
    os.environ.update(stack.env)
    run: Run | None = None
    try:
        run = Run(
            stack,
            replay,
            Shadows(stack.env["GOOGLE_CLOUD_PROJECT"]),
            PublisherClient(publisher_options=PublisherOptions(enable_message_ordering=True)),
            {name: FunctionLog.from_end(log_dir / f"{name}.log") for name in FUNCTIONS},
        )
        yield run
    finally:
        if run is not None:
            run.ending.set()
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)


def play(
    case: Case, replay: Replay, crowd: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[Snapshot | None, list[str]]:
    """The replay through a fresh stack with ``case``'s fault (and the ``crowd`` pinned, see
    :func:`pin_crowd`); what it left, and notes."""
    log_dir = LOG_ROOT / "".join(c if c.isalnum() else "-" for c in case.name).strip("-")
    with started(case, replay, log_dir) as run:
        db = firestore.Client(project=run.project)
        db.collection(fs.CONFIG).document(fs.DETECTION_CONFIG).set(
            {**DetectionConfig(**DETECTION).model_dump(mode="json"), "version": 1}
        )
        pin_crowd(db, crowd or {})
        assert run.stack.reddit is not None
        LocalReddit(run.stack.reddit.url).load(replay.corpus, now=START)
        try:
            for number, clock in enumerate(replay.clocks, 1):
                LocalReddit(run.stack.reddit.url).clock(now=clock)
                case.play_tick(run, number, f"chaos-{number:02d}")
        except TimeoutError as exc:  # the row says so; the other cases still run
            return None, [*case.notes, str(exc)]
        case.finish(run)
        unsettled = run.settle()
        if unsettled:
            return None, [*case.notes, unsettled]
        snapshot = run.snapshot()
        (log_dir / "snapshot.json").write_text(json.dumps(snapshot.as_json(), indent=1))
        return snapshot, case.notes


def check_poison(ticker: str) -> None:
    """The poison payloads really are refused by each topic's decoder (or the case proves
    nothing)."""
    from common.messages import MODELS

    for topic, messages in poison_payloads(ticker).items():
        for data, _ in messages:
            try:
                decode_data(MODELS[topic], data)
            except MalformedMessage:
                continue
            raise AssertionError(f"poison for {topic} decodes: {data!r}")


def outcome(clean: Snapshot, got: Snapshot | None, case: Case, notes: list[str]) -> tuple[bool, str]:
    """(equal, what the table says)."""
    if got is None:
        return False, "; ".join(notes)
    diffs = differences(clean, got, case.dead_letters)
    fault_missed = [n for n in notes if n.startswith("never")]
    if diffs and got.batches != clean.batches:
        diffs.append(f"breakout batches counted as {_sizes(got.batches)}, clean run {_sizes(clean.batches)}")
    if diffs or fault_missed:
        return False, "; ".join([*fault_missed, *diffs])
    extra = f" ({'; '.join(notes)})" if notes else ""
    return True, "recovered, equal" + extra


def _sizes(batches: tuple[int, ...]) -> str:
    return ",".join(str(n) for n in batches)


def print_table(rows: list[tuple[str, bool, str, float]]) -> None:
    if not rows:
        return
    width = max(len(r[0]) for r in rows)
    print(f"\n{'fault':<{width}}  {'time':>6}  outcome")
    print(f"{'-' * width}  {'-' * 6}  {'-' * 40}")
    for name, _ok, text, seconds in rows:
        print(f"{name:<{width}}  {seconds:5.0f}s  {text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run only the cases whose name contains one of these (comma list)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        replay = Replay.write(Path(tmp) / "corpus")
        check_poison(replay.ticker)
        cases = [c for c in all_cases(replay.ticker) if not args.only or any(w in c.name for w in args.only.split(","))]
        if not cases:  # a typo must not pass as a suite that recovered from everything
            print(f"no fault case matches {args.only!r}", file=sys.stderr)
            return 2
        began = time.monotonic()
        clean, notes = play(Case(name="clean"), replay)
        if clean is None:
            print(f"the clean run failed: {'; '.join(notes)}", file=sys.stderr)
            return 1
        alerts = [p for p in clean.firestore if p.startswith(fs.ALERTS + "/")]
        print(
            f"clean run: {len(alerts)} alerts, {sum(sum(c.values()) for c in clean.rows.values())} BigQuery rows, "
            f"{sum(1 for p in clean.firestore if '/hours/' in p)} hour buckets, {time.monotonic() - began:.0f} s"
        )
        if not alerts:
            print("the clean run raised no alert: the replay proves nothing", file=sys.stderr)
            return 1
        rows = []
        for case in cases:
            began = time.monotonic()
            got, notes = play(case, replay, clean.crowd)
            ok, text = outcome(clean, got, case, notes)
            rows.append((case.name, ok, text, time.monotonic() - began))
            print(f"{case.name}: {text}", flush=True)
    print_table(rows)
    return 0 if all(ok for _, ok, _, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
