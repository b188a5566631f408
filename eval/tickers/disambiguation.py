"""A learned second opinion on the word-like symbols the extraction rules refuse: measured,
not shipped.

The rules in :mod:`common.extraction` accept a word-like symbol (BB, GM, PLAY, ON) only on the
evidence their hand-written lists name; a reader also goes by what the rules cannot list: the
other tickers in the line, the words around it, how the community writes that symbol. Here
each candidate is described by a few sparse features and weighed by a logistic model trained
on the development split of the real labelled set (``train_disambiguator.py``, weights in
``disambiguator.json``). ``make eval-tickers`` reports the rules with and without it on the
held-out split; it joins the product only once it beats the rules there and on fresh rounds.
"""

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from common.extraction import Candidate

MODEL_PATH = Path(__file__).resolve().parent / "disambiguator.json"

_PUNCT = "\"'()[]{}<>*,.!?:;~…“”‘’"
_SPLIT = bytes.maketrans(b"!\"#$%&()*+,./:;<=>?@[\\]^_`{|}~'-", b" " * 32)
_OPTION = re.compile(r"\$?\d+(?:\.\d+)?[cCpP]$|\d{1,2}/\d{1,2}(?:/\d{2,4})?$")
_NUMBER = re.compile(r"\$?\d")
_SEPARATORS = frozenset(",/&+|")
# English function words: after a candidate ("COST of living", "PLAY with") they say it is a
# word in a sentence; one feature for all of them lets a few examples teach every one.
_FUNCTION_TEXT = """a an the of to in on at by for from with as is are was were be been am it its this that
these those my your our their his her i you we they he she me us them and or but so if not no
just than then there here what which who how when where why"""
_FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())
_WINDOW = 40  # characters either side read as the candidate's neighbourhood
_LINE = 160  # ... and as its line, for counting capitals (a long line is read no further)


def _bucket(n: int, edges: tuple[int, ...] = (0, 1, 2, 4)) -> str:
    """``n`` as the largest edge it reaches: a count's size, not its value."""
    return str(max(e for e in edges if n >= e))


def _shape(token: str) -> str:
    if _OPTION.match(token):
        return "<option>"
    if _NUMBER.match(token):
        return "<number>"
    if token.isupper() and len(token) >= 2:
        return "<CAPS>"
    return token.lower()


def features(prose: str, symbol: str, start: int, end: int, *, rule: str, others: Iterable[str]) -> list[str]:
    """What a reader weighs about the candidate ``symbol`` at ``prose[start:end]``: its own
    identity and how word-like the rules judge it (``rule``), the words just before and after,
    whether a list or options syntax surrounds it, how many other tickers and capitalised
    words share its line, whether the line shouts. Plain splits, no regex scans: this runs on
    every refused candidate of every text."""
    line_start = prose.rfind("\n", 0, start) + 1
    line_end = prose.find("\n", end)
    if line_end < 0:
        line_end = len(prose)
    line = prose[max(line_start, start - _LINE) : min(line_end, end + _LINE)]
    before_text = prose[max(line_start, start - _WINDOW) : start]
    after_text = prose[end : min(line_end, end + _WINDOW)]
    before = [w for w in (t.strip(_PUNCT) for t in before_text.split()) if w]
    after = [w for w in (t.strip(_PUNCT) for t in after_text.split()) if w]
    prev = _shape(before[-1]) if before else "<start>"
    nxt = _shape(after[0]) if after else "<end>"
    caps = sum(1 for w in line.encode().translate(_SPLIT).split() if 1 < len(w) < 6 and w.isupper() and w.isalpha())
    caps -= line.count(symbol) if symbol.isalpha() else 0
    named = {s for s in others if s != symbol}
    out = [
        f"sym={symbol}",
        f"rule={rule}",
        f"prev={prev}",
        f"next={nxt}",
        f"prev2={_shape(before[-2]) if len(before) > 1 else '<start>'}",
        f"next2={_shape(after[1]) if len(after) > 1 else '<end>'}",
        f"caps_in_line={_bucket(max(caps, 0))}",
        f"tickers_in_text={_bucket(len(named))}",
        f"shouting={len(line) >= 10 and line.isupper()}",
        f"opens_line={not prose[line_start:start].strip(' *#>-([')}",
        f"len={_bucket(len(prose), (0, 80, 300, 1000))}",
    ]
    if nxt in _FUNCTION_WORDS:
        out.append("function_word_next")
    if prev in _FUNCTION_WORDS:
        out.append("function_word_prev")
    if any(_OPTION.match(w) for w in after[:3]):
        out.append("option_after")
    if before_text.rstrip()[-1:] in _SEPARATORS or after_text.lstrip()[:1] in _SEPARATORS:
        out.append("list_separator")
    return out


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


@dataclass(frozen=True)
class Model:
    """A logistic model over sparse binary features; ``threshold`` is the probability above
    which a refused candidate is accepted (chosen on cross-validated development data)."""

    weights: Mapping[str, float]
    bias: float
    threshold: float

    def probability(self, names: Iterable[str]) -> float:
        z = self.bias + sum(self.weights.get(n, 0.0) for n in names)
        return 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0

    def accepts(self, names: Iterable[str]) -> bool:
        return self.probability(names) >= self.threshold

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "Model | None":
        """The shipped model, or None when there is none (the rules then decide alone)."""
        if not path.exists():
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not doc.get("weights"):  # trained on today's labels and no better than the rules
            return None
        return cls(weights=doc["weights"], bias=float(doc["bias"]), threshold=float(doc["threshold"]))


def of(candidate: Candidate) -> list[str]:
    """The features of a candidate as :func:`common.extraction.candidates` reports it."""
    c = candidate
    return features(c.prose, c.symbol, c.start, c.end, rule=c.rule, others=c.others)


def second_opinion(model: Model, found: Iterable[Candidate]) -> set[str]:
    """The refused symbols ``model`` accepts: what it would add to the rules' finds."""
    return {c.symbol for c in found if c.refused and not c.named and model.accepts(of(c))}
