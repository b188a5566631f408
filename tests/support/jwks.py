"""A real JWKS endpoint on loopback for auth tests: keys can be added (rotation) while it
runs, and it counts how often it was fetched."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

ISSUER = "http://localhost:3000"
AUDIENCE = "http://localhost:3000"


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any

    @property
    def public_jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        if self.alg == "EdDSA":
            jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
        elif self.alg == "RS256":
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm=self.alg, headers={"kid": self.kid, **(headers or {})})


def ed25519_key(kid: str) -> SigningKey:
    return SigningKey(kid, "EdDSA", ed25519.Ed25519PrivateKey.generate())


def rsa_key(kid: str) -> SigningKey:
    return SigningKey(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


@dataclass
class JwksServer:
    keys: list[SigningKey] = field(default_factory=list)
    fetches: int = 0
    url: str = ""
    down: bool = False  # answer 503, as a web app restarting would
    attempts: int = 0  # every GET, answered or not

    def publish(self, key: SigningKey) -> None:
        self.keys.append(key)

    def body(self) -> bytes:
        self.fetches += 1
        return json.dumps({"keys": [k.public_jwk for k in self.keys]}).encode()


@contextmanager
def serving(*keys: SigningKey) -> Iterator[JwksServer]:
    state = JwksServer(list(keys))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.attempts += 1
            if state.down:
                self.send_error(503)
                return
            body = state.body()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/auth/jwks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def claims(now: float, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sub": "user-1",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now),
        "exp": int(now) + 600,
        "email": "u1@example.com",
        "email_verified": True,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}
