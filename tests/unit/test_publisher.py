"""publish_all waits for a run's messages together, within one deadline."""

from concurrent.futures import Future
from typing import Any

import pytest

from common.adapters.pubsub import Outgoing, Publisher
from common.messages import ScrapeTick


class Clock:
    """The publisher's clock, moved only by the waits it asks for."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now


class Never(Future[str]):
    """A publish that never completes: each wait for it lasts its whole timeout."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def result(self, timeout: float | None = None) -> str:
        assert timeout is not None, "a wait without a timeout would hang the run"
        self.clock.waits.append(timeout)
        self.clock.now += timeout
        raise TimeoutError


class Stalled:
    """A client whose publishes never complete (a Pub/Sub that stopped answering)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.futures: list[Future[str]] = []
        self.clock = clock or Clock()

    def topic_path(self, project: str, topic: str) -> str:
        return f"projects/{project}/topics/{topic}"

    def publish(self, topic: str, data: bytes, ordering_key: str = "", **attributes: Any) -> "Future[str]":
        self.futures.append(Never(self.clock))
        return self.futures[-1]


def test_a_stalled_pubsub_holds_a_run_of_messages_for_the_timeout_once_not_once_per_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = Stalled()
    monkeypatch.setattr("common.adapters.pubsub.time.monotonic", client.clock.monotonic)
    publisher = Publisher("p", client)
    with pytest.raises(TimeoutError):
        publisher.publish_all([Outgoing("scrape-ticks", ScrapeTick()) for _ in range(10)], timeout=0.2)
    assert len(client.futures) == 10
    assert sum(client.clock.waits) == pytest.approx(0.2)  # ten waits of 0.2 s each would be 2 s


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
