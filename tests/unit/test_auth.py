"""JWT verification against a real JWKS endpoint with real Ed25519, RSA and P-256 keys."""

import base64
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from pydantic import SecretStr, ValidationError

from common.settings import Settings
from functions.api.auth import AuthError, KeysUnavailable, TokenVerifier, bearer_token
from tests.support.jwks import JwksServer, claims, ec_key, ed25519_key, rsa_key, serving

ED = ed25519_key("ed-1")
RSA = rsa_key("rsa-1")
EC = ec_key("ec-1")


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    with serving(ED, RSA, EC) as server:
        yield server


def verifier(server: JwksServer, **overrides: object) -> TokenVerifier:
    return TokenVerifier(Settings(AUTH_JWKS_URL=server.url, **overrides))  # type: ignore[arg-type]


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize("key", [ED, RSA, EC], ids=["EdDSA", "RS256", "ES256"])
def test_a_valid_token_from_each_supported_algorithm_is_accepted(jwks: JwksServer, key: object) -> None:
    token = key.sign(claims(time.time(), role="admin"))  # type: ignore[attr-defined]
    principal = verifier(jwks).verify(token)
    assert principal.sub == "user-1"
    assert principal.email == "u1@example.com"
    assert principal.is_admin


@pytest.mark.parametrize("sub", ["", "a/b", ".", "..", "__id__", "x" * 257])
def test_a_subject_no_user_document_can_be_named_by_is_a_bad_token(jwks: JwksServer, sub: str) -> None:
    with pytest.raises(AuthError, match="usable user id"):
        verifier(jwks).verify(ED.sign(claims(time.time(), sub=sub)))


def test_a_tampered_payload_is_rejected(jwks: JwksServer) -> None:
    header, _payload, signature = ED.sign(claims(time.time())).split(".")
    forged = ".".join([header, b64(claims(time.time(), sub="someone-else")), signature])
    with pytest.raises(AuthError):
        verifier(jwks).verify(forged)


def test_an_expired_token_is_rejected_but_small_clock_skew_is_tolerated(jwks: JwksServer) -> None:
    now = time.time()
    with pytest.raises(AuthError, match="expired"):
        verifier(jwks).verify(ED.sign(claims(now, exp=int(now) - 120)))
    assert verifier(jwks).verify(ED.sign(claims(now, exp=int(now) - 5))).sub == "user-1"


def test_a_token_without_expiry_is_rejected(jwks: JwksServer) -> None:
    token = ED.sign({k: v for k, v in claims(time.time()).items() if k != "exp"})
    with pytest.raises(AuthError):
        verifier(jwks).verify(token)


def test_a_token_from_another_issuer_is_rejected(jwks: JwksServer) -> None:
    with pytest.raises(AuthError, match="issuer"):
        verifier(jwks).verify(ED.sign(claims(time.time(), iss="https://evil.example")))


def test_a_token_for_another_audience_is_rejected(jwks: JwksServer) -> None:
    with pytest.raises(AuthError, match="audience"):
        verifier(jwks).verify(ED.sign(claims(time.time(), aud="https://other-app.example")))


def test_issuer_and_audience_are_configurable(jwks: JwksServer) -> None:
    token = ED.sign(claims(time.time(), iss="https://app.example", aud="https://api.example"))
    checked = verifier(jwks, AUTH_ISSUER="https://app.example", AUTH_AUDIENCE="https://api.example")
    assert checked.verify(token).sub == "user-1"
    with pytest.raises(AuthError):
        verifier(jwks).verify(token)


def test_an_unsigned_alg_none_token_is_rejected(jwks: JwksServer) -> None:
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': ED.kid})}.{b64(claims(time.time()))}."
    with pytest.raises(AuthError, match="not accepted"):
        verifier(jwks).verify(unsigned)
    with pytest.raises(AuthError):
        verifier(jwks, AUTH_HS256_SECRET="dev-secret-dev-secret-dev-secret-32").verify(unsigned)


@pytest.mark.parametrize("alg", [["EdDSA"], {"EdDSA": 1}, None, 7])
def test_a_header_whose_algorithm_is_no_string_is_a_client_error(jwks: JwksServer, alg: object) -> None:
    token = f"{b64({'alg': alg, 'typ': 'JWT', 'kid': ED.kid})}.{b64(claims(time.time()))}.AAAA"
    with pytest.raises(AuthError, match="not accepted"):
        verifier(jwks).verify(token)


def test_a_token_signed_by_an_unknown_key_is_rejected(jwks: JwksServer) -> None:
    stranger = ed25519_key("not-published")
    with pytest.raises(AuthError, match="unknown key"):
        verifier(jwks).verify(stranger.sign(claims(time.time())))


def test_a_token_claiming_a_published_kid_but_signed_by_another_key_is_rejected(jwks: JwksServer) -> None:
    impostor = ed25519_key(ED.kid)
    with pytest.raises(AuthError):
        verifier(jwks).verify(impostor.sign(claims(time.time())))


def test_an_rs256_token_presented_as_eddsa_is_rejected(jwks: JwksServer) -> None:
    """The algorithm is bound to the key, not taken from the header."""
    header, payload, signature = RSA.sign(claims(time.time())).split(".")
    relabelled = ".".join([b64({"alg": "EdDSA", "typ": "JWT", "kid": RSA.kid}), payload, signature])
    with pytest.raises(AuthError):
        verifier(jwks).verify(relabelled)
    del header


def _hs256_with_public_key() -> str:
    """The classic confusion attack: HMAC keyed with the server's RSA public key."""
    public_pem = RSA.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import hashlib
    import hmac

    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT', 'kid': RSA.kid})}.{b64(claims(time.time()))}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def test_hs256_signed_with_the_rsa_public_key_is_rejected(jwks: JwksServer) -> None:
    with pytest.raises(AuthError, match="not accepted"):
        verifier(jwks).verify(_hs256_with_public_key())


def test_hs256_signed_with_the_rsa_public_key_is_rejected_even_when_a_dev_secret_is_set(jwks: JwksServer) -> None:
    with pytest.raises(AuthError):
        verifier(jwks, AUTH_HS256_SECRET="dev-secret-dev-secret-dev-secret-32").verify(_hs256_with_public_key())


def test_hs256_works_only_when_a_development_secret_is_configured(jwks: JwksServer) -> None:
    secret = "dev-secret-dev-secret-dev-secret-32"
    token = jwt.encode(claims(time.time()), secret, algorithm="HS256")
    assert verifier(jwks, AUTH_HS256_SECRET=SecretStr(secret)).verify(token).sub == "user-1"
    with pytest.raises(AuthError, match="not accepted"):
        verifier(jwks).verify(token)


def test_a_development_secret_too_short_to_resist_guessing_is_refused(jwks: JwksServer) -> None:
    with pytest.raises(ValidationError, match="AUTH_HS256_SECRET"):
        verifier(jwks, AUTH_HS256_SECRET="dev-secret")
    assert verifier(jwks, AUTH_HS256_SECRET="").hs256_secret is None  # set empty: off, as unset


def test_a_rotated_key_is_accepted_without_restarting(jwks: JwksServer) -> None:
    checked = verifier(jwks, AUTH_JWKS_REFETCH_COOLDOWN_S=0)
    assert checked.verify(ED.sign(claims(time.time()))).sub == "user-1"
    rotated = ed25519_key("ed-2")
    jwks.publish(rotated)  # Better Auth adds the new key and keeps the old one for a while
    assert checked.verify(rotated.sign(claims(time.time(), sub="user-2"))).sub == "user-2"
    assert checked.verify(ED.sign(claims(time.time()))).sub == "user-1"


def test_a_key_rotated_just_after_the_keys_were_fetched_is_accepted_at_once(jwks: JwksServer) -> None:
    checked = verifier(jwks, AUTH_JWKS_REFETCH_COOLDOWN_S=60)
    assert checked.verify(ED.sign(claims(time.time()))).sub == "user-1"  # the instance's first fetch
    rotated = ed25519_key("ed-new")
    jwks.publish(rotated)  # seconds later: the cooldown spaces forced refetches, not this one
    assert checked.verify(rotated.sign(claims(time.time(), sub="user-2"))).sub == "user-2"
    assert jwks.fetches == 2


def test_unknown_kids_cannot_make_the_api_hammer_the_jwks_url(jwks: JwksServer) -> None:
    checked = verifier(jwks, AUTH_JWKS_REFETCH_COOLDOWN_S=60)
    checked.verify(ED.sign(claims(time.time())))
    for n in range(25):
        with pytest.raises(AuthError):
            checked.verify(ed25519_key(f"made-up-{n}").sign(claims(time.time())))
    assert jwks.fetches == 2  # the first unknown kid's refetch; none for the next 24
    assert checked.verify(RSA.sign(claims(time.time()))).sub == "user-1"  # cached set still serves


def test_known_keys_are_served_from_cache(jwks: JwksServer) -> None:
    checked = verifier(jwks)
    for _ in range(10):
        checked.verify(ED.sign(claims(time.time())))
    assert jwks.fetches == 1


def test_a_jwks_outage_after_the_cache_expired_verifies_with_the_keys_fetched_before(jwks: JwksServer) -> None:
    checked = verifier(jwks, AUTH_JWKS_CACHE_S=0.2, AUTH_JWKS_RETRY_S=60)
    assert checked.verify(ED.sign(claims(time.time()))).sub == "user-1"
    time.sleep(0.3)  # the cached set has expired...
    jwks.down = True  # ... and the web app is restarting
    for _ in range(20):
        assert checked.verify(ED.sign(claims(time.time()))).sub == "user-1"
    assert jwks.attempts == 2  # one fetch that failed, then none until the retry delay
    stranger = ed25519_key("made-up")  # an unknown kid cannot force a fetch during the pause
    for _ in range(3):
        with pytest.raises(KeysUnavailable):  # nor be called forged while the keys cannot be read
            checked.verify(stranger.sign(claims(time.time())))
    assert jwks.attempts == 2


def test_a_rotated_key_during_an_outage_is_unavailable_at_every_request_never_forged(jwks: JwksServer) -> None:
    checked = verifier(jwks, AUTH_JWKS_RETRY_S=0, AUTH_JWKS_REFETCH_COOLDOWN_S=60)
    assert checked.verify(ED.sign(claims(time.time()))).sub == "user-1"
    jwks.down = True  # the web app rotated its key and its JWKS is failing
    rotated = ed25519_key("rotated")
    for _ in range(5):  # the first forces a fetch that fails; the next ones wait out the cooldown
        with pytest.raises(KeysUnavailable):
            checked.verify(rotated.sign(claims(time.time())))
    assert checked.verify(ED.sign(claims(time.time()))).sub == "user-1"  # known keys still verify


def test_without_keys_fetched_before_a_failed_fetch_is_not_repeated_per_request() -> None:
    with serving(ED) as server:
        server.down = True
        checked = verifier(server, AUTH_JWKS_RETRY_S=60)
        for _ in range(5):
            with pytest.raises(KeysUnavailable):
                checked.verify(ED.sign(claims(time.time())))
        assert server.attempts == 1


def test_an_unreachable_jwks_is_a_service_problem_not_a_bad_token() -> None:
    with serving(ED) as server:
        url = server.url
    checked = TokenVerifier(Settings(AUTH_JWKS_URL=url))
    with pytest.raises(KeysUnavailable):
        checked.verify(ED.sign(claims(time.time())))


@pytest.mark.parametrize("verified", [False, None, "true", 1])
def test_an_address_the_token_does_not_say_was_confirmed_is_no_address(jwks: JwksServer, verified: object) -> None:
    """Anyone can sign up as someone else: only a confirmed address may receive alerts."""
    token = ED.sign(claims(time.time(), email="victim@example.com", email_verified=verified))
    assert verifier(jwks).verify(token).email is None
    confirmed = ED.sign(claims(time.time(), email="victim@example.com", email_verified=True))
    assert verifier(jwks).verify(confirmed).email == "victim@example.com"


def test_several_roles_in_one_claim_are_understood(jwks: JwksServer) -> None:
    assert verifier(jwks).verify(ED.sign(claims(time.time(), role="user,admin"))).is_admin
    assert not verifier(jwks).verify(ED.sign(claims(time.time(), role="user"))).is_admin


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "Token x"])
def test_only_a_bearer_authorization_header_carries_a_token(header: str | None) -> None:
    with pytest.raises(AuthError):
        bearer_token(header)


def test_garbage_is_a_malformed_token(jwks: JwksServer) -> None:
    for garbage in ["", "abc", "a.b.c", "....", "eyJhbGciOiJFZERTQSJ9.e30."]:
        with pytest.raises(AuthError):
            verifier(jwks).verify(garbage)


CUT_OFF = b'{"keys": ['  # announced as 5000 bytes
OKP_X = b'"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"'


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (502, b"<html><body>Bad gateway</body></html>"),
        (200, b"<html><body>Sign in</body></html>"),  # a proxy's login page
        (200, b'{"keys": []}'),
        (200, b"[]"),
        (200, b'{"keys": [{"kty": "nonsense", "kid": "x"}]}'),
        (200, b'"keys"'),
        (200, b'{"keys": [{' + OKP_X + b', "use": "enc", "kid": "e"}]}'),  # no signing key
        (200, b'{"keys": [{' + OKP_X + b"}]}"),  # a key without kid
        (200, CUT_OFF),  # the connection closes mid-answer: the web app restarted
    ],
)
def test_a_jwks_outage_in_any_form_is_a_service_problem_never_a_crash_or_a_bad_token(status: int, body: bytes) -> None:
    """Better Auth down behind a proxy, a misconfigured route, a deploy with no keys yet:
    the API answers 503 (KeysUnavailable), not 500 and not 401."""

    class Broken(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if body[:1] in b'[{"' else "text/html")
            self.send_header("Content-Length", str(5000 if body is CUT_OFF else len(body)))
            self.end_headers()
            self.wfile.write(body)
            if body is CUT_OFF:  # reset, not closed: what a killed process's socket sends
                self.wfile.flush()
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Broken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        checked = TokenVerifier(Settings(AUTH_JWKS_URL=f"http://127.0.0.1:{server.server_port}/api/auth/jwks"))
        with pytest.raises(KeysUnavailable):
            checked.verify(ED.sign(claims(time.time())))
    finally:
        server.shutdown()
        server.server_close()
