"""Ticker extraction: text in, mentions out.

Reddit finance trackers fail in two known ways: they count words as tickers (IT, ALL, ON,
DD, YOLO, CEO) and they miss real ones (``$gme``, "Nvidia", ``🚀🚀GME🚀``). The rules here
weigh evidence the way a reader of r/wallstreetbets does:

- A cashtag (``$GME``, ``$gme``, ``$BRK.B``) is strong evidence on its own. A cashtag that
  is not in the shipped universe is kept, marked ``known=False`` (delisted or made up).
- A company name or common alias ("GameStop", "Nvidia", "C3.ai") maps to its symbol.
- A bare word counts only if it is a listed symbol written in capitals and its context
  supports it. How much support it needs depends on how much it looks like a word
  (:class:`_Kind`): ``NVDA`` needs none in mixed-case text, ``HOOD`` needs a finance word
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
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

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


class _Kind(enum.Enum):
    """How much a symbol looks like something other than a ticker, hence how much context a
    bare mention needs."""

    DISTINCT = "distinct"  # not a word (NVDA, GME, PLTR), or a well-known ticker (META, SPY)
    SOMEWHAT = "somewhat"  # an uncommon word or abbreviation (MU, YETI, LUV): needs a finance word nearby
    LOOSE = "loose"  # a common word that is also a well-known ticker (HOOD, COIN): finance word nearby
    WORD = "word"  # a common word or acronym (ON, IT, ALL, NOW, AI): needs adjacent evidence
    JARGON = "jargon"  # Reddit/finance jargon (DD, YOLO, CEO, EPS, ATH, IMO): cashtag only


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


# Jargon and abbreviations that are listed symbols (or could become one) but, written bare,
# mean the jargon. Only a cashtag turns them into tickers.
_JARGON = _words(
    """
    DD YOLO CEO CFO CTO COO CIO EPS ATH ATL IMO IMHO USA US UK EU IPO ETF SEC FDA GDP CPI PPI
    FOMC FED EOD EOW EOY YTD QOQ YOY ITM OTM ATM IV PT ER PE EV OTC NYSE TLDR FOMO HODL LOL
    LMAO WTF OMG FYI TBH IIRC AFAIK ELI IRA ROTH HSA APE APES MOON BUY SELL HOLD LONG SHORT
    CALL PUT PUTS CALLS GAIN LOSS BEAR BULL BULLS BEARS RH WSB SPAC REIT USD EUR BTC ETH DOGE
    NFT OK TV PC GPU CPU API EV EVS LLC INC CO CORP LTD NA TA FA PR HR IT IRS DOJ FTC FBI
    CIA NASA NATO CNBC WSJ CNN BBC NYT ESG ROI ROE EBIT FCF DCF PEG MACD RSI EMA SMA VWAP
    BB IMF ECB BOJ ETA ASAP RIP GG WW FTW TIL AMA ELI5 PSA NGL TBF IDK SMH FML GTFO HYSA
    MAGA GOP DEM POTUS SCOTUS LFG NOT AND THE EST PST CEST UTC AM PM HQ EPA SEO UI UX DTE PDT
    OCC HF DRS BRRR AGI ASIC HBM SSD IOT BOE PBOC UAE KSA ESP GL TY DYOR DAX APAC CC GPT LLM
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
_ALWAYS_WORD = _words("AI NOW OPEN ON IT ALL GO CAN FOR ARE REAL LOVE FUN LOW CAT NET GOLD BB AG")

# Finance words that make a bare capitalised symbol nearby (same sentence-ish window) a ticker.
_CUE = re.compile(
    r"(?:\b(?:calls?|puts?|shares?|stocks?|strike|strikes|earnings|er|options?|contracts?|leaps|price|pt|"
    r"ticker|tickers|position|positions|bought|buy|buying|sold|sell|selling|long|short|shorts|shorted|"
    r"shorting|squeeze|float|dividends?|iv|bagholder|bagholding|holding|holders|avg|average|cost basis|"
    r"premarket|pre-market|after hours|ah|gap|gapped|rally|dump|dumped|dumping|pump|pumped|mooning|"
    r"tank(?:ed|ing)?|dip|ipo|guidance|revenue|valuation|market cap|mcap|ath|eps|chart|support|"
    r"resistance|breakout|ripping|rip|moon|bullish|bearish|undervalued|overvalued|invest(?:ed|ing)?|"
    r"portfolio|trade|trading|traded|entry|exit|stop loss|sec filing|filing|10-k|10-q|8-k|offering|"
    r"dilution|split|reverse split|ceo|fda|buyout|merger|acquisition|stake)\b"
    r"|\$\d|\d[\d.,]*\s?%|\b\d+(?:\.\d+)?[cp]\b|\b\d{1,2}/\d{1,2}\b)",
    re.IGNORECASE,
)
_CUE_WINDOW = 48  # characters either side: about the same clause

# Evidence right next to a word-like symbol: "ON calls", "AI 30c", "shares of IT", "long ON".
_NEXT_CUE = re.compile(
    r"[\s:,]{0,3}(?:calls?\b|puts?\b|shares?\b|leaps\b|earnings\b|strikes?\b|options?\b|"
    r"\d+(?:\.\d+)?\s?[cp]\b|\d{1,2}/\d{1,2}(?:/\d{2,4})?\s+\d+(?:\.\d+)?\s?[cp]\b|"
    r"(?:is|was)\s+(?:up|down)\s+\d|(?:up|down)\s+\d+(?:\.\d+)?\s?%|@\s?\$?\d|at\s+\$\d|\$\d)",
    re.IGNORECASE,
)
_PREV_CUE = re.compile(
    r"(?:\b(?:bought|buying|buy|sold|selling|sell|long|short|shorting|shares\s+of|calls\s+on|puts\s+on|"
    r"position\s+in|ticker|tickers|holding|added|adding|loaded|loading|trimmed|averaged\s+down\s+on|"
    r"yolo'?d\s+into|yoloed\s+into|all\s+in\s+on|went\s+long|went\s+short)\s+)$",
    re.IGNORECASE,
)

# A bare candidate: 2-5 capitals (class shares "BRK.B"), not glued to other word characters,
# a "$", "@", "#", "/", "&" or a hyphenated word ("T-Mobile", "PRE-MARKET").
_BARE = re.compile(r"(?<![\w$@#/&.\-'’])([A-Z]{2,5}(?:\.[A-Z])?)(?![\w&/]|-\w|\.[A-Za-z]|['’][a-rt-z])")
_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z]{1,5}(?:\.[A-Za-z]{1,2})?)(?![\w])")
_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|io|co|ai|app|finance|news|to|gg|ly|me)/\S*",
    re.IGNORECASE,
)
_QUOTE_URL = re.compile(
    r"(?:/quote/|/symbols?/(?:[A-Z]+-)?|/stocks?/|[?&](?:t|s|symbol|ticker)=|/market-activity/(?:stocks|etf)/)"
    r"([A-Za-z]{1,5}(?:[.\-][A-Za-z])?)(?![A-Za-z])",
    re.IGNORECASE,
)
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`|^(?: {4}|\t).*$", re.DOTALL | re.MULTILINE)
_CODE_STRING = re.compile(r"""['"]\$?([A-Z]{1,5}(?:\.[A-Z])?)['"]""")
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_DROP_LOWER = str.maketrans("", "", _LOWER)
_DROP_UPPER = str.maketrans("", "", _UPPER)


@dataclass(frozen=True, slots=True)
class _Universe:
    names: dict[str, str]  # symbol -> company name
    kinds: dict[str, _Kind]
    alias_any: re.Pattern[str] | None
    alias_exact: re.Pattern[str] | None
    alias_symbol: dict[str, str]  # alias as matched (lower case for "any", as written for "exact") -> symbol


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(line for line in f if not line.startswith("#"))


def _alternation(aliases: Iterable[str]) -> str:
    # Longest first, so "Meta Platforms" wins over a shorter alias that is its prefix.
    return "|".join(re.escape(a) for a in sorted(aliases, key=len, reverse=True))


@functools.cache
def _universe() -> _Universe:
    """Load the shipped universe once (symbols, aliases, word frequencies)."""
    names = {row["symbol"]: row["name"] for row in _rows(_DATA / "symbols.csv")}
    zipf = {row["word"]: float(row["zipf"]) for row in _rows(_DATA / "words.csv")}
    kinds: dict[str, _Kind] = {}
    for symbol in names:
        z = zipf.get(symbol.lower(), 0.0)
        if symbol in _JARGON:
            kind = _Kind.JARGON
        elif symbol in _ALWAYS_WORD:
            kind = _Kind.WORD
        elif symbol in _WELL_KNOWN:
            kind = _Kind.LOOSE if z >= 4.0 else _Kind.DISTINCT
        elif z >= 4.0:
            kind = _Kind.WORD
        elif z >= 3.0:
            kind = _Kind.SOMEWHAT
        else:
            kind = _Kind.DISTINCT
        kinds[symbol] = kind
    any_aliases: list[str] = []
    exact_aliases: list[str] = []
    alias_symbol: dict[str, str] = {}
    for row in _rows(_DATA / "aliases.csv"):
        if row["symbol"] not in names:
            continue  # delisted since the alias was written; the unit tests flag it
        if row["match"] == "exact":
            exact_aliases.append(row["alias"])
            alias_symbol[row["alias"]] = row["symbol"]
        else:
            any_aliases.append(row["alias"])
            alias_symbol[row["alias"].lower()] = row["symbol"]
    boundary_l, boundary_r = r"(?<![\w$@#/.\-])", r"(?![\w\-]|\.\w)"
    alias_any = (
        re.compile(f"{boundary_l}(?:{_alternation(any_aliases)}){boundary_r}", re.IGNORECASE) if any_aliases else None
    )
    alias_exact = re.compile(f"{boundary_l}(?:{_alternation(exact_aliases)}){boundary_r}") if exact_aliases else None
    return _Universe(names, kinds, alias_any, alias_exact, alias_symbol)


def company_name(symbol: str) -> str | None:
    """The listed name of ``symbol`` ("GameStop Corporation"), or None if not in the universe."""
    return _universe().names.get(symbol.upper())


def is_listed(symbol: str) -> bool:
    """Whether ``symbol`` is in the shipped universe of US-listed stocks and ETFs."""
    return symbol.upper() in _universe().names


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the given spans replaced by spaces: offsets stay valid."""
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(" " * (end - start))
        last = end
    parts.append(text[last:])
    return "".join(parts)


class _Lines:
    """Per-line shouting detection, computed lazily: in an all-caps line capitals carry no
    signal; in a mixed-case line a capitalised symbol stands out as one."""

    __slots__ = ("_cache", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._cache: dict[int, bool] = {}

    def shouting(self, pos: int) -> bool:
        text = self._text
        start = text.rfind("\n", 0, pos) + 1
        cached = self._cache.get(start)
        if cached is not None:
            return cached
        end = text.find("\n", pos)
        line = text[start : end if end >= 0 else len(text)]
        upper = len(line) - len(line.translate(_DROP_UPPER))
        lower = len(line) - len(line.translate(_DROP_LOWER))
        result = upper >= 8 and lower <= upper * 0.15
        self._cache[start] = result
        return result


def extract(text: str, *, thread_symbols: frozenset[str] = frozenset()) -> list[TickerMention]:
    """All ticker mentions in ``text``, in order of position (one per place; a symbol may
    appear several times). ``thread_symbols`` are symbols already seen in the same thread
    (a post's cashtags, for its comments): evidence that a bare word there is the ticker."""
    if not text:
        return []
    u = _universe()
    found: dict[int, TickerMention] = {}  # start -> mention
    prose = _not_prose(text, u, found)
    evidence = set(thread_symbols)
    _cashtags(prose, u, found, evidence)
    _names(prose, u, found, evidence)
    _bare_words(prose, u, found, evidence)
    return [found[k] for k in sorted(found)]


def _not_prose(text: str, u: _Universe, found: dict[int, TickerMention]) -> str:
    """Read code (quoted strings only) and URLs (quote pages only) into ``found``; return the
    text with both blanked, for the prose rules."""
    skipped: list[tuple[int, int]] = []
    if "`" in text or "    " in text or "\t" in text:
        for m in _CODE.finditer(text):
            skipped.append(m.span())
            for s in _CODE_STRING.finditer(m.group(0)):
                symbol = s.group(1)
                if len(symbol) > 1 and u.kinds.get(symbol) in (_Kind.DISTINCT, _Kind.LOOSE):
                    start = m.start() + s.start(1)
                    found[start] = TickerMention(symbol, start, start + len(symbol), "symbol", 0.8, True)
    if "." in text or "/" in text:
        for m in _URL.finditer(text):
            if any(a <= m.start() < b for a, b in skipped):
                continue
            skipped.append(m.span())
            q = _QUOTE_URL.search(m.group(0))
            if q:
                symbol = q.group(1).upper().replace("-", ".")
                if symbol in u.names:
                    start = m.start() + q.start(1)
                    found[start] = TickerMention(symbol, start, start + len(symbol), "symbol", 0.9, True)
    if not skipped:
        return text
    skipped.sort()
    return _blank(text, _merge(skipped))


def _cashtags(prose: str, u: _Universe, found: dict[int, TickerMention], evidence: set[str]) -> None:
    if "$" not in prose:
        return
    for m in _CASHTAG.finditer(prose):
        symbol = m.group(1).upper()
        if symbol not in u.names and "." in symbol and symbol.split(".")[0] in u.names:
            symbol = symbol.split(".")[0]  # "$GME.Then" is GME followed by a missing space
        known = symbol in u.names
        if not known and "." in symbol:
            continue
        end = m.start(1) + len(symbol)
        found[m.start()] = TickerMention(symbol, m.start(), end, "cashtag", 0.99 if known else 0.5, known)
        evidence.add(symbol)


def _names(prose: str, u: _Universe, found: dict[int, TickerMention], evidence: set[str]) -> None:
    for pattern in (u.alias_any, u.alias_exact):
        if pattern is None:
            continue
        for m in pattern.finditer(prose):
            matched = m.group(0)
            symbol = u.alias_symbol.get(matched) or u.alias_symbol.get(matched.lower())
            if symbol is None or m.start() in found:
                continue
            method = "symbol" if matched.upper() == symbol else "name"
            found[m.start()] = TickerMention(symbol, m.start(), m.end(), method, 0.9, True)
            evidence.add(symbol)


def _bare_words(prose: str, u: _Universe, found: dict[int, TickerMention], evidence: set[str]) -> None:
    lines = _Lines(prose)
    cues: list[int] | None = None
    for m in _BARE.finditer(prose):
        symbol, start = m.group(1), m.start(1)
        kind = u.kinds.get(symbol)
        if kind is None or kind is _Kind.JARGON or start in found:
            continue
        end = start + len(symbol)
        shouting = lines.shouting(start)
        if symbol in evidence:
            accept, confidence = True, 0.9
        elif kind is _Kind.DISTINCT and (not shouting or symbol in _WELL_KNOWN):
            accept, confidence = True, 0.85
        elif kind is _Kind.WORD:
            # capitals mark nothing in a shouting line; elsewhere only evidence right next to it counts
            accept, confidence = not shouting and _adjacent(prose, start, end), 0.75
        elif shouting and kind is not _Kind.DISTINCT:
            accept, confidence = _adjacent(prose, start, end), 0.75
        else:
            if cues is None:
                cues = [c.start() for c in _CUE.finditer(prose)]
            accept, confidence = _near(cues, start, end), 0.8
        if accept:
            found[start] = TickerMention(symbol, start, end, "symbol", confidence, True)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _adjacent(text: str, start: int, end: int) -> bool:
    """Evidence right next to the word: a following "calls"/"30c"/"shares", or a preceding
    "bought"/"shares of"/"calls on"."""
    if _NEXT_CUE.match(text, end):
        return True
    return _PREV_CUE.search(text[max(0, start - 24) : start]) is not None


def _near(cues: list[int], start: int, end: int) -> bool:
    """Whether a finance word starts within the window around ``[start, end)``, itself excluded."""
    i = bisect.bisect_left(cues, start - _CUE_WINDOW)
    while i < len(cues) and cues[i] <= end + _CUE_WINDOW:
        if not start <= cues[i] < end:
            return True
        i += 1
    return False


def symbols(text: str, *, thread_symbols: frozenset[str] = frozenset()) -> list[str]:
    """Distinct known symbols in ``text``, in order of first appearance."""
    seen: dict[str, None] = {}
    for mention in extract(text, thread_symbols=thread_symbols):
        if mention.known:
            seen.setdefault(mention.symbol, None)
    return list(seen)
