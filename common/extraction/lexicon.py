"""The words and patterns the extraction rules weigh: how word-like a symbol is, the finance
words that make a bare symbol a ticker, and the byte tables that let a text be split in C.
Data, not logic: the rules that read these live beside it in the package."""

import bisect
import enum
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType


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
# mean the jargon. Only a cashtag turns them into tickers. The third line from the end are
# finance terms (yield, transfers, returns, net asset value, an indicator, hot-rolled coil) that
# were symbols in 2020-22 (gone_before_2022.csv), when a bare one is the term far more often; the
# next, abbreviations that are fund symbols too (fear, uncertainty and doubt; full self-driving;
# the Fed funds rate; "ETF" misspelt; mortgage bonds; regular trading hours; the yuan; a
# ship's deadweight tonnage; an index; an airport...); the last, what a squeeze post
# abbreviates (short interest, trailing twelve months, cost to borrow, annual recurring
# revenue, the Depository Trust Company, Regulation SHO, an annual general meeting, machine
# learning, average true range), and three that are mostly something
# else (an apartment, a hacking group or a crypto token; Silicon Valley; the mainstream media).
_JARGON = _words(
    """
    DD YOLO CEO CFO CTO COO CIO EPS ATH ATL IMO IMHO USA US UK EU IPO ETF SEC FDA GDP CPI PPI
    FOMC FED EOD EOW EOY YTD QOQ YOY ITM OTM ATM IV PT ER PE EV OTC NYSE TLDR FOMO HODL LOL
    LMAO WTF OMG FYI TBH IIRC AFAIK ELI IRA ROTH HSA APE APES MOON BUY SELL HOLD LONG SHORT
    CALL PUT PUTS CALLS GAIN LOSS BEAR BULL BULLS BEARS RH WSB SPAC REIT USD EUR BTC ETH DOGE LTC
    NFT OK TV PC GPU CPU API EV EVS LLC INC CO CORP LTD NA TA FA PR HR IT IRS DOJ FTC FBI
    CIA NASA NATO CNBC WSJ CNN BBC NYT ESG ROI ROE EBIT FCF DCF PEG MACD RSI EMA SMA VWAP
    RC IMF ECB BOJ ETA ASAP RIP GG WW FTW TIL AMA ELI5 PSA NGL TBF IDK SMH FML GTFO HYSA
    MAGA GOP DEM POTUS SCOTUS LFG NOT AND THE EST PST CEST UTC AM PM HQ EPA SEO UI UX DTE PDT
    OCC HF DRS BRRR OG OI ISO FD FDS ASX TSX TSXV LSE HKEX AGI ASIC HBM SSD IOT BOE PBOC UAE KSA ESP GL TY
    DYOR DAX APAC CC GPT LLM
    APY ACH IRR CMO NAV RVI HRC
    FUD FSD FFR EFT CMBS GNMA RTH LTL CNY QED SDG IPOS CEFS BDCS ALTS FRN PSR DWT DVP GRI IDX PEK
    SI TTM CTB ARR DTC SHO AGM ML ATR APT SV MSM
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
    BBBY KOSS NAKD EXPR RKT UWMC CLNE MVIS CRSR SKLZ XELA BNGO CTRM ZOM
    """
)

# Well-known tickers that are everyday words or acronyms even in capitals ("AI bubble",
# "market OPEN", "NOW is the time"): they stay WORD whatever their fame.
# Well-known tickers whose capitalised form is, in mixed-case text, all but never the word
# ("SPY 600 by Christmas", "HOOD is printing").
_CAPS_SAFE = _words("SPY HOOD COIN PLUG RIOT SNAP SHOP SNOW EBAY SONY")

# Forum slang that is a listed symbol but no dictionary word, so nothing else marks it as a
# word in lower case: "fat gainz", "a mortgage refi".
_SLANG = _words("gainz refi stim vaxx")

_ALWAYS_WORD = _words("AI NOW OPEN ON IT ALL GO CAN FOR ARE REAL LOVE FUN LOW CAT NET GOLD AG TSP OC")

# Words that are also the market's index fund, as posters type it on a phone ("spy wants to
# dump today", "back in spy next week"): the fund where the market moves right after it, or a
# trade right next to it; the word ("I spy", "a spy", "spy on them") otherwise.
_INDEX_WORDS: Mapping[str, str] = MappingProxyType({"spy": "SPY"})
# How a post says the market moved, within a few words after the index: "spy keeps rising",
# "spy barely moved", "spy futures dropped".
_MARKET_MOVES = _words(
    """
    drop drops dropped dropping dump dumps dumped dumping climb climbs climbed climbing rise
    rises rising rose rally rallies rallied rallying moon mooning pump pumps pumped pumping
    move moves moved moving crash crashes crashed crashing tank tanks tanked tanking rip rips
    ripped ripping bleed bleeds bleeding dip dips dipped dipping fall falls fell falling futures
    red green recover recovers recovered bounce bounces bounced gap gapped gaps ath close
    closed closes open opened opens puts calls
    """
)
_MOVES_WINDOW = 6  # words after the index: "spy may give us one more rally"
# Words right before the index that make it the word: "I spy", "a spy", "to spy".
_SPY_BEFORE = _words("i a an to the russian chinese")
# ... and right after it: "spy on them", "spy movies".
_SPY_AFTER = _words(
    "on movie movies film films novel novels thriller thrillers game games show shows series kids agency agencies "
    "balloon balloons camera cameras plane planes satellite satellites ring rings"
)
# Where the words after the index stop counting: the clause ends.
_CLAUSE_END = re.compile(r"[.,;!?]")
_INTO = _words("in into")  # "buy back in spy": a position in the fund

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
# Contracts or shares counted right after a symbol, one space or tab between: "KEY 22 calls"
# (a strike or a count: up to three digits, so never a year), "KEY 2000 shares" (a year only
# after a month: "JAN 2021 shares"); not in capitals, since a line in capitals says nothing
# by them ("THERE ARE 0 SHARES LEFT"), and never after a symbol that is always a word ("sold
# ALL 100 shares").
_COUNTED = (
    r"(?:\$?\d{1,3}(?:\.\d+)?[ \t](?:[cC]alls?|[pP]uts?)"
    r"|(?:\d{1,3}(?:,\d{3})+|\d{1,6})[ \t][sS]hares?)\b"
)
_NEXT_NUMBER = re.compile(
    r"[\s:,]{1,3}(?:\$?\d+(?:\.\d+)?\s?[cCpP]\b|\d{1,2}/\d{1,2}\S{0,16}\s+\$?\d+(?:\.\d+)?[cCpP]\b|@\s?\$?\d|\$\d"
    r"|[A-Za-z]{3}\s?\d{1,2}\s+\$?\d+(?:\.\d+)?\s?[cCpP]\b)"
)
_NEXT_COUNT = re.compile(rf"[ \t]{_COUNTED}")
_MONTHS = _words("JAN FEB MAR APR MAY JUN JUL AUG SEP SEPT OCT NOV DEC")
_A_YEAR = re.compile(r"[ \t](?:19|20)\d\d\b")
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
# A company's dealings name the other company: "deals with UPS", "our partner GM". Not for the
# words that are always words: "a partnership with AI companies" is about the technology.
# Not "contract with": a government agency is named so too ("a contract with ICE").
_PREV_DEALINGS = frozenset(
    ("deal with", "deals with", "partnership with", "partnered with", "agreement with", "merger with", "our partner")
)
# Asking about a symbol or researching it: "thoughts on RIDE", "DD on ROOT" (not for the
# words that are always words either: "thoughts on GOLD" is the metal), where the symbol
# ends the phrase: a lower-case word after it other than these makes it a modifier
# ("thoughts on FAST food", "DD on MAIN street").
_PREV_ASKING = frozenset(("thoughts on", "dd on"))
_PHRASE_GOES_ON = re.compile(
    r"[ \t]+(?!(?:and|or|at|after|before|for|here|now|today|right|this|since|with|is|are|was|looks?|vs)\b)[a-z]"
)
# Words that size a squeeze rather than name what is squeezed ("HUGE SHORT SQUEEZE"), when
# they are symbols too.
_SQUEEZE_SIZES = _words("HUGE BIG RARE TRUE REAL NEXT GREAT MEGA EPIC MAJOR GIANT MASSIVE INSANE CRAZY NEW FIRST LAST")
_PREV_PAIRS = _PREV_STRONG | _PREV_PAIRS_EXTRA
# Every word that can make a word-like symbol adjacent evidence, as _ascii_words splits it, in
# the usual cases: if a text has none of them (and no number), no such symbol in it can pass.
_ADJACENT_WORDS = frozenset(
    v.encode()
    for phrase in (*_NEXT_WORDS, *_NEXT_EVENTS, *_PREV_WORDS, *_PREV_PAIRS, *_PREV_DEALINGS, *_PREV_ASKING, "moon")
    for w in phrase.replace("'", " ").split()
    for v in (w, w.title(), w.upper())
)
# ... and what any _NEXT_NUMBER match must contain ("30c", "12/20", "@ 300", "$5"): without
# one, no number can be adjacent evidence either, and the window is not read at all (a
# _NEXT_COUNT match holds "calls" or "shares", adjacent words already).
_NUMBER_CUE = re.compile(r"\d\s?[cCpP]\b|\d/\d|@|\$\d")

# A character just before a match that glues it to something else: "x$Y", "AT&T", "sec.gov",
# "T-Mobile", "#GME", "u/NVDA", "don't".
_GLUE = frozenset("_$@#/&.-'’")
# ... and just after a match: "GME_YOLO", "AT&T", a brand's mark ("VLN®": a product)
_TAIL_GLUE = frozenset("_&®™")
_ASCII_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_BAD_BEFORE = frozenset(_ASCII_ALNUM) | _GLUE
_BAD_AFTER = frozenset(_ASCII_ALNUM) | _TAIL_GLUE
# Bytes of a text -> space unless a letter, digit or "$": :func:`common.extraction.universe._ascii_words`.
_ASCII_WORDS = bytes(
    c if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c == 36) else 32  # 0-9 A-Z a-z $
    for c in range(256)
)
# A cashtag: "$" not glued to a word or another "$" before it (``\w`` is ``str.isalnum`` plus
# "_"), a symbol, and nothing word-like after it ("$GME." ends a sentence, "$5k" is money).
# The look-behind comes after the "$" so that the pattern starts with a literal, which the
# regex engine finds in C without trying every position.
# Markdown's underscores ("__$GME__", "_$AMC_") are emphasis, not part of a word around it;
# inside a word ("diamond_$hands", "$GME__calls") they are an identifier's, as markdown reads them.
_CASHTAG = re.compile(r"\$(?<![^\W_]\$)(?<!\$\$)(?<![^\W_]_\$)([A-Za-z]{1,5}(?:\.[A-Za-z]{1,2})?)(?!_*+[^\W_]|\.\w)")
# Bytes punctuation -> space, to split a text into words at C speed for the lower-case precheck.
_PUNCTUATION = b"!\"#$%()*+,./:;<=>?@[\\]^_`{|}~'\n\t\r"
_SPLIT = bytes.maketrans(_PUNCTUATION, b" " * len(_PUNCTUATION))


# What a bare capitalised symbol needs, by kind (precomputed per symbol, checked in the hot loop).
_ACCEPT = 0  # well-known and not a word: always
_UNLESS_LOUD = 1  # distinct: unless the line shouts, then a finance word nearby
_NEARBY = 2  # somewhat word-like: a finance word or another ticker nearby (adjacent if shouting)
_ADJACENT = 3  # a word: a finance word right next to it, never in a shouting line
_STRONG = 4  # jargon: "shares of IT"-style naming, never in a shouting line


# (symbol, start, end, method, confidence, known): TickerMention's fields, as a plain tuple
# while scanning (a tuple is several times cheaper to make than a dataclass instance).
_Found = tuple[str, int, int, str, float, bool]
# The confidence that marks a one-letter symbol accepted for its neighbours alone (lists):
# dropped again when a neighbour did not trade on the text's day (universe._in_time), so
# no other reading may use it.
LETTER_CONFIDENCE = 0.69
# What joins the items of a list a one-letter symbol may stand in: a written separator,
# ", and" closing it ("VZ, T, and TMUS"); never a space alone.
# Blanks are bounded (far wider than a padded table's cells, or a link or code span blanked
# between two tickers): a ticker in a link or code is blanked out of the prose, and an
# unbounded run was read to its end once for every ticker in it.
_SEP = r"[ \t]{0,1000}(?:,[ \t]{0,1000}(?:(?:and|or)[ \t]{1,1000})?|[/|;+&][ \t]{0,1000}|(?:and|or)[ \t]{1,1000})"
_SEP_ONLY = re.compile(_SEP)


def letter_kept(prose: str, letter: _Found, starts: set[int], ends: Sequence[int]) -> bool:
    """Whether a letter accepted for its neighbours still stands between tickers (or letters)
    starting at ``starts`` and ending at ``ends`` (in order), whatever the padding between
    them. Only the nearest end before it can be its neighbour's: a farther one has that
    neighbour's letters between, which no separator holds."""
    after = _SEP_ONLY.match(prose, letter[2])
    if after is None or after.end() not in starts:
        return False
    nearest = bisect.bisect_left(ends, letter[1]) - 1
    return nearest >= 0 and _SEP_ONLY.fullmatch(prose, ends[nearest], letter[1]) is not None
