"""``eval/results.json``: the committed figures, one block per eval, rewritten by ``--refresh``."""

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "results.json"
LATEST_REAL = RESULTS.parent / "out" / "real.json"  # make eval-real's last run, refreshed or not


def record(key: str, block: Any) -> None:
    """Put ``block`` under ``key``, leaving every other eval's block as it is."""
    results = json.loads(RESULTS.read_text())
    results[key] = block
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
