"""Real Reddit text is other people's writing: the project keeps ids, labels and results, never
the texts (devtools/quotes.py). Read against the development corpora when they are here."""

from pathlib import Path

import pytest

from devtools import quotes

DATA = quotes.ROOT.parent / "shared" / "data"


def test_a_run_of_seven_words_is_found_across_lines_and_sayings_urls_and_shorter_runs_are_not(
    tmp_path: Path,
) -> None:
    corpus = [
        "Honestly the float is tiny and shorts are trapped here, I am buying more",
        "bulls make money bears make money pigs get slaughtered, said my uncle",
        "https www reddit com r wallstreetbets comments",
    ]
    kept = tmp_path / "kept.py"
    kept.write_text(
        'a = ("the float is tiny "\n'  # seven words of it, over two lines
        '     "and shorts are trapped")\n'
        'b = "shorts are trapped here"\n'  # four
        'c = "https www reddit com r wallstreetbets comments"\n'
        'd = "bulls make money bears make money pigs get slaughtered"\n'  # a saying
    )
    assert [(line, run) for _, line, run in quotes.quoted([kept], corpus)] == [
        (1, "the float is tiny and shorts are"),
    ]


@pytest.mark.skipif(not any(DATA.glob("*/items.jsonl.gz")), reason="the development corpora are not here")
def test_no_tracked_file_quotes_the_development_corpora() -> None:
    found = quotes.quoted(quotes.tracked(), quotes.corpus_texts(DATA))
    assert found == [], "\n".join(f"{name}:{line}: {run}" for name, line, run in found)
