"""The detector's Firestore reads and writes, in one place.

Per event: the episode pointer; ``config/detection`` and the version kept at
``config/detection/versions/{n}`` only when the update's config version (the one its tick
named and the aggregator counted with) is not yet known to this instance; the crowd of the
data hour (``stats/global`` and ``stats/global/hours/{hour}``, cached per instance);
``tickers/{S}`` for an update that carries no counts (the aggregator's hourly ``series``
and 6h/24h windows), and for a ticker with no episode pointer yet (its last alert may be
recorded only there); and the ticker's latest alert ``alerts/{id}`` when there is one, and
after a decision that ended an episode by opening a new one, the ended one (once: the next
decision clears the pointer's ``ended``). Evidence comes with the update (the aggregator
keeps each ticker's candidates): no ``posts`` query.
"""

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from common import log
from common.adapters import firestore as fs
from common.detection.baseline import HOUR, GlobalStats, week_rate, week_start
from common.detection.lifecycle import Alert, Redo
from common.detection.market import activity
from common.detection_config import DetectionConfig, Versions
from common.timekeys import hour_key
from common.windows import WindowStats
from functions.detect import crowd as crowd_of

logger = log.get_logger(__name__)

STATS, GLOBAL = fs.STATS, fs.GLOBAL
HOURS = "hours"  # stats/global/hours/{yyyymmddhh}: the crowd as first seen in that data hour
STATS_CACHE_HOURS = 48  # data hours an instance remembers (updates of a few hours interleave)


@dataclass
class Snapshot:
    """What one event read."""

    config: DetectionConfig
    config_version: int
    detection: dict[str, Any]
    as_of: float | None  # the summary's: the newest item the aggregator counted
    series: dict[str, int]  # hour key -> discussion volume
    six: WindowStats  # the summary's 6h and 24h windows, ending at the hour of ``as_of``
    day: WindowStats
    alert: Alert | None
    alert_update_time: Any
    announced_level: int
    episode_update_time: Any = None  # of tickers/{S}/state/episode; None: no pointer yet
    # the alert's ``announced`` map: moment ("reclassified", "resolved") -> level it was announced at
    announced: dict[str, int] = field(default_factory=dict)
    # the newest update decided: its as_of and counted progress (Counted.progress; None:
    # unknown), from the pointer
    decided_as_of: float = 0.0
    decided_progress: int | None = None
    # the data hour of that decision and the alert as it stood before that hour's first
    # decision: a later update of the same hour is decided again from it (lifecycle.redecide)
    decided_hour: int | None = None
    before: Alert | None = None
    # the episode the last new one ended (the pointer's ``ended``), with its announced state:
    # its resolution is announced after the commit, and a failure there must not lose it
    ended: Alert | None = None
    ended_announced_level: int = 0
    ended_announced: dict[str, int] = field(default_factory=dict)
    # the config version that decided the newest update (None: a pointer from before it was kept)
    decided_version: int | None = None

    def redo(self, as_of: float) -> Redo | None:
        """Decide ``as_of``'s data hour again (from ``before``), or None: its first decision."""
        return Redo(self.before) if self.decided_hour == int(as_of // HOUR) else None

    def before_hour(self, as_of: float) -> Alert | None:
        """What the pointer keeps as ``before`` after deciding ``as_of``."""
        return self.before if self.decided_hour == int(as_of // HOUR) else self.alert

    def stale(self, as_of: float, progress: int | None, *, by_version: bool = True) -> bool:
        """Older than what was decided: an earlier moment, or the same moment counted before a
        later batch of older items (less progress), or (``by_version``) the same counts again
        to be decided by an older config than decided them (a copy counted before an admin's
        change, delivered after: it would undo that decision, and the next update redo it,
        each announced). A silence check decides no counts and is not judged by version: a
        config restored out of band to a lower version must not hold every check back."""
        if as_of != self.decided_as_of or progress is None or self.decided_progress is None:
            return as_of < self.decided_as_of
        if progress != self.decided_progress:
            return progress < self.decided_progress
        older = self.decided_version is not None and self.config_version < self.decided_version
        return by_version and older

    def checked_since(self, as_of: float) -> bool:
        """Older than the alert's last change: only a silence check changes an alert after
        the newest update decided (it resolves it as of when its ticker fell silent, keeping
        that update's moment). An update of a moment before that (the last one again, or one
        counting late items) changes no alert, and must not write its evaluation over the
        check's quiet nor move the pointer's hour back."""
        return self.alert is not None and as_of < self.alert.updated_at

    def silenced(self) -> bool:
        """The alert was resolved by a silence check after the newest update decided: news no
        decision announced (the check's own publish may have failed for good), however long
        ago its ticker fell silent."""
        return (
            self.alert is not None
            and not self.alert.active
            and self.decided_as_of > 0  # a pointer that names no decided moment: nothing to say
            and self.alert.updated_at > self.decided_as_of
        )


DETECTION = "detection"  # the summary field detect owns (aggregate writes the rest)
# tickers/{S}/state/episode: owned by detect, the ticker's current episode and the newest
# update decided ({alert_id, as_of, progress, config_version, hour, before}: ``before`` is the alert as it stood
# before that data hour, so a later batch of the hour decides it again from there). Every
# decision commits it on its read time as precondition, together with the alert and the
# summary's ``detection``: two deliveries that both saw no open episode cannot both open one,
# and a stale copy decided beside a newer update cannot write its older detection over the
# newer one.
STATE, EPISODE = fs.STATE, "episode"


def episode_ref(db: firestore.Client, symbol: str) -> firestore.DocumentReference:
    ref: firestore.DocumentReference = db.collection(fs.TICKERS).document(symbol).collection(STATE).document(EPISODE)
    return ref


_stats_cache: dict[tuple[str, int, int, int], GlobalStats] = {}
# One reader per data hour on an instance: the updates of a new hour arrive together on
# several threads, and each would otherwise count the whole crowd again (and all but one
# lose the create and read it back), a third of detect's Firestore operations.
_stats_locks: dict[tuple[str, int, int, int], threading.Lock] = {}
_stats_locks_guard = threading.Lock()


def read_stats(db: firestore.Client, as_of: float, config: DetectionConfig) -> GlobalStats:
    """The crowd a ticker is compared with at the data hour of ``as_of``: when data
    collection began (``stats/global``, created once, by the first event ever), and the
    average ticker's hourly rate with the community's activity and the alerts of the day before
    (``stats/global/hours/{hour}``),
    computed from the ``tickers/*`` summaries by the first event of that data hour and fixed
    from then on. Every ticker decided in that hour, in whatever order and on whichever
    instance, compares itself with the same crowd. Cached per instance, per market window:
    a config that changed the window within the hour reads the market over its own."""
    key = (db.project, int(as_of // HOUR), config.market_window_hours, config.market_days)
    cached = _stats_cache.get(key)
    if cached is not None:
        return cached
    with _stats_locks_guard:
        lock = _stats_locks.setdefault(key, threading.Lock())
    with lock:
        cached = _stats_cache.get(key)  # read while this thread waited
        if cached is not None:
            return cached
        stats = _read_stats(db, as_of, config)
        with _stats_locks_guard:
            if len(_stats_cache) >= STATS_CACHE_HOURS:
                _stats_cache.clear()
                _stats_locks.clear()
            _stats_cache[key] = stats
        return stats


def _read_stats(db: firestore.Client, as_of: float, config: DetectionConfig) -> GlobalStats:
    hour = int(as_of // HOUR)
    ref = db.collection(STATS).document(GLOBAL)
    crowd_ref = ref.collection(HOURS).document(hour_key(as_of))
    snaps = {snap.reference.path: snap for snap in db.get_all([ref, crowd_ref])}
    doc = fs.doc_of(snaps[ref.path])
    if doc is None:
        doc = {"since": float(hour * HOUR)}
        if not fs.create_if_absent(ref, doc):
            doc = ref.get().to_dict() or doc
    crowd = fs.doc_of(snaps[crowd_ref.path])
    since_hour = int(float(doc.get("since") or as_of) // HOUR)
    if crowd is None:
        # Once per data hour: the community's hourly volume for the rate's week and the
        # market activity (kept hour to hour, the latest recounted) and how many tickers
        # were talked about in that week, by aggregation queries over the summaries
        # (functions/detect/crowd.py).
        previous = crowd_of.latest_before(ref.collection(HOURS), hour)
        volumes = crowd_of.community(db, hour, config, previous)
        market = activity(
            volumes, hour, window=config.market_window_hours, days=config.market_days, since_hour=since_hour
        )
        tickers = crowd_of.tickers_since(db, week_start(hour, since_hour))
        crowd = {
            # with the window it was measured over: a preview of another window cannot use it
            "market": {
                "observed": market.observed,
                "expected": market.expected,
                "window_hours": config.market_window_hours,
                "days": config.market_days,
            },
            "rate": week_rate(volumes, hour, tickers, since_hour=since_hour),
            "tickers": tickers,
            "hour": hour_key(as_of),
            "community": {str(h): n for h, n in sorted(volumes.items())},
            "alerts_24h": crowd_of.alerts_opened(db, hour),
        }
        if not fs.create_if_absent(crowd_ref, crowd):  # another event of this hour was first
            crowd = crowd_ref.get().to_dict() or crowd
    return GlobalStats.from_doc({**doc, **crowd, "market": _market(db, crowd, hour, config, since_hour)})


def _market(
    db: firestore.Client, crowd: Mapping[str, Any], hour: int, config: DetectionConfig, since_hour: int
) -> Mapping[str, Any]:
    """The hour's market as stored, when measured over ``config``'s window; else measured
    again over it (from the community the crowd kept, counted anew where it falls short),
    not stored: a ticker takes its own activity over its config's window out of the
    market, and over another window that would count its own surge as the crowd's."""
    market = crowd.get("market")
    market = market if isinstance(market, Mapping) else {}
    if (market.get("window_hours"), market.get("days")) == (config.market_window_hours, config.market_days):
        return market
    volumes = crowd_of.community(db, hour, config, crowd)
    measured = activity(
        volumes, hour, window=config.market_window_hours, days=config.market_days, since_hour=since_hour
    )
    return {"observed": measured.observed, "expected": measured.expected}


def _window(windows: Mapping[str, Any], name: str, hours: int) -> WindowStats:
    doc = windows.get(name)
    return WindowStats.model_validate(doc) if isinstance(doc, dict) else WindowStats(hours=hours)


_configs = Versions()  # the config versions this instance has read


def read(db: firestore.Client, symbol: str, *, latest: bool = True, config_version: int | None = None) -> Snapshot:
    """What one decision reads in one round trip: the episode pointer; ``config/detection``
    unless ``config_version`` (the one the update was counted with) is known here; and for
    ``latest`` (an update that carries no counts: the detector evaluates the summary's newest
    moment) the summary, which a ticker with no episode pointer also reads after."""
    known = _configs.known(db.project, config_version)
    config_ref, named_ref = fs.detection_config_refs(db, config_version)
    refs = [episode_ref(db, symbol)]
    if known is None:
        refs += [config_ref] if named_ref is None else [config_ref, named_ref]
    ticker_ref = db.collection(fs.TICKERS).document(symbol)
    if latest:  # the summary is read only for an update that carries no counts
        refs.append(ticker_ref)
    snaps = {snap.reference.path: snap for snap in db.get_all(refs)}
    episode = snaps[refs[0].path]
    ticker = snaps[ticker_ref.path] if latest else None
    if ticker is None and not episode.exists:
        # No pointer: a new ticker (its first decision pays this read), or one whose last alert
        # only the summary's ``detection`` records (data kept from before episode pointers):
        # unread, a second episode would open beside that alert and it would never resolve.
        ticker = ticker_ref.get()
    config, version = known or _configs.read_named(
        db.project,
        config_version,
        None if named_ref is None else fs.doc_of(snaps[named_ref.path]),
        fs.doc_of(snaps[config_ref.path]),
    )
    summary = (ticker.to_dict() or {}) if ticker is not None and ticker.exists else {}
    detection = dict(summary.get(DETECTION) or {})
    windows = summary.get("windows") or {}
    raw_series = summary.get("series") or {}
    series = {str(k): int(v) for k, v in raw_series.items()} if isinstance(raw_series, dict) else {}
    stored_as_of = summary.get("as_of")
    alert, update_time, announced, moments = None, None, 0, {}
    pointer = (episode.to_dict() or {}) if episode.exists else {}
    # the pointer; before a ticker had one, the summary's record of its last alert
    alert_id = pointer.get("alert_id") if episode.exists else detection.get("alert_id")
    if alert_id:
        snap = db.collection(fs.ALERTS).document(str(alert_id)).get()
        if snap.exists:
            doc = snap.to_dict() or {}
            alert, update_time, announced = Alert.from_doc(doc), snap.update_time, int(doc.get("announced_level") or 0)
            moments = {str(k): int(v) for k, v in (doc.get("announced") or {}).items()}
    ended, ended_level, ended_moments = None, 0, {}
    if pointer.get("ended"):  # a read only after a decision that ended an episode
        ended_snap = db.collection(fs.ALERTS).document(str(pointer["ended"])).get()
        if ended_snap.exists:
            doc = ended_snap.to_dict() or {}
            ended, ended_level = Alert.from_doc(doc), int(doc.get("announced_level") or 0)
            ended_moments = {str(k): int(v) for k, v in (doc.get("announced") or {}).items()}
    return Snapshot(
        config,
        version,
        detection,
        None if stored_as_of is None else float(stored_as_of),
        series,
        _window(windows, "6h", 6),
        _window(windows, "24h", 24),
        alert,
        update_time,
        announced,
        episode.update_time if episode.exists else None,
        moments,
        float(pointer.get("as_of") or detection.get("as_of") or 0.0),
        # a pointer without "progress" (one that kept only the series' volume) cannot be
        # compared with an update's progress: unknown, so only an earlier as_of is stale
        int(pointer["progress"]) if isinstance(pointer.get("progress"), int) else None,
        int(pointer["hour"]) if isinstance(pointer.get("hour"), int) else None,
        Alert.from_doc(pointer["before"]) if isinstance(pointer.get("before"), dict) else None,
        ended,
        ended_level,
        ended_moments,
        int(pointer["config_version"]) if isinstance(pointer.get("config_version"), int) else None,
    )


class Conflict(RuntimeError):
    """Another delivery wrote the alert between our read and our write: retry the event."""


def commit(
    db: firestore.Client,
    symbol: str,
    snap: Snapshot,
    *,
    alert: Alert | None,
    announced_level: int,
    decided: tuple[float, int | None],
    detection: dict[str, Any],
    ended: Alert | None = None,
) -> None:
    """One atomic commit of a decision: the alert when it changed (created, or updated only if
    nobody wrote it since ``snap`` read it), the episode pointer with the decided update
    (created, or updated only if unchanged since read) and the summary's ``detection``; and
    ``ended``, the alert ``snap`` read resolved by its ticker's silence, when ``alert`` is a
    new episode (updated only if unchanged since read).
    Preconditions, not a transaction: nothing waits on a lock; a loser decides again."""
    batch = db.batch()
    pointer_id = alert.alert_id if alert is not None else (snap.alert.alert_id if snap.alert is not None else None)
    if ended is not None:
        _end(batch, db, snap, ended)
    if alert is not None and alert is not snap.alert:
        ref = db.collection(fs.ALERTS).document(alert.alert_id)
        doc = {**alert.to_doc(), "announced_level": announced_level}
        same = snap.alert is not None and snap.alert.alert_id == alert.alert_id and snap.alert_update_time is not None
        if same:
            batch.update(ref, doc, option=db.write_option(last_update_time=snap.alert_update_time))
        else:
            batch.create(ref, doc)
    before = snap.before_hour(decided[0])
    pointer = {
        "alert_id": pointer_id,
        "as_of": decided[0],
        "progress": decided[1],
        "config_version": snap.config_version,
        "hour": int(decided[0] // HOUR),
        "before": before.to_doc() if before is not None else None,
        # read back by the next decision, which announces its resolution if this one could not
        "ended": ended.alert_id if ended is not None else None,
    }
    _close(batch, db, symbol, snap, pointer=pointer, detection=detection)


def _end(batch: Any, db: firestore.Client, snap: Snapshot, ended: Alert) -> None:
    """``ended``, the alert ``snap`` read from its document, written on that read time."""
    doc = {**ended.to_doc(), "announced_level": snap.announced_level}
    option = db.write_option(last_update_time=snap.alert_update_time)
    batch.update(db.collection(fs.ALERTS).document(ended.alert_id), doc, option=option)


def _close(
    batch: Any, db: firestore.Client, symbol: str, snap: Snapshot, *, pointer: dict[str, Any], detection: dict[str, Any]
) -> None:
    """The episode pointer (created, or updated only if unchanged since read) and the
    summary's ``detection`` added to ``batch``, then the commit; a lost precondition is a
    :class:`Conflict`."""
    if snap.episode_update_time is None:
        batch.create(episode_ref(db, symbol), pointer)
    else:
        option = db.write_option(last_update_time=snap.episode_update_time)
        batch.update(episode_ref(db, symbol), pointer, option=option)
    batch.set(db.collection(fs.TICKERS).document(symbol), {DETECTION: detection}, merge=True)
    try:
        batch.commit()
    except (gexc.AlreadyExists, gexc.FailedPrecondition, gexc.Aborted, gexc.NotFound, gexc.Conflict) as exc:
        raise Conflict(f"{symbol}: {exc}") from exc


def commit_silence(db: firestore.Client, symbol: str, snap: Snapshot, ended: Alert, hour: int) -> None:
    """A silence check's decision, in one commit on the read times of what it read: the alert
    ``snap`` read, resolved; the summary's ``detection`` quiet; and the episode pointer's data
    hour moved to the check's (``hour``), with the alert as it stood before it, so a later
    update of that hour is decided from there, as any hour is (:func:`lifecycle.redecide`),
    and a redelivered check finds its resolution this hour's. The decided update (as of, progress)
    stays: the check decided no counts."""
    if snap.alert is None or snap.alert_update_time is None:
        raise ValueError(f"{symbol}: a silence ends an alert read from its document")
    batch = db.batch()
    _end(batch, db, snap, ended)
    pointer = {
        "alert_id": ended.alert_id,
        "as_of": snap.decided_as_of,
        "progress": snap.decided_progress,
        "config_version": snap.decided_version,  # the check decided no counts
        "hour": hour,
        "before": snap.alert.to_doc(),
        "ended": None,  # announce_ended ran before this check decided: nothing older is pending
    }
    _close(batch, db, symbol, snap, pointer=pointer, detection={"status": "quiet"})


def mark_announced(db: firestore.Client, alert_id: str, level: int | None, moments: Mapping[str, int]) -> None:
    """Record what was published: the level (opened, escalated, reopened) and the other
    moments (``announced.<moment>``), so a redelivered update does not publish them again.
    Only ever raised (``Maximum``): a slow delivery recording late what it announced must not
    lower what a newer decision recorded, and have its announcement published again."""
    fields: dict[str, Any] = {f"announced.{moment}": firestore.Maximum(at) for moment, at in moments.items()}
    if level is not None:
        fields["announced_level"] = firestore.Maximum(level)
    if fields:
        db.collection(fs.ALERTS).document(alert_id).update(fields)
