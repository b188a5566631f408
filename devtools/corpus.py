"""A small replay corpus (docs/replay-format.md) with one unmistakable organic breakout,
for end-to-end runs that must finish in about a minute: a day of quiet talk about a few big
tickers, then one small ticker discussed by more and more different, established people in
long, varied posts across several subreddits."""

import json
import random
from pathlib import Path

HOUR = 3600.0
START = 1767225600.0  # 2026-01-01T00:00Z, like the bundled corpus
BACKGROUND = ("AAPL", "TSLA", "NVDA", "AMD", "MSFT")
SUBREDDITS = ("stocks", "investing", "wallstreetbets")
_VOCABULARY = """
revenue margin guidance pipeline trial results partnership cash runway dilution quarter manageme
nt valuation multiple catalyst approval filing analyst coverage retail institutional holders flo
at volume chart support resistance thesis downside upside competitor market share patent license
royalty phase data readout conference presentation insider buying selling balance sheet debt co
nvertible offering warrants program platform therapy editing delivery manufacturing capacity con
tract customer backlog growth earnings estimate consensus beat miss outlook risk reward position
sizing entry exit timeline years months weeks careful research reading filings notes model assu
mptions sensitivity scenario base bull bear case probability
"""
WORDS = tuple(_VOCABULARY.split())


def _text(rng: random.Random, symbol: str, words: int) -> str:
    """Varied prose: no two texts share enough phrases to look copy-pasted."""
    chosen = [rng.choice(WORDS) for _ in range(words)]
    chosen.insert(rng.randrange(len(chosen)), f"${symbol}")
    return " ".join(chosen).capitalize() + "."


def write_breakout_corpus(
    out: Path,
    *,
    hours: int = 30,
    symbol: str = "NTLA",
    spike_from: int = 20,
    seed: int = 5,
    also: tuple[str, ...] = (),
) -> dict[str, object]:
    """Write the corpus to ``out``; returns its label (scenario, ticker, start, peak).
    ``also``: more symbols breaking out the same way at the same hours (labelled too, in
    labels.json), for benchmarks that want several alerts from one short replay."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    items: list[dict[str, object]] = []
    authors: dict[str, dict[str, object]] = {}
    counter = 0

    def post(sub: str, author: str, title: str, body: str, created: float, flair: str | None = None) -> None:  # noqa: PLR0917
        nonlocal counter
        counter += 1
        short = f"b{counter:05d}"
        if author not in authors:
            authors[author] = {
                "name": author,
                "created_utc": START - rng.uniform(2, 9) * 365 * 86400,
                "link_karma": rng.randint(500, 20000),
                "comment_karma": rng.randint(1000, 50000),
                "suspended": False,
            }
        items.append(
            {
                "id": f"t3_{short}",
                "kind": "post",
                "subreddit": sub,
                "author": author,
                "title": title,
                "body": body,
                "url": None,
                "permalink": f"/r/{sub}/comments/{short}/{title.lower().replace(' ', '_')[:40]}/",
                "flair": flair,
                "score": rng.randint(1, 200),
                "num_comments": 0,
                "created_utc": float(int(created)),
                "stickied": False,
            }
        )

    for hour in range(hours):
        t0 = START + hour * HOUR
        for ticker in BACKGROUND:
            author = f"regular_{rng.randrange(60):02d}"
            post(
                rng.choice(SUBREDDITS),
                author,
                f"Thoughts on ${ticker}",
                _text(rng, ticker, 30),
                t0 + rng.uniform(0, HOUR),
            )
        if hour >= spike_from:
            n = min(25, 3 * 2 ** (hour - spike_from) if hour - spike_from < 4 else 25)
            for breaking in (symbol, *also):
                for _ in range(n):
                    author = f"researcher_{rng.randrange(100000):05d}"
                    flair = "DD" if rng.random() < 0.3 else None
                    title = f"{breaking} {rng.choice(WORDS)} {rng.choice(WORDS)} deep dive"
                    sub = rng.choice(SUBREDDITS)
                    post(sub, author, title, _text(rng, breaking, 45), t0 + rng.uniform(0, HOUR), flair)
    items.sort(key=lambda item: float(item["created_utc"]))  # type: ignore[arg-type]
    label = {
        "scenario": "organic_breakout",
        "ticker": symbol,
        "start": START + spike_from * HOUR,
        "peak": START + (hours - 1) * HOUR,
        "notes": "test corpus",
    }
    with (out / "items.jsonl").open("w") as handle:
        handle.writelines(json.dumps(item) + "\n" for item in items)
    with (out / "authors.jsonl").open("w") as handle:
        handle.writelines(json.dumps(a) + "\n" for a in authors.values())
    (out / "labels.json").write_text(json.dumps([label, *({**label, "ticker": other} for other in also)]))
    manifest = {"seed": seed, "start": START, "end": START + hours * HOUR, "items": len(items)}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return label
