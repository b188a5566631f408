"""The other things a found symbol can be where it stands: a broker's app, a bank as analyst,
"Google it", Bollinger Bands, a firm named after the letters, a currency after an amount,
a term spelled out before its initials. Applied after the rules found a symbol."""

import bisect
import itertools
import re
from collections.abc import Callable

from common.extraction.lexicon import _CUE_WINDOW, _CUE_WORDS, _WELL_KNOWN, _Found, _words
from common.extraction.universe import _Universe, _words_of

# Symbols whose name or letters, in some company, mean something else than the security.
_PLATFORM = frozenset({"HOOD", "SCHW", "IBKR"})  # a broker's name is mostly the app people trade in
# ... and its symbol too, right before the app's parts: "IBKR platform is down", "HOOD app crashed"
_PLATFORM_AFTER = _words("app apps login website servers tws")
# ... and before its platform or an account only when that is down or someone's own ("IBKR
# platform is down", "my HOOD account"): "HOOD accounts grew 10%" is the business
_PLATFORM_PARTS = _words("platform platforms account accounts")
_PLATFORM_TROUBLE = _words("is are was down crashed crashing froze frozen broke broken glitching lagging keeps")
_BROKER_LETTERS = frozenset({"TD"})  # on the forum, bare "TD" is TD Ameritrade ("TD said I can trade options")
_BANK_SENSE = frozenset(  # ... unless the bank's business is the subject ("TD Bank beat estimates")
    v.encode()
    for w in ("bank", "earnings", "dividend", "dividends", "eps", "revenue")
    for v in (w, w.title(), w.upper())
)
_BANK = frozenset({"GS", "JPM", "MS", "WFC", "C", "BAC", "DB", "UBS", "CS", "BCS", "JEF", "RY", "TD"})
# Banks and brokers are also where people keep their money: "my SoFi account", "savings at
# Wells Fargo", "my Bank of America app". Named so (not as a symbol in capitals), the bank
# acts as a bank, which is no mention of its stock. An app, a card or a branch is that only
# when someone's own ("my Wells Fargo card"): "SoFi app downloads hit a record" is the
# business. (Brokers named so are _PLATFORM.)
_ACCOUNT_HOLDERS = _BANK | frozenset({"USB", "PNC", "COF", "SOFI", "ALLY", "AXP", "SYF"})
_ACCOUNT_AFTER = _words(
    "account accounts checking savings debit brokerage advisor advisors adviser robo roboinvesting self-directed "
    "hysa ira iras roth 401k login"
)
_OWN_AFTER = _words("app apps card cards branch branches atm platform website invest")
_OWNERS = _words("my our your his her their")
# ... unless the bank's business is the subject nearby ("SoFi savings accounts grew 40%").
_BUSINESS = (_BANK_SENSE - {b"bank", b"Bank", b"BANK"}) | frozenset(
    v.encode()
    for w in ("deposits", "quarter", "quarterly", "grew", "growth", "customers", "members", "users")
    for v in (w, w.title(), w.upper())
)
_ACCOUNT_PAIRS = frozenset(
    ("savings at", "savings with", "account at", "account with", "accounts at", "accounts with", "bank at",
     "bank with", "banking with", "banked with")
)  # fmt: skip
_NEXT_SENSE: dict[str, frozenset[str]] = {
    "GOOGL": _words(
        "it trends search searches searched sheets docs doc maps play translate drive news images home "
        "assistant pay fi form forms earth chrome scholar finance lens is isn't isnt"
    ),
    "GOOG": _words("it trends search sheets docs maps play translate drive news finance is isn't isnt"),
    "TD": _words("ameritrade waterhouse direct"),
    "RBC": _words("capital"),
    "V": _words("card cards application applications system status holders holder issue issues"),
    "BB": _words("gun guns cream bands band"),
    "DM": _words("me you for s d ed or"),  # a direct message: "DM me", "DM for info", "DM'd you"
    "SPGI": _words("manufacturing market ratings rating pmi platts composite services"),  # a data vendor
    "WEN": _words("lambo lambos moon tendies"),  # "WEN LAMBO": when, the forum's oldest joke
    "SPOT": _words("gamma"),  # SpotGamma, an options-data service
    "BK": _words("filing court protection"),  # bankruptcy
    "FB": _words(  # the site, not the company: "the Facebook group", "Facebook ads"
        "group groups page pages ad ads marketplace friends messenger feed dating login profile"
    ),
    "PYPL": _words("me transfer transfers account accounts payment payments"),  # the way to pay
    "OLED": _words("display displays tv tvs screen screens panel panels"),  # the technology: "LG CX OLED TV"
    "RTX": _words(
        "card cards gpu gpus graphics acceleration 2060 2070 2080 2080ti 3060 3060ti 3070 3070ti 3080 3080ti "
        "3090 4060 4060ti 4070 4070ti 4080 4090 5070 5080 5090"
    ),
    "IR": _words("day days event events department team website page contact"),  # investor relations
    "AMZN": _words("prime"),  # the subscription: "cancelled my Amazon Prime"
    # the connector: "USB C cable", "USB-C", "a USB stick" (U.S. Bancorp's stock is "USB shares")
    "USB": _words(
        "c 2.0 3.0 3.1 cable cables cord cords stick sticks port ports hub hubs charger chargers adapter adapters "
        "dongle dongles connector connectors"
    ),
    "ES": _words("futures future futs fut mini minis"),  # the S&P 500 E-mini, not Eversource
}
_PREV_SENSE: dict[str, frozenset[str]] = {
    "GOOGL": _words("on use using used ask asked try tried"),  # "top query on Google", "just use Google"
    "GOOG": _words("on use using used ask asked try tried"),
    "FB": _words("on"),  # "advertise on Facebook"
    "DM": _words("a my me your the via can pls please"),  # "send me a DM", "you can DM"
    "BK": _words("post pre declare declared declaring file filed filing chapter"),  # "post BK": bankruptcy
    "IQ": _words("capital"),  # S&P's Capital IQ, a data service
    "PYPL": _words("via through"),  # "paid via PayPal"
}
# Stores and restaurants, named as the place rather than the company: "behind Wendy's", "went
# to Walmart", "the Walmart parking lot" (the forum's jokes are about working there).
_PLACE = frozenset({"WEN", "MCD", "WMT", "TGT", "COST", "SBUX", "CMG", "HD", "LOW", "BBY", "KSS", "JWN", "DRI"})
_PLACE_BEFORE = _words("behind outside inside")
_PLACE_PAIRS = frozenset(
    ("job at", "work at", "works at", "working at", "worked at", "shift at", "apply at", "applied at", "went to",
     "go to", "going to", "drove to", "line at", "shopping at", "shop at")
)  # fmt: skip
_PLACE_AFTER = _words("dumpster dumpsters parking lot employee employees cashier cashiers manager shift job uniform")
# Data services cited as a source ("a chart from Morningstar", "according to Morningstar",
# a credit on a line of its own): there they are where a figure came from, not the company.
_SOURCE = frozenset({"MORN", "FDS"})
_SOURCE_BEFORE = _words("per from according via source sources by")
_SOURCE_AFTER = _words("data rating ratings analyst analysts report reports says said estimates")
_SITE = frozenset({"FB", "GOOGL", "GOOG"})  # names that are also a website, only as named, never as the symbol
_PRODUCT_NAMES = frozenset({"AMZN"})  # a product only as named: "Amazon Prime", not "AMZN prime"
_STANCE = _words("bullish bearish calls puts positions position")  # "bullish on Google": the stock after all
_WORD_SENSE = frozenset({"DM"})  # where a stock word beside the symbol keeps it ("my DM shares")
_LIST_WORDS = _words("or and vs")  # "MVIS or DM?": a choice of tickers
# Coins whose symbol a listed company also has (SOL is ReneSola, LINK Interlink, ATOM
# Atomera, LUNA Luna Innovations...): among crypto words they are the coin, which is no
# US-traded security. Only those whose coin is what finance Reddit means by far; DASH, AMP,
# FLOW or NEO beside a coin in a portfolio are as likely the company.
# Not "coin" (COIN is Coinbase's symbol, and words are compared lower-cased) nor the words an
# equity holder uses too ("stake", "wallet").
_CRYPTO_WORDS = _words(
    "crypto cryptos cryptocurrency cryptocurrencies coins tokens blockchain defi altcoin altcoins bitcoin btc "
    "ethereum eth binance staking nft nfts solana chainlink cosmos cardano polkadot doge dogecoin shib memecoin "
    "memecoins stablecoin stablecoins usdt usdc ust terra xrp"
)
_CRYPTO_NAMESAKES = ("SOL", "LINK", "ATOM", "LUNA", "SAND", "AXS", "EOS", "SNX", "ENJ", "VET", "SUI", "BCH", "KSM")
# ... each the thing only as its bare symbol, and only when no trade or stock word is beside it
# ("bought SOL shares" beside "crypto" is ReneSola): their companies are traded too.
_UNLESS_TRADED = frozenset({"USB", "ES", *_CRYPTO_NAMESAKES})
_NEAR_SENSE: dict[str, frozenset[str]] = {
    **dict.fromkeys(_CRYPTO_NAMESAKES, _CRYPTO_WORDS),
    "ES": _words("futures futs fut nq ym rty globex"),  # "ES and NQ red"
    "BB": _words("bollinger rsi macd ema sma vwap indicator indicators stochastic fibonacci"),
    # BYD the Chinese carmaker (traded over the counter as BYDDY), not Boyd Gaming
    "BYD": _words("vehicle vehicles ev evs car cars electric china chinese buffett battery batteries automaker"),
}
# ... and anywhere in the text, for the carmaker: cars come up a sentence away ("BYD opened
# a showroom here. The cars look nice"). Boyd's own words keep the casino company.
_TEXT_SENSE: dict[str, frozenset[str]] = {
    "BYD": _words(
        "vehicle vehicles evs car cars buffett battery batteries automaker automakers automotive tesla truck trucks "
        "pickup byddy byddf"
    ),
}
_TEXT_KEEPS: dict[str, frozenset[str]] = {"BYD": _words("boyd casino casinos gaming resort resorts")}
_OTHER_SENSE = (
    _PLATFORM
    | _ACCOUNT_HOLDERS
    | _PLACE
    | _SOURCE
    | _NEXT_SENSE.keys()
    | _PREV_SENSE.keys()
    | _NEAR_SENSE.keys()
    | _TEXT_SENSE.keys()
)
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
# A bank's symbol right before a rating word, in a text naming another ticker: the bank as the
# analyst of that one ("CLF ripping after JPM overweight", "GS downgrades TSLA"). Alone, the
# same words can be about the bank's own stock ("JPM overweight in my portfolio").
_RATES = _words(
    "upgrade upgrades downgrade downgrades initiates reiterates overweight underweight outperform underperform "
    "analyst analysts strategist strategists"
)
_OWN_RATING = _words("its their day days")  # "JPM upgrades its dividend", "GS analyst day": the bank's own
_RATED_WITHIN = 60  # characters either side of the bank's symbol where the rated ticker stands


def _drop_other_senses(prose: str, found: dict[int, _Found]) -> None:
    """Forget mentions that read, in their place, as something else: a broker as the app
    ("my Robinhood account"), a bank as an analyst ("RBC downgrades BB"), a store as the place
    ("behind Wendy's"), a data service as the source ("per Morningstar"), "Google it",
    "TD Ameritrade", Bollinger Bands. A symbol also named as a cashtag stays."""
    cashtagged = {f[0] for f in found.values() if f[3] == "cashtag"}
    text_words: set[str] = set()

    def everywhere() -> set[str]:
        """The text's words, split once a text (a mention may ask for them by the thousand)."""
        if not text_words:
            text_words.update(w.decode() for w in _words_of(prose))
        return text_words

    # where the mentions of anything but a bank stand, kept as mentions are dropped: a bank
    # before a rating word looks for one near it, and a text of such banks looked through all
    others = sorted(at for at, f in found.items() if f[0] not in _BANK)
    for start, f in list(found.items()):
        symbol, end, method = f[0], f[2], f[3]
        if symbol not in _OTHER_SENSE or method == "cashtag" or symbol in cashtagged:
            continue
        after = [
            w.strip(",.:;!?()'\"’").removesuffix("'s").removesuffix("’s")
            for w in prose[end : end + 40].lower().removeprefix("-").split()[:2]  # "USB-C": "c"
        ]
        before = prose[max(0, start - 40) : start].lower().split()[-3:]
        near = set(_words_of(prose[max(0, start - _CUE_WINDOW) : end + _CUE_WINDOW]))
        drop = _by_the_words(symbol, method, before, after, near, everywhere)
        stock_sense = (
            (bool(after) and after[0] in _STOCK_NEXT)
            or (bool(before) and before[-1] in _STOCK_BEFORE)
            or not _TRADE_WORDS.isdisjoint(after)  # "Is Robinhood a buy"
        )
        if symbol in _UNLESS_TRADED:
            drop = drop and method == "symbol" and not stock_sense
        if (symbol in _PRODUCT_NAMES or symbol in _TEXT_SENSE) and (
            (bool(after) and after[0] in _STOCK_NEXT) or (bool(before) and before[-1] in _STOCK_BEFORE)
        ):
            drop = False  # "BYD shares", "bought Amazon": the stock after all ("BYD to sell cars" is not)
        drop = drop or _the_platform_or_analyst(symbol, (start, end, method), before, after, others, stock_sense)
        if symbol in _SOURCE and method == "name" and not stock_sense:
            drop = drop or _cited(prose, start, end, before, after)
        if symbol in _PLACE and method == "name" and not stock_sense:
            drop = drop or _a_place(before, after)
        if symbol in _BROKER_LETTERS and method == "symbol":
            drop = drop or not (stock_sense or not near.isdisjoint(_BANK_SENSE))
        if symbol in _WORD_SENSE:
            drop = drop and not stock_sense and not (bool(before) and before[-1] in _LIST_WORDS)
        if (
            symbol in _ACCOUNT_HOLDERS
            and (method == "name" or not prose[start:end].isupper())
            and not stock_sense
            and near.isdisjoint(_BUSINESS)
        ):
            next_word = prose[end : end + 40].split(None, 1)
            drop = drop or _an_account(before, after, product=bool(next_word) and next_word[0][:1].isupper())
        if symbol in _BANK and method == "name":
            drop = drop or (not stock_sense and not near.isdisjoint(w.encode() for w in _BANK_ROLE))
        if drop:
            del found[start]
            if symbol not in _BANK:
                del others[bisect.bisect_left(others, start)]


def _the_platform_or_analyst(  # noqa: PLR0917 - the mention and the words around it
    symbol: str,
    where: tuple[int, int, str],
    before: list[str],
    after: list[str],
    others: list[int],
    stock_sense: bool,
) -> bool:
    """Whether a broker reads as the app ("my Robinhood account", "IBKR platform is down") or a
    bank's symbol as the analyst of another ticker the text names ("CLF after JPM overweight")."""
    if stock_sense:
        return False
    start, end, method = where
    if symbol in _PLATFORM:
        if method == "name":
            return True
        return (
            method == "symbol"
            and bool(after)
            and (
                after[0] in _PLATFORM_AFTER
                or (
                    after[0] in _PLATFORM_PARTS
                    and ((len(after) > 1 and after[1] in _PLATFORM_TROUBLE) or (bool(before) and before[-1] in _OWNERS))
                )
            )
        )
    if symbol in _BANK and method == "symbol" and bool(after) and after[0] in _RATES:
        if len(after) > 1 and after[1] in _OWN_RATING:
            return False
        # a mention of anything but a bank within reach (``others``: where they start, in order)
        reach = _RATED_WITHIN + (end - start)
        nearest = bisect.bisect_left(others, start - reach)
        return nearest < len(others) and others[nearest] <= start + reach
    return False


def _by_the_words(  # noqa: PLR0917 - the words around the mention, as _drop_other_senses read them
    symbol: str, method: str, before: list[str], after: list[str], near: set[bytes], everywhere: Callable[[], set[str]]
) -> bool:
    """Whether the words right before or after, near, or (for a few) anywhere in the text say
    the other sense: "Google it", "Amazon Prime", Bollinger Bands, BYD's cars."""
    drop = (bool(after) and after[0] in _NEXT_SENSE.get(symbol, ())) or (
        bool(before)
        and before[-1] in _PREV_SENSE.get(symbol, ())
        and not (symbol in _SITE and len(before) > 1 and before[-2] in _STANCE)
    )
    if symbol in _SITE and method != "name":
        drop = False  # "FB post earnings dump": the symbol is the stock
    if symbol in _PRODUCT_NAMES and (method != "name" or after[1:2] == ["day"]):
        drop = False  # "AMZN prime day numbers", "Amazon Prime Day sales": the company's
    if symbol in _NEAR_SENSE:
        drop = drop or not near.isdisjoint(w.encode() for w in _NEAR_SENSE[symbol])
    if symbol in _TEXT_SENSE:
        words = everywhere()
        drop = (drop or not _TEXT_SENSE[symbol].isdisjoint(words)) and _TEXT_KEEPS[symbol].isdisjoint(words)
    return drop


def _a_place(before: list[str], after: list[str]) -> bool:
    """Whether a store's name reads as the place: "behind Wendy's", "a job at Walmart", "the
    Walmart parking lot" (not "invested in Walmart")."""
    return (
        (bool(before) and before[-1] in _PLACE_BEFORE)
        or " ".join(before[-2:]) in _PLACE_PAIRS
        or (bool(after) and after[0] in _PLACE_AFTER)
    )


def _an_account(before: list[str], after: list[str], *, product: bool) -> bool:
    """Whether a bank's name reads as where the money is: "my SoFi account", "savings at
    Wells Fargo", "my Wells Fargo app", or a product's name before an account ("a SoFi Invest
    account", when ``product``: the word after the name is capitalised)."""
    return (
        (bool(after) and after[0] in _ACCOUNT_AFTER)
        or (product and len(after) > 1 and after[1] in _ACCOUNT_AFTER)
        or (bool(after) and after[0] in _OWN_AFTER and bool(before) and before[-1] in _OWNERS)
        or " ".join(before[-2:]) in _ACCOUNT_PAIRS
    )


def _cited(prose: str, start: int, end: int, before: list[str], after: list[str]) -> bool:
    """Whether a data service is named as a source: "according to Morningstar", "per
    FactSet", "Morningstar analysts", or alone on its line as a credit."""
    line_start = prose.rfind("\n", 0, start) + 1
    line_end = prose.find("\n", end)
    alone = not prose[line_start:start].strip() and not prose[end : line_end if line_end >= 0 else len(prose)].strip()
    return alone or not _SOURCE_BEFORE.isdisjoint(before[-2:]) or (bool(after) and after[0] in _SOURCE_AFTER)


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
# A word after a company's name that makes it a place or an institution named after it:
# "Kellogg School of Management", "Ford Foundation", "Toyota Stadium".
_INSTITUTION_AFTER = re.compile(r"[ \t]+(?:School|University|College|Foundation|Institute|Hospital|Stadium|Arena)\b")
# Currency codes: after an amount ("raised 7B NOK") they are money, not Nokia.
_CURRENCIES = frozenset({"NOK", "SEK", "DKK", "CHF", "EUR", "GBP", "JPY", "AUD", "HKD", "CNY", "INR", "BRL", "MXN"})
# "7B NOK", "2 billion NOK"; "5k NOK" is a share count and a bare "9 NOK" may be a table
_AMOUNT_BEFORE = re.compile(r"\d\s?(?:[Bb]n?|mn|million|billion)\s\Z")


def _not_here(prose: str, f: _Found) -> bool:
    """Whether a bare symbol reads, in this place only, as something other than its company:
    a firm or an institution named after it or a currency after an amount ("NOK calls" later
    is Nokia again)."""
    symbol, start, end = f[0], f[1], f[2]
    if f[3] == "name":
        return _INSTITUTION_AFTER.match(prose, end) is not None
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
    """Forget a name that names an institution ("Kellogg School"), a bare symbol inside a
    name already found ("Sirius XM" is SIRI, not XM too) or something else where it stands
    (:func:`_not_here`), and every bare one of a symbol that
    abbreviates the words before it (:func:`_spelled_before`) unless those words are its own
    name ("Advanced Micro Devices AMD"): a term once spelled out is that term all through the
    text ("... Renewable Natural Gas RNG ... using RNG as a fuel")."""
    names = sorted((f for f in found.values() if f[3] == "name"), key=lambda n: n[1])
    # looked up, not scanned per symbol: a long text of many names and symbols stays linear
    starts = [n[1] for n in names]
    reach = list(itertools.accumulate((n[2] for n in names), max))  # furthest end of the names so far
    ends = {(n[0], n[2]) for n in names}
    terms: set[str] = set()
    for start, f in list(found.items()):
        if f[3] == "name" and _not_here(prose, f):
            del found[start]
        if f[3] != "symbol":
            continue
        before = bisect.bisect_left(starts, start)  # the names that begin before this symbol
        if (before and reach[before - 1] >= f[2]) or _not_here(prose, f):  # inside one of them
            del found[start]
        elif not any((f[0], start - gap) in ends for gap in range(3)) and _spelled_before(prose, f, u):
            terms.add(f[0])
    for start, f in list(found.items()):
        if f[0] in terms and f[3] == "symbol":
            del found[start]
