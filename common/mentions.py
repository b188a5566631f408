"""From one stored Reddit item to the mentions the aggregator counts: pure, no I/O.

Shared by ``fetch`` (live) and the backtest (replay), so both count exactly the same
mentions with the same features (``common.features``).
"""

import re
from itertools import pairwise
from typing import Any

from common import extraction
from common.features import text_features, visible_length
from common.fields import SUMMED_MAX
from common.messages import Mention, RedditItem


def item_text(item: RedditItem) -> str:
    """The text extraction reads: title and body, separated so words never fuse."""
    return f"{item.title}\n{item.body}" if item.title else item.body


# What may stand between two cashtags of one list: spaces, punctuation, bullets and numbering,
# "and"/"or" ("$AMC, $GME - $TSLA\n- $NIO and $BB"), but no word of the text's own.
# The symbols one item counts for, the first it names: each symbol is a message of its own to
# aggregate and detect, and a post of a thousand cashtags would cost a thousand of each. The
# most any item of the development corpus (168k posts) names is 47.
MAX_SYMBOLS_PER_ITEM = 100
_LIST_GAP = re.compile(r"(?:[^\w$]|\band\b|\bor\b|\b\d{1,2}[.)])*", re.IGNORECASE)
_LIST_GAP_MAX = 12


def _spoken(text: str, found: list[extraction.TickerMention], title_end: int) -> set[str]:
    """The symbols the text's words name somewhere: all but those only met inside a list of
    cashtags, where stuffing puts its payload ("$KYCH is about to explode ... $AMC $GME
    $TSLA"). A list joins different symbols within the title or within the body, so a title
    "$KYCH" over a body opening on the list, or "$KYCH $KYCH $KYCH", keeps its subject."""
    tags = sorted((m for m in found if m.method == "cashtag"), key=lambda m: m.start)
    listed: set[tuple[str, int]] = set()
    for a, b in pairwise(tags):
        gap = text[a.end : b.start]
        if (
            a.symbol != b.symbol
            and len(gap) <= _LIST_GAP_MAX
            and not a.end <= title_end < b.start
            and _LIST_GAP.fullmatch(gap)
        ):
            listed.update(((a.symbol, a.start), (b.symbol, b.start)))
    return {m.symbol for m in found if (m.symbol, m.start) not in listed}


def _feature_fields(item: RedditItem, *, sentiment: bool) -> dict[str, Any]:
    features = text_features(item.title, item.body, item.flair, item.kind, sentiment=sentiment)
    return {
        "is_dd": bool(features.is_dd),
        "emoji_count": int(features.emoji_count),
        "rocket_count": int(features.rocket_count),
        "cashtag_count": int(features.cashtag_count),
        "text_hash": str(features.text_hash),
        "minhash": str(features.minhash),
        "sentiment": None if features.sentiment is None else float(features.sentiment),
    }


def mentions_from_item(
    item: RedditItem, *, thread_symbols: frozenset[str] = frozenset(), sentiment: bool = True
) -> list[tuple[str, Mention]]:
    """One ``(symbol, Mention)`` per distinct known symbol in the item, in order of first
    appearance, the first :data:`MAX_SYMBOLS_PER_ITEM` of them. ``thread_symbols`` are the
    symbols of the post a comment belongs to: they let the extractor accept a bare word it
    would otherwise reject. ``sentiment=False`` leaves the mentions' sentiment unset: users
    read it, no detection decision does, and it is the costliest feature (the backtest
    skips it)."""
    text = item_text(item)
    everything = extraction.extract(text, thread_symbols=thread_symbols, at=item.created_utc)
    found = [m for m in everything if m.known]
    if not found:
        return []
    best: dict[str, extraction.TickerMention] = {}
    for mention in found:
        if mention.symbol not in best and len(best) == MAX_SYMBOLS_PER_ITEM:
            continue
        current = best.get(mention.symbol)
        if current is None or mention.confidence > current.confidence:
            best[mention.symbol] = mention
    roles = {m.symbol: m.role for m in found if m.role == "primary"}  # primary if named so once
    spoken = _spoken(text, everything, len(item.title) if item.title else -1)
    features = _feature_fields(item, sentiment=sentiment)
    cashtags = len({m.symbol for m in found if m.method == "cashtag"})
    features.setdefault("cashtag_count", cashtags)
    shared = {
        "item_id": item.id,
        "kind": item.kind,
        "subreddit": item.subreddit,
        "author": item.author,
        "author_created_utc": item.author_created_utc,
        "author_karma": item.author_karma,
        "created_utc": item.created_utc,
        "text_length": visible_length(item.title) + visible_length(item.body),
        # clamped to what a bucket may sum (no Reddit item comes near): never a failed build
        "score": max(-SUMMED_MAX, min(SUMMED_MAX, item.score)),
        "num_comments": min(SUMMED_MAX, item.num_comments),
        "permalink": item.permalink,
        "title": item.title,
        "flair": item.flair,
        **features,
    }
    return [
        (
            symbol,
            Mention(
                **shared,
                confidence=min(1.0, max(0.0, m.confidence)),
                method=m.method,
                role="primary" if symbol in roles else "secondary",
                listed_only=symbol not in spoken,
            ),
        )
        for symbol, m in best.items()
    ]
