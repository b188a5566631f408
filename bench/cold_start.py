"""What one function instance loads before it serves: modules, seconds and peak RSS of
``import main; main.<function>`` in a fresh interpreter, for each function, beside the same
figures for loading all of them at once (what every instance paid when ``main.py`` imported
them eagerly). Reported as ratios to that all-functions run, measured in the same ``make bench``.

Cloud Run bills a cold start's seconds and sizes an instance by its memory, so what a
function imports that it never runs costs on every new instance.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import main

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = tuple(main.__all__)
ROUNDS = 3  # the fastest of three fresh interpreters: the disk cache warms on the first

_PROBE = """
import json, sys, time
began = time.perf_counter()
import main
for name in sys.argv[1:]:
    getattr(main, name)
seconds = time.perf_counter() - began
# VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the forking parent
# across exec, so a large benchmark process would be measured instead of this one.
with open("/proc/self/status") as status:
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"modules": len(sys.modules), "seconds": seconds, "rss_mb": peak_kb / 1024}))
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
        "all_functions_modules": every["modules"],
        "all_functions_import_s": round(every["seconds"], 3),
        "all_functions_rss_mb": round(every["rss_mb"], 1),
    }
    for name in FUNCTIONS:
        one = probe((name,))
        figures[f"{name}_modules"] = one["modules"]
        figures[f"{name}_import_vs_all"] = round(one["seconds"] / every["seconds"], 3)
        figures[f"{name}_rss_vs_all"] = round(one["rss_mb"] / every["rss_mb"], 3)
    figures["max_modules"] = max(figures[f"{name}_modules"] for name in FUNCTIONS)
    return figures
