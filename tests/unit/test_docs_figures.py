"""Every figure the README and docs/ quote by its results key agrees with the results file.

The docs name their figures as `` `key.path` 0.123 `` in prose, or as a table row's
`` | `key.path` | 0.123 | ``: a key path from the root of ``eval/tickers.json``,
``eval/results.json`` or ``bench/results.json``, then the number.
A results file refreshed without its prose leaves the old number in the docs; this finds it.
A name that resolves to no number in any file (a config field, a nested key quoted in its
section's paragraph) is not checked here, unless it starts from a results file's section: a
path into a section that holds no such figure is a figure the docs invent.
"""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = "bench/results.json"
RESULTS = ("eval/tickers.json", "eval/results.json", BENCH)
DOCS = ("README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")))
NUMBER = r"(-?\d[\d,]*(?:\.\d+)?)"
KEY = r"`([A-Za-z_][\w.-]*)`"  # "-" too: a service's name in a key (cpu_s_replay_pubsub-emulator)
QUOTED = (
    re.compile(KEY + r"\s+" + NUMBER),  # prose, the number on the key's line or the next
    # a table row whose last cell is the number of the one key before it
    re.compile(r"\|\s*" + KEY + r"\s*\|\s*" + NUMBER + r"\s*\|\s*$", re.MULTILINE),
)


def _resolve(data: Any, path: str) -> float | None:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return float(data) if isinstance(data, int | float) and not isinstance(data, bool) else None


def agrees(quoted: str, value: float) -> bool:
    """``quoted`` is ``value`` rounded to the decimals it shows."""
    decimals = len(quoted.split(".")[1]) if "." in quoted else 0
    return abs(round(value, decimals) - float(quoted)) < 10.0 ** -(decimals + 3)


def quoted_figures(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, key, number) of every `` `key` number `` in ``text``, a line break between them
    included (prose is wrapped wherever it falls)."""
    for pattern in QUOTED:
        for m in pattern.finditer(text):
            yield text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2).replace(",", "")


def _results() -> dict[str, Any]:
    return {name: json.loads((ROOT / name).read_text(encoding="utf-8")) for name in RESULTS}


def test_rounding_is_read_from_the_quoted_number() -> None:
    assert agrees("0.947", 0.94721) and agrees("1570", 1570) and agrees("27.27", 27.2713)
    assert not agrees("0.078", 0.1327) and not agrees("1461", 1570) and not agrees("0.94", 0.9472)
    assert list(quoted_figures("a `x.y` 1,570 and `z` 0.5.")) == [(1, "x.y", "1570"), (1, "z", "0.5")]
    assert list(quoted_figures("one\nwrapped `a-b`\n  2.5 here")) == [(2, "a-b", "2.5")]
    assert list(quoted_figures("| ratio | `a.b` | 0.133 |")) == [(1, "a.b", "0.133")]
    assert list(quoted_figures("| two | `a`, `b` | 60, 0.652 |\n| pair | `c` / `d` | 3 / 4 |")) == []
    assert list(quoted_figures("| then and now | `e` | 4 | 0 |")) == []


def section_leaf(results: dict[str, Any], key: str) -> dict[str, float]:
    """A key quoted without its section (`` `noop_deliveries_per_s` `` in the e2e row): the
    number it names when exactly one section of the benchmarks' file holds it; a name several
    hold (``items``) is ambiguous and not checked. Only there: the evaluation files nest the
    same names at several depths (a corpus's ``false_alerts_per_day`` is not the real one)."""
    found = {
        f"{BENCH}:{section}": v
        for section, fields in results.get(BENCH, {}).items()
        if isinstance(fields, dict) and (v := _resolve(fields, key)) is not None
    }
    return found if len(found) == 1 else {}


def test_a_key_quoted_without_its_section_is_checked_when_one_section_holds_it() -> None:
    results = {BENCH: {"e2e": {"rate": 2.0, "items": 3}, "bundled": {"items": 4}}, "eval/x.json": {"s": {"n": 1}}}
    assert section_leaf(results, "rate") == {f"{BENCH}:e2e": 2.0} and section_leaf(results, "n") == {}
    assert section_leaf(results, "items") == {} and section_leaf(results, "absent") == {}


@pytest.mark.parametrize("doc", DOCS)
def test_every_quoted_figure_is_the_results_files(doc: str) -> None:
    results = _results()
    stale = []
    for line, key, number in quoted_figures((ROOT / doc).read_text(encoding="utf-8")):
        values = {name: v for name, data in results.items() if (v := _resolve(data, key)) is not None}
        if not values and "." not in key:
            values = section_leaf(results, key)
        if not values:
            if "." in key and any(key.split(".")[0] in data for data in results.values()):
                stale.append(f"{doc}:{line}: `{key}` names a results section but no figure in it")
            continue
        if not any(agrees(number, v) for v in values.values()):
            stale.append(f"{doc}:{line}: `{key}` {number}, but {values}")
    assert not stale, "\n".join(stale)


def test_the_docs_quote_their_figures_by_key_at_all() -> None:
    # a pattern that stopped matching would pass every doc vacuously
    results = _results()
    checked = sum(
        1
        for doc in DOCS
        for _, key, _ in quoted_figures((ROOT / doc).read_text(encoding="utf-8"))
        if any(_resolve(data, key) is not None for data in results.values())
    )
    assert checked >= 80, checked
