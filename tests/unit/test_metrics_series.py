"""The summary's hourly ``series``: advanced batch by batch from the counted deltas, it is
always the recount of the merged buckets over its window, whatever the arrival order."""

from hypothesis import given
from hypothesis import strategies as st

from common.aggregation import SERIES_HOURS, plan
from common.messages import Mention
from common.metrics import HourBucket, advance_series, bucket_deltas, merge, series_of, stats, volume
from tests.unit.test_metrics import HOUR, T0, mention_lists, merged


def mention(
    item_id: str, created: float = T0, *, cashtags: int = 0, listed_only: bool = True, kind: str = "comment"
) -> Mention:
    return Mention(
        item_id=item_id,
        kind=kind,
        subreddit="stocks",
        author=f"u_{item_id}",
        created_utc=created,
        text_length=10,
        cashtag_count=cashtags,
        listed_only=listed_only,
    )


@given(st.lists(mention_lists, min_size=1, max_size=5), st.integers(2, 30), st.randoms())
def test_a_series_advanced_batch_by_batch_equals_the_recount_of_the_buckets(
    batches: list[list[Mention]], hours: int, rng: object
) -> None:
    order = list(batches)
    rng.shuffle(order)  # type: ignore[attr-defined]
    series: dict[str, int] = {}
    as_of: float | None = None
    for batch in order:
        if not batch:
            continue
        as_of = max(as_of or 0.0, *(m.created_utc for m in batch))
        series = advance_series(series, bucket_deltas(batch), as_of, hours)
    if as_of is None:
        return
    assert series == series_of(merged([bucket_deltas(b) for b in batches]), as_of, hours)


def test_a_series_counts_discussion_not_cashtag_stuffed_mentions_and_drops_hours_out_of_the_window() -> None:
    old = [mention("t1_0", T0)]
    now = [mention("t1_1", T0 + 5 * HOUR), mention("t1_2", T0 + 5 * HOUR + 60, cashtags=7)]
    series = advance_series({}, bucket_deltas(old), T0, 3)
    assert series == {"2025112416": 1}
    series = advance_series(series, bucket_deltas(now), T0 + 5 * HOUR + 60, 3)
    assert series == {"2025112421": 1}, "the old hour left the 3-hour window; the stuffed mention is not volume"
    [bucket] = bucket_deltas(now).values()
    assert volume(bucket) == 1


def test_the_ticker_a_stuffed_text_promotes_is_volume_and_its_payload_is_not() -> None:
    def stuffed(item_id: str, *, listed_only: bool) -> Mention:
        return mention(item_id, cashtags=6, listed_only=listed_only, kind="post")

    [promoted] = bucket_deltas([stuffed("t3_1", listed_only=False), stuffed("t3_2", listed_only=False)]).values()
    [payload] = bucket_deltas([stuffed("t3_3", listed_only=True)]).values()
    assert (promoted.cashtag_stuffed_mentions, volume(promoted)) == (2, 2), "stuffed, and talked about"
    assert (payload.cashtag_stuffed_mentions, volume(payload)) == (1, 0)
    stored_before = HourBucket(hour=promoted.hour, start_utc=promoted.start_utc, mentions=2, cashtag_stuffed_mentions=2)
    assert volume(stored_before) == 0, "an hour stored before subjects were told apart reads as it did"


def test_a_campaign_listing_a_ticker_in_its_stuffed_posts_does_not_make_that_ticker_look_pumped() -> None:
    """BB talked about by three accounts (one of them new), and named in three pasted,
    rocket-stuffed posts of new accounts promoting another ticker (two list BB, one calls it
    a partner): BB's pump shares are those of its own talk."""
    talk = [
        mention(f"t1_{i}", T0 + i).model_copy(update={"author_created_utc": T0 - (86400 if i == 0 else 9e7)})
        for i in range(3)
    ]
    campaign = [
        mention(f"t3_{i}", T0 + 10 + i, cashtags=6, kind="post", listed_only=i < 2).model_copy(
            update={
                "author_created_utc": T0 - 86400,
                "emoji_count": 12,
                "rocket_count": 6,
                "role": "primary" if i < 2 else "secondary",
            }
        )
        for i in range(3)
    ]
    copies = {"t3_0", "t3_1", "t3_2"}
    [bucket] = bucket_deltas(talk + campaign, duplicate_ids=copies).values()
    assert (bucket.mentions, bucket.payload_mentions, bucket.new_account_mentions, volume(bucket)) == (6, 3, 4, 3)
    window = stats(bucket, 1)
    assert (window.new_account_share, window.duplicate_share, window.emoji_share) == (0.333333, 0.0, 0.0)
    assert (window.cashtag_stuffed_share, window.mentions) == (0.0, 6)

    subject = [c.model_copy(update={"listed_only": False, "role": "primary"}) for c in campaign]
    [promoted] = bucket_deltas(talk + subject, duplicate_ids=copies).values()
    shares = stats(promoted, 1)
    assert (shares.new_account_share, shares.duplicate_share, shares.emoji_share) == (0.666667, 0.5, 0.5)
    assert shares.cashtag_stuffed_share == 0.5, "the ticker the campaign promotes keeps every pump signal"

    stored_before = HourBucket(
        hour=bucket.hour, start_utc=bucket.start_utc, mentions=6, new_account_mentions=4, cashtag_stuffed_mentions=3
    )
    assert stats(stored_before, 1).new_account_share == 0.666667, (
        "an hour stored before payload counters reads as it did"
    )


def test_the_plan_advances_the_stored_series_by_the_batch_it_counts() -> None:
    first = [mention(f"t1_{i}", T0 + i) for i in range(3)]
    later = [mention("t1_late", T0 - 2 * HOUR)]
    effect = plan("GME", first, hours={}, days={}, recent=[], previous_as_of=None)
    assert effect.series == {"2025112416": 3}
    hours: dict[str, HourBucket] = {w.key: w.after for w in effect.hours}
    again = plan("GME", later, hours=hours, days={}, recent=[], previous_as_of=effect.as_of, series=effect.series)
    assert again.series == {"2025112414": 1, "2025112416": 3}, "an out-of-order item lands in its own hour"
    for w in again.hours:
        hours[w.key] = merge(hours[w.key], w.delta) if w.key in hours else w.after
    assert again.series == series_of(hours, T0 + 2, SERIES_HOURS)
