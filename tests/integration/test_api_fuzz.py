"""Schemathesis generates requests from the API's own OpenAPI document (valid and invalid
inputs) and checks every answer: never a 5xx, only documented status codes, bodies and
headers that match the schema. Bounded examples keep it well under a minute."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from emulators.stack import Stack
from functions.api.openapi import API
from tests.support.api import ApiClient, alert_doc, make_client, put_alert, put_hour, put_ticker
from tests.support.jwks import JwksServer, ed25519_key, serving

KEY = ed25519_key("fuzz-key")
NOW = 1_760_000_000.0
EXAMPLES = 6  # per operation and mode: ~180 requests in all
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with serving(KEY) as server:
        yield server


@pytest.fixture
def client(emulators: Stack, jwks: JwksServer) -> ApiClient:
    del emulators
    for n, symbol in enumerate(["GME", "AMC", "TSLA"]):
        put_alert(alert_doc(symbol, n, updated_at=NOW - n * 100))
        put_ticker(symbol, NOW, {"1h": n + 1, "6h": 10 * n, "24h": 20 * n, "7d": 50 * n})
        put_hour(symbol, int(NOW // 3600) * 3600, n + 1)
    return make_client(jwks, KEY)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_generated_request_gets_a_5xx_or_an_undocumented_answer(client: ApiClient, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", client.app)
    headers = {"Authorization": f"Bearer {client.token(sub='fuzzer', role='admin')}"}
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results) == len(API.operations)  # none the fuzzer could not read, none left out

    for operation in operations:
        has_inputs = bool(len(operation.path_parameters) or len(operation.query) or len(operation.body))
        if mode is GenerationMode.NEGATIVE and not has_inputs:
            continue  # nothing to get wrong: no parameters, no body

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def exercise(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()
