"""Which new mentions repeat, near word for word, what a different author said recently: pure.

The aggregator (live, against the ticker's stored recent signatures) and the detector's
backtest (replay) call the same :func:`find_duplicates`, so both count the same
duplicate-content mentions. Mentions are considered in (created_utc, item_id) order and a
mention is a duplicate of an *earlier-considered* one: of two copies, the one seen second
is counted. Very short texts ("$GME 🚀") are never duplicates: everyone writes those.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from common.detection_config import DetectionConfig
from common.features import MINHASH_PERMUTATIONS, signature_values
from common.messages import Mention

# How long signatures are kept: the longest near-duplicate window an admin may configure
# (DetectionConfig.near_duplicate_window_hours; the threshold itself lives there).
SIGNATURES_WINDOW_S = 24 * 3600.0
MIN_TEXT_LENGTH = 40  # characters of title + body
MINHASH_WIDTH = MINHASH_PERMUTATIONS
SIGNATURES_MAX = 500  # recent signatures kept per ticker (the bound of the state document)


@dataclass(frozen=True, slots=True)
class Signature:
    """What is remembered of one recent mention to compare later ones with."""

    item_id: str
    author: str | None
    created_utc: float
    text_hash: str
    minhash: str

    @classmethod
    def of(cls, mention: Mention) -> "Signature":
        return cls(mention.item_id, mention.author, mention.created_utc, mention.text_hash, mention.minhash)


def comparable(mention: Mention) -> bool:
    return mention.text_length >= MIN_TEXT_LENGTH and bool(mention.text_hash or mention.minhash)


def rules_of(config: DetectionConfig) -> dict[str, float]:
    """:func:`find_duplicates`' keyword arguments from the configured counting rules."""
    return {"window_s": config.near_duplicate_window_hours * 3600.0, "threshold": config.near_duplicate_jaccard}


def find_duplicates(
    recent: Iterable[Signature],
    mentions: Sequence[Mention],
    *,
    window_s: float,
    threshold: float,
) -> set[str]:
    """Item ids of ``mentions`` whose text matches (same normalised text, or estimated
    Jaccard >= ``threshold``) a recent signature or an earlier mention of the batch from a
    different author within ``window_s`` seconds. Deleted authors never match: there is no
    telling whether they are different people. Vectorised over the pool: one numpy
    comparison per new mention, whatever the number of remembered signatures."""
    pool = [s for s in recent if s.author]
    candidates = sorted((m for m in mentions if comparable(m) and m.author), key=lambda m: (m.created_utc, m.item_id))
    size = len(pool) + len(candidates)
    if not candidates or size < 2:
        return set()
    values = np.zeros((size, MINHASH_WIDTH), dtype=np.uint32)
    has_values = np.zeros(size, dtype=bool)
    times = np.zeros(size, dtype=np.float64)
    authors: list[str | None] = []
    hashes: list[str] = []
    known: set[str] = set()

    def remember(row: int, sig: Signature) -> None:
        vals = signature_values(sig.minhash)
        if vals.size == MINHASH_WIDTH:
            values[row] = vals
            has_values[row] = True
        times[row] = sig.created_utc
        authors.append(sig.author)
        hashes.append(sig.text_hash)
        known.add(sig.item_id)

    for row, sig in enumerate(pool):
        remember(row, sig)
    filled = len(pool)
    found: set[str] = set()
    for mention in candidates:
        if mention.item_id in known:
            continue
        mine = Signature.of(mention)
        if filled:
            others = np.array([a != mention.author for a in authors])
            near = np.abs(times[:filled] - mention.created_utc) <= window_s
            same_text = np.array([bool(mine.text_hash) and h == mine.text_hash for h in hashes])
            similar = same_text
            vals = signature_values(mine.minhash)
            if vals.size == MINHASH_WIDTH:
                agree = (values[:filled] == vals).mean(axis=1) >= threshold
                similar = similar | (agree & has_values[:filled])
            if bool(np.any(others & near & similar)):
                found.add(mention.item_id)
        remember(filled, mine)
        filled += 1
    return found


def keep_recent(
    signatures: Iterable[Signature], newest_utc: float, *, window_s: float = SIGNATURES_WINDOW_S
) -> list[Signature]:
    """The signatures still worth remembering: within the window of the newest one, at most
    ``SIGNATURES_MAX`` (newest first), so the per-ticker state document stays small."""
    unique = {s.item_id: s for s in signatures}
    fresh = [s for s in unique.values() if s.created_utc >= newest_utc - window_s and (s.text_hash or s.minhash)]
    fresh.sort(key=lambda s: (s.created_utc, s.item_id), reverse=True)
    return fresh[:SIGNATURES_MAX]
