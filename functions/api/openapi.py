"""The route registry and the OpenAPI 3.1 document built from it.

Each route is declared once with the pydantic models it validates (path, query, body) and
returns; the Flask rules and the OpenAPI document are both generated from those
declarations, so the document describes exactly what the code enforces. A framework
(spectree, flask-smorest) would impose its own error shape; this is the small part of one
we need.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from functions.api.models import ErrorResponse

F = TypeVar("F", bound=Callable[..., Any])
REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI style: /v1/alerts/{alert_id}
    handler: Callable[..., Any]
    summary: str
    tag: str
    params: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    auth: bool = True
    touches_user: bool = True  # the caller's users/{sub} made on first use (not by the route deleting it)
    admin: bool = False
    rate_limited: bool = True
    # the window a signed-in caller's request counts in (ratelimit.user_key): None, the
    # caller's own, or admin work's; one of its own where the caller's other traffic must not
    # refuse it (the web app removing an account whose requests spent the minute's)
    rate_window: str | None = None
    may_404: bool = False
    may_409: bool = False
    may_400: bool = False
    may_403: bool = False  # refused to a caller for a reason other than its role (a suspended account)

    @property
    def window(self) -> str:
        return self.rate_window or ("admin" if self.admin else "user")

    @property
    def rule(self) -> str:
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path)

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


class Registry:
    def __init__(self) -> None:
        self.operations: list[Operation] = []

    def route(self, method: str, path: str, **options: Any) -> Callable[[F], F]:
        def register(handler: F) -> F:
            self.operations.append(Operation(method=method, path=path, handler=handler, **options))
            return handler

        return register


API = Registry()

_ERRORS = {
    400: "malformed request (bad JSON, bad cursor)",
    401: "missing, invalid or expired token",
    403: "authenticated but not allowed (admin only, or the account is suspended)",
    404: "no such resource",
    409: "conflict with the stored state",
    413: "request body too large",
    415: "request body is not application/json",
    422: "request failed validation",
    429: "rate limit exceeded; retry after Retry-After seconds",
    503: "a dependency (signing keys) is unavailable",
}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """Query and path values cannot be JSON null: drop the null branch of optionals."""
    schema = {k: v for k, v in schema.items() if not (k == "default" and v is None)}
    branches = schema.get("anyOf")
    if isinstance(branches, list):
        rest = [b for b in branches if b != {"type": "null"}]
        if len(rest) == 1:
            schema.pop("anyOf")
            schema = {**rest[0], **schema}
        else:
            schema["anyOf"] = rest
    return schema


def _parameters(model: type[BaseModel], where: str, defs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    defs.update(schema.pop("$defs", {}))
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema.get("properties", {}).items():
        description = prop.pop("description", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": _without_null(prop),
        }
        if description:
            parameter["description"] = description
        out.append(parameter)
    return out


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF.format(model=ref)}}}


def _operation(op: Operation, names: dict[Any, str], defs: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag]}
    params: list[dict[str, Any]] = []
    if op.params:
        params += _parameters(op.params, "path", defs)
    if op.query:
        params += _parameters(op.query, "query", defs)
    if params:
        doc["parameters"] = params
    if op.body:
        doc["requestBody"] = {"required": True, "content": _json(names[(op.body, "validation")])}
    responses: dict[str, Any] = {}
    if op.response:
        responses[str(op.status)] = {"description": "success", "content": _json(names[(op.response, "serialization")])}
    else:
        responses[str(op.status)] = {"description": "success, no content"}
    codes = {422} if (op.params or op.query or op.body) else set()
    codes |= {400, 413, 415} if op.body else set()
    codes |= {401, 503} if op.auth else set()
    codes |= {403} if op.admin or op.may_403 else set()
    codes |= {404} if op.may_404 else set()
    codes |= {409} if op.may_409 else set()
    codes |= {400} if op.may_400 else set()
    codes |= {429} if op.rate_limited else set()
    error = names[(ErrorResponse, "serialization")]
    for code in sorted(codes):
        response: dict[str, Any] = {"description": _ERRORS[code], "content": _json(error)}
        if code == 429:
            response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "required": True}}
        responses[str(code)] = response
    doc["responses"] = responses
    if op.auth:
        doc["security"] = [{"bearer": []}]
    return doc


def document(registry: Registry, *, title: str, version: str) -> dict[str, Any]:
    wanted: set[tuple[type[BaseModel], JsonSchemaMode]] = {(ErrorResponse, "serialization")}
    for op in registry.operations:
        if op.body:
            wanted.add((op.body, "validation"))
        if op.response:
            wanted.add((op.response, "serialization"))
    ordered = sorted(wanted, key=lambda pair: (pair[0].__name__, pair[1]))
    mapping, top = models_json_schema(ordered, ref_template=REF)
    defs: dict[str, Any] = dict(top.get("$defs", {}))
    names = {key: value["$ref"].rsplit("/", 1)[1] for key, value in mapping.items()}
    paths: dict[str, dict[str, Any]] = {}
    for op in registry.operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, names, defs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
