"""detect: a ticker update in; its detection, its alert and an ``alerts`` message out.

``ticker-updates`` is ordered by ticker and each update carries what was counted at its
``as_of`` and names the config version it was counted with (each version is kept as the API
wrote it), so a ticker's decisions are the same whenever and wherever they run (but for a
version saved before copies were kept, decided with the one in force until a change keeps it). Redelivery and
a slow instance's copy still happen, so every decision is guarded instead of locked: an update
older than the newest decided (an earlier ``as_of``, or the same one with less counted,
``Counted.progress``), or than its alert's last change (a silence check's resolution, dated
when the ticker fell silent), changes nothing but announce that resolution if it never was; the
alert, the episode pointer and ``detection`` are committed together on the pointer's and the
alert's read times as preconditions (a concurrent delivery makes the commit fail, and the retry
re-reads). A new, escalated or reopened alert is announced once per (alert_id, level): the
document's ``announced_level`` records it after the publish. A reclassification (organic became
pump) and a resolution are announced once too, recorded in ``announced.<moment>`` (the level
they happened at). What is announced is read from the alert's state, not from this update's
events, so a redelivery that crashed between the write and the record publishes again —
consumers treat (alert_id, level, moment) as the idempotency key.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.cloud import firestore

from common import log, topics
from common.adapters import firestore as fs
from common.adapters.pubsub import Outgoing, Publisher
from common.aggregation import FUTURE_SKEW_S
from common.detection.baseline import HOUR
from common.detection.engine import Outcome, decide_summary, heard_before, series_counts
from common.detection.lifecycle import ANNOUNCED, Alert, silence_outcome, silenced
from common.entrypoint import Delivery, publisher_for, pubsub_function
from common.messages import AlertEvent, AlertMoment, MalformedMessage, TickerUpdate
from common.settings import Settings
from common.timekeys import published_at
from functions.detect import store

logger = log.get_logger(__name__)


# A reclassification or resolution is announced only while this recent (data time): enough
# for any redelivery, and alerts that changed before these moments were announced stay quiet.
ANNOUNCE_WITHIN_S = 6 * HOUR


def pending_announcements(
    alert: Alert | None, announced_level: int, announced: Mapping[str, int], as_of: float, *, resolved_now: bool
) -> list[AlertMoment]:
    """The moments of ``alert`` not announced yet: its level (opened, escalated or reopened,
    as its history names the step that reached it), its reclassification, its resolution
    (recent, or ``resolved_now``: found by this update, however long ago its ticker fell
    silent)."""
    if alert is None:
        return []
    out: list[AlertMoment] = []
    if alert.active and alert.level > announced_level:
        reached = [e["event"] for e in alert.history if e.get("level") == alert.level and e.get("event") in ANNOUNCED]
        out.append(reached[-1] if reached else "opened" if alert.status == "open" else "escalated")
    reclassified = [float(e.get("at") or 0.0) for e in alert.history if e.get("event") == "reclassified"]
    if reclassified and "reclassified" not in announced and reclassified[-1] >= as_of - ANNOUNCE_WITHIN_S:
        out.append("reclassified")
    resolved_at = alert.resolved_at or 0.0
    recent = resolved_now or resolved_at >= as_of - ANNOUNCE_WITHIN_S
    if not alert.active and announced.get("resolved", 0) < alert.level and recent:
        out.append("resolved")
    return out


def resolved_this_hour(before: Alert | None, alert: Alert | None) -> bool:
    """Whether this update's data hour resolved ``alert``: active before the hour, resolved
    now. A redelivery after a crash between the commit and the publish decides the hour again
    from the resolved alert and finds no "resolved" step of its own; the resolution is still
    this hour's news, however long ago the ticker fell silent."""
    return (
        before is not None
        and alert is not None
        and before.alert_id == alert.alert_id
        and before.active
        and not alert.active
    )


@dataclass
class Result:
    outcome: Outcome | None
    published: int = 0
    stale: bool = False


def detection_doc(outcome: Outcome, version: int) -> dict[str, Any]:
    ev, alert = outcome.evaluation, outcome.alert
    best = max(ev.windows.values(), key=lambda w: w.surprise)
    status = alert.status if alert is not None and alert.active else ("spike" if ev.spike else "quiet")
    return {
        "as_of": ev.as_of,
        "score": ev.score,
        "pump_risk": ev.pump_risk,
        "ratio": round(best.ratio, 4),
        "surprise": round(best.surprise, 4),
        "baseline_1h": round(ev.windows["1h"].expected, 4),
        "status": status,
        "kind": ev.kind,
        "rule": ev.rule,
        "alert_id": alert.alert_id if alert is not None else None,
        "config_version": version,
    }


def close_if_silent(update: TickerUpdate, settled: float, db: firestore.Client, publisher: Publisher) -> Result:
    """A silence check (from dispatch, through the aggregator with the ticker's counts): the
    ticker's active alert resolved, at :func:`quiet_from`, if those counts show its ticker fell
    silent before the check's time, and that announced; nothing else is decided. Counts older
    than an update already decided decide nothing; so does a ticker heard after the silence
    whose update was decided (it ended the episode; one never decided was lost:
    :func:`~common.detection.lifecycle.silence_outcome`). A redelivery after a crash between the commit
    and the publish announces the resolution it finds (its hour's, as for an update)."""
    counted = update.counted
    snap = store.read(db, update.ticker, latest=False, config_version=update.config_version)
    recovered = announce_ended(db, publisher, snap)
    hour = int(settled // HOUR)
    alert, ended, pending = snap.alert, None, []
    if counted is None or snap.stale(update.as_of, counted.progress, by_version=False):
        outcome = "stale"
    elif alert is not None and alert.active:
        heard = heard_before(series_counts(counted.series, hour, snap.config), hour + 1)
        outcome = silence_outcome(alert, heard, settled, snap.decided_as_of)
        if outcome == "resolved":
            ended = silenced(alert, heard)
            store.commit_silence(db, update.ticker, snap, ended, hour)
            pending = pending_announcements(ended, snap.announced_level, snap.announced, settled, resolved_now=True)
    elif resolved_this_hour(snap.before_hour(settled), alert):
        ended, outcome = alert, "resolved before"
        pending = pending_announcements(alert, snap.announced_level, snap.announced, settled, resolved_now=True)
    else:
        outcome = "no active alert"
    published = recovered + (announce(db, publisher, ended, pending) if ended is not None else 0)
    logger.info(
        "detected %s: silence check, %s",
        update.ticker,
        outcome,
        extra={
            "json_fields": {
                "ticker": update.ticker,
                "as_of": update.as_of,
                "silence_check": settled,
                "events": ["resolved"] if outcome == "resolved" else [],
                "alert_id": alert.alert_id if alert else None,
                "kind": alert.kind if alert else None,
                "resolved_at": ended.resolved_at if ended is not None else None,
                "published": published,
            }
        },
    )
    return Result(None, published, stale=outcome == "stale")


def announce_ended(db: firestore.Client, publisher: Publisher, snap: store.Snapshot) -> int:
    """The resolution of the episode the last decision ended by opening a new one, if its
    announcement did not get through (a publish that failed after that commit): the
    redelivery reads the new episode as current, so only the pointer still names the old."""
    if snap.ended is None:
        return 0
    pending = pending_announcements(
        snap.ended, snap.ended_announced_level, snap.ended_announced, snap.ended.updated_at, resolved_now=True
    )
    return announce(db, publisher, snap.ended, [m for m in pending if m == "resolved"])


def detect_update(update: TickerUpdate, db: firestore.Client, publisher: Publisher) -> Result:
    if update.silence_check is not None:
        return close_if_silent(update, update.silence_check, db, publisher)
    snap = store.read(db, update.ticker, latest=update.counted is None, config_version=update.config_version)
    recovered = announce_ended(db, publisher, snap)
    progress = update.counted.progress if update.counted is not None else None
    # an update without counts (an older aggregator's) is decided at the summary's newest moment
    moment = update.as_of if update.counted is not None else max(update.as_of, snap.as_of or update.as_of)
    checked, silenced = snap.checked_since(moment), snap.silenced()
    if (checked or silenced) and snap.alert is not None:
        # the silence check that changed the alert after the last decision may have failed to
        # publish its resolution for good (dead-lettered): the next update announces it
        pending = pending_announcements(snap.alert, snap.announced_level, snap.announced, moment, resolved_now=silenced)
        recovered += announce(db, publisher, snap.alert, [m for m in pending if m == "resolved"])
    if checked or snap.stale(update.as_of, progress):
        logger.info(
            "stale update for %s ignored",
            update.ticker,
            extra={"json_fields": {"as_of": update.as_of, "published": recovered}},  # an ended one's resolution
        )
        return Result(None, recovered, stale=True)
    if update.counted is not None:  # the update's own moment, as counted: the same whenever it is read
        as_of, series, six, day = update.as_of, update.counted.series, update.counted.six, update.counted.day
        evidence = update.counted.evidence  # what was counted up to as_of: no posts query, no race with fetch
    else:  # the summary read describes the newest data (as_of never decreases): evaluate that moment
        as_of, series, six, day = max(update.as_of, snap.as_of or update.as_of), snap.series, snap.six, snap.day
        evidence = ()  # an alert opened uncited cites the next update's candidates
    outcome = decide_summary(
        update.ticker,
        series_counts(series, int(as_of // HOUR), snap.config),
        six,
        day,
        previous=snap.alert,
        evidence=evidence,
        as_of=as_of,
        stats=store.read_stats(db, as_of, snap.config),  # after the stale check: a stale copy scans nothing
        config=snap.config,
        config_version=snap.config_version,
        redo=snap.redo(as_of),  # a later batch of a data hour already decided
    )
    alert, ended = outcome.alert, outcome.ended
    same_episode = snap.alert is not None and alert is not None and snap.alert.alert_id == alert.alert_id
    announced = snap.announced_level if same_episode else 0
    pending = pending_announcements(
        alert,
        announced,
        snap.announced if same_episode else {},
        as_of,
        resolved_now="resolved" in outcome.events or resolved_this_hour(snap.before_hour(as_of), alert),
    )
    decided = (as_of, progress) if update.counted is not None else (as_of, None)
    store.commit(
        db,
        update.ticker,
        snap,
        alert=alert,
        announced_level=announced,
        decided=decided,
        detection=detection_doc(outcome, snap.config_version),
        ended=ended,
    )
    published = recovered
    if ended is not None:  # its resolution: found by this update, announced however old
        closing = pending_announcements(ended, snap.announced_level, snap.announced, as_of, resolved_now=True)
        published += announce(db, publisher, ended, closing)
    if alert is not None:
        published += announce(db, publisher, alert, pending)
    logger.info(
        "detected %s: %s",
        update.ticker,
        outcome.evaluation.rule,
        extra={
            "json_fields": {
                "ticker": update.ticker,
                "as_of": as_of,
                "update_as_of": update.as_of,
                "score": outcome.evaluation.score,
                "pump_risk": outcome.evaluation.pump_risk,
                "events": list(outcome.events),
                "alert_id": alert.alert_id if alert else None,
                "kind": alert.kind if alert else None,
                "published": published,
                "series_hours": len(series),
                "config_version": snap.config_version,  # which thresholds decided it
                "evidence": len(evidence),
                "lag_s": round(time.time() - as_of, 1),  # data time vs the wall clock: the lag metric
            }
        },
    )
    return Result(outcome, published)


def announce(db: firestore.Client, publisher: Publisher, alert: Alert, pending: list[AlertMoment]) -> int:
    """Publish ``pending`` after the commit, then record it, so a crash in between publishes
    again on redelivery rather than never. An episode a new one ended is named by the episode
    pointer until the next decision: that one announces its resolution if this could not
    (:func:`announce_ended`)."""
    if not pending:
        return 0
    publisher.publish_all([Outgoing(topics.ALERTS, alert_event(alert, moment)) for moment in pending])
    level_moment = any(m not in ("reclassified", "resolved") for m in pending)
    moments: dict[str, int] = {m: alert.level for m in pending if m in ("reclassified", "resolved")}
    store.mark_announced(db, alert.alert_id, alert.level if level_moment else None, moments)
    return len(pending)


def alert_event(alert: Alert, moment: AlertMoment) -> AlertEvent:
    return AlertEvent(
        alert_id=alert.alert_id,
        ticker=alert.symbol,
        status=alert.status,
        level=alert.level,
        rule=alert.rule,
        score=alert.score,
        pump_risk=alert.pump_risk,
        as_of=alert.updated_at,
        kind=alert.kind,
        event=moment,
    )


CONFLICT_ATTEMPTS = 3  # fresh reads after another delivery wrote the same alert first


def decide(update: TickerUpdate, db: firestore.Client, publisher: Publisher) -> Result:
    """Run the update; when another delivery wrote the alert between our read and our write
    (expected under at-least-once delivery), read again and decide again: the decision is
    pure, so a second look is the whole recovery. Only a conflict that persists is an error."""
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            return detect_update(update, db, publisher)
        except store.Conflict as exc:
            if attempt == CONFLICT_ATTEMPTS:
                raise
            logger.info(
                "concurrent alert write for %s; deciding again (attempt %d)",
                update.ticker,
                attempt + 1,
                extra={"json_fields": {"conflict": str(exc)[:200]}},
            )
    raise AssertionError("unreachable")


def _process(update: TickerUpdate, delivery: Delivery, settings: Settings) -> None:
    del delivery
    with log.context(ticker=update.ticker):
        decide(update, fs.get_client(settings.project_id), publisher_for(settings))


def dated_after_publishing(update: TickerUpdate, delivery: Delivery) -> None:
    """Refuse an update dated after it was published (give or take the clocks' skew): decided,
    its moment would become the ticker's newest, and every real update after it would be read
    as stale and dropped, the ticker's detection frozen for good. A silence check dated so
    would resolve a talked-of ticker's alert at a time to come, and ignore every real update
    before it."""
    published = published_at(delivery.publish_time)
    if published is None:
        return
    for name, at in (("as_of", update.as_of), ("silence_check", update.silence_check)):
        if at is not None and at > published + FUTURE_SKEW_S:
            raise MalformedMessage(f"{name} {at} is after the message was published ({published})")


detect = pubsub_function("detect", TickerUpdate, _process, check=dated_after_publishing)
