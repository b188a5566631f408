"""Each log-based metric Terraform defines (terraform/monitoring.tf) counts lines the
functions really write: the faults and events behind them are made to happen on the local
stack, and each metric's structured match is checked against the captured log lines (and a
distribution's value field is a number there)."""

import json
import os
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import google.cloud.pubsub_v1 as pubsub_v1

from common import topics
from common.messages import AlertEvent, SubredditFetch, encode
from demo.logs import FunctionLog
from devtools import devauth
from devtools.pubsub import Observer
from devtools.reddit import LocalReddit
from emulators.stack import Stack
from tests.integration.test_detect import _db, _publish, organic_batch, prepare
from tests.integration.test_fetch import WSB, db_client, finished, tick
from tests.support.log_metrics import log_metrics, matches
from tests.support.small_corpus import SMALL


class Since:
    """The lines every function writes from now on: the earlier tests' lines (retries, dead
    letters, alerts of their own) must not stand in for this one's."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.logs = {path: FunctionLog.from_end(path) for path in log_dir.glob("*.log")}
        self.lines: list[dict[str, Any]] = []

    def read(self) -> list[dict[str, Any]]:
        for path in self.log_dir.glob("*.log"):
            self.lines += self.logs.setdefault(path, FunctionLog(path)).entries()  # a log begun since: all of it
        return self.lines


def _judge(emulators: Stack, alert_id: str, verdict: str) -> int:
    """A user's verdict through the stack's own api process (its lines land in api.log)."""
    token = devauth.mint(devauth.current_key(Path(os.environ["DEVAUTH_DIR"])), sub="judge")
    request = urllib.request.Request(
        f"{emulators.services['api'].url}/v1/alerts/{alert_id}/feedback",
        data=json.dumps({"verdict": verdict}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def test_every_log_metric_counts_lines_the_stack_really_writes(
    emulators: Stack, observe: Callable[[str], Observer], local_reddit: LocalReddit
) -> None:
    since = Since(emulators.log_dir)
    # fetch: a run (fetch_runs), a throttled answer (reddit_retries), a listing Reddit keeps
    # failing past the retries (reddit_gave_up: the tests' fetch tries 4 times), a refused listing
    local_reddit.load(SMALL, "start")
    local_reddit.fault(f"/r/{WSB}/new", status=429, times=1)
    local_reddit.fault(f"/r/{WSB}/new", status=200, delay=6.0, times=1)  # then no answer in time: retried too
    local_reddit.fault(f"/r/{WSB}/comments", status=503, times=4)
    local_reddit.fault(f"/r/{WSB}/hot", status=403, times=5)
    finished(db_client(emulators), WSB, tick(emulators, WSB))
    # a fetch that waited until dispatch may send its subreddit again (fetch_runs_unread)
    publisher = pubsub_v1.PublisherClient()
    assert emulators.emulators is not None
    late = SubredditFetch(run_id="late-run", subreddit=WSB, sent_at=time.time() - 1000)
    fetches = publisher.topic_path(emulators.emulators.project, topics.SUBREDDIT_FETCHES)
    publisher.publish(fetches, encode(late)).result(10)
    # a poison message (dead_lettered, function_errors)
    dead = observe(topics.dead_letter_topic("mentions-aggregate"))
    publisher.publish(publisher.topic_path(emulators.emulators.project, topics.MENTIONS), b"not json").result(10)
    assert dead.pull(expected=1, timeout=30)
    # an alert (alerts_published)
    db = _db(emulators)
    batch = organic_batch("EDIT")
    prepare(db, "EDIT", batch)
    alerts = observe(topics.ALERTS)
    _publish(emulators, topics.MENTIONS, [batch], key="EDIT")
    published = alerts.pull(expected=1, timeout=90)
    assert published
    # a user's verdict on it (feedback_verdicts)
    assert _judge(emulators, AlertEvent.model_validate_json(published[0].data).alert_id, "useful") == 200
    metrics = log_metrics()
    deadline, unmatched = time.monotonic() + 30, sorted(metrics)
    while unmatched and time.monotonic() < deadline:  # a line may land after the answer that got us here
        lines = since.read()
        unmatched = sorted(name for name, spec in metrics.items() if not any(matches(spec, e) for e in lines))
        time.sleep(0.2)
    assert unmatched == []
    silent = [e for e in lines if matches(metrics["reddit_retries"], e) and e.get("status") == "none"]
    assert silent, "a request Reddit never answered is counted with the retries"
    # labels are strings as reddit_paused matches them ("429"): a JSON number reads as a double
    retried = {e.get("status") for e in lines if matches(metrics["reddit_retries"], e)}
    assert {"429", "none"} <= retried and all(isinstance(s, str) for s in retried), retried
    # the verdict's request, counted by route template and status, not by its raw path
    requests = [e for e in lines if matches(metrics["api_requests"], e)]
    assert ("/v1/alerts/<alert_id>/feedback", "POST", "200") in {
        (e["route"], e["method"], e["status"]) for e in requests
    }
