"""What the corpus says should be found, and how early an alert found it.

The replay corpus labels its scenarios (``labels.json``: scenario, ticker, start, peak);
an alert's lead time is how long before the labelled peak it opened, in data time.
"""

import json
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


def missed(labels: list[Label], alerted: set[str]) -> list[Label]:
    """Labelled breakouts, pumps and spikes no alert was raised for (``always_popular``
    is labelled precisely so that it is *not* alerted)."""
    return [label for label in labels if label.scenario != "always_popular" and label.ticker not in alerted]
