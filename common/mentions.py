"""From one stored Reddit item to the mentions the aggregator counts: pure, no I/O.

Shared by ``fetch`` (live) and the backtest (replay), so both count exactly the same
mentions with the same features. Text features come from ``common.features`` (owned by the
aggregator); until that module exists the feature fields keep their neutral defaults.
"""

import importlib
from collections.abc import Callable
from typing import Any

from common import extraction
from common.messages import Mention, RedditItem


def _load_text_features() -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("common.features")
    except ImportError:
        return None
    found = getattr(module, "text_features", None)
    return found if callable(found) else None


_text_features = _load_text_features()


def item_text(item: RedditItem) -> str:
    """The text extraction reads: title and body, separated so words never fuse."""
    return f"{item.title}\n{item.body}" if item.title else item.body


def _feature_fields(item: RedditItem) -> dict[str, Any]:
    if _text_features is None:
        return {"is_dd": (item.flair or "").strip().upper() == "DD"}
    features = _text_features(item.title, item.body, item.flair, item.kind)
    return {
        "is_dd": bool(features.is_dd),
        "emoji_count": int(features.emoji_count),
        "rocket_count": int(features.rocket_count),
        "cashtag_count": int(features.cashtag_count),
        "text_hash": str(features.text_hash),
        "minhash": str(features.minhash),
        "sentiment": None if features.sentiment is None else float(features.sentiment),
    }


def mentions_from_item(item: RedditItem, *, thread_symbols: frozenset[str] = frozenset()) -> list[tuple[str, Mention]]:
    """One ``(symbol, Mention)`` per distinct known symbol in the item, in order of first
    appearance. ``thread_symbols`` are the symbols of the post a comment belongs to: they let
    the extractor accept a bare word it would otherwise reject."""
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
    features = _feature_fields(item)
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
            ),
        )
        for symbol, m in best.items()
    ]
