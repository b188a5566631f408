"""Mention roles: a symbol named only as another company's partner, customer, supplier or
peer ("BlackBerry expands partnership with Baidu") is secondary, so the detector can
discount a surge made only of such mentions."""

import bisect
import re

from common.extraction.lexicon import _Found

# Words that make the symbol right after them another company's partner, customer, supplier
# or peer: "BlackBerry expands partnership with Baidu", "partners with Amazon, Dell".
_RELATION = re.compile(
    r"\b(?:partner(?:ship|s|ed|ing)?(?:\s+with)?|deal\s+with|contract\s+with|agreement\s+with|customers?|clients?|"
    r"suppliers?|supplied\s+by|competitors?|rivals?|peers?|competes\s+with|compared\s+to|vs\.?|versus|"
    r"such\s+as|acquired\s+by|backed\s+by|works\s+with|working\s+with|teams?\s+up\s+with)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?]\s|\n")
_RELATION_REACH = 60  # characters before a mention a relation word may stand ("partners with Amazon, HP, Dell")


def _secondary(text: str, found: list[_Found]) -> frozenset[str]:
    """Symbols every mention of which follows a relation word in its sentence (within a short
    reach), while some other symbol is named as a subject: what the text is about is not them.
    Sentence boundaries are found once per text."""
    boundaries = [m.end() for m in _SENTENCE_END.finditer(text)]
    related: dict[str, bool] = {}
    for f in sorted(found, key=lambda f: f[1]):
        i = bisect.bisect_right(boundaries, f[1]) - 1
        sentence_start = boundaries[i] if i >= 0 else 0
        is_related = _RELATION.search(text, max(sentence_start, f[1] - _RELATION_REACH), f[1]) is not None
        related[f[0]] = related.get(f[0], True) and is_related
    subjects = [s for s, r in related.items() if not r]
    return frozenset(s for s, r in related.items() if r) if subjects else frozenset()
