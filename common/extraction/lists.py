"""Lists of tickers are their own context: "GME BB NOK", "FUBO, FUTU, FOUR", "GME/AMC". A
refused word that stands in a list beside an accepted ticker is one of them."""

import re

from common.extraction.evidence import _shouting
from common.extraction.lexicon import _ADJACENT, _ALWAYS_WORD, _STRONG, _Found

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
