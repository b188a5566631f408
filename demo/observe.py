"""Count what flows through the pipeline, from demo-only pull subscriptions.

Terraform gives ``alerts`` no subscriber (its consumers are outside this system), so the
demo makes its own observer subscriptions at run time, on the emulator only. Every message
moves a counter and the "last activity" clock the driver uses to tell that a tick's work
has drained.
"""

import contextlib
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud.pubsub_v1 import SubscriberClient
from google.cloud.pubsub_v1.types import FlowControl

from common import topics


@dataclass
class Seen:
    """What the observers have seen so far (guarded by ``lock``)."""

    items: int = 0
    mention_batches: int = 0
    mentions: int = 0
    ticker_updates: int = 0
    alert_events: list[dict[str, Any]] = field(default_factory=list)
    fetches_by_run: Counter[str] = field(default_factory=Counter)
    last_activity: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Observers:
    """One streaming pull per observed topic; callbacks run on the client's threads."""

    WATCHED = (topics.SUBREDDIT_FETCHES, topics.REDDIT_ITEMS, topics.MENTIONS, topics.TICKER_UPDATES, topics.ALERTS)

    def __init__(self, project: str, on_alert: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.project = project
        self.seen = Seen()
        self.on_alert = on_alert
        self.subscriber = SubscriberClient()
        self.paths: list[str] = []
        self.futures: list[Any] = []

    def start(self) -> "Observers":
        tag = uuid.uuid4().hex[:6]
        for topic in self.WATCHED:
            path = self.subscriber.subscription_path(self.project, f"demo-observe-{topic}-{tag}")
            self.subscriber.create_subscription(
                request={"name": path, "topic": f"projects/{self.project}/topics/{topic}", "ack_deadline_seconds": 60}
            )
            self.paths.append(path)
            flow = FlowControl(max_messages=2000)
            self.futures.append(self.subscriber.subscribe(path, self._callback(topic), flow_control=flow))
        return self

    def _callback(self, topic: str) -> Callable[[Any], None]:
        def receive(message: Any) -> None:
            message.ack()
            try:
                payload = json.loads(message.data or b"{}")
            except ValueError:
                payload = {}
            alert = None
            with self.seen.lock:
                seen = self.seen
                seen.last_activity = time.monotonic()
                if topic == topics.SUBREDDIT_FETCHES:
                    seen.fetches_by_run[str(payload.get("run_id"))] += 1
                elif topic == topics.REDDIT_ITEMS:
                    seen.items += 1
                elif topic == topics.MENTIONS:
                    seen.mention_batches += 1
                    seen.mentions += len(payload.get("mentions") or ())
                elif topic == topics.TICKER_UPDATES:
                    seen.ticker_updates += 1
                elif topic == topics.ALERTS:
                    seen.alert_events.append(payload)
                    alert = payload
            if alert is not None and self.on_alert is not None:
                self.on_alert(alert)

        return receive

    def snapshot(self) -> dict[str, Any]:
        with self.seen.lock:
            s = self.seen
            return {
                "items": s.items,
                "mentions": s.mentions,
                "mention_batches": s.mention_batches,
                "ticker_updates": s.ticker_updates,
                "alert_events": len(s.alert_events),
                "idle_s": time.monotonic() - s.last_activity,
            }

    def fetches_for(self, run_id: str) -> int:
        with self.seen.lock:
            return self.seen.fetches_by_run[run_id]

    def stop(self) -> None:
        for future in self.futures:
            future.cancel()
            with contextlib.suppress(Exception):
                future.result(timeout=5)
        for path in self.paths:
            with contextlib.suppress(gexc.GoogleAPICallError):
                self.subscriber.delete_subscription(request={"subscription": path}, timeout=5)
        self.subscriber.close()
