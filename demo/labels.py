"""What the corpus says should be found, and how early an alert found it.

The replay corpus labels its scenarios (``labels.json``: scenario, ticker, start, peak);
an alert's lead time is how long before the labelled peak it opened, in data time.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

HOUR = 3600.0
# An alert this long after a labelled peak is about something else (the next burst).
AFTER_PEAK_SLACK_S = 24 * HOUR


@dataclass(frozen=True)
class Label:
    scenario: str
    ticker: str
    start: float
    peak: float
    notes: str = ""


def load(corpus: Path) -> list[Label]:
    """The corpus's labels; a corpus without them (live Reddit) has none."""
    path = corpus / "labels.json"
    if not path.exists():
        return []
    rows = json.loads(path.read_text())
    return [
        Label(
            str(r["scenario"]), str(r["ticker"]).upper(), float(r["start"]), float(r["peak"]), str(r.get("notes", ""))
        )
        for r in rows
    ]


def match(labels: list[Label], symbol: str, opened_at: float) -> Label | None:
    """The labelled scenario this alert is about: same ticker, opened between the scenario's
    start and a day after its peak; the nearest peak when several qualify."""
    candidates = [
        label
        for label in labels
        if label.ticker == symbol.upper() and label.start - HOUR <= opened_at <= label.peak + AFTER_PEAK_SLACK_S
    ]
    return min(candidates, key=lambda label: abs(label.peak - opened_at), default=None)


def lead_hours(label: Label | None, opened_at: float) -> float | None:
    """Hours between the alert and the labelled peak: positive = before the peak."""
    if label is None:
        return None
    return (label.peak - opened_at) / HOUR


def expected_kind(label: Label) -> str:
    """The alert a scenario should raise: a pump flag for a pump, an organic alert for the rest."""
    return "pump" if label.scenario == "pump" else "organic"


@dataclass(frozen=True)
class Unfound:
    """The labelled scenarios no alert of theirs found, by why: a miss only where the run
    gave detection the chance."""

    missed: list[Label]  # the replay reached the peak and detection decided past it
    unreached: list[Label]  # the replay stopped before the peak
    undecided: list[Label]  # detection had not decided the ticker up to the peak when the wait stopped


def unfound(
    labels: list[Label],
    found: list[tuple[Label | None, str]],
    until: float,
    decided: Mapping[str, float] | None = None,
) -> Unfound:
    """Labelled breakouts, pumps and spikes no alert of theirs found. An alert counts for the
    scenario it matched (:func:`match`, its window, not any alert on the ticker) and only of
    the kind the scenario should raise, so a pump announced as organic is still a miss;
    ``always_popular`` is labelled precisely so that it is *not* alerted. ``found``: each
    alert's matched label and kind; ``until``: the data time the replay reached; ``decided``:
    per ticker, the data time detection had decided up to when the wait for it stopped short
    (None when it caught up): a scenario it had not decided up to its peak is no miss of the
    detector yet. (Its last mention may come before the day after the peak an alert could
    still open in, so the peak is as far as the decisions can be asked to reach.)"""
    hits = {label for label, kind in found if label is not None and kind == expected_kind(label)}
    out = Unfound([], [], [])
    for label in labels:
        if label.scenario == "always_popular" or label in hits:
            continue
        if label.peak > until:
            out.unreached.append(label)
        elif decided is not None and decided.get(label.ticker, 0.0) < label.peak:
            out.undecided.append(label)
        else:
            out.missed.append(label)
    return out
