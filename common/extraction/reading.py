"""What a text names: its mentions with their roles, its distinct symbols on the day it was
written, and the bare word-like candidates the rules judged (for a learned second opinion)."""

from dataclasses import dataclass

from common.extraction.lexicon import _ASCII_WORDS, _Found
from common.extraction.roles import _secondary
from common.extraction.scan import _cashtag_symbols, _scan
from common.extraction.universe import _in_time, _universe


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


def extract(text: str, *, thread_symbols: frozenset[str] = frozenset(), at: float | None = None) -> list[TickerMention]:
    """All ticker mentions in ``text``, in order of position (one per place; a symbol may
    appear several times). ``thread_symbols`` are symbols already seen in the same thread
    (a post's cashtags, for its comments): evidence that a bare word there is the ticker.
    ``at`` is when the text was written (epoch seconds): only symbols that traded then count,
    and a cashtag of one that did not is kept as unknown. None reads the universe as shipped."""
    found = _in_time(_scan(text, thread_symbols), at, text)
    secondary = _secondary(text, found) if len({f[0] for f in found}) > 1 else frozenset()
    return [TickerMention(*f, role="secondary" if f[0] in secondary else "primary") for f in found]


def symbols(text: str, *, thread_symbols: frozenset[str] = frozenset(), at: float | None = None) -> list[str]:
    """Distinct known symbols in ``text`` at time ``at``, in order of first appearance."""
    if "$" in text and not ("`" in text or "    " in text or "\t" in text or "/" in text):
        # A sixth of all texts name tickers only by cashtag ("$OPFI the chart looks insane"):
        # then the symbols are the cashtags, in order, which one ``findall`` gives.
        u = _universe()
        if u.words.keys().isdisjoint(text.encode().translate(_ASCII_WORDS).split()):
            return [s for s in _cashtag_symbols(text, u.names) if u.listings.valid(s, at)]
    found = _in_time(_scan(text, thread_symbols), at, text)
    if not found:
        return []
    if len(found) == 1:
        return [found[0][0]] if found[0][5] else []
    return list(dict.fromkeys([f[0] for f in found if f[5]]))


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
    u = _universe()

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
