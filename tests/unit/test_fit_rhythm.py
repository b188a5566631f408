"""scripts/fit_rhythm.py: the site's rhythm from real items, robust to a week of frenzy."""

import gzip
import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from common.detection.rhythm import HOUR, MARKET_TZ, market_slot
from tests.support import scripts

fit_rhythm = scripts.load("fit_rhythm")

HOD = [1 + (h >= 9) + (9 <= h < 16) for h in range(24)]  # night 1, evening 2, trading day 3
DOW = [4, 4, 4, 4, 4, 1, 1]
MONDAY = int(datetime(2021, 3, 1, tzinfo=MARKET_TZ).timestamp()) // HOUR  # weeks across a DST change


def _items(weeks: int, *, frenzy_week: int | None = None, days: int | None = None) -> Counter[int]:
    counts: Counter[int] = Counter()
    for h in range(MONDAY, MONDAY + (weeks * 7 if days is None else days) * 24):
        hour, weekday = market_slot(h)
        boost = 10 if frenzy_week is not None and (h - MONDAY) // 168 == frenzy_week and weekday == 2 else 1
        counts[h] = HOD[hour] * DOW[weekday] * 5 * boost
    return counts


def _shape(values: list[int]) -> list[float]:
    return [v * len(values) / sum(values) for v in values]


def test_the_fit_recovers_the_rhythm_in_new_york_hours_and_ignores_a_week_of_frenzy() -> None:
    rhythm = fit_rhythm.fit(_items(5, frenzy_week=2))
    assert rhythm["weeks"] == 5
    # the hour shape: each day's shares, averaged over weekday and weekend days alike
    assert rhythm["hour_of_day"] == pytest.approx(_shape(HOD), abs=0.01)
    assert rhythm["day_of_week"] == pytest.approx(_shape(DOW), abs=0.01)  # the frenzied Wednesday is one week of five


def test_a_day_the_items_begin_or_end_inside_is_not_a_whole_day() -> None:
    counts = _items(3)
    del counts[MONDAY]  # the first day starts an hour late, the last ends two hours early
    del counts[MONDAY + 21 * 24 - 1], counts[MONDAY + 21 * 24 - 2]
    rhythm = fit_rhythm.fit(counts)
    assert (rhythm["days"], rhythm["weeks"]) == (19, 1)
    assert rhythm["day_of_week"] == pytest.approx(_shape(DOW), abs=0.01)


def test_the_hour_shape_can_skip_days_the_corpus_under_covers() -> None:
    counts = _items(4)
    for h in range(MONDAY, MONDAY + 14 * 24):  # the first two weeks lose their evening hour
        if market_slot(h)[0] == 20:
            counts[h] = 0
    lossy = fit_rhythm.fit(counts)
    clean = fit_rhythm.fit(counts, hours_since=date(2021, 3, 15))
    assert lossy["hour_of_day"][20] < 0.75 * _shape(HOD)[20]
    assert clean["hour_of_day"] == pytest.approx(_shape(HOD), abs=0.01) and clean["hour_days"] == 14


def test_the_command_writes_the_rhythm_and_refuses_a_corpus_without_a_whole_week(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="complete week"):
        fit_rhythm.fit(_items(0, days=6))
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "manifest.json").write_text(json.dumps({"source": "made up for a test"}))
    with gzip.open(corpus / "items.jsonl.gz", "wt") as out:
        for h, n in _items(2).items():
            for k in range(n):
                out.write(json.dumps({"id": f"t3_{h}_{k}", "created_utc": h * HOUR + 60}) + "\n")
    out_file = tmp_path / "rhythm.json"
    assert fit_rhythm.main([str(corpus), "--out", str(out_file)]) == 0
    written = json.loads(out_file.read_text())
    assert written["timezone"] == "America/New_York" and "made up" in written["source"]
    assert written["day_of_week"] == pytest.approx(_shape(DOW), abs=0.01)
