"""What a ticker update carries from the aggregator to the detector (pure, no services)."""

from common.aggregation import FUTURE_SKEW_S, SERIES_HOURS, Tuning, counted, dated_by, fresh, plan, recent_ids
from common.detection_config import DEFAULT_CONFIG
from common.messages import Mention
from common.metrics import summarize
from common.timekeys import hour_key


def test_an_update_carries_the_windows_and_the_whole_kept_series_as_of_its_moment() -> None:
    """What the detector decides from travels in the update: the 6h and 24h windows of the
    summary, and the whole series the summary keeps ending at the summary's hour, nothing
    older: whatever ``history_days`` the batch was counted with, since a detector on a
    config asking for more days would read the days left out as silence."""
    now = 1_767_888_000.0
    series = {hour_key(now - h * 3600): h + 1 for h in range(0, 30 * 24)}
    summary = summarize("ABC", {}, now)
    rules = DEFAULT_CONFIG.model_copy(update={"history_days": 3})
    got = counted(summary, series, rules)
    assert got.six == summary.windows["6h"] and got.day == summary.windows["24h"]
    assert sorted(got.series) == sorted(hour_key(now - h * 3600) for h in range(SERIES_HOURS))
    assert got.series[hour_key(now)] == 1


def test_each_hour_bucket_write_names_the_items_it_counts_and_those_are_not_counted_again() -> None:
    """The hour buckets are the aggregator's idempotency record: a plan's hour writes carry
    the ids they add, and an item found in them is not fresh on a later delivery."""
    now = 1_767_888_000.0
    mentions = [
        Mention(
            item_id=f"t1_{i}",
            kind="comment",
            subreddit="stocks",
            author=f"a{i}",
            created_utc=now + i * 1800,
            text_length=50,
        )
        for i in range(3)
    ]
    effect = plan("ABC", mentions, hours={}, days={}, recent=[], previous_as_of=None)
    assert {w.key: w.items for w in effect.hours} == {
        hour_key(now): ("t1_0", "t1_1"),
        hour_key(now + 3600): ("t1_2",),
    }
    assert all(w.items == () for w in effect.days)
    seen = {i for w in effect.hours for i in w.items}
    assert fresh([*mentions, mentions[0].model_copy(update={"item_id": "t1_new"})], seen, effect.as_of, Tuning()) == [
        mentions[0].model_copy(update={"item_id": "t1_new"})
    ]


def test_the_state_keeps_the_latest_hours_ids_only_where_it_knows_all_of_them() -> None:
    """An hour after the previous newest item's held nothing before: its list is this batch's.
    An earlier hour is kept only when its whole list was known (from the state or its bucket);
    otherwise leaving it out makes the next batch read its bucket rather than miss an id."""
    now = 1_767_888_000.0  # an hour's start

    def m(i: int, t: float) -> Mention:
        return Mention(item_id=f"t1_{i}", kind="comment", subreddit="s", author="a", created_utc=t, text_length=5)

    first = recent_ids({}, [m(1, now + 10), m(2, now + 3700)], None, now + 3700)
    assert first == {hour_key(now): ["t1_1"], hour_key(now + 3600): ["t1_2"]}
    later = recent_ids(first, [m(3, now + 3800), m(4, now + 7300)], now + 3700, now + 7300)
    assert later == {hour_key(now + 3600): ["t1_2", "t1_3"], hour_key(now + 7200): ["t1_4"]}
    unknown = recent_ids({}, [m(5, now + 3800)], now + 3700, now + 3800)
    assert unknown == {}  # the previous newest item's hour, whose other ids are not known here


def test_a_mention_dated_after_its_message_was_published_is_refused() -> None:
    published = 1_764_000_000.0
    ok, skewed, future = (
        Mention(item_id=f"t1_{i}", kind="comment", subreddit="stocks", author="a", created_utc=t, text_length=50)
        for i, t in enumerate((published - 60, published + FUTURE_SKEW_S, published + FUTURE_SKEW_S + 1))
    )
    assert dated_by([ok, skewed, future], published) == ([ok, skewed], [future])
    assert dated_by([future], None) == ([future], [])  # no publish time: nothing to judge by
