"""Create the Terraform-defined topics and subscriptions in the Pub/Sub emulator.

Push endpoints point at the local function processes; a subscription whose function is not
running locally is created as a pull subscription so its messages wait instead of vanishing.
"""

import contextlib
import os
from collections.abc import Iterator, Mapping

from google.api_core import exceptions as gexc
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient
from google.protobuf import duration_pb2

from emulators import tfmodel


@contextlib.contextmanager
def _emulator_host(host: str) -> Iterator[None]:
    """The Pub/Sub clients find the emulator through the environment; point them at this
    stack's only while they are made, so a stack started in a test process does not leave the
    process pointing at it once it stops."""
    before = os.environ.get("PUBSUB_EMULATOR_HOST")
    os.environ["PUBSUB_EMULATOR_HOST"] = host
    try:
        yield
    finally:
        if before is None:
            del os.environ["PUBSUB_EMULATOR_HOST"]
        else:
            os.environ["PUBSUB_EMULATOR_HOST"] = before


def provision(
    pubsub_host: str, project: str, endpoints: Mapping[str, str], max_delivery_attempts: int | None = None
) -> None:
    """Topics and subscriptions as Terraform defines them; ``max_delivery_attempts``
    overrides that Terraform variable (5 to 100), as ``terraform apply -var`` would."""
    model = tfmodel.load()
    with _emulator_host(pubsub_host):
        publisher = PublisherClient()
        subscriber = SubscriberClient()
    dead_letter_topics = {s.dead_letter_topic for s in model.subscriptions.values()}
    for topic in [*model.topics, *sorted(dead_letter_topics)]:
        with contextlib.suppress(gexc.AlreadyExists):
            publisher.create_topic(name=publisher.topic_path(project, topic))
    for topic, hold in model.dead_letter_holds.items():
        _create_subscription(
            subscriber,
            {
                "name": subscriber.subscription_path(project, hold),
                "topic": publisher.topic_path(project, topic),
            },
        )
    for sub in model.subscriptions.values():
        request: dict[str, object] = {
            "name": subscriber.subscription_path(project, sub.name),
            "topic": publisher.topic_path(project, sub.topic),
            "ack_deadline_seconds": sub.ack_deadline_seconds,
            "enable_message_ordering": sub.message_ordering,
            "dead_letter_policy": {
                "dead_letter_topic": publisher.topic_path(project, sub.dead_letter_topic),
                "max_delivery_attempts": max_delivery_attempts or sub.max_delivery_attempts,
            },
            "retry_policy": {
                "minimum_backoff": duration_pb2.Duration(seconds=int(sub.minimum_backoff_seconds)),
                "maximum_backoff": duration_pb2.Duration(seconds=int(sub.maximum_backoff_seconds)),
            },
        }
        if sub.function in endpoints:
            request["push_config"] = {"push_endpoint": endpoints[sub.function].rstrip("/") + "/"}
        _create_subscription(subscriber, request)


def _create_subscription(subscriber: SubscriberClient, request: dict[str, object]) -> None:
    with contextlib.suppress(gexc.AlreadyExists):
        subscriber.create_subscription(request=request)
