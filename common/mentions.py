"""From one stored Reddit item to the mentions the aggregator counts: pure, no I/O.

Shared by ``fetch`` (live) and the backtest (replay), so both count exactly the same
mentions with the same features (``common.features``).
"""

from typing import Any

from common import extraction
from common.features import listed_cashtags, text_features
from common.messages import Mention, RedditItem


def item_text(item: RedditItem) -> str:
    """The text extraction reads: title and body, separated so words never fuse."""
    return f"{item.title}\n{item.body}" if item.title else item.body


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
    appearance. ``thread_symbols`` are the symbols of the post a comment belongs to: they let
    the extractor accept a bare word it would otherwise reject. ``sentiment=False`` leaves the
    mentions' sentiment unset: users read it, no detection decision does, and it is the
    costliest feature (the backtest skips it)."""
    text = item_text(item)
    found = [m for m in extraction.extract(text, thread_symbols=thread_symbols, at=item.created_utc) if m.known]
    if not found:
        return []
    best: dict[str, extraction.TickerMention] = {}
    for mention in found:
        current = best.get(mention.symbol)
        if current is None or mention.confidence > current.confidence:
            best[mention.symbol] = mention
    roles = {m.symbol: m.role for m in found if m.role == "primary"}  # primary if named so once
    lists = listed_cashtags(text)
    spoken = {m.symbol for m in found if not any(start <= m.start < end for start, end in lists)}
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
        "text_length": len(item.title) + len(item.body),
        "score": item.score,
        "num_comments": item.num_comments,
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
