"""One alert per ticker episode, as a pure state machine over evaluations.

``step(previous, evaluation, ...) -> (alert, events)``: a qualifying spike opens an alert
whose id is ``{SYMBOL}-{yyyymmddhh}`` of the hour it opened (deterministic, so a redelivered
update rewrites the same document); a surge whose size (its score before any quality
shortfall) grows by ``escalation_step`` escalates it;
volume back near the baseline (the one it opened against, or today's, whichever is lower)
resolves it. A spike within ``cooldown_hours`` of the resolution reopens the same episode
instead of starting a new one: one alert, its level raised and announced as an escalation,
not a second alert beside the first. A ticker is only
evaluated when it is mentioned (or checked: functions/dispatch/silence.py), so an alert
whose ticker fell silent is resolved by the next update or check instead, at the hour its
window emptied (:func:`quiet_from`), before that update is decided: a spike weeks later is a
new episode, against today's baseline and budget. An evaluation older
than the alert's ``updated_at`` changes nothing: updates may arrive out of order. Evidence is
chosen when the alert is opened, escalated or reopened (the announced steps), and kept
otherwise: the candidates come with the update, kept by the aggregator
(:mod:`common.evidence`).
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from common.detection import silence
from common.detection.signals import Evaluation
from common.detection.silence import SLOW_RULE
from common.detection_config import DetectionConfig
from common.evidence import Evidence, select_evidence
from common.timekeys import hour_key

HISTORY_MAX = 50


@dataclass(frozen=True)
class Alert:
    alert_id: str
    symbol: str
    kind: str  # "organic" | "pump"
    status: str  # "open" | "escalated" | "resolved"
    level: int
    rule: str
    reasons: tuple[str, ...]
    score: float
    peak_score: float
    escalate_at: float
    pump_risk: float
    metrics: dict[str, float | str]
    baseline: dict[str, Any]
    evidence: tuple[Evidence, ...]
    opened_at: float
    updated_at: float
    resolved_at: float | None
    config_version: int
    history: tuple[dict[str, Any], ...] = field(default=())
    # The evaluation the reasons were written from (when it opened, escalated, reopened or
    # was reclassified): its time, score, pump risk and metrics, so every number a reason
    # quotes stands beside it. ``score`` and ``pump_risk`` above are the latest; ``peak_score``
    # the highest.
    trigger: dict[str, Any] = field(default_factory=dict)
    # The kind it opened as, never changed after: what the alert budget counts, so a later
    # reclassification (or a reopening as a pump) cannot change an hour's count after it was taken.
    opened_kind: str = ""

    @property
    def active(self) -> bool:
        return self.status != "resolved"

    def to_doc(self) -> dict[str, Any]:
        doc = {k: v for k, v in asdict(self).items() if k not in ("evidence", "reasons", "history")}
        doc["reasons"] = list(self.reasons)
        doc["evidence"] = [e.to_doc() for e in self.evidence]
        doc["history"] = list(self.history)
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> "Alert":
        names = cls.__dataclass_fields__
        data = {k: v for k, v in doc.items() if k in names}
        data["reasons"] = tuple(doc.get("reasons") or ())
        data["evidence"] = tuple(Evidence.from_doc(e) for e in doc.get("evidence") or ())
        data["history"] = tuple(doc.get("history") or ())
        if not data.get("opened_kind"):  # a document without it: its first step says
            first = data["history"][0] if data["history"] else {}
            data["opened_kind"] = first.get("kind") if first.get("event") == "opened" else doc.get("kind", "")
        return cls(**data)


def alert_id(symbol: str, opened_at: float) -> str:
    return f"{symbol}-{hour_key(opened_at)}"


def _baseline_doc(ev: Evaluation) -> dict[str, Any]:
    return {
        **ev.baseline.to_doc(),
        "expected_1h": round(ev.windows["1h"].expected, 4),
        "expected_6h": round(ev.windows["6h"].expected, 4),
    }


def _entry(event: str, alert: Alert) -> dict[str, Any]:
    return {
        "at": alert.updated_at,
        "event": event,
        "status": alert.status,
        "kind": alert.kind,
        "level": alert.level,
        "score": alert.score,
        "pump_risk": alert.pump_risk,
    }


def _trigger(ev: Evaluation) -> dict[str, Any]:
    return {"as_of": ev.as_of, "score": ev.score, "pump_risk": ev.pump_risk, "metrics": ev.metrics_doc()}


def _with_history(alert: Alert, event: str) -> Alert:
    return replace(alert, history=(*alert.history, _entry(event, alert))[-HISTORY_MAX:])


def back_to_baseline(alert: Alert, ev: Evaluation, config: DetectionConfig) -> bool:
    """Volume near the baseline the episode opened against, or near today's baseline (a
    ticker that settled on a higher plateau is no longer news either), or down to a trickle
    (fewer mentions in six hours than one spiking hour needs)."""
    if ev.spike:
        return False
    if alert.rule.endswith(SLOW_RULE) and ev.day is not None:
        # Opened on a day of thin promotion, which no six hours would keep open: it lasts
        # while the day still clears the bars, so a steady campaign is one episode, not a
        # resolution and a reopening every hour.
        return not ev.day.spiking
    six = ev.windows["6h"]
    if six.mentions < config.min_mentions_1h:
        return True
    opened_level = float(alert.baseline.get("level") or 0.0)
    expected_then = six.expected * (opened_level / ev.baseline.level) if ev.baseline.level > 0 else six.expected
    ratio_then = six.mentions / max(expected_then, 1e-6)
    return min(ratio_then, six.ratio) <= config.resolve_ratio


def quiet_from(alert: Alert, heard: Sequence[int]) -> float:
    """When ``alert`` resolved if its ticker fell silent (:func:`common.detection.silence.quiet_from`)."""
    return silence.quiet_from(alert.updated_at, alert.rule, heard)


def silence_outcome(alert: Alert, heard: Sequence[int], settled: float, decided_as_of: float) -> str:
    """What a silence check read up to ``settled`` does with the active ``alert``, given the
    hours heard and the newest update decided: "resolved" once the quiet began before the
    check's time, unless a decided update already came after the quiet began (its decision
    ended the episode, :func:`ended_by_silence`). An update counted after the quiet but never
    decided does not hold the alert open: the check rides behind every update of its ticker,
    so that update was lost (dead-lettered, or never announced), and waiting for it would keep
    the alert open until the ticker is named again; replayed later, it steps on from the
    resolution."""
    at = quiet_from(alert, heard)
    if at > settled:
        return "not silent long enough"
    if decided_as_of >= at:
        return "heard after the silence"
    return "resolved"


def silenced(alert: Alert, heard: Sequence[int]) -> Alert:
    """``alert`` resolved at :func:`quiet_from`."""
    at = quiet_from(alert, heard)
    return _with_history(replace(alert, status="resolved", resolved_at=at, updated_at=at), "resolved")


def ended_by_silence(previous: Alert | None, alert: Alert | None, as_of: float, heard: Sequence[int]) -> Alert | None:
    """The stored alert resolved by silence, when the update at ``as_of`` moved on to
    another episode (``alert``): the caller writes both."""
    if previous is None or alert is None or not previous.active or alert.alert_id == previous.alert_id:
        return None
    return silenced(previous, heard) if as_of >= quiet_from(previous, heard) else None


def budget_window(hour: int) -> range:
    """The hours whose opened alerts spend the alert budget of ``hour``: the 24 before the
    hour before it (that latest hour may still be taking late items, in production)."""
    return range(hour - 25, hour - 1)


def budget_bar(recent: int, config: DetectionConfig) -> float:
    """The score a new organic alert needs when the community has had ``recent`` organic
    alerts opened in the day before its hour (:func:`budget_window`; pump flags spend none): none
    below ``alert_budget_24h``, then
    ``alert_budget_score``, growing by ``alert_budget_growth`` with each further one. On a
    frenzy day every meme ticker clears its own bars; a reader asked for early signals wants
    the strongest few, not a dozen. Pump flags are never held back: they protect."""
    over = recent - config.alert_budget_24h
    if over < 0:
        return 0.0
    try:
        return float(config.alert_budget_score * config.alert_budget_growth**over)
    except OverflowError:  # a day of hundreds of alerts: a bar no score reaches, not a crash
        return math.inf


def step(
    previous: Alert | None,
    ev: Evaluation,
    evidence: Iterable[Evidence],
    config: DetectionConfig,
    config_version: int = 0,
    *,
    heard: Sequence[int],
    bar: float = 0.0,
) -> tuple[Alert | None, tuple[str, ...]]:
    """The alert after ``ev`` and what happened: () or some of "opened", "escalated",
    "reopened", "reclassified", "updated", "resolved". Every one but "updated" is announced
    on the ``alerts`` topic, but "resolved" beside "reopened", where "reopened" is
    (``ANNOUNCED`` names the steps that raise an alert's level).
    "resolved" before "reopened" is the silent ticker's episode ended and reopened (see
    :func:`quiet_from`); when the update opens a new episode instead, the ended one is not
    returned: :func:`ended_by_silence` gives it back to the caller, which writes both.
    ``bar`` (:func:`budget_bar`) is the score a new or reopened organic alert needs;
    ``heard`` the hours before ``ev``'s with discussion, in order (:func:`quiet_from`)."""
    if previous is not None and ev.as_of < previous.updated_at:
        return previous, ()  # stale: a newer evaluation already wrote this alert
    ended: tuple[str, ...] = ()
    if previous is not None and previous.active and ev.as_of >= quiet_from(previous, heard):
        previous, ended = silenced(previous, heard), ("resolved",)
    if previous is not None and previous.active:
        return _continue(previous, ev, evidence, config, config_version)
    reopening = previous is not None and (
        ev.as_of < (previous.resolved_at or 0.0) + config.cooldown_hours * 3600
        or alert_id(ev.symbol, ev.as_of) == previous.alert_id  # no cooldown: one hour, one alert id
    )
    # a pump episode reopened by an organic-looking spike stays a pump: flagged, and never held
    # back by the organic budget (its rule is the spike's: the rule sets how it resolves)
    kind = "pump" if previous is not None and reopening and "pump" in (ev.kind, previous.kind) else ev.kind
    if ev.kind is None or kind is None or (kind == "organic" and ev.score < bar):
        return previous, ended
    chosen = select_evidence(evidence, config.evidence_max)
    if previous is not None and reopening:
        kept = kind == "pump" and ev.kind != "pump"  # the episode's pump, back on a clean-looking spike
        reopened = replace(
            previous,
            kind=kind,
            status="escalated",
            level=previous.level + 1,
            rule=ev.rule,
            # said, or the reasons (the spike's own) would read as an organic alert's
            reasons=(
                (f"back within {config.cooldown_hours:g} h of a pump episode: still a pump", *ev.reasons)
                if kept
                else ev.reasons
            ),
            trigger=_trigger(ev),
            score=ev.score,
            peak_score=max(previous.peak_score, ev.score),
            escalate_at=ev.strength * config.escalation_step,
            pump_risk=ev.pump_risk,  # the latest evaluation's, as always: the reason above says why a pump
            metrics=ev.metrics_doc(),
            evidence=select_evidence((*chosen, *previous.evidence), config.evidence_max),
            updated_at=ev.as_of,
            resolved_at=None,
            config_version=config_version,
        )
        reopened = _with_history(reopened, "reopened")
        if previous.kind == "organic" and kind == "pump":
            # told as organic, back as a pump: news to those who take organic alerts only, as
            # a reclassification within the episode is (its announcement is the reopening's)
            return _with_history(reopened, "reclassified"), (*ended, "reopened", "reclassified")
        return reopened, (*ended, "reopened")
    opened = Alert(
        alert_id=alert_id(ev.symbol, ev.as_of),
        symbol=ev.symbol,
        kind=ev.kind,
        status="open",
        level=1,
        rule=ev.rule,
        reasons=ev.reasons,
        trigger=_trigger(ev),
        score=ev.score,
        peak_score=ev.score,
        escalate_at=ev.strength * config.escalation_step,
        pump_risk=ev.pump_risk,
        metrics=ev.metrics_doc(),
        baseline=_baseline_doc(ev),
        evidence=chosen,
        opened_at=ev.as_of,
        updated_at=ev.as_of,
        resolved_at=None,
        config_version=config_version,
        opened_kind=ev.kind,
    )
    return _with_history(opened, "opened"), ("opened",)


def _continue(
    alert: Alert, ev: Evaluation, evidence: Iterable[Evidence], config: DetectionConfig, config_version: int
) -> tuple[Alert, tuple[str, ...]]:
    if back_to_baseline(alert, ev, config):
        if ev.kind is None:
            resolved = replace(alert, status="resolved", resolved_at=ev.as_of, updated_at=ev.as_of, score=ev.score)
            return _with_history(resolved, "resolved"), ("resolved",)
        # The spike faded but the day still clears the thin promotion's bars (the one kind an
        # evaluation without a spike has): resolved now, the same evaluation would reopen it,
        # the next update or a redelivery of this one. It goes on under the day's rule, and
        # ends when the day no longer clears them.
        alert = replace(alert, rule=ev.rule, reasons=ev.reasons, trigger=_trigger(ev))  # its reasons' numbers
    events: list[str] = []
    updated = replace(
        alert,
        score=ev.score,
        peak_score=max(alert.peak_score, ev.score),
        pump_risk=ev.pump_risk,
        metrics=ev.metrics_doc(),
        updated_at=ev.as_of,
        config_version=config_version,
    )
    if not alert.evidence:
        # an update without candidates (an older aggregator's) opens an alert uncited; it
        # cites the next update's instead of staying without evidence
        updated = replace(updated, evidence=select_evidence(evidence, config.evidence_max))
    if alert.kind == "organic" and ev.kind == "pump":
        updated = _with_history(
            replace(updated, kind="pump", rule=ev.rule, reasons=ev.reasons, trigger=_trigger(ev)), "reclassified"
        )
        events.append("reclassified")
    if ev.spike and ev.kind is not None and ev.strength >= alert.escalate_at:
        updated = replace(
            updated,
            status="escalated",
            level=alert.level + 1,
            rule=ev.rule if updated.kind == ev.kind else updated.rule,
            reasons=ev.reasons if updated.kind == ev.kind else updated.reasons,
            trigger=_trigger(ev) if updated.kind == ev.kind else updated.trigger,
            escalate_at=ev.strength * config.escalation_step,
            evidence=select_evidence((*evidence, *alert.evidence), config.evidence_max),
        )
        updated = _with_history(updated, "escalated")
        events.append("escalated")
    return updated, tuple(events) or ("updated",)


ANNOUNCED = frozenset({"opened", "escalated", "reopened"})


@dataclass(frozen=True)
class Redo:
    """The update's data hour was decided already; ``before`` is the alert as it stood
    before that hour's first decision (None: there was none)."""

    before: Alert | None


def redecide(
    before: Alert | None,
    current: Alert | None,
    ev: Evaluation,
    evidence: Iterable[Evidence],
    *,
    config: DetectionConfig,
    config_version: int = 0,
    heard: Sequence[int],
    bar: float = 0.0,
) -> tuple[Alert | None, tuple[str, ...]]:
    """A later update of a data hour already decided: the hour is decided again from the
    alert as it stood before that hour (``before``), so the hour's last counts decide it,
    whichever of its batches (one per subreddit) came first. The backtest decides each hour
    once, on its full counts; this is the same decision reached in steps.

    What the hour's earlier batches announced is never taken back: when deciding from
    ``before`` would drop the open alert ``current``, resolve it, lower its level or give it
    another kind (a pump called organic again, or an organic alert turned pump without the
    reclassification being announced), or when those batches resolved it, the hour goes on
    from ``current`` instead: where the order of batches still shows. So does
    a silence: an earlier batch that ended the episode for one keeps it ended when a later
    batch brings items from inside that silence."""
    alert, events = step(before, ev, evidence, config, config_version, heard=heard, bar=bar)
    if current is None or current == before:  # the hour's earlier batches changed nothing
        return alert, events
    if current.active:
        withdrawn = (
            alert is None
            or alert.alert_id != current.alert_id
            or not alert.active
            or alert.level < current.level
            or alert.kind != current.kind  # either way: a pump called organic, or a pump not announced as one
        )
    else:  # the hour's earlier batches resolved it, and that was announced: the hour goes on
        # from ``current``. From ``before``, an alert active again (kept open, or opened anew
        # under the same hour's id) would revive it silently, its level announced already; and
        # one still resolved would be ``before``'s, without what this hour opened, reopened and
        # resolved (a document gone back a level, or another alert's id over this one's)
        withdrawn = True
    if withdrawn:
        return step(current, ev, evidence, config, config_version, heard=heard, bar=bar)
    return alert, events
