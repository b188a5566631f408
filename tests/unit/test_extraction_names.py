"""Company names derived for (nearly) every symbol (``common/data/name_forms.csv``, built by
``scripts/build_names.py``): distinctive forms find their company, everyday words do not, and
a name means its symbol only on the days that symbol traded."""

import csv
from datetime import UTC, datetime
from pathlib import Path

from common.extraction import symbols

FORMS = Path(__file__).resolve().parents[2] / "common" / "data" / "name_forms.csv"
DEC_2020 = datetime(2020, 12, 1, tzinfo=UTC).timestamp()
SEP_2021 = datetime(2021, 9, 1, tzinfo=UTC).timestamp()


def _forms() -> list[dict[str, str]]:
    with FORMS.open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def test_a_company_named_by_a_derived_form_is_found() -> None:
    assert symbols("thinking about Stable Road acquisition company for the merger", at=DEC_2020) == ["SRAC"]


def test_a_name_that_is_no_english_word_is_found_in_any_case() -> None:
    assert symbols("loaded up on microvision before lidar day") == ["MVIS"]


def test_small_caps_no_package_names_are_named_by_the_2020_snapshot_and_the_gone_list() -> None:
    may_2021 = datetime(2021, 5, 20, tzinfo=UTC).timestamp()
    assert symbols("Super League Gaming is an esports company with a merger coming", at=may_2021) == [
        "SLGG"
    ]  # the snapshot
    assert symbols("Evofem makes a hormone free contraceptive gel", at=may_2021) == ["EVFM"]  # gone since


def test_the_second_tier_is_held_to_stricter_word_filters() -> None:
    forms = {row["form"].lower() for row in _forms()}
    # a broker (no industry in the snapshot to say so), a word as common as "fintech", and a
    # name the snapshot cut to two common words ("Renewable Energy Group")
    assert not forms & {
        "nomura",
        "fintech",
        "renewable energy",
        "credit suisse",
        "jp morgan chase",
        "moelis",
        "keycorp",
    }


def test_a_derived_name_means_nothing_after_its_symbol_stopped_trading() -> None:
    assert symbols("thinking about Stable Road acquisition company for the merger", at=SEP_2021) == []


def test_no_derived_form_is_a_common_word_a_place_or_a_broker() -> None:
    forms = {row["form"].lower() for row in _forms()}
    assert forms, "the forms file is empty: was scripts/build_names.py run?"
    assert not forms & {"target", "zoom", "aurora", "express", "texas", "american", "oppenheimer", "td ameritrade"}


def test_each_form_names_one_symbol() -> None:
    seen: dict[str, str] = {}
    for row in _forms():
        assert seen.setdefault(row["form"].lower(), row["symbol"]) == row["symbol"], row["form"]
