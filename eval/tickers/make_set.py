"""Build ``eval/tickers/texts.jsonl``: the labelled ticker-extraction evaluation set.

Two parts: the hand-written texts in ``handwritten.py`` (not from templates), and texts
generated here from templates with a fixed seed, in the style of r/wallstreetbets,
r/stocks and r/pennystocks posts and comments. A template's label is what a human reader
says the filled-in text mentions; where a symbol is used as an ordinary word ("IT is what
it is", "ALL IN"), the label is empty. Run: ``.venv/bin/python -m eval.tickers.make_set``.

Rows: ``{"id", "text", "expected": [symbols], "bucket", "source_style", "origin",
"thread_symbols": [symbols]}``.
"""

import json
import random
from pathlib import Path
from typing import Any

from eval.tickers.handwritten import HANDWRITTEN

OUT = Path(__file__).resolve().parent / "texts.jsonl"
SEED = 20261125

# Tickers people discuss that are not English words, with a company name people use.
TICKERS = {
    "GME": "GameStop",
    "AMC": "AMC",
    "TSLA": "Tesla",
    "NVDA": "Nvidia",
    "PLTR": "Palantir",
    "AMD": "AMD",
    "SOFI": "SoFi",
    "RIVN": "Rivian",
    "LCID": "Lucid",
    "NIO": "NIO",
    "MSTR": "MicroStrategy",
    "SMCI": "Super Micro",
    "AVGO": "Broadcom",
    "CRWD": "CrowdStrike",
    "RKLB": "Rocket Lab",
    "ASTS": "AST SpaceMobile",
    "IONQ": "IonQ",
    "RGTI": "Rigetti",
    "SOUN": "SoundHound",
    "MARA": "Marathon",
    "CVNA": "Carvana",
    "DKNG": "DraftKings",
    "UPST": "Upstart",
    "AFRM": "Affirm",
    "HIMS": "Hims",
    "CELH": "Celsius",
    "ROKU": "Roku",
    "PYPL": "PayPal",
    "BABA": "Alibaba",
    "NFLX": "Netflix",
    "AAPL": "Apple",
    "MSFT": "Microsoft",
    "AMZN": "Amazon",
    "GOOGL": "Google",
    "META": "Meta",
    "TSM": "TSMC",
    "INTC": "Intel",
    "MRNA": "Moderna",
    "PFE": "Pfizer",
    "DIS": "Disney",
    "NKE": "Nike",
    "SBUX": "Starbucks",
    "UBER": "Uber",
    "ABNB": "Airbnb",
    "COIN": "Coinbase",
    "HOOD": "Robinhood",
    "JPM": "JPMorgan",
    "BAC": "Bank of America",
    "XOM": "Exxon",
    "OXY": "Occidental",
    "LLY": "Eli Lilly",
    "CCL": "Carnival",
    "ACHR": "Archer Aviation",
    "JOBY": "Joby",
    "OKLO": "Oklo",
    "RDDT": "Reddit",
    "DJT": "Trump Media",
    "CHWY": "Chewy",
    "PTON": "Peloton",
    "SNAP": "Snap",
    "WMT": "Walmart",
    "COST": "Costco",
    "BA": "Boeing",
    "CRM": "Salesforce",
    "ORCL": "Oracle",
    "SHOP": "Shopify",
    "ARM": "Arm",
}
# Less-discussed small caps and ETFs (no name people use): tests the universe, not a list.
SMALL = [
    "BBAI",
    "QUBT",
    "SERV",
    "NNE",
    "SMR",
    "LUNR",
    "TMDX",
    "DUOL",
    "ONON",
    "CAVA",
    "ELF",
    "APP",
    "OPFI",
    "TLRY",
    "SNDL",
    "CLOV",
    "OCGN",
    "PLUG",
    "FCEL",
    "BLNK",
    "CHPT",
    "GEVO",
    "WKHS",
    "SPCE",
    "NVAX",
    "BYND",
    "KSS",
    "M",
    "GAP",
    "AEO",
    "ANF",
    "CROX",
    "DECK",
    "LULU",
    "ULTA",
    "TGT",
    "DG",
]
ETFS = ["SPY", "QQQ", "IWM", "TQQQ", "SQQQ", "SOXL", "UVXY", "ARKK", "SCHD", "VOO", "VTI", "TLT", "GLD", "SLV", "JEPI"]
# Tickers that are ordinary words or acronyms, with the company behind them.
WORDS = {
    "ON": "onsemi",
    "IT": "Gartner",
    "ALL": "Allstate",
    "NOW": "ServiceNow",
    "OPEN": "Opendoor",
    "REAL": "RealReal",
    "LOVE": "Lovesac",
    "FUN": "Six Flags",
    "GO": "Grocery Outlet",
    "CAN": "Canaan",
    "FOR": "Forestar",
    "ARE": "Alexandria Real Estate",
    "AI": "C3.ai",
    "DD": "DuPont",
    "EPS": "WisdomTree",
    "IMO": "Imperial Oil",
    "USA": "Liberty All-Star",
    "CAT": "Caterpillar",
    "NET": "Cloudflare",
    "LOW": "Lowe's",
}
# The same words used as words, in capitals, the way people write them.
WORD_AS_WORD = [
    "IT is what it is, {filler}",
    "ALL IN on this one, {filler}",
    "I'm going ALL in tomorrow",
    "Turn ON your brain before you post",
    "NOW or never boys",
    "Buy NOW, thank me later",
    "Market is OPEN, {filler}",
    "This is REAL, {filler}",
    "I LOVE this sub",
    "FUN times ahead",
    "LET'S GO!!! {filler}",
    "GO GO GO {filler}",
    "Who CAN afford this market anymore",
    "FOR real though, {filler}",
    "What ARE we doing here",
    "DD: {filler}",
    "Not financial advice, just DD",
    "EPS estimates keep going up",
    "IMO {filler}",
    "Made in the USA",
    "AI is the new dotcom, {filler}",
    "Every earnings call is AI AI AI",
    "The CEO said {filler}",
    "YOLO time, {filler}",
    "Hit a new ATH today",
    "SEC is investigating again",
    "FDA approval pending, {filler}",
    "CPI print tomorrow, {filler}",
    "GDP came in hot",
    "ETF flows are wild this week",
    "IPO market is waking up",
    "Is this the TOP?",
    "NET worth just hit 100k",
    "The LOW of the day was brutal",
    "WTF is this price action",
    "LMAO {filler}",
    "TLDR: {filler}",
    "FOMO is real",
    "HODL",
    "BUY HIGH SELL LOW",
    "EOD pump again",
]
FILLER = [
    "I'm holding",
    "see you on the moon",
    "not financial advice",
    "my wife's boyfriend agrees",
    "thoughts?",
    "this is the way",
    "down bad this week",
    "theta is eating me alive",
    "apes together strong",
    "I have no idea what I'm doing",
    "buying more on Monday",
    "anyone else?",
    "can't stop won't stop",
    "the chart looks insane",
    "this sub is wild",
]
CONTEXT_AFTER = [
    "{S} earnings next week, what are we thinking?",
    "Bought {n} shares of {S} at {p}",
    "{S} {k}c {d}, pray for me",
    "{S} {k}p {d} printing",
    "Anyone else holding {S} through earnings?",
    "Added to my {S} position today",
    "{S} is up {pct}% premarket",
    "{S} dumped {pct}% after hours, rip",
    "Thoughts on {S} at these levels?",
    "Sold my {S} calls way too early",
    "{S} short interest is over {pct}%",
    "What's your price target on {S}?",
    "Averaged down on {S} again, {filler}",
    "{S} looking ready for a breakout",
    "I'm long {S} and {S2}",
    "{S} or {S2}, which one for the next 5 years?",
    "My portfolio: {S}, {S2}, and some cash",
    "{S} gapped up on the news",
    "Why is {S} down today?",
    "{S} just announced a buyback",
]
LOWER_BARE = [
    "picked up some {s} today",
    "{s} is my biggest position",
    "anyone still holding {s}?",
    "{s} calls are cheap rn",
]
NAME_TEMPLATES = [
    "{N} earnings beat, stock still down",
    "{N} is way overvalued, change my mind",
    "Just bought my first {N} shares",
    "{N} announced layoffs today",
    "Is {N} a buy after the drop?",
    "I work at {N} and I'm not buying more",
    "{N} guidance was weak",
    "Why does everyone hate {N} now?",
]
CAPS_POSITIVE = [
    "{S} TO THE MOON 🚀🚀🚀",
    "BUYING MORE {S} ON MONDAY",
    "{S} CALLS PRINTING!!!",
    "I JUST LOST 20K ON {S} PUTS",
    "WHO IS STILL HOLDING {S}",
    "{S} AND {S2} ARE THE ONLY PLAYS THIS WEEK",
    "SOLD EVERYTHING FOR {S}",
]
CAPS_NEGATIVE = [
    "WE ARE ALL GOING TO BE RICH",
    "IT IS HAPPENING",
    "NOW OR NEVER",
    "THE MARKET IS OPEN AND I AM SCARED",
    "I CAN NOT STOP BUYING CALLS",
    "GO BIG OR GO HOME",
    "THIS IS THE WAY",
    "DIAMOND HANDS FOR LIFE",
    "THE DD IS DONE, NOW WE WAIT",
    "WHAT ARE THESE PRICES",
    "I LOVE THE SMELL OF GAINS IN THE MORNING",
    "FUN FACT: I AM BROKE",
    "BUY HIGH SELL LOW, THE WAY OF THE APE",
    "HOLD THE LINE",
    "NOT FINANCIAL ADVICE BUT BUY THE DIP",
    "REAL MONEY IS MADE IN THE WAITING",
]
NO_TICKER = [
    "How do options work? {filler}",
    "What's the best broker for a beginner?",
    "I lost 5k this week, {filler}",
    "Daily discussion thread, {filler}",
    "Weekend discussion: what are you buying next week?",
    "The Fed is meeting Wednesday, {filler}",
    "Rate cuts are priced in, {filler}",
    "Is the market going to crash?",
    "Inflation data comes out Thursday",
    "Recession or soft landing? Place your bets",
    "My wife left me, {filler}",
    "Should I max out my Roth IRA first?",
    "Day trading is gambling, {filler}",
    "What happened to the market today?",
    "Bears are getting destroyed, {filler}",
    "Bulls make money, bears make money, pigs get slaughtered",
    "Taxes on short term gains are brutal",
    "I need a new strategy, {filler}",
    "Jobs report beat expectations",
    "Treasury yields hit a new high",
]
EMOJI = ["🚀", "💎", "🙌", "🦍", "🌕", "📈", "📉", "🔥", "💰", "🤡", "🐻", "🐂", "🍌", "💸", "🩸", "😂"]
URL_POS = [
    ("https://finance.yahoo.com/quote/{S}/", "{S}"),
    ("https://finviz.com/quote.ashx?t={S}", "{S}"),
    ("https://stocktwits.com/symbol/{S}", "{S}"),
    ("https://www.nasdaq.com/market-activity/stocks/{s}", "{S}"),
]
URL_NEG = [
    "https://www.reddit.com/r/wallstreetbets/comments/1abc2de/daily_discussion/",
    "https://i.redd.it/x8k2ALLd0n3.png",
    "https://www.bloomberg.com/news/articles/2025-03-04/fed-signals-patience",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://imgur.com/a/ONxYZ12",
    "https://www.cnbc.com/2025/05/01/stock-market-today-live-updates.html",
    "https://www.federalreserve.gov/newsevents/pressreleases/monetary20250618a.htm",
]


def _price(rng: random.Random) -> str:
    return f"{rng.choice([1.2, 3.5, 7.8, 12, 18.5, 24, 45, 67, 88, 120, 145, 210, 333, 480])}"


def _fill(template: str, rng: random.Random, **symbols: str) -> str:
    return template.format(
        n=rng.choice([10, 25, 50, 100, 200, 500, 1000]),
        p=_price(rng),
        k=rng.choice([5, 10, 15, 20, 25, 30, 50, 100, 150, 200, 300, 500]),
        d=rng.choice(["12/20", "1/17", "3/21", "6/20", "Friday", "next week", "0DTE"]),
        pct=rng.choice([4, 8, 12, 15, 22, 30, 45]),
        filler=rng.choice(FILLER),
        **symbols,
    )


def _two(rng: random.Random, pool: list[str]) -> tuple[str, str]:
    a, b = rng.sample(pool, 2)
    return a, b


def templated(rng: random.Random) -> list[dict[str, Any]]:  # noqa: PLR0912, PLR0915 - one section per bucket
    rows: list[dict[str, Any]] = []

    def add(text: str, expected: list[str], bucket: str, style: str, thread: list[str] | None = None) -> None:
        rows.append(
            {
                "text": text,
                "expected": expected,
                "bucket": bucket,
                "source_style": style,
                "thread_symbols": thread or [],
            }
        )

    tickers = list(TICKERS)
    bare_pool = tickers + SMALL + ETFS
    # easy cashtags: upper, lower, mixed case, several per text, class shares
    for _ in range(70):
        a, b = _two(rng, [t for t in bare_pool if len(t) > 1])
        form = rng.choice(["upper", "lower", "title", "two"])
        tag = {"upper": f"${a}", "lower": f"${a.lower()}", "title": f"${a.title()}", "two": f"${a}"}[form]
        if form == "two":
            text = f"{tag} and ${b} {rng.choice(['both ripping today', 'are my only positions', 'into earnings'])}"
            add(text, [a, b], "easy_cashtag", rng.choice(["wallstreetbets", "stocks"]))
        else:
            text = f"{tag} {rng.choice(FILLER)}"
            add(text, [a], "easy_cashtag", rng.choice(["wallstreetbets", "stocks", "pennystocks"]))
    for text in ["$BRK.B is my safe haven", "Bought $brk.b on the dip", "$BRK.B or $SPY for a Roth?", "$BF.B is cheap"]:
        add(text, [t for t in ("BRK.B", "SPY", "BF.B") if t.lower() in text.lower()], "easy_cashtag", "stocks")
    # bare symbols with finance context, in mixed case
    for _ in range(80):
        a, b = _two(rng, [t for t in bare_pool if len(t) > 1])
        template = rng.choice(CONTEXT_AFTER)
        text = _fill(template, rng, S=a, S2=b)
        add(
            text, [a, b] if "{S2}" in template else [a], "bare_symbol_context", rng.choice(["wallstreetbets", "stocks"])
        )
    for _ in range(12):
        a = rng.choice(tickers[:40])
        add(_fill(rng.choice(LOWER_BARE), rng, s=a.lower()), [a], "bare_symbol_context", "wallstreetbets")
    # ticker-words: as words (no label) and as tickers (label)
    for _ in range(60):
        add(_fill(rng.choice(WORD_AS_WORD), rng), [], "ambiguous_word", rng.choice(["wallstreetbets", "stocks"]))
    for _ in range(45):
        w, name = rng.choice(list(WORDS.items()))
        form = rng.choice(["cashtag", "paren", "calls", "shares_of"])
        text = {
            "cashtag": f"${w} {rng.choice(['looks cheap here', 'earnings tomorrow', 'is my top pick'])}",
            "paren": f"{name} ({w}) {rng.choice(['beat estimates', 'is down 20% this month', 'raised guidance'])}",
            "calls": f"{w} {rng.choice(['calls', 'puts'])} "
            f"{rng.choice(['for earnings', 'expiring Friday', 'are cheap'])}",
            "shares_of": f"Bought {rng.choice([50, 100, 300])} shares of {w} {rng.choice(['today', 'at the open'])}",
        }[form]
        add(text, [w], "ambiguous_word", "stocks")
    # all caps
    caps_pool = ["GME", "AMC", "TSLA", "NVDA", "PLTR", "AMD", "SPY", "QQQ", "SOFI", "HOOD", "RIVN", "MSTR", "SMCI"]
    for _ in range(30):
        a, b = _two(rng, caps_pool)
        template = rng.choice(CAPS_POSITIVE)
        add(template.format(S=a, S2=b), [a, b] if "{S2}" in template else [a], "all_caps", "wallstreetbets")
    for _ in range(25):
        add(rng.choice(CAPS_NEGATIVE), [], "all_caps", "wallstreetbets")
    # names and aliases
    for _ in range(55):
        symbol = rng.choice(tickers)
        name = TICKERS[symbol]
        add(
            _fill(rng.choice(NAME_TEMPLATES), rng, N=name),
            [symbol],
            "names_aliases",
            rng.choice(["stocks", "wallstreetbets"]),
        )
    # URLs and code
    for _ in range(20):
        symbol = rng.choice(tickers + ETFS)
        url, _label = rng.choice(URL_POS)
        add(
            f"{rng.choice(['Chart:', 'Look at this', 'Source'])} {url.format(S=symbol, s=symbol.lower())}",
            [symbol],
            "urls_code",
            "stocks",
        )
    for _ in range(15):
        add(
            f"{rng.choice(['Source:', 'Read this', 'lol', 'Link'])} {rng.choice(URL_NEG)}",
            [],
            "urls_code",
            "wallstreetbets",
        )
    for _ in range(10):
        a, b = _two(rng, tickers + ETFS)
        add(
            f"```python\nportfolio = ['{a}', '{b}']\nfor t in portfolio:\n    print(t)\n```",
            [a, b],
            "urls_code",
            "stocks",
        )
    for _ in range(8):
        add(
            rng.choice(
                [
                    "`if (ALL && IT) return NOW;`",
                    "```\nSELECT * FROM trades WHERE ON = 1 AND FOR IS NOT NULL\n```",
                    "my alert: `price > SMA(200) AND RSI < 30`",
                    "```\nIF CAN_BUY THEN GO_LONG\nELSE HOLD\n```",
                ]
            ),
            [],
            "urls_code",
            "stocks",
        )
    # emoji runs
    for _ in range(30):
        symbol = rng.choice(caps_pool + tickers[:20])
        e = rng.choice(EMOJI)
        f = rng.choice(EMOJI)
        text = rng.choice(
            [f"{e * 3}{symbol}{e * 3}", f"{e}{f} {symbol} {f}{e}", f"{symbol}{e * 4}", f"{e * 2}${symbol}{e * 2}"]
        )
        add(text, [symbol], "emoji", "wallstreetbets")
    for _ in range(12):
        e = rng.choice(EMOJI)
        add(
            f"{e * 3} {rng.choice(['IT', 'ALL', 'NOW', 'GO', 'YOLO', 'DD', 'HODL', 'MOON'])} {e * 3}",
            [],
            "emoji",
            "wallstreetbets",
        )
    # no ticker
    for _ in range(40):
        add(_fill(rng.choice(NO_TICKER), rng), [], "no_ticker", rng.choice(["wallstreetbets", "stocks", "pennystocks"]))
    # one-letter symbols
    for symbol in ["F", "T", "C", "V", "U", "M", "W", "O", "D", "L"]:
        add(
            f"${symbol} {rng.choice(['looks cheap here', 'is my dividend play', 'for the long haul'])}",
            [symbol],
            "one_letter",
            "stocks",
        )
    for text in [
        "Plan B: move back in with my parents",
        "I give this market an F",
        "Vitamin D and patience, that's my strategy",
        "Option A or option B?",
        "Series A funding is not an IPO",
        "Grade C earnings at best",
        "T minus 3 days to earnings",
        "Buy the V shaped recovery",
        "U up or U down today?",
        "M&A season is heating up",
        "K I'm out",
        "The O in FOMO stands for out",
    ]:
        add(text, [], "one_letter", rng.choice(["wallstreetbets", "stocks"]))
    # thread context: a comment under a post whose cashtags are known
    for _ in range(20):
        w = rng.choice(["ON", "IT", "ALL", "NOW", "OPEN", "AI", "REAL"])
        add(
            f"{w} "
            + rng.choice(
                ["is my biggest holding", "looks oversold here", "has been great to me", "will rip after earnings"]
            ),
            [w],
            "thread_context",
            "stocks",
            [w],
        )
    for _ in range(8):
        add(
            rng.choice(["IT is what it is", "ALL of this is priced in", "NOW we wait"]),
            [],
            "thread_context",
            "stocks",
            ["GME"],
        )
    return rows


def build() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    rows: list[dict[str, Any]] = []
    for entry in HANDWRITTEN:
        text, expected, bucket, style = entry[0], entry[1], entry[2], entry[3]
        thread = list(entry[4]) if len(entry) == 5 else []
        rows.append(
            {
                "text": text,
                "expected": expected,
                "bucket": bucket,
                "source_style": style,
                "thread_symbols": thread,
                "origin": "handwritten",
            }
        )
    for row in templated(rng):
        rows.append({**row, "origin": "template"})
    for i, row in enumerate(rows):
        row["id"] = f"t{i:04d}"
    return rows


def main() -> None:
    rows = build()
    with OUT.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(
                json.dumps(
                    {
                        k: row[k]
                        for k in ("id", "text", "expected", "bucket", "source_style", "origin", "thread_symbols")
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    print(f"wrote {len(rows)} texts to {OUT}")


if __name__ == "__main__":
    main()
