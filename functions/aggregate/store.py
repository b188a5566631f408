"""The aggregator's Firestore documents: reading a ticker's state, writing a plan.

Every read and write goes through :class:`TickerStore`: a batched read of the state (and an
hour bucket only for an item of an older hour), one atomic commit of a plan (what the
benchmarks count is counted on the client, not here).
"""

import json
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.field_path import FieldPath

from common import log
from common.adapters import firestore as fs
from common.aggregation import (
    COUNTED_WINDOWS,
    MAX_ITEM_AGE_DAYS,
    SERIES_HOURS,
    BucketWrite,
    Plan,
    counted,
    window_day_keys,
    window_hour_keys,
)
from common.detection_config import DEFAULT_CONFIG, DetectionConfig, Versions
from common.duplicates import Signature
from common.evidence import Evidence
from common.fields import number
from common.messages import Counted, Mention
from common.metrics import (
    BUCKET_FIELDS,
    COUNTERS,
    VOLUME_FIELDS,
    HourBucket,
    TickerSummary,
    bucket_from_doc,
    series_first_key,
    series_of,
    summarize,
)
from common.timekeys import hour_key, hour_start

logger = log.get_logger(__name__)
T = TypeVar("T")

# The field of an hour bucket naming the items counted in it ({item_id: true}): the
# idempotency record, written by the same transform that counts them. A map, not an array:
# its content does not depend on the order batches arrived in.
ITEMS = "items"
# Per-item markers of items an hour bucket does not name (its ``items`` then holds fewer ids
# than its ``mentions``): items counted before buckets named them, and those past
# ``ITEMS_MAX`` in a hot hour. Read only for such a bucket; TTL-deleted.
SEEN = fs.SEEN
# Ids an hour bucket names at most: with its 4,096 HLL registers it stays well inside
# Firestore's 20,000 fields and 1 MiB a document. Past it (a ticker's frenzy hour, the one
# that matters) each further item gets a ``seen`` marker, a write each, instead of a commit
# Firestore refuses on every redelivery.
ITEMS_MAX = 8_000
# A marker outlives the oldest item a batch may still count (MAX_ITEM_AGE_DAYS before the
# ticker's newest) and the week a dead-lettered batch may wait to be replayed, counted from its
# hour or from when it is written, whichever is later (seen_expires).
SEEN_TTL_DAYS = MAX_ITEM_AGE_DAYS + 8


def seen_expires(hour: str, written: datetime) -> datetime:
    """When a hot hour's ``seen`` marker may go (Firestore TTL reads the wall clock): counted
    from the hour alone, a replay of an old month would write markers already expired, and a
    redelivery of that hour would count its items again. An item arriving more than
    SEEN_TTL_DAYS after its marker was written (the same dump imported twice, weeks apart)
    can still be counted again."""
    return max(datetime.fromtimestamp(hour_start(hour), UTC), written) + timedelta(days=SEEN_TTL_DAYS)


STATE = fs.STATE
SIGNATURES = "signatures"  # tickers/{symbol}/state/signatures
# Past this, the kept window buckets are dropped and the ticker's batches query its buckets:
# the state document must stay well under Firestore's 1 MiB with the signatures beside it.
RECENT_MAX_BYTES = 600_000
RECENT_IDS_MAX_BYTES = 200_000  # the latest hours' counted ids kept beside them
STATE_MAX_BYTES = 900_000  # the whole state document, under Firestore's 1 MiB with room to spare
_configs = Versions()  # the config versions this instance has read
SUMMARY_FIELDS = ["symbol", "as_of", "last_hour", "windows", "velocity", "acceleration", "series"]


def transforms_at_most(authors: int, subreddits: int) -> int:
    """The most field transforms :func:`bucket_transforms` puts on one bucket for mentions of
    this many distinct authors and subreddits: an Increment per counter and per subreddit, a
    Maximum per HLL register and an ArrayUnion element per author. A commit stays within
    ``fs.FIELD_TRANSFORMS_MAX`` by it."""
    return len(COUNTERS) + subreddits + 2 * authors


def named_and_marked(write: BucketWrite) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ids of ``write`` its bucket's ``items`` can still name (up to ``ITEMS_MAX`` in all),
    and those past it, which get ``seen`` markers."""
    room = max(0, ITEMS_MAX - (write.after.mentions - len(write.items)))
    return write.items[:room], write.items[room:]


def bucket_transforms(write: BucketWrite) -> dict[str, Any]:
    """The merge-set that adds ``write.delta``: commutative and, behind the ``items`` record,
    applied once. Authors: ArrayUnion while exact; emptied once, when the bound is crossed.
    A counter the delta leaves at zero gets no transform (readers take an absent counter as
    0): each transform costs the client an encoding and the server an application, and most
    counters of a small batch are zero."""
    delta = write.delta
    data: dict[str, Any] = {
        "hour": write.key,
        "start_utc": delta.start_utc,
        **{name: firestore.Increment(n) for name in COUNTERS if (n := getattr(delta, name))},
    }
    if delta.subreddits:
        data["subreddits"] = {name: firestore.Increment(n) for name, n in delta.subreddits.items()}
    if delta.hll:
        data["hll"] = {index: firestore.Maximum(rank) for index, rank in delta.hll.items()}
    if named := named_and_marked(write)[0]:
        data[ITEMS] = dict.fromkeys(named, True)
    if write.overflow_now:
        data["authors"] = []
        data["authors_overflow"] = True
    elif not write.overflowed_before and delta.authors:
        data["authors"] = firestore.ArrayUnion(sorted(delta.authors))
    return data


def signatures_doc(
    signatures: Iterable[Signature],
    as_of: float | None,
    recent_hours: Mapping[str, HourBucket] | None = None,
    recent_days: Mapping[str, HourBucket] | None = None,
    evidence: Iterable[Evidence] = (),
) -> dict[str, Any]:
    """The aggregator's private state in one document: the recent signatures and the
    evidence candidates as JSON strings rather than maps of maps (encoding one string is far
    cheaper), and the buckets the summary's windows read as compressed JSON bytes (a hot
    ticker's author sets and sketches, unindexed, well under Firestore's 1 MiB)."""
    rows = [[s.item_id, s.author, s.created_utc, s.text_hash, s.minhash] for s in signatures]
    doc: dict[str, Any] = {
        "as_of": as_of,
        "count": len(rows),
        "items": json.dumps(rows, separators=(",", ":")),
        "evidence": json.dumps([e.to_doc() for e in evidence], separators=(",", ":")),
    }
    if recent_hours is not None and recent_days is not None:
        doc["recent"] = buckets_blob(recent_hours, recent_days)
    return doc


def buckets_blob(hours: Mapping[str, HourBucket], days: Mapping[str, HourBucket]) -> bytes:
    encoded = {
        name: {k: b.model_dump(mode="json") for k, b in sorted(buckets.items())}
        for name, buckets in (("hours", hours), ("days", days))
    }
    return zlib.compress(json.dumps(encoded, separators=(",", ":")).encode(), 6)


def buckets_from_blob(blob: bytes) -> tuple[dict[str, HourBucket], dict[str, HourBucket]]:
    decoded = json.loads(zlib.decompress(blob))
    hours = {k: HourBucket.model_validate(v) for k, v in decoded["hours"].items()}
    days = {k: HourBucket.model_validate(v) for k, v in decoded["days"].items()}
    return hours, days


def summary_write(
    summary: Mapping[str, Any], stored_series: Mapping[str, int] | None
) -> tuple[dict[str, Any], list[str]]:
    """The summary's merge-set: its fields whole, but of the series only the hours that
    changed since ``stored_series`` (and the deletion of those that left it), since a busy
    ticker's series holds hundreds of hours and each value costs an encoding on the client
    and an application on the server. ``stored_series`` None: the series whole."""
    if stored_series is None:
        return dict(summary), SUMMARY_FIELDS
    series: Mapping[str, int] = summary["series"]
    changes: dict[str, Any] = {k: n for k, n in series.items() if stored_series.get(k) != n}
    changes |= {k: firestore.DELETE_FIELD for k in stored_series.keys() - series.keys()}
    fields = [f for f in SUMMARY_FIELDS if f != "series"]
    fields += [FieldPath("series", k).to_api_repr() for k in sorted(changes)]
    return {**summary, "series": changes}, fields


def _size(doc: Mapping[str, Any]) -> int:
    """About what the document weighs: its strings and bytes (the rest is small)."""
    return sum(len(v) for v in doc.values() if isinstance(v, str | bytes))


def ids_doc(ids: Mapping[str, list[str]]) -> str:
    """The latest hours' counted ids as one JSON string, oldest hours dropped first past
    ``RECENT_IDS_MAX_BYTES`` (an hour left out is read from its bucket when a batch needs it)."""
    kept = dict(sorted(ids.items()))
    while True:
        text = json.dumps(kept, separators=(",", ":"))
        if len(text) <= RECENT_IDS_MAX_BYTES or not kept:
            return text
        del kept[min(kept)]


def ids_from_doc(doc: Mapping[str, Any]) -> dict[str, set[str]]:
    raw = doc.get("counted_ids")
    if not isinstance(raw, str) or not raw:
        return {}
    return {str(k): {str(i) for i in v} for k, v in json.loads(raw).items()}


def evidence_from_doc(doc: Mapping[str, Any]) -> tuple[Evidence, ...]:
    raw = doc.get("evidence")
    return tuple(Evidence.from_doc(e) for e in json.loads(raw)) if isinstance(raw, str) and raw else ()


def signatures_from_doc(doc: Mapping[str, Any]) -> list[Signature]:
    raw = doc.get("items")
    if not isinstance(raw, str) or not raw:
        return []
    return [Signature(str(i), a, float(t), str(h), str(m)) for i, a, t, h, m in json.loads(raw)]


@dataclass
class TickerState:
    seen: set[str]
    previous_as_of: float | None
    signatures: list[Signature]
    series: dict[str, int] | None  # None: a summary written before it had one, or unreadable (recount it)
    # The window buckets kept with the state as of ``previous_as_of`` (None: a state written
    # before it kept them: query the buckets once), and the state document's update time,
    # the precondition of the next commit (None: no state yet, the commit creates it).
    recent: tuple[dict[str, HourBucket], dict[str, HourBucket]] | None = None
    updated: Any = None
    rules: DetectionConfig = DEFAULT_CONFIG  # the config in force: its counting rules apply
    counted: Counted | None = None  # the stored summary's, as of ``previous_as_of``
    evidence: tuple[Evidence, ...] = ()  # the candidates kept, as of ``previous_as_of``
    # the batch's hour buckets read with the state (None: read, absent): not read again
    touched: dict[str, HourBucket | None] = field(default_factory=dict)
    config_version: int = 0  # of ``rules``: the update tells the detector which config counted it
    known: dict[str, set[str]] = field(default_factory=dict)  # hour -> every id counted in it, where known


@dataclass
class TickerStore:
    db: firestore.Client
    symbol: str
    # what :meth:`counts` rebuilt, by the moment and config: once per batch, not per chunk
    _recounted: dict[tuple[float, int], Counted] = field(default_factory=dict, init=False, repr=False)

    @property
    def ticker(self) -> firestore.DocumentReference:
        return self.db.collection(fs.TICKERS).document(self.symbol)

    def _get_all(self, refs: list[firestore.DocumentReference]) -> dict[str, Any]:
        if not refs:
            return {}
        return {snap.reference.path: snap for snap in self.db.get_all(refs)}

    def read_state(self, mentions: Iterable[Mention] = (), config_version: int | None = None) -> TickerState:
        """The state document (with the summary, the series and the ids counted in the latest
        hours), and the config unless the batch names a version known here: one round trip.
        Then only the hour buckets ``mentions`` fall in whose ids the state does not hold, by
        key: which of the items were counted is in their ``items``. A bucket whose ``items``
        name fewer items than it counted (counted before buckets named them) is checked
        against the per-item ``seen`` markers of that time, and never called complete."""
        by_hour: dict[str, set[str]] = {}
        for m in mentions:
            by_hour.setdefault(hour_key(m.created_utc), set()).add(m.item_id)
        touched = set(by_hour)
        state_ref = self.ticker.collection(STATE).document(SIGNATURES)
        config_ref, named_ref = fs.detection_config_refs(self.db, config_version)
        known_rules = _configs.known(self.db.project, config_version)
        refs = [state_ref]
        if known_rules is None:
            refs += [config_ref] if named_ref is None else [config_ref, named_ref]
        snaps = self._get_all(refs)
        rules, version = known_rules or _configs.read_named(
            self.db.project,
            config_version,
            None if named_ref is None else fs.doc_of(snaps[named_ref.path]),
            fs.doc_of(snaps[config_ref.path]),
        )
        state_snap = snaps[state_ref.path]
        state_doc = (state_snap.to_dict() or {}) if state_snap.exists else {}
        as_of = number(state_doc.get("as_of"))
        lost = as_of is None and state_snap.exists
        if lost:
            as_of = self._lost_as_of()
        summary = None if lost else self._summary(state_doc) if as_of is not None else {}
        known: dict[str, set[str]] = self._parsed("counted ids", ids_from_doc, state_doc, {})
        # An hour after the newest counted item's holds nothing counted: never read.
        unknown = sorted(k for k in touched if as_of is not None and k not in known and k <= hour_key(as_of))
        hours: dict[str, HourBucket | None] = {}
        seen: set[str] = set()
        markers: list[firestore.DocumentReference] = []
        for snap in self._get_all([self.ticker.collection(fs.HOURS).document(k) for k in unknown]).values():
            doc = fs.doc_of(snap)
            named = set((doc or {}).get(ITEMS) or {})
            hours[snap.id] = None if doc is None else bucket_from_doc(doc)
            if doc is None or len(named) >= int(doc.get("mentions") or 0):
                known[snap.id] = named
            else:
                seen |= named
                markers += [self.ticker.collection(SEEN).document(i) for i in sorted(by_hour[snap.id] - named)]
        seen |= {snap.id for snap in self._get_all(markers).values() if snap.exists}
        seen |= set().union(*(known.get(k, set()) for k in touched))
        signatures: list[Signature] = self._parsed("signatures", signatures_from_doc, state_doc, [])
        evidence: tuple[Evidence, ...] = self._parsed("evidence", evidence_from_doc, state_doc, ())
        series, stored = self._stored(summary, as_of, rules, evidence)
        blob = state_doc.get("recent")
        recent = None
        if isinstance(blob, bytes) and as_of is not None and not lost:  # else the window's buckets are queried
            recent = self._parsed("window buckets", buckets_from_blob, blob, None)
        return TickerState(
            seen,
            as_of,
            signatures,
            series,
            recent,
            state_snap.update_time if state_snap.exists else None,
            rules,
            stored,
            evidence,
            hours,
            version,
            known,
        )

    def _lost_as_of(self) -> float | None:
        """The newest counted item's time for a state that has lost it (damaged, or written
        by a newer schema): the summary's, else the end of the newest hour counted. Read as a
        new ticker's, older hours' items would be counted again and the series would be
        written from one batch, a spike over an empty history. The summary and the window are
        then recounted from the buckets, as for any other part that does not read."""
        logger.warning("the stored state of %s has no time it can read: recounted", self.symbol)
        summary = self.ticker.get()
        if (as_of := number((summary.to_dict() or {}).get("as_of") if summary.exists else None)) is not None:
            return as_of
        newest = self.ticker.collection(fs.HOURS).order_by("hour", direction=firestore.Query.DESCENDING).limit(1)
        for snap in newest.select(["start_utc"]).stream():
            if (start := number(snap.get("start_utc"))) is not None:
                return start + 3599.0  # the hour's last second
        return None

    def _summary(self, state_doc: Mapping[str, Any]) -> dict[str, Any] | None:
        """The summary as the state keeps it; from ``tickers/{S}`` for a state written
        without it (one read, once: the next commit keeps it). None: not a JSON object."""
        raw = state_doc.get("summary")
        if isinstance(raw, str) and raw:
            decoded = self._parsed("summary", json.loads, raw, None)
            if decoded is not None and not isinstance(decoded, dict):
                logger.warning("the stored summary of %s is no JSON object: recounted", self.symbol)
            return decoded if isinstance(decoded, dict) else None
        snap = self.ticker.get()
        return (snap.to_dict() or {}) if snap.exists else {}

    def _parsed(self, what: str, parse: Callable[[Any], T], raw: Any, fallback: T) -> T:
        """``parse(raw)``, or ``fallback`` for a part of the state this code cannot read
        (written by a newer schema, or damaged), logged: each part can be done without, at a
        read or a query more, and failing on it would fail every batch of the ticker until
        each is dead-lettered."""
        try:
            return parse(raw)
        except (ValueError, TypeError, KeyError, AttributeError, zlib.error) as e:  # ValidationError is a ValueError
            logger.warning(
                "unreadable stored %s of %s: done without (recounted or read again)",
                what,
                self.symbol,
                extra={"json_fields": {"ticker": self.symbol, "error": repr(e)[:500]}},
            )
            return fallback

    def _stored(
        self, summary: dict[str, Any] | None, as_of: float | None, rules: DetectionConfig, evidence: Iterable[Evidence]
    ) -> tuple[dict[str, int] | None, Counted | None]:
        """The stored series and what the stored summary says was counted. Series None: none
        that can be trusted (a summary from before the series, or one this code cannot read),
        so it is recounted and the next commit writes the summary whole; counts None: the
        batch recounts them from the buckets (:meth:`counts`) if it needs them."""
        if as_of is None:
            return {}, None
        if summary is None or not isinstance(summary.get("series"), dict):
            return None, None  # not JSON, or a summary from before the series

        def read(doc: dict[str, Any]) -> tuple[dict[str, int], TickerSummary] | None:
            series = {str(k): int(v) for k, v in doc["series"].items()}
            stored = TickerSummary.model_validate(doc)
            if missing := set(COUNTED_WINDOWS) - stored.windows.keys():
                raise KeyError(f"windows {sorted(missing)}")
            return series, stored

        parsed = self._parsed("summary", read, summary, None)
        if parsed is None:
            return None, None
        series, stored = parsed
        return series, counted(stored, series, rules, evidence)  # outside the guard: a mistake here raises

    def counts(self, state: TickerState) -> Counted | None:
        """What was counted as of the state's newest item: what a batch of items all counted
        before, or a silence check, tells the detector. The stored summary's; rebuilt from the
        buckets where the state holds no readable one (one from before the series, or
        unreadable): a range query or two, on this rare path only."""
        as_of = state.previous_as_of
        if state.counted is not None or as_of is None:
            return state.counted
        key = (as_of, state.config_version)
        if key not in self._recounted:
            series = state.series if state.series is not None else self.recount_series(as_of, SERIES_HOURS)
            kept_hours, kept_days = state.recent if state.recent is not None else (None, None)
            hours = self.read_buckets(fs.HOURS, window_hour_keys(as_of), (), kept_hours)
            days = self.read_buckets(fs.DAYS, window_day_keys(as_of), (), kept_days)
            summary = summarize(self.symbol, hours, as_of, days=days)
            self._recounted[key] = counted(summary, series, state.rules, state.evidence)
        return self._recounted[key]

    def recount_series(self, as_of: float, hours: int) -> dict[str, int]:
        """The series from the hour buckets (one range query): once per ticker whose
        summary predates the series, after which the commits keep it."""
        col = self.ticker.collection(fs.HOURS)
        query = col.where(filter=FieldFilter("hour", ">=", series_first_key(as_of, hours))).select(VOLUME_FIELDS)
        # the volume counters alone: four weeks of a busy ticker's authors and sketches would not fit
        return series_of({d.id: bucket_from_doc(d.to_dict() or {}) for d in query.stream()}, as_of, hours)

    def read_buckets(
        self,
        collection: str,
        window: list[str],
        touched: Iterable[str],
        kept: Mapping[str, HourBucket] | None = None,
        known: Mapping[str, HourBucket | None] | None = None,
    ) -> dict[str, HourBucket]:
        """The window's buckets, plus touched ones older than it. From ``kept`` (the state's
        copy: no read) when the state has one, else with one range query (the counters only,
        not the ``items`` maps); an older touched bucket from ``known`` (read with the state)
        when there, else read by key."""
        col = self.ticker.collection(collection)
        if kept is not None:
            out = {k: b for k, b in kept.items() if k >= window[0]}
        else:
            query = col.where(filter=FieldFilter("hour", ">=", window[0])).select(BUCKET_FIELDS)
            out = {d.id: bucket_from_doc(d.to_dict() or {}) for d in query.stream()}
        known = known or {}
        out |= {k: b for k, b in known.items() if k < window[0] and b is not None}
        older = sorted({k for k in touched if k < window[0] and k not in known})
        for snap in self._get_all([col.document(k) for k in older]).values():
            if snap.exists:
                out[snap.id] = bucket_from_doc(snap.to_dict() or {})
        return out

    def write(
        self,
        plan: Plan,
        updated: Any = None,
        ids: Mapping[str, list[str]] | None = None,
        stored_series: Mapping[str, int] | None = None,
    ) -> None:
        """One atomic commit: bucket transforms (the hours' naming the items they count), the
        state (signatures and window buckets: created, or updated only if unchanged since
        ``updated`` was read), summary (its series as changed from ``stored_series``, the
        state's copy of what the summary holds; None: written whole). Raises
        AlreadyExists/FailedPrecondition when another copy committed first, so what this one
        read is stale."""
        batch = self.db.batch()
        for collection, writes in ((fs.HOURS, plan.hours), (fs.DAYS, plan.days)):
            for w in writes:
                batch.set(self.ticker.collection(collection).document(w.key), bucket_transforms(w), merge=True)
        written = datetime.now(UTC)
        for w in plan.hours:  # a hot hour's items past what its bucket names (CHUNK keeps the commit in bounds)
            expires = seen_expires(w.key, written)
            for item_id in named_and_marked(w)[1]:
                batch.set(self.ticker.collection(SEEN).document(item_id), {"hour": w.key, "expires_at": expires})
        state_ref = self.ticker.collection(STATE).document(SIGNATURES)
        state = signatures_doc(plan.signatures, plan.as_of, plan.recent_hours, plan.recent_days, plan.evidence)
        summary = None if plan.summary is None else {**plan.summary.model_dump(mode="json"), "series": plan.series}
        if summary is not None:
            state["summary"] = json.dumps(summary, separators=(",", ":"))
            state["counted_ids"] = ids_doc(ids or {})
        if _size(state) > STATE_MAX_BYTES and "counted_ids" in state:
            state["counted_ids"] = ids_doc({})  # its batches read their hours' buckets instead
        if len(state["recent"]) > RECENT_MAX_BYTES or _size(state) > STATE_MAX_BYTES:
            del state["recent"]  # a very hot ticker: its batches query instead
            if updated is not None:
                state["recent"] = firestore.DELETE_FIELD
        if updated is None:
            batch.create(state_ref, state)
        else:
            batch.update(state_ref, state, option=self.db.write_option(last_update_time=updated))
        if summary is not None:
            batch.set(self.ticker, *summary_write(summary, stored_series))
        batch.commit()
