"""Texts crafted to make an extractor do work per mention over the whole text (made here from
symbols and punctuation, no one's writing): their time at four times the length, which a
linear reading multiplies by four and a quadratic one by sixteen. Reddit's posts reach
40,000 characters, and fetch reads each item it is shown."""

import time
from collections.abc import Callable

from common import extraction

LONGEST = 40_000  # characters: Reddit's longest post


def _snake(n: int) -> str:
    """Two table rows whose filled cells join GME's list only by turning back and forth."""
    width = n // 13

    def filled(row: int, column: int) -> bool:
        return column == 0 or (column >= 2 and column % 4 in (2, 3, 0)) if row == 0 else column % 4 in (0, 1, 2)

    cells = [[("GME" if (r, c) == (0, 0) else "AIR") if filled(r, c) else "" for c in range(width)] for r in (0, 1)]
    return "\n".join("|" + "|".join(row) + "|" for row in cells)[:n]


def _repeat(unit: str, prefix: str = "", suffix: str = "") -> Callable[[int], str]:
    return lambda n: prefix + (unit * (n // len(unit) + 1))[: n - len(prefix) - len(suffix)] + suffix


CRAFTED: dict[str, Callable[[int], str]] = {
    "table turning back and forth": _snake,
    "a word-like symbol in a shouting line": _repeat("FF "),
    "a symbol read by the text's words": _repeat("BYD "),
    "one-letter symbols in lists": _repeat("GME, F, AMC / T / ", prefix="BBBY "),
    "tickers in code": _repeat("Ticker: GME\n", prefix="B\n```\n", suffix="```"),
    "tickers in links": _repeat("http://x.com/quote/GME ", prefix="B "),
    "option dates without spaces": _repeat("(ON:1/1", prefix="x"),
    "a shouted name": _repeat("NOKIA "),
    "a bank before a rating word": _repeat("GS analysts "),
    "symbols in a shouting line of no spaces": _repeat("BX("),
}
AT = 1_717_200_000.0  # 2024-06-01: the lists' BBBY no longer traded, so their letters are checked again


def _best(text: str, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        extraction.extract(text, at=AT)
        best = min(best, time.perf_counter() - began)
    return best


def growth() -> dict[str, float]:
    """Each crafted text's time at ``LONGEST`` characters over its time at a quarter of that."""
    extraction.extract("GME", at=AT)  # the universe loaded, not timed
    return {name: _best(make(LONGEST)) / _best(make(LONGEST // 4)) for name, make in CRAFTED.items()}
