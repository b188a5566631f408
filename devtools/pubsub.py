"""Watch a topic through the real emulator: a fresh pull subscription sees only what is
published after it was made, so tests sharing one emulator do not see each other's traffic."""

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from google.cloud import pubsub_v1


@dataclass
class Received:
    data: bytes
    attributes: dict[str, str]
    ordering_key: str
    message_id: str

    def json(self) -> Any:
        return json.loads(self.data)


class Observer:
    def __init__(self, project: str, topic: str) -> None:
        self.subscriber = pubsub_v1.SubscriberClient()
        self.path = self.subscriber.subscription_path(project, f"observe-{topic}-{uuid.uuid4().hex[:8]}")
        self.subscriber.create_subscription(
            request={"name": self.path, "topic": f"projects/{project}/topics/{topic}", "enable_message_ordering": True}
        )

    def pull(self, expected: int, timeout: float = 20.0, settle: float = 0.0) -> list[Received]:
        """Wait until ``expected`` messages arrived (then ``settle`` seconds for extras)."""
        got: list[Received] = []
        deadline = time.monotonic() + timeout
        settle_until: float | None = None
        while time.monotonic() < deadline:
            if len(got) >= expected and settle_until is None:
                settle_until = time.monotonic() + settle
            if settle_until is not None and time.monotonic() >= settle_until:
                break
            response = self.subscriber.pull(
                request={"subscription": self.path, "max_messages": 100, "return_immediately": True}, timeout=5
            )
            if response.received_messages:
                self.subscriber.acknowledge(
                    request={"subscription": self.path, "ack_ids": [m.ack_id for m in response.received_messages]}
                )
            for m in response.received_messages:
                got.append(
                    Received(m.message.data, dict(m.message.attributes), m.message.ordering_key, m.message.message_id)
                )
            if not response.received_messages:
                time.sleep(0.1)
        return got

    def close(self) -> None:
        self.subscriber.delete_subscription(request={"subscription": self.path})
