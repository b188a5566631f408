"""Users judge alerts (useful, not useful, pump): one verdict per user per alert, changeable.
Admins read the detection precision those verdicts measure (common/feedback.py defines it).
Each recorded verdict is also a log line, counted by a log-based metric (terraform/monitoring.tf)."""

import time

from common import log
from common.feedback import Row as PrecisionGroup
from common.feedback import correct_verdict, day_of, day_start, precision_rows
from functions.api import models as m
from functions.api.auth import Principal
from functions.api.errors import ApiError, not_found
from functions.api.openapi import API
from functions.api.services import Services
from functions.api.store import FeedbackChange

STATS_MAX_ALERTS = 1000  # judged alerts one stats answer reads (two reads each)
DEFAULT_DAYS = 30
logger = log.get_logger(__name__)


def _logged(change: FeedbackChange) -> None:
    if change.verdict is None:
        logger.info("feedback withdrawn on %s", change.alert_id, extra={"json_fields": _fields(change)})
    else:
        logger.info(
            "feedback recorded: %s on %s", change.verdict, change.alert_id, extra={"json_fields": _fields(change)}
        )


def _fields(change: FeedbackChange) -> dict[str, object]:
    return {
        "alert_id": change.alert_id,
        "kind": change.kind,
        "rule": change.rule,
        "verdict": change.verdict,
        "previous": change.previous,
        "correct": None if change.verdict is None else change.verdict == correct_verdict(change.kind),
    }


@API.route(
    "POST",
    "/v1/alerts/{alert_id}/feedback",
    summary="Judge an alert: useful, not_useful or pump (one verdict per user; a new one replaces it)",
    tag="alerts",
    params=m.AlertPath,
    body=m.FeedbackBody,
    response=m.FeedbackGiven,
    may_404=True,
    may_409=True,
)
def give_feedback(svc: Services, user: Principal, params: m.AlertPath, body: m.FeedbackBody) -> m.FeedbackGiven:
    change = svc.store.set_feedback(params.alert_id, user.sub, body.verdict)
    if change is None:
        raise not_found(f"alert {params.alert_id}")
    if change.changed:
        _logged(change)
    return m.FeedbackGiven(
        alert_id=params.alert_id, verdict=body.verdict, previous=change.previous, changed=change.changed
    )


@API.route(
    "DELETE",
    "/v1/alerts/{alert_id}/feedback",
    summary="Withdraw the caller's verdict on an alert (idempotent)",
    tag="alerts",
    params=m.AlertPath,
    status=204,
    may_404=True,
    may_409=True,
)
def withdraw_feedback(svc: Services, user: Principal, params: m.AlertPath) -> None:
    change = svc.store.set_feedback(params.alert_id, user.sub, None)
    if change is None:
        raise not_found(f"alert {params.alert_id}")
    if change.changed:
        _logged(change)


def _row(group: PrecisionGroup) -> m.PrecisionRow:
    tally = group.tally
    return m.PrecisionRow(
        period=group.period,
        kind=group.kind,
        rule=group.rule,
        alerts=group.alerts,
        useful=tally.useful,
        not_useful=tally.not_useful,
        pump=tally.pump,
        correct=group.correct,
        precision=None if group.precision is None else round(group.precision, 4),
    )


@API.route(
    "GET",
    "/v1/stats/detection",
    summary="Detection precision from users' verdicts, per kind and rule, per day or week of opening (admin)",
    tag="stats",
    query=m.StatsQuery,
    response=m.DetectionStats,
    admin=True,
)
def detection_stats(svc: Services, user: Principal, query: m.StatsQuery) -> m.DetectionStats:
    del user
    if query.until is not None:
        until = query.until
    else:  # the data clock, as trending reads it: a replayed past has its own "today"
        newest = svc.store.newest_as_of()
        until = day_of(newest if newest is not None else time.time())
        if query.since is not None and query.since > until:
            until = query.since  # asked from a day the data has not reached: an empty answer, not an error
    since = query.since or until.fromordinal(until.toordinal() - (DEFAULT_DAYS - 1))
    if since > until or (until - since).days >= m.MAX_STATS_DAYS:
        raise ApiError(422, "invalid_request", f"since must be on or before until, at most {m.MAX_STATS_DAYS} days")
    judged = svc.store.judged_alerts(day_start(since), day_start(until) + 86400, STATS_MAX_ALERTS + 1)
    rows, totals = precision_rows(judged[:STATS_MAX_ALERTS], query.bucket)
    return m.DetectionStats(
        since=since,
        until=until,
        bucket=query.bucket,
        rows=[_row(r) for r in rows],
        totals=[_row(r) for r in totals],
        complete=len(judged) <= STATS_MAX_ALERTS,
    )
