"""Lists of tickers are their own context: "GME BB NOK", "FUBO, FUTU, FOUR", "GME/AMC",
"ABNB 5% KO 4%", or one ticker a line. A refused word that stands in a list beside an accepted
ticker is one of them."""

import bisect
import itertools
import re
from collections.abc import Callable, Mapping

from common.extraction.evidence import _shouting
from common.extraction.lexicon import (
    _ADJACENT,
    _ALWAYS_WORD,
    _CLAUSE_END,
    _SEP,
    _SEP_ONLY,
    _STRONG,
    LETTER_CONFIDENCE,
    _Found,
)
from common.extraction.universe import _universe

# What may separate the symbols of a list: "FUBO, FUTU, FOUR", "GME/AMC", "WISH AND BB",
# "AMC & BB"; or a bare space after a ticker ("GME BB NOK"), never before one: a word just
# before a ticker is mostly a preposition ("FOR NIO", "SQUEEZE ON BB"). Jargon needs commas
# or slashes on both sides (see _in_lists).
_SEPARATOR = r"[,/&|+;]|\band\b|\bAND\b|\bor\b|\bOR\b|\bvs\.?"
_LIST_SEPARATOR = re.compile(rf"[ \t]*(?:{_SEPARATOR})[ \t]*")
_LIST_STRICT = re.compile(r"[ \t]*[,/|;][ \t]*")
_CLAUSE_ENDS = re.compile(rf"[ \t]*(?:{_CLAUSE_END.pattern}|[:)\]…]|\r?\n|\Z)")
_CAPITAL_NEXT = re.compile(r"[ \t]+([A-Z]{2,})\b")
_BLANKS = re.compile(r"[ \t]+")
# The gap just before a symbol, back to the end of the word before it (searched in a short
# window ending at the symbol, so it costs the same however long the text).
_LIST_GAP_BEFORE = re.compile(rf"[ \t]*(?:{_SEPARATOR})?[ \t]*\Z")
# A holding's weight right after its symbol ("KO 4%", "PEP - 20%"), and the same weight seen
# from the next symbol, with what may separate the two ("KO 4%, PEP").
# Runs of blanks are taken whole (possessive ``*+``): two of them around an optional mark
# would otherwise try every split of a long run, at every symbol.
_WEIGHT_TEXT = r"[ \t]*+[-:]?[ \t]*+\d{1,3}(?:\.\d+)?[ \t]?%"
_AFTER_WEIGHT_TEXT = r"[ \t]*+[,;|]?[ \t]*+"
_WEIGHT = re.compile(_WEIGHT_TEXT)
_WEIGHT_BEFORE = re.compile(rf"{_WEIGHT_TEXT}{_AFTER_WEIGHT_TEXT}\Z")
_AFTER_WEIGHT = re.compile(_AFTER_WEIGHT_TEXT)
# What an allocation names beside its tickers: cash, emerging markets, international.
_ALLOCATION = frozenset(("CASH", "EM", "INTL"))


# Passes over the symbols still pending, alternately forward and back: a list joins its
# neighbours along the text in one, and a table's column up or down in one more. A table
# that joins only by turning back and forth cell by cell would need a pass per column, each
# over every symbol left: quadratic, which one crafted post would turn into minutes.
_LIST_PASSES = 8


def _in_lists(prose: str, rejected: list[tuple[str, int, int, int]], found: dict[int, _Found]) -> None:
    """Accept rejected symbols that stand right beside an accepted ticker in a list, until no
    more join (a list is read outward from the tickers it surely holds). In a shouting line a
    space says nothing ("BUYING MORE AMC ON MONDAY"), and an everyday word after a ticker
    needs a separator ("NVDA AI chips" is not two tickers). Each pass is linear; passes
    alternate direction, so a list anchored at either end joins in one or two."""
    ends = {f[2]: f[1] for f in found.values() if f[3] != "name"}  # lists are of symbols ("GME BB NOK")
    starts = {f[1]: f[2] for f in found.values() if f[3] != "name"}
    column = _Column(prose, starts) if "\n" in prose else None
    shouting: dict[int, bool] = {}  # by line start: a long line in capitals is read once

    def loud(start: int) -> bool:
        line = prose.rfind("\n", 0, start) + 1
        if line not in shouting:
            shouting[line] = _shouting(prose, start)
        return shouting[line]

    pending = sorted(rejected, key=lambda r: r[1])
    candidates = {r[1]: r[0] for r in rejected}
    forward = True
    for _ in range(_LIST_PASSES):
        if not pending:
            break
        joined_any = False
        left: list[tuple[str, int, int, int]] = []
        for item in pending if forward else reversed(pending):
            symbol, start, end, policy = item
            if policy == _STRONG:
                gap = _LIST_GAP_BEFORE.search(prose, max(0, start - 8), start)
                strict_after = _skip_gap(prose, end, _LIST_STRICT)
                joined = (
                    gap is not None
                    and gap.start() in ends
                    and _LIST_STRICT.fullmatch(prose, gap.start(), start) is not None
                    and strict_after != end
                    and strict_after in starts
                )
            else:
                joined = _beside(
                    prose, symbol, start, end, policy=policy, ends=ends, starts=starts, loud=loud, candidates=candidates
                )
                if not joined and symbol not in _ALWAYS_WORD and symbol not in _ALLOCATION:
                    joined = _weighted(prose, start, end, ends, starts) or (
                        column is not None and column.beside(start, end, policy)
                    )
            if joined:
                found[start] = (symbol, start, end, "symbol", 0.75, True)
                ends[end] = start
                starts[start] = end
                if column is not None:
                    column.add(start, end)
                joined_any = True
            else:
                left.append(item)
        if not joined_any:
            break
        pending = sorted(left, key=lambda r: r[1])
        forward = not forward


# One-letter symbols in a list, between two tickers ("HD, V, UNH", "VZ, T, F, and TMUS",
# "VZ/T/TMUS"): alone, one capital is a word, a grade, an option's side, a placeholder or a
# variable, never a ticker on its own evidence. So both ends must be listed tickers, every
# link written with the same separator (a space says nothing: "rip TSLA F NIO", "NVDA B, AMD
# C" grade them, "SPY C/QQQ P" names options), and the list must not go on in pairs ("NVDA,
# B, AMD, C"). "A" and "I" are words too often even there; consecutive letters are
# placeholders ("AAPL, X, Y, Z or MSFT"); a credit rating is no list ("CCC/B/BB").
_SEP_LETTER = re.compile(rf"({_SEP})([A-Z])(?![\w$.&'’-])")
_LETTER_SEP_BEFORE = re.compile(rf"(?<![\w$.&'’-])([A-Z])({_SEP})\Z")
_LETTERS = frozenset(letter.encode() for letter in "BCDEFGHJKLMNOPQRSTUVWXYZ")
_RATINGS = frozenset(("AAA", "AA", "BBB", "BB", "CCC", "CC"))
_LETTERS_MAX = 3  # "VZ, T, F, TMUS"; a longer run of capitals is an enumeration


def _list_separator(separator: str) -> str:
    """A separator as a list reads it: ", and" closes a list of commas as "and" does."""
    words = separator.replace(",", " ").split()
    return words[0] if words else separator.strip()


def _letters_between(prose: str, words: list[bytes], names: Mapping[str, str], found: dict[int, _Found]) -> None:
    """Accept the listed one-letter symbols that a list holds between two accepted tickers,
    looking only right after each ticker. ``words``: the text's words, so that a text with no
    such letter costs one set test."""
    if _LETTERS.isdisjoint(words):
        return
    tickers = {f[1]: f for f in found.values() if f[3] != "name" and f[5] and f[0] in names}
    for first in list(tickers.values()):
        letters: list[tuple[str, int, int]] = []
        separators: list[str] = []
        at = first[2]
        while len(letters) <= _LETTERS_MAX and (m := _SEP_LETTER.match(prose, at)) is not None:
            letters.append((m.group(2), m.start(2), m.end(2)))
            separators.append(_list_separator(m.group(1)))
            at = m.end()
        last = _SEP_ONLY.match(prose, at)
        if not letters or last is None or (after := tickers.get(last.end())) is None:
            continue
        separators.append(_list_separator(last.group()))
        if _joined(prose, letters, separators, names, (first, after)):
            for letter, start, end in letters:
                found.setdefault(start, (letter, start, end, "symbol", LETTER_CONFIDENCE, True))


def _joined(
    prose: str,
    letters: list[tuple[str, int, int]],
    separators: list[str],
    names: Mapping[str, str],
    ends: tuple[_Found, _Found],
) -> bool:
    """Whether ``letters`` between the tickers ``ends`` make one list with them."""
    if len(letters) > _LETTERS_MAX or any(
        letter.encode() not in _LETTERS or letter not in names for letter, _, _ in letters
    ):
        return False
    if any(ord(b[0]) - ord(a[0]) == 1 for a, b in itertools.pairwise(letters)):
        return False  # "X, Y, Z": placeholders
    head, tail = separators[:-1], separators[-1]
    if any(s != head[0] for s in head) or tail not in (head[0], *(("and", "or") if head[0] == "," else ())):
        return False
    if ends[0][0] in _RATINGS and ends[1][0] in _RATINGS:
        return False
    # "NVDA, B, AMD, C, INTC": a letter after the last ticker or before the first, each ticker
    # with its own letter
    pair = _SEP_LETTER.match(prose, ends[1][2])
    if pair is not None and pair.group(2) not in "AI" and _list_separator(pair.group(1)) == head[0]:
        return False
    pair = _LETTER_SEP_BEFORE.search(prose, max(0, ends[0][1] - 64), ends[0][1])
    return pair is None or pair.group(1) in "AI" or _list_separator(pair.group(2)) != head[0]


def _beside(
    prose: str,
    symbol: str,
    start: int,
    end: int,
    *,
    policy: int,
    ends: dict[int, int],
    starts: dict[int, int],
    loud: Callable[[int], bool],
    candidates: Mapping[int, str],
) -> bool:
    """Whether a separator (or, after a ticker, a space) joins the symbol to a ticker
    (``candidates``: the symbols not accepted yet, by start). A word
    that ends a run of slashes in a line that does not shout is not the first of a phrase in
    capitals ("TSLA/NIO/ANY EV", but "AMC/KEY CAT" when CAT is a ticker); one that is always a
    word ends its clause there too ("GME/AMC/ALL." but not "TSLA/ALL IN", "TSLA/ALL time
    highs")."""
    gap = _LIST_GAP_BEFORE.search(prose, max(0, start - 8), start)
    explicit = gap is not None and gap.group(0).strip() != ""
    after = _skip_gap(prose, end, _LIST_SEPARATOR)
    if after != end and after in starts:
        return True
    if gap is None or gap.start() not in ends:
        return False
    if "/" in gap.group(0) and symbol in _ALWAYS_WORD:
        return _CLAUSE_ENDS.match(prose, end) is not None
    if "/" in gap.group(0) and policy >= _ADJACENT and not loud(start):
        capital = _CAPITAL_NEXT.match(prose, end)
        if capital is not None and capital.start(1) not in starts:
            return False  # "TSLA/NIO/ANY EV play": the word opens a phrase in capitals
    # a very common word after a bare space ("AMC OR nothing", "GME AT the open") is a sentence going
    # on, unless a symbol that is no such word follows it the same way ("DUK SO NEE")
    common = _universe().everyday
    if symbol in common:
        following = _skip_gap(prose, end, _BLANKS)
        next_symbol = candidates.get(following)
        everyday = following not in starts and (next_symbol is None or next_symbol in common)
    else:
        everyday = False
    return explicit or (symbol not in _ALWAYS_WORD and not everyday and not (policy == _ADJACENT and loud(start)))


def _weighted(prose: str, start: int, end: int, ends: dict[int, int], starts: dict[int, int]) -> bool:
    """A holding in a list of weights: its own weight after it, and a ticker with its weight
    just before it or just after ("ABNB 5% KO 4% CL 6%"); one weight alone joins nothing
    ("NVDA is UP 5% today")."""
    weight = _WEIGHT.match(prose, end)
    if weight is None:
        return False
    before = _WEIGHT_BEFORE.search(prose, max(0, start - 16), start)
    if before is not None and before.start() in ends:
        return True
    after = _skip_gap(prose, weight.end(), _AFTER_WEIGHT)
    return after != weight.end() and after in starts and _WEIGHT.match(prose, starts[after]) is not None


def _skip_gap(prose: str, end: int, gap: re.Pattern[str]) -> int:
    m = gap.match(prose, end)
    return m.end() if m else end


# What may open a line of a column list before its ticker (a bullet or a number: "1.", "4)"),
# and all that may follow it: a note in brackets, a weight or a price ("AMD (chips)", "KO -
# 20%", "PEP (drinks) - 5%"), never words ("EDIT: thanks", "NEXT 2 weeks").
# Each run of blanks is taken whole (``*+``): with the optional parts between them empty, three
# runs that may each hold the blanks tried every split of them (a comment with a long run of
# spaces after a ticker cost minutes).
_LINE_HEAD = re.compile(r"[ \t]*+(?:[-*•>+]++|\d{1,2}[.)]|#++)?[ \t]*+\**+")
_LINE_NOTE = re.compile(r"[ \t*]*+(?:\([^)\n]{0,60}\))?[ \t]*+(?:[-–—:=|][ \t]*+)?(?:\$?\d[\d.,]*[ \t]?%?)?[ \t*]*+\r?")
# A table's cells: Markdown pipes (in a row framed by them, or in a text with a Markdown
# table's rule line under its header), or tabs as a spreadsheet pastes them. A cell holding
# a symbol holds nothing else but emphasis or a "$".
_CELLS = re.compile(r"[|\t]")
_CELL_PADDING = " \xa0*$\r"
_TABLE_RULE = re.compile(r"^(?=[^\n]*\|)(?=[^\n]*-)[ \t|:\-]+\r?$", re.MULTILINE)


class _Column:
    """Lists written one ticker a line: a line that holds a symbol and at most a note
    joins the list when the line before or after it (a blank line between allowed) holds a
    ticker the same way. A word ("HAS", "SONY") joins only alone on its line. In a table, a
    cell that holds only a symbol joins when the same column holds a ticker in the body row
    above or below (never across the header's rule: "| Metric | AAPL |" heads a column of
    figures, not of tickers)."""

    def __init__(self, prose: str, starts: dict[int, int]) -> None:
        self.prose = prose
        self.breaks = [m.start() for m in re.finditer("\n", prose)]
        self.piped = "|" in prose and _TABLE_RULE.search(prose) is not None
        self.lines: set[tuple[int, int]] = set()  # (line, table column; -1 outside tables)
        self.rows: dict[int, list[tuple[int, int, int]] | None] = {}  # line -> its cells, read once
        for start, end in starts.items():
            self.add(start, end)

    def _span(self, line: int) -> tuple[int, int]:
        """Where line number ``line`` begins and ends."""
        begin = self.breaks[line - 1] + 1 if line else 0
        return begin, self.breaks[line] if line < len(self.breaks) else len(self.prose)

    def _listed(self, start: int, end: int) -> tuple[int, int, bool] | None:
        """The line number, the table column (-1 outside a table) and whether the symbol is
        alone there, if its line is a list line or its cell a table's."""
        line = bisect.bisect_left(self.breaks, start)
        begin, stop = self._span(line)
        cell = self._cell(begin, stop, start, end)
        if cell is not None:
            return line, cell, True
        if (
            _LINE_HEAD.fullmatch(self.prose, begin, start) is None
            or _LINE_NOTE.fullmatch(self.prose, end, stop) is None
        ):
            return None
        return line, -1, self.prose[end:stop].strip(" \t*\r") == ""

    def _cells(self, begin: int, stop: int) -> list[tuple[int, int, int]] | None:
        """A table row's cells as (column, start, end) in the text, None for a line that is no
        table row; read once per line, however many symbols it holds."""
        row = self.prose[begin:stop]
        framed = row.strip(" \r").startswith("|") and row.strip(" \r").endswith("|")
        if "\t" not in row and not ((self.piped and "|" in row) or (framed and row.count("|") >= 2)):
            return None
        lead = 1 if row.lstrip(" ").startswith("|") else 0  # "| AMD | 10 |" and "AMD | 10" alike
        cells, edge = [], begin
        for column, cell in enumerate(_CELLS.split(row)):
            cells.append((column - lead, edge, edge + len(cell)))
            edge += len(cell) + 1
        return cells

    def _cell(self, begin: int, stop: int, start: int, end: int) -> int | None:
        """The symbol's column, if a table row's cell holds it and nothing more."""
        if begin not in self.rows:
            self.rows[begin] = self._cells(begin, stop)
        cells = self.rows[begin]
        if cells is None:
            return None
        found = bisect.bisect_right(cells, start, key=lambda c: c[1]) - 1
        if found < 0:
            return None
        column, left, right = cells[found]
        if not left <= start < right:
            return None
        return column if self.prose[left:right].strip(_CELL_PADDING) == self.prose[start:end] else None

    def _blank(self, line: int) -> bool:
        begin, stop = self._span(line)
        return not self.prose[begin:stop].strip()

    def beside(self, start: int, end: int, policy: int) -> bool:
        listed = self._listed(start, end)
        if listed is None or (policy >= _ADJACENT and not listed[2]):
            return False
        line, column, _ = listed
        for step in (-1, 1):
            near = line + step
            if 0 <= near <= len(self.breaks) and self._blank(near):
                near += step  # one blank line between list lines, as Markdown needs them
            if (near, column) in self.lines:
                return True
        return False

    def add(self, start: int, end: int) -> None:
        listed = self._listed(start, end)
        if listed is not None:
            self.lines.add(listed[:2])
