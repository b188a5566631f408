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
    ("time", "monotonic_ns"),
    ("time", "clock_gettime"),
    ("time", "clock_gettime_ns"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
}
# These read the clock only when called without the time they are to format.
CLOCK_WITHOUT_ARGUMENT = {("time", "gmtime"), ("time", "localtime"), ("time", "ctime"), ("time", "asctime")}
CLOCK_WITHOUT_SECOND_ARGUMENT = {("time", "strftime")}


def clock_reads(source: str) -> list[int]:
    """Lines of ``source`` that read the clock or hand a clock on to be read later
    (``default_factory=time.time``): ``time.time()``, ``datetime.now(UTC)``,
    ``time.gmtime()``, under any name they were imported as."""
    tree = ast.parse(source)
    names: dict[str, str] = {}  # local name -> the module, class or function it is
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update((a.asname or a.name, a.name) for a in node.names if a.name in {"time", "datetime"})
        elif isinstance(node, ast.ImportFrom) and node.module in {"time", "datetime"}:
            names.update((a.asname or a.name, f"{node.module}.{a.name}") for a in node.names)

    def what(node: ast.expr) -> tuple[str, str] | None:
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Attribute):
                return node.value.attr, node.attr
            if isinstance(node.value, ast.Name) and node.value.id in names:
                return names[node.value.id].rsplit(".", 1)[-1], node.attr
        if isinstance(node, ast.Name) and "." in names.get(node.id, ""):
            module, name = names[node.id].split(".", 1)
            return module, name
        return None

    called = {id(node.func): node for node in ast.walk(tree) if isinstance(node, ast.Call)}
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute | ast.Name) or (found := what(node)) is None:
            continue
        call = called.get(id(node))
        given = [] if call is None else [a for a in call.args if not (isinstance(a, ast.Constant) and a.value is None)]
        if (
            found in CLOCKS
            or (found in CLOCK_WITHOUT_ARGUMENT and not given)  # handed on uncalled, too
            or (found in CLOCK_WITHOUT_SECOND_ARGUMENT and len(given) < 2)
        ):
            lines.append(node.lineno)
    return sorted(set(lines))


def test_the_check_finds_each_way_of_reading_the_clock() -> None:
    source = (
        "import time, datetime\nfrom time import monotonic as tick\nfrom datetime import datetime as dt\n"
        "a = time.time()\nb = tick()\nc = dt.now()\nd = datetime.datetime.now()\ne = datetime.date.today()\n"
        "f = time.sleep(1)\ng = Field(default_factory=time.time)\nh = time.gmtime()\ni = time.gmtime(5.0)\n"
        "j = time.strftime('%Y')\nk = time.strftime('%Y', time.gmtime(5.0))\nl = time.monotonic_ns()\n"
        "m = Field(default_factory=time.gmtime)\nn = time.gmtime(None)\no = time.clock_gettime(0)\n"
    )
    assert clock_reads(source) == [4, 5, 6, 7, 8, 10, 11, 13, 15, 16, 17, 18]


def test_nothing_in_the_core_reads_the_clock() -> None:
    found = {
        str(path.relative_to(COMMON)): lines
        for path in sorted(COMMON.rglob("*.py"))
        if "adapters" not in path.relative_to(COMMON).parts and (lines := clock_reads(path.read_text(encoding="utf-8")))
    }
    assert found == {}
