"""The evidence candidates the aggregator keeps per ticker and sends with each update, so
the detector cites what was counted without querying ``posts`` (pure, no services)."""

import pytest
from pydantic import ValidationError

from common import evidence
from common.aggregation import citable, counted, plan
from common.detection_config import DEFAULT_CONFIG, DetectionConfig
from common.messages import Counted, Mention

T0 = 1_767_888_000.0
HOUR = 3600.0


def mention(
    i: int,
    t: float,
    *,
    score: int = 1,
    dd: bool = False,
    kind: str = "comment",
    role: str = "primary",
    stuffed: bool = False,
) -> Mention:
    return Mention(
        item_id=f"t1_{i}",
        kind="post" if kind == "post" else "comment",
        subreddit="stocks",
        author=f"author{i}",
        created_utc=t,
        text_length=120,
        score=score,
        permalink=f"/r/stocks/comments/{i}/",
        title=f"title {i}",
        is_dd=dd,
        role="secondary" if role == "secondary" else "primary",
        cashtag_count=8 if stuffed else 1,
        listed_only=stuffed,
    )


def test_the_best_of_the_day_are_kept_and_nothing_older_or_secondary() -> None:
    items = [
        mention(1, T0 - 25 * HOUR, dd=True, kind="post", score=900),  # the best, but more than a day old
        mention(2, T0 - 2 * HOUR, dd=True, kind="post", score=5),
        mention(3, T0 - HOUR, kind="post", score=50),
        mention(4, T0, score=1000),
        mention(5, T0, dd=True, kind="post", score=9999, role="secondary"),  # about another company
        mention(6, T0, kind="post", score=9999, stuffed=True),  # only in the list of a text promoting another
        *(mention(100 + i, T0 - i * 60, score=i) for i in range(40)),
    ]
    kept = evidence.keep_candidates(citable(items, DEFAULT_CONFIG), T0)
    ids = [e.item_id for e in kept]
    assert evidence.KEPT < len(kept) <= 2 * evidence.KEPT  # the best and the newest
    assert ids[:3] == ["t1_2", "t1_3", "t1_4"]  # DD first, then posts, then comments by score
    assert "t1_1" not in ids and "t1_5" not in ids and "t1_6" not in ids


def test_candidates_survive_later_batches_until_they_leave_the_day() -> None:
    """A DD post counted in one batch is still cited by the update of a later batch that
    brought only comments; a day later it is gone."""
    first = plan(
        "ABC", [mention(1, T0, dd=True, kind="post", score=3)], hours={}, days={}, recent=[], previous_as_of=None
    )
    assert [e.item_id for e in first.evidence] == ["t1_1"]
    later = [mention(10 + i, T0 + HOUR + i, score=100 + i) for i in range(8)]
    second = plan("ABC", later, hours={}, days={}, recent=[], previous_as_of=first.as_of, evidence=first.evidence)
    assert second.summary is not None
    update = counted(second.summary, second.series, DEFAULT_CONFIG, second.evidence)
    assert len(update.evidence) == DEFAULT_CONFIG.evidence_max
    assert update.evidence[0].item_id == "t1_1"
    next_day = plan(
        "ABC",
        [mention(99, T0 + 26 * HOUR)],
        hours={},
        days={},
        recent=[],
        previous_as_of=second.as_of,
        evidence=second.evidence,
    )
    assert "t1_1" not in [e.item_id for e in next_day.evidence]


def test_the_candidates_travel_in_the_update_message() -> None:
    effect = plan("ABC", [mention(1, T0, kind="post", score=7)], hours={}, days={}, recent=[], previous_as_of=None)
    assert effect.summary is not None
    update = counted(effect.summary, effect.series, DEFAULT_CONFIG, effect.evidence)
    again = Counted.model_validate_json(update.model_dump_json())
    assert again.evidence == update.evidence and again.evidence[0].permalink == "/r/stocks/comments/1/"


def test_the_configured_number_of_citations_cannot_exceed_what_is_kept() -> None:
    DetectionConfig.model_validate({"evidence_max": evidence.KEPT})
    with pytest.raises(ValidationError):
        DetectionConfig.model_validate({"evidence_max": evidence.KEPT + 1})


def test_when_the_best_of_the_day_age_out_the_newest_are_still_there_to_cite() -> None:
    """Twenty DD posts, then a day of comments: once the posts leave the window, the update
    still cites comments of the day, not nothing."""
    posts = [mention(i, T0 + i, dd=True, kind="post", score=100) for i in range(evidence.KEPT)]
    effect = plan("ABC", posts, hours={}, days={}, recent=[], previous_as_of=None)
    for hour in range(1, 23):
        later = [mention(1000 + 2 * hour + j, T0 + hour * HOUR + j, score=1) for j in range(2)]
        effect = plan("ABC", later, hours={}, days={}, recent=[], previous_as_of=effect.as_of, evidence=effect.evidence)
    late = plan(
        "ABC",
        [mention(5000, T0 + 24.5 * HOUR)],
        hours={},
        days={},
        recent=[],
        previous_as_of=effect.as_of,
        evidence=effect.evidence,
    )
    assert late.summary is not None
    update = counted(late.summary, late.series, DEFAULT_CONFIG, late.evidence)
    assert len(update.evidence) == DEFAULT_CONFIG.evidence_max
    assert all(e.created_utc >= T0 + 0.5 * HOUR for e in update.evidence)
