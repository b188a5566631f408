"""publish_all waits for a run's messages together, within one deadline."""

import time
from concurrent.futures import Future
from typing import Any

import pytest

from common.adapters.pubsub import Outgoing, Publisher
from common.messages import ScrapeTick


class Stalled:
    """A client whose publishes never complete (a Pub/Sub that stopped answering)."""

    def __init__(self) -> None:
        self.futures: list[Future[str]] = []

    def topic_path(self, project: str, topic: str) -> str:
        return f"projects/{project}/topics/{topic}"

    def publish(self, topic: str, data: bytes, ordering_key: str = "", **attributes: Any) -> "Future[str]":
        self.futures.append(Future())
        return self.futures[-1]


def test_a_stalled_pubsub_holds_a_run_of_messages_for_the_timeout_once_not_once_per_message() -> None:
    client = Stalled()
    publisher = Publisher("p", client)
    began = time.monotonic()
    with pytest.raises(TimeoutError):
        publisher.publish_all([Outgoing("scrape-ticks", ScrapeTick()) for _ in range(10)], timeout=0.2)
    assert len(client.futures) == 10
    assert time.monotonic() - began < 1.0  # ten waits of 0.2 s each would take 2 s


class Done(Stalled):
    """A client that records which messages it was given, each published at once."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[str] = []

    def publish(self, topic: str, data: bytes, ordering_key: str = "", **attributes: Any) -> "Future[str]":
        self.keys.append(ordering_key)
        future: Future[str] = Future()
        future.set_result(str(len(self.keys)))
        return future


def test_only_messages_with_an_ordering_key_go_through_the_client_that_retries_forever() -> None:
    ordered, plain = Done(), Done()
    publisher = Publisher("p", ordered, plain)
    publisher.publish_all(
        [
            Outgoing("scrape-ticks", ScrapeTick()),
            Outgoing("mentions", ScrapeTick(), "GME"),
            Outgoing("alerts", ScrapeTick()),
        ]
    )
    assert (ordered.keys, plain.keys) == (["GME"], ["", ""])
