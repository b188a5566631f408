"""functions/aggregate's control flow around its commits (the commits themselves are tested
on the Firestore emulator, tests/integration/test_aggregate.py)."""

from collections.abc import Iterable, Sequence
from typing import Any, cast

import pytest

from common.adapters.pubsub import Outgoing
from common.entrypoint import Delivery
from common.messages import Mention, MentionBatch, TickerUpdate
from common.settings import Settings
from functions.aggregate import main as aggregate

T0 = 1_764_000_000.0


class Recording:
    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def publish_all(self, outgoing: Iterable[Outgoing], timeout: float = 60.0) -> list[str]:
        del timeout
        self.sent.extend(outgoing)
        return [str(i) for i, _ in enumerate(self.sent)]


def test_the_chunks_committed_before_one_failed_are_announced_and_the_failure_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A message dead-lettered after its second chunk kept failing must not leave its first,
    committed, unknown to the detector until the ticker's next batch."""
    committed: list[int] = []

    def apply_chunk(
        store: Any, chunk: Sequence[Mention], result: aggregate.Result, version: int | None, newest: float | None
    ) -> None:
        del store, version, newest
        if committed:
            raise RuntimeError("the commit was refused")
        committed.append(len(chunk))
        result.as_of = max(m.created_utc for m in chunk)
        result.hours.add("2025112416")

    monkeypatch.setattr(aggregate, "_apply_chunk", apply_chunk)
    monkeypatch.setattr(aggregate, "TickerStore", lambda db, ticker: None)
    mentions = tuple(
        Mention(
            item_id=f"t1_{i}", kind="comment", subreddit="stocks", author=f"a{i}", created_utc=T0 + i, text_length=50
        )
        for i in range(aggregate.CHUNK + 5)
    )
    publisher, db = Recording(), cast(Any, None)  # no Firestore: the commits are replaced above
    with pytest.raises(RuntimeError):
        aggregate.aggregate_batch(
            MentionBatch(ticker="ABC", run_id="r", mentions=mentions),
            Delivery("m1"),
            Settings(),
            db,
            cast(Any, publisher),
        )
    assert committed == [aggregate.CHUNK]
    [sent] = publisher.sent
    assert isinstance(sent.message, TickerUpdate) and sent.message.as_of == T0 + aggregate.CHUNK - 1
    assert sent.ordering_key == "ABC"


def test_a_failed_announcement_does_not_hide_the_commit_error_it_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    def apply_chunk(
        store: Any, chunk: Sequence[Mention], result: aggregate.Result, version: int | None, newest: float | None
    ) -> None:
        del store, version, newest
        if result.as_of is not None:
            raise RuntimeError("the commit was refused")
        result.as_of = max(m.created_utc for m in chunk)

    class Down(Recording):
        def publish_all(self, outgoing: Iterable[Outgoing], timeout: float = 60.0) -> list[str]:
            self.sent.extend(outgoing)  # what it was asked to announce
            raise ConnectionError("pubsub is down too")

    monkeypatch.setattr(aggregate, "_apply_chunk", apply_chunk)
    monkeypatch.setattr(aggregate, "TickerStore", lambda db, ticker: None)
    mentions = tuple(
        Mention(item_id=f"t1_{i}", kind="comment", subreddit="s", author=f"a{i}", created_utc=T0 + i, text_length=5)
        for i in range(aggregate.CHUNK + 5)
    )
    down = Down()
    with pytest.raises(RuntimeError, match="the commit was refused"):
        aggregate.aggregate_batch(
            MentionBatch(ticker="ABC", run_id="r", mentions=mentions),
            Delivery("m1"),
            Settings(),
            cast(Any, None),
            cast(Any, down),
        )
    assert len(down.sent) == 1  # the announcement was tried, and failed


def test_a_hot_hours_markers_outlive_a_replay_of_an_old_month() -> None:
    """TTL reads the wall clock: a marker of a 2021 hour written today must not be gone
    tomorrow, or that hour's redelivered items would be counted again."""
    from datetime import UTC, datetime, timedelta

    from functions.aggregate.store import SEEN_TTL_DAYS, seen_expires

    today = datetime(2026, 12, 6, 7, tzinfo=UTC)
    assert seen_expires("2021012812", today) == today + timedelta(days=SEEN_TTL_DAYS)
    live = datetime(2026, 12, 6, 7, 10, tzinfo=UTC)  # an hour's markers written as it happens
    assert seen_expires("2026120607", live) == live + timedelta(days=SEEN_TTL_DAYS)
    ahead = datetime(2026, 12, 6, 8, tzinfo=UTC)  # an hour ahead of this clock: counted from the hour
    assert seen_expires("2026120608", today) == ahead + timedelta(days=SEEN_TTL_DAYS)


def test_every_chunk_of_a_message_is_aged_against_the_messages_newest_item_when_it_was_dated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Which items of a message count must not depend on their order in it nor on how it is
    cut; without a publish time nothing dates a far-future item as bogus, so none is used."""
    seen: list[float | None] = []

    def apply_chunk(
        store: Any, chunk: Sequence[Mention], result: aggregate.Result, version: int | None, newest: float | None
    ) -> None:
        del store, chunk, result, version
        seen.append(newest)

    monkeypatch.setattr(aggregate, "_apply_chunk", apply_chunk)
    monkeypatch.setattr(aggregate, "TickerStore", lambda db, ticker: None)
    month = 40 * 86400.0
    mentions = tuple(
        Mention(item_id=f"t1_{i}", kind="comment", subreddit="stocks", author=f"a{i}", created_utc=at, text_length=50)
        for i, at in enumerate([T0 + month, *[T0 + i for i in range(aggregate.CHUNK + 5)]])
    )
    batch = MentionBatch(ticker="ABC", run_id="r", mentions=mentions)
    published = "2026-01-05T00:00:00Z"  # after every item
    aggregate.aggregate_batch(batch, Delivery("m1", published), Settings(), cast(Any, None), cast(Any, Recording()))
    assert seen == [T0 + month, T0 + month]  # both chunks, the first holding the newest
    seen.clear()
    aggregate.aggregate_batch(batch, Delivery("m2"), Settings(), cast(Any, None), cast(Any, Recording()))
    assert seen == [None, None]


def test_without_a_publish_time_a_message_is_cut_into_the_same_chunks_whatever_its_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each chunk is then aged against the ones committed before it: cut oldest first, the
    same items count whether the month-old ones came first in the message or last."""
    cut: list[list[str]] = []

    def apply_chunk(
        store: Any, chunk: Sequence[Mention], result: aggregate.Result, version: int | None, newest: float | None
    ) -> None:
        del store, result, version, newest
        cut.append([m.item_id for m in chunk])

    monkeypatch.setattr(aggregate, "_apply_chunk", apply_chunk)
    monkeypatch.setattr(aggregate, "TickerStore", lambda db, ticker: None)
    old, new = T0, T0 + 40 * 86400.0
    mentions = [
        Mention(item_id=f"t1_{i}", kind="comment", subreddit="stocks", author=f"a{i}", created_utc=at, text_length=50)
        for i, at in enumerate([*[old + i for i in range(aggregate.CHUNK)], *[new + i for i in range(5)]])
    ]
    for ordered in (mentions, mentions[::-1]):
        batch = MentionBatch(ticker="ABC", run_id="r", mentions=tuple(ordered))
        aggregate.aggregate_batch(batch, Delivery("m"), Settings(), cast(Any, None), cast(Any, Recording()))
    half = len(cut) // 2
    assert cut[:half] == cut[half:] and cut[0][0] == "t1_0"
