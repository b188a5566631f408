"""Text makers for the replay corpus: everyday chatter, ticker talk, DD, news and pump spam.

Organic texts are assembled from many fragments with numbers and names filled in, so two
people rarely write the same sentence; pump texts come from a campaign's few scripts with
small edits, which is what copy-paste detection has to find.
"""

import random

NOISE_SENTENCES = (
    "IMO the FED is going to keep rates where they are, CPI print tomorrow decides IT ALL.",
    "YOLO'd my rent money on 0 DTE calls, wish me luck.",
    "Anyone else think the CEO interview today was weird?",
    "GDP numbers came in hot, futures are ON fire.",
    "Is IT just me or is the whole market running ON fumes?",
    "Loss porn thread when? My portfolio is down 40% since ATH.",
    "What are you all buying this week? I'm sitting in cash, FOMO is real.",
    "SEC filing season again, reading 10-Qs like a nerd.",
    "Bought the dip, it kept dipping. Classic.",
    "PSA: don't trade options you don't understand. The IV crush will eat you.",
    "TLDR: market goes up, market goes down, I lose money either way.",
    "The USA economy is fine, the consumer is still spending.",
    "Powell speaks at 2 PM, GO time for theta gang.",
    "Paper hands everywhere today, HODL if you believe in your thesis.",
    "My wife's boyfriend says the market is overbought.",
    "Any good books on technical analysis? TA seems like astrology to me.",
    "EPS beat but revenue miss, the algos hate IT.",
    "WSB is down bad today LOL.",
    "Which broker do you use for options? Looking for lower fees.",
    "ETF or individual stocks for a Roth IRA? Long term, 30 years.",
    "Red day, green day, who cares, DCA and chill.",
    "Earnings week is ON, volatility incoming.",
    "The IPO market is heating up again, lots of filings.",
    "OMG my FD actually printed for once.",
    "EDIT: thanks for the gold kind stranger.",
    "Trying to learn about covered calls, ELI5?",
    "Everyone is bearish, which usually means we GO up.",
    "RIP to everyone who shorted this morning.",
)

OPINIONS = (
    "I think {t} is undervalued at these levels",
    "{t} has been on my watchlist for months",
    "not sure about {t} after the last earnings call",
    "{t} chart looks like a cup and handle to me",
    "holding {t} since {y}, not selling",
    "{t} guidance was better than expected",
    "people sleeping on {t} again",
    "{t} is a value trap, change my mind",
    "added more {t} today at {p}",
    "sold my {t} covered calls for {p} premium",
    "{t} puts are printing",
    "bought {t} leaps, expiry {y}",
    "the {t} bull case is pretty simple",
    "{t} management keeps executing",
    "margins at {t} keep expanding",
    "{t} is my biggest position, about {n}% of my account",
)

FILLERS = (
    "Thoughts?",
    "Not financial advice.",
    "Curious what you all think.",
    "Position: {n} shares.",
    "Long term hold for me.",
    "Could be wrong though.",
    "Revenue grew {n}% last quarter.",
    "The valuation is still reasonable.",
    "Short interest is around {n}%.",
    "Volume has been picking up.",
    "Institutions have been adding.",
    "Insiders bought recently.",
    "Watching the {p} level.",
    "Management sounded confident on the call.",
    "Free cash flow turned positive.",
    "The options chain is getting busy.",
)

COMMENT_SHORT = (
    "this",
    "agreed",
    "lol no",
    "source?",
    "bagholder detected",
    "sir this is a casino",
    "priced in",
    "I'm in",
    "what's your price target?",
    "thanks for sharing",
    "nice write-up",
    "how is this not higher",
    "commenting to come back later",
    "who is still holding?",
    "good luck",
    "been saying this for weeks",
)

DD_HEADINGS = ("## Thesis", "## Business overview", "## Financials", "## Catalysts", "## Risks", "## Valuation")
DD_LINKS = (
    "https://www.sec.gov/cgi-bin/browse-edgar?action=getcompany&CIK={cik}",
    "https://finance.yahoo.com/quote/{s}/financials",
    "https://investors.{slug}.com/news-releases",
    "https://www.sec.gov/Archives/edgar/data/{cik}/10-Q.htm",
    "https://seekingalpha.com/symbol/{s}/earnings",
)
NEWS_SITES = ("reuters.com/markets", "cnbc.com", "bloomberg.com/news", "wsj.com/articles", "marketwatch.com/story")
NEWS_TITLES = (
    "{n} reports quarterly results, shares move after hours",
    "{n} raises full-year guidance",
    "{n} announces partnership with major customer",
    "Analyst upgrades {n}, sets new price target",
    "{n} shares jump on FDA news",
    "{n} CEO to step down",
    "{n} unveils new product line",
)

PUMP_SCRIPTS = (
    "🚀🚀🚀 {c} IS ABOUT TO EXPLODE 🚀🚀🚀 Short squeeze loading, float is tiny, "
    "get in before it's too late!!! {x} 💎🙌",
    "{c} to the MOON 🌕🚀 This is the next GME, don't miss it!!! Target $50 🚀🚀🚀 {x}",
    "🔥🔥 HUGE NEWS coming for {c} 🔥🔥 insiders loading up, {c} will 10x this week 🚀🚀 {x}",
    "Who else is holding {c}?? 🚀🚀🚀 We are going to squeeze the shorts!!! 💎🙌 {x}",
    "{c} {c} {c} 🚀🚀🚀🚀 LAST CHANCE before liftoff!!! {x}",
)
PUMP_TITLES = (
    "{c} SQUEEZE INCOMING 🚀🚀🚀",
    "{c} is the play of the year 🚀",
    "Don't sleep on {c} 🔥🚀",
    "{c} 10 BAGGER 🚀🚀🚀",
    "ALL IN {c} 🚀💎🙌",
)
PUMP_REPLIES = (
    "this is obviously a pump, look at the account ages",
    "{t} again? same accounts every time",
    "reported for spam",
    "enjoy being exit liquidity",
    "these {t} posts are all copy paste lol",
)
STUFF_POOL = ("$GME", "$AMC", "$BBBY", "$MULN", "$FFIE", "$SNDL", "$CLOV", "$KOSS", "$NKLA", "$WKHS")


def ref(rng: random.Random, symbol: str, name: str, *, cashtag: float = 0.4, bare: float = 0.35) -> str:
    """How people name a ticker: a cashtag, the bare symbol, or the company."""
    r = rng.random()
    if r < cashtag:
        return f"${symbol}"
    if r < cashtag + bare:
        return symbol
    return name


def _fill(rng: random.Random, template: str, t: str) -> str:
    return template.format(
        t=t,
        n=rng.randint(2, 60),
        p=f"${rng.randint(2, 400)}.{rng.randint(0, 99):02d}",
        y=rng.choice(("2021", "2022", "2023", "2024", "2025", "Jan 27", "Jun 26")),
    )


def noise_text(rng: random.Random, sentences: int) -> str:
    return " ".join(rng.choice(NOISE_SENTENCES) for _ in range(sentences))


def opinion(rng: random.Random, t: str, *, fillers: int = 2) -> str:
    parts = [_fill(rng, rng.choice(OPINIONS), t)]
    parts[0] = parts[0][0].upper() + parts[0][1:] + "."
    parts += [_fill(rng, rng.choice(FILLERS), t) for _ in range(fillers)]
    return " ".join(parts)


def discussion_post(rng: random.Random, refs: list[str]) -> tuple[str, str]:
    """A ticker discussion post: a short title, a paragraph or two."""
    lead = refs[0]
    title = rng.choice(
        (
            f"{lead} - what am I missing?",
            f"Thoughts on {lead}?",
            f"{lead} position update",
            f"Why I'm bullish on {lead}",
            f"Is {lead} a buy here?",
            f"{lead} and {refs[-1]} this week",
            f"Finally pulled the trigger on {lead}",
        )
    )
    paragraphs = [opinion(rng, r, fillers=rng.randint(1, 4)) for r in refs]
    if rng.random() < 0.4:
        paragraphs.append(noise_text(rng, rng.randint(1, 2)))
    return title, "\n\n".join(paragraphs)


def dd_post(rng: random.Random, symbol: str, name: str) -> tuple[str, str]:
    """A due-diligence post: long, structured, sourced."""
    title = rng.choice(
        (
            f"{name} (${symbol}) deep dive: why the market is mispricing it",
            f"DD: ${symbol} - {name} is at an inflection point",
            f"${symbol} DD - the numbers nobody is talking about",
            f"My thesis on {name} ({symbol}), with sources",
        )
    )
    cik = rng.randint(1_000_000, 1_999_999)
    slug = name.lower().replace(" ", "").replace(".", "").replace("&", "")
    sections = []
    for heading in rng.sample(DD_HEADINGS, k=rng.randint(3, 6)):
        bullets = "\n".join(f"- {_fill(rng, rng.choice(FILLERS), symbol)}" for _ in range(rng.randint(2, 4)))
        sections.append(f"{heading}\n\n{opinion(rng, symbol, fillers=rng.randint(2, 5))}\n\n{bullets}")
    links = "\n".join(
        f"- {rng.choice(DD_LINKS).format(cik=cik, s=symbol, slug=slug)}" for _ in range(rng.randint(1, 4))
    )
    body = "\n\n".join(sections) + f"\n\n## Sources\n\n{links}\n\nPosition: {rng.randint(50, 2000)} shares. Not advice."
    return title, body


def news_post(rng: random.Random, symbol: str, name: str) -> tuple[str, str, str]:
    title = rng.choice(NEWS_TITLES).format(n=name) + (f" (${symbol})" if rng.random() < 0.5 else f" ({symbol})")
    url = f"https://www.{rng.choice(NEWS_SITES)}/{symbol.lower()}-{rng.randint(100000, 999999)}"
    return title, "", url


def comment(rng: random.Random, t: str | None) -> str:
    """A comment; names ``t`` when given (bare symbols lean on the thread for context)."""
    r = rng.random()
    if t is None:
        return rng.choice(COMMENT_SHORT) if r < 0.5 else noise_text(rng, 1)
    if r < 0.3:
        return f"{rng.choice(COMMENT_SHORT)}, {_fill(rng, rng.choice(OPINIONS), t)}"
    if r < 0.7:
        return opinion(rng, t, fillers=rng.randint(0, 2))
    return f"{_fill(rng, rng.choice(OPINIONS), t)}. {_fill(rng, rng.choice(FILLERS), t)} {noise_text(rng, 1)}"


def pump_text(rng: random.Random, scripts: list[str], symbol: str, *, emoji: bool, stuffing: bool) -> str:
    """One of the campaign's scripts, lightly edited the way spammers vary their posts."""
    text = rng.choice(scripts).format(
        c=f"${symbol}", x=" ".join(rng.sample(STUFF_POOL, k=rng.randint(3, 6))) if stuffing else ""
    )
    if not emoji:
        text = "".join(ch for ch in text if ord(ch) < 0x2000)
    if rng.random() < 0.3:
        text = text.replace("!!!", "!!")
    if rng.random() < 0.3:
        text += " " + "🚀" * rng.randint(1, 5) if emoji else " !!"
    return text.strip()


def pump_title(rng: random.Random, symbol: str) -> str:
    return rng.choice(PUMP_TITLES).format(c=f"${symbol}")


def pump_reply(rng: random.Random, symbol: str) -> str:
    return rng.choice(PUMP_REPLIES).format(t=symbol)
