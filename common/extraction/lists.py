"""Lists of tickers are their own context: "GME BB NOK", "FUBO, FUTU, FOUR", "GME/AMC",
"MO 3% KO 2%", or one ticker a line. A refused word that stands in a list beside an accepted
ticker is one of them."""

import bisect
import re

from common.extraction.evidence import _shouting
from common.extraction.lexicon import _ADJACENT, _ALWAYS_WORD, _STRONG, _Found

# What may separate the symbols of a list: "FUBO, FUTU, FOUR", "GME/AMC", "WISH AND BB",
# "AMC & BB"; or a bare space after a ticker ("GME BB NOK"), never before one: a word just
# before a ticker is mostly a preposition ("FOR NIO", "SQUEEZE ON BB"). Jargon needs commas
# or slashes on both sides (see _in_lists).
_LIST_SEPARATOR = re.compile(
    r"[ \t]*(?:[,/&|+;]|\band\b|\bAND\b|\bor\b|\bOR\b|\bvs\.?|(?<!\w)\d{1,3}(?:\.\d+)? ?%)[ \t]*"
)
_LIST_STRICT = re.compile(r"[ \t]*[,/|;][ \t]*")


def _in_lists(prose: str, rejected: list[tuple[str, int, int, int]], found: dict[int, _Found]) -> None:
    """Accept rejected symbols that stand right beside an accepted ticker in a list, until no
    more join (a list is read outward from the tickers it surely holds). In a shouting line a
    space says nothing ("BUYING MORE AMC ON MONDAY"), and an everyday word after a ticker
    needs a separator ("NVDA AI chips" is not two tickers). Each pass is linear; passes
    alternate direction, so a list anchored at either end joins in one or two."""
    ends = {f[2] for f in found.values() if f[3] != "name"}  # lists are of symbols ("GME BB NOK")
    starts = {f[1] for f in found.values() if f[3] != "name"}
    column = _Column(prose, starts) if "\n" in prose else None
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
            if not joined and column is not None and policy != _STRONG and symbol not in _ALWAYS_WORD:
                joined = column.beside(start, end)
            if joined:
                found[start] = (symbol, start, end, "symbol", 0.75, True)
                ends.add(end)
                starts.add(start)
                if column is not None:
                    column.add(start)
                joined_any = True
            else:
                left.append(item)
        if not joined_any:
            break
        pending = sorted(left, key=lambda r: r[1])
        forward = not forward


# The gap just before a symbol, back to the end of the word before it (searched in a short
# window ending at the symbol, so it costs the same however long the text); a weight after
# the word before ("MO 3% KO") is a separator too.
_LIST_GAP_BEFORE = re.compile(
    r"[ \t]*(?:[,/&|+;]|\band\b|\bAND\b|\bor\b|\bOR\b|\bvs\.?|(?<!\w)\d{1,3}(?:\.\d+)? ?%)?[ \t]*\Z"
)
_LIST_SEPARATOR_CHARS = re.compile(r"[,/&|+;%]|and|AND|or|OR|vs")
# What may open a line of a column list before its ticker: a bullet or a number ("1.", "4)").
_LINE_HEAD = re.compile(r"[ \t]*(?:[-*•>]+|\d{1,2}[.)]|#+)?[ \t]*\**\Z")
_NOTE_OPENERS = frozenset("(-–—:=,|$%@0123456789")
_COLUMN_WORDS = 6  # a line of a list: the ticker and a few words ("U (Unity)", "VOO - 45%")


class _Column:
    """Lists written one ticker a line: a line that opens with a refused symbol and says
    little else joins the list when the line before or after it opens with a ticker. After
    the symbol only a note may follow ("U (Unity)", "VOO - 45%", "CL: 2%"), never a word
    ("GET NAKD", "NET income fell": a sentence)."""

    def __init__(self, prose: str, starts: set[int]) -> None:
        self.prose = prose
        self.breaks = [i for i, c in enumerate(prose) if c == "\n"]
        self.lines = {self._line(s) for s in starts if self._opens_line(s)}

    def _line(self, pos: int) -> int:
        return bisect.bisect_left(self.breaks, pos)

    def _opens_line(self, pos: int) -> bool:
        line = self._line(pos)
        begin = self.breaks[line - 1] + 1 if line else 0
        end = self.breaks[line] if line < len(self.breaks) else len(self.prose)
        return (
            _LINE_HEAD.fullmatch(self.prose, begin, pos) is not None
            and len(self.prose[begin:end].split()) <= _COLUMN_WORDS
        )

    def _blank(self, line: int) -> bool:
        begin = self.breaks[line - 1] + 1 if line else 0
        end = self.breaks[line] if line < len(self.breaks) else len(self.prose)
        return not self.prose[begin:end].strip()

    def _neighbour(self, line: int, step: int) -> int | None:
        line += step
        while 0 <= line <= len(self.breaks) and self._blank(line):
            line += step
        return line if 0 <= line <= len(self.breaks) else None

    def beside(self, pos: int, end: int) -> bool:
        if not self._opens_line(pos):
            return False
        line_end = self.breaks[self._line(pos)] if self._line(pos) < len(self.breaks) else len(self.prose)
        rest = self.prose[end:line_end].strip(" \t*")
        if rest and rest[0] not in _NOTE_OPENERS:
            return False
        line = self._line(pos)
        return any(self._neighbour(line, step) in self.lines for step in (-1, 1))

    def add(self, pos: int) -> None:
        if self._opens_line(pos):
            self.lines.add(self._line(pos))


def _skip_gap(prose: str, end: int, gap: re.Pattern[str]) -> int:
    m = gap.match(prose, end)
    return m.end() if m else end
