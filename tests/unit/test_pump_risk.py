"""Pump risk: each component, its weights, and the 0..1 bound."""

import pytest
from pydantic import ValidationError

from common.detection.pump import low_diversity, pump_risk
from common.detection_config import DEFAULT_CONFIG, DetectionConfig, from_document
from common.windows import WindowStats


def stats(**shares: float) -> WindowStats:
    return WindowStats(hours=6, mentions=40, **{"author_diversity": 0.9, **shares})


def test_a_healthy_discussion_has_no_pump_risk() -> None:
    assert pump_risk(stats(), DEFAULT_CONFIG).risk == 0.0


def test_low_author_diversity_counts_fully_at_or_below_the_low_mark() -> None:
    assert low_diversity(0.2, low=0.3, healthy=0.6) == 1.0
    assert low_diversity(0.45, low=0.3, healthy=0.6) == pytest.approx(0.5)
    assert low_diversity(0.7, low=0.3, healthy=0.6) == 0.0


@pytest.mark.parametrize(
    ("component", "field", "full"),
    [
        ("new_accounts", "new_account_share", 0.4),
        ("copy_paste", "duplicate_share", 0.3),
        ("emoji_spam", "emoji_share", 0.3),
        ("cashtag_stuffing", "cashtag_stuffed_share", 0.2),
    ],
)
def test_each_share_ramps_its_component_up_to_full(component: str, field: str, full: float) -> None:
    half = pump_risk(stats(**{field: full / 2}), DEFAULT_CONFIG)
    beyond = pump_risk(stats(**{field: full * 1.5}), DEFAULT_CONFIG)  # past full, short of decisive
    assert half.components[component] == pytest.approx(0.5)
    assert beyond.components[component] == 1.0
    weight = DEFAULT_CONFIG.pump_weights[component] / sum(DEFAULT_CONFIG.pump_weights.values())
    assert beyond.risk == pytest.approx(weight)


def test_copy_paste_far_past_its_full_share_is_a_pump_on_its_own() -> None:
    decisive = DEFAULT_CONFIG.pump_copy_paste_decisive
    assert pump_risk(stats(duplicate_share=decisive), DEFAULT_CONFIG).risk == DEFAULT_CONFIG.pump_risk_max
    below = pump_risk(stats(duplicate_share=decisive - 0.01), DEFAULT_CONFIG).risk
    assert below < DEFAULT_CONFIG.pump_risk_max


@pytest.mark.parametrize("bar", [0.1 * 3, 1 / 3, 0.35])
def test_decisive_copy_paste_reaches_a_bar_of_more_than_six_decimals(bar: float) -> None:
    """A slider's 0.30000000000000004 rounded to six decimals fell just short of itself: held
    as suspicious, no alert, where the copies alone make a pump."""
    config = DEFAULT_CONFIG.model_copy(update={"pump_risk_max": bar})
    assert pump_risk(stats(duplicate_share=0.95), config).risk >= bar


def test_everything_suspicious_at_once_is_a_risk_of_one() -> None:
    worst = stats(author_diversity=0.1, new_account_share=1, duplicate_share=1, emoji_share=1, cashtag_stuffed_share=1)
    assert pump_risk(worst, DEFAULT_CONFIG).risk == 1.0


def test_the_weights_come_from_the_config() -> None:
    only_copies = DEFAULT_CONFIG.model_copy(update={"pump_weights": {"copy_paste": 1.0}})
    assert pump_risk(stats(duplicate_share=0.3), only_copies).risk == 1.0
    assert pump_risk(stats(new_account_share=1.0), only_copies).risk == 0.0


def test_the_config_rejects_an_unknown_pump_component() -> None:
    with pytest.raises(ValidationError):
        DetectionConfig(pump_weights={"moon_phase": 1.0})


def test_a_stored_config_sets_aside_its_bookkeeping_fields() -> None:
    config, version = from_document({"volume_ratio_min": 4.0, "version": 7, "updated_by": "admin"})
    assert config.volume_ratio_min == 4.0
    assert version == 7
    assert from_document(None) == (DEFAULT_CONFIG, 0)


def test_a_stored_field_no_threshold_of_this_release_has_is_set_aside_and_the_rest_kept() -> None:
    config, version = from_document({"volume_ratio_min": 4.0, "retired_threshold": 1, "version": 3})
    assert (config.volume_ratio_min, version) == (4.0, 3)
