"""Run every benchmark module and write one table and ``bench/results.json``.

A benchmark module is any ``bench/*.py`` (other than this one) exposing ``run() -> dict``:
flat name -> number or string. Figures are compared with ceilings measured in the same
run (ratios), never with fixed times, so they mean the same on any machine.
"""

import importlib
import json
import pkgutil
import platform
import sys
import time
from pathlib import Path
from typing import Any

import bench
from bench import cost, targets

RESULTS = Path(__file__).resolve().parent / "results.json"


def machine() -> dict[str, Any]:
    import os

    memory_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],  # others' work on a shared machine
    }


def main(argv: list[str]) -> int:
    only = set(argv)
    # ONLY=...: the named benchmarks replace their own figures; the others' stay as recorded
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if only and RESULTS.exists() else {}
    results.update(machine=machine(), started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    failed = False
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda i: i.name):
        if info.name in ("run", "targets", "cost") or (only and info.name not in only):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if not hasattr(module, "run"):
            continue
        print(f"== {info.name}", flush=True)
        began = time.monotonic()
        try:
            figures = module.run()
        except Exception as exc:  # one broken benchmark must not hide the others
            failed = True
            figures = {"error": repr(exc)}
        figures["wall_s"] = round(time.monotonic() - began, 2)
        figures["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        results[info.name] = figures
        for name, value in figures.items():
            shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
            print(f"  {name:<48} {shown}")
    try:
        results["cost"] = cost.model(results)  # the monthly bill priced from this run's per-item figures
    except KeyError as exc:
        results["cost"] = {"error": str(exc)}
    results["targets"] = targets.evaluate(results)
    print("== targets")
    for name, judged in results["targets"].items():
        print(f"  {name:<48} {judged['measured']!s:>10} {judged['target']:>8}  {judged['verdict']}")
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {RESULTS}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
