"""Users' verdicts on alerts, and the detection precision they measure: pure, no I/O, no clock.

A verdict says what the user thinks the alert was: ``useful`` (a real, organic signal worth
their attention), ``not_useful`` (noise) or ``pump`` (a pump campaign). The verdict that
agrees with an alert's kind is the correct one: ``useful`` for an organic alert, ``pump``
for a pump alert (the detector's job there is to flag the campaign). Precision is the share
of verdicts that agree:

    organic: useful / (useful + not_useful + pump)
    pump:    pump / (useful + not_useful + pump)

so a pump the detector called organic counts against organic precision. With no verdict,
precision is undefined (None), never 0.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

Verdict = Literal["useful", "not_useful", "pump"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
Bucket = Literal["day", "week"]
DAY_S = 86400
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def correct_verdict(kind: str) -> Verdict:
    """The verdict that agrees with an alert of ``kind``."""
    return "pump" if kind == "pump" else "useful"


def counter_changes(previous: Verdict | None, verdict: Verdict | None) -> dict[Verdict, int]:
    """What a user's change of verdict does to an alert's counters: the old one -1, the new
    one +1; nothing when it did not change (a repeated POST, a redelivered request)."""
    if previous == verdict:
        return {}
    changes: dict[Verdict, int] = {}
    if previous is not None:
        changes[previous] = -1
    if verdict is not None:
        changes[verdict] = changes.get(verdict, 0) + 1
    return changes


@dataclass(frozen=True)
class Tally:
    useful: int = 0
    not_useful: int = 0
    pump: int = 0

    @property
    def verdicts(self) -> int:
        return self.useful + self.not_useful + self.pump

    def count(self, verdict: Verdict) -> int:
        return {"useful": self.useful, "not_useful": self.not_useful, "pump": self.pump}[verdict]

    def correct(self, kind: str) -> int:
        return self.count(correct_verdict(kind))

    def precision(self, kind: str) -> float | None:
        return self.correct(kind) / self.verdicts if self.verdicts else None

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.useful + other.useful, self.not_useful + other.not_useful, self.pump + other.pump)


@dataclass(frozen=True)
class AlertVerdicts:
    """One alert's counters, with what it is grouped by."""

    alert_id: str
    kind: str
    rule: str
    opened_at: float
    tally: Tally


@dataclass(frozen=True)
class Row:
    """Precision of one group: a period (None: the whole range), a kind and a rule (None: every rule)."""

    period: date | None
    kind: str
    rule: str | None
    alerts: int
    tally: Tally

    @property
    def correct(self) -> int:
        return self.tally.correct(self.kind)

    @property
    def precision(self) -> float | None:
        return self.tally.precision(self.kind)


def day_of(epoch_s: float) -> date:
    """The UTC day ``epoch_s`` falls in (epoch 0 and later)."""
    return date.fromordinal(EPOCH_ORDINAL + int(epoch_s // DAY_S))


def day_start(day: date) -> int:
    """Epoch seconds at the start of ``day`` (UTC)."""
    return (day.toordinal() - EPOCH_ORDINAL) * DAY_S


def period_of(opened_at: float, bucket: Bucket) -> date:
    """The first day of the period an alert opened at ``opened_at`` belongs to: its UTC day,
    or the Monday of its ISO week."""
    day = day_of(opened_at)
    return day if bucket == "day" else day - timedelta(days=day.weekday())


def precision_rows(alerts: Iterable[AlertVerdicts], bucket: Bucket) -> tuple[list[Row], list[Row]]:
    """Per (period, kind, rule), oldest period first; and per kind over the whole range.
    Alerts nobody judged are left out (they say nothing about precision)."""
    groups: dict[tuple[date, str, str], tuple[int, Tally]] = {}
    totals: dict[str, tuple[int, Tally]] = {}
    for alert in alerts:
        if not alert.tally.verdicts:
            continue
        key = (period_of(alert.opened_at, bucket), alert.kind, alert.rule)
        count, tally = groups.get(key, (0, Tally()))
        groups[key] = (count + 1, tally + alert.tally)
        count, tally = totals.get(alert.kind, (0, Tally()))
        totals[alert.kind] = (count + 1, tally + alert.tally)
    rows = [Row(p, k, r, n, t) for (p, k, r), (n, t) in sorted(groups.items())]
    overall = [Row(None, k, None, n, t) for k, (n, t) in sorted(totals.items())]
    return rows, overall
