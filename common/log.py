"""JSON-line logs that Cloud Logging parses (severity, message, labels, context ids).

google-cloud-logging's StructuredLogHandler does the formatting; this module only adds the
context every line of a handled message should carry (function, event id, message id, ...)
through a context variable, so handlers never thread ids through every call.
"""

import contextlib
import contextvars
import functools
import logging
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TextIO, TypeVar
from urllib.parse import urlencode

import flask
from google.cloud.logging.handlers import StructuredLogHandler

T = TypeVar("T")
R = TypeVar("R")
_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("log_context", default={})  # noqa: B039
# What every line of the process carries, set once by :func:`configure`: the function an
# instance serves, so a line written outside any message's context (the traceback of a
# crash, which the framework logs after the handler returned) still names it.
_process_fields: dict[str, Any] = {}
# Query parameters that are credentials (an unsubscribe link's token unsubscribes whoever
# holds it): a line names that one was there, never what it was.
SECRET_PARAMS = frozenset({"token"})


class _ContextFilter(logging.Filter):
    """Copies the current context into the record's ``json_fields`` (what the handler emits)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "http_request") and (http := http_request()) is not None:
            record.http_request = http
        fields = {**_process_fields, **_context.get()}
        fields.update(getattr(record, "json_fields", None) or {})
        # When the line was written (RFC 3339). Cloud Logging stamps each entry itself, and
        # the handler drops the reserved "time" field, so this one has a name of its own: a
        # local log read later still says when each line happened.
        fields.setdefault("logged_at", datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"))
        record.json_fields = fields
        return True


def json_handler(stream: TextIO, project_id: str | None = None) -> logging.Handler:
    """A handler writing Cloud Logging's JSON lines, with the context's ids, to ``stream``.
    With ``project_id``, a request's trace id is written as Cloud Logging links it
    (``projects/<id>/traces/<trace>``), which nests a function's lines under its request."""
    handler = StructuredLogHandler(stream=stream, project_id=project_id)  # type: ignore[no-untyped-call]
    # ahead of the handler's own filter, which settles each line's httpRequest
    handler.filters.insert(0, _ContextFilter())
    return handler


@functools.cache
def configure(level: str = "INFO", project_id: str | None = None, function: str | None = None) -> None:
    """Route the root logger to stdout as structured JSON, once per process; ``function``:
    the one this process serves, named on every line."""
    if function is not None:
        serving(function)
    root = logging.getLogger()
    root.handlers[:] = [json_handler(sys.stdout, project_id)]
    root.setLevel(level)
    for noisy in ("google", "urllib3", "grpc", "asyncprawcore", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def serving(function: str | None) -> None:
    """Name ``function`` on every line this process writes from now on (None: no more)."""
    if function is None:
        _process_fields.pop("function", None)
    else:
        _process_fields["function"] = function


@contextlib.contextmanager
def context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to every log line written inside the block."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def http_request() -> dict[str, Any] | None:
    """Cloud Logging's ``httpRequest`` for the request being served (None outside one), its
    URL with credentials redacted: every line written while a request is served carries one,
    a warning's or a traceback's as much as the request line's. Left to itself the handler
    reads it from Flask, the whole URL with the query's token, and so it would for the lines
    functions-framework's own Flask writes around the API's (an exception that escapes it)."""
    if not flask.has_request_context():
        return None
    req = flask.request
    url = req.url
    if not SECRET_PARAMS.isdisjoint(req.args.keys()):
        kept = [(k, "redacted" if k in SECRET_PARAMS else v) for k, v in req.args.items(multi=True)]
        url = f"{req.base_url}?{urlencode(kept)}"
    return {
        "requestMethod": req.method,
        "requestUrl": url,
        "userAgent": req.user_agent.string,
        "protocol": req.environ.get("SERVER_PROTOCOL"),
    }


def carried(fn: Callable[[T], R]) -> Callable[[T], R]:
    """``fn`` as a pool thread should run it: inside the log context of the thread that
    called ``carried`` (its function, message id...), which a new thread does not inherit.
    Each call runs in its own copy, so calls may overlap."""
    fields = _context.get()

    def run(item: T) -> R:
        token = _context.set(fields)
        try:
            return fn(item)
        finally:
            _context.reset(token)

    return run


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)
