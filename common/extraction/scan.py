"""The hot loop: one pass over a text finds its cashtags, names and capitalised symbols, and
weighs each bare symbol against the context its kind needs (``lexicon``). Written for
speed, since it runs on every post and comment."""

import functools
import re
from collections.abc import Callable

from common.extraction.evidence import (
    _adjacent,
    _after_subject,
    _ends_word,
    _may_be_adjacent,
    _may_be_cued,
    _named_alongside,
    _named_before,
    _near,
    _opens_title,
    _short_line,
    _shouting,
    _strong_before,
    by_line,
)
from common.extraction.lexicon import (
    _ACCEPT,
    _ADJACENT,
    _ALWAYS_WORD,
    _ASCII_WORDS,
    _BAD_AFTER,
    _BAD_BEFORE,
    _CASHTAG,
    _CLAUSE_END,
    _CUE_BYTES,
    _CUE_NUMBER,
    _CUE_WINDOW,
    _GLUE,
    _INTO,
    _MARKET_MOVES,
    _MOVES_WINDOW,
    _NEARBY,
    _SPY_AFTER,
    _SPY_BEFORE,
    _SQUEEZE_SIZES,
    _STRONG,
    _UNLESS_LOUD,
    _WELL_KNOWN,
    _Found,
    _Kind,
)
from common.extraction.lists import _CLAUSE_ENDS, _SEPARATOR, _in_lists, _letters_between
from common.extraction.prose import _URLISH, _not_prose
from common.extraction.senses import _OTHER_SENSE, _drop_other_senses, _drop_parts_and_acronyms, _not_the_company
from common.extraction.universe import _Plain, _policy, _Shouted, _Universe, _universe

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
    u = _universe()
    found: dict[int, _Found] = {}  # start -> mention
    if "`" in text or "    " in text or "\t" in text or ("/" in text and _URLISH.search(text) is not None):
        prose = _not_prose(text, u, found)
    else:
        prose = text
    _labelled(text, u, found)
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
    cued: bool | None = None  # whether the text has any word that can be evidence for a word-like symbol
    n = len(prose)
    runs: dict[int, tuple[bool, bool]] = {}  # slash runs read so far: see _after_slash_run
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
            if what.moves:
                _index_written(prose, word.decode(), what.symbol, found)
                continue
            if cued is None:
                cued = _may_be_cued(prose, words)
            if cued:
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
                (
                    prev in _BAD_BEFORE
                    and not (
                        prev == "/" and _after_slash_run(prose, start - 1, u, runs, jargon_ok=_needs_no_context(alone))
                    )
                )
                or after in _BAD_AFTER
                or (prev > "\x7f" and prev.isalnum())
                or (after > "\x7f" and after.isalnum())
                or (after == "-" and prose[end + 1 : end + 2].isdigit())
            ):
                # Glued ("x$Y", "sec.gov/GME", "u/NVDA"), part of a longer word ("GMEX") or a model
                # or drug name ("GLP-1", "F-150"); a name may go on past an ampersand ("AT&T").
                if after == "&" and options and prev not in _BAD_BEFORE:
                    _phrase(prose, start, options, found)
                elif prev == "#" and _hashtag(prose, start, end):
                    # "#GME", "#SRNE", "#Tesla": read as the bare word would be, never as a cashtag
                    # (a tag counts in no cashtag stuffing, and an unlisted one is no ticker)
                    if isinstance(alone, str) and alone != ".":
                        method = "symbol" if token.upper() == alone else "name"
                        found[start - 1] = (alone, start - 1, end, method, 0.9, True)
                    elif isinstance(alone, int) and alone <= _UNLESS_LOUD:
                        found[start - 1] = (token, start - 1, end, "symbol", 0.9, True)
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
                    if policy == _ACCEPT:  # "BRK.B", "BRK-B": well known, no word
                        found[start] = (share, start, end + 2, "symbol", 0.85, True)
                    else:
                        bare.append((share, start, policy))
                        least = min(least, policy)
            elif alone:
                found[start] = (alone, start, end, "symbol" if token.upper() == alone else "name", 0.9, True)
            start = prose.find(token, end)
    if "$" in prose:
        _cashtags(prose, u.names, found)
    if bare and (
        least < _ADJACENT
        or thread_symbols
        or found
        or "(" in prose
        or (cued if cued is not None else _may_be_cued(prose, words))
    ):
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
    _letters_between(prose, words, u.names, found)  # beside the tickers that stayed
    return [found[k] for k in sorted(found)]


# No run of symbols holds these: a date's format ("MM/DD/YY"), a price ratio ("P/CF"),
# Reddit's paths as a phone capitalises them ("R/AMC", "U/NVDA"), a credit rating's or a share
# class's letter ("CCC/B/BB", "Class A/B"), an option's side ("SPY/C").
_NO_RUN = frozenset(("MM", "YY", "YYYY", "HH", "MMM", "P", "R", "U", "A", "B", "C", "D"))


def _needs_no_context(alone: str | int | None) -> bool:
    """Whether a word's reading (a symbol or a name found as it stands, or a policy) needs no
    context: then no jargon beside it changes what it is."""
    return (isinstance(alone, str) and alone != ".") or (isinstance(alone, int) and alone <= _UNLESS_LOUD)


def _after_slash_run(prose: str, slash: int, u: _Universe, runs: dict[int, tuple[bool, bool]], jargon_ok: bool) -> bool:
    """Whether the "/" at ``slash`` closes a run of symbol-like links ("GME/AMC/BB/" before
    NOK, "VZ/T/" before TMUS, "FXAIX/" before VOO, "ES/NQ/" before SPY), however long the run,
    or is "w/" (with: "calls w/AMD"); other lower case or glue before it make a path
    ("u/NVDA", "r/GME/new", "x_AMD/"). A link of jargon makes a ratio
    or a format of the run ("PE/PS/PB", "MM/DD/YY", "P/CF"), unless what follows needs no context
    ("DD/PLTR"). ``runs`` keeps each slash's answer, (symbol-like, free of jargon), so a
    long run is read once, link by link."""
    pending: list[tuple[int, bool]] = []  # slashes still to answer, newest first, and whether their link is jargon
    at = slash
    while at not in runs:
        begin = at
        while begin > 0 and at - begin <= 6 and (prose[begin - 1].isalnum() or prose[begin - 1] in "$."):
            begin -= 1
        link = prose[begin:at].removeprefix("$")
        if not ((1 <= len(link) <= 5 and link.isascii() and link.isupper()) or link == "w") or link in _NO_RUN:
            runs[at] = (False, False)
            break
        pending.append((at, u.kinds.get(link) is _Kind.JARGON))
        before = prose[begin - 1] if begin else " "
        if before != "/":
            runs[at] = (before != "_", True)  # the run's first link: its own jargon is counted below
            break
        at = begin - 1
    shaped, clean = runs[at]
    for where, jargon in reversed(pending):
        clean = clean and not jargon
        runs[where] = (shaped, clean)
    shaped, clean = runs[slash]
    return shaped and (jargon_ok or clean)


# "Ticker: M", "Ticker Symbol: F", "symbol = TSM": a symbol its writer labels as one (on
# the same line; a sentence's full stop may follow, a lower-case word after one letter may not:
# "ticker: A lot of people ask").
_LABELLED = re.compile(
    r"\b(?:[Tt]icker(?: [Ss]ymbol)?|TICKER(?: SYMBOL)?|[Ss]ymbol|SYMBOL)[ \t]*[:=][ \t]*\$?"
    r"([A-Z]{1,5}(?:\.[A-Z])?)(?!\w|\.\w)"
)
# "Tickers: KEY, CAT and ON": a label over a list, each symbol followed by a separator or the
# clause's end ("Tickers: A lot of them" holds none).
_LABELLED_LIST = re.compile(r"\b(?:[Tt]ickers|TICKERS|[Ss]ymbols|SYMBOLS)[ \t]*:[ \t]*")
_LABELLED_ITEM = re.compile(
    rf"\$?([A-Z]{{1,5}}(?:\.[A-Z])?)(?:(?:[ \t]*,)?[ \t]*(?:{_SEPARATOR})[ \t]*|(?={_CLAUSE_ENDS.pattern}))"
)
# A US exchange labels a symbol too, written as press releases and charts write it: "(NYSE:
# KEY)", "NASDAQ:AMD" (not "NASDAQ: UP 2%").
_EXCHANGE = r"\b(?:NYSE|NASDAQ|Nasdaq(?:GS|GM|CM)?|NYSEARCA|NYSE ?(?:Arca|American|MKT))"
_EXCHANGE_LABEL = re.compile(
    rf"(?:(?<=\(){_EXCHANGE}[ \t]*:[ \t]*(?=[A-Z]{{1,5}}(?:\.[A-Z])?[ \t]*\))|{_EXCHANGE}:)"
    r"([A-Z]{1,5}(?:\.[A-Z])?)(?!\w|\.\w)"
)


def _labelled(text: str, u: _Universe, found: dict[int, _Found]) -> None:
    """A listed symbol right after a label that says it is one, whatever word it also is and
    even in a code block (a screener's output pasted as code): no other context is needed.
    Each pattern runs only where its label's letters are (most texts have none)."""
    if ":" not in text and "=" not in text:
        return  # every label ends in one of them
    labels: list[re.Match[str]] = []
    if "icker" in text or "ymbol" in text or "ICKER" in text or "YMBOL" in text:
        labels += _LABELLED.finditer(text)
        if "ickers" in text or "ymbols" in text or "ICKERS" in text or "YMBOLS" in text:
            for m in _LABELLED_LIST.finditer(text):
                labels += _list_items(text, m.end(), u)
    if "NYSE" in text or "ASDAQ" in text or "asdaq" in text:
        labels += _EXCHANGE_LABEL.finditer(text)
    for m in labels:
        symbol = m.group(1)
        after = text[m.end(1) : m.end(1) + 2]
        if len(symbol) == 1 and len(after) == 2 and after[0] == " " and after[1].islower():
            continue  # "ticker: A lot of people ask": the article
        if symbol in u.names:
            found[m.start(1)] = (symbol, m.start(1), m.end(1), "symbol", 0.95, True)


def _list_items(text: str, at: int, u: _Universe) -> list[re.Match[str]]:
    """The symbols of a labelled list from ``at`` to its clause's end; none if an item is no
    listed symbol or is jargon, if every item is one letter, or if words follow the last
    ("Tickers: TBD", "Tickers: KEY, CEO", "Tickers: I, A", "Symbols: ALL and nothing else"):
    then the label heads something else."""
    items = []
    while (item := _LABELLED_ITEM.match(text, at)) is not None:
        symbol = item.group(1)
        if symbol not in u.names or u.kinds.get(symbol) is _Kind.JARGON:
            return []
        items.append(item)
        at = item.end()
    if not _CLAUSE_ENDS.match(text, at) or all(len(item.group(1)) == 1 for item in items):
        return []  # "Symbols: ALL and nothing else", "Tickers: I, A"
    return items


def _hashtag(prose: str, start: int, end: int) -> bool:
    """Whether ``#`` before the capitals at ``start`` makes a hashtag of a symbol ("#SRNE looks
    cheap"), which r/wallstreetbets writes as it writes a cashtag: the "#" stands
    alone, and the tag ends with the symbol ("#GMEARMY" is some other tag). Only symbols that
    are no word at all, and names: "#WIN" or "#LOVE" says nothing."""
    before = prose[start - 2] if start >= 2 else " "
    after = prose[end] if end < len(prose) else " "
    return not (before.isalnum() or before in "#&/") and not (after.isalnum() or after == "_")


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


@functools.lru_cache(maxsize=256)
def _context_forms(thread_symbols: frozenset[str]) -> tuple[tuple[str, str, bool], ...]:
    """The lower-case and capitalised forms :func:`_named_in_context` looks for, and whether
    each is an English word: worked out once per thread (a community's set lasts an hour)."""
    u = _universe()
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
    right next to it ("negg YOLO", "Negg puts", "bought clne") or, from four letters, a
    finance word nearby ("could squeeze like blnk did once shorted"): how people type a ticker
    on a phone. Jargon and words never: "itm calls" is no ETF. Called only for a text with
    some trade word, finance word or options number in it (``_may_be_cued``)."""
    start = prose.find(token)
    while start >= 0:
        end = start + len(token)
        prev = prose[start - 1] if start else " "
        if (
            not (prev.isalnum() or prev in "_$/")
            and _ends_word(prose, end)
            and (_adjacent(prose, start, end, moon=True) or (len(token) >= 4 and _near(prose, [], start, end)))
        ):
            found.setdefault(start, (symbol, start, end, "name", 0.7, True))
        start = prose.find(token, end)


def _index_written(prose: str, token: str, symbol: str, found: dict[int, _Found]) -> None:
    """The market's index fund typed as the word it also is ("spy wants to dump today", "back
    in spy next week"): the fund where the market moves within a few words after it, or a trade
    stands right next to it ("in spy": a position); never after "I", "a" or "to", nor
    before "on" or "movie"."""
    start = prose.find(token)
    while start >= 0:
        end = start + len(token)
        prev = prose[start - 1] if start else " "
        if not (prev.isalnum() or prev in _GLUE) and _ends_word(prose, end):
            before = prose[max(0, start - 12) : start].lower().split()
            clause = _CLAUSE_END.split(prose[end : end + 60], maxsplit=1)[0]  # "a spy got caught, stocks dropped"
            after = [w.strip(":()\"'") for w in clause.lower().split()[:_MOVES_WINDOW]]
            if (
                not (before and before[-1] in _SPY_BEFORE)
                and not (after and after[0] in _SPY_AFTER)
                and (
                    not _MARKET_MOVES.isdisjoint(after)
                    or (before and before[-1] in _INTO)
                    or _adjacent(prose, start, end)
                )
            ):
                found.setdefault(start, (symbol, start, end, "name", 0.7, True))
        start = prose.find(token, end)


def _shouted_name(prose: str, token: str, symbol: str, found: dict[int, _Found]) -> None:
    """A name in capitals where the line shouts, with a finance word or number beside it, as a
    bare symbol in such a line needs: many names are words too ("AFFIRM", "SNOWFLAKE"), and
    the names that are none already match in any case (``aliases.csv`` "any")."""
    shouting = by_line(prose, _shouting)
    start = prose.find(token)
    while start >= 0:
        end = start + len(token)
        if (
            _ends_word(prose, end)
            and (start == 0 or not prose[start - 1].isalnum())
            and shouting(start)
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
            if (
                not (prev.isalnum() or prev in _GLUE)
                and _ends_word(prose, end)
                and not _stripped_url(prose, start, end)
            ):
                method = "symbol" if spelling.upper() == symbol else "name"
                found.setdefault(start, (symbol, start, end, method, 0.85, True))
            start = prose.find(spelling, end)


_SQUEEZE = re.compile(r"\s+(?:[A-Za-z]+\s+)?(?:short(?:s|ed)?\b|sq[ue]{2,}z)", re.IGNORECASE)


def _squeeze_next(prose: str, end: int, symbol: str, u: _Universe) -> bool:
    """Whether a title's first word, a word-like symbol, is the subject of a squeeze ("ROOT
    SHORT SQUEEZE SOON", "BODY SHORT SELLERS TRAPPED", "ROOT BIGGEST SQUEEZE"): not an everyday
    word, nor a word that sizes the squeeze ("BIG SHORT SQUEEZE", "HUGE SHORT SQUEEZE")."""
    return (
        symbol not in u.everyday
        and symbol not in _ALWAYS_WORD
        and symbol not in _SQUEEZE_SIZES
        and _SQUEEZE.match(prose, end) is not None
    )


def _stripped_url(prose: str, start: int, end: int) -> bool:
    """Whether the word is a site's domain in a dump that stripped a URL's punctuation
    ("https www airbnb com rooms ..."): the link's address, not a mention ("gme community" is)."""
    return prose[max(0, start - 4) : start] == "www " or (
        prose.startswith(" com", end) and not prose[end + 4 : end + 5].isalnum()
    )


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
    seen = {f[0] for f in found.values()}  # symbols named elsewhere in the text
    parens = "(" in prose
    multiline = "\n" in prose
    cue_words: bool | None = None
    shouting: bool | None = None  # for one-line texts (the usual), computed once when needed
    loud_lines: dict[int, bool] = {}  # for the others, once a line: a long shouted one holds thousands
    short = by_line(prose, _short_line)  # likewise whether a line is a short one (a headline)
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
        if policy == _ADJACENT and _opens_title(prose, start) and _squeeze_next(prose, end, symbol, u):
            found.setdefault(start, (symbol, start, end, "symbol", 0.75, True))
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
            line = prose.rfind("\n", 0, start) + 1
            if (loud_cached := loud_lines.get(line)) is None:
                loud_cached = loud_lines[line] = _shouting(prose, start)
            loud = loud_cached
        elif shouting is None:
            loud = shouting = len(prose) >= 10 and prose.isupper()  # _shouting, for one line
        else:
            loud = shouting
        if policy == _UNLESS_LOUD:
            if loud and not short(start):
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
                if cue_words is None:  # once a text: it searches the whole of it
                    cue_words = _may_be_adjacent(prose, words)
                accepted = cue_words and _adjacent(prose, start, end, before=symbol not in u.everyday)
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
