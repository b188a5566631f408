"""The aggregator's Firestore documents: reading a ticker's state, writing a plan.

Every read and write goes through :class:`TickerStore`: one batched read of the state, one
atomic commit of a plan (what the benchmarks count is counted on the client, not here).
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from common.adapters import firestore as fs
from common.aggregation import BucketWrite, Plan
from common.duplicates import Signature
from common.metrics import COUNTERS, HourBucket, bucket_from_doc, series_first_key, series_of
from common.timekeys import hour_key

DAYS = "days"  # subcollection of tickers/{symbol}: daily buckets, same shape as hours
SEEN = fs.SEEN  # subcollection of tickers/{symbol}: one idempotency marker per counted item (TTL)
STATE = "state"  # subcollection of tickers/{symbol}: the aggregator's private state
SIGNATURES = "signatures"  # tickers/{symbol}/state/signatures
SUMMARY_FIELDS = ["symbol", "as_of", "last_hour", "windows", "velocity", "acceleration", "series"]


def bucket_transforms(write: BucketWrite) -> dict[str, Any]:
    """The merge-set that adds ``write.delta``: commutative and, behind the markers,
    applied once. Authors: ArrayUnion while exact; emptied once, when the bound is crossed."""
    delta = write.delta
    data: dict[str, Any] = {
        "hour": write.key,
        "start_utc": delta.start_utc,
        **{name: firestore.Increment(getattr(delta, name)) for name in COUNTERS},
        "subreddits": {name: firestore.Increment(n) for name, n in delta.subreddits.items()},
    }
    if delta.hll:
        data["hll"] = {index: firestore.Maximum(rank) for index, rank in delta.hll.items()}
    if write.overflow_now:
        data["authors"] = []
        data["authors_overflow"] = True
    elif not write.overflowed_before and delta.authors:
        data["authors"] = firestore.ArrayUnion(sorted(delta.authors))
    return data


def signatures_doc(signatures: Iterable[Signature], as_of: float | None) -> dict[str, Any]:
    """One JSON string rather than a map of 500 maps: the document is private to this
    function, and encoding one string costs ~1 ms where the nested map cost ~16 ms."""
    rows = [[s.item_id, s.author, s.created_utc, s.text_hash, s.minhash] for s in signatures]
    return {"as_of": as_of, "count": len(rows), "items": json.dumps(rows, separators=(",", ":"))}


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
    series: dict[str, int] | None  # None: a summary written before it had one (recount it)


@dataclass
class TickerStore:
    db: firestore.Client
    symbol: str

    @property
    def ticker(self) -> firestore.DocumentReference:
        return self.db.collection(fs.TICKERS).document(self.symbol)

    def _get_all(self, refs: list[firestore.DocumentReference]) -> dict[str, Any]:
        if not refs:
            return {}
        return {snap.reference.path: snap for snap in self.db.get_all(refs)}

    def read_state(self, item_ids: Iterable[str] = ()) -> TickerState:
        """The summary and signatures, plus the markers of ``item_ids`` when asked: the
        happy path asks for none (the commit's create preconditions check them for free);
        only a commit that found a marker comes back for them."""
        markers = [self.ticker.collection(SEEN).document(i) for i in item_ids]
        signatures_ref = self.ticker.collection(STATE).document(SIGNATURES)
        snaps = self._get_all([*markers, self.ticker, signatures_ref])
        seen = {ref.id for ref in markers if snaps[ref.path].exists}
        summary = (snaps[self.ticker.path].to_dict() or {}) if snaps[self.ticker.path].exists else {}
        as_of = summary.get("as_of")
        signatures = signatures_from_doc(snaps[signatures_ref.path].to_dict() or {})
        raw = summary.get("series")
        series = {str(k): int(v) for k, v in raw.items()} if isinstance(raw, dict) else None
        if as_of is None:
            series = {}
        return TickerState(seen, None if as_of is None else float(as_of), signatures, series)

    def recount_series(self, as_of: float, hours: int) -> dict[str, int]:
        """The series from the hour buckets (one range query): once per ticker whose
        summary predates the series, after which the commits keep it."""
        col = self.ticker.collection(fs.HOURS)
        docs = list(col.where(filter=FieldFilter("hour", ">=", series_first_key(as_of, hours))).stream())
        return series_of({d.id: bucket_from_doc(d.to_dict() or {}) for d in docs}, as_of, hours)

    def read_buckets(self, collection: str, window: list[str], touched: Iterable[str]) -> dict[str, HourBucket]:
        """The window's buckets with one range query, plus touched ones older than it."""
        col = self.ticker.collection(collection)
        docs = list(col.where(filter=FieldFilter("hour", ">=", window[0])).stream())
        out = {d.id: bucket_from_doc(d.to_dict() or {}) for d in docs}
        older = sorted({k for k in touched if k < window[0]})
        for snap in self._get_all([col.document(k) for k in older]).values():
            if snap.exists:
                out[snap.id] = bucket_from_doc(snap.to_dict() or {})
        return out

    def write(self, plan: Plan, seen_ttl_days: float) -> None:
        """One atomic commit: markers (create: fails if any exists), bucket transforms,
        signatures, summary. Raises AlreadyExists/FailedPrecondition on a concurrent copy."""
        batch = self.db.batch()
        for mention in plan.counted:
            expires = datetime.fromtimestamp(mention.created_utc, UTC) + timedelta(days=seen_ttl_days)
            batch.create(
                self.ticker.collection(SEEN).document(mention.item_id),
                {"hour": hour_key(mention.created_utc), "expires_at": expires},
            )
        for collection, writes in ((fs.HOURS, plan.hours), (DAYS, plan.days)):
            for w in writes:
                batch.set(self.ticker.collection(collection).document(w.key), bucket_transforms(w), merge=True)
        batch.set(self.ticker.collection(STATE).document(SIGNATURES), signatures_doc(plan.signatures, plan.as_of))
        if plan.summary is not None:
            doc = {**plan.summary.model_dump(mode="json"), "series": plan.series}
            batch.set(self.ticker, doc, merge=SUMMARY_FIELDS)
        batch.commit()
