"""What stands around a symbol and tells a reader it is a ticker: a finance word in the same
clause, a trade right next to it, the company's name framing it, a title it opens, a line
that shouts. Each check reads only a short window, so the hot loop can ask many."""

import bisect
import functools
import itertools
import re
from collections.abc import Callable

from common.extraction.lexicon import (
    _A_YEAR,
    _ADJACENT_WORDS,
    _ALWAYS_WORD,
    _CUE_BYTES,
    _CUE_NUMBER,
    _CUE_WINDOW,
    _CUE_WORDS,
    _MONTHS,
    _NEXT_COUNT,
    _NEXT_EVENTS,
    _NEXT_NUMBER,
    _NEXT_WORDS,
    _NUMBER_CUE,
    _PHRASE_GOES_ON,
    _PREV_ASKING,
    _PREV_DEALINGS,
    _PREV_PAIRS,
    _PREV_STRONG,
    _PREV_WORDS,
    _TO_THE_MOON,
    _words,
)
from common.extraction.universe import _words_of


def by_line(prose: str, judge: Callable[[str, int], bool]) -> Callable[[int], bool]:
    """``judge(prose, at)`` for the line holding ``at``, read once a line: a long line holds
    thousands of mentions, each of which would read all of it again."""
    judged: dict[int, bool] = {}

    def read(at: int) -> bool:
        line = prose.rfind("\n", 0, at) + 1
        if line not in judged:
            judged[line] = judge(prose, at)
        return judged[line]

    return read


def _shouting(text: str, pos: int) -> bool:
    """Whether the line around ``pos`` is written in capitals: there capitals carry no
    signal, while in a mixed-case line a capitalised symbol stands out as one."""
    if "\n" in text:
        end = text.find("\n", pos)
        text = text[text.rfind("\n", 0, pos) + 1 : end if end >= 0 else len(text)]
    return len(text) >= 10 and text.isupper()


_SUBJECTS = _words("i we you they he she who")


def _after_subject(prose: str, start: int) -> bool:
    """Whether a pronoun comes right before: "I wish calls were cheaper" is the verb."""
    before = prose[max(0, start - 8) : start].split()
    return bool(before) and before[-1].lower() in _SUBJECTS


def _ends_word(text: str, end: int) -> bool:
    return end >= len(text) or not (text[end].isalnum() or text[end] == "-")


_RUN = re.compile(r"\S+")


def _short_line(prose: str, pos: int) -> bool:
    """Whether the line around ``pos`` has at most six words: a shouted headline ("URGENT BNGO
    ANNOUNCEMENT"), where a symbol that is no word at all can only be the subject."""
    line_start = prose.rfind("\n", 0, pos) + 1
    line_end = prose.find("\n", pos)
    # the seventh word, if any, and no further: a long shouted line has thousands
    words = _RUN.finditer(prose, line_start, line_end if line_end >= 0 else len(prose))
    return next(itertools.islice(words, 6, None), None) is None


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


def _may_be_cued(prose: str, words: list[bytes]) -> bool:
    """Whether anything in the text could be evidence for a word-like symbol anywhere: a trade
    right next to it (:func:`_may_be_adjacent`) or a finance word or number in its clause
    (:func:`_near`), which the squeeze of a title and a lower-case symbol read too."""
    return _may_be_adjacent(prose, words) or not _CUE_BYTES.isdisjoint(words) or _CUE_NUMBER.search(prose) is not None


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
    """Evidence right next to the word: a following "calls"/"30c"/"shares" or count ("22
    calls", "100 shares"), "to the moon" (with ``moon``), or a preceding "bought"/"shares
    of"/"calls on"/"deals with"/"thoughts on" (only "shares of"-like pairs without
    ``before``)."""
    after = text[end : end + 14].lower().split(None, 1)
    if (after and after[0].strip(",.:;!?") in _NEXT_WORDS) or _NEXT_NUMBER.match(text, end):
        return True
    word = text[start:end]
    if _NEXT_COUNT.match(text, end) and word not in _ALWAYS_WORD and not (word in _MONTHS and _A_YEAR.match(text, end)):
        return True
    if moon and _TO_THE_MOON.match(text, end):
        return True
    if after and after[0].strip(",.:;!?") in _NEXT_EVENTS and word not in _ALWAYS_WORD:
        return True
    if not before:
        return " ".join(text[max(0, start - 30) : start].lower().split()[-2:]) in _PREV_STRONG
    words = text[max(0, start - 30) : start].lower().split()
    return bool(words) and (
        words[-1] in _PREV_WORDS
        or " ".join(words[-2:]) in _PREV_PAIRS
        or (len(words) > 2 and " ".join(words[-3:]) in _PREV_PAIRS)
        or (" ".join(words[-2:]) in _PREV_DEALINGS and word not in _ALWAYS_WORD)
        or (
            " ".join(words[-2:]) in _PREV_ASKING
            and word not in _ALWAYS_WORD
            and _PHRASE_GOES_ON.match(text, end) is None
        )
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
