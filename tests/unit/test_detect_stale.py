"""A copy of an older update reaching detect after a newer one with the same ``as_of`` is
stale, even when the newer one added only mentions the series leaves out."""

from dataclasses import replace
from types import SimpleNamespace
from typing import cast

import pytest

from common.detection.lifecycle import Alert
from common.detection_config import DetectionConfig
from common.entrypoint import Delivery
from common.messages import Counted, MalformedMessage, TickerUpdate
from common.windows import WindowStats
from functions.detect.main import dated_after_publishing
from functions.detect.store import Snapshot

AS_OF = 1_767_888_000.0
SERIES = {"2026010816": 30}


def counted(day_mentions: int) -> Counted:
    return Counted(
        series=SERIES, six=WindowStats(hours=6, mentions=day_mentions), day=WindowStats(hours=24, mentions=day_mentions)
    )


def decided(progress: int | None, hour: int | None = None) -> Snapshot:
    day = WindowStats(hours=24)
    return Snapshot(
        DetectionConfig(), 0, {}, AS_OF, SERIES, WindowStats(hours=6), day, None, None, 0,
        decided_as_of=AS_OF, decided_progress=progress, decided_hour=hour,
    )  # fmt: skip


def test_an_update_that_added_only_secondary_mentions_outranks_the_one_before() -> None:
    first, later = counted(30), counted(34)  # four more mentions, none of them discussion volume
    assert sum(first.series.values()) == sum(later.series.values())
    assert first.progress < later.progress
    assert decided(later.progress).stale(AS_OF, first.progress)
    assert not decided(first.progress).stale(AS_OF, later.progress)
    assert not decided(later.progress).stale(AS_OF, later.progress)  # the same update again: decided again alike


def test_an_update_older_than_the_alerts_last_change_is_stale() -> None:
    """A silence check resolves an alert as of when its ticker fell silent, after the newest
    update decided: that update again, or a late one before the resolution, changes nothing."""
    resolved = cast(Alert, SimpleNamespace(updated_at=AS_OF + 7 * 3600))  # all the check reads of it
    snap = replace(decided(5), alert=resolved)
    assert snap.checked_since(AS_OF)  # the last update again
    assert snap.checked_since(AS_OF + 3600)  # late items, before the resolution
    assert not snap.checked_since(AS_OF + 8 * 3600)  # talk after it: decided
    assert not decided(5).checked_since(AS_OF)  # no alert: nothing to be older than


def test_a_pointer_without_progress_judges_by_time_alone() -> None:
    assert not decided(None).stale(AS_OF, 1)
    assert decided(None).stale(AS_OF - 1, 10**6)


def test_the_same_counts_to_be_decided_by_an_older_config_than_decided_them_are_stale() -> None:
    """A copy counted before an admin's change and delivered after the change decided the same
    counts: decided again by the older thresholds it would undo that decision (an alert
    resolved, then reopened by the next update, each announced)."""
    same = counted(30).progress
    by_two = replace(decided(same), decided_version=2)
    assert replace(by_two, config_version=1).stale(AS_OF, same)
    assert not replace(by_two, config_version=2).stale(AS_OF, same)  # the same copy again: decided alike
    assert not replace(by_two, config_version=3).stale(AS_OF, same)  # a newer config may decide it again
    assert not replace(by_two, config_version=1).stale(AS_OF, same + 1)  # more counted: new data
    assert not replace(decided(same), config_version=1).stale(AS_OF, same)  # a pointer that kept no version
    assert not replace(by_two, config_version=1).stale(AS_OF, same, by_version=False)  # a silence check's counts


def test_an_update_or_a_silence_check_dated_after_its_message_was_published_is_malformed() -> None:
    published = Delivery("m", publish_time="2026-01-08T16:00:00Z")
    now = 1_767_888_000.0  # that publish time
    dated_after_publishing(TickerUpdate(ticker="ABC", as_of=now, silence_check=now - 600), published)
    for update in (
        TickerUpdate(ticker="ABC", as_of=now + 2 * 3600),
        TickerUpdate(ticker="ABC", as_of=now, silence_check=now + 7 * 86400),
    ):
        with pytest.raises(MalformedMessage):
            dated_after_publishing(update, published)
