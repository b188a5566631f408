"""Verdicts and the precision they measure (common/feedback.py)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.feedback import (
    VERDICTS,
    AlertVerdicts,
    Tally,
    Verdict,
    counter_changes,
    day_of,
    day_start,
    period_of,
    precision_rows,
)

MONDAY = day_start(date(2026, 3, 2))


def test_a_changed_verdict_moves_one_count_and_a_repeated_one_changes_nothing() -> None:
    assert counter_changes(None, "useful") == {"useful": 1}
    assert counter_changes("useful", "pump") == {"useful": -1, "pump": 1}
    assert counter_changes("pump", "pump") == {}
    assert counter_changes("not_useful", None) == {"not_useful": -1}
    assert counter_changes(None, None) == {}


@given(st.lists(st.sampled_from([*VERDICTS, None]), max_size=30))
def test_counters_built_from_changes_equal_the_last_verdict_whatever_the_sequence(
    sequence: list[Verdict | None],
) -> None:
    counts = dict.fromkeys(VERDICTS, 0)
    previous: Verdict | None = None
    for verdict in sequence:
        for name, delta in counter_changes(previous, verdict).items():
            counts[name] += delta
        previous = verdict
    assert counts == {v: int(v == previous) for v in VERDICTS}


def test_precision_is_the_share_of_verdicts_agreeing_with_the_kind() -> None:
    tally = Tally(useful=3, not_useful=1, pump=1)
    assert tally.precision("organic") == pytest.approx(3 / 5)  # a pump called organic is a miss
    assert tally.precision("pump") == pytest.approx(1 / 5)
    assert Tally().precision("organic") is None


def test_periods_are_utc_days_or_the_monday_of_the_iso_week() -> None:
    sunday_night = MONDAY + 6 * 86400 + 86399
    assert day_of(MONDAY) == date(2026, 3, 2)
    assert period_of(sunday_night, "day") == date(2026, 3, 8)
    assert period_of(sunday_night, "week") == date(2026, 3, 2)
    assert period_of(sunday_night + 1, "week") == date(2026, 3, 9)


def test_rows_group_by_period_kind_and_rule_and_totals_by_kind_leaving_unjudged_alerts_out() -> None:
    alerts = [
        AlertVerdicts("A-1", "organic", "volume_spike_6h", MONDAY + 10, Tally(useful=2, not_useful=1)),
        AlertVerdicts("B-1", "organic", "volume_spike_6h", MONDAY + 20, Tally(useful=1, pump=1)),
        AlertVerdicts("C-1", "organic", "volume_spike_1h", MONDAY + 86400, Tally(not_useful=1)),
        AlertVerdicts("D-1", "pump", "pump_risk>=0.5", MONDAY + 30, Tally(pump=2, useful=1)),
        AlertVerdicts("E-1", "organic", "volume_spike_6h", MONDAY + 40, Tally()),
    ]
    rows, totals = precision_rows(alerts, "day")
    assert [(r.period, r.kind, r.rule, r.alerts, r.correct, r.tally.verdicts) for r in rows] == [
        (date(2026, 3, 2), "organic", "volume_spike_6h", 2, 3, 5),
        (date(2026, 3, 2), "pump", "pump_risk>=0.5", 1, 2, 3),
        (date(2026, 3, 3), "organic", "volume_spike_1h", 1, 0, 1),
    ]
    assert [(t.kind, t.alerts, t.correct, t.tally.verdicts) for t in totals] == [
        ("organic", 3, 3, 6),
        ("pump", 1, 2, 3),
    ]
    weekly, _ = precision_rows(alerts, "week")
    assert [(r.period, r.kind, r.rule) for r in weekly] == [
        (date(2026, 3, 2), "organic", "volume_spike_1h"),
        (date(2026, 3, 2), "organic", "volume_spike_6h"),
        (date(2026, 3, 2), "pump", "pump_risk>=0.5"),
    ]
