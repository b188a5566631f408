"""`make up`'s single supervisor: its lock says who runs (or is still starting), so a state
file left by a dead supervisor, or naming a pid another process took since, is stale."""

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulators import stack
from emulators import supervisor as make_up
from emulators.processes import Service

HOLD = """
import fcntl, os, sys, time
lock = open(sys.argv[1], "a+")
fcntl.flock(lock, fcntl.LOCK_EX)
lock.seek(0); lock.truncate(); lock.write(str(os.getpid())); lock.flush()
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(make_up, "STATE_DIR", tmp_path)
    monkeypatch.setattr(make_up, "STATE_FILE", tmp_path / "state.json")
    monkeypatch.setattr(make_up, "LOCK_FILE", tmp_path / "stack.lock")
    return tmp_path


@pytest.fixture
def supervisor(state_dir: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state_dir / "stack.lock")], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    yield process
    process.kill()
    process.wait()


def test_a_state_file_nobody_holds_the_lock_for_is_stale(state_dir: Path) -> None:
    # a supervisor killed outright left its state, and its pid now names this very process
    (state_dir / "state.json").write_text(json.dumps({"pid": os.getpid()}))
    assert make_up.holder() is None and make_up.read_state() is None
    assert make_up.down() == 0  # nothing signalled
    assert not (state_dir / "state.json").exists()


def test_the_holder_is_known_while_it_starts_and_read_once_it_wrote_its_state(
    state_dir: Path, supervisor: subprocess.Popen[str]
) -> None:
    assert make_up.holder() == supervisor.pid
    assert make_up.read_state() is None  # starting: no state yet, but up refuses to start another
    (state_dir / "state.json").write_text(json.dumps({"pid": 1, "functions": {"api": "http://127.0.0.1:1"}}))
    assert make_up.read_state() is None  # a dead supervisor's state, not the starting one's
    assert make_up.up() == 0
    (state_dir / "state.json").write_text(json.dumps({"pid": supervisor.pid}))
    assert make_up.read_state() == {"pid": supervisor.pid}


def test_down_stops_a_supervisor_that_is_still_starting(
    state_dir: Path, supervisor: subprocess.Popen[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # reaped as init reaps the real one (its `make up` has exited): no zombie answers kill(pid, 0)
    reaper = threading.Thread(target=supervisor.wait)
    reaper.start()
    assert make_up.down(timeout=10) == 0
    reaper.join(timeout=10)
    assert supervisor.returncode == -signal.SIGTERM  # asked to stop, not killed after the timeout
    assert capsys.readouterr().out.strip() == "local stack stopped"
    assert make_up.holder() is None


def test_a_stack_with_a_dead_process_says_which_and_what_it_last_wrote(tmp_path: Path) -> None:
    log = tmp_path / "fetch.log"
    log.write_text("starting\nout of memory\n")
    alive = Service("api", ["sleep", "30"], 0, tmp_path / "api.log", process=subprocess.Popen(["sleep", "30"]))
    gone = Service("fetch", ["true"], 0, log, process=subprocess.Popen(["true"]))
    assert gone.process is not None and alive.process is not None
    gone.process.wait()
    running = stack.Stack(log_dir=tmp_path, services={"api": alive})
    try:
        running.check_alive()  # all alive: nothing raised
        running.services["fetch"] = gone
        with pytest.raises(stack.StackDied, match=r"fetch exited[\s\S]*out of memory"):
            running.check_alive()
    finally:
        alive.process.kill()
        alive.process.wait()
