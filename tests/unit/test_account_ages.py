"""Account ages estimated from account numbers: a creation date is never after the account's
first post, accounts made before the window are dated back along the measured rate, and
only ``t2_`` authors are touched."""

import random
from pathlib import Path

import numpy as np
import pytest

from common.detection import backtest
from eval.real import ages

DAY = 86400.0
START = 1_620_000_000.0
RATE = 1_000.0  # account numbers per day in the fake world


def _world(seed: int, days: int = 40) -> tuple[dict[int, float], dict[int, float]]:
    """Accounts numbered in creation order (some made up to 60 days before the window), each
    first posting after a lag: (number -> first post in the window, number -> true creation)."""
    rng = random.Random(seed)
    first, created = {}, {}
    for k in range(int((days + 60) * RATE / 20)):
        number = k * 20
        made = START - 60 * DAY + number / RATE * DAY
        lag = rng.expovariate(1 / (0.5 * DAY)) if rng.random() < 0.7 else rng.uniform(0, 200) * DAY
        at = made + lag
        if START <= at <= START + days * DAY:
            first[number], created[number] = at, made
    return first, created


def test_account_number_reads_base36_fullnames_only() -> None:
    assert ages.account_number("t2_10") == 36
    assert ages.account_number("t2_zz") == 35 * 36 + 35
    assert ages.account_number("someone") is None
    assert ages.account_number("t2_not-base36!") is None
    assert ages.account_number(None) is None


def test_an_estimate_is_never_after_the_accounts_first_post() -> None:
    first, _ = _world(1)
    model = ages.fit(first)
    assert all(model.created(n) <= at + 1e-6 for n, at in first.items())
    assert any(n < model.pivot_number for n in first)  # the extrapolated ones are held to it too


def test_estimates_track_true_creation_in_and_before_the_window_and_never_run_early() -> None:
    first, created = _world(2)
    model = ages.fit(first)
    assert model.rate * DAY == pytest.approx(RATE, rel=0.1)
    errors = np.array([(model.created(n) - created[n]) / DAY for n in first if n >= model.pivot_number])
    assert float(np.median(np.abs(errors))) < 2.0
    assert float(errors.min()) >= 0.0  # a bound from first posts: late, never early (accounts look younger)
    before = [n for n in first if created[n] < START - 10 * DAY]
    assert before and all(model.created(n) < START for n in before)  # made before the window: dated before it


def test_an_account_newer_than_every_poster_has_no_date() -> None:
    first, _ = _world(4)
    model = ages.fit(first)
    with pytest.raises(ValueError, match="newer"):
        model.created(max(first) + 1)


def test_a_window_too_short_for_a_rate_is_refused() -> None:
    with pytest.raises(ValueError):
        ages.fit({1: START, 2: START + 3600})
    with pytest.raises(ValueError):
        ages.fit({1: START})


def test_first_posts_keeps_each_accounts_earliest_post() -> None:
    assert ages.first_posts([("t2_a", 5.0), ("t2_a", 3.0), (None, 1.0), ("bob", 2.0)]) == {10: 3.0}


def test_only_numbered_authors_get_an_estimated_age(tmp_path: Path) -> None:
    first, _ = _world(3)
    model = ages.fit(first)
    number = sorted(first)[len(first) // 2]
    fullname = "t2_" + np.base_repr(number, 36).lower()
    corpus = backtest.Corpus(
        tmp_path,
        {},
        [],
        {
            fullname: backtest.Account(0.0, 0, fullname),
            "pump0_1": backtest.Account(42.0, 0),
            "t2_zzzzzzzzzz": backtest.Account(7.0, 0),  # newer than every poster
        },
    )
    out = ages.with_estimated_ages(corpus, model)
    assert out.authors[fullname].created_utc == model.created(number)
    assert out.authors["pump0_1"].created_utc == 42.0
    assert out.authors["t2_zzzzzzzzzz"].created_utc == 7.0
    assert corpus.authors[fullname].created_utc == 0.0  # the loaded corpus is left as it was
