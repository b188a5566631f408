"""The length-bar study's bar, and its replay: the fixed variant is the production backtest."""

import statistics
from itertools import islice
from pathlib import Path

import pytest

from common.detection import backtest
from common.detection_config import DEFAULT_CONFIG
from common.messages import RedditItem
from eval.real.length_bar import MIN_SAMPLE, RelativeBar, bar

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "replay" / "default"


def test_the_bar_is_the_fixed_one_until_the_community_has_a_sample() -> None:
    few = [50] * (MIN_SAMPLE - 1)
    assert bar(few, "median", 1.0, 100.0) == 100.0
    assert bar([50] * MIN_SAMPLE, "fixed", 1.0, 100.0) == 100.0


def test_each_statistic_reads_the_lengths_as_its_name_says() -> None:
    lengths = [20] * 150 + [1000] * 60  # short talk and a tail of long posts
    assert bar(lengths, "median", 1.5, 100.0) == 30.0
    assert bar(lengths, "mean", 0.1, 100.0) == pytest.approx(0.1 * statistics.fmean(lengths))
    assert 20 < bar(lengths, "geometric", 1.0, 100.0) < statistics.fmean(lengths)  # the tail weighs less
    with pytest.raises(ValueError, match="unknown statistic"):
        bar(lengths, "mode", 1.0, 100.0)


def _hours(n: int) -> list[list[RedditItem]]:
    return list(islice(backtest.hours(backtest.load(BUNDLED).items()), n))


def test_the_fixed_variant_replays_exactly_as_the_production_backtest() -> None:
    batches = _hours(96)
    production, study = backtest.Replay(), RelativeBar()
    for batch in batches:
        production.hour(batch)
        study.hour(batch)
    assert [r.to_json() for r in study.records] == [r.to_json() for r in production.records]
    assert set(study.bars) == {DEFAULT_CONFIG.avg_length_min}


def test_a_relative_bar_follows_the_lengths_of_the_hours_before() -> None:
    study = RelativeBar(statistic="median", factor=2.0)
    for batch in _hours(48):
        study.hour(batch)
    recent = [n for _, hour in study.history for n in hour]
    assert len(recent) >= MIN_SAMPLE
    assert study.bars[0] == DEFAULT_CONFIG.avg_length_min  # nothing behind the first hour
    study.hour(_hours(49)[-1])
    assert study.bars[-1] == 2.0 * statistics.median(recent)
    assert study.config.avg_length_min == study.bars[-1]
    assert study.base == DEFAULT_CONFIG  # the production configuration is never changed
