"""`make up`'s supervisor and the command line behind `make up`, `make down`, `make status`
and `make token`: one stack (emulators/stack.py) in the background, found by its lock.

``python -m emulators.supervisor up|down|status|token|serve``.
"""

import argparse
import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import IO

from emulators.stack import (
    ROOT,
    STATE_DIR,
    Account,
    Stack,
    StackDied,
    fresh_log_dir,
    signed_in_token,
    web_app_lines,
    with_auth_option,
    with_local_reddit_options,
)

STATE_FILE = STATE_DIR / "state.json"
# Held (flock) by the one supervisor of `make up` from before it starts anything until it has
# stopped everything, with its pid inside: a second `make up` is refused while one is still
# starting, `make down` reaches one that is starting, and a state file whose supervisor died
# (or whose pid another process took since) is known stale. The kernel drops the lock with
# the process, however it ends.
LOCK_FILE = STATE_DIR / "stack.lock"


class _Stopped(BaseException):
    """SIGTERM or SIGINT while the stack was still starting: start no more, stop what runs.
    A BaseException, as KeyboardInterrupt is: no ``except Exception`` on the way turns it into
    a start-up failure."""


def _serve(log_dir: Path) -> int:
    """Run the stack in the foreground until SIGTERM/SIGINT; write its state for others."""
    STATE_DIR.mkdir(exist_ok=True)
    lock = LOCK_FILE.open("a+")  # open for as long as this supervisor lives: it holds the lock
    if not _take(lock):
        print(f"another local stack holds {LOCK_FILE} (pid {holder()}): make down first", file=sys.stderr)
        return 1
    STATE_FILE.unlink(missing_ok=True)  # a supervisor killed outright left it: not this stack's
    lock.seek(0)
    lock.truncate()
    lock.write(str(os.getpid()))
    lock.flush()
    # The development key is kept between runs (devtools/devauth.py), so a token minted for
    # one `make up` still signs in after the next.
    stack = with_auth_option(with_local_reddit_options(Stack(log_dir=log_dir, devauth_dir=STATE_DIR / "devauth")))
    started = stopping = False

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if not started:
            raise _Stopped

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        stack.start()
        started = True
        STATE_FILE.write_text(json.dumps(stack.describe(), indent=2))
        while not stopping:
            stack.check_alive()  # a stack with a dead part is stopped, not shown as up
            time.sleep(0.2)
    except _Stopped:
        pass
    except StackDied as exc:
        print(f"local stack stopping: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the stopping short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        STATE_FILE.unlink(missing_ok=True)  # ours: only the lock's holder writes it
        lock.truncate(0)  # no pid left behind for a later reader to signal
        lock.close()
    return 0


def _take(lock: IO[str], tries: int = 20) -> bool:
    """The exclusive lock, tried for about a second: a reader's brief shared lock
    (:func:`holder`) must not read as another supervisor."""
    for _ in range(tries):
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            time.sleep(0.05)
        else:
            return True
    return False


def holder() -> int | None:
    """The pid of the supervisor holding :data:`LOCK_FILE` (running or still starting), or None
    when no process holds it."""
    try:
        with LOCK_FILE.open() as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = lock.read().strip()
                return int(text) if text.isdigit() else 0
            return None
    except FileNotFoundError:
        return None


def read_state() -> dict[str, object] | None:
    """The running stack's state; None while none runs (a state file left by a supervisor that
    died, or whose pid another process took since, is stale: nobody holds the lock, or the
    one who does wrote none yet)."""
    running = holder()
    if not running:
        return None
    try:
        state = json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and state.get("pid") == running else None


def up(timeout: float = 180.0) -> int:
    if read_state():
        print(f"local stack already running (see {STATE_FILE})")
        return 0
    if (starting := holder()) is not None:
        print(f"a local stack is starting (pid {starting}): make status in a moment, or make down")
        return 0
    STATE_DIR.mkdir(exist_ok=True)
    log_dir = fresh_log_dir(STATE_DIR / "logs")
    with (log_dir / "stack.log").open("ab") as log:
        supervisor = subprocess.Popen(  # noqa: S603 - our own module, our own paths
            [sys.executable, "-m", "emulators.supervisor", "serve", "--log-dir", str(log_dir)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            state = read_state()
            if state:
                print(next_steps(state))
                return 0
            if supervisor.poll() is not None:
                print(f"local stack failed to start; see {log_dir}/stack.log", file=sys.stderr)
                return 1
            time.sleep(0.3)
    except KeyboardInterrupt:
        # the supervisor runs in its own session (so `make up` can return): Ctrl-C reaches only
        # this process, and must not leave it starting everything in the background
        _stop_supervisor(supervisor)
        print("\ninterrupted: the local stack was stopped", file=sys.stderr)
        return 130
    _stop_supervisor(supervisor)
    print("local stack did not become ready in time", file=sys.stderr)
    return 1


def _stop_supervisor(supervisor: "subprocess.Popen[bytes]") -> None:
    supervisor.terminate()  # it stops what it started on SIGTERM
    try:
        supervisor.wait(timeout=60)
    except subprocess.TimeoutExpired:
        supervisor.kill()


def next_steps(state: Mapping[str, object]) -> str:
    """What `make up` prints: where things are and what to type next."""
    functions = state.get("functions")
    api = functions.get("api", "?") if isinstance(functions, dict) else "?"
    env = state.get("env")
    replaying = isinstance(env, dict) and bool(env.get("REDDIT_URL"))
    source = "the local Reddit replaying the bundled corpus, clock at its start" if replaying else "reddit.com"
    return "\n".join(
        [
            f"local stack up: api {api}; fetch reads {source}; logs in {state.get('logs')}",
            *web_app_lines(state),
            "next:",
            "  make tick            # advance the replay clock 1 h (HOURS=6 for more), run the scheduler once",
            "  make token           # a bearer token for the api, and a curl to try it",
            "  make logs            # follow every function's log",
            "  make status          # ports, functions, environment (JSON)",
            "  make down            # stop everything",
        ]
    )


def running_state() -> dict[str, object] | None:
    """The state of whichever local stack runs: `make up`'s, else the demo's."""
    state = read_state()
    if state:
        return state
    try:
        state = json.loads((STATE_DIR / "demo" / "state.json").read_text())
    except (OSError, ValueError):
        return None
    # a demo killed outright (SIGKILL, out of memory) leaves its file: only a live one counts
    return state if isinstance(state, dict) and _alive(state.get("pid")) else None


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def token(role: str | None, sub: str | None = None) -> int:
    """`make token`: with the web app running, sign the seeded account of that role in and
    print the JWT Better Auth issues; otherwise a development token (devtools/devauth.py)."""
    state = running_state()
    web = state.get("web_app") if state else None
    if not isinstance(web, dict):
        from devtools import devauth

        env = state.get("env") if state else None
        served = env.get("DEVAUTH_DIR") if isinstance(env, dict) else None  # the key the running api trusts
        return devauth.main(
            [
                "token",
                *(["--role", role] if role else []),
                *(["--sub", sub] if sub else []),
                *(["--dir", str(served)] if served else []),
            ]
        )
    wanted = role or "user"
    account = next((Account(**a) for a in web["accounts"] if a["role"] == wanted), None)
    if account is None:
        print(f"no seeded account with role {wanted!r}", file=sys.stderr)
        return 1
    signed = signed_in_token(str(web["url"]), account)
    print(signed)
    functions = state.get("functions") if state else None
    api = functions.get("api") if isinstance(functions, dict) else None
    print(f'\n({account.email}, 15 minutes) curl -s -H "Authorization: Bearer {signed}" {api}/v1/me', file=sys.stderr)
    return 0


def down(timeout: float = 30.0) -> int:
    pid = holder()  # running or still starting
    for _ in range(20):  # 0: locked, its pid not written yet
        if pid != 0:
            break
        time.sleep(0.05)
        pid = holder()
    if not pid:
        STATE_FILE.unlink(missing_ok=True)  # a dead supervisor's, if any
        print("local stack is not running")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            print("local stack stopped")
            return 0
        time.sleep(0.2)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    STATE_FILE.unlink(missing_ok=True)
    print("local stack killed after timeout")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulators.supervisor")
    parser.add_argument("command", choices=["up", "down", "serve", "status", "token"])
    parser.add_argument("--log-dir", type=Path, default=STATE_DIR / "logs" / "latest", help="serve: where logs go")
    parser.add_argument("--role", default=None, help="token: e.g. admin")
    parser.add_argument("--sub", default=None, help="token: the subject of a development token")
    args = parser.parse_args(argv)
    if args.command == "token":
        return token(args.role, args.sub)
    if args.command == "up":
        return up()
    if args.command == "down":
        return down()
    if args.command == "serve":
        return _serve(args.log_dir)
    state = read_state()
    print(json.dumps(state, indent=2) if state else "local stack is not running")
    return 0  # "not running" is an answer, not a failure of make status


if __name__ == "__main__":
    sys.exit(main())
