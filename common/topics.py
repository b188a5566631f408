"""The one place that names Pub/Sub topics and subscriptions in code.

Terraform (terraform/pubsub.tf) defines the same names; tests/unit/test_terraform_agreement.py
fails when the two disagree, so a rename has to happen in both places.
"""

from typing import Final

SCRAPE_TICKS: Final = "scrape-ticks"
SUBREDDIT_FETCHES: Final = "subreddit-fetches"
REDDIT_ITEMS: Final = "reddit-items"
MENTIONS: Final = "mentions"
TICKER_UPDATES: Final = "ticker-updates"
ALERTS: Final = "alerts"
DIGEST_TICKS: Final = "digest-ticks"

TOPICS: Final = (SCRAPE_TICKS, SUBREDDIT_FETCHES, REDDIT_ITEMS, MENTIONS, TICKER_UPDATES, ALERTS, DIGEST_TICKS)

# Which function consumes which topic: subscription name -> (topic, function).
SUBSCRIPTIONS: Final[dict[str, tuple[str, str]]] = {
    "scrape-ticks-dispatch": (SCRAPE_TICKS, "dispatch"),
    "subreddit-fetches-fetch": (SUBREDDIT_FETCHES, "fetch"),
    "reddit-items-archive": (REDDIT_ITEMS, "archive"),
    "mentions-aggregate": (MENTIONS, "aggregate"),
    "ticker-updates-detect": (TICKER_UPDATES, "detect"),
    "alerts-notify": (ALERTS, "notify"),
    "digest-ticks-notify-digest": (DIGEST_TICKS, "notify_digest"),
}

# Topics published with the ticker as ordering key, whose subscriptions deliver in order: a
# ticker's mentions are counted, and its updates decided, in the order they were produced.
ORDERED: Final = frozenset({MENTIONS, TICKER_UPDATES})


def dead_letter_topic(subscription: str) -> str:
    """Every subscription has its own dead-letter topic, named after it."""
    return f"{subscription}-dead-letter"


def dead_letter_hold(subscription: str) -> str:
    """The subscription that keeps what ``subscription`` dead-letters, for a person to look at."""
    return f"{dead_letter_topic(subscription)}-hold"


def subscription_for(function: str) -> str:
    """The subscription that pushes to ``function`` (each consuming function has one)."""
    for name, (_topic, fn) in SUBSCRIPTIONS.items():
        if fn == function:
            return name
    raise KeyError(f"no subscription pushes to function {function!r}")
