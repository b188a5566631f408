"""Where the CPU went: seconds per service of the local stack, read from /proc before it
stops. On a small machine the demo's pace is the pipeline's CPU, so this is the first thing
to look at when it is slow."""

import os
from pathlib import Path

from emulators.processes import Service
from emulators.stack import Stack

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _tree_seconds(root: int) -> float:
    """CPU of ``root`` and every live descendant (gunicorn's workers are children)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = int(fields[1])
    tree, frontier = {root}, {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - tree
        tree |= frontier
    total = 0
    for pid in tree:
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / _TICK


def by_service(stack: Stack) -> dict[str, float]:
    services: list[Service | None] = [*stack.services.values(), stack.reddit, stack.jwks, stack.web, stack.mailbox]
    if stack.emulators is not None:
        services += [stack.emulators.pubsub, stack.emulators.firestore, stack.emulators.bigquery]
    seconds = {s.name: _tree_seconds(s.process.pid) for s in services if s is not None and s.process is not None}
    return dict(sorted(seconds.items(), key=lambda item: -item[1]))


def own_seconds() -> float:
    times = os.times()
    return times.user + times.system
