"""The local web app's client (`make token`, the demo, the web app tests) waits out Better
Auth's sign-in limit instead of failing: locally one address makes every sign-in."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from emulators.stack import WebAppClient


class Limited:
    def __init__(self, refusals: int) -> None:
        self.refusals, self.calls = refusals, 0


@pytest.fixture
def auth() -> Iterator[tuple[str, Limited]]:
    state = Limited(refusals=2)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            state.calls += 1
            refused = state.calls <= state.refusals
            body = json.dumps({"message": "Too many requests"} if refused else {"token": "t"}).encode()
            self.send_response(429 if refused else 200)
            self.send_header("Content-Type", "application/json")
            if refused:
                self.send_header("X-Retry-After", "7")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", state
    finally:
        server.shutdown()
        server.server_close()


def test_a_sign_in_over_the_limit_waits_what_the_server_asks_and_tries_again(auth: tuple[str, Limited]) -> None:
    url, state = auth
    waited: list[float] = []
    assert WebAppClient(url, sleep=waited.append).sign_in("a@example.com", "pw") == {"token": "t"}
    assert (state.calls, waited) == (3, [7.0, 7.0])


def test_a_limit_that_does_not_lift_is_the_error_it_was(auth: tuple[str, Limited]) -> None:
    url, state = auth
    state.refusals = 10
    with pytest.raises(Exception, match="429"):
        WebAppClient(url, sleep=lambda _: None).sign_in("a@example.com", "pw", tries=3)
    assert state.calls == 3
