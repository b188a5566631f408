"""A process reads each config version once: versions are fixed, version 0 is not."""

from common.detection_config import DEFAULT_CONFIG, Versions


def test_a_version_read_once_is_known_after() -> None:
    versions = Versions()
    assert versions.known("p", 7) is None
    config, version = versions.read("p", {"volume_ratio_min": 7.0, "version": 7})
    assert (config.volume_ratio_min, version) == (7.0, 7)
    assert versions.known("p", 7) == (config, 7)
    assert versions.known("other-project", 7) is None
    assert versions.known("p", None) is None  # a message that names no version reads


def test_version_0_names_no_fixed_thresholds_and_is_never_kept() -> None:
    versions = Versions()
    assert versions.read("p", None) == (DEFAULT_CONFIG, 0)
    assert versions.read("p", {"volume_ratio_min": 9.0})[1] == 0
    assert versions.known("p", 0) is None


def test_an_invalid_document_runs_the_defaults_rather_than_failing_every_event() -> None:
    config, version = Versions().read("p", {"volume_ratio_min": "high", "version": 3})
    assert (config, version) == (DEFAULT_CONFIG, 3)


def test_a_message_is_decided_with_the_version_it_names_as_kept() -> None:
    versions = Versions()
    kept = {"volume_ratio_min": 7.0, "version": 7}
    current = {"volume_ratio_min": 9.0, "version": 8}
    assert versions.read_named("p", 7, kept, current)[0].volume_ratio_min == 7.0
    assert versions.known("p", 7) is not None and versions.known("p", 8) is None


def test_a_version_never_kept_or_not_named_is_decided_with_the_one_in_force() -> None:
    current = {"volume_ratio_min": 9.0, "version": 8}
    assert Versions().read_named("p", 7, None, current) == Versions().read_named("p", None, None, current)
    assert Versions().read_named("p", 7, None, current)[1] == 8
    mislabelled = {"volume_ratio_min": 7.0, "version": 6}  # never written by the API: not trusted as 7
    assert Versions().read_named("p", 7, mislabelled, current)[1] == 8


def test_a_gap_that_leaves_the_baseline_no_history_is_refused() -> None:
    import pytest
    from pydantic import ValidationError

    from common.detection_config import DetectionConfig

    with pytest.raises(ValidationError, match="learn from no hours"):
        DetectionConfig(history_days=2, baseline_gap_hours=48)
    with pytest.raises(ValidationError, match="history_days"):  # the day's baseline leaves a day out
        DetectionConfig(history_days=1)
    assert DetectionConfig(history_days=2, baseline_gap_hours=24).baseline_gap_hours == 24
