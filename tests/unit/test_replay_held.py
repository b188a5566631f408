"""What the held-messages replay publishes again, and what it leaves in the hold."""

import json
from pathlib import Path

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
