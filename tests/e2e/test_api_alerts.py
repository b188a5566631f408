"""End to end: mentions published on the real Pub/Sub emulator go through the running
``aggregate`` and ``detect``; the alerts the detector writes are read back through the
running ``api`` process (as the frontend would, with a signed token), with filters and
cursor pagination."""

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import google.cloud.pubsub_v1 as pubsub_v1
from google.cloud import firestore
from google.cloud.pubsub_v1.types import PublisherOptions

from common import topics
from common.messages import MentionBatch, encode
from devtools import devauth
from devtools.pubsub import Observer
from emulators.stack import Stack
from tests.integration.test_detect import organic_batch, prepare, pump_batch

ORGANIC = ("CRSP", "NTLA", "BEAM")
PUMP = "SNDL"


class Api:
    def __init__(self, stack: Stack, sub: str = "e2e-user") -> None:
        self.url = stack.services["api"].url
        self.token = devauth.mint(devauth.current_key(Path(os.environ["DEVAUTH_DIR"])), sub=sub)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def get(self, path: str, **query: Any) -> Any:
        status, body = self.call("GET", f"{path}?{urllib.parse.urlencode(query)}" if query else path)
        assert status == 200, body
        return body

    def alert_ids(self, **query: Any) -> list[str]:
        return [a["alert_id"] for a in self.get("/v1/alerts", **query)["alerts"]]


def publish(stack: Stack, batches: list[MentionBatch]) -> None:
    assert stack.emulators is not None
    client = pubsub_v1.PublisherClient(publisher_options=PublisherOptions(enable_message_ordering=True))
    path = client.topic_path(stack.emulators.project, topics.MENTIONS)
    futures = [client.publish(path, encode(b), ordering_key=b.ticker) for b in batches]
    for future in futures:
        future.result(timeout=30)


def test_alerts_the_detector_writes_are_read_back_through_the_api_with_filters_and_pages(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    assert emulators.emulators is not None
    db = firestore.Client(project=emulators.emulators.project)
    batches = [organic_batch(s) for s in ORGANIC] + [pump_batch(PUMP)]
    for batch in batches:
        prepare(db, batch.ticker, batch)
    announced = observe(topics.ALERTS)
    publish(emulators, batches)
    events = announced.pull(expected=len(batches), timeout=120, settle=2.0)
    assert sorted(e.json()["ticker"] for e in events) == sorted([*ORGANIC, PUMP])

    api = Api(emulators)
    everything = api.get("/v1/alerts")["alerts"]
    assert sorted(a["symbol"] for a in everything) == sorted([*ORGANIC, PUMP])
    order = [(a["updated_at"], a["alert_id"]) for a in everything]
    assert order == sorted(order, reverse=True), "newest update first, ties by id"

    # Filters: symbol (any case), kind, score, watchlist.
    assert [a["symbol"] for a in api.get("/v1/alerts", symbol="crsp")["alerts"]] == ["CRSP"]
    assert [a["symbol"] for a in api.get("/v1/alerts", kind="pump")["alerts"]] == [PUMP]
    assert {a["symbol"] for a in api.get("/v1/alerts", kind="organic")["alerts"]} == set(ORGANIC)
    scores = sorted(a["score"] for a in everything)
    threshold = scores[len(scores) // 2]
    strong = api.get("/v1/alerts", min_score=threshold)["alerts"]
    assert {a["alert_id"] for a in strong} == {a["alert_id"] for a in everything if a["score"] >= threshold}
    assert api.call("PUT", "/v1/me/watchlist", {"symbols": ["NTLA", "BEAM"]})[0] == 200
    assert sorted(a["symbol"] for a in api.get("/v1/alerts", watchlist_only="true")["alerts"]) == ["BEAM", "NTLA"]

    # Pagination: one alert per page covers the same list, each once, in order.
    paged: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        page = api.get("/v1/alerts", limit=1, **({"cursor": cursor} if cursor else {}))
        paged += [a["alert_id"] for a in page["alerts"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == [a["alert_id"] for a in everything]

    # One alert in full: the detector's evidence and the ticker's view of it.
    crsp = next(a for a in everything if a["symbol"] == "CRSP")
    detail = api.get(f"/v1/alerts/{crsp['alert_id']}")
    assert detail["evidence"], "the posts behind the alert"
    assert all(e["permalink"].startswith("/r/") for e in detail["evidence"])
    # The corpus is replayed, so each link opens the local Reddit's page of the item, not reddit.com.
    assert emulators.reddit is not None
    assert all(e["url"] == f"{emulators.reddit.url}/_replay/page{e['permalink']}" for e in detail["evidence"])
    ticker = api.get("/v1/tickers/CRSP")
    assert ticker["detection"]["alert_id"] == crsp["alert_id"]
    assert ticker["windows"]["1h"]["mentions"] > 0
    trending = [t["symbol"] for t in api.get("/v1/tickers/trending", window="1h")["tickers"]]
    assert set(trending) >= {*ORGANIC, PUMP}
    history = api.get("/v1/tickers/CRSP/history", hours=24)
    assert sum(h["mentions"] for h in history["hours"]) == len(batches[0].mentions)
