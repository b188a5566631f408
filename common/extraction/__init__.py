"""Ticker extraction: text in, mentions out.

Reddit finance trackers fail in two known ways: they count words as tickers (IT, ALL, ON,
DD, YOLO, CEO) and they miss real ones (``$gme``, "Nvidia", ``🚀🚀GME🚀``). The rules here
weigh evidence the way a reader of r/wallstreetbets does:

- A cashtag (``$GME``, ``$gme``, ``$BRK.B``) is strong evidence on its own. A cashtag that
  is not in the shipped universe is kept, marked ``known=False`` (delisted or made up).
- A company name or common alias ("GameStop", "Nvidia", "C3.ai") maps to its symbol.
- A bare word counts only if it is a listed symbol written in capitals and its context
  supports it. How much support it needs depends on how much it looks like a word
  (``lexicon._Kind``): ``NVDA`` needs none in mixed-case text, ``COST`` or ``YETI`` need a finance word
  nearby, ``ON`` needs one right next to it ("ON calls", "shares of ON") or the same
  symbol as a cashtag elsewhere in the text or thread; jargon (DD, YOLO, CEO, EPS) only
  ever counts as a cashtag. In an all-caps line capitals say nothing, so only well-known
  symbols or context count there.
- One-letter symbols (F, T, X) only count as cashtags.
- URLs and code are not prose: a URL counts only when it is a quote page
  (``finance.yahoo.com/quote/GME``), code only through quoted strings (``'TSLA'``).

Pure: the universe is read once from ``common/data`` on first use and cached. The package
reads in this order: ``lexicon`` (words and patterns), ``universe`` (symbols, names, listing
dates), ``prose`` (URLs and code), ``evidence`` (context checks), ``scan`` (the hot loop),
``lists``, ``senses`` and ``roles`` (after the scan), ``reading`` (the public calls),
``community`` and ``cli``.
"""

from common.extraction.cli import main
from common.extraction.community import COMMUNITY_HOURS, COMMUNITY_MIN_AUTHORS, Community, community_counts
from common.extraction.reading import Candidate, TickerMention, candidates, extract, symbols
from common.extraction.universe import company_name, is_listed, listing

__all__ = [
    "COMMUNITY_HOURS",
    "COMMUNITY_MIN_AUTHORS",
    "Candidate",
    "Community",
    "TickerMention",
    "candidates",
    "community_counts",
    "company_name",
    "extract",
    "is_listed",
    "listing",
    "main",
    "symbols",
]
