"""The api's one line per request, written by the real app in-process with its logger
captured as Cloud Logging reads it: the route is the rule's template (a bounded label, never
the raw path), and the api_requests and api_latency metrics of terraform/monitoring.tf
count exactly these lines."""

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import flask
import pytest
from flask.testing import FlaskClient

from common import log
from common.settings import Settings
from functions.api.app import UNMATCHED, create_app
from functions.api.auth import TokenVerifier
from functions.api.history import HistoryReader
from functions.api.ratelimit import RateLimiter
from functions.api.services import Services
from functions.api.store import Store
from tests.support.log_metrics import log_metrics, matches


class FirestoreGone:
    """A Firestore client whose every call fails with a bug-shaped error (an unhandled 500)."""

    def collection(self, name: str) -> Any:
        raise RuntimeError(f"no Firestore for {name}")


# path -> (route template, status): each kind of answer the line must describe
REQUESTS = {
    "/v1/health": ("/v1/health", 200),
    "/v1/alerts/GME-2026010816": ("/v1/alerts/<alert_id>", 401),
    "/v1/no-such-route": (UNMATCHED, 404),
    "/v1/openapi.json": ("/v1/openapi.json", 500),
}


@pytest.fixture
def client() -> FlaskClient:
    # K_SERVICE: what Cloud Run sets in production; a limit of 1 makes the limiter write (and
    # fail) while the request waits, the openapi document's 500 below.
    settings = Settings(K_SERVICE="api", RATE_LIMIT_IP_PER_MINUTE=1)
    services = Services(
        settings=settings,
        store=Store(FirestoreGone()),  # type: ignore[arg-type]
        verifier=TokenVerifier(settings),
        limiter=RateLimiter(FirestoreGone()),  # type: ignore[arg-type]
        history=HistoryReader(recent=None, archive=None),  # type: ignore[arg-type]
    )
    return create_app(services).test_client()


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """The JSON lines the api writes, as Cloud Logging receives them (one per line)."""
    stream = io.StringIO()
    handler = log.json_handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _serve_all(client: FlaskClient, written: io.StringIO) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every line written while REQUESTS are served, and the request lines among them."""
    for path, (_, status) in REQUESTS.items():
        assert client.get(path).status_code == status, path
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    return lines, [line for line in lines if str(line.get("message", "")).startswith("served ")]


def test_each_request_writes_one_line_with_its_route_template_status_and_latency(
    client: FlaskClient, written: io.StringIO
) -> None:
    _, served = _serve_all(client, written)
    assert [(line["route"], int(line["status"])) for line in served] == list(REQUESTS.values())
    assert all(isinstance(line["status"], str) for line in served)  # a label: "200", never 200.0
    assert all(line["method"] == "GET" and line["severity"] == "INFO" for line in served)
    assert all(isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0 for line in served)
    assert not any("GME-2026010816" in line["route"] or "no-such-route" in line["route"] for line in served)
    # Cloud Logging's own request fields, so Logs Explorer shows each line as a request
    request = served[1]["httpRequest"]
    assert (request["status"], request["requestMethod"]) == (401, "GET")
    assert request["requestUrl"].endswith("/v1/alerts/GME-2026010816")
    assert request["latency"].endswith("s") and float(request["latency"][:-1]) >= 0


def test_the_api_metrics_count_exactly_the_request_lines_the_app_writes(
    client: FlaskClient, written: io.StringIO
) -> None:
    lines, served = _serve_all(client, written)
    api_metrics = {name: spec for name, spec in log_metrics().items() if spec["message"] == "^served "}
    assert set(api_metrics) == {"api_requests", "api_latency"}
    for name, spec in api_metrics.items():
        assert [line for line in lines if matches(spec, line)] == served, name
    # the other lines of the same requests (the 500's traceback) are not counted as requests
    assert any(line["severity"] == "ERROR" and line["route"] == "/v1/openapi.json" for line in lines)


def test_no_line_written_while_a_request_is_served_names_its_token(client: FlaskClient, written: io.StringIO) -> None:
    """A warning or a traceback inside the request (or the logging library's own first line
    in a process) is given the request as the request line gives it: left to itself, the
    handler reads the whole URL from Flask, token and all."""
    app = client.application
    with app.test_request_context("/v1/unsubscribe?token=ann.0123456789abcdef&x=1"):
        app.preprocess_request()  # the before-request hooks, as serving runs them
        logging.getLogger("akleao.test.inside").warning("something to say")
        app.do_teardown_request()
    # functions-framework's own Flask app, which serves the API's: what it logs of a request
    # (an exception the API let escape) is written outside the API's request context
    with flask.Flask("functions-framework").test_request_context("/v1/unsubscribe?token=ann.0123456789abcdef"):
        logging.getLogger("akleao.test.outside").error("Exception on /v1/unsubscribe [GET]")
    assert "0123456789abcdef" not in written.getvalue()
    lines = [json.loads(x) for x in written.getvalue().splitlines()]
    [inside] = [x for x in lines if x.get("message") == "something to say"]
    assert inside["httpRequest"]["requestUrl"].endswith("/v1/unsubscribe?token=redacted&x=1")
    assert inside["route"] == "/v1/unsubscribe"
    [outside] = [x for x in lines if str(x.get("message")).startswith("Exception on")]
    assert outside["httpRequest"]["requestUrl"].endswith("/v1/unsubscribe?token=redacted")


def test_the_unsubscribe_links_token_is_never_written_to_the_request_log(
    client: FlaskClient, written: io.StringIO
) -> None:
    client.get("/v1/unsubscribe?token=ann.0123456789abcdef&x=1")
    assert "0123456789abcdef" not in written.getvalue()
    [served] = [json.loads(line) for line in written.getvalue().splitlines() if '"served ' in line]
    assert served["httpRequest"]["requestUrl"].endswith("/v1/unsubscribe?token=redacted&x=1")
