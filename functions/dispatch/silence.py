"""Silence checks: an alert only moves when its ticker's mentions bring an update, so an alert
on a ticker nobody mentions any more would stay open. Each tick, dispatch asks detect to look
at the alerts that may have outlived their discussion.

Data time, not the clock: how far the pipeline has got is the newest data hour detect has
decided (its crowd document), less the hours whose items may still be arriving
(``LATE_HOURS``). In production that is about now; in a replay it is the replay's time. The
check goes on ``ticker-updates`` with the ticker as ordering key, so detect handles it in
order with the ticker's other updates, and decides from the ticker's counts whether it really
fell silent (:func:`common.detection.lifecycle.silence_ends`).
"""

from collections.abc import Iterator
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from common import log, topics
from common.adapters import firestore as fs
from common.adapters.pubsub import Outgoing, Publisher
from common.detection.silence import quiet_from
from common.messages import TickerUpdate
from common.timekeys import LATE_HOURS, hour_key, hour_start
from common.windows import WINDOWS

logger = log.get_logger(__name__)

HOUR = 3600.0
MAX_CHECKS = 500  # per tick: the oldest first; the rest wait for the next tick
ACTIVE = ("open", "escalated")


def settled_until(db: firestore.Client) -> float | None:
    """The data time every item before which has been decided, as far as anyone can tell;
    None before detect decided anything."""
    crowds = db.collection(fs.STATS).document(fs.GLOBAL).collection(fs.CROWD_HOURS)
    query = crowds.order_by("hour", direction=firestore.Query.DESCENDING).limit(1)
    newest = next((snap.to_dict() or {} for snap in query.stream()), None)
    if not newest or not newest.get("hour"):
        return None
    return hour_start(str(newest["hour"])) - LATE_HOURS * HOUR


def silent_candidates(db: firestore.Client, settled: float) -> list[dict[str, Any]]:
    """Active alerts whose last update is old enough that their ticker may have fallen silent
    before ``settled`` (:func:`quiet_from` with no later discussion known), oldest first."""
    before = settled - WINDOWS["6h"] * HOUR  # quiet_from is at least seven hours past the last update's hour

    def scan(status: str) -> Iterator[dict[str, Any]]:
        query = (
            db.collection(fs.ALERTS)
            .where(filter=FieldFilter("status", "==", status))
            .where(filter=FieldFilter("updated_at", "<", before))
        )
        query = fs.indexed(
            query.order_by("updated_at", direction=firestore.Query.DESCENDING).order_by(
                "alert_id", direction=firestore.Query.DESCENDING
            )
        )
        for snap in query.limit(MAX_CHECKS).stream():
            yield snap.to_dict() or {}

    found = [
        a
        for status in ACTIVE
        for a in scan(status)
        if a.get("symbol") and quiet_from(float(a.get("updated_at") or 0.0), str(a.get("rule") or ""), []) <= settled
    ]
    return sorted(found, key=lambda a: float(a.get("updated_at") or 0.0))[:MAX_CHECKS]


def checks(alerts: list[dict[str, Any]], settled: float) -> list[Outgoing]:
    """One silence check per ticker, named by the settled hour (a redelivered tick sends the
    same ones again; detect's decision is the same)."""
    tickers = sorted({str(a["symbol"]) for a in alerts})
    return [
        Outgoing(
            topics.TICKER_UPDATES,
            TickerUpdate(ticker=t, as_of=settled, batch_id=f"silence-{hour_key(settled)}", silence_check=True),
            ordering_key=t,
        )
        for t in tickers
    ]


def check_silence(db: firestore.Client, publisher: Publisher) -> int:
    """Send this tick's silence checks; returns how many. Idempotent: a redelivered tick sends
    them again and detect decides the same."""
    settled = settled_until(db)
    if settled is None:
        return 0
    alerts = silent_candidates(db, settled)
    outgoing = checks(alerts, settled)
    if outgoing:
        publisher.publish_all(outgoing)
    logger.info(
        "sent %d silence checks",
        len(outgoing),
        extra={"json_fields": {"settled_until": settled, "alerts": [a.get("alert_id") for a in alerts][:50]}},
    )
    return len(outgoing)
