"""The demo's own run on the bundled corpus (two weeks, 12 h a tick, within the demo's budget),
measured: whether it finished what it started, and Firestore operations per item at that
corpus's density (comments and posts, about half of them naming no ticker, hundreds of
tickers), beside the e2e corpus's (posts only, every one naming a ticker). Then a day of the
same corpus at production's fetch pace (``paced_*``): the same items in many more, smaller
batches, each of which aggregate and detect pay for.

It runs exactly what ``make demo < /dev/null`` runs (``demo.run.Demo``), minus the web app,
and reads the functions' operation counts from its logs as ``bench/e2e.py`` does.
"""

import io
import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.e2e import firestore_ops
from demo import cpu
from demo import labels as lbl
from demo.display import Display
from demo.run import DEFAULT_CORPUS, Demo, Options

BUDGET_S = 285.0  # the Makefile's DEMO_BUDGET_S: the demo prints its table within five minutes
FUNCTIONS = ("dispatch", "fetch", "aggregate", "detect", "archive", "notify", "notify_digest")


PACED_STEP_HOURS = 1 / 6  # production's pace at this density: each subreddit every ten minutes (bench/schedule.py)
PACED_HOURS = 24.0  # a day of the corpus at that pace: 144 ticks


def run() -> dict[str, Any]:
    figures = _demo_run(Options(corpus=DEFAULT_CORPUS, deadline=time.time() + BUDGET_S), "")
    # The run above reads 12 h of data a tick, so every ticker's mentions of a subreddit come
    # as one batch per 12 h; production fetches every ten minutes, and aggregate and detect
    # cost per batch. A day at that pace says what an item costs there.
    figures |= _demo_run(Options(corpus=DEFAULT_CORPUS, step_hours=PACED_STEP_HOURS, hours=PACED_HOURS), "paced_")
    return figures


def _demo_run(options: Options, prefix: str) -> dict[str, Any]:
    """One demo run of ``options`` (logs and state file in a temporary folder), its figures
    named with ``prefix``."""
    saved = dict(os.environ)
    os.environ["LOG_LEVEL"] = "INFO"  # the operation counts are on the functions' INFO lines
    with tempfile.TemporaryDirectory() as tmp:
        log_dir = Path(tmp) / "logs"
        demo = Demo(replace(options, log_dir=log_dir, state_file=Path(tmp) / "state.json"))
        console = Console(file=io.StringIO(), width=200)
        try:
            began = time.monotonic()
            code = _play(demo, console)
            seconds = time.monotonic() - began
            handled, ops = firestore_ops(log_dir, FUNCTIONS)
            used = cpu.by_service(demo.stack) if demo.stack is not None else {}
        finally:
            demo.stop()
            os.environ.clear()
            os.environ.update(saved)
    items = max(1, int(demo.counts()["items"]))
    reads = sum(r for r, _ in ops.values())
    writes = sum(w for _, w in ops.values())
    figures: dict[str, Any] = {
        "items": demo.counts()["items"],
        "mentions": demo.counts()["mentions"],
        "ticker_updates": handled.get("detect", 0),
        "mention_batches_per_item": round(handled.get("aggregate", 0) / items, 3),
        "demo_s": round(seconds, 1),
        "firestore_reads_per_item": round(reads / items, 3),
        "firestore_writes_per_item": round(writes / items, 3),
        "firestore_ops_per_item": round((reads + writes) / items, 3),
    }
    for name in sorted(ops):
        figures[f"firestore_ops_per_item_{name}"] = round(sum(ops[name]) / items, 3)
    batches, updates = code["behind"]  # work in flight: its operations are not counted yet
    figures |= {"behind_batches": batches, "behind_updates": updates}
    if prefix:
        hours = f"the first {options.hours:g} h" if options.hours else "all of it"
        figures["corpus"] = f"data/replay/default, {hours}, {60 * options.step_hours:g} min a tick"
        return {prefix + name: value for name, value in figures.items()}
    manifest = json.loads((DEFAULT_CORPUS / "manifest.json").read_text())
    figures |= {
        "corpus": "data/replay/default, 12 h a tick (the demo's run)",
        "corpus_items": int(manifest["items"]),
        "alerts": len(demo.rows),
        "budget_s": BUDGET_S,
        "labelled_not_alerted": code["missed"],
    }
    # CPU seconds per service: on two cores the demo's pace is the stack's CPU, so these say
    # where a slow run went, and per handled message what a change to one function saved
    figures.update({f"cpu_s_{name}": round(s, 1) for name, s in used.items() if s >= 0.5})
    for name in ("aggregate", "detect"):
        if handled.get(name) and name in used:
            figures[f"cpu_ms_per_message_{name}"] = round(1000 * used[name] / handled[name], 1)
    return figures


def _play(demo: Demo, console: Console) -> dict[str, Any]:
    """``Demo.run``'s replay path, printing to ``console``: what is behind when the table
    would print, and which labelled scenarios have no alert."""
    display = Display(1.0, console=console)
    demo.display = display
    demo.labels = lbl.load(demo.options.corpus)
    demo.start_watched()
    demo.play_replay()
    demo.collect_alerts()
    demo.refresh_rows()
    unfound = demo.unfound()
    return {
        "behind": demo.behind(),
        "missed": [label.ticker for label in unfound.missed + unfound.unreached + unfound.undecided],
    }
