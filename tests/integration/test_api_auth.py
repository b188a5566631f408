"""Through the HTTP API: real Ed25519 and RSA keys behind a live JWKS; good tokens get in,
every forged, stale or misaddressed one is a 401 with the JSON error, and a rotated key
works without restarting the app."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization

from emulators.stack import Stack
from tests.support.api import ApiClient, make_client
from tests.support.jwks import JwksServer, SigningKey, claims, ed25519_key, rsa_key, serving

ED = ed25519_key("ed-main")
RSA = rsa_key("rsa-main")


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with serving(ED, RSA) as server:
        yield server


@pytest.fixture
def api(emulators: Stack, jwks: JwksServer) -> ApiClient:
    del emulators
    return make_client(jwks, ED, AUTH_JWKS_REFETCH_COOLDOWN_S=0)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def segment(data: dict[str, object]) -> str:
    return b64(json.dumps(data).encode())


def tampered() -> str:
    header, _, signature = ED.sign(claims(time.time())).split(".")
    return f"{header}.{segment(claims(time.time(), sub='admin', role='admin'))}.{signature}"


def alg_none() -> str:
    return f"{segment({'alg': 'none', 'typ': 'JWT', 'kid': ED.kid})}.{segment(claims(time.time()))}."


def hs256_with_public_key() -> str:
    pem = RSA.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{segment({'alg': 'HS256', 'typ': 'JWT', 'kid': RSA.kid})}.{segment(claims(time.time()))}"
    return f"{signing_input}.{b64(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())}"


REJECTED = {
    "tampered": tampered,
    "expired": lambda: ED.sign(claims(time.time(), exp=int(time.time()) - 600)),
    "wrong issuer": lambda: ED.sign(claims(time.time(), iss="https://evil.example")),
    "wrong audience": lambda: RSA.sign(claims(time.time(), aud="https://someone-else.example")),
    "alg none": alg_none,
    "unknown kid": lambda: ed25519_key("never-published").sign(claims(time.time())),
    "HS256 with the public key": hs256_with_public_key,
    "not a JWT": lambda: "not-a-jwt",
}


@pytest.mark.parametrize("key", [ED, RSA], ids=["Ed25519", "RSA"])
def test_a_valid_token_is_accepted(api: ApiClient, key: SigningKey) -> None:
    token = key.sign(claims(time.time(), sub=f"user-{key.alg}"))
    response = api.http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["id"] == f"user-{key.alg}"


@pytest.mark.parametrize("make", REJECTED.values(), ids=REJECTED.keys())
def test_a_bad_token_is_rejected_with_401(api: ApiClient, make: object) -> None:
    token = make()  # type: ignore[operator]
    response = api.http.get("/v1/alerts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_rotated_key_works_without_restarting_the_app(api: ApiClient, jwks: JwksServer) -> None:
    assert api.call("GET", "/v1/me").status_code == 200  # the JWKS is now cached
    rotated = ed25519_key("ed-rotated")
    jwks.publish(rotated)
    try:
        token = rotated.sign(claims(time.time(), sub="after-rotation"))
        response = api.http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        assert response.get_json()["id"] == "after-rotation"
    finally:
        jwks.keys.remove(rotated)


def test_an_admin_route_refuses_a_valid_non_admin_token_with_403(api: ApiClient) -> None:
    response = api.call("PUT", "/v1/config/detection", json={"config": {}}, role="user")
    assert response.status_code == 403


def test_signing_keys_out_of_reach_are_a_503_to_retry_not_a_401_that_signs_everyone_out(emulators: Stack) -> None:
    """Better Auth down (its JWKS refuses connections): every token is unverifiable for now,
    none is bad. A 401 would make the web app drop every user's session."""
    del emulators
    with serving(ED) as gone:
        pass  # stopped: its address now refuses connections
    api = make_client(gone, ED)
    response = api.call("GET", "/v1/me")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "auth_unavailable"
    assert int(response.headers["Retry-After"]) > 0
