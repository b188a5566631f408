"""What one function instance loads before it serves: modules, seconds and peak RSS of
``import main; main.<function>`` in a fresh interpreter, for each function, beside the same
figures for loading all six at once (what every instance paid when ``main.py`` imported them
eagerly). Reported as ratios to that all-six run, measured in the same ``make bench``.

Cloud Run bills a cold start's seconds and sizes an instance by its memory, so what a
function imports that it never runs costs on every new instance.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("dispatch", "fetch", "aggregate", "detect", "archive", "api")
ROUNDS = 3  # the fastest of three fresh interpreters: the disk cache warms on the first

_PROBE = """
import json, resource, sys, time
began = time.perf_counter()
import main
for name in sys.argv[1:]:
    getattr(main, name)
print(json.dumps({
    "modules": len(sys.modules),
    "seconds": time.perf_counter() - began,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def probe(names: tuple[str, ...]) -> dict[str, float]:
    runs = []
    for _ in range(ROUNDS):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE, *names], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    return min(runs, key=lambda r: r["seconds"])


def run() -> dict[str, Any]:
    every = probe(FUNCTIONS)
    figures: dict[str, Any] = {
        "all_six_modules": every["modules"],
        "all_six_import_s": round(every["seconds"], 3),
        "all_six_rss_mb": round(every["rss_mb"], 1),
    }
    for name in FUNCTIONS:
        one = probe((name,))
        figures[f"{name}_modules"] = one["modules"]
        figures[f"{name}_import_vs_all_six"] = round(one["seconds"] / every["seconds"], 3)
        figures[f"{name}_rss_vs_all_six"] = round(one["rss_mb"] / every["rss_mb"], 3)
    figures["max_modules"] = max(figures[f"{name}_modules"] for name in FUNCTIONS)
    return figures
