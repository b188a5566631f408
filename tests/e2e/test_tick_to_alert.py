"""The whole product in one test: scheduler ticks in, an alert out through the authenticated
API. Everything real on this machine: the Pub/Sub and Firestore emulators, every function as
its own process, the local Reddit replaying a small corpus with one organic breakout, and a
token signed by the development key the API trusts through its JWKS."""

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import google.cloud.pubsub_v1 as pubsub_v1
import pytest
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from common import topics
from devtools import devauth
from devtools.corpus import HOUR, START, SUBREDDITS, write_breakout_corpus
from devtools.reddit import LocalReddit
from emulators.stack import Stack

# the first test of a module also pays for its stack and replay (fixtures): more than the default
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def call(method: str, url: str, token: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def wait_until_fetched(db: firestore.Client, run_id: str, timeout: float = 60.0) -> None:
    """Every subreddit of the run has recorded it as its last finished fetch."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = {
            snap.get("subreddit").lower()
            for snap in db.collection("cursors").where(filter=FieldFilter("last_run_id", "==", run_id)).stream()
        }
        if done >= {s.lower() for s in SUBREDDITS}:
            return
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish fetching in {timeout}s")


def test_scheduler_ticks_become_an_organic_alert_readable_through_the_api(
    emulators: Stack, local_reddit: LocalReddit, tmp_path: Path
) -> None:
    label = write_breakout_corpus(tmp_path / "corpus", hours=30, spike_from=20)
    local_reddit.load(tmp_path / "corpus", now=START)
    key = devauth.current_key(Path(os.environ["DEVAUTH_DIR"]))
    api = emulators.services["api"].url
    admin, reader = devauth.mint(key, sub="e2e-admin", role="admin"), devauth.mint(key, sub="e2e-reader")

    # An admin shortens the warm-up for a 30-hour corpus, through the API, as in production.
    # Each function instance keeps the thresholds of every config version it has read, for
    # good: in production a version number never comes back, but the suite empties Firestore
    # between tests and numbers start again at 1. A version no earlier test can have stored
    # keeps a stale copy (an earlier test's version 1, met by a late message) out of this one.
    assert emulators.emulators is not None
    seeded = 1_000_000 + int(time.time())
    firestore.Client(project=emulators.emulators.project).collection("config").document("detection").set(
        {"version": seeded}
    )
    status, current = call("GET", f"{api}/v1/config/detection", admin)
    assert status == 200, current
    assert current["version"] == seeded
    proposed = {"config": {**current["config"], "warmup_hours": 12}, "expected_version": current["version"]}
    status, updated = call("PUT", f"{api}/v1/config/detection", admin, proposed)
    assert status == 200, updated

    assert emulators.emulators is not None
    publisher = pubsub_v1.PublisherClient()
    tick_topic = publisher.topic_path(emulators.emulators.project, topics.SCRAPE_TICKS)
    db = firestore.Client(project=emulators.emulators.project)
    for step, now in enumerate(range(int(START + 3 * HOUR), int(START + 31 * HOUR), int(3 * HOUR))):
        local_reddit.clock(now=float(now))
        run_id = f"e2e-{step}"
        tick = {"run_id": run_id, "subreddits": list(SUBREDDITS)}
        publisher.publish(tick_topic, json.dumps(tick).encode()).result(timeout=10)
        wait_until_fetched(db, run_id)

    deadline = time.monotonic() + 90
    alerts: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not alerts:
        status, page = call("GET", f"{api}/v1/alerts?symbol={label['ticker']}&kind=organic", reader)
        assert status == 200, page
        alerts = page["alerts"]
        time.sleep(0.5)
    assert alerts, f"no organic alert for {label['ticker']} reached the API"
    [alert] = alerts
    assert alert["symbol"] == label["ticker"]
    assert alert["status"] in {"open", "escalated"}
    assert alert["pump_risk"] < 0.5
    assert float(label["start"]) <= alert["opened_at"] < float(label["peak"])  # type: ignore[arg-type]

    status, full = call("GET", f"{api}/v1/alerts/{alert['alert_id']}", reader)
    assert status == 200, full
    assert full["rule"] and full["reasons"]
    assert full["evidence"], "an alert must cite the posts behind it"
    assert all(e["permalink"].startswith(("https://www.reddit.com/r/", "/r/")) for e in full["evidence"])
    assert {e["subreddit"] for e in full["evidence"]} <= set(SUBREDDITS)

    # The background tickers, talked about every hour by the same regulars, never alerted.
    status, everything = call("GET", f"{api}/v1/alerts?limit=50", reader)
    assert status == 200
    assert {a["symbol"] for a in everything["alerts"] if a["kind"] == "organic"} == {label["ticker"]}
