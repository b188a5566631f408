"""The extractor reads untrusted text: its work must grow with the text, not with the text
times its mentions, or one crafted 40,000-character post holds a fetch run for minutes. Each
case counts the step that was repeated per mention (never a time: tests assert no speed)."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from common.extraction import extract, lexicon, lists, scan, senses, symbols

T_2024 = 1_717_200_000.0  # 2024-06-01: BBBY no longer traded


def counting(
    monkeypatch: pytest.MonkeyPatch, module: Any, name: str, keep: Callable[..., bool] = lambda *a: True
) -> list[int]:
    """Counts the calls of ``module.name`` whose arguments ``keep`` accepts."""
    calls = [0]
    real = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += keep(*args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_a_shouting_line_of_one_word_like_symbol_looks_for_number_cues_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting(monkeypatch, scan, "_may_be_adjacent")
    extract("FF " * 500)
    assert calls[0] == 1


def test_a_symbol_read_by_the_words_of_the_whole_text_splits_the_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "BYD " * 500
    calls = counting(monkeypatch, senses, "_words_of", keep=lambda part: len(part) == len(text))
    extract(text)
    assert calls[0] == 1


def test_a_name_shouted_many_times_in_a_line_reads_the_line_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting(monkeypatch, scan, "_shouting")
    extract("NOKIA " * 500)
    assert 1 <= calls[0] <= 2


def test_a_shouting_line_of_many_symbols_is_measured_for_shortness_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no space in it, the line's first word was read from its start for every symbol."""
    calls = counting(monkeypatch, scan, "_short_line")
    extract("BX(" * 500)
    assert calls[0] == 1


def test_a_table_that_joins_only_by_turning_back_and_forth_is_read_in_a_bounded_number_of_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two rows whose filled cells snake from GME across every column: each pass joins one
    more column, so reading it to the end took a pass per column over every symbol left."""
    width = 200

    def filled(row: int, column: int) -> bool:
        return column == 0 or (column >= 2 and column % 4 in (2, 3, 0)) if row == 0 else column % 4 in (0, 1, 2)

    cell = [[("GME" if (r, c) == (0, 0) else "AIR") if filled(r, c) else "" for c in range(width)] for r in (0, 1)]
    rows = ["|" + "|".join(row) + "|" for row in cell]
    calls = counting(monkeypatch, lists, "_beside")
    assert symbols("\n".join(rows)) == ["GME", "AIR"]
    cells = sum(1 for r in (0, 1) for c in range(width) if filled(r, c))
    assert 0 < calls[0] <= 8 * cells  # eight passes at most, each over every symbol left


def test_a_letter_between_tickers_is_checked_against_its_nearest_neighbour_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sep = lexicon._SEP_ONLY
    tried = [0]

    class Counted:
        def match(self, *args: Any) -> re.Match[str] | None:
            return sep.match(*args)

        def fullmatch(self, *args: Any) -> re.Match[str] | None:
            tried[0] += 1
            return sep.fullmatch(*args)

    monkeypatch.setattr(lexicon, "_SEP_ONLY", Counted())
    letters = 400
    found = symbols("BBBY " + "GME, F, AMC / T / " * letters, at=T_2024)
    assert set(found) == {"GME", "F", "AMC", "T"}
    assert 0 < tried[0] <= 4 * 2 * letters  # a few passes, one check per letter each


def test_list_separators_and_option_dates_are_read_over_bounded_runs() -> None:
    """A ticker blanked out of the prose (in a link, in code) sits in a run of blanks that a
    separator read to its end, ticker after ticker; an option's date read every character up
    to the next space. Neither is a list or an option past the bound."""
    assert lexicon._SEP_ONLY.match(" " * 1000 + ", ") is not None
    assert lexicon._SEP_ONLY.match(" " * 1001 + ", ") is None
    assert symbols("UNH | V`" + "x" * 120 + "` | JPM") == ["UNH", "V", "JPM"]  # a code span between
    assert lexicon._NEXT_NUMBER.match(" 3/19/21 12c") is not None
    assert lexicon._NEXT_NUMBER.match(" 3/19" + "x" * 17 + " 12c") is None


def test_a_bank_before_a_rating_word_is_the_analyst_only_of_a_ticker_near_it() -> None:
    """Found by where the other mentions start, looked up (a text of thousands of such banks
    read every mention for each): the reading it gave is kept, near and far."""
    assert symbols("GS downgrades TSLA and my puts print") == ["TSLA"]
    assert symbols("JPM overweight in my portfolio") == ["JPM"]
    text = "GS analysts " * 300 + "TSLA"
    assert symbols(text) == ["GS", "TSLA"]  # only the last one is near TSLA: the others stand
