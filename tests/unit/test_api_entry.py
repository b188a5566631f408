"""The api's entry point as functions-framework serves it: what the framework does around
the app must not undo the app's limits."""

import io
import sys
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from common.settings import Settings
from functions.api.app import create_app
from functions.api.auth import TokenVerifier
from functions.api.history import HistoryReader
from functions.api.ratelimit import RateLimiter
from functions.api.services import Services
from functions.api.store import Store

MAIN = Path(__file__).resolve().parents[2] / "functions" / "api" / "main.py"


class Unread(io.RawIOBase):
    """A request body of ``size`` bytes that counts what is read of it."""

    def __init__(self, size: int) -> None:
        self.left, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = b"x" * n
        self.left -= n
        self.read_bytes += n
        return n


class Nothing:
    def collection(self, name: str) -> Any:
        raise RuntimeError(f"no Firestore for {name}")


def _served(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The api as functions-framework serves it, over an app with no Firestore behind it."""
    settings = Settings(K_SERVICE="api")
    services = Services(
        settings=settings,
        store=Store(Nothing()),  # type: ignore[arg-type]
        verifier=TokenVerifier(settings),
        limiter=RateLimiter(Nothing()),  # type: ignore[arg-type]
        history=HistoryReader(recent=None, archive=None),  # type: ignore[arg-type]
    )
    # the framework loads the source as module "main" and puts its folder on sys.path: undone after
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setitem(sys.modules, "main", sys.modules.get("main"))
    framework = functions_framework.create_app(target="api", source=str(MAIN))  # type: ignore[no-untyped-call]
    monkeypatch.setattr(sys.modules["main"], "_app", create_app(services))
    return framework


@pytest.mark.parametrize("path", ["/v1/alerts/GME-2026010816/feedback", "/v1/no-such-route"])
def test_a_body_the_app_answered_without_reading_is_not_read_after_the_answer(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """A 401 or 404 answered before the body is looked at: 16 MB sent, none of it read (the
    framework's own after-request hook would read it all into memory)."""
    framework = _served(monkeypatch)
    size = 16 * 1024 * 1024
    body = Unread(size)
    environ = EnvironBuilder(path, method="POST", content_type="application/json").get_environ()
    environ |= {"wsgi.input": body, "CONTENT_LENGTH": str(size)}
    answer = Response.from_app(framework, environ)
    assert answer.status_code in (401, 404) and answer.is_json
    assert body.read_bytes == 0


def test_a_path_the_frameworks_route_cannot_take_reaches_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """The framework's route stops at a line break: such a path is the app's to answer (its
    JSON 404 and its Vary header), as the same path with a tab, which the framework routes."""
    framework = _served(monkeypatch)
    unrouted = Response.from_app(framework, EnvironBuilder("/v1/no-such%0Aroute").get_environ())
    routed = Response.from_app(framework, EnvironBuilder("/v1/no-such%09route").get_environ())
    assert (unrouted.status_code, unrouted.get_json()) == (routed.status_code, routed.get_json())
    assert unrouted.status_code == 404 and "Origin" in unrouted.headers.get("Vary", "")
