"""The demo driver: start the stack, play the scheduler in accelerated data time, report.

Replay (the default): the local Reddit serves the bundled corpus and only shows what was
created before its clock. Each tick moves that clock forward by ``step`` of data time and
publishes one scrape tick (its own run id) that fetches every subreddit, as Cloud Scheduler's
tick does for the subreddits due. The next tick waits until fetch has reported every subreddit of this one (so two
runs never read the same listing at once, as in production); aggregation and detection of a
tick overlap with the next tick's fetch, as they would. At the end the driver waits until
detect has decided every ticker update (bounded by ``--deadline``); while it then serves,
alerts that detection still finds keep being reported.

Live (``--live``, needs ``REDDIT_CLIENT_ID``/``REDDIT_CLIENT_SECRET``): fetch talks to
reddit.com and ticks follow the real clock.
"""

import contextlib
import json
import os
import signal
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from google.cloud.pubsub_v1 import PublisherClient
from pydantic import TypeAdapter, ValidationError

from common import notify, topics
from common.adapters import firestore as fs
from common.detection.backtest import corpus_rows
from common.dispatching import plan_fetches
from common.fields import Subreddit
from common.messages import DigestTick, encode
from common.settings import DEFAULT_SUBREDDITS, Settings
from common.timekeys import hour_key
from demo import cpu
from demo import labels as lbl
from demo.dashboard import DashboardServer
from demo.display import AlertRow, Display, data_time
from demo.logs import AggregateBatches, DetectDecisions, FetchReports, FunctionLog
from demo.observe import Observers
from emulators.processes import open_local
from emulators.reddit.corpus import fits_in_memory, manifest_items
from emulators.stack import DEMO_ACCOUNTS, ROOT, Stack, StackDied, signed_in_token, web_app_lines

DEFAULT_CORPUS = ROOT / "data" / "replay" / "default"
DEMO_STATE = ROOT / ".stack" / "demo" / "state.json"  # the running demo's api, for `make token`
DEMO_USER = "demo-user"  # the subscriber whose notifications the demo prints
DEMO_LOGS = ROOT / ".stack" / "demo" / "logs"  # one folder per run below it, "latest" the newest
DEMO_WEB_APP = ROOT / ".stack" / "demo" / "webapp"  # the web app's accounts database, kept between runs
HOUR = 3600.0


_SUBREDDIT: TypeAdapter[str] = TypeAdapter(Subreddit)  # what Settings accepts for a name


def is_subreddit(name: str) -> bool:
    try:
        _SUBREDDIT.validate_python(name)
    except ValidationError:
        return False
    return True


CORPUS_SUBREDDITS_MAX = 20  # a dump imported unfiltered can hold hundreds: the busiest are fetched


def corpus_subreddits(corpus: Path) -> tuple[list[str], list[str]]:
    """The subreddits a corpus holds items of, busiest first, one spelling each (Reddit's
    names are case-insensitive), ``r/`` dropped; and the names no subreddit can have."""
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for row in corpus_rows(corpus, "items"):
        name = str(row.get("subreddit") or "").strip().removeprefix("r/")
        counts[name.lower()] += 1
        spellings.setdefault(name.lower(), Counter())[name] += 1
    names = [spellings[key].most_common(1)[0][0] for key, _ in counts.most_common() if key]
    return [n for n in names if is_subreddit(n)], [n for n in names if not is_subreddit(n)]


def subreddits_env(corpus: Path, environ: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """What a replay of ``corpus`` fetches, and what to say about it: its own subreddits
    when the default list lacks some of them, so an imported dump of r/Superstonk is not
    replayed into silence. Nothing changes when SUBREDDITS is set, or when the defaults hold
    every subreddit of the corpus (the bundled and generated corpora: a default one it lacks
    is fetched and found empty, as in production)."""
    if "SUBREDDITS" in environ:
        return {}, []
    held, unnamed = corpus_subreddits(corpus)
    notes = [f"not fetched, not a subreddit name: {', '.join(unnamed)}"] if unnamed else []
    if {s.lower() for s in held} <= {s.lower() for s in DEFAULT_SUBREDDITS}:
        return {}, notes
    if len(held) > CORPUS_SUBREDDITS_MAX:
        notes.append(f"the {CORPUS_SUBREDDITS_MAX} busiest of {len(held)} subreddits fetched (SUBREDDITS to choose)")
    chosen = held[:CORPUS_SUBREDDITS_MAX]
    return {"SUBREDDITS": ",".join(chosen)}, [f"fetching the corpus's subreddits: {', '.join(chosen)}", *notes]


@dataclass
class Options:
    corpus: Path = DEFAULT_CORPUS
    step_hours: float = 12.0  # data time per tick (production: 1 to 10 minutes per subreddit); docs/demo.md says why 12
    hours: float | None = None  # play only the first N hours of the corpus (tests)
    live: bool = False
    interactive: bool = False  # keep serving API and dashboard until Ctrl-C
    quiet_s: float = 1.5  # at the end: nothing behind (Demo.settle) and no message for this long = caught up
    settle_timeout_s: float = 120.0
    deadline: float | None = None  # epoch seconds by which the alert table must be printed
    tick_timeout_s: float = 60.0
    max_backlog: int = 300  # mention batches aggregation may lag before the next tick waits for it
    live_period_s: float = 600.0  # every subreddit, at production's longest interval (FETCH_MAX_INTERVAL_S)
    log_dir: Path = DEMO_LOGS / "latest"
    token_ttl_s: int = 12 * 3600
    detection_config: dict[str, Any] | None = None  # thresholds to set through the API first
    web_app: bool = False  # the web app (frontend/) issues the api's tokens; else the development key
    web_app_dir: Path = DEMO_WEB_APP
    state_file: Path = DEMO_STATE  # read by `make token`; another run (a test's) keeps its own


def available_memory() -> int | None:
    """Bytes the kernel says can be given out now (Linux's MemAvailable); None elsewhere."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def corpus_too_big(corpus: Path) -> str | None:
    """Why ``corpus`` cannot be replayed on this machine, said before minutes of start-up."""
    items, free = manifest_items(corpus), available_memory()
    return fits_in_memory(items, free) if items is not None and free is not None else None


def tick_times(start: float, end: float, step_s: float) -> list[float]:
    """The replay clock at each tick: one step after the start, then every step, the last
    one exactly at the end so no item is left unread."""
    times: list[float] = []
    t = start
    while t < end:
        t = min(t + step_s, end)
        times.append(t)
    return times


class ReplayClock:
    """The local Reddit's admin endpoints (emulators/reddit/server.py)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _call(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method="POST" if body is not None else "GET")
        request.add_header("Content-Type", "application/json")
        with open_local(request, timeout=60) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def load(self, corpus: Path, now: float) -> dict[str, Any]:
        return self._call("/_replay/load", {"path": str(corpus), "now": now})

    def set(self, now: float) -> None:
        self._call("/_replay/clock", {"now": now})

    def requests(self) -> int:
        return int(self._call("/_replay/stats").get("reddit_requests", 0))


@dataclass
class Demo:
    options: Options
    display: Display | None = None
    stack: Stack | None = None
    observers: Observers | None = None
    dashboard: DashboardServer | None = None
    replay: ReplayClock | None = None
    labels: list[lbl.Label] = field(default_factory=list)
    rows: dict[str, AlertRow] = field(default_factory=dict)
    handled_events: int = 0
    announced: set[tuple[str, int]] = field(
        default_factory=set
    )  # (alert_id, level): the alerts topic's idempotency key
    fetches: FetchReports | None = None
    detections: DetectDecisions | None = None
    aggregations: AggregateBatches | None = None
    tick_seconds: list[float] = field(default_factory=list)
    late_waits: list[float] = field(default_factory=list)  # what each tick whose fetches did not all report was given
    running: list[str] = field(default_factory=list)  # run ids whose fetches have not all reported
    played_until: float = 0.0  # data time the replay reached
    # per ticker, the data time detection had decided up to when the final wait stopped short
    # of catching up (None: it caught up); taken then, before the table's last collection of
    # alerts, so every alert those decisions published has had that time to arrive
    decided_when_stopped: dict[str, float] | None = None
    token: str = ""
    _publisher: PublisherClient | None = None

    # ------------------------------------------------------------ setup and teardown

    def start_stack(self) -> Stack:
        self.dashboard = DashboardServer()  # bound now: no process can take its port while the stack starts
        dashboard_port = self.dashboard.server.server_address[1]
        # both spellings: a forwarded port is often opened as localhost
        origins = [*Settings().cors_origins, f"http://127.0.0.1:{dashboard_port}", f"http://localhost:{dashboard_port}"]
        env = {"CORS_ORIGINS": ",".join(origins)}
        if not self.options.live:
            chosen, notes = subreddits_env(self.options.corpus, os.environ)
            env |= chosen
            for note in notes:
                if self.display is not None:
                    self.display.say(note)
        from devtools import devauth

        # The same development key as `make up`: `make token` then works against either stack.
        self.stack = Stack(log_dir=self.options.log_dir, extra_env=env, devauth_dir=devauth.DEFAULT_DIR)
        self.stack.web_app = self.options.web_app
        self.stack.web_app_dir = self.options.web_app_dir
        # Replay: the local Reddit serves the corpus, its clock at the corpus's start.
        # Live: no local Reddit, so fetch's asyncpraw talks to reddit.com with the credentials.
        self.stack.local_reddit = not self.options.live
        self.stack.reddit_corpus = None if self.options.live else self.options.corpus
        self.stack.reddit_now = "start"
        self.stack.start()
        os.environ.update(self.stack.env)  # this process's clients talk to the same emulators
        api = self.stack.services["api"].url
        self.options.state_file.parent.mkdir(parents=True, exist_ok=True)
        # where `make token` points curl, and which accounts it signs in with
        state = {"pid": os.getpid(), "functions": {"api": api}, "web_app": self.stack.web_app_state()}
        self.options.state_file.write_text(json.dumps(state))
        self.dashboard.start(api)
        self.token = self.mint_token()  # the demo user's, for the api calls of whoever drives this demo
        return self.stack

    def mint_token(self) -> str:
        from devtools import devauth

        assert self.stack is not None
        if self.stack.web is not None:  # the demo account, signed in through Better Auth
            return signed_in_token(self.stack.web.url, DEMO_ACCOUNTS[0])
        directory = Path(self.stack.env.get("DEVAUTH_DIR") or devauth.DEFAULT_DIR)
        return devauth.mint(devauth.current_key(directory), sub="demo-user", ttl_s=self.options.token_ttl_s)

    def configure_detection(self, overrides: dict[str, Any]) -> None:
        """Change thresholds the way an admin does: PATCH /v1/config/detection with a token that
        carries the admin role (fields not given keep their stored values)."""
        from devtools import devauth

        assert self.stack is not None
        if self.stack.web is not None:
            admin = signed_in_token(self.stack.web.url, next(a for a in DEMO_ACCOUNTS if a.role == "admin"))
        else:
            directory = Path(self.stack.env.get("DEVAUTH_DIR") or devauth.DEFAULT_DIR)
            admin = devauth.mint(devauth.current_key(directory), sub="demo-admin", role="admin", ttl_s=600)
        request = urllib.request.Request(
            self.stack.services["api"].url + "/v1/config/detection",
            data=json.dumps({"changes": overrides}).encode(),
            method="PATCH",
            headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json"},
        )
        with open_local(request, timeout=30) as response:
            stored = json.loads(response.read())
        assert self.display is not None
        self.display.say(f"detection config version {stored['version']}: {json.dumps(overrides)}")

    def subscribe_demo_user(self) -> None:
        """A demo user who takes every organic alert and pump warning by email and webhook,
        both landing in the local mailbox (devtools/mailbox.py), so the demo can show what
        notify sent."""
        assert self.stack is not None
        mailbox = self.stack.env.get("MAILBOX_URL")
        if not mailbox:
            return
        notifications = {
            "email": True,
            "webhook_url": f"{mailbox}/hooks/{DEMO_USER}",
            "kinds": ["organic", "pump"],
            "max_per_hour": 100,
        }
        fs.get_client(self.stack.env["GOOGLE_CLOUD_PROJECT"]).collection(fs.USERS).document(DEMO_USER).set(
            {
                "email": f"{DEMO_USER}@example.com",
                "email_verified": True,
                "watchlist": [],
                "preferences": {"min_score": 0.0, "max_pump_risk": 0.5, "watchlist_only": False, "subreddits": []},
                "notifications": notifications,
                notify.RECEIVES: notify.receives(notifications),
                "webhook_secret": "demo-webhook-secret",
            }
        )

    def send_digests(self, wait_s: float = 15.0) -> None:
        """Send this hour's digests now (Cloud Scheduler sends each hour's once it is over),
        and wait for the demo user's if it has one (digest mode, or over its hourly cap)."""
        assert self.stack is not None
        project = self.stack.env["GOOGLE_CLOUD_PROJECT"]
        hour = hour_key(time.time())
        publisher = self.publisher()
        path = publisher.topic_path(project, topics.DIGEST_TICKS)
        publisher.publish(path, encode(DigestTick(hour=hour))).result(timeout=30)
        if not fs.get_client(project).collection(fs.DIGESTS).document(f"{DEMO_USER}|{hour}").get().exists:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and not any("digest" in m["subject"] for m in self.notifications()[0]):
            time.sleep(0.2)

    def publisher(self) -> PublisherClient:
        """One client for the demo's ticks: a live demo publishes one every period while it
        serves, and each client holds a channel of its own."""
        if self._publisher is None:
            self._publisher = PublisherClient()
        return self._publisher

    def delivered(
        self, quiet_s: float = 1.5, wait_s: float = 4.0
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
        """:meth:`notifications` once their counts held for ``quiet_s`` (notify may still be
        delivering the last alerts when the table prints), waiting at most ``wait_s``; the
        bool: False only when deliveries were seen arriving to the end of the wait."""
        mail, hooks = self.notifications()
        deadline, since, arriving = time.monotonic() + wait_s, time.monotonic(), False
        while time.monotonic() - since < quiet_s:
            if time.monotonic() >= deadline:
                return mail, hooks, not arriving
            time.sleep(0.3)
            now = self.notifications()
            if (len(now[0]), len(now[1])) != (len(mail), len(hooks)):
                (mail, hooks), since, arriving = now, time.monotonic(), True
        return mail, hooks, True

    def notifications(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(emails, webhook calls answered 2xx) the mailbox received."""
        assert self.stack is not None
        base = self.stack.env.get("MAILBOX_URL")
        if not base:
            return [], []
        with open_local(base + "/mail", timeout=10) as response:
            mail = json.loads(response.read())
        with open_local(base + "/hooks", timeout=10) as response:
            hooks = [h for h in json.loads(response.read()) if int(h.get("answered") or 0) < 300]
        return mail, hooks

    def stop(self) -> None:
        self.options.state_file.unlink(missing_ok=True)
        if self.observers is not None:
            with contextlib.suppress(Exception):
                self.observers.stop()
        if self.dashboard is not None:
            self.dashboard.stop()
        if self._publisher is not None:
            with contextlib.suppress(Exception):
                self._publisher.stop()
                self._publisher.transport.close()
        if self.stack is not None:
            self.stack.stop()

    # ------------------------------------------------------------ alerts

    def collect_alerts(self) -> None:
        """Report alert events seen since the last call, with the stored alert behind each."""
        assert self.observers is not None and self.display is not None and self.stack is not None
        with self.observers.seen.lock:
            fresh = self.observers.seen.alert_events[self.handled_events :]
            self.handled_events += len(fresh)
        if not fresh:
            return
        db = fs.get_client(self.stack.env["GOOGLE_CLOUD_PROJECT"])
        for event in fresh:
            alert_id = str(event.get("alert_id") or "")
            key = (alert_id, int(event.get("level") or 0))
            if key in self.announced:  # Pub/Sub delivers at least once; an alert level is shown once
                continue
            self.announced.add(key)
            snapshot = db.collection(fs.ALERTS).document(alert_id).get() if alert_id else None
            doc = snapshot.to_dict() if snapshot is not None and snapshot.exists else None
            row = AlertRow.from_doc(doc or {**event, "symbol": event.get("ticker")}, self.labels)
            self.rows[row.alert_id or alert_id] = row
            self.display.alert_fired(row, event)

    def refresh_rows(self) -> None:
        """Each alert as stored now: a row is shot when its episode opens or escalates, and
        the demo does not follow later moments (a resolution, say) row by row, so a stale row
        would show it still open."""
        assert self.stack is not None
        db = fs.get_client(self.stack.env["GOOGLE_CLOUD_PROJECT"])
        for alert_id in list(self.rows):
            snapshot = db.collection(fs.ALERTS).document(alert_id).get()
            if snapshot.exists:
                self.rows[alert_id] = AlertRow.from_doc(snapshot.to_dict() or {}, self.labels)

    # ------------------------------------------------------------ ticks

    def publish_tick(self, run_id: str) -> None:
        assert self.stack is not None
        publisher = self.publisher()
        path = publisher.topic_path(self.stack.env["GOOGLE_CLOUD_PROJECT"], topics.SCRAPE_TICKS)
        publisher.publish(path, json.dumps({"run_id": run_id}).encode()).result(timeout=30)

    def wait_for_fetches(self, run_id: str, timeout_s: float) -> bool:
        """Until every subreddit of the run has reported (alerts are reported meanwhile)."""
        assert self.fetches is not None
        expected = len(plan_fetches("count", Settings().subreddits))  # as dispatch sends them
        deadline = time.monotonic() + timeout_s
        while self.fetches.reported(run_id) < expected:
            if time.monotonic() > deadline:
                return False
            assert self.stack is not None
            self.stack.check_alive()
            self.collect_alerts()
            time.sleep(0.05)
        return True

    def behind(self) -> tuple[int, int]:
        """(mention batches fetch published that aggregate has not counted yet, ticker updates
        aggregate published that detect has not decided yet), each from the publisher's own
        log lines: an update or an alert in flight is counted before it arrives."""
        assert self.detections is not None and self.fetches is not None and self.aggregations is not None
        self.fetches.poll()
        batches = max(0, self.fetches.batches - self.aggregations.poll())
        updates = max(0, self.aggregations.updates - self.detections.poll())
        return batches, updates

    def unannounced(self) -> int:
        """Alert events detect published that have not reached the table yet."""
        assert self.observers is not None and self.detections is not None
        self.detections.poll()
        with self.observers.seen.lock:  # each event once, however often the topic delivered it
            seen = len({(e.get("alert_id"), e.get("level"), e.get("event")) for e in self.observers.seen.alert_events})
        return max(0, self.detections.published - seen)

    def unreported(self) -> list[str]:
        """The runs whose fetches have not all reported (a tick that outlived its wait)."""
        assert self.fetches is not None
        if self.running:
            self.fetches.poll()  # once for all of them: reported() reads the log on every call
            expected = len(plan_fetches("count", Settings().subreddits))  # as dispatch sends them
            self.running = [run for run in self.running if len(self.fetches.runs.get(run, ())) < expected]
        return self.running

    def backlog(self) -> str:
        batches, updates = self.behind()
        fetching, alerts = len(self.unreported()), self.unannounced()
        return (
            f"{fetching} fetch runs unreported, aggregation {batches} mention batches and detection "
            f"{updates} ticker updates behind, {alerts} alerts published and not yet seen"
        )

    def settle(self, quiet_s: float, timeout_s: float) -> bool:
        """Until every fetch has reported, aggregate has counted every batch, detect has
        decided every update, every alert it published has arrived, and nothing new came for
        ``quiet_s``; False when ``timeout_s`` ran out first."""
        assert self.observers is not None and self.display is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.stack is not None
            self.stack.check_alive()
            self.collect_alerts()
            fetching, (batches, updates), alerts = len(self.unreported()), self.behind(), self.unannounced()
            if fetching == batches == updates == alerts == 0 and self.observers.idle_s() >= quiet_s:
                self.collect_alerts()
                return True
            self.display.status(
                f"catching up: {fetching} fetch runs to finish, {batches} batches to aggregate, "
                f"{updates} updates to decide, {alerts} alerts to arrive"
            )
            time.sleep(0.2)
        self.collect_alerts()
        return False

    def keep_pace(self) -> None:
        """Let aggregation catch up before the next tick (the emulator pushes a subscription's
        messages two at a time): the table then shows detection complete up to the data time
        it reached, rather than many days fetched and few counted."""
        assert self.display is not None
        while self.behind()[0] > self.options.max_backlog and self.remaining_s() > 30:
            assert self.stack is not None
            self.stack.check_alive()
            self.collect_alerts()
            self.display.status(f"letting aggregation catch up: {self.behind()[0]} batches behind")
            time.sleep(0.2)

    def counts(self) -> dict[str, int]:
        fetched = self.fetches
        return {"items": fetched.items if fetched else 0, "mentions": fetched.mentions if fetched else 0}

    def play_replay(self) -> None:
        assert self.stack is not None and self.display is not None
        manifest = json.loads((self.options.corpus / "manifest.json").read_text())
        start, end = float(manifest["start"]), float(manifest["end"])
        if self.options.hours is not None:
            end = min(end, start + self.options.hours * HOUR)
        self.replay = ReplayClock(self.reddit_url())
        self.replay.set(start)
        self.played_until = start
        self.display.start_replay(end - start)
        for number, now in enumerate(tick_times(start, end, self.options.step_hours * HOUR), 1):
            if self.remaining_s() < 20:
                self.display.say(f"time budget spent: replay stopped at data time {data_time(self.played_until)}")
                break
            began = time.monotonic()
            self.replay.set(now)
            run_id = f"demo-{int(time.time())}-{number:04d}"
            self.publish_tick(run_id)
            self.running.append(run_id)
            given = min(self.options.tick_timeout_s, max(1.0, self.remaining_s() - 15))
            if not self.wait_for_fetches(run_id, given):
                self.late_waits.append(given)
            self.keep_pace()
            self.tick_seconds.append(time.monotonic() - began)
            self.played_until = now
            self.display.update(now - start, now, self.counts(), len(self.rows))
        self.display.say(f"data fetched; {self.backlog()}, waiting…")
        wait_s = max(5.0, min(self.options.settle_timeout_s, self.remaining_s() - 10))
        if not self.settle(self.options.quiet_s, wait_s):
            assert self.detections is not None
            self.detections.poll()
            self.decided_when_stopped = dict(self.detections.by_ticker)
            decided = self.detections.newest_as_of
            self.display.say(
                f"stopped waiting after {wait_s:.0f} s: {self.backlog()} ("
                + (
                    f"detection has decided updates up to data time {data_time(decided)}"
                    if decided
                    else "nothing decided yet"
                )
                + "); the table shows what was detected by then"
            )
        self.warn_unread()

    def warn_unread(self) -> None:
        """Fetch reads at most ``FETCH_MAX_POSTS`` of a listing per run: a tick over a busier
        stretch of the corpus leaves its oldest items unread, and fetch says so in its reports."""
        assert self.fetches is not None and self.display is not None
        if self.fetches.unread_runs:
            self.display.say(
                f"{self.fetches.unread_runs} fetch runs could not read back as far as the previous tick "
                f"({self.fetches.unread_s / HOUR:.1f} h of listings in all): those items were never counted; "
                "a smaller --step-hours reads fewer per tick"
            )

    def unfound(self) -> lbl.Unfound:
        """The labelled scenarios the table has no alert for, by why (:func:`demo.labels.unfound`)."""
        found = [(row.label, row.kind) for row in self.rows.values()]
        return lbl.unfound(self.labels, found, self.played_until, self.decided_when_stopped)

    def remaining_s(self) -> float:
        """Seconds left before the alert table is due (``--deadline``), or practically forever."""
        return self.options.deadline - time.time() if self.options.deadline else float("inf")

    def play_live(self) -> None:
        """Real Reddit, real clock: a tick now, then one per schedule period while serving."""
        assert self.display is not None and self.observers is not None
        number = 0
        while True:
            number += 1
            run_id = f"demo-live-{int(time.time())}"
            self.publish_tick(run_id)
            self.wait_for_fetches(run_id, 600.0)
            self.settle(5.0, 120.0)
            self.display.update(0, time.time(), self.counts(), len(self.rows))
            if not self.options.interactive:
                return
            if number == 1:  # this loop never returns at a terminal: where to look, once
                self.display.console.print("\n" + self.access_help() + "\n", soft_wrap=True, markup=False)
            self.display.say(f"tick {number} done; next in {self.options.live_period_s:.0f} s (Ctrl-C to stop)")
            next_at = time.monotonic() + self.options.live_period_s
            while time.monotonic() < next_at:
                time.sleep(0.5)
                self.collect_alerts()

    def reddit_url(self) -> str:
        assert self.stack is not None
        if self.stack.reddit is None:
            raise RuntimeError("the local stack has no local Reddit (emulators/reddit)")
        return self.stack.reddit.url

    # ------------------------------------------------------------ the whole run

    def access_help(self) -> str:
        assert self.stack is not None and self.dashboard is not None
        self.token = self.mint_token()  # printed fresh: a web-app token lasts 15 minutes
        api = self.stack.services["api"].url
        web = self.stack.web_app_state()
        return "\n".join(
            [
                *(web_app_lines({"web_app": web}) if web else []),
                f"dashboard  {self.dashboard.url}#token={self.token}"
                + ("  (the token lasts 15 minutes: `make token` for another)" if web else ""),
                f"api        {api}",
                *(
                    [f"mailbox    {mail}/mail  (what the stack mailed: address confirmations, password resets, alerts)"]
                    if (mail := self.stack.env.get("MAILBOX_URL"))
                    else []
                ),
                f"token      {self.token}",
                "",
                "try:",
                f'  export TOKEN="{self.token}"',
                f'  curl -s -H "Authorization: Bearer $TOKEN" "{api}/v1/alerts?limit=5"',
                f'  curl -s -H "Authorization: Bearer $TOKEN" "{api}/v1/tickers/trending?window=24h"',
                f'  curl -s -H "Authorization: Bearer $TOKEN" "{api}/v1/tickers/<SYMBOL>/history?hours=72"',
            ]
        )

    def start_watched(self) -> None:
        """The stack, with the logs and topics the replay watches to know what is behind."""
        self.fetches = FetchReports(FunctionLog.from_end(self.options.log_dir / "fetch.log"))
        self.detections = DetectDecisions(FunctionLog.from_end(self.options.log_dir / "detect.log"))
        self.aggregations = AggregateBatches(FunctionLog.from_end(self.options.log_dir / "aggregate.log"))
        self.start_stack()
        assert self.stack is not None
        self.observers = Observers(self.stack.env["GOOGLE_CLOUD_PROJECT"]).start()

    def run(self) -> int:
        began = time.monotonic()
        if not self.options.live and (too_big := corpus_too_big(self.options.corpus)):
            print(f"error: {too_big}", file=sys.stderr)
            return 2
        self.labels = lbl.load(self.options.corpus) if not self.options.live else []
        with Display(total_s=1.0) as display:
            self.display = display
            display.say("starting the local stack (emulators, every function, provisioning)…")
            self.start_watched()
            assert self.stack is not None and self.dashboard is not None
            web = f"web app at {self.stack.web.url}; " if self.stack.web is not None else ""
            display.say(f"stack up in {time.monotonic() - began:.0f} s; {web}dashboard at {self.dashboard.url}")
            if self.options.detection_config:
                self.configure_detection(self.options.detection_config)
            self.subscribe_demo_user()
            if self.options.live:
                self.play_live()
            else:
                corpus = self.options.corpus
                shown = corpus.relative_to(ROOT) if corpus.is_relative_to(ROOT) else corpus
                display.say(f"replaying {shown} in steps of {self.options.step_hours:g} h of data time")
                self.play_replay()
            self.collect_alerts()
            self.refresh_rows()
        display.table(list(self.rows.values()), self.unfound())
        counts = self.counts()
        display.console.print(
            f"done in {time.monotonic() - began:.0f} s: {counts['items']} items, "
            f"{counts['mentions']} mentions, {self.observers.seen.ticker_updates if self.observers else 0} "
            f"ticker updates, {len(self.rows)} alerts"
        )
        if self.stack is not None and self.stack.env.get("MAILBOX_URL"):
            self.send_digests()
        if self.stack is not None:
            mail, hooks, held = self.delivered(wait_s=min(4.0, max(0.0, self.remaining_s())))
            display.console.print(
                f"notifications the demo user received: {len(mail)} emails, {len(hooks)} webhook calls"
                + ("" if held else " (notify was still delivering)")
                + "".join(f"\n  email: {m['subject']}" for m in mail[:10])
            )
        if self.stack is not None:
            usage = {**cpu.by_service(self.stack), "demo (this process)": cpu.own_seconds()}
            display.console.print(
                f"CPU seconds ({sum(usage.values()):.0f} in all): "
                + ", ".join(f"{name} {seconds:.0f}" for name, seconds in usage.items() if seconds >= 0.5)
            )
        if self.tick_seconds:
            n = len(self.tick_seconds)
            display.console.print(
                f"{n} ticks of {self.options.step_hours:g} h data time, {sum(self.tick_seconds) / n:.2f} s each"
                + (
                    f" ({len(self.late_waits)} did not finish within the {max(self.late_waits):.0f} s"
                    " or less each was given)"
                    if self.late_waits
                    else ""
                )
            )
        if self.options.interactive:
            # soft_wrap: the token and URLs stay on one line, whole for copying
            display.console.print("\n" + self.access_help() + "\n\nserving until Ctrl-C…", soft_wrap=True, markup=False)
            with _until_interrupted():
                while True:
                    time.sleep(1)
                    self.collect_alerts()
        return 0


class _Stop(BaseException):
    """SIGTERM, turned into an exception so the stack is stopped on the way out: a
    ``BaseException``, so no ``except Exception`` on the way (a service's start) reads it as
    that part failing."""


@contextlib.contextmanager
def _until_interrupted() -> Iterator[None]:
    with contextlib.suppress(KeyboardInterrupt, _Stop):
        yield


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def main(options: Options) -> int:
    signal.signal(signal.SIGTERM, _on_sigterm)
    if signal.getsignal(signal.SIGHUP) is signal.SIG_DFL:  # not under nohup, which asked to outlive the terminal
        signal.signal(signal.SIGHUP, _on_sigterm)  # its terminal closed: stop as for SIGTERM, state file removed
    demo = Demo(options)
    try:
        return demo.run()
    except (KeyboardInterrupt, _Stop):
        print("\ninterrupted: stopping everything", file=sys.stderr)
        return 130
    except StackDied as exc:
        print(f"\na part of the local stack died, so the demo cannot go on: {exc}", file=sys.stderr)
        return 1
    finally:
        stopping = time.monotonic()
        demo.stop()
        if demo.display is not None:
            demo.display.console.print(
                f"everything stopped in {time.monotonic() - stopping:.0f} s; logs in {options.log_dir}"
            )
