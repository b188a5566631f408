"""The learned second opinion measured by ``make eval-tickers``: what the extractor tells it
about each candidate, what it reads of one, its arithmetic, and that its weights come from
the development split of today's labels."""

import hashlib
import json
import math
from pathlib import Path

from common import extraction
from eval.tickers import disambiguation, real_set


def test_a_candidate_in_a_list_or_before_options_syntax_says_so() -> None:
    listed = disambiguation.features("GME, BB, NOK", "BB", 5, 7, rule="adjacent/jargon", others=["GME", "NOK"])
    assert "list_separator" in listed
    assert "tickers_in_text=2" in listed
    assert "option_after" not in listed
    option = disambiguation.features("loaded BB 12C 3/19", "BB", 7, 9, rule="adjacent/jargon", others=[])
    assert "option_after" in option
    assert "prev=loaded" in option
    assert "next=<option>" in option


def test_a_shouting_line_is_told_from_a_mixed_case_one() -> None:
    loud = disambiguation.features("BUYING MORE AMC ON MONDAY", "ON", 16, 18, rule="adjacent/word", others=["AMC"])
    quiet = disambiguation.features("buying more AMC on Monday, ON too", "ON", 27, 29, rule="adjacent/word", others=[])
    assert "shouting=True" in loud
    assert "shouting=False" in quiet


def test_the_model_is_a_logistic_over_the_features_it_knows() -> None:
    model = disambiguation.Model(weights={"a": 1.0, "b": -3.0}, bias=0.5, threshold=0.6)
    assert math.isclose(model.probability(["a", "unknown"]), 1 / (1 + math.exp(-1.5)))
    assert model.accepts(["a"])
    assert not model.accepts(["a", "b"])
    assert disambiguation.Model.load(Path("/nonexistent/model.json")) is None


JUNE_2021 = 1_622_505_600.0


def test_the_extractor_reports_each_bare_candidate_as_the_rules_judged_it() -> None:
    refused = extraction.candidates("I like to PLAY games", at=JUNE_2021)
    assert [(c.symbol, c.refused, c.rule) for c in refused] == [("PLAY", True, "adjacent/word")]
    listed = {c.symbol: c for c in extraction.candidates("RIDE and WKHS then SOLO", at=JUNE_2021)}
    assert not listed["RIDE"].refused
    assert listed["SOLO"].refused
    assert set(listed["SOLO"].others) == {"RIDE", "WKHS"}


def test_a_candidate_not_listed_on_the_texts_day_is_not_reported() -> None:
    text = "loaded up on WISH calls"
    before_wish_listed = 1_500_000_000.0  # 2017: ContextLogic listed WISH in December 2020
    assert [c.symbol for c in extraction.candidates(text, at=JUNE_2021)] == ["WISH"]
    assert extraction.candidates(text, at=before_wish_listed) == []


def test_the_second_opinion_only_adds_refused_symbols_it_accepts() -> None:
    found = extraction.candidates("I like to PLAY games", at=JUNE_2021)
    yes = disambiguation.Model(weights={"sym=PLAY": 5.0}, bias=0.0, threshold=0.5)
    no = disambiguation.Model(weights={"sym=PLAY": -5.0}, bias=0.0, threshold=0.5)
    assert disambiguation.second_opinion(yes, found) == {"PLAY"}
    assert disambiguation.second_opinion(no, found) == set()
    accepted = extraction.candidates("loaded up on PLAY calls", at=JUNE_2021)
    assert disambiguation.second_opinion(yes, accepted) == set()


def test_the_weights_were_trained_on_the_development_split_of_todays_labels() -> None:
    doc = json.loads(disambiguation.MODEL_PATH.read_text(encoding="utf-8"))
    labels = real_set.load_labels()
    dev = [r["id"] for r in real_set.load_ids() if r["id"] in labels and r["split"] == "dev"]
    assert doc["dev_ids_sha256"] == hashlib.sha256("\n".join(dev).encode()).hexdigest()
    assert doc["labels_sha256"] == real_set.labels_digest()
    assert doc["cv_dev_precision"] >= doc["rules_only_dev_precision"]
    if doc["weights"]:  # written only when it beat the rules in cross-validation on dev
        assert 0.0 < doc["threshold"] < 1.0
        assert doc["cv_dev_f1"] > doc["rules_only_dev_f1"]
    else:
        assert disambiguation.Model.load() is None
