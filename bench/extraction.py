"""Ticker extraction texts/s beside reticker's in the same run (the ceiling it is compared
with), measured the way ``make eval-tickers`` measures it: eval/tickers_eval.py's labelled
texts and its ``best_rate``, both extractors alternating, best round of each. Then what a
whole item's mentions cost (extraction plus text features) with and without the VADER
sentiment, which the backtest skips: no detection decision reads it. And how the time of texts
crafted to cost more grows with their length (``bench/crafted.py``)."""

from typing import Any

import reticker

from bench import crafted
from common import extraction
from common.mentions import mentions_from_item
from common.messages import RedditItem
from eval import tickers_eval


def run() -> dict[str, Any]:
    rows = tickers_eval.load()
    texts = [r["text"] for r in rows]
    threads = [frozenset(r["thread_symbols"]) for r in rows]
    theirs = reticker.TickerExtractor()

    def run_ours() -> None:
        for text, thread in zip(texts, threads, strict=True):
            extraction.symbols(text, thread_symbols=thread)

    def run_theirs() -> None:
        for text in texts:
            theirs.extract(text)

    ours_rates: list[float] = []
    theirs_rates: list[float] = []
    for _ in range(tickers_eval.ROUNDS):
        ours_rates += tickers_eval.best_rate(run_ours, len(texts), 1)
        theirs_rates += tickers_eval.best_rate(run_theirs, len(texts), 1)
    ours_tps, theirs_tps = max(ours_rates), max(theirs_rates)
    items = [
        RedditItem(id=f"t3_b{n}", kind="post", subreddit="stocks", body=t, permalink=f"/b{n}", created_utc=1.7e9)
        for n, t in enumerate(texts)
    ]

    def with_sentiment() -> None:
        for item in items:
            mentions_from_item(item)

    def without_sentiment() -> None:
        for item in items:
            mentions_from_item(item, sentiment=False)

    with_rates: list[float] = []
    without_rates: list[float] = []
    for _ in range(3):
        with_rates += tickers_eval.best_rate(with_sentiment, len(items), 1)
        without_rates += tickers_eval.best_rate(without_sentiment, len(items), 1)
    return {
        "texts": len(texts),
        "rounds": tickers_eval.ROUNDS,
        "texts_per_s": round(ours_tps, 1),
        "reticker_texts_per_s": round(theirs_tps, 1),
        "vs_reticker": round(ours_tps / theirs_tps, 3),
        "items_per_s_with_sentiment": round(max(with_rates), 1),
        "items_per_s_without_sentiment": round(max(without_rates), 1),
        "without_sentiment_speedup": round(max(without_rates) / max(with_rates), 3),
    } | _crafted()


def _crafted() -> dict[str, Any]:
    grown = crafted.growth()
    worst = max(grown, key=grown.__getitem__)
    return {
        "crafted_growth_worst": round(grown[worst], 2),
        "crafted_growth_worst_text": worst,
        "crafted_growth": {name: round(ratio, 2) for name, ratio in grown.items()},
    }
