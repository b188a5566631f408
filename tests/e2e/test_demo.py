"""``make demo`` as CI runs it: standard input is not a terminal, so the demo replays, prints
its alert table, exits 0 and leaves nothing running. On a small corpus with one breakout
(devtools/corpus.py) so it takes about a minute, with the detector's warm-up shortened
through the API the way an admin would."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from devtools.corpus import write_breakout_corpus
from tests.support.demo import DemoProcess, alive

# the first test of a module also pays for its stack and replay (fixtures): more than the default
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def test_the_demo_replays_a_breakout_prints_its_alert_and_leaves_nothing_running(tmp_path: Path) -> None:
    label = write_breakout_corpus(tmp_path / "corpus")
    demo = DemoProcess(
        "--corpus",
        str(tmp_path / "corpus"),
        "--step-hours",
        "3",
        "--detection-config",
        json.dumps({"warmup_hours": 12}),
        log_dir=tmp_path / "logs",
    )
    try:
        demo.wait_for(r"stack up in", timeout=180)
        started = demo.note_children()
        code = demo.wait(timeout=240)
        output = demo.output
        assert code == 0, output
        assert len(started) >= 8, f"expected emulators, local Reddit and functions below the demo: {started}"
        assert alive(started) == set(), f"still running after the demo ended: {alive(started)}"
        alert_line = demo.wait_for(rf"ALERT .* {label['ticker']} +organic +open", timeout=1)
        assert "before peak (organic_breakout)" in alert_line.string
        summary = demo.wait_for(r"(\d+) items, (\d+) mentions, (\d+) ticker updates, (\d+) alerts", timeout=1)
        assert all(int(n) > 0 for n in summary.groups()), summary.string
        assert "labelled but not alerted" not in output and "labelled but not reached" not in output
        rows = re.findall(r"│\s*([A-Z][A-Z0-9.]*)\s*│\s*(?:organic|pump)\s*│\s*(open|escalated|resolved) L\d", output)
        assert label["ticker"] in {symbol for symbol, _ in rows}, "the alert table was not read"
        active = Counter(symbol for symbol, status in rows if status != "resolved")
        assert all(n == 1 for n in active.values()), f"a ticker with two open episodes in the table: {active}"
    finally:
        demo.kill()
