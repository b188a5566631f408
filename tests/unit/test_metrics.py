import math

from hypothesis import given, settings
from hypothesis import strategies as st

from common.detection_config import DEFAULT_CONFIG
from common.messages import Mention
from common.metrics import (
    AUTHORS_EXACT_MAX,
    HLL_PRECISION,
    HLL_REGISTERS,
    HourBucket,
    bucket_deltas,
    bucket_from_doc,
    hll_estimate,
    is_discussion,
    is_emoji_heavy,
    merge,
    summarize,
    volume,
    window,
)
from common.timekeys import hour_key, hour_start, hours_back

T0 = 1_764_000_000  # 2025-11-24 16:00 UTC
HOUR = 3600


@st.composite
def mentions(draw: st.DrawFn, hours: int = 30) -> Mention:
    created = T0 + draw(st.integers(0, hours * HOUR - 1))
    return Mention(
        item_id=f"t1_{draw(st.integers(0, 10**9))}",
        kind=draw(st.sampled_from(["post", "comment"])),
        subreddit=draw(st.sampled_from(["wallstreetbets", "stocks", "pennystocks"])),
        author=draw(st.one_of(st.none(), st.sampled_from([f"user{i}" for i in range(12)]))),
        author_created_utc=draw(st.one_of(st.none(), st.just(created - 86400.0), st.just(created - 90 * 86400.0))),
        created_utc=float(created),
        text_length=draw(st.integers(0, 5000)),
        score=draw(st.integers(-5, 500)),
        num_comments=draw(st.integers(0, 100)),
        is_dd=draw(st.booleans()),
        emoji_count=draw(st.integers(0, 12)),
        rocket_count=draw(st.integers(0, 4)),
        cashtag_count=draw(st.integers(0, 8)),
        listed_only=draw(st.booleans()),
        role=draw(st.sampled_from(["primary", "secondary"])),
        sentiment=draw(st.one_of(st.none(), st.floats(-1, 1))),
    )


mention_lists = st.lists(mentions(), max_size=40)


def merged(parts: list[dict[str, HourBucket]]) -> dict[str, HourBucket]:
    out: dict[str, HourBucket] = {}
    for part in parts:
        for key, bucket in part.items():
            out[key] = merge(out[key], bucket) if key in out else bucket
    return out


@given(st.lists(mention_lists, min_size=1, max_size=4), st.integers(0, 29), st.sampled_from([1, 6, 24, 168]))
def test_window_of_merged_batches_equals_window_of_all_mentions_at_once(
    batches: list[list[Mention]], end: int, hours: int
) -> None:
    end_hour = hour_key(T0 + end * HOUR)
    everything = [m for batch in batches for m in batch]
    assert window(merged([bucket_deltas(b) for b in batches]), end_hour, hours) == window(
        bucket_deltas(everything), end_hour, hours
    )


@given(mention_lists, st.randoms())
def test_buckets_do_not_depend_on_the_order_mentions_arrive_in(batch: list[Mention], rng: object) -> None:
    shuffled = list(batch)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert bucket_deltas(shuffled) == bucket_deltas(batch)


@given(mention_lists, mention_lists, mention_lists)
def test_merge_is_commutative_and_associative(a: list[Mention], b: list[Mention], c: list[Mention]) -> None:
    key = hour_key(T0)
    same_hour = [[m.model_copy(update={"created_utc": float(T0)}) for m in part] for part in (a, b, c)]
    x, y, z = (bucket_deltas(p).get(key, HourBucket(hour=key, start_utc=T0)) for p in same_hour)
    assert merge(x, y) == merge(y, x)
    assert merge(merge(x, y), z) == merge(x, merge(y, z))


@given(mention_lists, st.integers(0, 29), st.sampled_from([1, 6, 24]), st.sets(st.integers(0, 39)))
def test_window_counts_equal_a_plain_recount_of_the_mentions_in_range(
    batch: list[Mention], end: int, hours: int, copied: set[int]
) -> None:
    end_start = T0 + end * HOUR
    duplicates = {m.item_id for i, m in enumerate(batch) if i in copied}
    inside = [m for m in batch if end_start - (hours - 1) * HOUR <= m.created_utc < end_start + HOUR]
    stats = window(bucket_deltas(batch, duplicate_ids=duplicates), hour_key(end_start), hours)
    assert stats.mentions == len(inside)
    assert stats.posts == sum(m.kind == "post" for m in inside)
    assert stats.distinct_authors == len({m.author for m in inside if m.author})
    assert stats.distinct_subreddits == len({m.subreddit for m in inside})
    assert stats.dd_posts == sum(m.kind == "post" and m.is_dd for m in inside)

    # The pump shares are of the mentions about the ticker: a stuffed text's payload (the
    # ticker only in its list, or only a partner there) is left out of them.
    rules = DEFAULT_CONFIG

    def stuffed(m: Mention) -> bool:
        return m.cashtag_count >= rules.cashtag_stuffing_min

    own = [m for m in inside if not stuffed(m) or (not m.listed_only and m.role != "secondary")]

    def share(hits: int) -> float:
        return round(hits / len(own), 6) if own else 0.0

    new = sum(
        m.author_created_utc is not None and m.created_utc - m.author_created_utc < rules.new_account_days * 86400
        for m in own
    )
    heavy = sum(is_emoji_heavy(m.emoji_count, m.rocket_count, m.text_length, rules) for m in own)
    assert stats.new_account_share == share(new)
    assert stats.duplicate_share == share(sum(m.item_id in duplicates for m in own))
    assert stats.emoji_share == share(heavy)
    assert stats.cashtag_stuffed_share == share(sum(stuffed(m) for m in own))
    shares = (stats.new_account_share, stats.duplicate_share, stats.emoji_share, stats.cashtag_stuffed_share)
    assert all(0.0 <= x <= 1.0 for x in shares)


@given(mention_lists)
def test_volume_and_the_pump_shares_leave_out_the_same_stuffed_mentions_discussion_does(batch: list[Mention]) -> None:
    """One reading of a stuffed text, three places: what is not discussion (is_discussion) is
    left out of volume, and a stuffed text's part of it is the payload the pump shares skip."""
    rules = DEFAULT_CONFIG
    for key, bucket in bucket_deltas(batch).items():
        here = [m for m in batch if hour_key(m.created_utc) == key]
        stuffed = [m for m in here if m.cashtag_count >= rules.cashtag_stuffing_min]
        assert volume(bucket) == sum(is_discussion(m, rules) for m in here)
        assert bucket.payload_mentions == sum(not is_discussion(m, rules) for m in stuffed)


@given(mention_lists)
@settings(max_examples=50)
def test_the_week_from_daily_buckets_equals_the_week_rolled_up_from_hours(batch: list[Mention]) -> None:
    as_of = float(T0 + 29 * HOUR)
    assert summarize("GME", bucket_deltas(batch), as_of, days=bucket_deltas(batch, daily=True)) == summarize(
        "GME", bucket_deltas(batch), as_of
    )


@given(st.integers(0, 4_000_000_000))
def test_hour_keys_round_trip_to_the_start_of_their_hour(t: int) -> None:
    key = hour_key(t)
    assert hour_start(key) == t - t % HOUR
    assert hour_key(hour_start(key)) == key


def test_hours_back_crosses_days_and_months() -> None:
    assert hours_back("2025120101", 3) == ["2025113023", "2025120100", "2025120101"]


def _many(authors: int, at: int = T0) -> list[Mention]:
    return [
        Mention(item_id=f"t1_{i}", kind="comment", subreddit="stocks", author=f"a{i}", created_utc=at, text_length=1)
        for i in range(authors)
    ]


def test_past_the_exact_bound_a_bucket_counts_authors_with_its_sketch_within_the_stated_error() -> None:
    bucket = bucket_deltas(_many(AUTHORS_EXACT_MAX * 3))[hour_key(T0)]
    assert bucket.authors_overflow and bucket.authors == frozenset()
    stats = window({bucket.hour: bucket}, bucket.hour, 1)
    assert not stats.distinct_authors_exact
    assert abs(stats.distinct_authors - AUTHORS_EXACT_MAX * 3) <= 0.05 * AUTHORS_EXACT_MAX * 3


def test_a_window_stays_exact_when_no_bucket_overflowed_even_past_the_bound() -> None:
    buckets = {**bucket_deltas(_many(800)), **bucket_deltas(_many(800, at=T0 + HOUR))}
    stats = window(buckets, hour_key(T0 + HOUR), 2)
    assert stats.distinct_authors_exact and stats.distinct_authors == 800
    spread = bucket_deltas([m.model_copy(update={"author": f"b{i}"}) for i, m in enumerate(_many(800))])
    both = merged([buckets, {hour_key(T0): spread[hour_key(T0)]}])
    assert both[hour_key(T0)].authors_overflow  # 1600 in one hour: the sketch takes over


def test_velocity_and_acceleration_follow_the_last_three_hourly_counts() -> None:
    batch = _many(2, at=T0) + _many(3, at=T0 + HOUR) + _many(7, at=T0 + 2 * HOUR)
    batch = [m.model_copy(update={"item_id": f"t1_{i}"}) for i, m in enumerate(batch)]
    summary = summarize("GME", bucket_deltas(batch), float(T0 + 2 * HOUR + 10))
    assert (summary.velocity, summary.acceleration) == (4.0, 3.0)
    assert summary.windows["1h"].mentions == 7
    assert summary.windows["6h"].mentions == 12
    assert summary.windows["7d"].hours == 6 * 24 + 19
    assert summary.windows["7d"].mentions == summary.windows["24h"].mentions == 12


@given(mention_lists)
@settings(max_examples=30)
def test_a_bucket_survives_its_firestore_document_form(batch: list[Mention]) -> None:
    for bucket in bucket_deltas(batch).values():
        stored = bucket.model_dump() | {"authors": sorted(bucket.authors)}
        assert bucket_from_doc(stored) == bucket


def test_a_sketch_of_every_register_at_its_top_rank_estimates_a_number_not_nan() -> None:
    """Only forged names fill every register to its highest rank; the estimate past 2**32
    (datasketch's large-range correction) must not be NaN, which would fail every window."""
    top = {str(i): 32 - HLL_PRECISION + 1 for i in range(HLL_REGISTERS)}
    below = {str(i): 32 - HLL_PRECISION for i in range(HLL_REGISTERS)}
    assert math.isfinite(hll_estimate(top))
    assert hll_estimate(top) == hll_estimate(below) == 2**32  # more evidence never estimates fewer
