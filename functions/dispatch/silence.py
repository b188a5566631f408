"""Silence checks: an alert only moves when its ticker's mentions bring an update, so an
alert on a ticker nobody names any more would stay open. Each tick that sends a fetch,
dispatch asks for a look at the active alerts that may have outlived their discussion.

Data time, not the clock: the pipeline has read every subreddit up to the slowest cursor
(:func:`common.dispatching.settled_until`), so in production that is about now and in a
replay the replay's time. Fetch publishes a run's mentions before it moves its cursor, so
the check, put on ``mentions`` with the ticker as ordering key, reaches the aggregator
behind every batch of the ticker's mentions before that time. The aggregator passes it on
with the ticker's counts, and the detector resolves the alert only if those counts say the
ticker fell silent (functions/detect/main.py).
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from google.api_core.retry import Retry
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from common import log, topics
from common.adapters import firestore as fs
from common.adapters.pubsub import Outgoing, Publisher
from common.detection.silence import span_hours
from common.dispatching import ACTIVE, read_floor, settled_until, silence_checks

logger = log.get_logger(__name__)

HOUR = 3600.0
# Alerts looked at per status and tick: the most recently updated. More active alerts due at
# once than that would leave the older ones to their next mention.
MAX_CHECKS = 500
READ_THROUGH = "read_through"  # the one field of fetch's cursor read here (common.ingest.Cursor)
ALERT_FIELDS = ["symbol", "status", "updated_at", "rule"]  # not the evidence and history


def _bounded(timeout: float | None) -> dict[str, Any]:
    """A read's own bound: ``timeout`` seconds in all, retries included, or the client's
    defaults (None). A Retry object rather than none: the client's stream resumes through it
    after a failure mid-answer, and fails oddly without one."""
    return {} if timeout is None else {"retry": Retry(timeout=timeout), "timeout": timeout}


def read_through(
    db: firestore.Client, subreddits: Iterable[str], timeout: float | None = None
) -> dict[str, float | None]:
    """How far each subreddit has been read whole (None: never), from its cursor's one field:
    the rest of the document is fetch's, and large."""
    ids = sorted({fs.cursor_id(s) for s in subreddits})
    refs = [db.collection(fs.CURSORS).document(i) for i in ids]
    found: dict[str, float | None] = dict.fromkeys(ids)
    for snap in db.get_all(refs, field_paths=[READ_THROUGH], **_bounded(timeout)):
        value = (fs.doc_of(snap) or {}).get(READ_THROUGH)
        found[snap.id] = float(value) if isinstance(value, int | float) else None
    return found


# schedule/silence: the time the last checks were sent as of, and the config they named
SETTLED_UNTIL, CONFIG_VERSION = "settled_until", "config_version"


def _sent(db: firestore.Client) -> firestore.DocumentReference:
    return db.collection(fs.SCHEDULE).document(fs.SILENCE_SCHEDULE)


def _last_sent(db: firestore.Client, config_version: int | None) -> float | None:
    """The settled time of the last checks sent under ``config_version`` (None: none were):
    the scheduler ticks every minute, and the settled time moves only when the slowest
    subreddit is read again; a new config may end other alerts, so it sends them again."""
    sent = fs.doc_of(_sent(db).get()) or {}
    value = sent.get(SETTLED_UNTIL)
    same = sent.get(CONFIG_VERSION) == config_version
    return float(value) if same and isinstance(value, int | float) else None


def quiet_alerts(db: firestore.Client, until: float, timeout: float | None = None) -> list[dict[str, Any]]:
    """The active alerts last updated early enough for the shortest silence to have ended them
    by ``until`` (the pure filter then reads each one's own span)."""
    before = (int(until // HOUR) - span_hours("") + 1) * HOUR  # quiet_from <= until, to the hour
    found: list[dict[str, Any]] = []
    for status in ACTIVE:
        query = (
            db.collection(fs.ALERTS)
            .where(filter=FieldFilter("status", "==", status))
            .where(filter=FieldFilter("updated_at", "<", before))
            .order_by("updated_at", direction=firestore.Query.DESCENDING)
            .order_by("alert_id", direction=firestore.Query.DESCENDING)
        )
        selected = fs.indexed(query).select(ALERT_FIELDS).limit(MAX_CHECKS)
        found += [snap.to_dict() or {} for snap in selected.stream(**_bounded(timeout))]
    return found


@dataclass(frozen=True)
class Seen:
    """What a tick that sends reads for its silence checks, before it publishes its fetches:
    the active alerts that may be due and, when there are any, how far each subreddit has been
    read whole. Read first, the furthest of those goes out with the fetches as their
    ``read_floor``."""

    alerts: list[dict[str, Any]]
    read: dict[str, float | None]

    @property
    def floor(self) -> float | None:
        return read_floor(self.read)


def look(db: firestore.Client, subreddits: Iterable[str], now: float, timeout: float | None = None) -> Seen:
    """``timeout``: each read's bound, retries included (a tick reads before it publishes, and
    a stalled read must not spend the time its fetches have to go out in)."""
    alerts = quiet_alerts(db, now, timeout)
    return Seen(alerts, read_through(db, subreddits, timeout) if alerts else {})


def check_silence(
    db: firestore.Client,
    publisher: Publisher,
    subreddits: Iterable[str],
    config_version: int | None,
    *,
    now: float,
    deadline: float | None = None,
    seen: Seen | None = None,
) -> int:
    """Send this tick's silence checks; returns how many. A redelivered tick sends none (its
    run is dispatched already), nor does a tick whose settled time has not moved since the
    last checks were sent; a check a failed tick lost is sent by the next that sends. The clock
    only bounds the data time from above (nothing is written in the future): the alerts it
    rules out cannot be due yet, and while none is left, which is most ticks, no cursor is
    read. Its publishes are waited for until ``deadline`` (``time.monotonic()``; None: 60 s),
    counted after the reads that come before them. ``seen``: what the tick read before it
    published (None: read now)."""
    seen = seen or look(db, subreddits, now)
    alerts, read = seen.alerts, seen.read
    settled = settled_until(read)
    last = _last_sent(db, config_version) if settled is not None else None
    if settled is None or (last is not None and settled <= last):
        checks = []  # held back, or sent already: a check as of the same time and config decides the same
    else:
        checks = silence_checks(alerts, settled, config_version=config_version)
    timeout = 60.0 if deadline is None else deadline - time.monotonic()
    if checks and timeout < 1.0:  # the next tick that sends sends them: delayed, not lost
        raise TimeoutError("no time left within the function's timeout to publish the silence checks")
    publisher.publish_all((Outgoing(topics.MENTIONS, c, ordering_key=c.ticker) for c in checks), timeout=timeout)
    if checks:
        _sent(db).set({SETTLED_UNTIL: settled, CONFIG_VERSION: config_version})
    slowest = min((t, s) for s, t in read.items() if t) if any(read.values()) else None
    logger.info(
        "sent %d silence checks",
        len(checks),
        extra={
            "json_fields": {
                "settled_until": settled,
                "last_sent_as_of": last,  # checks as of a time not later than this were sent
                # what holds the checks back: subreddits never read whole, else the slowest
                "unread": sorted(s for s, t in read.items() if t is None),
                "slowest": slowest[1] if slowest else None,
                "lag_s": None if settled is None else round(now - settled, 1),
                "tickers": [c.ticker for c in checks][:50],
            }
        },
    )
    return len(checks)
