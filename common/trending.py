"""Trending as of now: a ticker's count in a window that ends at the present, not at its own
last mention. Pure: the caller says what "now" is.

The stored summary's ``windows`` end at the ticker's ``as_of``, which moves only when the
ticker is mentioned again, so a ticker that went quiet two days ago would keep its old
"24h" count forever. Its hourly ``series`` does not have that problem: summed over the hours
of a window ending now, a silent ticker falls to zero.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from common.timekeys import hour_key, hours_back
from common.windows import WINDOWS


@dataclass(frozen=True, slots=True)
class TrendingNow:
    symbol: str
    mentions: int  # discussion mentions in the window ending now (the summary's series)
    summary: Mapping[str, Any]  # the stored ticker summary it was computed from


def window_mentions(summary: Mapping[str, Any], now: float, window: str) -> int:
    """Mentions in the ``window`` hours ending with the hour of ``now``. A summary without a
    series (written before the aggregator kept one) counts its stored window only while that
    window still ends within the hour of ``now``."""
    hours = WINDOWS[window]
    series = summary.get("series")
    if isinstance(series, Mapping):
        keys = set(hours_back(hour_key(now), hours))
        return sum(int(v) for k, v in series.items() if k in keys)
    as_of = summary.get("as_of")
    if isinstance(as_of, (int, float)) and hour_key(as_of) == hour_key(now):
        return int(((summary.get("windows") or {}).get(window) or {}).get("mentions") or 0)
    return 0


def rank(summaries: Iterable[Mapping[str, Any]], now: float, window: str, limit: int) -> list[TrendingNow]:
    """The ``limit`` most mentioned tickers in the window ending now; silent ones drop out."""
    seen: dict[str, TrendingNow] = {}
    for summary in summaries:
        symbol = str(summary.get("symbol") or "")
        if symbol and symbol not in seen:
            seen[symbol] = TrendingNow(symbol, window_mentions(summary, now, window), summary)
    live = [t for t in seen.values() if t.mentions > 0]
    return sorted(live, key=lambda t: (-t.mentions, t.symbol))[:limit]
