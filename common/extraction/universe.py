"""The shipped universe: every symbol, its company's names and aliases, how word-like each is,
and when it traded. Read once from ``common/data`` on first use and cached, so the hot loop
pays one dictionary lookup per candidate word."""

import csv
import functools
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from common.extraction.lexicon import (
    _ACCEPT,
    _ADJACENT,
    _ALWAYS_WORD,
    _ASCII_WORDS,
    _CAPS_SAFE,
    _INDEX_WORDS,
    _JARGON,
    _NEARBY,
    _SLANG,
    _SPLIT,
    _STRONG,
    _UNLESS_LOUD,
    _WELL_KNOWN,
    LETTER_CONFIDENCE,
    _Found,
    _Kind,
    letter_kept,
)
from common.listings import Listing, Listings

_DATA = Path(__file__).resolve().parents[1] / "data"


# What a word of the text can be (see ``_Universe.words``).
@dataclass(frozen=True, slots=True)
class _Plain:
    """A symbol that is no English word, as typed in lower case or capitalised ("negg"); or,
    with ``moves``, a word that is also the market's index fund ("spy"), read as the fund
    where the market moves around it."""

    symbol: str
    moves: bool = False


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


@functools.cache
def _universe() -> _Universe:
    """Load the shipped universe once (symbols, aliases, word frequencies)."""
    return _load()


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


def _load() -> _Universe:  # noqa: PLR0912, PLR0915 - one pass building every lookup table
    rows = list(_rows(_DATA / "symbols.csv"))
    names = {row["symbol"]: row["name"] for row in rows}
    # An ETF only a package lists ("fund"): nobody vetted it against the forum's acronyms
    # ("CMBS", "RTH"), so it needs a finance word or another ticker nearby, as a somewhat
    # word-like symbol does, and is never read in lower case.
    unvetted = {row["symbol"] for row in rows if row.get("kind") == "fund"}
    listings = Listings.load(_DATA)
    for symbol, name in listings.names.items():
        names.setdefault(symbol, name)  # gone before the base list was made: back, with its dates
    zipf = {row["word"]: float(row["zipf"]) for row in _rows(_DATA / "words.csv")}
    kinds: dict[str, _Kind] = {}
    aliases: dict[str, str] = {}
    for symbol in names:
        z = zipf.get(symbol.lower(), 0.0)
        kinds[symbol] = _kind(symbol, z)
        if symbol in unvetted and kinds[symbol] is _Kind.DISTINCT:
            kinds[symbol] = _Kind.SOMEWHAT
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
        if (
            kind is _Kind.DISTINCT
            and len(symbol) > 2
            and symbol.isalpha()
            and symbol not in wordlike
            and symbol.lower() not in _SLANG
        ):
            for form in (symbol.lower(), symbol.capitalize()):
                words.setdefault(form.encode(), _Plain(symbol))
    for index_form, index in _index_words(kinds):
        words.setdefault(index_form, index)
    for odd, symbol in _odd_capitals(kinds, wordlike):
        words.setdefault(odd, symbol)
    for shouted, symbol in _shouted_names(capital, zipf):
        words.setdefault(shouted, _Shouted(symbol))
    return _Universe(names, kinds, aliases, words, listings, everyday, wordlike)


_SHOUTED_LETTERS = 5  # "NOKIA": shorter names in capitals are symbols or acronyms
_SHOUTED_ZIPF = 4.0  # a name this common as a word ("DELTA", "APPLE") is the word in a shouted line (2-5 letters)


def _index_words(kinds: Mapping[str, _Kind]) -> Iterator[tuple[bytes, _Plain]]:
    """The index fund's word in lower case and capitalised ("spy", "Spy")."""
    for form, symbol in _INDEX_WORDS.items():
        if symbol in kinds:
            for spelling in (form, form.capitalize()):
                yield spelling.encode(), _Plain(symbol, moves=True)


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


def _in_time(found: list[_Found], at: float | None, text: str) -> list[_Found]:
    """``found`` (in ``text``) as read on the day ``at``: a symbol that did not trade then is
    no mention of it (a cashtag of it stays, as unknown, like any unlisted cashtag). A
    company's name outlives its symbol: "Facebook" after the rename is the company under its
    new symbol; the old symbol itself, in any case ("fb calls"), is no mention of it. A new
    name taken before the new symbol names the old one meanwhile ("Meta" in 2022 is FB)."""
    windows = _universe().listings.windows
    if not found or windows.keys().isdisjoint([f[0] for f in found]):
        return found
    out: list[_Found] = []
    for f in found:
        window = windows.get(f[0])
        if window is None or window.valid(at):
            out.append(f)
        elif f[3] == "name" and text[f[1] : f[2]].upper() != f[0] and (now := _renamed_to(f[0], at)):
            out.append((now, *f[1:]))
        elif (f[3] == "name" or text[f[1] : f[2]] != f[0]) and (then := _universe().listings.named_early(f[0], at)):
            # written as the name ("Meta"), not as the symbol in capitals, which did not trade yet
            out.append((then, *f[1:]))
        elif f[3] == "cashtag":
            out.append((f[0], f[1], f[2], f[3], 0.5, False))
    if any(f[4] == LETTER_CONFIDENCE for f in out):
        out = _letters_with_neighbours(out, text)
    return out


def _letters_with_neighbours(found: list[_Found], text: str) -> list[_Found]:
    """Without the letters whose neighbours did not trade that day ("BBBY, F, GME" in 2024):
    a letter is a ticker only between two (``lists._letters_between``)."""
    while True:
        known = [f for f in found if f[5]]
        starts, ends = {f[1] for f in known}, sorted({f[2] for f in known})
        kept = [f for f in found if f[4] != LETTER_CONFIDENCE or letter_kept(text, f, starts, ends)]
        if len(kept) == len(found):
            return kept
        found = kept


_RENAME_GAP_S = 45 * 86400.0  # a successor symbol starts when the old one stops (month precision: either side)


def _renamed_to(symbol: str, at: float | None) -> str | None:
    """The symbol that ``symbol``'s company traded under at ``at``, once the company itself
    moved to a new symbol (FB -> META); None before it listed, when another company took
    its place (a SPAC's target: "Stable Road" after the merger names no company that trades),
    or when the universe's holder of the new symbol did not start trading at the change
    (then it is another company's, or the universe does not know the new listing)."""
    u = _universe()
    windows = u.listings.windows
    seen = {symbol}
    window = windows.get(symbol)
    while window is not None and window.renamed and window.successor and (at is None or at >= window.delisted):
        after = windows.get(window.successor)
        if (
            window.successor in seen
            or window.successor not in u.names
            or after is None
            or abs(after.listed - window.delisted) > _RENAME_GAP_S
        ):
            return None
        symbol, window = window.successor, after
        seen.add(symbol)
        if window.valid(at):
            return symbol
    return None
