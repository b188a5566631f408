"""The decode-or-dead-letter wrapper, with a recording publisher (no service needed);
the same path through the real emulator is in tests/integration/test_dispatch_fanout.py."""

import base64
import io
import json
import logging
from concurrent.futures import Future
from typing import Any

import pytest
from cloudevents.http import CloudEvent

from common import log
from common.adapters.pubsub import Publisher
from common.entrypoint import ATTRIBUTE_BYTES, Delivery, attribute, handle
from common.messages import SubredditFetch


class RecordingPublisher(Publisher):
    def __init__(self) -> None:
        self.project_id = "test"
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    def publish_raw(self, topic: str, data: bytes, ordering_key: str = "", attributes: Any = None) -> "Future[str]":
        self.sent.append((topic, data, dict(attributes or {})))
        future: Future[str] = Future()
        future.set_result("1")
        return future


def event(data: Any) -> CloudEvent:
    return CloudEvent(
        {"type": "google.cloud.pubsub.topic.v1.messagePublished", "source": "//pubsub.googleapis.com/", "id": "ev-1"},
        {"message": {"data": data, "messageId": "m-1", "attributes": {"a": "b"}}},
    )


def test_a_valid_message_reaches_the_domain_with_its_delivery_facts() -> None:
    seen: list[tuple[SubredditFetch, Delivery]] = []
    publisher = RecordingPublisher()
    payload = base64.b64encode(b'{"run_id":"r","subreddit":"stocks"}').decode()
    handle(
        event(payload),
        function="fetch",
        model=SubredditFetch,
        process=lambda m, d: seen.append((m, d)),
        publisher=lambda: publisher,
    )
    assert seen[0][0].subreddit == "stocks"
    assert seen[0][1].message_id == "m-1" and seen[0][1].attributes == {"a": "b"}
    assert publisher.sent == []


@pytest.mark.parametrize("data", ["%%%", base64.b64encode(b"{oops").decode(), base64.b64encode(b"{}").decode()])
def test_a_malformed_message_is_dead_lettered_and_acknowledged_not_retried(data: str) -> None:
    publisher = RecordingPublisher()
    handle(
        event(data),
        function="fetch",
        model=SubredditFetch,
        process=lambda m, d: pytest.fail("must not process"),
        publisher=lambda: publisher,
    )
    [(topic, _raw, attributes)] = publisher.sent
    assert topic == "subreddit-fetches-fetch-dead-letter"
    assert attributes["source_message_id"] == "m-1"
    assert attributes["error"]


def test_a_failure_in_the_domain_propagates_so_pubsub_retries_it() -> None:
    def boom(_m: SubredditFetch, _d: Delivery) -> None:
        raise ConnectionError("firestore unavailable")

    payload = base64.b64encode(b'{"run_id":"r","subreddit":"stocks"}').decode()
    stream = io.StringIO()
    root = logging.getLogger()
    handler = log.json_handler(stream)
    root.addHandler(handler)
    try:
        with pytest.raises(ConnectionError):
            handle(event(payload), function="fetch", model=SubredditFetch, process=boom, publisher=RecordingPublisher)
    finally:
        root.removeHandler(handler)
    # the failure is said inside the message's context: which message keeps failing is known
    [line] = [json.loads(x) for x in stream.getvalue().splitlines() if "Pub/Sub will deliver it again" in x]
    assert line["severity"] == "WARNING" and "firestore unavailable" in line["message"]
    assert (line["message_id"], line["event_id"], line["function"]) == ("m-1", "ev-1", "fetch")
    assert line["subscription"] == "subreddit-fetches-fetch"


def test_the_reason_a_message_was_set_aside_fits_an_attribute_in_bytes_not_characters() -> None:
    """Pub/Sub refuses an attribute over 1,024 bytes: a reason naming non-ASCII keys must
    still go out, cut on a character boundary."""
    reason = "é" * 700 + "x"
    cut = attribute(reason)
    assert len(cut.encode()) <= ATTRIBUTE_BYTES and reason.startswith(cut) and len(cut) == 512
    assert attribute("short") == "short"
