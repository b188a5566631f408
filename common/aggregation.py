"""What one mentions batch changes for its ticker, decided from what was read: pure, no I/O.

``functions/aggregate`` reads the ticker's state (the summary with its previous ``as_of``
and hourly ``series``, the buckets the windows need, the recent signatures, the ids counted
in the latest hours; an older hour's bucket, whose ``items`` say which were counted, only
when the batch has an item there), calls
:func:`plan`, and writes the plan in one batched commit: ``Increment`` / ``ArrayUnion`` /
``Maximum`` transforms on the touched buckets (the hours' naming the items they add), the
signatures and the summary with the advanced series (the detector's whole history, so it
reads one document).
Splitting it this way keeps every decision testable without a service and makes the writer a
straight translation of the plan.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from common import duplicates
from common.detection_config import DEFAULT_CONFIG, DetectionConfig
from common.duplicates import Signature
from common.evidence import Evidence, keep_candidates, select_evidence
from common.messages import Counted, Mention
from common.metrics import (
    WEEK_DAYS,
    HourBucket,
    TickerSummary,
    advance_series,
    bucket_deltas,
    is_discussion,
    merge,
    series_first_key,
    summarize,
)
from common.timekeys import day_key, days_back, hour_key, hours_back
from common.windows import WINDOWS

MAX_ITEM_AGE_DAYS = 30.0  # an item older than this (before the ticker's as_of) is not counted

# The summary's ``series`` covers the furthest back a decision may read under any config an
# admin may store (``common.detection.engine.kept_hours`` at the bounds: the longest history,
# or the market's longest normal) plus the detector's query bounds (the hour of ``as_of`` and
# the one before the first day).


def _most(name: str) -> int:
    return int(next(m.le for m in DetectionConfig.model_fields[name].metadata if hasattr(m, "le")))


HISTORY_DAYS_MAX = _most("history_days")
SERIES_HOURS = max(HISTORY_DAYS_MAX * 24, _most("market_days") * 24 + _most("market_window_hours")) + 2


@dataclass(frozen=True)
class Tuning:
    rules: DetectionConfig = DEFAULT_CONFIG  # its counting rules (new accounts, stuffing, emoji, duplicates)
    max_item_age_days: float = MAX_ITEM_AGE_DAYS


@dataclass(frozen=True)
class BucketWrite:
    """One bucket document's change: ``delta`` to add with transforms; ``overflow`` when
    this write pushes the bucket past the exact author bound (its set is then dropped);
    ``items``: the ids it counts (hour buckets: their record of what was counted)."""

    key: str
    delta: HourBucket
    after: HourBucket
    overflow_now: bool
    overflowed_before: bool
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    counted: tuple[Mention, ...]  # the mentions this batch adds (unseen, deduplicated)
    duplicates: frozenset[str]
    hours: tuple[BucketWrite, ...]
    days: tuple[BucketWrite, ...]
    signatures: tuple[Signature, ...]  # the whole new state of recent signatures
    summary: TickerSummary | None  # None when nothing was ever counted for the ticker
    as_of: float | None
    series: dict[str, int]  # hour key -> discussion volume over SERIES_HOURS ending at as_of
    # The buckets the summary's windows read, as they are after this batch (hours of the
    # longest hourly window and days of the 7-day one, ending at as_of): kept beside the
    # signatures so the next batch reads them with its state instead of querying buckets.
    recent_hours: dict[str, HourBucket]
    recent_days: dict[str, HourBucket]
    evidence: tuple[Evidence, ...] = ()  # the candidates kept after this batch (common.evidence)


def citable(mentions: Iterable[Mention], rules: DetectionConfig) -> list[Evidence]:
    """The mentions an alert may cite (:mod:`common.evidence`): those its volume counts
    (:func:`common.metrics.is_discussion`), not a name only in another company's partner
    list or only in the cashtag list of a text stuffed to promote something else."""
    names = Evidence.__dataclass_fields__
    return [Evidence(**{name: getattr(m, name) for name in names}) for m in mentions if is_discussion(m, rules)]


def unique_mentions(mentions: Iterable[Mention]) -> list[Mention]:
    """One mention per item (a batch may repeat an item: count it once, the first)."""
    seen: dict[str, Mention] = {}
    for mention in mentions:
        seen.setdefault(mention.item_id, mention)
    return list(seen.values())


FUTURE_SKEW_S = 3600.0  # how far past its message's publish time an item may be dated (clocks disagree)


def dated_by(mentions: Sequence[Mention], published: float | None) -> tuple[list[Mention], list[Mention]]:
    """(kept, refused): a mention dated later than its message was published (give or take
    ``FUTURE_SKEW_S``) names a time no real item has, and counting it would move the ticker's
    newest data time there, past which every real mention is too old to count (``fresh``).
    ``published`` None (a message without a publish time): every mention is kept."""
    if published is None:
        return list(mentions), []
    limit = published + FUTURE_SKEW_S
    return [m for m in mentions if m.created_utc <= limit], [m for m in mentions if m.created_utc > limit]


def window_hour_keys(as_of: float) -> list[str]:
    """Hour buckets the summary needs: the longest hourly window ending at ``as_of``."""
    return hours_back(hour_key(as_of), max(WINDOWS.values()))


def window_day_keys(as_of: float) -> list[str]:
    return days_back(day_key(as_of), WEEK_DAYS)


def fresh(
    mentions: Sequence[Mention],
    seen: Iterable[str],
    previous_as_of: float | None,
    tuning: Tuning,
    *,
    newest: float | None = None,
) -> list[Mention]:
    """The mentions not yet counted. Items older than ``max_item_age_days`` before the newest
    item counted or arriving with them (``newest``: the whole message's, when it comes in
    chunks) are dropped: a month-old item arriving now is a re-fetch, not news, and would only
    rewrite an old bucket. Measured from both, the same items count whatever their order
    inside a message and however it is cut."""
    already = set(seen)
    known = [t for t in (previous_as_of, newest) if t is not None]
    floor = max(known) - tuning.max_item_age_days * 86400 if known else None
    return [
        m for m in unique_mentions(mentions) if m.item_id not in already and (floor is None or m.created_utc >= floor)
    ]


def _writes(
    deltas: Mapping[str, HourBucket],
    stored: Mapping[str, HourBucket],
    items: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[BucketWrite, ...]:
    out = []
    for key in sorted(deltas):
        delta = deltas[key]
        before = stored.get(key)
        after = delta if before is None else merge(before, delta)
        overflowed_before = before is not None and before.authors_overflow
        out.append(
            BucketWrite(
                key,
                delta,
                after,
                after.authors_overflow and not overflowed_before,
                overflowed_before,
                (items or {}).get(key, ()),
            )
        )
    return tuple(out)


def deltas(new: Sequence[Mention], dupes: frozenset[str], tuning: Tuning, *, daily: bool) -> dict[str, HourBucket]:
    return bucket_deltas(
        new,
        duplicate_ids=dupes,
        rules=tuning.rules,
        daily=daily,
    )


def plan(
    symbol: str,
    new: Sequence[Mention],
    *,
    hours: Mapping[str, HourBucket],
    days: Mapping[str, HourBucket],
    recent: Sequence[Signature],
    previous_as_of: float | None,
    series: Mapping[str, int] | None = None,
    tuning: Tuning = Tuning(),
    evidence: Sequence[Evidence] = (),
) -> Plan:
    """Decide the effect of ``new`` (already filtered by :func:`fresh`) given the stored
    ``hours`` and ``days`` (at least the window and touched buckets), ``recent`` signatures
    and the summary's ``series`` (which this batch's hour deltas advance), and the ``evidence``
    candidates kept so far."""
    dupes = frozenset(duplicates.find_duplicates(recent, new, **duplicates.rules_of(tuning.rules)))
    hour_deltas = deltas(new, dupes, tuning, daily=False)
    by_hour: dict[str, tuple[str, ...]] = {}
    for m in new:
        key = hour_key(m.created_utc)
        by_hour[key] = (*by_hour.get(key, ()), m.item_id)
    hour_writes = _writes(hour_deltas, hours, by_hour)
    day_writes = _writes(deltas(new, dupes, tuning, daily=True), days)
    newest = max((m.created_utc for m in new), default=None)
    as_of = newest if previous_as_of is None else max(previous_as_of, newest or previous_as_of)
    signatures: tuple[Signature, ...] = tuple(recent)
    summary = None
    advanced = dict(series or {})
    recent_hours: dict[str, HourBucket] = {}
    recent_days: dict[str, HourBucket] = {}
    kept = tuple(evidence)
    if as_of is not None:
        advanced = advance_series(advanced, hour_deltas, as_of, SERIES_HOURS)
        merged_hours = {**hours, **{w.key: w.after for w in hour_writes}}
        merged_days = {**days, **{w.key: w.after for w in day_writes}}
        summary = summarize(symbol, merged_hours, as_of, days=merged_days)
        remembered = [Signature.of(m) for m in new if m.author and duplicates.comparable(m)]
        signatures = tuple(duplicates.keep_recent([*recent, *remembered], as_of))
        recent_hours = within(merged_hours, window_hour_keys(as_of))
        recent_days = within(merged_days, window_day_keys(as_of))
        kept = keep_candidates([*evidence, *citable(new, tuning.rules)], as_of)
    return Plan(
        tuple(new),
        dupes,
        hour_writes,
        day_writes,
        signatures,
        summary,
        as_of,
        advanced,
        recent_hours,
        recent_days,
        kept,
    )


# The hours, ending at the hour of ``as_of``, whose counted item ids the state keeps: new items
# almost always fall in them, so a batch learns what was counted there without reading them.
RECENT_ID_HOURS = 2


def recent_ids(
    known: Mapping[str, Iterable[str]], new: Sequence[Mention], previous_as_of: float | None, as_of: float
) -> dict[str, list[str]]:
    """Every id counted in each of the ``RECENT_ID_HOURS`` hours ending at ``as_of``'s, for
    the hours whose whole list is known: one after ``previous_as_of``'s held nothing before
    this batch; an earlier one only if ``known`` (read with the state, or from its bucket)
    holds it."""
    before = None if previous_as_of is None else hour_key(previous_as_of)
    out: dict[str, list[str]] = {}
    for key in hours_back(hour_key(as_of), RECENT_ID_HOURS):
        added = {m.item_id for m in new if hour_key(m.created_utc) == key}
        if before is None or key > before:
            out[key] = sorted(added)
        elif key in known:
            out[key] = sorted(set(known[key]) | added)
    return out


def within(buckets: Mapping[str, HourBucket], window: Sequence[str]) -> dict[str, HourBucket]:
    """The buckets whose keys fall in ``window`` (consecutive keys, oldest first)."""
    first, last = window[0], window[-1]
    return {k: b for k, b in buckets.items() if first <= k <= last}


# The summary's windows an update carries (:func:`counted`): six hours and a day.
COUNTED_WINDOWS = ("6h", "24h")


def counted(
    summary: TickerSummary, series: Mapping[str, int], rules: DetectionConfig, evidence: Iterable[Evidence] = ()
) -> Counted:
    """What the ticker's update carries: the whole series the summary keeps (the longest
    history any config may ask for), the 6h and 24h windows, and the ``evidence_max`` best
    candidates, as of the summary's ``as_of``. The whole series, not the history of the
    config this batch was counted with: a detector deciding with a newer config asking for
    more days would read the missing ones as silence, a lower baseline and false alerts."""
    first = series_first_key(summary.as_of, SERIES_HOURS)
    return Counted(
        series={k: int(n) for k, n in series.items() if k >= first},
        six=summary.windows[COUNTED_WINDOWS[0]],
        day=summary.windows[COUNTED_WINDOWS[1]],
        evidence=select_evidence(keep_candidates(evidence, summary.as_of), rules.evidence_max),
    )
