"""What detect announces on ``alerts`` from an alert's state: each moment once, and again only
while it is unrecorded (a redelivery after a crash), never for long-past changes."""

from dataclasses import replace
from typing import Any

from common.detection.lifecycle import Alert
from functions.detect.main import ANNOUNCE_WITHIN_S, alert_event, pending_announcements

T = 1_767_900_000.0


def entry(event: str, level: int, at: float = T, status: str = "open", kind: str = "organic") -> dict[str, Any]:
    return {"at": at, "event": event, "status": status, "kind": kind, "level": level, "score": 2.0, "pump_risk": 0.1}


ALERT = Alert(
    alert_id="NTLA-2026010823", symbol="NTLA", kind="organic", status="open", level=1, rule="volume_spike_6h",
    reasons=("3x",), score=2.0, peak_score=2.0, escalate_at=3.0, pump_risk=0.1, metrics={}, baseline={},
    evidence=(), opened_at=T, updated_at=T, resolved_at=None, config_version=0, history=(entry("opened", 1),),
)  # fmt: skip


def test_a_new_alert_is_announced_as_opened_until_its_level_is_recorded() -> None:
    assert pending_announcements(ALERT, 0, {}, T, resolved_now=False) == ["opened"]
    assert pending_announcements(ALERT, 1, {}, T, resolved_now=False) == []
    assert alert_event(ALERT, "opened").event == "opened"


def test_a_reopened_episode_is_named_by_its_history() -> None:
    reopened = replace(ALERT, status="escalated", level=2, history=(*ALERT.history, entry("reopened", 2)))
    assert pending_announcements(reopened, 1, {}, T, resolved_now=False) == ["reopened"]


def test_a_reclassification_is_announced_once_and_not_when_it_is_long_past() -> None:
    pump = replace(ALERT, kind="pump", history=(*ALERT.history, entry("reclassified", 1, kind="pump")))
    assert pending_announcements(pump, 1, {}, T, resolved_now=False) == ["reclassified"]
    assert pending_announcements(pump, 1, {"reclassified": 1}, T, resolved_now=False) == []
    assert pending_announcements(pump, 1, {}, T + ANNOUNCE_WITHIN_S + 1, resolved_now=False) == []
    event = alert_event(pump, "reclassified")
    assert (event.kind, event.status, event.event) == ("pump", "open", "reclassified")


def test_a_resolution_is_announced_once_per_level_it_happened_at() -> None:
    resolved = replace(ALERT, status="resolved", resolved_at=T + 3600, updated_at=T + 3600)
    assert pending_announcements(resolved, 1, {}, T + 3600, resolved_now=False) == ["resolved"]
    assert pending_announcements(resolved, 1, {"resolved": 1}, T + 3600, resolved_now=False) == []
    again = replace(resolved, level=2)  # reopened at level 2, then resolved again
    assert pending_announcements(again, 2, {"resolved": 1}, T + 3600, resolved_now=False) == ["resolved"]
    long_after = T + 3600 + ANNOUNCE_WITHIN_S + 1
    assert pending_announcements(resolved, 1, {}, long_after, resolved_now=False) == []  # resolved long ago
    # found by this update: the ticker fell silent long ago, and only this mention tells
    assert pending_announcements(resolved, 1, {}, long_after, resolved_now=True) == ["resolved"]
    assert pending_announcements(resolved, 1, {"resolved": 1}, long_after, resolved_now=True) == []
