"""The whole pipeline on the local stack, driven the way the demo drives it, beside a no-op
ceiling measured through the same Pub/Sub emulator in the same run.

Definitions (the README's Benchmarks section repeats them):

- **items/s end to end**: items fetch stored (new posts + comments, from its reports) over
  the wall time from the first tick's publish to the last ticker update decided by detect.
- **ceiling**: push deliveries/s a no-op functions-framework function sustains from the
  same emulator (bench/noop_function.py, a throwaway topic and push subscription), divided
  by the pipeline's push deliveries per item in this run (every handled message of every
  function: ticks, fetch jobs, mention batches, ticker updates, archive items...). It is
  the items/s the pipeline would reach if each of its deliveries cost only the emulator's
  push and the framework's request handling.
- **fetch-to-alert latency**: from the publish of the tick whose replay clock first
  covered the alert's ``as_of`` (the newest item behind it) to ``GET /v1/alerts/{id}``
  answering 200; one sample per alert event (new, escalated or reopened).
- **tick-to-decided latency**: from a tick's publish to detect having decided every
  ticker update whose ``as_of`` falls in that tick's slice of data time.
- **Firestore operations per item**: reads + writes of every Pub/Sub-triggered function
  (each logs its process's running total, common/entrypoint.py) over items stored.
- **peak RSS**: VmHWM of each function's gunicorn worker and of its whole process tree.
- **CPU during the replay**: CPU seconds each service of the stack spent from the first
  tick's publish until the replay settled, over the seconds the machine's cores offered in
  that time (``cpu_busy_share``). ``cpu_bound_items_per_s`` is the rate if every core were
  busy at the CPU per item measured; ``stand_ins_only_items_per_s`` the rate if the functions
  cost nothing and only the stand-ins for Google's and Reddit's services (emulators, local
  Reddit, the dev JWKS) ran: what this machine allows the pipeline at best.
  ``firestore_emulator_cpu_ms_per_op`` divides the Firestore emulator's share by the
  functions' counted operations (the API's few reads are left out of the count).
"""

import bisect
import contextlib
import io
import json
import math
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient
from google.cloud.pubsub_v1.types import BatchSettings
from rich.console import Console

from common import topics
from common.settings import Settings
from demo import cpu
from demo.display import Display
from demo.logs import FetchReports, FunctionLog
from demo.observe import Observers
from demo.run import HOUR, Demo, Options, ReplayClock, tick_times
from devtools.corpus import write_breakout_corpus
from emulators.processes import Service, free_port, open_local
from emulators.stack import ROOT, Stack

TIMED_EVENTS = ("opened", "escalated", "reopened")  # what fetch-to-alert times: news the data brought
STAND_INS = ("firestore-emulator", "pubsub-emulator", "bigquery-emulator", "reddit", "devauth-jwks")
ALSO_BREAKING = ("CRSP", "RXRX", "IONQ")  # with NTLA: four breakouts, several alert events
STEP_HOURS = 1.0
DETECTION = {"warmup_hours": 12}  # as the demo's tests: alerts within a 30-hour corpus
NOOP_MESSAGES = 1500
NOOP_STALL_S = 5.0  # no delivery for this long: the rest are in the emulator's retry backoff
SETTLE_TIMEOUT_S = 120.0
QUIET_S = 1.5
RSS_LIMIT_MB = 256.0  # what terraform deploys each function with
MB = 1024.0 * 1024.0


# ---------------------------------------------------------------- pure helpers


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest rank: the smallest value with at least ``q`` % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def tick_of(as_of: float, tick_nows: Sequence[float]) -> int | None:
    """The first tick whose replay clock reached ``as_of``: the one that fetched it."""
    index = bisect.bisect_left(tick_nows, as_of)
    return index if index < len(tick_nows) else None


def tick_latencies(
    published: Sequence[float],
    tick_nows: Sequence[float],
    updates: Sequence[tuple[str, float]],
    decided: dict[tuple[str, float], float],
) -> tuple[list[float], int]:
    """Per tick with updates: the last decision of its updates minus its publish; and how
    many ticks had an update never decided (left out)."""
    last: dict[int, float] = {}
    undecided: set[int] = set()
    for key in updates:
        tick = tick_of(key[1], tick_nows)
        if tick is None:
            continue
        if key not in decided:
            undecided.add(tick)
            continue
        last[tick] = max(last.get(tick, 0.0), decided[key])
    return [last[t] - published[t] for t in sorted(last) if t not in undecided], len(undecided)


# ---------------------------------------------------------------- watching the run


class Watch(Observers):
    """The demo's observers, keeping each ticker update's key and each alert's arrival."""

    def __init__(self, project: str) -> None:
        super().__init__(project)
        self.updates: list[tuple[str, float]] = []
        self.alerts: list[tuple[float, dict[str, Any]]] = []

    def _receive_on(self, topic: str) -> Any:
        inner = super()._receive_on(topic)

        def receive(message: Any) -> None:
            arrived = time.monotonic()
            with contextlib.suppress(ValueError):
                payload = json.loads(message.data or b"{}")
                # a silence check passed on repeats the (ticker, as_of) of an update decided
                # before it: the data's updates are what the timings follow
                if isinstance(payload, dict) and topic == topics.TICKER_UPDATES and not payload.get("silence_check"):
                    self.updates.append((str(payload.get("ticker")), float(payload.get("as_of") or 0.0)))
                elif isinstance(payload, dict) and payload.get("event") in TIMED_EVENTS:
                    self.alerts.append((arrived, payload))
            inner(message)

        return receive


@dataclass
class Decisions:
    """When each (ticker, as_of) update was first seen decided in detect's log."""

    log: FunctionLog
    at: dict[tuple[str, float], float] = field(default_factory=dict)
    last: float = 0.0

    def poll(self) -> None:
        now = time.monotonic()
        for entry in self.log.entries():
            message = str(entry.get("message") or "")
            if message.startswith(("detected ", "stale update ")):
                # detect may evaluate a newer moment than the update's (its ``as_of``); the
                # update it decided is ``update_as_of`` when logged
                as_of = entry.get("update_as_of", entry.get("as_of"))
                key = (str(entry.get("ticker")), float(as_of or 0.0))
                self.at.setdefault(key, now)
                self.last = now


def readable_at(api: str, alert_id: str, token: str, timeout_s: float = 10.0) -> float | None:
    """When ``GET /v1/alerts/{id}`` first answers 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        request = urllib.request.Request(f"{api}/v1/alerts/{alert_id}", headers={"Authorization": f"Bearer {token}"})
        try:
            with open_local(request, timeout=5) as response:
                if response.status == 200:
                    return time.monotonic()
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise
        time.sleep(0.02)
    return None


# ---------------------------------------------------------------- the no-op ceiling


def noop_ceiling(stack: Stack, messages: int) -> dict[str, float]:
    """Deliveries/s from the stack's Pub/Sub emulator to a no-op function process."""
    port = free_port()
    log_path = stack.log_dir / "noop.log"
    service = Service(
        "noop",
        [
            sys.executable,
            "-m",
            "functions_framework",
            "--source",
            str(ROOT / "bench" / "noop_function.py"),
            "--target",
            "noop",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        port,
        log_path,
        env={**stack.env, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
        cwd=ROOT,
    ).start(ready_timeout=60)
    project = stack.env["GOOGLE_CLOUD_PROJECT"]
    publisher = PublisherClient(batch_settings=BatchSettings(max_messages=100, max_latency=0.01))
    subscriber = SubscriberClient()
    topic = publisher.topic_path(project, "bench-noop")
    subscription = subscriber.subscription_path(project, "bench-noop-push")
    try:
        publisher.create_topic(name=topic)
        subscriber.create_subscription(
            request={"name": subscription, "topic": topic, "push_config": {"push_endpoint": service.url + "/"}}
        )

        def delivered() -> int:
            return log_path.read_text(errors="replace").count("noop-delivered")

        began = time.monotonic()
        futures = [publisher.publish(topic, json.dumps({"n": n}).encode()) for n in range(messages)]
        for future in futures:
            future.result(timeout=60)
        published_s = time.monotonic() - began
        count, last_at = 0, time.monotonic()
        while count < messages and time.monotonic() - last_at < NOOP_STALL_S:
            time.sleep(0.05)
            if (now := delivered()) > count:
                count, last_at = now, time.monotonic()
        return {
            "noop_messages": messages,
            "noop_delivered": count,
            "noop_publish_s": round(published_s, 2),
            "noop_deliveries_per_s": round(count / (last_at - began), 1),
        }
    finally:
        with contextlib.suppress(gexc.GoogleAPICallError):
            subscriber.delete_subscription(request={"subscription": subscription})
        with contextlib.suppress(gexc.GoogleAPICallError):
            publisher.delete_topic(request={"topic": topic})
        service.stop()


# ---------------------------------------------------------------- process figures


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    return children


def _hwm_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / MB
    return 0.0


def _pss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in (Path("/proc") / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024 / MB
    return 0.0


def peak_rss(stack: Stack) -> dict[str, float]:
    """Per function: the peak of the largest process of its tree (the gunicorn worker), the
    sum of its tree's peaks (over-counts: the worker is forked from the master with the
    app loaded, so most pages are shared), and the tree's proportional set size now, after
    the run (shared pages counted once: what the instance holds)."""
    children = _children()
    figures: dict[str, float] = {}
    for name, service in stack.services.items():
        if service.process is None:
            continue
        tree, frontier = [service.process.pid], [service.process.pid]
        while frontier:
            frontier = [c for p in frontier for c in children.get(p, [])]
            tree += frontier
        peaks = [_hwm_mb(pid) for pid in tree]
        figures[f"rss_peak_mb_{name}_worker"] = round(max(peaks), 1)
        figures[f"rss_peak_mb_{name}_tree"] = round(sum(peaks), 1)
        figures[f"pss_end_mb_{name}_tree"] = round(sum(_pss_mb(pid) for pid in tree), 1)
    return figures


def firestore_ops(log_dir: Path, names: Sequence[str]) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
    """Handled messages per function and its processes' final (reads, writes) totals, as the
    stack's counter (devtools/firestore_ops.py) logs them."""
    handled: Counter[str] = Counter()
    ops: dict[str, tuple[int, int]] = {}
    for name in names:
        per_pid: dict[int, tuple[int, int]] = {}
        for entry in FunctionLog(log_dir / f"{name}.log").entries():
            if "ops_process_reads" not in entry:
                continue
            handled[name] += 1
            pid = int(entry.get("pid") or 0)
            seen = (int(entry["ops_process_reads"]), int(entry["ops_process_writes"]))
            per_pid[pid] = max(per_pid.get(pid, (0, 0)), seen)
        ops[name] = (sum(r for r, _ in per_pid.values()), sum(w for _, w in per_pid.values()))
    return dict(handled), ops


def cpu_figures(
    before: dict[str, float], after: dict[str, float], driver_s: float, wall_s: float, items: int, cores: int
) -> dict[str, float]:
    """Where the machine's CPU went while the replay ran (services by name, the benchmark's own
    process as ``bench_driver``), and the item rates that CPU allows."""
    spent = {name: max(0.0, after[name] - before.get(name, 0.0)) for name in after}
    spent["bench_driver"] = max(0.0, driver_s)
    total = sum(spent.values())
    stand_ins = sum(s for name, s in spent.items() if name in STAND_INS)
    figures: dict[str, float] = {f"cpu_s_replay_{name}": round(s, 2) for name, s in spent.items() if s >= 0.05}
    figures["cpu_s_replay"] = round(total, 2)
    figures["cpu_s_replay_stand_ins"] = round(stand_ins, 2)
    figures["cpu_wall_s"] = round(wall_s, 2)
    figures["cpu_cores"] = cores
    if wall_s > 0 and cores:
        figures["cpu_busy_share"] = round(total / (wall_s * cores), 3)
    if total > 0:
        figures["cpu_bound_items_per_s"] = round(items * cores / total, 2)
    if stand_ins > 0:
        figures["stand_ins_only_items_per_s"] = round(items * cores / stand_ins, 2)
    return figures


# ---------------------------------------------------------------- the run


def _wait(condition: Callable[[], bool], poll: Callable[[], None], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        poll()
        if condition():
            return True
        time.sleep(0.05)
    return False


def replay(demo: Demo, watch: Watch, log_dir: Path) -> dict[str, Any]:
    assert demo.stack is not None
    manifest = json.loads((demo.options.corpus / "manifest.json").read_text())
    start, end = float(manifest["start"]), float(manifest["end"])
    clock = ReplayClock(demo.reddit_url())
    clock.set(start)
    fetches = FetchReports(FunctionLog(log_dir / "fetch.log"))
    decisions = Decisions(FunctionLog(log_dir / "detect.log"))
    api = demo.stack.services["api"].url
    expected = len(Settings().subreddits)
    nows = tick_times(start, end, STEP_HOURS * HOUR)
    published: list[float] = []
    alert_latencies: list[float] = []
    handled_alerts = 0
    unreadable = 0

    def poll() -> None:
        nonlocal handled_alerts, unreadable
        decisions.poll()
        fresh = watch.alerts[handled_alerts:]
        handled_alerts += len(fresh)
        for _arrived, event in fresh:
            tick = tick_of(float(event.get("as_of") or 0.0), nows)
            at = readable_at(api, str(event.get("alert_id")), demo.token)
            if at is None or tick is None or tick >= len(published):
                unreadable += 1
                continue
            alert_latencies.append(at - published[tick])

    began = time.monotonic()
    late = 0
    for number, now in enumerate(nows, 1):
        clock.set(now)
        run_id = f"bench-{number:04d}"
        published.append(time.monotonic())
        demo.publish_tick(run_id)
        if not _wait(lambda: fetches.reported(run_id) >= expected, poll, demo.options.tick_timeout_s):  # noqa: B023
            late += 1

    def drained() -> bool:
        return all(key in decisions.at for key in list(watch.updates)) and watch.idle_s() >= QUIET_S

    settled = _wait(drained, poll, SETTLE_TIMEOUT_S)
    finished = max(decisions.last, began)
    poll()
    ticks, undecided_ticks = tick_latencies(published, nows, list(watch.updates), decisions.at)
    wall = finished - began
    fetches.poll()
    return {
        "ticks": len(nows),
        "ticks_late": late,
        "settled": settled,
        "items": fetches.items,
        "mentions": fetches.mentions,
        "ticker_updates": len(watch.updates),
        "alert_events": len(watch.alerts),
        "replay_wall_s": wall,
        "alert_latencies": alert_latencies,
        "alerts_unmatched": unreadable,
        "tick_latencies": ticks,
        "ticks_undecided": undecided_ticks,
        "reddit_requests": clock.requests(),
    }


def _round(value: float | None, digits: int = 3) -> float | str:
    return "n/a" if value is None else round(value, digits)


def figures_from(
    played: dict[str, Any], ceiling: dict[str, float], handled: dict[str, int], ops: dict[str, tuple[int, int]]
) -> dict[str, Any]:
    items = max(1, int(played["items"]))
    deliveries = sum(handled.values())
    per_item = deliveries / items
    wall = played["replay_wall_s"]
    items_per_s = played["items"] / wall if wall > 0 else 0.0
    ceiling_items = ceiling["noop_deliveries_per_s"] / per_item if per_item else 0.0
    reads = sum(r for r, _ in ops.values())
    writes = sum(w for _, w in ops.values())
    figures: dict[str, Any] = {
        "corpus": f"breakout corpus, 30 h, {1 + len(ALSO_BREAKING)} breakouts, {STEP_HOURS:g} h per tick",
        **{k: v for k, v in played.items() if not isinstance(v, list)},
        "replay_wall_s": round(played["replay_wall_s"], 2),
        "e2e_items_per_s": round(items_per_s, 2),
        "deliveries": deliveries,
        "deliveries_per_item": round(per_item, 3),
        **ceiling,
        "ceiling_items_per_s": round(ceiling_items, 2),
        "e2e_vs_ceiling": round(items_per_s / ceiling_items, 3) if ceiling_items else "n/a",
        "fetch_to_alert_samples": len(played["alert_latencies"]),
        # each sample, so a p95 of a few samples (nearest rank: their slowest) can be read
        "fetch_to_alert_each_s": sorted(round(v, 3) for v in played["alert_latencies"]),
        "fetch_to_alert_p50_s": _round(percentile(played["alert_latencies"], 50)),
        "fetch_to_alert_p95_s": _round(percentile(played["alert_latencies"], 95)),
        "tick_to_decided_samples": len(played["tick_latencies"]),
        "tick_to_decided_p50_s": _round(percentile(played["tick_latencies"], 50)),
        "tick_to_decided_p95_s": _round(percentile(played["tick_latencies"], 95)),
        "firestore_reads_per_item": round(reads / items, 3),
        "firestore_writes_per_item": round(writes / items, 3),
        "firestore_ops_per_item": round((reads + writes) / items, 3),
        "reddit_requests_per_100_items": round(100 * played["reddit_requests"] / items, 2),
    }
    for name in sorted(ops):
        figures[f"firestore_ops_per_item_{name}"] = round(sum(ops[name]) / items, 3)
        figures[f"firestore_reads_per_item_{name}"] = round(ops[name][0] / items, 4)
        figures[f"firestore_writes_per_item_{name}"] = round(ops[name][1] / items, 4)
        figures[f"firestore_ops_{name}"] = sum(ops[name])
        figures[f"deliveries_{name}"] = handled.get(name, 0)
    return figures


def start(demo: Demo, attempts: int = 2) -> tuple[Stack, int]:
    """The demo's stack; once more if a process died while starting (seen once on this
    loaded machine: a function aborting in gRPC's poller before it was ready)."""
    for attempt in range(1, attempts + 1):
        try:
            return demo.start_stack(), attempt
        except RuntimeError:
            demo.stop()
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def run() -> dict[str, Any]:
    saved = dict(os.environ)
    os.environ["LOG_LEVEL"] = "INFO"  # the functions inherit it; this reads their INFO lines
    with tempfile.TemporaryDirectory() as tmp:
        corpus, log_dir = Path(tmp) / "corpus", Path(tmp) / "logs"
        write_breakout_corpus(corpus, also=ALSO_BREAKING)
        # its own state file: a demo a developer is serving keeps answering `make token`
        demo = Demo(Options(corpus=corpus, step_hours=STEP_HOURS, log_dir=log_dir, state_file=Path(tmp) / "state.json"))
        demo.display = Display(1.0, console=Console(file=io.StringIO()))
        try:
            stack, attempts = start(demo)
            demo.configure_detection(DETECTION)
            ceiling = noop_ceiling(stack, NOOP_MESSAGES)
            watch = Watch(stack.env["GOOGLE_CLOUD_PROJECT"])
            demo.observers = watch.start()
            before, driver_before, began = cpu.by_service(stack), cpu.own_seconds(), time.monotonic()
            played = replay(demo, watch, log_dir)
            cpu_wall = time.monotonic() - began
            after, driver_s = cpu.by_service(stack), cpu.own_seconds() - driver_before
            handled, ops = firestore_ops(log_dir, [n for n in stack.services if n != "api"])
            figures = figures_from(played, ceiling, handled, ops)
            cores = len(os.sched_getaffinity(0))
            figures.update(cpu_figures(before, after, driver_s, cpu_wall, int(played["items"]), cores))
            firestore_ops_total = sum(r + w for r, w in ops.values())
            if firestore_ops_total and "cpu_s_replay_firestore-emulator" in figures:
                figures["firestore_emulator_cpu_ms_per_op"] = round(
                    1000 * figures["cpu_s_replay_firestore-emulator"] / firestore_ops_total, 2
                )
            if figures.get("stand_ins_only_items_per_s") and figures["ceiling_items_per_s"]:
                figures["stand_ins_only_vs_ceiling"] = round(
                    figures["stand_ins_only_items_per_s"] / figures["ceiling_items_per_s"], 3
                )
            figures["stack_start_attempts"] = attempts
            figures.update(peak_rss(stack))
            workers = [v for k, v in figures.items() if k.startswith("rss_peak_mb_") and k.endswith("_worker")]
            figures["rss_peak_mb_max_worker"] = max(workers)
            figures["pss_end_mb_max_tree"] = max(v for k, v in figures.items() if k.startswith("pss_end_mb_"))
            figures.update({f"cpu_s_{name}": round(s, 1) for name, s in cpu.by_service(stack).items() if s >= 0.5})
            return figures
        finally:
            demo.stop()
            os.environ.clear()
            os.environ.update(saved)


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
