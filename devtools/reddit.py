"""Drive the local Reddit (emulators/reddit): its admin endpoints over HTTP, or the whole
server in a background thread of the test process for unit tests."""

import asyncio
import json
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from emulators.processes import free_port, open_local
from emulators.reddit.server import Replay, make_app


class LocalReddit:
    """The admin side of a running local Reddit."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("content-type", "application/json")
        with open_local(request, timeout=10) as response:
            return json.loads(response.read())

    def load(self, path: Path | str, now: float | str | None = None) -> Any:
        self.reset()
        return self._call("POST", "/_replay/load", {"path": str(path), "now": now})

    def clock(self, now: float | None = None, advance: float | None = None) -> float:
        body = {k: v for k, v in (("now", now), ("advance", advance)) if v is not None}
        return float(self._call("POST", "/_replay/clock", body)["now"])

    def fault(self, path: str, **spec: Any) -> None:
        self._call("POST", "/_replay/faults", {"path": path, **spec})

    def stats(self) -> dict[str, int]:
        return dict(self._call("GET", "/_replay/stats"))

    def clear_faults(self) -> None:
        self._call("DELETE", "/_replay/faults")

    def reset(self) -> None:
        self.clear_faults()
        self._call("DELETE", "/_replay/stats")


@contextmanager
def serve_in_thread(replay: Replay | None = None) -> Iterator[tuple[str, Replay]]:
    """The local Reddit on a free port, served from a thread of this process."""
    replay = replay or Replay()
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(make_app(replay), access_log=None)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", replay
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
