"""The local stack never leaves a process behind, even when its parent is killed."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from emulators.processes import Service, free_port

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # a zombie is dead for our purposes
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_a_service_is_ready_by_http_probe_and_stops_with_its_whole_group(tmp_path: Path) -> None:
    port = free_port()
    service = Service(
        "http", [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], port, tmp_path / "http.log"
    ).start(ready_timeout=20)
    assert service.process is not None
    pid = service.process.pid
    assert _alive(pid)
    service.stop()
    assert not _alive(pid)


@pytest.mark.parametrize("launcher", ["setpriv", "preexec_fn fallback"])
def test_a_service_dies_with_its_parent_even_when_the_parent_is_killed(tmp_path: Path, launcher: str) -> None:
    port = free_port()
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from emulators import processes
        if {launcher == "preexec_fn fallback"!r}:
            processes._SETPRIV = None
        from emulators.processes import Service
        from pathlib import Path
        s = Service("http", [sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"],
                    {port}, Path({str(tmp_path)!r}) / "http.log").start(ready_timeout=20)
        print(s.process.pid, flush=True)
        time.sleep(600)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_readiness_is_asked_of_the_port_itself_never_of_a_proxy_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A proxy's error page for a port nothing listens on must not read as the service up."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from emulators.processes import wait_http

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(502)

        def log_message(self, *args: object) -> None:
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.server_address[1]}")
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        with pytest.raises(TimeoutError):
            wait_http(f"http://127.0.0.1:{free_port()}/", timeout=0.5)
    finally:
        proxy.shutdown()
