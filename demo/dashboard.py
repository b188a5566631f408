"""Serve ``dashboard/`` (static files, uPlot from its npm package) beside the local API.

A separate origin on purpose: it is how the real frontend reaches the API, so the demo
exercises the API's CORS allow-list instead of bypassing it, and the deployed api function
carries no UI files. The page learns where the API is from ``config.json``, which only this
server writes; the origin is never taken from the page's URL.
"""

import json
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent / "dashboard"
UPLOT = ROOT / "node_modules" / "uplot" / "dist" / "uPlot.iife.min.js"


class _Handler(SimpleHTTPRequestHandler):
    config: bytes = b"{}"

    def __init__(self, *args: Any, config: bytes, **kwargs: Any) -> None:
        self.config = config
        super().__init__(*args, **kwargs)

    def send_head(self) -> BytesIO | Any:
        if self.path.split("?", 1)[0] == "/config.json":
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(self.config)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            return BytesIO(self.config)
        return super().send_head()

    def list_directory(self, path: str | Any) -> None:
        self.send_error(HTTPStatus.NOT_FOUND, "no listing")

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class DashboardServer:
    """The dashboard on ``127.0.0.1:port`` in a daemon thread of the demo process (nothing
    to leave behind: it ends with the process). The port is bound at once (0: one the system
    picks), before the stack starts and names its origin in the API's CORS list; it serves
    from :meth:`start`, once the API's address is known."""

    def __init__(self, port: int = 0, root: Path = ROOT) -> None:
        if not UPLOT.exists():
            raise FileNotFoundError(f"{UPLOT} is missing: run `make dashboard` (npm ci --prefix dashboard)")
        self.root = root
        self.server = ThreadingHTTPServer(("127.0.0.1", port), partial(_Handler, directory=str(root), config=b"{}"))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="dashboard", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    @property
    def origin(self) -> str:
        return self.url.rstrip("/")

    def start(self, api_url: str) -> "DashboardServer":
        config = json.dumps({"api": api_url}).encode()
        self.server.RequestHandlerClass = partial(_Handler, directory=str(self.root), config=config)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() waits for a serve loop that never began
            self.server.shutdown()
        self.server.server_close()
