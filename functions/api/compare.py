"""What a proposed detection config changes against the current one, alert by alert: the
preview's answer, so an admin reads "this episode opens three hours sooner" rather than one
alert lost and one gained. Plain data in and out; kept apart from the replay so the API's
cold start does not load the backtest for it."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# An alert of the same symbol and kind opening within this of one the other config opened is
# the same episode moved, not one lost and one gained (a bar lowered opens it a few hours
# sooner; the preview's alerts carry no end to compare episodes by).
MOVED_WITHIN_S = 86_400


@dataclass(frozen=True)
class Differences:
    """Positions in the current and proposed alert lists: only under the proposed config
    (``gained``), only under the current one (``lost``), and the same episode opened at
    another time (``moved``: current, proposed)."""

    gained: list[int]
    lost: list[int]
    moved: list[tuple[int, int]]


def differences(current: Sequence[dict[str, Any]], proposed: Sequence[dict[str, Any]]) -> Differences:
    """Alerts match on symbol, kind and opening time; the unmatched of both sides pair up as
    moved when they share symbol and kind within :data:`MOVED_WITHIN_S`, nearest first."""

    def key(alert: dict[str, Any]) -> tuple[str, str, float]:
        return str(alert.get("symbol")), str(alert.get("kind")), float(alert.get("opened_at") or 0.0)

    old, new = [key(a) for a in current], [key(a) for a in proposed]
    old_keys, new_keys = set(old), set(new)
    lost = [i for i, k in enumerate(old) if k not in new_keys]
    gained = [j for j, k in enumerate(new) if k not in old_keys]
    gained_by: dict[tuple[str, str], list[int]] = {}
    for j in gained:
        gained_by.setdefault(new[j][:2], []).append(j)
    near = sorted(
        (abs(new[j][2] - old[i][2]), i, j)
        for i in lost
        for j in gained_by.get(old[i][:2], ())
        if abs(new[j][2] - old[i][2]) <= MOVED_WITHIN_S
    )
    moved: list[tuple[int, int]] = []
    paired_i: set[int] = set()
    paired_j: set[int] = set()
    for _, i, j in near:
        if i not in paired_i and j not in paired_j:
            moved.append((i, j))
            paired_i.add(i)
            paired_j.add(j)
    return Differences(
        gained=[j for j in gained if j not in paired_j],
        lost=[i for i in lost if i not in paired_i],
        moved=sorted(moved),
    )
