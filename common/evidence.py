"""The posts and comments an alert cites, and the few a ticker keeps as candidates.

The aggregator keeps each ticker's best and newest candidates of the last day in its state
and sends the best with every update, so the detector cites what was counted up to the update's moment
without querying ``posts`` (where fetch may already have stored newer items, or not yet
the ones counted). The backtest keeps them the same way.
"""

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

WINDOW_S = 24 * 3600.0  # an alert cites what was said in the day before it
# Candidates a ticker keeps, twice (the best and the newest): the upper bound of
# ``evidence_max`` (DetectionConfig), so any configured number of citations can be chosen.
KEPT = 20


@dataclass(frozen=True)
class Evidence:
    """A post or comment that drove the alert, with its permalink."""

    item_id: str
    permalink: str
    title: str
    subreddit: str
    author: str | None
    created_utc: float
    score: int
    kind: str = "post"
    is_dd: bool = False
    text_length: int = 0

    def rank(self) -> tuple[bool, bool, int, int]:
        return (self.is_dd, self.kind == "post", self.score, self.text_length)

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)  # the permalink as Reddit gives it: the reader knows which site it is on

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> "Evidence":
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in doc.items() if k in names})


def select_evidence(candidates: Iterable[Evidence], limit: int) -> tuple[Evidence, ...]:
    """DD first, then posts, then by score and length: what a reader should open first."""
    unique = {e.item_id: e for e in candidates}
    return tuple(sorted(unique.values(), key=lambda e: (e.rank(), e.item_id), reverse=True)[:limit])


def keep_candidates(candidates: Iterable[Evidence], as_of: float) -> tuple[Evidence, ...]:
    """The best ``KEPT`` of the day ending at ``as_of`` and the newest ``KEPT``: an alert
    chooses the best ``evidence_max`` of them; the newest outlast the best in the window,
    so a day that had citable items always leaves some when the best have aged out."""
    day = [e for e in candidates if as_of - WINDOW_S <= e.created_utc <= as_of]
    newest = sorted(day, key=lambda e: (e.created_utc, e.item_id), reverse=True)[:KEPT]
    return select_evidence([*select_evidence(day, KEPT), *newest], 2 * KEPT)
