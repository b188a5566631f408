"""Fan-out planning for the scheduler tick: pure, so it is tested without services."""

from collections.abc import Iterable

from common.messages import ScrapeTick, SubredditFetch


def run_id_for(tick: ScrapeTick, message_id: str) -> str:
    """A redelivered tick keeps its Pub/Sub message id, so it maps to the same run."""
    return tick.run_id or f"tick-{message_id}"


def plan_fetches(run_id: str, subreddits: Iterable[str], config_version: int | None = None) -> list[SubredditFetch]:
    """One fetch per subreddit, each subreddit once (Reddit names are case-insensitive), all
    counted with the detection config ``config_version``."""
    seen: set[str] = set()
    plan: list[SubredditFetch] = []
    for name in subreddits:
        key = name.strip().lower()
        if key and key not in seen:
            seen.add(key)
            plan.append(SubredditFetch(run_id=run_id, subreddit=name.strip(), config_version=config_version))
    return plan
