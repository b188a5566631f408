"""Replay what a subscription's dead-letter hold keeps to the topic that subscription reads,
once the cause is fixed (docs/operations.md "held-messages"):
``GOOGLE_CLOUD_PROJECT=MY_PROJECT PYTHONPATH=. python scripts/replay_held.py SUBSCRIPTION
--region REGION [--limit N] [--dry-run]``.

Each held message is published again with its data and its own attributes (not the ones
Pub/Sub or the dead-lettering added), on an ordered topic (``mentions``, ``ticker-updates``)
with its ticker as ordering key, as the functions publish it: without one, a replayed batch
would race that ticker's live ones and be counted out of order. It publishes through the
functions' region's endpoint (``--region``): Pub/Sub orders only the messages of one key
published in the same region, and from an operator's machine the global endpoint picks the
nearest region, not theirs. A message is acknowledged in
the hold only once its publish is confirmed, so a replay that fails midway loses nothing
(what went out may go out again, which every consumer tolerates).

Left in the hold, and said so: a digest tick (its hours come from its publish time, so a
copy would send the wrong ones; acknowledge it: the hourly ticks' sweep sends what it left,
or publish ``{"hour": ...}`` ticks to send it at once); a row archive
dead-lettered (BigQuery refused the row itself: insert it by its ``row_id``, it is no
message); a message a function dead-lettered as malformed, unless ``--malformed`` says the
deploy that makes it readable is done (else it would only be dead-lettered again); and what
reached the hold after the replay began (a replayed message that failed again), so a replay
never chases its own copies. A ticker's messages of one pull go out oldest first.
"""

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from google.cloud import pubsub_v1

from common import topics
from common.adapters.pubsub import Publisher
from common.settings import Settings

# What dead-lettering adds to a message, Pub/Sub's forwarding or our own (common.entrypoint,
# functions.archive): not the message's, so not published again.
ADDED = frozenset({"error", "source_message_id", "subscription", "function"})
ADDED_PREFIX = "CloudPubSubDeadLetter"
KEPT_LEASE_S = 600  # Pub/Sub's longest: renewed at every pull, so what stays is never handed out again
LEASE_CHUNK = 1000  # ack ids per lease request (the API takes a few thousand)


class NotReplayable(ValueError):
    """A hold whose messages must not be published again as they are."""


@dataclass(frozen=True)
class Replay:
    data: bytes
    attributes: dict[str, str]
    ordering_key: str


def replay_of(topic: str, data: bytes, attributes: Mapping[str, str], *, malformed: bool = False) -> Replay | str:
    """What to publish again for one held message, or why it stays in the hold."""
    own = {k: v for k, v in attributes.items() if k not in ADDED and not k.startswith(ADDED_PREFIX)}
    try:
        payload = json.loads(data)
    except ValueError:
        payload = None
    ours = "error" in attributes and "function" in attributes  # dead-lettered by a function, not by Pub/Sub
    if ours and attributes["function"] == "archive" and isinstance(payload, dict) and "row_id" in payload:
        return "a row BigQuery refused: insert it by its row_id (docs/operations.md dead-letters)"
    if ours and not malformed:
        return f"dead-lettered as malformed ({attributes['error'][:120]}): --malformed once the fix is deployed"
    if topic not in topics.ORDERED:
        return Replay(data, own, "")
    ticker = payload.get("ticker") if isinstance(payload, dict) else None
    if not isinstance(ticker, str) or not ticker:
        return "no ticker to order it by: published without one, it would race the ticker's live messages"
    return Replay(data, own, ticker)


def regional_endpoint(region: str) -> str:
    return f"{region}-pubsub.googleapis.com:443"


def replay(
    subscription: str,
    *,
    project_id: str,
    limit: int,
    dry_run: bool,
    subscriber: pubsub_v1.SubscriberClient,
    malformed: bool = False,
    region: str | None = None,
) -> tuple[int, list[str]]:
    """Replay up to ``limit`` held messages of ``subscription``; how many, and why the others stayed."""
    if subscription not in topics.SUBSCRIPTIONS:
        raise NotReplayable(f"no subscription {subscription!r}; known: {sorted(topics.SUBSCRIPTIONS)}")
    topic, _ = topics.SUBSCRIPTIONS[subscription]
    if topic == topics.DIGEST_TICKS:
        raise NotReplayable(
            "a digest tick's hours come from its publish time: acknowledge it (the hourly ticks' sweep sends "
            'what it left), or publish {"hour": ...} ticks for its hours to send them now (docs/operations.md)'
        )
    if topic == topics.SUBREDDIT_FETCHES:
        raise NotReplayable(
            "a held fetch is older than dispatch's hold, so fetch would acknowledge it unread; the next tick "
            "fetches its subreddit from the cursor: acknowledge the held fetches instead "
            "(docs/operations.md held-messages)"
        )
    hold = subscriber.subscription_path(project_id, topics.dead_letter_hold(subscription))
    publisher = Publisher(project_id, endpoint=regional_endpoint(region) if region else None)
    began = datetime.now(UTC)
    replayed, kept = 0, dict[str, str]()  # message id -> why it stays
    left: list[str] = []  # ack ids of what stays, handed back to the hold at the end
    seen: set[str] = set()  # message ids looked at: one seen again (its lease over) is not counted twice
    try:
        while replayed + len(kept) < limit:
            # what stays keeps its lease for the whole run: the hold's is a minute, and what came
            # back after it would fill pulls with what was read, ending the run before the rest
            for chunk in range(0, len(left), LEASE_CHUNK):
                subscriber.modify_ack_deadline(
                    subscription=hold, ack_ids=left[chunk : chunk + LEASE_CHUNK], ack_deadline_seconds=KEPT_LEASE_S
                )
            answer = subscriber.pull(subscription=hold, max_messages=min(100, limit - replayed - len(kept)), timeout=10)
            fresh = [r for r in answer.received_messages if r.message.message_id not in seen]
            left += [r.ack_id for r in answer.received_messages if r.message.message_id in seen]
            seen |= {r.message.message_id for r in fresh}
            if not fresh:  # the hold is empty, or holds only what stays
                break
            for received in sorted(fresh, key=lambda r: (r.message.ordering_key, r.message.publish_time)):
                message = received.message
                what: Replay | str = (
                    "reached the hold after the replay began"
                    if message.publish_time >= began
                    else replay_of(topic, message.data, dict(message.attributes), malformed=malformed)
                )
                if isinstance(what, str) or dry_run:
                    left.append(received.ack_id)
                    if isinstance(what, str):
                        kept[message.message_id] = what
                    else:
                        replayed += 1
                    continue
                publisher.publish_raw(topic, what.data, what.ordering_key, what.attributes).result(timeout=30)
                subscriber.acknowledge(subscription=hold, ack_ids=[received.ack_id])  # out: gone from the hold
                replayed += 1
    finally:
        for chunk in range(0, len(left), LEASE_CHUNK):  # back in the hold at once, for whoever looks next
            subscriber.modify_ack_deadline(
                subscription=hold, ack_ids=left[chunk : chunk + LEASE_CHUNK], ack_deadline_seconds=0
            )
    return replayed, [f"{message_id}: {why}" for message_id, why in kept.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/replay_held.py", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("subscription", help=f"one of {', '.join(sorted(topics.SUBSCRIPTIONS))}")
    parser.add_argument(
        "--region",
        required=True,
        help="the functions' region (terraform's var.region): replays are published there, where ordering holds",
    )
    parser.add_argument("--limit", type=int, default=1000, help="at most this many messages (default 1000)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be replayed; publish and ack nothing")
    parser.add_argument(
        "--malformed",
        action="store_true",
        help="replay messages dead-lettered as malformed too (their fix is deployed)",
    )
    args = parser.parse_args(argv)
    try:
        count, kept = replay(
            args.subscription,
            project_id=Settings().project_id,
            limit=args.limit,
            dry_run=args.dry_run,
            subscriber=pubsub_v1.SubscriberClient(),
            malformed=args.malformed,
            region=args.region,
        )
    except NotReplayable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{'would replay' if args.dry_run else 'replayed'} {count} messages to {args.subscription}'s topic")
    for reason in kept:
        print(f"left in the hold: {reason}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
