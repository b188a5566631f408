"""The window buckets a plan keeps with the state are all the next plan needs: planning
from them gives the same summary as planning from every bucket stored."""

from hypothesis import given, settings
from hypothesis import strategies as st

from common.aggregation import BucketWrite, Tuning, fresh, plan, window_day_keys, window_hour_keys, within
from common.messages import Mention
from common.metrics import HourBucket, merge
from common.timekeys import day_key, hour_key

T0 = 1_764_000_000.0

mentions = st.builds(
    Mention,
    item_id=st.uuids().map(lambda u: f"t1_{u.hex[:10]}"),
    kind=st.sampled_from(["post", "comment"]),
    subreddit=st.sampled_from(["stocks", "wallstreetbets", "investing"]),
    author=st.sampled_from([f"user{i}" for i in range(12)]),
    created_utc=st.floats(min_value=T0, max_value=T0 + 9 * 86400).map(round),
    text_length=st.integers(min_value=0, max_value=500),
)


def _store(stored: dict[str, HourBucket], writes: tuple[BucketWrite, ...]) -> None:
    for w in writes:
        stored[w.key] = w.delta if w.key not in stored else merge(stored[w.key], w.delta)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(mentions, min_size=1, max_size=8), min_size=1, max_size=6))
def test_planning_from_the_kept_window_matches_planning_from_every_bucket(batches: list[list[Mention]]) -> None:
    all_hours: dict[str, HourBucket] = {}
    all_days: dict[str, HourBucket] = {}
    kept: tuple[dict[str, HourBucket], dict[str, HourBucket]] | None = None
    as_of: float | None = None
    seen: set[str] = set()
    for batch in batches:
        new = fresh(batch, seen, as_of, Tuning())
        if not new:
            continue
        target = max([m.created_utc for m in new] + ([as_of] if as_of else []))
        hour_window, day_window = window_hour_keys(target), window_day_keys(target)
        touched_hours = {hour_key(m.created_utc) for m in new}
        touched_days = {day_key(m.created_utc) for m in new}
        full = plan(
            "X",
            new,
            hours=all_hours,
            days=all_days,
            recent=(),
            previous_as_of=as_of,
        )
        if kept is not None:
            # as the store reads them: the window from the kept copy, older touched buckets stored
            older_hours = {k: all_hours[k] for k in touched_hours if k < hour_window[0] and k in all_hours}
            older_days = {k: all_days[k] for k in touched_days if k < day_window[0] and k in all_days}
            hours = {**within(kept[0], hour_window), **older_hours}
            days = {**within(kept[1], day_window), **older_days}
        else:
            hours, days = dict(all_hours), dict(all_days)
        from_kept = plan("X", new, hours=hours, days=days, recent=(), previous_as_of=as_of)
        assert from_kept.summary == full.summary
        _store(all_hours, full.hours)
        _store(all_days, full.days)
        assert from_kept.recent_hours == within(all_hours, window_hour_keys(full.as_of or target))
        kept = (from_kept.recent_hours, from_kept.recent_days)
        as_of = full.as_of
        seen |= {m.item_id for m in new}
