"""``python -m demo`` as a child process, watched the way a newcomer would watch it: its
output line by line, and the processes it started, which must all be gone once it ends."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from emulators.processes import launch_argv
from emulators.stack import ROOT


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc; the demo's services are in their own
    sessions, so the process tree, not the group, is what ties them to it)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier} - found
        found |= children
        frontier = children
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (zombies count as gone: they no longer run anything)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


# The environment before the test session's stack wrote its own settings into it (test-only
# ones among them: short Reddit timeouts, no alert cache): a demo runs as a user's would.
OUTSIDE_ENV = dict(os.environ)


class DemoProcess:
    def __init__(self, *args: str, log_dir: Path) -> None:
        env = {**OUTSIDE_ENV, "PYTHONUNBUFFERED": "1", "COLUMNS": "160"}
        for name in ("PUBSUB_EMULATOR_HOST", "FIRESTORE_EMULATOR_HOST", "BIGQUERY_EMULATOR_HOST"):
            env.pop(name, None)  # the demo starts its own stack, not the test session's
        # dies with the test process: killed by a CI timeout, pytest runs no finally, and a
        # serving demo would keep its whole stack (three JVMs, the functions, Next) running
        # its own state file: a developer's running demo keeps answering `make token`
        state = log_dir.parent / "demo-state.json"
        argv, preexec = launch_argv(
            [sys.executable, "-m", "demo", "--log-dir", str(log_dir), "--state-file", str(state), *args], True
        )
        self.process = subprocess.Popen(
            argv,
            preexec_fn=preexec,  # noqa: PLW1509
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,  # not a terminal, as in CI
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.children: set[int] = set()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        """The first output line matching ``pattern``; fails if the demo ends first."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    match = regex.search(line)
                    if match:
                        return match
                seen = len(self.lines)
                if self.process.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"demo ended ({self.process.returncode}) before {pattern!r}:\n{self.output}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"no {pattern!r} within {timeout:.0f}s:\n{self.output}")
                self._changed.wait(0.5)

    def note_children(self) -> set[int]:
        self.children = descendants(self.process.pid)
        return self.children

    def interrupt(self) -> None:
        self.process.send_signal(signal.SIGINT)

    def wait(self, timeout: float) -> int:
        code = self.process.wait(timeout)
        self._reader.join(10)
        return code

    def kill(self) -> None:
        """Last resort for a failed test: nothing may outlive it."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for pid in alive(self.children):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
