"""The Flask app: one view per declared route wrapping the same steps — authenticate,
rate-limit, validate, call, serialise — plus CORS and JSON errors.

Order matters: authentication first (a bad token is 401 whatever else is wrong), then the
rate limit (per user, or per client IP on routes without auth), then input validation.
"""

import ipaddress
import json
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, redirect, request
from pydantic import BaseModel, ValidationError
from werkzeug.wrappers import Response as ResponseBase

from common import log
from common.fields import problems
from functions.api import (  # noqa: F401 - importing declares the routes
    account_routes,
    config_routes,
    feedback_routes,
    notify_routes,
    routes,
)
from functions.api.auth import AuthError, KeysUnavailable, Principal, bearer_token
from functions.api.errors import ApiError, error_response, install
from functions.api.openapi import API, Operation, document
from functions.api.ratelimit import user_key
from functions.api.services import Services

logger = log.get_logger(__name__)

CORS_METHODS = "GET, PUT, PATCH, POST, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type"


def client_ip() -> str:
    """Google's front end appends the caller's address to X-Forwarded-For; anything before it
    is whatever the client sent, so only the last entry is trusted. An IPv6 caller is its
    /64: one subscriber holds a whole one, and would otherwise be a new caller per address."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    address = hops[-1] if hops else (request.remote_addr or "unknown")
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv4Address):
        return str(parsed)
    embedded = _ipv4_inside(parsed)
    if embedded is not None:
        return str(embedded)  # a relay or translator's /64 holds many callers: the IPv4 one is the caller
    return str(ipaddress.IPv6Network((parsed, 64), strict=False))


# IPv6 forms that carry the caller's IPv4 address in their last 32 bits: NAT64 (RFC 6052)
# and the deprecated IPv4-compatible form.
_IPV4_IN_LOW_BITS = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))


def _ipv4_inside(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo's client, NAT64)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in net for net in _IPV4_IN_LOW_BITS):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _validate(model: type[BaseModel], data: Any, *, body: bool = False) -> BaseModel:
    """A JSON body is read strictly, as JSON (``true`` is no number, ``"1"`` none either; an
    array is a tuple, a string a URL): read loosely, ``{"until": true}`` was a ban ending in
    1970. A path's and a query's values are all text, read as what each field wants."""
    try:
        if body:
            return model.model_validate_json(json.dumps(data), strict=True)
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "invalid_request", problems(exc)) from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _json_body() -> Any:
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    raw = request.get_data(cache=False)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if (
        request.content_length is None
        and limit is not None
        and len(raw) >= limit
        and request.environ["wsgi.input"].read(1)
    ):
        # A chunked body has no length to check up front, and the server cuts it at the
        # limit without a word: what is left unread means it was larger than we accept.
        raise ApiError(413, "payload_too_large", f"the body is larger than {limit} bytes")
    try:
        return json.loads(raw, parse_constant=_reject_constant, parse_float=_finite)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_json", f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:  # "[[[[..." a few thousand deep: no body this API takes
        raise ApiError(400, "bad_json", "body is not valid JSON: nested too deeply") from exc


def _query_args() -> dict[str, str]:
    """The query string, each parameter once: ``?limit=1&limit=abc`` is ambiguous, and taking
    either value silently would answer a question the client may not have asked."""
    repeated = sorted(name for name, values in request.args.lists() if len(values) > 1)
    if repeated:
        raise ApiError(422, "invalid_request", f"query parameter given more than once: {', '.join(repeated)}")
    return request.args.to_dict(flat=True)


def _authenticate(svc: Services, *, touch: bool = True) -> Principal:
    try:
        principal = svc.verifier.verify(bearer_token(request.headers.get("Authorization")))
    except AuthError as exc:
        raise ApiError(401, "unauthorized", str(exc), {"WWW-Authenticate": 'Bearer error="invalid_token"'}) from exc
    except KeysUnavailable as exc:
        raise ApiError(503, "auth_unavailable", str(exc), {"Retry-After": "5"}) from exc
    if touch:
        svc.store.touch_user(principal)
    return principal


def _view(op: Operation, svc: Services) -> Callable[..., Response]:
    def view(**path: str) -> Response:
        kwargs: dict[str, Any] = {}
        principal = _authenticate(svc, touch=op.touches_user) if op.auth else None
        if principal is not None:
            kwargs["user"] = principal
            if op.admin and not principal.is_admin:
                raise ApiError(403, "forbidden", "this needs the admin role")
        if op.rate_limited:
            if principal is not None:
                svc.limiter.check(user_key(principal.sub, op.window), svc.settings.rate_limit_user_per_minute)
            else:
                svc.limiter.check(f"ip:{client_ip()}", svc.settings.rate_limit_ip_per_minute)
        if principal is not None and op.admin and svc.store.suspended(principal.sub, time.time()):
            # A banned admin's token outlives the ban by up to its 15 minutes: not as admin
            # (lifting its own suspension, changing thresholds), whatever its role claim says.
            raise ApiError(403, "account_suspended", "an admin suspended this account")
        if op.params:
            kwargs["params"] = _validate(op.params, path)
        if op.query:
            kwargs["query"] = _validate(op.query, _query_args())
        if op.body:
            kwargs["body"] = _validate(op.body, _json_body(), body=True)
        result = op.handler(svc, **kwargs)
        if result is None:
            return Response(status=op.status)
        return Response(result.model_dump_json(), status=op.status, mimetype="application/json")

    view.__name__ = op.operation_id
    return view


def _install_cors(app: Flask, origins: frozenset[str]) -> None:
    """Only listed origins get CORS headers; a preflight from any other is refused."""

    @app.before_request
    def _preflight() -> Response | None:
        if request.method != "OPTIONS":
            return None
        origin = request.headers.get("Origin")
        if origin not in origins:
            return error_response(403, "origin_not_allowed", "this origin may not call the API")
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
        return response

    @app.after_request
    def _allow(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin and origin in origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "Retry-After"
        response.headers.add("Vary", "Origin")
        if request.headers.get("Authorization") and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"  # the caller's own: no cache between may keep it
        return response


UNMATCHED = "unmatched"  # the route of a request no rule matched (a 404, or a 405's method)


def _route() -> str:
    """The rule's template (``/v1/alerts/<alert_id>``), never the raw path: a bounded label."""
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def _install_log_context(app: Flask, function: str) -> None:
    """Every line written while a request is handled, its error handlers' included, names the
    function, the route (the rule's template) and the operation, as the Pub/Sub functions'
    lines name theirs; when the response is ready, one line per request says how it went.

    That line is the contract of the ``api_requests`` and ``api_latency`` metrics
    (terraform/monitoring.tf): message ``served <method> <route> <status> ...``, severity
    INFO whatever the status (a 5xx's cause is logged as an error where it happens), fields
    ``route``, ``method``, ``status`` (int) and ``latency_ms`` (float), and Cloud Logging's
    ``httpRequest`` with the status and latency, so Logs Explorer shows it as a request."""

    @app.before_request
    def _enter() -> None:
        g.started = time.perf_counter()
        context = log.context(function=function, route=_route(), operation=request.endpoint)
        context.__enter__()
        g.log_context = context

    @app.after_request
    def _served(response: Response) -> Response:
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        route, status = _route(), response.status_code
        http_request = {**(log.http_request() or {}), "status": status, "latency": f"{seconds:.6f}s"}
        if response.content_length is not None:
            http_request["responseSize"] = str(response.content_length)
        # status as a string: it is a metric label, and Cloud Logging keeps JSON numbers as doubles
        fields = {
            "route": route,
            "method": request.method,
            "status": str(status),
            "latency_ms": round(seconds * 1000, 1),
        }
        logger.info(
            "served %s %s %d in %.1f ms",
            request.method,
            route,
            status,
            seconds * 1000,
            extra={"json_fields": fields, "http_request": http_request},
        )
        return response

    @app.teardown_request
    def _leave(exc: BaseException | None) -> None:
        del exc
        context = g.pop("log_context", None)
        if context is not None:
            context.__exit__(None, None, None)


def create_app(svc: Services) -> Flask:
    app = Flask("akleao-api")
    app.config["MAX_CONTENT_LENGTH"] = svc.settings.api_max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    _install_log_context(app, svc.settings.function_name)
    install(app)
    _install_cors(app, frozenset(svc.settings.cors_origins))
    for op in API.operations:
        app.add_url_rule(op.rule, endpoint=op.operation_id, view_func=_view(op, svc), methods=[op.method])
    spec = json.dumps(document(API, title="Akleao Finance API", version="1"))

    def openapi() -> Response:
        svc.limiter.check(f"ip:{client_ip()}", svc.settings.rate_limit_ip_per_minute)
        return Response(spec, mimetype="application/json")

    app.add_url_rule("/v1/openapi.json", endpoint="openapi", view_func=openapi, methods=["GET"])

    def unsubscribe_page() -> ResponseBase:
        """An email's unsubscribe URL opened in a browser (a mail client without one-click
        opens the header's link): the app's page, which asks before it acts."""
        token = request.args.get("token", "")
        return redirect(f"{svc.settings.app_url.rstrip('/')}/unsubscribe?{urlencode({'token': token})}", code=303)

    app.add_url_rule("/v1/unsubscribe", endpoint="unsubscribe_page", view_func=unsubscribe_page, methods=["GET"])
    return app
