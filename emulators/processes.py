"""Child processes that never outlive their parent: own process group, parent-death signal,
readiness by HTTP probe, logs to files, whole-group shutdown."""

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel kills it if its parent dies, even by SIGKILL."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


_SETPRIV = shutil.which("setpriv")


def launch_argv(command: Sequence[str], die_with_parent: bool) -> tuple[list[str], Callable[[], None] | None]:
    """How to start ``command`` so it dies with us.

    util-linux's ``setpriv --pdeathsig`` sets the signal and execs the command (the signal
    survives exec), so Python can spawn without running code between fork and exec. A
    ``preexec_fn`` forces a plain fork instead, and forking a process that holds gRPC
    channels (the tests' and benchmarks' clients) can abort the child inside gRPC's fork
    handlers (measured: ``epoll_wait ... Bad file descriptor``). The ``preexec_fn`` is only
    the fallback where setpriv is missing.
    """
    if not die_with_parent:
        return list(command), None
    if _SETPRIV:
        return [_SETPRIV, "--pdeathsig", "KILL", "--", *command], None
    return list(command), _die_with_parent


_HANDED_OUT: set[int] = set()
_HANDING = threading.Lock()


def free_port() -> int:
    """A port free now and never handed out before in this process: the kernel can give the
    same free port to two binds in a row, and a stack picks all its ports before any service
    binds one (measured: about 1 start in 1,200 gave two services one port)."""
    with _HANDING:
        while True:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
            if port not in _HANDED_OUT:
                _HANDED_OUT.add(port)
                return port


# Straight to the local port: through an http_proxy from the environment, the proxy's own
# error page would read as the service answering before it listens, and calls to the local
# services would leave the machine. The stack's, the demo's and the benchmarks' own calls
# to its ports go through it.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def open_local(request: "str | urllib.request.Request", timeout: float) -> Any:
    """``urllib.request.urlopen`` for the stack's own services, ignoring proxy settings."""
    return _DIRECT.open(request, timeout=timeout)


def wait_http(
    url: str, timeout: float, process: "subprocess.Popen[bytes] | None" = None, *, healthy: bool = False
) -> float:
    """Poll ``url`` until any HTTP answer arrives (``healthy``: an answer below 500, for a
    path that says whether the service is ready, such as bqemulator's ``/readyz``, which
    answers 503 until it is); returns the seconds it took."""
    start = time.monotonic()
    while True:
        try:
            with open_local(url, timeout=1):
                return time.monotonic() - start
        except urllib.error.HTTPError as exc:
            if not (healthy and exc.code >= 500):
                return time.monotonic() - start  # it answered: it is listening
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {process.returncode} before it was ready")
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{url} not ready after {timeout:.0f}s")
        time.sleep(0.1)


@dataclass
class Service:
    """One background process of the local stack."""

    name: str
    command: Sequence[str]
    port: int
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    ready_path: str = "/"
    cwd: Path | None = None
    process: "subprocess.Popen[bytes] | None" = None
    started_in: float = 0.0
    _log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 60.0, die_with_parent: bool = True) -> "Service":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        argv, preexec = launch_argv(self.command, die_with_parent)
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env},
            cwd=self.cwd,
            start_new_session=True,
            preexec_fn=preexec,  # noqa: PLW1509
        )
        try:
            self.started_in = wait_http(
                self.url + self.ready_path, ready_timeout, self.process, healthy=self.ready_path != "/"
            )
        except Exception as exc:
            self.stop()
            raise RuntimeError(
                f"{self.name} did not start: {exc}\n--- last lines of {self.log_path}:\n{self.log_tail()}"
            ) from exc
        except BaseException:  # stopped while it started (Ctrl-C, the stack's SIGTERM): not left running
            self.stop()
            raise
        return self

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def terminate(self) -> None:
        """Ask the whole group to stop without waiting, so many services stop in parallel."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self, grace: float = 5.0) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                # a process stuck even so (in the kernel) must not stop the others' shutdown
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(grace)
        if self._log is not None:
            self._log.close()
            self._log = None
