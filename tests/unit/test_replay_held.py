"""What the held-messages replay publishes again, and what it leaves in the hold."""

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support import scripts

ROOT = Path(__file__).resolve().parents[2]
replay_held = scripts.load("replay_held")
Replay, replay_of = replay_held.Replay, replay_held.replay_of


def test_an_ordered_message_goes_back_with_its_ticker_as_ordering_key_and_its_own_attributes() -> None:
    data = json.dumps({"ticker": "GME", "mentions": []}).encode()
    held = {"CloudPubSubDeadLetterSourceDeliveryCount": "20", "trace": "t1"}
    assert replay_of("mentions", data, held) == Replay(data, {"trace": "t1"}, "GME")


def test_an_unordered_message_goes_back_without_a_key() -> None:
    assert replay_of("alerts", b"{}", {}) == Replay(b"{}", {}, "")


@pytest.mark.parametrize(
    ("topic", "data", "attributes", "why"),
    [
        ("mentions", b"not json", {}, "no ticker"),
        ("ticker-updates", b'{"as_of": 1}', {}, "no ticker"),
        (
            "reddit-items",
            b'{"table": "mentions", "row_id": "r1", "row": {}}',
            {"function": "archive", "error": "x"},
            "row_id",
        ),
        ("mentions", b'{"ticker": "GME"}', {"function": "aggregate", "error": "not a batch"}, "--malformed"),
    ],
)
def test_what_cannot_go_back_as_it_is_stays_in_the_hold_with_the_reason(
    topic: str, data: bytes, attributes: dict[str, str], why: str
) -> None:
    reason = replay_of(topic, data, attributes)
    assert isinstance(reason, str) and why in reason


@pytest.mark.parametrize(
    ("subscription", "why"), [("digest-ticks-notify-digest", "publish time"), ("subreddit-fetches-fetch", "unread")]
)
def test_held_ticks_and_fetches_are_refused_whole_since_a_replay_would_do_the_wrong_thing(
    subscription: str, why: str
) -> None:
    """A digest tick's hours and a fetch's reading time come from when it was sent: published
    again, one sends the wrong hours and the other is acknowledged unread."""
    with pytest.raises(replay_held.NotReplayable, match=why):
        replay_held.replay(subscription, project_id="p", limit=1, dry_run=True, subscriber=None)


def test_a_replay_names_the_functions_region_where_a_tickers_order_holds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        replay_held.main(["mentions-aggregate", "--dry-run"])
    assert refused.value.code == 2 and "--region" in capsys.readouterr().err
    assert replay_held.regional_endpoint("us-central1") == "us-central1-pubsub.googleapis.com:443"


class _Hold:
    """A hold that hands out at most three messages a pull, and again, its lease over, any
    it handed out a pull ago unless that lease was renewed (Pub/Sub's minute, in pulls)."""

    def __init__(self, messages: list[Any]) -> None:
        self.messages = {m.message_id: m for m in messages}
        self.lease: dict[str, int] = {}
        self.pulls = 0
        self.acked: list[str] = []

    def subscription_path(self, project: str, name: str) -> str:
        return f"projects/{project}/subscriptions/{name}"

    def pull(self, *, subscription: str, max_messages: int, timeout: float) -> Any:
        self.pulls += 1
        free = [m for i, m in self.messages.items() if self.lease.get(i, 0) < self.pulls][: min(3, max_messages)]
        for m in free:
            self.lease[m.message_id] = self.pulls + 1
        return SimpleNamespace(received_messages=[SimpleNamespace(ack_id=m.message_id, message=m) for m in free])

    def modify_ack_deadline(self, *, subscription: str, ack_ids: list[str], ack_deadline_seconds: int) -> None:
        for i in ack_ids:
            self.lease[i] = self.pulls + (1000 if ack_deadline_seconds else 0)

    def acknowledge(self, *, subscription: str, ack_ids: list[str]) -> None:
        self.acked += ack_ids
        for i in ack_ids:
            self.messages.pop(i, None)


def test_what_stays_in_the_hold_does_not_end_the_replay_before_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three malformed batches first, then five good ones: the malformed come back once their
    lease is over, and a pull of nothing new must not be read as an empty hold."""
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)

    def held(i: int, data: bytes) -> Any:
        return SimpleNamespace(message_id=f"m{i}", ordering_key="", publish_time=long_ago, data=data, attributes={})

    bad = [held(i, b"not json") for i in range(3)]
    good = [held(i, json.dumps({"ticker": "GME", "mentions": []}).encode()) for i in range(3, 8)]
    published: list[bytes] = []

    class Sent:
        def __init__(self, project_id: str, endpoint: str | None = None) -> None:
            pass

        def publish_raw(self, topic: str, data: bytes, key: str, attributes: dict[str, str]) -> Any:
            published.append(data)
            return SimpleNamespace(result=lambda timeout: None)

    monkeypatch.setattr(replay_held, "Publisher", Sent)
    hold = _Hold([*bad, *good])
    replayed, kept = replay_held.replay("mentions-aggregate", project_id="p", limit=100, dry_run=False, subscriber=hold)
    assert (replayed, len(kept), len(published)) == (5, 3, 5)
    assert sorted(hold.messages) == ["m0", "m1", "m2"]  # the malformed stay, for whoever looks next
