"""api: the HTTP function. functions-framework hands every request to :func:`api` (one its
own route cannot take to :func:`unrouted`), which dispatches it into the Flask app built once
per instance."""

import io
import threading

import flask
import functions_framework
from flask import Flask, Request, Response, current_app, has_app_context
from werkzeug.exceptions import NotFound

from common import log
from common.adapters import firestore as fs
from common.adapters.bigquery import BigQueryHours
from common.settings import Settings, get_settings
from functions.api.app import create_app
from functions.api.auth import TokenVerifier
from functions.api.cache import TtlMemo
from functions.api.history import FirestoreHours, HistoryReader
from functions.api.ratelimit import RateLimiter
from functions.api.services import Backtest, Services
from functions.api.store import Store

_lock = threading.Lock()
_app: Flask | None = None


def _backtest(settings: Settings, store: Store) -> Backtest | None:
    """The detector's replay core bound to stored data (None until that core exists)."""
    from functions.api.preview import make_backtest

    return make_backtest(settings, store)


def build_services(settings: Settings) -> Services:
    db = fs.get_client(settings.project_id)
    store = Store(db)
    return Services(
        settings=settings,
        store=store,
        verifier=TokenVerifier(settings),
        limiter=RateLimiter(db),
        history=HistoryReader(
            recent=FirestoreHours(store),
            archive=BigQueryHours(settings),
            days=store,
            archive_keeps_hours=settings.history_retention_days * 24 or None,
        ),
        backtest=_backtest(settings, store),
        trending=TtlMemo(settings.trending_cache_s),
        alerts=TtlMemo(settings.alerts_cache_s),
    )


def get_app() -> Flask:
    global _app  # noqa: PLW0603 - one app per instance, built on first request
    with _lock:
        if _app is None:
            settings = get_settings()
            log.configure(settings.log_level, settings.project_id, "api")
            _app = create_app(build_services(settings))
        return _app


@functions_framework.http
def api(request: Request) -> Response:
    return _serve(request)


def _serve(request: Request) -> Response:
    app = get_app()
    with app.request_context(request.environ):
        response = app.full_dispatch_request()
    # functions-framework reads what is left of the body once we have answered, whole and
    # unbounded, to spare the client a reset: a body the app refused unread (a 401 before it
    # looks, a 413 past API_MAX_BODY_BYTES) would sit in memory all the same. Left unread,
    # the server discards it in chunks or closes the connection.
    request.environ["wsgi.input"], request.environ["CONTENT_LENGTH"] = io.BytesIO(), "0"
    return response


def unrouted(exc: NotFound) -> Response:
    """Whatever functions-framework's own app answers 404 (its ``<path:path>`` stops at a line
    break, ``/v1/tickers/%0A``; its own paths such as ``/robots.txt``) never reached
    :func:`api`: handed to the API's app all the same, which routes it as any other, with its
    JSON errors, CORS headers and log line, not Flask's HTML page."""
    return _serve(flask.request)


if has_app_context():  # loaded by functions-framework, inside the app it is building for us
    current_app.register_error_handler(NotFound, unrouted)
