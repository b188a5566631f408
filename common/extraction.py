"""Ticker extraction: text in, mentions out.

Reddit finance trackers fail in two known ways: they count words as tickers (IT, ALL, ON,
DD, YOLO, CEO) and they miss real ones (``$gme``, "Nvidia", ``🚀🚀GME🚀``). The rules here
weigh evidence the way a reader of r/wallstreetbets does:

- A cashtag (``$GME``, ``$gme``, ``$BRK.B``) is strong evidence on its own. A cashtag that
  is not in the shipped universe is kept, marked ``known=False`` (delisted or made up).
- A company name or common alias ("GameStop", "Nvidia", "C3.ai") maps to its symbol.
- A bare word counts only if it is a listed symbol written in capitals and its context
  supports it. How much support it needs depends on how much it looks like a word
  (:class:`_Kind`): ``NVDA`` needs none in mixed-case text, ``COST`` or ``YETI`` need a finance word
  nearby, ``ON`` needs one right next to it ("ON calls", "shares of ON") or the same
  symbol as a cashtag elsewhere in the text or thread; jargon (DD, YOLO, CEO, EPS) only
  ever counts as a cashtag. In an all-caps line capitals say nothing, so only well-known
  symbols or context count there.
- One-letter symbols (F, T, X) only count as cashtags.
- URLs and code are not prose: a URL counts only when it is a quote page
  (``finance.yahoo.com/quote/GME``), code only through quoted strings (``'TSLA'``).

Pure: the universe is read once from ``common/data`` on first use and cached.
"""

import bisect
import csv
import enum
import functools
import hashlib
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from common.listings import Listing, Listings

_DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True, slots=True)
class TickerMention:
    """One place in a text where a ticker is mentioned, and how sure we are of it."""

    symbol: str  # canonical, upper case, e.g. "GME", "BRK.B"
    start: int  # character offset in the text
    end: int
    method: str  # "cashtag" | "symbol" | "name"
    confidence: float  # 0..1
    known: bool  # False for a cashtag not in the universe (delisted/unknown: kept but marked)
    role: str = "primary"  # "secondary": named only as another company's partner, customer or peer


class _Kind(enum.Enum):
    """How much a symbol looks like something other than a ticker, hence how much context a
    bare mention needs."""

    DISTINCT = "distinct"  # not a word (NVDA, GME, PLTR), or a well-known ticker (META, SPY)
    SOMEWHAT = "somewhat"  # an uncommon word or abbreviation (MU, YETI, LUV): needs a finance word nearby
    LOOSE = "loose"  # a common word that is also a well-known ticker (COST, DASH): finance word nearby
    WORD = "word"  # a common word or acronym (ON, IT, ALL, NOW, AI): needs adjacent evidence
    JARGON = "jargon"  # Reddit/finance jargon (DD, YOLO, CEO, EPS, ATH, IMO): cashtag only


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


# Jargon and abbreviations that are listed symbols (or could become one) but, written bare,
# mean the jargon. Only a cashtag turns them into tickers. The line before the last are finance
# terms (yield, transfers, returns, net asset value, an indicator, hot-rolled coil) that were
# symbols in 2020-22 (gone_before_2022.csv), when a bare one is the term far more often; the
# last, what a squeeze post abbreviates (short interest, trailing twelve months, cost to
# borrow, annual recurring revenue, the Depository Trust Company, Regulation SHO, an annual
# general meeting, machine learning, average true range), and two that are mostly something
# else (an apartment, a hacking group or a crypto token; Silicon Valley).
_JARGON = _words(
    """
    DD YOLO CEO CFO CTO COO CIO EPS ATH ATL IMO IMHO USA US UK EU IPO ETF SEC FDA GDP CPI PPI
    FOMC FED EOD EOW EOY YTD QOQ YOY ITM OTM ATM IV PT ER PE EV OTC NYSE TLDR FOMO HODL LOL
    LMAO WTF OMG FYI TBH IIRC AFAIK ELI IRA ROTH HSA APE APES MOON BUY SELL HOLD LONG SHORT
    CALL PUT PUTS CALLS GAIN LOSS BEAR BULL BULLS BEARS RH WSB SPAC REIT USD EUR BTC ETH DOGE
    NFT OK TV PC GPU CPU API EV EVS LLC INC CO CORP LTD NA TA FA PR HR IT IRS DOJ FTC FBI
    CIA NASA NATO CNBC WSJ CNN BBC NYT ESG ROI ROE EBIT FCF DCF PEG MACD RSI EMA SMA VWAP
    RC IMF ECB BOJ ETA ASAP RIP GG WW FTW TIL AMA ELI5 PSA NGL TBF IDK SMH FML GTFO HYSA
    MAGA GOP DEM POTUS SCOTUS LFG NOT AND THE EST PST CEST UTC AM PM HQ EPA SEO UI UX DTE PDT
    OCC HF DRS BRRR OG OI ISO FD FDS ASX TSX TSXV LSE HKEX AGI ASIC HBM SSD IOT BOE PBOC UAE KSA ESP GL TY
    DYOR DAX APAC CC GPT LLM
    APY ACH IRR CMO NAV RVI HRC
    SI TTM CTB ARR DTC SHO AGM ML ATR APT SV
    """
)

# Well-known tickers: a bare mention in capitals is the ticker even where the symbol is
# also a word or an abbreviation, in mixed-case text (SPY, META, AMD), and these are the
# symbols a shouting all-caps post may name without further context.
_WELL_KNOWN = _words(
    """
    GME AMC TSLA NVDA AAPL MSFT GOOGL GOOG AMZN META NFLX PLTR AMD INTC MU AVGO TSM QCOM SMCI
    ARM MRVL ASML CRM ORCL ADBE IBM DELL SNOW SHOP CRWD DDOG PANW UBER LYFT ABNB DASH SPOT
    ROKU PINS SNAP HOOD COIN MSTR SOFI PYPL AFRM UPST JPM GS BAC WFC BRK.B BLK SCHW RIVN LCID
    NIO XPEV BA LMT RTX WMT COST TGT HD SBUX MCD CMG NKE LULU DIS KO PEP PFE MRNA LLY NVO UNH
    XOM CVX OXY VZ TMUS BABA BIDU JD PDD NOK BB PLUG MARA RIOT CVNA OPEN PTON CHWY ETSY EBAY
    DKNG CCL RCL NCLH AAL DAL UAL SPCE RKLB ASTS LUNR ACHR JOBY IONQ RGTI QBTS SOUN OKLO TLRY
    CLOV BYND CELH ZM DOCU RBLX RDDT DJT HTZ KSS APP CRCL SPY QQQ IWM DIA VOO VTI TQQQ SQQQ
    UVXY SOXL SOXS ARKK TLT GLD SLV USO XLF XLE SMH SOXX IBIT TNA TZA SPXL SPXS SVXY VXX
    BITO MSTU TSLL NVDL CHPT NKLA WKHS GEVO SNDL OCGN ATER BBIG MULN FFIE GNS HKD DWAC CLF
    AG PAAS NEM GOLD SIRI RIG
    """
)

# Well-known tickers that are everyday words or acronyms even in capitals ("AI bubble",
# "market OPEN", "NOW is the time"): they stay WORD whatever their fame.
# Well-known tickers whose capitalised form is, in mixed-case text, all but never the word
# ("SPY 600 by Christmas", "HOOD is printing").
_CAPS_SAFE = _words("SPY HOOD COIN PLUG RIOT SNAP SHOP SNOW EBAY SONY")

_ALWAYS_WORD = _words("AI NOW OPEN ON IT ALL GO CAN FOR ARE REAL LOVE FUN LOW CAT NET GOLD AG")

# Finance words that make a bare capitalised symbol nearby (about the same clause) a ticker.
# Matched as whole words through a set: a case-insensitive regex alternation over a window
# costs ~20 µs, the set check well under one.
_CUE_WORDS = frozenset(
    w.encode()
    for w in _words(
        """
    call calls put puts share shares stock stocks strike strikes earnings er option options contract
    contracts leaps price pt ticker tickers position positions bought buy buying sold sell selling
    long short shorts shorted shorting squeeze float dividend dividends iv bagholder bagholders
    bagholding holding holders avg average premarket pre-market ah afterhours gap gapped rally dump
    dumped dumping pump pumped mooning tank tanked tanking dip ipo guidance revenue valuation mcap
    ath eps chart support resistance breakout ripping rip moon bullish bearish undervalued
    overvalued invest invested investing portfolio trade trading traded entry exit filing 10-k
    10-q 8-k offering dilution split ceo fda buyout merger acquisition stake
    yolo profit profits gains
    """
    )
)
# Numbers that are finance: "$12", "15%", "30c", "200p", "12/20".
_CUE_NUMBER = re.compile(r"\$\d|\d\s?%|\d[cCpP]\b|\b\d{1,2}/\d{1,2}\b")
_CUE_WINDOW = 48  # characters either side: about the same clause
_CUE_BYTES = frozenset(v.encode() for w in _CUE_WORDS for v in (w.decode(), w.decode().title(), w.decode().upper()))

# Evidence right next to a word-like symbol: "ON calls", "AI 30c", "IT @ 300", "NOW 12/20 900c".
_NEXT_WORDS = _words(
    "call calls put puts share shares leaps earnings strike strikes option options stock stonks gains gang "
    "holders bagholders squeeze yolo 🚀 🚀🚀 🚀🚀🚀"
)
_NEXT_NUMBER = re.compile(
    r"[\s:,]{1,3}(?:\$?\d+(?:\.\d+)?\s?[cCpP]\b|\d{1,2}/\d{1,2}\S*\s+\$?\d+(?:\.\d+)?[cCpP]\b|@\s?\$?\d|\$\d"
    r"|[A-Za-z]{3}\s?\d{1,2}\s+\$?\d+(?:\.\d+)?\s?[cCpP]\b)"
)
# The forum's own way of saying "buy this": "Hexo to the moon", "wish to the mooooon".
_TO_THE_MOON = re.compile(r"\s+(?:to|2)\s+(?:the\s+)?m[o0]{2,}n", re.IGNORECASE)
# What a company does, right after a word-like symbol: "the GM partnership", "XYZ merger".
# Not for the words that are always words: "AI partnership" is about the technology.
_NEXT_EVENTS = _words("partnership partnerships agreement deal lawsuit merger acquisition buyout")
# The words just before a word-like symbol that make it a holding: "shares of IT", "long ON".
_PREV_STRONG = frozenset(("shares of", "calls on", "puts on", "position in", "ticker"))
_PREV_WORDS = _words(
    "bought buying buy sold selling sell long short shorting ticker tickers holding added loaded trimmed"
)
_PREV_PAIRS_EXTRA = frozenset(
    (
        "averaged down on",
        "yolo'd into",
        "yoloed into",
        "all in on",
        "all in",
        "went long",
        "went short",
        "down on",
        "in on",
        "share of",
        "shares in",
        "long on",
    )
)
_PREV_PAIRS = _PREV_STRONG | _PREV_PAIRS_EXTRA
# Every word that can make a word-like symbol adjacent evidence, as _ascii_words splits it, in
# the usual cases: if a text has none of them (and no number), no such symbol in it can pass.
_ADJACENT_WORDS = frozenset(
    v.encode()
    for phrase in (*_NEXT_WORDS, *_NEXT_EVENTS, *_PREV_WORDS, *_PREV_PAIRS, "moon")
    for w in phrase.replace("'", " ").split()
    for v in (w, w.title(), w.upper())
)
# ... and what any _NEXT_NUMBER match must contain ("30c", "12/20", "@ 300", "$5"): without
# one, no number can be adjacent evidence either, and the window is not read at all.
_NUMBER_CUE = re.compile(r"\d\s?[cCpP]\b|\d/\d|@|\$\d")

# URLs with a scheme or "www.", and bare domains with a path ("stocktwits.com/symbol/ASTS").
# Both patterns start with a literal, so the regex engine skips ahead to candidates in C.
_URL = re.compile(r"(?:https?|HTTPS?)://\S+|(?:www|WWW)\.\S+")
_URLISH = re.compile(r"://|www\.|WWW\.|\.(?:com|org|net|gov|io|co|ai|app|finance|news|to|gg|ly|me)/")
_DOMAIN_PATH = re.compile(r"\.(?:com|org|net|gov|io|co|ai|app|finance|news|to|gg|ly|me)/")
# Quote pages name their symbol: /quote/GME, /symbol/ASTS, /symbols/NASDAQ-NVDA, ?t=PLTR,
# /market-activity/stocks/gme. Literal-led and case-sensitive (paths are lower case): fast.
_QUOTE_URL = re.compile(
    r"(?:/quote/|/symbols?/(?:[A-Z]+-)?|/stocks?/|/companies/|/market-activity/(?:stocks|etf)/|/quote\.ashx\?t=)"
    r"([A-Za-z]{1,5}(?:[.\-][A-Za-z])?)(?=[/?#)\]\s,;:!'\"]|\.(?:\s|$)|$)"
)
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`|^(?: {4}|\t).*$", re.DOTALL | re.MULTILINE)
_CODE_STRING = re.compile(r"""['"]\$?([A-Z]{1,5}(?:\.[A-Z])?)['"]""")
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_LOWER_BYTES = _LOWER.encode()
_UPPER_BYTES = _UPPER.encode()
# A character just before a match that glues it to something else: "x$Y", "AT&T", "sec.gov",
# "T-Mobile", "#GME", "u/NVDA", "don't".
_GLUE = frozenset("_$@#/&.-'’")
# "GME/AMC", "$GLD/IAU": a slash right after a symbol-like word starts the pair's second one
# ("u/NVDA", "r/GME" and paths stay glued: lower case, or URLs, which are read apart).
_PAIR_BEFORE = re.compile(r"(?<![\w/.])\$?[A-Z]{2,5}/\Z")
# ... and just after: the token regex stops at these only when no letter follows ("GME." "T-")
_TAIL_GLUE = frozenset("_&")
_ASCII_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_BAD_BEFORE = frozenset(_ASCII_ALNUM) | _GLUE
_BAD_AFTER = frozenset(_ASCII_ALNUM) | _TAIL_GLUE
# Every cashtag or word starting with a capital, with its inner dots, ampersands, hyphens and
# apostrophes ("$BRK.B", "AT&T", "T-Mobile", "GME's"). ``findall`` on this is the one pass
# over every text: it returns strings, not match objects, which is what keeps it fast.
_TOKEN = re.compile(r"[$A-Z][A-Za-z0-9]*(?:[.&-][A-Za-z0-9]+|['’](?![sS]\b)[A-Za-z0-9]+)*")
# Bytes punctuation -> space, to split a text into words at C speed for the lower-case precheck.
# What may stick to a word split at spaces: "tesla," "nvidia's" "gamestop)".
_WORD_TAILS = ("", ",", ".", "!", "?", ":", ";", ")", "'s", "’s", "!!", "...", '"', "*")
_ASCII_WORDS = bytes(
    c if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c == 36) else 32  # 0-9 A-Z a-z $
    for c in range(256)
)
# A cashtag: "$" not glued to a word or another "$" before it (``\w`` is ``str.isalnum`` plus
# "_"), a symbol, and nothing word-like after it ("$GME." ends a sentence, "$5k" is money).
# The look-behind comes after the "$" so that the pattern starts with a literal, which the
# regex engine finds in C without trying every position.
_CASHTAG = re.compile(r"\$(?<![\w$]\$)([A-Za-z]{1,5}(?:\.[A-Za-z]{1,2})?)(?![\w.]\w|\w)")
_PUNCTUATION = b"!\"#$%()*+,./:;<=>?@[\\]^_`{|}~'\n\t\r"
_SPLIT = bytes.maketrans(_PUNCTUATION, b" " * len(_PUNCTUATION))


# What a word of the text can be (see ``_Universe.words``).
@dataclass(frozen=True, slots=True)
class _Plain:
    """A symbol that is no English word, as typed in lower case or capitalised ("negg")."""

    symbol: str


@dataclass(frozen=True, slots=True)
class _Shouted:
    """A company's one-word name in capitals ("NOKIA", "WORKHORSE"): the name only where the
    whole line shouts and a finance word stands near (:func:`_shouted_name`); elsewhere a word
    in capitals is emphasis or a symbol."""

    symbol: str


_Word = int | str | tuple[tuple[tuple[str, str], ...], str | int | None] | list[tuple[str, str]] | _Plain | _Shouted


@dataclass(frozen=True, slots=True)
class _Universe:
    names: dict[str, str]  # symbol -> company name
    kinds: dict[str, _Kind]
    aliases: dict[str, str]  # every spelling of a name or alias -> symbol
    # Every word (as bytes, split like _ascii_words splits) that can name a ticker, and what
    # it is: a bare symbol (its policy, an int), an alias (its symbol, a str), the base of
    # class shares ("BRK" -> "."), the first word of multi-word names (a tuple: the names
    # [(spelling, symbol)], longest first, and what the word alone is, or None), the rarest
    # word of lower-case names (a list of (spelling, symbol)), or a symbol that is no word,
    # typed in lower case (a _Plain), or a name in capitals (a _Shouted). One flat table, so that a hit
    # costs one lookup in memory that the set intersection has just touched.
    words: dict[bytes, _Word]
    listings: Listings  # when each symbol traded: a text means the symbols of its day
    everyday: frozenset[str]  # symbols that are very common words (GOOD, BEST, HAS): emphasis, mostly
    wordlike: frozenset[str]  # symbols that are English words at all (zipf >= 2.5: SHOP, COIN, PLUG)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(line for line in f if not line.startswith("#"))


def _spellings(alias: str) -> set[str]:
    """How people write a name that is not an everyday word: as listed, all lower, all caps,
    capitalised ("GameStop", "gamestop", "GAMESTOP", "Gamestop")."""
    return {alias, alias.lower(), alias.upper(), alias[:1].upper() + alias[1:].lower()}


_UNIVERSE: _Universe | None = None


def _universe() -> _Universe:
    """Load the shipped universe once (symbols, aliases, word frequencies)."""
    global _UNIVERSE  # noqa: PLW0603 - a load-once cache read on the hot path without a call
    if _UNIVERSE is None:
        _UNIVERSE = _load()
    return _UNIVERSE


# A word this common (zipf 5.5: "good", "best", "play", "has") in capitals is emphasis more
# often than a ticker: community context never vouches for it.
_EVERYDAY_ZIPF = 5.5


def _kind(symbol: str, zipf: float) -> _Kind:
    """How word-like ``symbol`` is, from the lists above and how common it is as a word."""
    if symbol in _JARGON:
        return _Kind.JARGON
    if symbol in _ALWAYS_WORD:
        return _Kind.WORD
    if symbol in _WELL_KNOWN:
        return _Kind.LOOSE if zipf >= 4.0 and symbol not in _CAPS_SAFE else _Kind.DISTINCT
    if zipf >= 4.0:
        return _Kind.WORD
    return _Kind.SOMEWHAT if zipf >= 3.0 else _Kind.DISTINCT


def _policy(symbol: str, kind: _Kind) -> int:
    if kind is _Kind.DISTINCT:
        return _ACCEPT if symbol in _WELL_KNOWN else _UNLESS_LOUD
    if kind is _Kind.WORD:
        return _ADJACENT
    if kind is _Kind.JARGON:
        return _STRONG
    return _NEARBY


_POSSESSIVE = re.compile(r"['’]s\b")


def _load() -> _Universe:  # noqa: PLR0912 - one pass building every lookup table
    names = {row["symbol"]: row["name"] for row in _rows(_DATA / "symbols.csv")}
    listings = Listings.load(_DATA)
    for symbol, name in listings.names.items():
        names.setdefault(symbol, name)  # gone before the base list was made: back, with its dates
    zipf = {row["word"]: float(row["zipf"]) for row in _rows(_DATA / "words.csv")}
    kinds: dict[str, _Kind] = {}
    aliases: dict[str, str] = {}
    for symbol in names:
        z = zipf.get(symbol.lower(), 0.0)
        kinds[symbol] = _kind(symbol, z)
        if symbol in _WELL_KNOWN and z < 2.5 and len(symbol) > 2:
            aliases[symbol.lower()] = symbol  # "picked up some rklb": not a word, so the ticker
            aliases[symbol.capitalize()] = symbol  # "Clov updated ortex numbers"
    for row in _rows(_DATA / "aliases.csv"):
        if row["symbol"] not in names:
            continue  # delisted since the alias was written; the unit tests flag it
        for spelling in _spellings(row["alias"]) if row["match"] == "any" else {row["alias"]}:
            aliases[spelling] = row["symbol"]
    # Distinctive forms of every company's name, derived by scripts/build_names.py: the curated
    # aliases win, and a form never shadows a symbol written in capitals.
    for row in _rows(_DATA / "name_forms.csv"):
        if row["symbol"] not in names:
            continue
        for spelling in _spellings(row["form"]) if row["match"] == "any" else {row["form"]}:
            if spelling not in names:
                aliases.setdefault(spelling, row["symbol"])
    for spelling, symbol in _stripped_spellings(aliases):
        aliases.setdefault(spelling, symbol)
    capital = {a: sym for a, sym in aliases.items() if not a[0].islower()}
    lower = {a: sym for a, sym in aliases.items() if a[0].islower()}
    single: dict[bytes, str | int | None] = {}
    for symbol, kind in kinds.items():
        base, _, share_class = symbol.partition(".")
        if share_class:
            single.setdefault(base.encode(), ".")  # "BRK" of "BRK.B": look at what follows
        elif len(symbol) > 1:
            single[symbol.encode()] = _policy(symbol, kind)
    phrases: dict[bytes, list[tuple[str, str]]] = {}
    for spelling, symbol in capital.items():
        head = _ascii_words(spelling)
        if len(head) == 1 and spelling.removesuffix("'s").removesuffix("’s").encode() == head[0]:
            single[head[0]] = symbol
        elif head:
            phrases.setdefault(head[0], []).append((spelling, symbol))
    # For each lower-case spelling, its rarest word: present whenever the spelling is, and
    # seldom otherwise, so the positional scan for lower-case names runs only when it can hit.
    lower_words: dict[bytes, list[tuple[str, str]]] = {}
    for spelling, symbol in lower.items():
        if parts := _ascii_words(spelling):
            rarest = min(parts, key=lambda part: (len(part) < 3, zipf.get(part.decode(), 0.0)))
            lower_words.setdefault(rarest, []).append((spelling, symbol))
    for options in lower_words.values():
        options.sort(key=lambda option: -len(option[0]))
    words: dict[bytes, _Word] = {key: what for key, what in single.items() if what is not None}
    for first, options in phrases.items():
        options.sort(key=lambda option: -len(option[0]))
        words[first] = (tuple(options), single.get(first))
    if not lower_words.keys().isdisjoint(words):  # a lower-case hit is told apart by its type
        raise ValueError(f"words both lower-case names and symbols: {set(lower_words) & set(words)}")
    words.update(lower_words)
    everyday = frozenset(symbol for symbol in kinds if zipf.get(symbol.lower(), 0.0) >= _EVERYDAY_ZIPF)
    wordlike = frozenset(symbol for symbol in kinds if symbol.lower() in zipf)
    for symbol, kind in kinds.items():
        if kind is _Kind.DISTINCT and len(symbol) > 2 and symbol.isalpha() and symbol not in wordlike:
            for form in (symbol.lower(), symbol.capitalize()):
                words.setdefault(form.encode(), _Plain(symbol))
    for odd, symbol in _odd_capitals(kinds, wordlike):
        words.setdefault(odd, symbol)
    for shouted, symbol in _shouted_names(capital, zipf):
        words.setdefault(shouted, _Shouted(symbol))
    return _Universe(names, kinds, aliases, words, listings, everyday, wordlike)


_SHOUTED_LETTERS = 5  # "NOKIA": shorter names in capitals are symbols or acronyms
_SHOUTED_ZIPF = 4.0  # a name this common as a word ("DELTA", "APPLE") is the word in a shouted line (2-5 letters)


def _shouted_names(capital: Mapping[str, str], zipf: Mapping[str, float]) -> Iterator[tuple[bytes, str]]:
    """Each one-word name in capitals ("NOKIA", "WORKHORSE") that is no common word."""
    for spelling, symbol in capital.items():
        if len(spelling) >= _SHOUTED_LETTERS and spelling.isalpha() and zipf.get(spelling.lower(), 0.0) < _SHOUTED_ZIPF:
            yield spelling.upper().encode(), symbol


def _stripped_spellings(aliases: Mapping[str, str]) -> list[tuple[str, str]]:
    """Dumps that strip punctuation (the 2021-05/07 one does) turn "Wendy's" into "Wendy s"
    and "AT&T" into "AT amp T" (the HTML entity's letters stay): the same names, in spellings
    no other text produces."""
    out: list[tuple[str, str]] = []
    for spelling, symbol in aliases.items():
        if (stripped := _POSSESSIVE.sub(" s", spelling)) != spelling:
            out.append((stripped, symbol))
        if "&" in stripped:
            out.append((" ".join(stripped.replace("&", " amp ").split()), symbol))
    return out


def _odd_capitals(kinds: Mapping[str, _Kind], wordlike: frozenset[str]) -> Iterator[tuple[bytes, str]]:
    """A well-known ticker typed with odd capitals, on purpose or mocking ("xPev", "NiO",
    "CLOv", "SNdL"): where its letters are no word, every such spelling is the ticker. Kept to
    the well-known ones, so the forms stay a few thousand and cost nothing per text."""
    for symbol in sorted(_WELL_KNOWN):
        if not (3 <= len(symbol) <= 5 and symbol.isalpha() and kinds.get(symbol) is _Kind.DISTINCT):
            continue
        if symbol in wordlike or symbol in _ALWAYS_WORD:
            continue
        for letters in itertools.product(*((c.lower(), c) for c in symbol)):
            form = "".join(letters)
            if form not in (symbol, symbol.lower(), symbol.capitalize(), "PaaS"):  # platform as a service
                yield form.encode(), symbol


def _ascii_words(text: str) -> list[bytes]:
    """``text`` split into ASCII letter/digit runs, case kept; "$" stays on its word ("$GME").
    Everything else separates, emoji included ("🚀🚀GME🚀" -> [b"GME"]): encode, translate
    and split all run in C, which makes this the cheapest way to see which words a text has."""
    return text.encode().translate(_ASCII_WORDS).split()


def _words_of(text: str) -> list[bytes]:
    """The words of ``text``, lower-cased, as bytes split at spaces and ASCII punctuation."""
    return text.lower().encode().translate(_SPLIT).split()


def company_name(symbol: str) -> str | None:
    """The listed name of ``symbol`` ("GameStop Corporation"), or None if not in the universe."""
    return _universe().names.get(symbol.upper())


def is_listed(symbol: str, at: float | None = None) -> bool:
    """Whether ``symbol`` traded on a US exchange at ``at`` (epoch seconds); None: as shipped."""
    u = _universe()
    symbol = symbol.upper()
    return symbol in u.names and u.listings.valid(symbol, at)


def listing(symbol: str) -> Listing | None:
    """When ``symbol`` traded, and what it became, if the universe knows it changed."""
    return _universe().listings.windows.get(symbol.upper())


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the given spans replaced by spaces: offsets stay valid."""
    parts: list[str] = []
    last = 0
    for start, end in spans:
        begin = max(start, last)  # overlapping spans (a URL inside code)
        parts.append(text[last:begin])
        parts.append(" " * max(0, end - begin))
        last = max(last, end)
    parts.append(text[last:])
    return "".join(parts)


def _shouting(text: str, pos: int) -> bool:
    """Whether the line around ``pos`` is written in capitals: there capitals carry no
    signal, while in a mixed-case line a capitalised symbol stands out as one."""
    if "\n" in text:
        end = text.find("\n", pos)
        text = text[text.rfind("\n", 0, pos) + 1 : end if end >= 0 else len(text)]
    return len(text) >= 10 and text.isupper()


def extract(text: str, *, thread_symbols: frozenset[str] = frozenset(), at: float | None = None) -> list[TickerMention]:
    """All ticker mentions in ``text``, in order of position (one per place; a symbol may
    appear several times). ``thread_symbols`` are symbols already seen in the same thread
    (a post's cashtags, for its comments): evidence that a bare word there is the ticker.
    ``at`` is when the text was written (epoch seconds): only symbols that traded then count,
    and a cashtag of one that did not is kept as unknown. None reads the universe as shipped."""
    found = _in_time(_scan(text, thread_symbols), at)
    secondary = _secondary(text, found) if len({f[0] for f in found}) > 1 else frozenset()
    return [TickerMention(*f, role="secondary" if f[0] in secondary else "primary") for f in found]


def symbols(text: str, *, thread_symbols: frozenset[str] = frozenset(), at: float | None = None) -> list[str]:
    """Distinct known symbols in ``text`` at time ``at``, in order of first appearance."""
    if "$" in text and not ("`" in text or "    " in text or "\t" in text or "/" in text):
        # A sixth of all texts name tickers only by cashtag ("$OPFI the chart looks insane"):
        # then the symbols are the cashtags, in order, which one ``findall`` gives.
        u = _UNIVERSE or _universe()
        if u.words.keys().isdisjoint(text.encode().translate(_ASCII_WORDS).split()):
            return [s for s in _cashtag_symbols(text, u.names) if u.listings.valid(s, at)]
    found = _in_time(_scan(text, thread_symbols), at)
    if not found:
        return []
    if len(found) == 1:
        return [found[0][0]] if found[0][5] else []
    return list(dict.fromkeys([f[0] for f in found if f[5]]))


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
    u = _UNIVERSE or _universe()
    out: dict[int, dict[str, list[str]]] = {}
    for text, at, author in texts:
        named = {
            f[0]
            for f in _in_time(_scan(text, frozenset()), at)
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
        u = _UNIVERSE or _universe()
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


# (symbol, start, end, method, confidence, known): TickerMention's fields, as a plain tuple
# while scanning (a tuple is several times cheaper to make than a dataclass instance).
_Found = tuple[str, int, int, str, float, bool]


def _in_time(found: list[_Found], at: float | None) -> list[_Found]:
    """``found`` as read on the day ``at``: a symbol that did not trade then is no mention of
    it (a cashtag of it stays, as unknown, like any unlisted cashtag)."""
    windows = (_UNIVERSE or _universe()).listings.windows
    if not found or windows.keys().isdisjoint([f[0] for f in found]):
        return found
    out: list[_Found] = []
    for f in found:
        window = windows.get(f[0])
        if window is None or window.valid(at):
            out.append(f)
        elif f[3] == "cashtag":
            out.append((f[0], f[1], f[2], f[3], 0.5, False))
    return out


# Words that make the symbol right after them another company's partner, customer, supplier
# or peer: "BlackBerry expands partnership with Baidu", "partners with Amazon, Dell".
_POLICY_NAMES = ("accept", "unless_loud", "nearby", "adjacent", "strong")  # by policy value, below


@dataclass(frozen=True)
class Candidate:
    """A bare word-like symbol as the rules judged it, with the text it stands in: what a
    learned second opinion (``eval/tickers/disambiguation.py``) is trained on and measured by."""

    symbol: str
    start: int
    end: int
    rule: str  # the context the rules asked for and how word-like the symbol is: "adjacent/word"
    refused: bool  # by the rules
    named: bool  # the rules found the same symbol elsewhere in the text: refusing this one changes nothing
    prose: str  # the text as the rules read it (URLs and code blanked)
    others: tuple[str, ...]  # the symbols the rules found in the text


def candidates(text: str, *, thread_symbols: frozenset[str] = frozenset(), at: float | None = None) -> list[Candidate]:
    """The bare word-like symbols of ``text`` (listed at ``at``), each accepted or refused by
    the rules."""
    out: list[Candidate] = []
    u = _UNIVERSE or _universe()

    def collect(
        prose: str, bare: list[tuple[str, int, int]], refused: list[tuple[str, int, int, int]], found: dict[int, _Found]
    ) -> None:
        refused_at = {r[1] for r in refused}
        others = tuple(f[0] for f in found.values())
        for symbol, start, policy in bare:
            if u.listings.valid(symbol, at):
                kind = u.kinds.get(symbol)
                rule = f"{_POLICY_NAMES[policy]}/{kind.name.lower() if kind else 'unknown'}"
                end = start + len(symbol)
                out.append(Candidate(symbol, start, end, rule, start in refused_at, symbol in others, prose, others))

    _scan(text, thread_symbols, collect)
    return out


_RELATION = re.compile(
    r"\b(?:partner(?:ship|s|ed|ing)?(?:\s+with)?|deal\s+with|contract\s+with|agreement\s+with|customers?|clients?|"
    r"suppliers?|supplied\s+by|competitors?|rivals?|peers?|competes\s+with|compared\s+to|vs\.?|versus|"
    r"such\s+as|acquired\s+by|backed\s+by|works\s+with|working\s+with|teams?\s+up\s+with)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?]\s|\n")
_RELATION_REACH = 60  # characters before a mention a relation word may stand ("partners with Amazon, HP, Dell")


def _secondary(text: str, found: list[_Found]) -> frozenset[str]:
    """Symbols every mention of which follows a relation word in its sentence (within a short
    reach), while some other symbol is named as a subject: what the text is about is not them.
    Sentence boundaries are found once per text."""
    boundaries = [m.end() for m in _SENTENCE_END.finditer(text)]
    related: dict[str, bool] = {}
    for f in sorted(found, key=lambda f: f[1]):
        i = bisect.bisect_right(boundaries, f[1]) - 1
        sentence_start = boundaries[i] if i >= 0 else 0
        is_related = _RELATION.search(text, max(sentence_start, f[1] - _RELATION_REACH), f[1]) is not None
        related[f[0]] = related.get(f[0], True) and is_related
    subjects = [s for s, r in related.items() if not r]
    return frozenset(s for s, r in related.items() if r) if subjects else frozenset()


# What a bare capitalised symbol needs, by kind (precomputed per symbol, checked in the hot loop).
_ACCEPT = 0  # well-known and not a word: always
_UNLESS_LOUD = 1  # distinct: unless the line shouts, then a finance word nearby
_NEARBY = 2  # somewhat word-like: a finance word or another ticker nearby (adjacent if shouting)
_ADJACENT = 3  # a word: a finance word right next to it, never in a shouting line
_STRONG = 4  # jargon: "shares of IT"-style naming, never in a shouting line


# Who is shown the bare symbols once the rules have judged them: (prose, bare, refused, found);
# :func:`candidates` collects them for measuring a learned second opinion.
_Weigh = Callable[[str, list[tuple[str, int, int]], list[tuple[str, int, int, int]], dict[int, _Found]], None]


def _scan(  # noqa: PLR0912, PLR0915 - hot loop, inlined
    text: str, thread_symbols: frozenset[str], weigh: "_Weigh | None" = None
) -> list[_Found]:
    """The mentions in ``text``. Written for speed, since it runs on every post and comment:
    the words of the text are split and matched against every name and symbol in C
    (:func:`_ascii_words`, one set intersection); Python looks only at the few words that
    can be tickers, and only there finds positions and weighs context."""
    u = _UNIVERSE or _universe()
    found: dict[int, _Found] = {}  # start -> mention
    if "`" in text or "    " in text or "\t" in text or ("/" in text and _URLISH.search(text) is not None):
        prose = _not_prose(text, u, found)
    else:
        prose = text
    words = prose.encode().translate(_ASCII_WORDS).split()  # _ascii_words, inlined
    if thread_symbols:
        _named_in_context(prose, words, thread_symbols, found)
    known_words = u.words
    hits = known_words.keys() & words
    if not _LONE_CAPITALS.isdisjoint(words) and _SPACED.search(prose) is not None:
        _spelled_out(prose, u, found)
    if not hits:
        if "$" in prose:
            _cashtags(prose, u.names, found)
        elif not found:
            return []
        if len(found) < 2:
            return list(found.values())
        return [found[k] for k in sorted(found)]
    bare: list[tuple[str, int, int]] = []
    least = _STRONG  # the least context any bare symbol in ``bare`` needs
    adjacent: bool | None = None  # whether the text has any word that can be evidence next to a symbol
    n = len(prose)
    for word in hits:
        what = known_words[word]
        options: tuple[tuple[str, str], ...]
        alone: str | int | None
        if isinstance(what, (int, str)):
            options, alone = (), what
        elif isinstance(what, tuple):
            options, alone = what
        elif isinstance(what, _Shouted):
            _shouted_name(prose, word.decode(), what.symbol, found)
            continue
        elif isinstance(what, _Plain):
            if adjacent is None:
                adjacent = _may_be_adjacent(prose, words)
            if adjacent:
                _plain_written(prose, word.decode(), what.symbol, found)
            continue
        else:  # the rarest word of a lower-case name ("gamestop", "tsla", "bank of america")
            _lower_names(prose, what, found)
            continue
        token = word.decode()
        length = len(token)
        start = prose.find(token)
        while start >= 0:
            end = start + length
            prev = prose[start - 1] if start else " "
            after = prose[end] if end < n else " "
            if (
                (prev in _BAD_BEFORE and not (prev == "/" and _PAIR_BEFORE.search(prose, max(0, start - 8), start)))
                or after in _BAD_AFTER
                or (prev > "\x7f" and prev.isalnum())
                or (after > "\x7f" and after.isalnum())
                or (after == "-" and prose[end + 1 : end + 2].isdigit())
            ):
                # Glued ("x$Y", "sec.gov/GME", "u/NVDA"), part of a longer word ("GMEX") or a model
                # or drug name ("GLP-1", "F-150"); a name may go on past an ampersand ("AT&T").
                if after == "&" and options and prev not in _BAD_BEFORE:
                    _phrase(prose, start, options, found)
            elif options and _phrase(prose, start, options, found):
                pass
            elif isinstance(alone, int):
                if after == "." and prose[end + 1 : end + 2].isalpha():
                    pass  # "NVDA.com", "GME.Then"
                elif alone == _ACCEPT:  # a well-known ticker that is no word: no context needed
                    found[start] = (token, start, end, "symbol", 0.85, True)
                else:
                    bare.append((token, start, alone))
                    least = min(least, alone)
            elif alone == ".":
                share = f"{token}.{prose[end + 1 : end + 2]}"
                if share in u.kinds and not prose[end + 2 : end + 3].isalnum():
                    policy = _policy(share, u.kinds[share])
                    bare.append((share, start, policy))
                    least = min(least, policy)
            elif alone:
                found[start] = (alone, start, end, "symbol" if token.upper() == alone else "name", 0.9, True)
            start = prose.find(token, end)
    if "$" in prose:
        _cashtags(prose, u.names, found)
    if bare and (least < _ADJACENT or thread_symbols or found or "(" in prose or _may_be_adjacent(prose, words)):
        refused = _bare_words(prose, words, bare, u, found, thread_symbols)
    else:
        refused = [(symbol, start, start + len(symbol), policy) for symbol, start, policy in bare]
    if bare and weigh is not None:
        weigh(prose, bare, refused, found)
    if not _OTHER_SENSE.isdisjoint([f[0] for f in found.values()]):
        _drop_other_senses(prose, found)
    if len(found) < 2:
        if found and _not_the_company(prose, next(iter(found.values())), u):
            return []
        return list(found.values())
    _drop_parts_and_acronyms(prose, found, u)
    return [found[k] for k in sorted(found)]


# Symbols whose name or letters, in some company, mean something else than the security.
_PLATFORM = frozenset({"HOOD", "SCHW", "IBKR"})  # a broker's name is mostly the app people trade in
_BROKER_LETTERS = frozenset({"TD"})  # on the forum, bare "TD" is TD Ameritrade ("TD said I can trade options")
_BANK_SENSE = frozenset(  # ... unless the bank's business is the subject ("TD Bank beat estimates")
    v.encode()
    for w in ("bank", "earnings", "dividend", "dividends", "eps", "revenue")
    for v in (w, w.title(), w.upper())
)
_BANK = frozenset({"GS", "JPM", "MS", "WFC", "C", "BAC", "DB", "UBS", "CS", "BCS", "JEF", "RY", "TD"})
_NEXT_SENSE: dict[str, frozenset[str]] = {
    "GOOGL": _words(
        "it trends search searches searched sheets docs doc maps play translate drive news images home "
        "assistant pay fi form forms earth chrome scholar finance lens is"
    ),
    "GOOG": _words("it trends search sheets docs maps play translate drive news finance is"),
    "TD": _words("ameritrade waterhouse direct"),
    "RBC": _words("capital"),
    "V": _words("card cards application applications system status holders holder issue issues"),
    "BB": _words("gun guns cream bands band"),
    "DM": _words("me you for s d ed or"),  # a direct message: "DM me", "DM for info", "DM'd you"
    "SPGI": _words("manufacturing market ratings rating pmi platts composite services"),  # a data vendor
    "WEN": _words("lambo lambos moon tendies"),  # "WEN LAMBO": when, the forum's oldest joke
    "SPOT": _words("gamma"),  # SpotGamma, an options-data service
    "BK": _words("filing court protection"),  # bankruptcy
}
_PREV_SENSE: dict[str, frozenset[str]] = {
    "GOOGL": _words("on"),  # "top query on Google"
    "GOOG": _words("on"),
    "DM": _words("a my me your the via can pls please"),  # "send me a DM", "you can DM"
    "BK": _words("post pre declare declared declaring file filed filing chapter"),  # "post BK": bankruptcy
}
_WORD_SENSE = frozenset({"DM"})  # where a stock word beside the symbol keeps it ("my DM shares")
_LIST_WORDS = _words("or and vs")  # "MVIS or DM?": a choice of tickers
_NEAR_SENSE: dict[str, frozenset[str]] = {
    "BB": _words("bollinger rsi macd ema sma vwap indicator indicators stochastic fibonacci"),
}
_OTHER_SENSE = _PLATFORM | _BANK | _NEXT_SENSE.keys() | _PREV_SENSE.keys() | _NEAR_SENSE.keys()
_STOCK_NEXT = _words(
    "stock stocks share shares ipo ipos earnings call calls put puts option options valuation price market "
    "s-1 listing lockup short shorts bagholders investors 🚀"
)
_TRADE_WORDS = _words("buy sell short hold")
_STOCK_BEFORE = _words("bought buy buying sell selling sold short shorting long own owning invest invested")
_BANK_ROLE = _words(  # a bank as analyst or underwriter of someone else's stock
    "analyst analysts upgrade upgrades upgraded downgrade downgrades downgraded target targets rating ratings "
    "initiates initiated reiterates reiterated overweight underweight outperform underperform coverage pt "
    "underwriter underwriters underwritten bookrunner bookrunners lowers raises cuts view views "
    "expects forecasts predicts strategist strategists economist economists maker makers"
)


def _drop_other_senses(prose: str, found: dict[int, _Found]) -> None:
    """Forget mentions that read, in their place, as something else: a broker as the app
    ("my Robinhood account"), a bank as an analyst ("RBC downgrades BB"), "Google it",
    "TD Ameritrade", Bollinger Bands. A symbol also named as a cashtag stays."""
    cashtagged = {f[0] for f in found.values() if f[3] == "cashtag"}
    for start, f in list(found.items()):
        symbol, end, method = f[0], f[2], f[3]
        if symbol not in _OTHER_SENSE or method == "cashtag" or symbol in cashtagged:
            continue
        after = [
            w.strip(",.:;!?()'\"’").removesuffix("'s").removesuffix("’s")
            for w in prose[end : end + 40].lower().split()[:2]
        ]
        before = prose[max(0, start - 40) : start].lower().split()[-3:]
        near = set(_words_of(prose[max(0, start - _CUE_WINDOW) : end + _CUE_WINDOW]))
        drop = (bool(after) and after[0] in _NEXT_SENSE.get(symbol, ())) or (
            bool(before) and before[-1] in _PREV_SENSE.get(symbol, ())
        )
        if symbol in _NEAR_SENSE:
            drop = drop or not near.isdisjoint(w.encode() for w in _NEAR_SENSE[symbol])
        stock_sense = (
            (bool(after) and after[0] in _STOCK_NEXT)
            or (bool(before) and before[-1] in _STOCK_BEFORE)
            or not _TRADE_WORDS.isdisjoint(after)  # "Is Robinhood a buy"
        )
        if symbol in _PLATFORM and method == "name":
            drop = drop or not stock_sense
        if symbol in _BROKER_LETTERS and method == "symbol":
            drop = drop or not (stock_sense or not near.isdisjoint(_BANK_SENSE))
        if symbol in _WORD_SENSE:
            drop = drop and not stock_sense and not (bool(before) and before[-1] in _LIST_WORDS)
        if symbol in _BANK and method == "name":
            drop = drop or (not stock_sense and not near.isdisjoint(w.encode() for w in _BANK_ROLE))
        if drop:
            del found[start]


_INITIALS = re.compile(r"[A-Za-z][\w'’-]*")


def _spelled_before(prose: str, f: _Found, u: _Universe) -> bool:
    """Whether a bare symbol only abbreviates the words right before it ("Renewable Natural
    Gas (RNG)", "Exchange Traded Fund ETF"): a term being defined, not the company, unless
    those words are the company's own name ("Advanced Micro Devices AMD")."""
    symbol, start, method = f[0], f[1], f[3]
    if method != "symbol" or not 3 <= len(symbol) <= 5 or not symbol.isalpha():
        return False  # two initials match by chance too often ("Bananas Buy BB")
    cut = max(0, start - 2)
    last = max(prose.rfind(" ", 0, cut), prose.rfind("\n", 0, cut)) + 1  # the word before: "Gas " or "Gas ("
    if prose[last : last + 1] != symbol[-1]:
        return False  # the usual case, decided without a regex
    before = _INITIALS.findall(prose, max(0, start - 16 * len(symbol)), start)[-len(symbol) :]
    if len(before) < len(symbol) or "".join(w[0] for w in before).upper() != symbol:
        return False
    if not all(w[0].isupper() and not w.isupper() and w.lower().encode() not in _CUE_WORDS for w in before):
        return False  # "APE MAKING CAKE AMC", "Short Buy SB": in capitals or trades, initials are chance
    if u.aliases.get(" ".join(before)) == symbol:
        return False
    name = re.sub(r"[^a-z]", "", u.names.get(symbol, "").lower())
    return not name.startswith(re.sub(r"[^a-z]", "", "".join(before).lower()))


# A capitalised word after a lesser-known symbol that makes it a firm of its own: "HIG
# Capital", "JMP Securities" are investors and analysts, not the listed company. Not for the
# well-known tickers ("PLTR Partners With IBM", "GME Research") nor before a verb.
_FIRM_AFTER = re.compile(r"[ \t]+(?:Capital|Securities|Research)\b(?![ \t]+(?:[Ww]ith|[Ss]ays?|[Ii]nto|[Tt]hread)\b)")
# Currency codes: after an amount ("raised 7B NOK") they are money, not Nokia.
_CURRENCIES = frozenset({"NOK", "SEK", "DKK", "CHF", "EUR", "GBP", "JPY", "AUD", "HKD", "CNY", "INR", "BRL", "MXN"})
# "7B NOK", "2 billion NOK"; "5k NOK" is a share count and a bare "9 NOK" may be a table
_AMOUNT_BEFORE = re.compile(r"\d\s?(?:[Bb]n?|mn|million|billion)\s\Z")


def _not_here(prose: str, f: _Found) -> bool:
    """Whether a bare symbol reads, in this place only, as something other than its company:
    a firm named after it or a currency after an amount ("NOK calls" later is Nokia again)."""
    symbol, start, end = f[0], f[1], f[2]
    if f[3] != "symbol":
        return False
    if symbol not in _WELL_KNOWN and _FIRM_AFTER.match(prose, end):
        return True
    return symbol in _CURRENCIES and _AMOUNT_BEFORE.search(prose, max(0, start - 16), start) is not None


def _not_the_company(prose: str, f: _Found, u: _Universe) -> bool:
    """Whether a lone bare symbol is something else where it stands (:func:`_not_here`) or a
    term spelled out before it (:func:`_spelled_before`)."""
    return _not_here(prose, f) or _spelled_before(prose, f, u)


def _drop_parts_and_acronyms(prose: str, found: dict[int, _Found], u: _Universe) -> None:
    """Forget a bare symbol inside a name already found ("Sirius XM" is SIRI, not XM too) or
    something else where it stands (:func:`_not_here`), and every bare one of a symbol that
    abbreviates the words before it (:func:`_spelled_before`) unless those words are its own
    name ("Advanced Micro Devices AMD"): a term once spelled out is that term all through the
    text ("... Renewable Natural Gas RNG ... using RNG as a fuel")."""
    names = [f for f in found.values() if f[3] == "name"]
    terms: set[str] = set()
    for start, f in list(found.items()):
        if f[3] != "symbol":
            continue
        if any(n[1] < start and f[2] <= n[2] for n in names) or _not_here(prose, f):
            del found[start]
        elif not any(n[0] == f[0] and 0 <= start - n[2] <= 2 for n in names) and _spelled_before(prose, f, u):
            terms.add(f[0])
    for start, f in list(found.items()):
        if f[0] in terms and f[3] == "symbol":
            del found[start]


def _cashtag_symbols(prose: str, names: dict[str, str]) -> list[str]:
    """The distinct known cashtags in ``prose``, in order: what :func:`_cashtags` finds, for
    :func:`symbols`, without positions."""
    out: list[str] = []
    for tag in _CASHTAG.findall(prose):
        if len(tag) == 1 and tag.islower():
            continue  # "$s upon $s": money
        symbol = tag.upper()
        if symbol not in names:
            if "." not in symbol:
                continue
            symbol = symbol.split(".")[0]  # "$GME.Then": a missing space
            if symbol not in names:
                continue
        if symbol not in out:
            out.append(symbol)
    return out


def _named_in_context(prose: str, words: list[bytes], thread_symbols: frozenset[str], found: dict[int, _Found]) -> None:
    """A symbol its thread or community names (the post's symbols, for a comment; what enough
    authors called a ticker today), written here in lower case or as a name: the ticker, as
    its own readers write it. Where it is no English word at all ("negg", "Clov") that is
    enough; a word ("wish", "Plug") also needs a trade right next to it ("buying Wish",
    "wish calls"), so "I wish" and "pull the plug" stay words."""
    adjacent: bool | None = None
    present: set[bytes] | None = None
    for form, symbol, word in _context_forms(thread_symbols):
        if form not in prose:  # one C-level search: the form is seldom there at all
            continue
        if present is None:
            present = set(words)
        if form.encode() not in present:  # inside a longer word: "override", "pride"
            continue
        if word and adjacent is None:
            adjacent = _may_be_adjacent(prose, words)
        if word and not adjacent:
            continue
        for m in re.finditer(rf"(?<![\w$/]){form}(?!\w)", prose):
            if not word or (_adjacent(prose, m.start(), m.end(), moon=True) and not _after_subject(prose, m.start())):
                found.setdefault(m.start(), (symbol, m.start(), m.end(), "name", 0.7 if word else 0.75, True))


_SUBJECTS = _words("i we you they he she who")


def _after_subject(prose: str, start: int) -> bool:
    """Whether a pronoun comes right before: "I wish calls were cheaper" is the verb."""
    before = prose[max(0, start - 8) : start].split()
    return bool(before) and before[-1].lower() in _SUBJECTS


@functools.lru_cache(maxsize=256)
def _context_forms(thread_symbols: frozenset[str]) -> tuple[tuple[str, str, bool], ...]:
    """The lower-case and capitalised forms :func:`_named_in_context` looks for, and whether
    each is an English word: worked out once per thread (a community's set lasts an hour)."""
    u = _UNIVERSE or _universe()
    out: list[tuple[str, str, bool]] = []
    for symbol in sorted(thread_symbols):
        if len(symbol) < 3 or not symbol.isalpha():
            continue
        kind = u.kinds.get(symbol)
        word = symbol in u.wordlike
        if word and (kind is _Kind.JARGON or symbol in u.everyday or symbol in _ALWAYS_WORD):
            continue
        if word or kind is _Kind.DISTINCT:
            out += [(symbol.lower(), symbol, word), (symbol.capitalize(), symbol, word)]
    return tuple(out)


def _plain_written(prose: str, token: str, symbol: str, found: dict[int, _Found]) -> None:
    """A symbol that is no English word, written in lower case or capitalised with a trade
    right next to it ("negg YOLO", "Negg puts", "bought clne"): how people type a ticker on a
    phone. Jargon and words never: "itm calls" is no ETF."""
    start = prose.find(token)
    while start >= 0:
        end = start + len(token)
        prev = prose[start - 1] if start else " "
        if not (prev.isalnum() or prev in "_$/") and _ends_word(prose, end) and _adjacent(prose, start, end, moon=True):
            found.setdefault(start, (symbol, start, end, "name", 0.7, True))
        start = prose.find(token, end)


def _shouted_name(prose: str, token: str, symbol: str, found: dict[int, _Found]) -> None:
    """A name in capitals where the line shouts, with a finance word or number beside it, as a
    bare symbol in such a line needs: many names are words too ("AFFIRM", "SNOWFLAKE"), and
    the names that are none already match in any case (``aliases.csv`` "any")."""
    start = prose.find(token)
    while start >= 0:
        end = start + len(token)
        if (
            _ends_word(prose, end)
            and (start == 0 or not prose[start - 1].isalnum())
            and _shouting(prose, start)
            and _near(prose, [], start, end)
        ):
            found.setdefault(start, (symbol, start, end, "name", 0.8, True))
        start = prose.find(token, end)


def _lower_names(prose: str, spellings: list[tuple[str, str]], found: dict[int, _Found]) -> None:
    """Lower-case names and tickers ("gamestop", "tsla", "bank of america") where they stand
    as words of their own."""
    for spelling, symbol in spellings:
        start = prose.find(spelling)
        while start >= 0:
            end = start + len(spelling)
            prev = prose[start - 1] if start else " "
            if not (prev.isalnum() or prev in _GLUE) and _ends_word(prose, end):
                method = "symbol" if spelling.upper() == symbol else "name"
                found.setdefault(start, (symbol, start, end, method, 0.85, True))
            start = prose.find(spelling, end)


# A run of single capitals: "G M E", "A M C".
_SPACED = re.compile(r"(?<![\w$])[A-Z](?: [A-Z]){2,4}(?!\w)")
# Capitals that stand alone as words, bar "I" and "A": a text with none (most) has no such run,
# and one set check (in C) spares the regex over it.
_LONE_CAPITALS = frozenset(bytes([c]) for c in b"BCDEFGHJKLMNOPQRSTUVWXYZ")


def _spelled_out(prose: str, u: _Universe, found: dict[int, _Found]) -> None:
    """A well-known ticker spelled letter by letter is how posters write around the bots and
    filters that react to the symbol itself; only a whole run counts ("I M A" is no ticker),
    and only a symbol that is no word, so a spelled abbreviation ("U S A") stays one."""
    for m in _SPACED.finditer(prose):
        symbol = m.group(0).replace(" ", "")
        if symbol in _WELL_KNOWN and u.kinds.get(symbol) is _Kind.DISTINCT:
            found.setdefault(m.start(), (symbol, m.start(), m.end(), "symbol", 0.8, True))


def _cashtags(prose: str, names: dict[str, str], found: dict[int, _Found]) -> None:
    """Cashtags, listed or not: "$GME", "$gme", "$BRK.B"; "$BBBY" (delisted) is kept as
    unknown; "$5" and "x$Y" are not cashtags."""
    for m in _CASHTAG.finditer(prose):
        if len(m.group(1)) == 1 and m.group(1).islower():
            continue  # "$s upon $s", "$k": money, not a ticker
        symbol = m.group(1).upper()
        if symbol not in names and "." in symbol:
            symbol = symbol.split(".")[0]  # "$GME.Then": a missing space
        known = symbol in names
        start = m.start()
        found[start] = (symbol, start, start + 1 + len(symbol), "cashtag", 0.99 if known else 0.5, known)


def _phrase(prose: str, start: int, options: tuple[tuple[str, str], ...], found: dict[int, _Found]) -> bool:
    """The longest multi-word name starting at ``start`` ("Bank of America"), if any."""
    for spelling, symbol in options:
        if prose.startswith(spelling, start) and _ends_word(prose, start + len(spelling)):
            found[start] = (symbol, start, start + len(spelling), "name", 0.9, True)
            return True
    return False


def _ends_word(text: str, end: int) -> bool:
    return end >= len(text) or not (text[end].isalnum() or text[end] == "-")


def _not_prose(text: str, u: _Universe, found: dict[int, _Found]) -> str:
    """Read code (quoted strings only) and URLs (quote pages only) into ``found``; return the
    text with both blanked, for the prose rules."""
    skipped: list[tuple[int, int]] = []
    if "`" in text or "    " in text or "\t" in text:
        _read_code(text, u, found, skipped)
    if "/" in text:
        if "://" in text or "ww." in text or "WW." in text:
            urls = [m.span() for m in _URL.finditer(text)]
        else:  # bare domains with a path; inside a URL with a scheme they are part of it already
            urls = [_around(text, m.start()) for m in _DOMAIN_PATH.finditer(text)]
        code = list(skipped)
        last = -1
        for start, end in urls:
            if start < last or (code and any(a <= start < b for a, b in code)):
                continue  # the same bare domain twice, or a URL inside code
            last = end
            skipped.append((start, end))
            q = _QUOTE_URL.search(text, start, end)
            if q:
                symbol = q.group(1).upper().replace("-", ".")
                if symbol in u.names:
                    found[q.start(1)] = (symbol, q.start(1), q.start(1) + len(symbol), "symbol", 0.9, True)
    if not skipped:
        return text
    if len(skipped) == 1:
        start, end = skipped[0]
        return f"{text[:start]}{' ' * (end - start)}{text[end:]}"
    return _blank(text, sorted(skipped))


def _read_code(text: str, u: _Universe, found: dict[int, _Found], skipped: list[tuple[int, int]]) -> None:
    """Code blocks and spans: skipped as prose; a quoted symbol in them ('TSLA') counts."""
    for m in _CODE.finditer(text):
        skipped.append(m.span())
        for s in _CODE_STRING.finditer(m.group(0)):
            symbol = s.group(1)
            if len(symbol) > 1 and u.kinds.get(symbol) in (_Kind.DISTINCT, _Kind.LOOSE):
                start = m.start() + s.start(1)
                found[start] = (symbol, start, start + len(symbol), "symbol", 0.8, True)


def _around(text: str, pos: int) -> tuple[int, int]:
    """The whitespace-delimited word around ``pos``: a bare domain and its path."""
    start = pos
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    end = pos
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def _bare_words(  # noqa: PLR0912, PLR0915, PLR0917 - the policies side by side read better than split apart
    prose: str,
    words: list[bytes],
    bare: list[tuple[str, int, int]],
    u: _Universe,
    found: dict[int, _Found],
    thread: frozenset[str],
) -> list[tuple[str, int, int, int]]:
    """Capitalised words that are listed symbols, accepted on the evidence their policy needs;
    returns those refused.

    Evidence anywhere: the same symbol as a cashtag or name in the text or in the thread, or
    the company's name next to it ("Allstate (ALL)"). Evidence by place: the subject that
    opens a title ("BB today", "VALE TO THE MOON"). Then two passes: the first accepts what
    needs no neighbourhood; the second weighs the rest against finance words *and* the
    tickers found so far, since a list like "JNJ, PG, KO" is its own context; last, a word
    that stands in a list of tickers ("GME BB NOK", "FUBO, FUTU, FOUR") is one of them."""
    seen = [f[0] for f in found.values()] if found else ()  # symbols named elsewhere in the text
    parens = "(" in prose
    multiline = "\n" in prose
    cue_words: bool | None = None
    shouting: bool | None = None  # for one-line texts (the usual), computed once when needed
    pending: list[tuple[str, int, int]] = []
    rejected: list[tuple[str, int, int, int]] = []
    for symbol, start, policy in bare:
        end = start + len(symbol)
        if (
            symbol in thread
            or symbol in seen
            or (
                parens
                and (prose[start - 1 : start] == "(" or prose[end : end + 2] == " (")
                and _named_alongside(prose, start, end, u.names[symbol])
            )
            or (prose[start - 1 : start] == " " and _named_before(prose, start, symbol, u.names[symbol]))
        ):
            found.setdefault(start, (symbol, start, end, "symbol", 0.9, True))
            continue
        if (policy < _NEARBY or u.kinds.get(symbol) is _Kind.SOMEWHAT) and _opens_title(prose, start):
            found.setdefault(start, (symbol, start, end, "symbol", 0.8, True))
            continue
        if policy >= _ADJACENT:
            # A word or jargon needs a finance word right next to it: if the text has none at
            # all (one C-level check per text, the usual case), only a list can still tell.
            if cue_words is None:
                cue_words = _may_be_adjacent(prose, words)
            if not cue_words:
                rejected.append((symbol, start, end, policy))
                continue
        if multiline:
            loud = _shouting(prose, start)
        elif shouting is None:
            loud = shouting = len(prose) >= 10 and prose.isupper()  # _shouting, for one line
        else:
            loud = shouting
        if policy == _UNLESS_LOUD:
            if loud and not _short_line(prose, start):
                pending.append((symbol, start, end))
            else:
                found.setdefault(start, (symbol, start, end, "symbol", 0.85, True))
        elif policy == _NEARBY and not loud:
            pending.append((symbol, start, end))
        elif loud and policy != _NEARBY:
            rejected.append((symbol, start, end, policy))  # capitals say nothing in a shouting line
        else:  # a word or jargon in a mixed-case line, or a somewhat word-like symbol in a shouting one
            if policy == _STRONG:
                accepted = _strong_before(prose, start)
            else:  # a word needs evidence right next to it
                # An everyday word ("sell LOW", "long LIVE", "all in ON") is read by what follows it.
                accepted = (cue_words if cue_words is not None else _may_be_adjacent(prose, words)) and _adjacent(
                    prose, start, end, before=symbol not in u.everyday
                )
            if accepted:
                found.setdefault(start, (symbol, start, end, "symbol", 0.7 if policy == _STRONG else 0.75, True))
            else:
                rejected.append((symbol, start, end, policy))
    if pending and len(prose) > 2 * _CUE_WINDOW:
        starts = sorted(found)
        for symbol, start, end in pending:
            if _near(prose, starts, start, end):
                found.setdefault(start, (symbol, start, end, "symbol", 0.8, True))
            else:
                rejected.append((symbol, start, end, _NEARBY))
    elif pending and (found or not _CUE_BYTES.isdisjoint(words) or _CUE_NUMBER.search(prose) is not None):
        # a short text is one window: a finance word or another ticker anywhere in it counts
        for symbol, start, end in pending:
            found.setdefault(start, (symbol, start, end, "symbol", 0.8, True))
    else:
        rejected += [(symbol, start, end, _NEARBY) for symbol, start, end in pending]
    if rejected and found:
        _in_lists(prose, rejected, found)
        return [r for r in rejected if r[1] not in found]
    return rejected


# What may separate the symbols of a list: "FUBO, FUTU, FOUR", "GME/AMC", "WISH AND BB",
# "AMC & BB"; or a bare space after a ticker ("GME BB NOK"), never before one: a word just
# before a ticker is mostly a preposition ("FOR NIO", "SQUEEZE ON BB"). Jargon needs commas
# or slashes on both sides (see _in_lists).
_LIST_SEPARATOR = re.compile(r"[ \t]*(?:[,/&|+;]|\band\b|\bAND\b|\bor\b|\bOR\b|\bvs\.?)[ \t]*")
_LIST_STRICT = re.compile(r"[ \t]*[,/|;][ \t]*")


def _in_lists(prose: str, rejected: list[tuple[str, int, int, int]], found: dict[int, _Found]) -> None:
    """Accept rejected symbols that stand right beside an accepted ticker in a list, until no
    more join (a list is read outward from the tickers it surely holds). In a shouting line a
    space says nothing ("BUYING MORE AMC ON MONDAY"), and an everyday word after a ticker
    needs a separator ("NVDA AI chips" is not two tickers). Each pass is linear; passes
    alternate direction, so a list anchored at either end joins in one or two."""
    ends = {f[2] for f in found.values() if f[3] != "name"}  # lists are of symbols ("GME BB NOK")
    starts = {f[1] for f in found.values() if f[3] != "name"}
    pending = sorted(rejected, key=lambda r: r[1])
    forward = True
    while pending:
        joined_any = False
        left: list[tuple[str, int, int, int]] = []
        for item in pending if forward else reversed(pending):
            symbol, start, end, policy = item
            gap = _LIST_GAP_BEFORE.search(prose, max(0, start - 8), start)
            explicit = gap is not None and _LIST_SEPARATOR_CHARS.search(gap.group(0)) is not None
            after = _skip_gap(prose, end, _LIST_SEPARATOR)
            if policy == _STRONG:
                strict_after = _skip_gap(prose, end, _LIST_STRICT)
                joined = (
                    gap is not None
                    and gap.start() in ends
                    and _LIST_STRICT.fullmatch(prose, gap.start(), start) is not None
                    and strict_after != end
                    and strict_after in starts
                )
            else:
                spaced_ok = symbol not in _ALWAYS_WORD and not (policy == _ADJACENT and _shouting(prose, start))
                joined = (after != end and after in starts) or (
                    gap is not None and gap.start() in ends and (explicit or spaced_ok)
                )
            if joined:
                found[start] = (symbol, start, end, "symbol", 0.75, True)
                ends.add(end)
                starts.add(start)
                joined_any = True
            else:
                left.append(item)
        if not joined_any:
            break
        pending = sorted(left, key=lambda r: r[1])
        forward = not forward


# The gap just before a symbol, back to the end of the word before it (searched in a short
# window ending at the symbol, so it costs the same however long the text).
_LIST_GAP_BEFORE = re.compile(r"[ \t]*(?:[,/&|+;]|\band\b|\bAND\b|\bor\b|\bOR\b|\bvs\.?)?[ \t]*\Z")
_LIST_SEPARATOR_CHARS = re.compile(r"[,/&|+;]|and|AND|or|OR|vs")


def _skip_gap(prose: str, end: int, gap: re.Pattern[str]) -> int:
    m = gap.match(prose, end)
    return m.end() if m else end


def _short_line(prose: str, pos: int) -> bool:
    """Whether the line around ``pos`` has at most six words: a shouted headline ("URGENT BNGO
    ANNOUNCEMENT"), where a symbol that is no word at all can only be the subject."""
    line_start = prose.rfind("\n", 0, pos) + 1
    line_end = prose.find("\n", pos)
    return len(prose[line_start : line_end if line_end >= 0 else len(prose)].split()) <= 6


def _opens_title(prose: str, start: int) -> bool:
    """Whether the symbol is the first word of the text: on a finance forum, the subject of a
    title ("BB today", "VALE TO THE MOON", "PTN palatin technologies...")."""
    return start < 8 and prose[:start].strip(" \t*#>[(\"'") == ""


def _may_be_adjacent(prose: str, words: list[bytes]) -> bool:
    """Whether anything in the text could be evidence right next to a word-like symbol: one
    set check and one regex over the whole text, so most texts skip the per-symbol look."""
    return (
        not _ADJACENT_WORDS.isdisjoint(words)
        or _NUMBER_CUE.search(prose) is not None
        or "🚀" in prose
        or "moo" in prose
        or "m00" in prose
    )


def _named_alongside(text: str, start: int, end: int, name: str) -> bool:
    """Whether the company's own name frames the symbol: "Allstate (ALL)", "LOVE (Lovesac)"."""
    if start > 0 and text[start - 1] == "(" and text[end : end + 1] == ")":
        first = _first_name_word(name)
        before = text[max(0, start - 40) : start - 1].rstrip().lower()
        return bool(first) and (before.endswith(first) or f"{first} " in before[-len(first) - 25 :])
    if text[end : end + 2] == " (":
        first = _first_name_word(name)
        return bool(first) and text[end + 2 : end + 2 + len(first)].lower() == first
    return False


# What may stand between a company's name and its symbol once punctuation is gone: the rest
# of the name ("Central Garden amp Pet Company CENT", "Dave amp Buster s PLAY").
_NAME_GLUE = frozenset(("amp", "&", "and", "of", "the", "s"))


def _named_before(text: str, start: int, symbol: str, name: str) -> bool:
    """Whether the company's name, capitalised, runs right up to the symbol ("Dana Incorporated
    DAN"): it is "Name (SYMBOL)" in a dump that strips punctuation, and the row of every ranked
    list ("Company Ticker Price Change"). The name's first word must be written as in the name,
    and every word after it be part of a name."""
    first = _name_head(symbol, name)
    window = text[max(0, start - 60) : start]
    if not first or first not in window:
        return False
    for word in reversed(window.split()[-6:]):
        if word == first:
            return True
        if not (word[:1].isupper() or word in _NAME_GLUE):
            return False
    return False


@functools.cache
def _name_head(symbol: str, name: str) -> str:
    """The name's first word as written, or "" when it is too short or is the symbol itself
    ("Ally Financial ALLY" says nothing a bare "Ally ALLY" would not)."""
    words = [w.strip(",.") for w in name.split() if w != "The"]
    return words[0] if words and len(words[0]) >= 3 and words[0].upper() != symbol else ""


@functools.cache
def _first_name_word(name: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9&.']+", name) if w and w.lower() != "the"]
    return words[0].lower().rstrip(".") if words else ""


def _adjacent(text: str, start: int, end: int, *, before: bool = True, moon: bool = False) -> bool:
    """Evidence right next to the word: a following "calls"/"30c"/"shares", "to the moon" (with
    ``moon``), or a preceding "bought"/"shares of"/"calls on" (only "shares of"-like pairs
    without ``before``)."""
    after = text[end : end + 14].lower().split(None, 1)
    if (after and after[0].strip(",.:;!?") in _NEXT_WORDS) or _NEXT_NUMBER.match(text, end):
        return True
    if moon and _TO_THE_MOON.match(text, end):
        return True
    if after and after[0].strip(",.:;!?") in _NEXT_EVENTS and text[start:end] not in _ALWAYS_WORD:
        return True
    if not before:
        return " ".join(text[max(0, start - 30) : start].lower().split()[-2:]) in _PREV_STRONG
    words = text[max(0, start - 30) : start].lower().split()
    return bool(words) and (
        words[-1] in _PREV_WORDS
        or " ".join(words[-2:]) in _PREV_PAIRS
        or (len(words) > 2 and " ".join(words[-3:]) in _PREV_PAIRS)
    )


def _strong_before(text: str, start: int) -> bool:
    words = text[max(0, start - 30) : start].lower().split()
    return bool(words) and (words[-1] in _PREV_STRONG or " ".join(words[-2:]) in _PREV_STRONG)


def _near(text: str, starts: list[int], start: int, end: int) -> bool:
    """Whether a finance word, or another ticker (``starts``: where the found ones start,
    sorted), is within the window around the symbol."""
    lo, hi = start - _CUE_WINDOW, end + _CUE_WINDOW
    i = bisect.bisect_left(starts, lo)
    if i < len(starts) and starts[i] <= hi:
        return True
    window = text[max(0, lo) : max(0, start)] + " " + text[end:hi]
    return not _CUE_WORDS.isdisjoint(_words_of(window)) or _CUE_NUMBER.search(window) is not None


def main(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """``python -m common.extraction``: JSON lines ``{"text", "created_utc"?, "thread_text"?}``
    in, one ``{"symbols": [...], "secondary": [...]}`` line out per input line, in order. A line
    that is not such an object gets ``{"error": ...}`` and the rest go on; the exit status is 1
    if any line failed."""
    failed = False
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ValueError('expected an object with a "text" string')
            at = row.get("created_utc")
            at = None if at is None else float(at)
            thread_text = row.get("thread_text") or ""
            thread = frozenset(symbols(thread_text, at=at)) if thread_text else frozenset()
            found = [m for m in extract(row["text"], thread_symbols=thread, at=at) if m.known]
            primary = {m.symbol for m in found if m.role == "primary"}
            ordered = list(dict.fromkeys(m.symbol for m in found))
            out: dict[str, object] = {"symbols": ordered, "secondary": [s for s in ordered if s not in primary]}
        except (ValueError, TypeError) as exc:
            failed = True
            out = {"error": f"line {number}: {exc}"}
        stdout.write(json.dumps(out) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
