"""A copy of an older update reaching detect after a newer one with the same ``as_of`` is
stale, even when the newer one added only mentions the series leaves out."""

from common.detection_config import DetectionConfig
from common.messages import Counted
from common.windows import WindowStats
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


def test_the_last_update_again_after_a_silence_check_decided_a_later_hour_is_stale() -> None:
    """The check keeps the decided moment and moves the pointer's hour: a redelivered copy of
    the last update would otherwise write its spike over the check's quiet."""
    hour = int(AS_OF // 3600)
    assert not decided(5, hour).checked_since(AS_OF)  # decided in its own hour: decided again alike
    assert decided(5, hour + 30).checked_since(AS_OF)
    assert not decided(5, hour + 30).checked_since(AS_OF + 31 * 3600)  # newer talk is no copy


def test_a_pointer_without_progress_judges_by_time_alone() -> None:
    assert not decided(None).stale(AS_OF, 1)
    assert decided(None).stale(AS_OF - 1, 10**6)
