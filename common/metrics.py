"""Hourly buckets per ticker and the rolling windows the detector reads: pure, no I/O.

A bucket is a commutative monoid: :func:`merge` adds counters, unions exact author sets and
takes register-wise maxima of the author sketch. That is what lets the aggregator apply a
batch with Firestore ``Increment`` / ``ArrayUnion`` / ``Maximum`` transforms in any order,
and lets the backtest rebuild the very same documents from the archived mentions.

Distinct authors are exact while a bucket has at most ``AUTHORS_EXACT_MAX`` of them; past
that bound the bucket drops its set (``authors_overflow``) and the window falls back to the
HyperLogLog registers every bucket keeps as a sparse map (``hll``: register index -> rank,
p = ``HLL_PRECISION``, 4096 registers). The estimate's relative standard error is
1.04 / sqrt(4096) ~ 1.6 % (so within ~3.3 % 95 % of the time); linear counting keeps it
tighter for small counts. Both representations merge exactly, in any order.
"""

import math
import warnings
from collections.abc import Iterable, Mapping, Set
from typing import Any

import numpy as np
from datasketch import HyperLogLog
from datasketch.hashfunc import sha1_hash32
from pydantic import BaseModel, ConfigDict

from common.detection_config import DEFAULT_CONFIG, DetectionConfig
from common.messages import Mention
from common.timekeys import day_key, day_start, days_back, hour_key, hour_start, hours_back
from common.windows import WINDOWS, WindowStats

AUTHORS_EXACT_MAX = 1000
HLL_PRECISION = 12
HLL_REGISTERS = 1 << HLL_PRECISION
BULLISH_MIN = 0.05  # VADER's customary compound thresholds
BEARISH_MAX = -0.05
WEEK_DAYS = 7  # "7d": the day of the last hour and the six before it, from daily buckets


def author_register(author: str) -> tuple[str, int]:
    """The HyperLogLog register an author sets and the rank it proposes (datasketch's
    32-bit SHA-1 hash, the same split :class:`datasketch.HyperLogLog` uses)."""
    hv = sha1_hash32(author.encode())
    bits = hv >> HLL_PRECISION
    return str(hv & (HLL_REGISTERS - 1)), (32 - HLL_PRECISION) - bits.bit_length() + 1


def hll_estimate(registers: Mapping[str, int]) -> float:
    reg = np.zeros(HLL_REGISTERS, dtype=np.int8)
    for index, rank in registers.items():
        reg[int(index)] = rank
    with warnings.catch_warnings():  # datasketch warns near its small-range threshold
        warnings.simplefilter("ignore")
        estimate = float(HyperLogLog(reg=reg).count())
    # past 2**32 its large-range correction takes the log of a negative: NaN, which would fail
    # every later window of the ticker (registers filled by forged names, not by people)
    return min(estimate, float(2**32)) if math.isfinite(estimate) else float(2**32)


class HourBucket(BaseModel):
    """The document ``tickers/{S}/hours/{hour}`` (and, keyed by day, ``tickers/{S}/days/{day}``)."""

    model_config = ConfigDict(frozen=True)

    hour: str
    start_utc: int
    mentions: int = 0
    posts: int = 0
    comments: int = 0
    text_length: int = 0
    score: int = 0
    num_comments: int = 0
    dd_posts: int = 0
    new_account_mentions: int = 0
    duplicate_mentions: int = 0
    emoji_heavy_mentions: int = 0
    cashtag_stuffed_mentions: int = 0
    # stuffed texts that name the ticker outside their list of cashtags too, not only as a
    # partner or peer: what the stuffing promotes, so discussion volume all the same (and pump
    # evidence, as stuffed)
    stuffed_subject_mentions: int = 0
    secondary_mentions: int = 0  # named only as another company's partner or peer (not stuffed)
    # stuffed texts that are not about the ticker (it is only in their list of cashtags, or
    # only another company's partner or peer there): their payload, and which of the pump
    # signals those carried. A campaign listing $BB beside the ticker it promotes says nothing
    # about BB's own talk, so the pump shares leave them out (see :func:`stats`)
    payload_mentions: int = 0
    payload_new_account_mentions: int = 0
    payload_duplicate_mentions: int = 0
    payload_emoji_heavy_mentions: int = 0
    bullish: int = 0
    bearish: int = 0
    subreddits: dict[str, int] = {}
    authors: frozenset[str] = frozenset()  # exact distinct authors; emptied on overflow
    authors_overflow: bool = False  # more than AUTHORS_EXACT_MAX: use ``hll``
    hll: dict[str, int] = {}  # sparse HyperLogLog registers of the authors (index -> rank)


COUNTERS: tuple[str, ...] = (
    "mentions",
    "posts",
    "comments",
    "text_length",
    "score",
    "num_comments",
    "dd_posts",
    "new_account_mentions",
    "duplicate_mentions",
    "emoji_heavy_mentions",
    "cashtag_stuffed_mentions",
    "stuffed_subject_mentions",
    "secondary_mentions",
    "payload_mentions",
    "payload_new_account_mentions",
    "payload_duplicate_mentions",
    "payload_emoji_heavy_mentions",
    "bullish",
    "bearish",
)


# A stored bucket's fields but the ``items`` record aggregate keeps beside them: what range
# queries ask for (a busy hour names thousands of items nobody else reads).
BUCKET_FIELDS = ["hour", "start_utc", *COUNTERS, "subreddits", "authors", "authors_overflow", "hll"]


def bucket_from_doc(doc: Mapping[str, Any]) -> HourBucket:
    """A stored hour or day document as a bucket (what the detector and the API read)."""
    return HourBucket(
        hour=str(doc["hour"]),
        start_utc=int(doc["start_utc"]),
        **{name: int(doc.get(name) or 0) for name in COUNTERS},
        subreddits={str(k): int(v) for k, v in (doc.get("subreddits") or {}).items()},
        authors=frozenset(str(a) for a in doc.get("authors") or ()),
        authors_overflow=bool(doc.get("authors_overflow", False)),
        hll={str(k): int(v) for k, v in (doc.get("hll") or {}).items()},
    )


def _bounded(authors: frozenset[str], overflow: bool) -> tuple[frozenset[str], bool]:
    if overflow or len(authors) > AUTHORS_EXACT_MAX:
        return frozenset(), True
    return authors, False


def merge(a: HourBucket, b: HourBucket) -> HourBucket:
    """Sum of two buckets of the same key (the result keeps ``a``'s key)."""
    counters = {name: getattr(a, name) + getattr(b, name) for name in COUNTERS}
    subreddits = dict(a.subreddits)
    for name, count in b.subreddits.items():
        subreddits[name] = subreddits.get(name, 0) + count
    hll = dict(a.hll)
    for index, rank in b.hll.items():
        hll[index] = max(hll.get(index, 0), rank)
    authors, overflow = _bounded(a.authors | b.authors, a.authors_overflow or b.authors_overflow)
    return HourBucket(
        hour=a.hour,
        start_utc=a.start_utc,
        **counters,
        subreddits=subreddits,
        authors=authors,
        authors_overflow=overflow,
        hll=hll,
    )


def is_emoji_heavy(emoji_count: int, rocket_count: int, text_length: int, rules: DetectionConfig) -> bool:
    """Emoji and rockets standing in for words, by the configured counting rules."""
    return (
        emoji_count >= rules.emoji_heavy_absolute
        or rocket_count >= rules.rocket_spam_min
        or (emoji_count >= rules.emoji_heavy_min and emoji_count * rules.emoji_heavy_chars_per_emoji >= text_length)
    )


def is_discussion(mention: Mention, rules: DetectionConfig) -> bool:
    """Whether one mention counts toward its ticker's :func:`volume`: neither only a name in
    the list of a stuffed text (its payload) nor only another company's partner or peer."""
    payload = mention.cashtag_count >= rules.cashtag_stuffing_min and mention.listed_only
    return not payload and mention.role != "secondary"


def mention_bucket(
    mention: Mention, key: str, start_utc: int, *, duplicate: bool, rules: DetectionConfig
) -> HourBucket:
    """The bucket one mention alone would make, by the counting rules of ``rules``."""
    new_account = (
        mention.author_created_utc is not None
        and mention.created_utc - mention.author_created_utc < rules.new_account_days * 86400
    )
    sentiment = mention.sentiment
    stuffed = mention.cashtag_count >= rules.cashtag_stuffing_min
    discussion = is_discussion(mention, rules)
    subject = stuffed and discussion  # what the stuffed text promotes
    payload = stuffed and not discussion  # what it only lists, or names as a partner
    emoji_heavy = is_emoji_heavy(mention.emoji_count, mention.rocket_count, mention.text_length, rules)
    registers: dict[str, int] = {}
    if mention.author:
        index, rank = author_register(mention.author)
        registers[index] = rank
    return HourBucket(
        hour=key,
        start_utc=start_utc,
        mentions=1,
        posts=int(mention.kind == "post"),
        comments=int(mention.kind == "comment"),
        text_length=mention.text_length,
        score=mention.score,
        num_comments=mention.num_comments,
        dd_posts=int(mention.kind == "post" and mention.is_dd),
        new_account_mentions=int(new_account),
        duplicate_mentions=int(duplicate),
        emoji_heavy_mentions=int(emoji_heavy),
        cashtag_stuffed_mentions=int(stuffed),
        stuffed_subject_mentions=int(subject),
        secondary_mentions=int(not stuffed and not discussion),
        payload_mentions=int(payload),
        payload_new_account_mentions=int(payload and new_account),
        payload_duplicate_mentions=int(payload and duplicate),
        payload_emoji_heavy_mentions=int(payload and emoji_heavy),
        bullish=int(sentiment is not None and sentiment >= BULLISH_MIN),
        bearish=int(sentiment is not None and sentiment <= BEARISH_MAX),
        subreddits={mention.subreddit: 1},
        authors=frozenset({mention.author}) if mention.author else frozenset(),
        hll=registers,
    )


def bucket_deltas(
    mentions: Iterable[Mention],
    *,
    duplicate_ids: Set[str] = frozenset(),
    rules: DetectionConfig = DEFAULT_CONFIG,
    daily: bool = False,
) -> dict[str, HourBucket]:
    """What ``mentions`` add, per hour key (per day key when ``daily``)."""
    grouped: dict[str, list[HourBucket]] = {}
    for mention in mentions:
        if daily:
            key = day_key(mention.created_utc)
            start = day_start(key)
        else:
            key = hour_key(mention.created_utc)
            start = hour_start(key)
        one = mention_bucket(
            mention,
            key,
            start,
            duplicate=mention.item_id in duplicate_ids,
            rules=rules,
        )
        grouped.setdefault(key, []).append(one)
    return {key: merged for key, group in grouped.items() if (merged := merge_many(group)) is not None}


def volume(bucket: HourBucket) -> int:
    """Mentions that are discussion: a ticker only listed among five other cashtags is spam's
    payload, not talk about it (nor evidence of its pump: :func:`stats`), while the ticker the
    stuffed text is about is talked about (a day of thin promotion is a pump by its volume
    too), and a company named only as another's partner or peer is not what its post is about
    (so a surge of such mentions alone opens nothing). What the detector's baseline and spike
    scores count, and what the summary's ``series`` holds."""
    # derived, not payload_mentions: hours stored before that counter existed read the same
    stuffed_not_subject = bucket.cashtag_stuffed_mentions - bucket.stuffed_subject_mentions
    return max(0, bucket.mentions - stuffed_not_subject - bucket.secondary_mentions)


# What :func:`volume` reads of a stored bucket: all a recount of the series needs.
VOLUME_FIELDS = [
    "hour",
    "start_utc",
    "mentions",
    "cashtag_stuffed_mentions",
    "stuffed_subject_mentions",
    "secondary_mentions",
]


def series_first_key(as_of: float, hours: int) -> str:
    """The oldest hour a series of ``hours`` hours ending at the hour of ``as_of`` keeps."""
    return hour_key((int(as_of // 3600) - (hours - 1)) * 3600)


def series_of(buckets: Mapping[str, HourBucket], as_of: float, hours: int) -> dict[str, int]:
    """Hour key -> :func:`volume` of the buckets within ``hours`` hours ending at the hour of
    ``as_of`` (hours without discussion left out): the recount :func:`advance_series` keeps."""
    first, last = series_first_key(as_of, hours), hour_key(as_of)
    return {k: v for k in sorted(buckets) if first <= k <= last and (v := volume(buckets[k])) > 0}


def advance_series(
    series: Mapping[str, int], deltas: Mapping[str, HourBucket], as_of: float, hours: int
) -> dict[str, int]:
    """``series`` plus what ``deltas`` (hour key -> bucket delta) add, trimmed to the window
    ending at ``as_of``. Volume is additive per hour, so applying each counted mention once,
    in any order, gives :func:`series_of` of the merged buckets."""
    out = dict(series)
    for key, delta in deltas.items():
        out[key] = out.get(key, 0) + volume(delta)
    first, last = series_first_key(as_of, hours), hour_key(as_of)
    return {k: v for k in sorted(out) if first <= k <= last and (v := out[k]) > 0}


def roll_up_days(hours: Mapping[str, HourBucket]) -> dict[str, HourBucket]:
    """Daily buckets from hourly ones (what the aggregator also keeps in ``days/``)."""
    grouped: dict[str, list[HourBucket]] = {}
    for bucket in hours.values():
        key = day_key(bucket.start_utc)
        grouped.setdefault(key, []).append(bucket.model_copy(update={"hour": key, "start_utc": day_start(key)}))
    return {key: merged for key, group in grouped.items() if (merged := merge_many(group)) is not None}


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def stats(total: HourBucket | None, hours: int) -> WindowStats:
    """The window's sums and shares. The pump shares (new accounts, copy-paste, emoji,
    stuffing) are of the mentions a text makes about the ticker: a stuffed text that only
    lists it among its cashtags, or names it as a partner, promotes another one, and its new
    accounts and pasted copies must not make this ticker look pumped (an hour stored without
    payload counters reads as before). Author diversity still counts every mention: the
    authors' sketch cannot take payload authors back out."""
    if total is None or total.mentions == 0:
        return WindowStats(hours=hours)
    exact = not total.authors_overflow
    distinct = len(total.authors) if exact else round(hll_estimate(total.hll))
    n = total.mentions
    own = n - total.payload_mentions
    return WindowStats(
        hours=hours,
        mentions=n,
        posts=total.posts,
        comments=total.comments,
        distinct_authors=distinct,
        distinct_authors_exact=exact,
        distinct_subreddits=len(total.subreddits),
        author_diversity=_share(distinct, n),
        avg_text_length=round(total.text_length / n, 3),
        engagement_rate=round((total.score + total.num_comments) / n, 6),
        dd_posts=total.dd_posts,
        new_account_share=_share(total.new_account_mentions - total.payload_new_account_mentions, own),
        duplicate_share=_share(total.duplicate_mentions - total.payload_duplicate_mentions, own),
        emoji_share=_share(total.emoji_heavy_mentions - total.payload_emoji_heavy_mentions, own),
        bullish_share=_share(total.bullish, n),
        bearish_share=_share(total.bearish, n),
        cashtag_stuffed_share=_share(total.cashtag_stuffed_mentions - total.payload_mentions, own),
        subreddits=dict(sorted(total.subreddits.items())),
    )


def window(buckets: Mapping[str, HourBucket], end_hour: str, hours: int) -> WindowStats:
    """The ``hours`` hourly buckets ending at ``end_hour`` inclusive."""
    return stats(_merge_window(buckets, hours_back(end_hour, hours)), hours)


def merge_many(chosen: list[HourBucket], *, bounded: bool = True) -> HourBucket | None:
    """Merge in one pass (what :func:`merge` does pairwise). Unbounded, for windows: a
    window's exact author set stays exact as long as no bucket in it overflowed."""
    if not chosen:
        return None
    counters = {name: sum(getattr(b, name) for b in chosen) for name in COUNTERS}
    subreddits: dict[str, int] = {}
    hll: dict[str, int] = {}
    authors: set[str] = set()
    overflow = False
    for b in chosen:
        for name, count in b.subreddits.items():
            subreddits[name] = subreddits.get(name, 0) + count
        for index, rank in b.hll.items():
            if rank > hll.get(index, 0):
                hll[index] = rank
        overflow = overflow or b.authors_overflow
        if not overflow:
            authors |= b.authors
    final, overflow = _bounded(frozenset(authors), overflow) if bounded else (frozenset(authors), overflow)
    return HourBucket.model_construct(
        hour=chosen[0].hour,
        start_utc=chosen[0].start_utc,
        **counters,
        subreddits=subreddits,
        authors=frozenset() if overflow else final,
        authors_overflow=overflow,
        hll=hll,
    )


def _merge_window(buckets: Mapping[str, HourBucket], keys: Iterable[str]) -> HourBucket | None:
    return merge_many([buckets[k] for k in keys if k in buckets], bounded=False)


def week(days: Mapping[str, HourBucket], end_hour: str) -> WindowStats:
    """ "7d": the UTC day of ``end_hour`` (up to and including it) and the six days before.
    Day-aligned so it costs 7 daily documents instead of 168 hourly ones; ``hours`` says
    how long it really is (145..168)."""
    end_day = end_hour[:8]
    return stats(_merge_window(days, days_back(end_day, WEEK_DAYS)), week_hours(int(end_hour[8:])))


def week_hours(hour_of_day: int) -> int:
    """How many hours the "7d" window ending in that UTC hour of the day covers (145..168)."""
    return (WEEK_DAYS - 1) * 24 + hour_of_day + 1


class TickerSummary(BaseModel):
    """The document ``tickers/{S}`` minus the detector's ``detection`` field."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    as_of: float  # newest created_utc counted
    last_hour: str
    windows: dict[str, WindowStats]
    velocity: float  # mentions in the last hour minus the hour before (per hour)
    acceleration: float  # change of velocity: m[h] - 2 m[h-1] + m[h-2] (per hour²)


def summarize(
    symbol: str,
    buckets: Mapping[str, HourBucket],
    as_of: float,
    days: Mapping[str, HourBucket] | None = None,
) -> TickerSummary:
    """Windows ending at the hour of ``as_of``. ``days`` are the daily buckets; when not
    given they are rolled up from ``buckets`` (which then must hold the whole week), so
    the backtest and the aggregator compute the same "7d"."""
    last = hour_key(as_of)
    windows = {name: window(buckets, last, hours) for name, hours in WINDOWS.items()}
    windows["7d"] = week(roll_up_days(buckets) if days is None else days, last)
    m0, m1, m2 = (buckets[k].mentions if k in buckets else 0 for k in reversed(hours_back(last, 3)))
    return TickerSummary(
        symbol=symbol,
        as_of=as_of,
        last_hour=last,
        windows=windows,
        velocity=float(m0 - m1),
        acceleration=float(m0 - 2 * m1 + m2),
    )
