"""The core in ``common/`` is a function of the data it is given: time is passed in, never read
from the clock, so a backtest, the preview and production decide alike on the same data.
Only the adapters (``common/adapters/``: Pub/Sub deadlines, BigQuery budgets) read a clock."""

import ast
from pathlib import Path

COMMON = Path(__file__).resolve().parents[2] / "common"
# Clocks a decision could read. ``time.perf_counter`` is left out: a stopwatch for how long a
# part of a run took (``reports.FetchReport.timing``) decides nothing.
CLOCKS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
}


def clock_reads(source: str) -> list[int]:
    """Lines of ``source`` that read the clock: ``time.time()``, ``datetime.now(UTC)``,
    ``datetime.datetime.now()``, under any name they were imported as."""
    tree = ast.parse(source)
    names: dict[str, str] = {}  # local name -> the module, class or clock function it is
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update((a.asname or a.name, a.name) for a in node.names if a.name in {"time", "datetime"})
        elif isinstance(node, ast.ImportFrom) and node.module in {"time", "datetime"}:
            names.update((a.asname or a.name, f"{node.module}.{a.name}") for a in node.names)
    functions = {f"{owner}.{name}" for owner, name in CLOCKS if owner == "time"}
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            if isinstance(func.value, ast.Attribute):
                owner = func.value.attr
            else:
                owner = names.get(getattr(func.value, "id", ""), "").rsplit(".", 1)[-1]
            if (owner, func.attr) in CLOCKS:
                lines.append(node.lineno)
        elif isinstance(func, ast.Name) and names.get(func.id) in functions:
            lines.append(node.lineno)
    return lines


def test_the_check_finds_each_way_of_reading_the_clock() -> None:
    source = (
        "import time, datetime\nfrom time import monotonic as tick\nfrom datetime import datetime as dt\n"
        "a = time.time()\nb = tick()\nc = dt.now()\nd = datetime.datetime.now()\ne = datetime.date.today()\n"
        "f = time.sleep(1)\n"
    )
    assert clock_reads(source) == [4, 5, 6, 7, 8]


def test_nothing_in_the_core_reads_the_clock() -> None:
    found = {
        str(path.relative_to(COMMON)): lines
        for path in sorted(COMMON.rglob("*.py"))
        if "adapters" not in path.relative_to(COMMON).parts and (lines := clock_reads(path.read_text(encoding="utf-8")))
    }
    assert found == {}
