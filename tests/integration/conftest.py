"""The API's token issuer for the integration tests that call the api in process: one signing
key (``tests.support.api.API_KEY``) served as a JWKS for each module, and a client on it."""

from collections.abc import Iterator

import pytest

from emulators.stack import Stack
from tests.support.api import API_KEY, ApiClient, make_client
from tests.support.jwks import JwksServer, serving


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with serving(API_KEY) as server:
        yield server


@pytest.fixture
def api(emulators: Stack, jwks: JwksServer) -> ApiClient:
    del emulators
    return make_client(jwks, API_KEY)
