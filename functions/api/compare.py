"""What a proposed detection config changes against the current one, alert by alert: the
preview's answer, so an admin reads "this episode opens three hours sooner" rather than one
alert lost and one gained. Plain data in and out; kept apart from the replay so the API's
cold start does not load the backtest for it."""

import bisect
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
    """Alerts match on symbol, kind and opening time. The unmatched of both sides pair up as
    moved when they share symbol and kind within :data:`MOVED_WITHIN_S`, in time order: never
    across an alert both configs open (that episode lies between them), never crossing
    another pair (two episodes do not swap places), the pairs that move least together
    (:func:`_aligned`)."""

    def key(alert: dict[str, Any]) -> tuple[str, str, float]:
        return str(alert.get("symbol")), str(alert.get("kind")), float(alert.get("opened_at") or 0.0)

    old, new = [key(a) for a in current], [key(a) for a in proposed]
    old_keys, new_keys = set(old), set(new)
    lost = [i for i, k in enumerate(old) if k not in new_keys]
    gained = [j for j, k in enumerate(new) if k not in old_keys]
    # a ticker has one episode at a time, whatever its kind: an alert both configs open splits
    # the ticker's time for every kind
    shared: dict[str, list[float]] = {}
    for k in old_keys & new_keys:
        shared.setdefault(k[0], []).append(k[2])
    for times in shared.values():
        times.sort()

    def stretch(k: tuple[str, str, float]) -> tuple[str, str, int]:
        """The symbol, kind and the stretch between two shared alerts ``k`` falls in."""
        return k[0], k[1], bisect.bisect(shared.get(k[0], []), k[2])

    lost_by: dict[tuple[str, str, int], list[int]] = {}
    gained_by: dict[tuple[str, str, int], list[int]] = {}
    for i in sorted(lost, key=lambda i: old[i][2]):
        lost_by.setdefault(stretch(old[i]), []).append(i)
    for j in sorted(gained, key=lambda j: new[j][2]):
        gained_by.setdefault(stretch(new[j]), []).append(j)
    moved = [
        (group[a], other[b])
        for where, group in lost_by.items()
        if (other := gained_by.get(where))
        for a, b in _aligned([old[i][2] for i in group], [new[j][2] for j in other])
    ]
    paired_i, paired_j = {i for i, _ in moved}, {j for _, j in moved}
    return Differences(
        gained=[j for j in gained if j not in paired_j],
        lost=[i for i in lost if i not in paired_i],
        moved=sorted(moved),
    )


def _aligned(before: list[float], after: list[float]) -> list[tuple[int, int]]:
    """Positions of uncrossed pairs of two sorted time lists, each within MOVED_WITHIN_S, the
    pairs worth the most together, a pair worth less the further it moves (so two small moves
    beat three large ones); an alignment, as a symbol's alerts in one preview are few."""
    rows, cols = len(before), len(after)
    # best[a][b]: (worth, pairs) over before[:a] and after[:b]
    best = [[(0.0, 0)] * (cols + 1) for _ in range(rows + 1)]
    for a in range(1, rows + 1):
        for b in range(1, cols + 1):
            options = [best[a - 1][b], best[a][b - 1]]
            shift = abs(after[b - 1] - before[a - 1])
            if shift <= MOVED_WITHIN_S:
                worth, count = best[a - 1][b - 1]
                options.append((worth + MOVED_WITHIN_S - shift, count + 1))
            best[a][b] = max(options)
    pairs: list[tuple[int, int]] = []
    a, b = rows, cols
    while a and b:
        if best[a][b] == best[a - 1][b]:
            a -= 1
        elif best[a][b] == best[a][b - 1]:
            b -= 1
        else:
            pairs.append((a - 1, b - 1))
            a, b = a - 1, b - 1
    return pairs[::-1]
