"""What every Pub/Sub-triggered function does around its domain call.

Decode the push envelope with the topic's one decoder; a payload that can never succeed is
logged with its message id and published to the subscription's dead-letter topic, then
acknowledged, so it neither loops nor blocks the messages behind it. Anything else that goes
wrong raises, the push is answered with an error, and Pub/Sub retries under the
subscription's bounded retry and dead-letter policy.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import functions_framework
from cloudevents.http import CloudEvent

from common import log, topics
from common.adapters import firestore as fs
from common.adapters.pubsub import Publisher, get_publisher
from common.messages import MalformedMessage, Message, b64decode_data, decode_data
from common.settings import Settings, get_settings

M = TypeVar("M", bound=Message)
logger = log.get_logger(__name__)


@dataclass(frozen=True)
class Delivery:
    """Where a message came from: its id is the idempotency key of last resort. (No ordering
    key: functions-framework keeps only the data, attributes, id and publish time of a pushed
    message, so nothing may rely on seeing it here.)"""

    message_id: str
    publish_time: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


def unwrap(cloud_event: CloudEvent) -> tuple[Delivery, Any]:
    """Split a Pub/Sub CloudEvent into its delivery facts and its (still encoded) data."""
    data = cloud_event.data if isinstance(cloud_event.data, dict) else {}
    message = data.get("message") if isinstance(data.get("message"), dict) else {}
    assert isinstance(message, dict)
    raw_attributes = message.get("attributes") or {}
    delivery = Delivery(
        message_id=str(message.get("messageId") or message.get("message_id") or cloud_event["id"]),
        publish_time=str(message.get("publishTime") or ""),
        attributes={str(k): str(v) for k, v in raw_attributes.items()} if isinstance(raw_attributes, dict) else {},
    )
    return delivery, message.get("data")


ATTRIBUTE_BYTES = 1024  # Pub/Sub's limit on an attribute value, in bytes


def attribute(text: str) -> str:
    """``text`` cut to what a Pub/Sub attribute holds: over it, the dead-letter publish itself
    would be refused, and the malformed message retried for hours instead of set aside."""
    return text.encode()[:ATTRIBUTE_BYTES].decode("utf-8", "ignore")


def handle(
    cloud_event: CloudEvent,
    *,
    function: str,
    model: type[M],
    process: Callable[[M, Delivery], None],
    publisher: Callable[[], Publisher],
    check: Callable[[M, Delivery], None] | None = None,
) -> None:
    """Decode ``cloud_event`` as ``model`` and run ``process``, dead-lettering bad payloads:
    those that do not decode, and those ``check`` refuses (:class:`MalformedMessage`) as
    impossible for their delivery, which no retry makes possible."""
    delivery, data = unwrap(cloud_event)
    with log.context(function=function, message_id=delivery.message_id, event_id=cloud_event["id"]):
        raw = b""
        try:
            raw = b64decode_data(data)
            message = decode_data(model, raw)
            if check is not None:
                check(message, delivery)
        except MalformedMessage as exc:
            subscription = topics.subscription_for(function)
            logger.error(
                "malformed message dead-lettered: %s",
                exc,
                extra={"json_fields": {"subscription": subscription, "reason": str(exc)}},
            )
            dead_letter = topics.dead_letter_topic(subscription)
            publisher().publish_raw(
                dead_letter,
                raw if raw else str(data).encode(),
                attributes={
                    "error": attribute(str(exc)),
                    "source_message_id": delivery.message_id,
                    "subscription": subscription,
                    "function": function,
                },
            ).result(timeout=30)
            return
        with fs.counting() as ops:
            try:
                process(message, delivery)
            except Exception:
                # Said here, inside the message's context: the framework's own traceback comes
                # after it and names no message, so a message failing every retry (holding its
                # ordering key's queue) could not be told from the others. A warning: the
                # framework's line stays the one ERROR a failure adds to function_errors.
                logger.warning(
                    "message failed; Pub/Sub will deliver it again",
                    exc_info=True,
                    extra={"json_fields": {"subscription": topics.subscription_for(function)}},
                )
                raise
            finally:
                if ops is not None:
                    _log_ops(ops)


def _log_ops(ops: fs.OpCounts) -> None:
    """Firestore operations of this message, and of the process so far (thread pools' work
    shows only there), so a benchmark can sum them from the logs."""
    process_total = fs.totals()
    logger.info(
        "firestore ops: %d reads, %d writes",
        ops.reads,
        ops.writes,
        extra={
            "json_fields": {
                "ops_reads": ops.reads,
                "ops_writes": ops.writes,
                "ops_process_reads": process_total.reads,
                "ops_process_writes": process_total.writes,
                "pid": os.getpid(),
            }
        },
    )


def publisher_for(settings: Settings) -> Publisher:
    """The instance's publisher (one per project, batching and ordering set up once)."""
    return get_publisher(settings.project_id)


def pubsub_function(
    function: str,
    model: type[M],
    process: Callable[[M, Delivery, Settings], None],
    check: Callable[[M, Delivery], None] | None = None,
) -> Callable[[CloudEvent], None]:
    """The Cloud Function ``function``: settings read and logging set up once per instance,
    each push decoded as ``model`` (and ``check``-ed) and handed to ``process`` by
    :func:`handle`. Every Pub/Sub-triggered function is made here, so the scaffold lives in
    one place."""

    def entry(cloud_event: CloudEvent) -> None:
        settings = get_settings()
        log.configure(settings.log_level, settings.project_id, function)
        handle(
            cloud_event,
            function=function,
            model=model,
            process=lambda message, delivery: process(message, delivery, settings),
            publisher=lambda: publisher_for(settings),
            check=check,
        )

    entry.__name__ = entry.__qualname__ = function
    registered: Callable[[CloudEvent], None] = functions_framework.cloud_event(entry)
    return registered
