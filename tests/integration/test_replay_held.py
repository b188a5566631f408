"""The held-messages replay through the Pub/Sub emulator: what a hold keeps goes back to its
topic with its ticker as ordering key, and leaves the hold only once published."""

import json
from collections.abc import Callable
from pathlib import Path

from google.cloud import pubsub_v1

from common import topics
from devtools.pubsub import Observer
from emulators.stack import Stack
from tests.support import scripts

ROOT = Path(__file__).resolve().parents[2]
replay_held = scripts.load("replay_held")


def _empty(project: str, subscription: str) -> None:
    subscriber = pubsub_v1.SubscriberClient()
    hold = subscriber.subscription_path(project, topics.dead_letter_hold(subscription))
    while received := subscriber.pull(subscription=hold, max_messages=100, timeout=10).received_messages:
        subscriber.acknowledge(subscription=hold, ack_ids=[r.ack_id for r in received])


def test_a_held_batch_goes_back_to_its_topic_keyed_by_its_ticker_and_leaves_the_hold(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    assert emulators.emulators is not None
    project = emulators.emulators.project
    subscription = "mentions-aggregate"
    publisher = pubsub_v1.PublisherClient()
    dead_letter = publisher.topic_path(project, topics.dead_letter_topic(subscription))
    _empty(project, subscription)  # what earlier tests dead-lettered there is theirs
    # a silence check of a ticker nobody discusses: aggregate handles it once replayed
    batch = json.dumps({"ticker": "ZZRH", "silence_check": 1_700_000_000.0}).encode()
    # as Pub/Sub forwards a message it gave up on, and one with no ticker
    publisher.publish(dead_letter, batch, CloudPubSubDeadLetterSourceDeliveryCount="20").result(timeout=10)
    publisher.publish(dead_letter, b'{"mentions": []}').result(timeout=10)
    # and one a function dead-lettered as malformed: only with --malformed
    publisher.publish(dead_letter, b"not json", error="not JSON", function="aggregate").result(timeout=10)
    mentions = observe(topics.MENTIONS)

    replayed, kept = replay_held.replay(
        subscription, project_id=project, limit=10, dry_run=False, subscriber=pubsub_v1.SubscriberClient()
    )
    assert replayed == 1 and sorted(k.split(": ", 1)[1][:20] for k in kept) == [
        "dead-lettered as mal",
        "no ticker to order i",
    ]
    [again] = mentions.pull(expected=1, timeout=30)
    assert (again.data, again.ordering_key) == (batch, "ZZRH")
    assert not any(k.startswith("CloudPubSubDeadLetter") for k in again.attributes)  # dead-lettering's, not its own

    # only the two it could not replay are still held
    replayed, kept = replay_held.replay(
        subscription, project_id=project, limit=10, dry_run=True, subscriber=pubsub_v1.SubscriberClient()
    )
    assert (replayed, len(kept)) == (0, 2)
