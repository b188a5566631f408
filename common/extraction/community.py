"""What a community has been naming as tickers: a word-like symbol enough authors of the last
day called a ticker counts bare for everyone ("WISH STONKS" in June 2021)."""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from common.extraction.lexicon import _ALWAYS_WORD, _Kind
from common.extraction.scan import _scan
from common.extraction.universe import _in_time, _universe

# How many authors of the community's last COMMUNITY_HOURS must name a word-like symbol as a
# ticker, by cashtag or in ticker context, before its bare mentions count too: in June 2021
# "WISH STONKS" meant ContextLogic because a hundred posters that week said so. Authors, not
# texts: one account repeating "$WISH" must not turn a word into a ticker for everyone.
COMMUNITY_MIN_AUTHORS = 3
COMMUNITY_HOURS = 24  # a day: a meme ticker is talked about for days, a fetch sees minutes


def _author_key(author: str | None, text: str) -> str:
    """A short stand-in for who wrote it (a deleted author: the text itself)."""
    return hashlib.blake2b((author or f"?{text}").encode(), digest_size=4).hexdigest()


def community_counts(texts: Iterable[tuple[str, float | None, str | None]]) -> dict[int, dict[str, list[str]]]:
    """Per UTC hour index, which authors of ``texts`` (text, created_utc, author) name each
    word-like symbol (WISH, BB, RIDE) as a ticker, at most :data:`COMMUNITY_MIN_AUTHORS` of
    them (enough to decide). Jargon and everyday words never qualify."""
    u = _universe()
    out: dict[int, dict[str, list[str]]] = {}
    for text, at, author in texts:
        named = {
            f[0]
            for f in _in_time(_scan(text, frozenset()), at, text)
            if f[3] != "name" and f[5] and u.kinds.get(f[0]) in _HELPED
        }
        if named:
            hour = out.setdefault(int((at or 0.0) // 3600), {})
            key = _author_key(author, text)
            for symbol in named:
                authors = hour.setdefault(symbol, [])
                if key not in authors and len(authors) < COMMUNITY_MIN_AUTHORS:
                    authors.append(key)
    return out


@dataclass
class Community:
    """What a community (a subreddit) has been naming as tickers over the last
    :data:`COMMUNITY_HOURS`, by hour and by author: the context a reader brings to a bare
    "WISH YOLO PT 2". Fetch keeps one per subreddit in its cursor, the backtest one per
    subreddit of its replay; both ask it, after adding what they read, which word-like
    symbols count bare (``thread_symbols``)."""

    hours: dict[int, dict[str, list[str]]] = field(default_factory=dict)

    def add(self, counts: Mapping[int, Mapping[str, Iterable[str]]]) -> None:
        for hour, named in counts.items():
            into = self.hours.setdefault(hour, {})
            for symbol, authors in named.items():
                kept = into.setdefault(symbol, [])
                for key in authors:
                    if key not in kept and len(kept) < COMMUNITY_MIN_AUTHORS:
                        kept.append(key)

    def symbols(self, at: float) -> frozenset[str]:
        """The word-like symbols enough authors named in the day up to the hour of ``at``."""
        u = _universe()
        last = int(at // 3600)
        authors: dict[str, set[str]] = {}
        for hour in range(last - COMMUNITY_HOURS + 1, last + 1):
            for symbol, keys in self.hours.get(hour, {}).items():
                authors.setdefault(symbol, set()).update(keys)
        return frozenset(
            s
            for s, keys in authors.items()
            if len(keys) >= COMMUNITY_MIN_AUTHORS and s not in _ALWAYS_WORD and s not in u.everyday
        )

    def since(self, at: float) -> "Community":
        """Only the hours :meth:`symbols` can read at ``at`` (nothing after it): what to keep."""
        last = int(at // 3600)
        return Community(
            {h: {s: list(k) for s, k in c.items()} for h, c in self.hours.items() if last - COMMUNITY_HOURS < h <= last}
        )


_HELPED = frozenset({_Kind.WORD, _Kind.SOMEWHAT, _Kind.LOOSE})
