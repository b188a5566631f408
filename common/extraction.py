"""Ticker extraction: text in, mentions out.

First version: cashtags only (``$GME``, ``$gme``, ``$BRK.B``). The interface is final; the
internals grow to bare symbols and company names with the shipped symbol universe.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TickerMention:
    """One place in a text where a ticker is mentioned, and how sure we are of it."""

    symbol: str  # canonical, upper case, e.g. "GME", "BRK.B"
    start: int  # character offset in the text
    end: int
    method: str  # "cashtag" | "symbol" | "name"
    confidence: float  # 0..1
    known: bool  # False for a cashtag not in the universe (delisted/unknown: kept but marked)


_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z]{1,5}(?:\.[A-Za-z])?)(?![\w.])")


def extract(text: str, *, thread_symbols: frozenset[str] = frozenset()) -> list[TickerMention]:
    """All ticker mentions in ``text``, in order of position."""
    del thread_symbols  # used once bare words are recognised
    return [
        TickerMention(m.group(1).upper(), m.start(), m.end(), "cashtag", 0.99, True) for m in _CASHTAG.finditer(text)
    ]


def symbols(text: str, *, thread_symbols: frozenset[str] = frozenset()) -> list[str]:
    """Distinct known symbols in ``text``, in order of first appearance."""
    seen: dict[str, None] = {}
    for mention in extract(text, thread_symbols=thread_symbols):
        if mention.known:
            seen.setdefault(mention.symbol, None)
    return list(seen)
