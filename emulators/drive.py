"""Drive the running local stack by hand (``make tick``): advance the local Reddit's replay
clock, then publish one tick that fetches every subreddit (Cloud Scheduler's, every minute,
fetches only those due at their pace).

The replay clock starts at the corpus's start, where nothing is visible yet: a tick there
fetches nothing. Each ``make tick`` moves the clock ``HOURS`` forward first (default 1), so
every tick brings the next slice of the corpus through the whole pipeline. Each also
publishes a digest tick for the previous (wall-clock) hour, as Cloud Scheduler does hourly.
"""

import argparse
import json
import os
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime

from common.timekeys import hour_key
from emulators.processes import open_local
from emulators.supervisor import read_state


def advance(reddit_url: str, hours: float) -> float:
    """Move the local Reddit's clock; returns its new time (epoch seconds)."""
    request = urllib.request.Request(
        f"{reddit_url}/_replay/clock",
        data=json.dumps({"advance": hours * 3600}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with open_local(request, timeout=10) as response:
        return float(json.loads(response.read())["now"])


def publish_tick(env: dict[str, str]) -> str:
    """One scheduler tick on ``scrape-ticks`` of the stack's Pub/Sub emulator; its run id."""
    os.environ.update({k: v for k, v in env.items() if k.endswith("_EMULATOR_HOST") or k == "GOOGLE_CLOUD_PROJECT"})
    from google.cloud import pubsub_v1

    from common import topics

    run_id = f"manual-{uuid.uuid4().hex[:8]}"
    publisher = pubsub_v1.PublisherClient()
    topic = publisher.topic_path(env["GOOGLE_CLOUD_PROJECT"], topics.SCRAPE_TICKS)
    publisher.publish(topic, json.dumps({"run_id": run_id}).encode()).result(timeout=30)
    return run_id


def publish_digest_tick(env: dict[str, str], hour: str) -> None:
    """One digest tick on ``digest-ticks``, naming ``hour``: notify_digest sends its digests."""
    os.environ.update({k: v for k, v in env.items() if k.endswith("_EMULATOR_HOST") or k == "GOOGLE_CLOUD_PROJECT"})
    from google.cloud import pubsub_v1

    from common import topics
    from common.messages import DigestTick, encode

    publisher = pubsub_v1.PublisherClient()
    topic = publisher.topic_path(env["GOOGLE_CLOUD_PROJECT"], topics.DIGEST_TICKS)
    publisher.publish(topic, encode(DigestTick(hour=hour))).result(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulators.drive")
    sub = parser.add_subparsers(dest="command", required=True)
    tick = sub.add_parser("tick", help="advance the replay clock, then publish one scheduler tick")
    tick.add_argument("--hours", type=float, default=1.0, help="replay hours to advance first (0: none)")
    args = parser.parse_args(argv)
    state = read_state()
    if not state:
        print("the local stack is not running: `make up` first", file=sys.stderr)
        return 1
    env = {str(k): str(v) for k, v in dict(state["env"]).items()}  # type: ignore[call-overload]
    reddit = env.get("REDDIT_URL", "")
    if reddit and args.hours:
        now = advance(reddit, args.hours)
        print(f"replay clock +{args.hours:g} h -> {datetime.fromtimestamp(now, UTC):%Y-%m-%d %H:%M} UTC (data time)")
    run_id = publish_tick(env)
    print(f"tick {run_id} published: dispatch -> fetch -> aggregate -> detect; `make logs` to watch")
    hour = hour_key(time.time() - 3600)  # notify files digests by the wall clock, as production does
    publish_digest_tick(env, hour)
    print(f"digest tick for {hour} published: notify_digest sends that hour's digests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
