"""Publishing to Pub/Sub: one client per instance, batched, ordering-key aware.

Each awaited publish costs a full batch latency, so callers hand over everything they have
to emit and :meth:`Publisher.publish_all` waits for all futures together.
"""

import contextlib
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field

from google.cloud.pubsub_v1 import PublisherClient
from google.cloud.pubsub_v1.types import BatchSettings, LimitExceededBehavior, PublisherOptions, PublishFlowControl

from common.messages import Message, encode


@dataclass(frozen=True)
class Outgoing:
    """One message to publish."""

    topic: str
    message: Message
    ordering_key: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)


BATCHES = BatchSettings(max_messages=500, max_latency=0.005)
# What one instance may hold unsent: past it a publish fails at once (its future carries the
# error, so publish_all raises and Pub/Sub redelivers the handler's message) instead of
# queueing. With ordering on, the client retries a failing publish forever, so during a
# Pub/Sub outage every redelivered run would otherwise pile its batches on top of the last
# until the instance runs out of memory.
FLOW = PublishFlowControl(
    message_limit=20_000, byte_limit=64 * 1024 * 1024, limit_exceeded_behavior=LimitExceededBehavior.ERROR
)


class Publisher:
    """Messages with an ordering key go through a client with ordering on; the others through
    one without it, whose retries end (ordering makes the client's retry endless, even for
    messages without a key, and only per-key order needs that)."""

    def __init__(
        self,
        project_id: str,
        client: PublisherClient | None = None,
        plain: PublisherClient | None = None,
        *,
        endpoint: str | None = None,
    ) -> None:
        """``endpoint``: a regional one (``us-central1-pubsub.googleapis.com:443``) for a
        publisher outside the functions' region, since ordering holds only among messages
        published in one region (the emulator's host, when set, overrides it)."""
        self.project_id = project_id
        options = {"api_endpoint": endpoint} if endpoint else None
        self._client = client or PublisherClient(
            batch_settings=BATCHES,
            publisher_options=PublisherOptions(enable_message_ordering=True, flow_control=FLOW),
            client_options=options,
        )
        self._plain = (
            plain
            or client
            or PublisherClient(
                batch_settings=BATCHES, publisher_options=PublisherOptions(flow_control=FLOW), client_options=options
            )
        )
        self.published = 0  # counted for benchmarks

    def topic_path(self, topic: str) -> str:
        return str(self._client.topic_path(self.project_id, topic))

    def publish_raw(
        self, topic: str, data: bytes, ordering_key: str = "", attributes: Mapping[str, str] | None = None
    ) -> "Future[str]":
        if ordering_key:
            future: Future[str] = self._client.publish(
                self.topic_path(topic), data, ordering_key=ordering_key, **dict(attributes or {})
            )
        else:
            future = self._plain.publish(self.topic_path(topic), data, **dict(attributes or {}))
        self.published += 1
        return future

    def publish_all(self, outgoing: Iterable[Outgoing], timeout: float = 60.0) -> list[str]:
        """Publish every message, then wait for all of them, ``timeout`` in all (not per
        message: a slow Pub/Sub must not hold a run of thirty messages for thirty minutes);
        returns the message ids.

        If one fails, its ordering key is resumed (the client pauses a key after an error)
        and the error is raised, so the triggering message is redelivered and retried whole.
        """
        pending: list[tuple[Outgoing, Future[str]]] = [
            (o, self.publish_raw(o.topic, encode(o.message), o.ordering_key, o.attributes)) for o in outgoing
        ]
        deadline = time.monotonic() + timeout
        ids: list[str] = []
        error: BaseException | None = None
        for out, future in pending:
            try:
                ids.append(future.result(timeout=max(0.0, deadline - time.monotonic())))
            except Exception as exc:
                error = error or exc
                if out.ordering_key and future.done():  # a wait that timed out paused nothing
                    with contextlib.suppress(RuntimeError):  # resumed already, for an earlier failure of its key
                        self._client.resume_publish(self.topic_path(out.topic), out.ordering_key)
        if error is not None:
            raise error
        return ids


_lock = threading.Lock()
_publishers: dict[str, Publisher] = {}


def get_publisher(project_id: str) -> Publisher:
    """The instance-wide publisher for ``project_id`` (created on first use)."""
    with _lock:
        if project_id not in _publishers:
            _publishers[project_id] = Publisher(project_id)
        return _publishers[project_id]
