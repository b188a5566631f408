"""Watch ``ticker-updates`` and ``alerts`` from demo-only pull subscriptions.

Notify's push subscription on ``alerts`` consumes what it gets, so the demo makes its own
observer subscriptions beside it at run time, on the emulator only. Alerts are
reported as they arrive; the last message's time tells the driver when the aggregator and
the detector have caught up with everything fetched.
"""

import contextlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud.pubsub_v1 import SubscriberClient
from google.cloud.pubsub_v1.types import FlowControl

from common import topics


@dataclass
class Seen:
    """What the observers have seen so far (guarded by ``lock``)."""

    ticker_updates: int = 0
    alert_events: list[dict[str, Any]] = field(default_factory=list)
    last_activity: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Observers:
    """One streaming pull per observed topic; callbacks run on the client's threads."""

    WATCHED = (topics.TICKER_UPDATES, topics.ALERTS)

    def __init__(self, project: str) -> None:
        self.project = project
        self.seen = Seen()
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
            flow = FlowControl(max_messages=1000)
            self.futures.append(self.subscriber.subscribe(path, self._receive_on(topic), flow_control=flow))
        return self

    def _receive_on(self, topic: str) -> Any:
        def receive(message: Any) -> None:
            message.ack()
            with self.seen.lock:
                self.seen.last_activity = time.monotonic()
                if topic == topics.TICKER_UPDATES:
                    self.seen.ticker_updates += 1
                    return
                try:
                    payload = json.loads(message.data or b"{}")
                except ValueError:
                    return
                if isinstance(payload, dict):
                    self.seen.alert_events.append(payload)

        return receive

    def idle_s(self) -> float:
        with self.seen.lock:
            return time.monotonic() - self.seen.last_activity

    def stop(self) -> None:
        for future in self.futures:
            future.cancel()
            with contextlib.suppress(Exception):
                future.result(timeout=5)
        for path in self.paths:
            with contextlib.suppress(gexc.GoogleAPICallError):
                self.subscriber.delete_subscription(request={"subscription": path}, timeout=5)
        self.subscriber.close()
