"""Local sign-in for development: an Ed25519 key of our own standing in for Better Auth.

``serve`` publishes the key's JWKS at ``/api/auth/jwks`` (Better Auth's path) on a local
port; the local stack runs it and points the api function's ``AUTH_JWKS_URL`` at it.
``token`` prints a token signed with that key (issuer and audience = the frontend's
default base URL, like Better Auth's) and a curl line to try it:

    make up && make token            # or: make token ROLE=admin

The key lives in ``.stack/devauth/`` and is kept between runs; it signs nothing but local
development tokens. Rotation is ``rotate``: a new current key, the old one still served.
"""

import argparse
import hashlib
import json
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from emulators.files import create_private

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = ROOT / ".stack" / "devauth"
BASE_URL = "http://localhost:3000"  # Better Auth's default issuer and audience: the app's base URL
JWKS_PATH = "/api/auth/jwks"


def public_jwk(key: Ed25519PrivateKey) -> dict[str, Any]:
    """The public half as a JWK whose ``kid`` is its RFC 7638 thumbprint."""
    jwk: dict[str, Any] = OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"), sort_keys=True)
    thumbprint = jwt.utils.base64url_encode(hashlib.sha256(canonical.encode()).digest()).decode()
    return {**jwk, "kid": thumbprint, "alg": "EdDSA", "use": "sig"}


def _write_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Written once, whole: a concurrent reader (the JWKS server, `make token`) never finds it
    empty, and of two creators the first key stays."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    create_private(path, pem)


def _read_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def current_key(directory: Path = DEFAULT_DIR) -> Ed25519PrivateKey:
    """The signing key, created on first use."""
    path = directory / "current.pem"
    if not path.exists() or path.stat().st_size == 0:
        _write_key(path, Ed25519PrivateKey.generate())
    return _read_key(path)


def rotate(directory: Path = DEFAULT_DIR) -> Ed25519PrivateKey:
    """A new current key; the previous one stays published so its tokens keep working."""
    current = directory / "current.pem"
    if current.exists():
        current.replace(directory / f"previous-{int(time.time())}.pem")
    return current_key(directory)


def jwks(directory: Path = DEFAULT_DIR) -> dict[str, Any]:
    current_key(directory)
    keys = [public_jwk(_read_key(p)) for p in sorted(directory.glob("*.pem"))]
    return {"keys": keys}


def mint(
    key: Ed25519PrivateKey,
    *,
    sub: str = "dev-user",
    role: str | None = None,
    email: str | None = "dev@localhost",
    issuer: str = BASE_URL,
    audience: str = BASE_URL,
    ttl_s: int = 3600,
    now: float | None = None,
) -> str:
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": sub,
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "exp": issued + ttl_s,
        "jti": uuid.uuid4().hex,
    }
    if email:  # the local stack's own accounts: confirmed, as the web app's seeded ones are
        claims["email"] = email
        claims["email_verified"] = True
    if role:
        claims["role"] = role
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": public_jwk(key)["kid"]})


def make_server(port: int, directory: Path = DEFAULT_DIR, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] not in (JWKS_PATH, "/"):
                self.send_error(404)
                return
            body = json.dumps(jwks(directory)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return ThreadingHTTPServer((host, port), Handler)


def _stack_api_url() -> str | None:
    """The api of whichever local stack runs: `make up`'s, else the demo's."""
    for state_file in (ROOT / ".stack" / "state.json", ROOT / ".stack" / "demo" / "state.json"):
        try:
            state = json.loads(state_file.read_text())
        except (OSError, ValueError):
            continue
        url = state.get("functions", {}).get("api")
        if url:
            return str(url)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.devauth")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the JWKS at /api/auth/jwks")
    serve.add_argument("--port", type=int, required=True)
    token = sub.add_parser("token", help="print a development token and a curl example")
    token.add_argument("--sub", default="dev-user")
    token.add_argument("--role", default=None, help="e.g. admin")
    token.add_argument("--ttl", type=int, default=3600)
    sub.add_parser("rotate", help="make a new signing key (the old one stays published)")
    for p in (serve, token):
        p.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    if args.command == "serve":
        make_server(args.port, args.dir).serve_forever()
        return 0
    if args.command == "rotate":
        print(f"new key {public_jwk(rotate())['kid']}")
        return 0
    signed = mint(current_key(args.dir), sub=args.sub, role=args.role or None, ttl_s=args.ttl)
    print(signed)
    api = _stack_api_url()
    if api:
        print(f'\ncurl -s -H "Authorization: Bearer {signed}" {api}/v1/me', file=sys.stderr)
    else:
        print("\n(the local stack is not running: `make up` serves this key's JWKS to the api)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
