"""Verify Better Auth JWTs (its ``jwt`` plugin) and turn them into a :class:`Principal`.

Better Auth signs with EdDSA (Ed25519) by default and publishes its keys at
``<baseURL>/api/auth/jwks`` with a ``kid`` per key; ``iss`` and ``aud`` default to the
app's base URL and ``sub`` is the user id. PyJWT's ``PyJWKClient`` fetches and caches that
set, refetches when a token names an unknown ``kid`` (key rotation, no restart), and
spaces those forced refetches by a cooldown so a stream of made-up ``kid``s cannot make
us hammer the JWKS URL.

The algorithm comes from an allow-list, never from the token alone: ``none`` is never
accepted, each JWKS key is bound to its own algorithm (so an RSA public key can never be
used as an HMAC secret), and HS256 is only possible when a development secret is
explicitly configured, and then only against that secret.
"""

import http.client
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from jwt import PyJWKClient

from common import log
from common.settings import Settings

logger = log.get_logger(__name__)

ASYMMETRIC = frozenset({"EdDSA", "RS256", "ES256"})


class AuthError(Exception):
    """The token cannot be trusted: the caller gets 401 with this message."""


class KeysUnavailable(Exception):
    """The JWKS could not be fetched: our problem (503), not the caller's."""


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the token says."""

    sub: str
    email: str | None = None  # only a confirmed one (the token's email_verified)
    name: str | None = None
    roles: frozenset[str] = frozenset()
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def unconfirmed_address(self) -> bool:
        """The token names an address not confirmed (a user who changed theirs, the new one not
        confirmed yet): the address stored before is no longer the account's to be mailed."""
        return isinstance(self.claims.get("email"), str) and self.email is None


def _roles(claim: object) -> frozenset[str]:
    """Better Auth's admin plugin stores several roles as one comma-separated string."""
    if isinstance(claim, str):
        return frozenset(r.strip() for r in claim.split(",") if r.strip())
    if isinstance(claim, list):
        return frozenset(str(r).strip() for r in claim if str(r).strip())
    return frozenset()


class JwksClient(PyJWKClient):
    """PyJWKClient where every way the JWKS can fail to give keys is an outage (503): not
    JSON (an HTML error page), not a JSON object, an empty or unusable key set. Left to
    PyJWT these surface as a ValueError (500) or a client error read as a bad token (401).

    When the cached set expires and the fetch fails, the last good set keeps serving for
    ``stale_s`` (a restart of the web app is no API outage), and a failed fetch is retried
    after ``retry_s`` at the soonest instead of on every request (with no set to fall back
    on, the requests between are refused as an outage at once). A refresh forced by an
    unknown ``kid`` that fails is still an outage.

    An unknown ``kid`` forces a refetch at most once per ``refetch_cooldown_s``, counted from
    the last refetch it forced: PyJWT counts from any fetch, so a key rotated within that
    time of the cache's own refresh (or of an instance's first request) was refused."""

    def __init__(self, uri: str, *, stale_s: float, retry_s: float, refetch_cooldown_s: float, **options: Any) -> None:
        super().__init__(uri, **options)
        self.stale_s = stale_s
        self.retry_s = retry_s
        self.refetch_cooldown_s = refetch_cooldown_s
        self.last_good: tuple[float, jwt.PyJWKSet] | None = None
        self.failed_at: float | None = None
        self.forced_at: float | None = None
        self.forced_failed = False  # the last forced fetch failed: an unknown kid is not known to be unknown
        self._lookup = threading.Lock()

    def get_signing_key(self, kid: str) -> jwt.PyJWK:
        # One lookup at a time, as PyJWT's own: an expired cache is fetched once, not by every
        # thread, and the fallback bookkeeping (last_good, failed_at) is never raced.
        with self._lookup:
            key = self.match_kid(self.get_signing_keys(), kid)
            now = time.monotonic()
            if key is None and (self.forced_at is None or now - self.forced_at >= self.refetch_cooldown_s):
                self.forced_at = now
                try:
                    keys = self.get_signing_keys(refresh=True)
                except jwt.PyJWKClientConnectionError:
                    self.forced_failed = True
                    raise
                self.forced_failed = False
                key = self.match_kid(keys, kid)
            elif key is None and self.forced_failed:
                # a rotated key is unknown until the JWKS answers: refusing its tokens as
                # forged would sign users out for the length of an outage
                raise jwt.PyJWKClientConnectionError("the JWKS failed when asked for new keys; not asked again yet")
        if key is None:
            raise jwt.PyJWKClientError(f"Unable to find a signing key that matches: {kid!r}")
        return key

    def get_jwk_set(self, refresh: bool = False) -> jwt.PyJWKSet:
        now = time.monotonic()
        fallback = self.last_good[1] if self.last_good and now - self.last_good[0] <= self.stale_s else None
        if self.failed_at is not None and now - self.failed_at < self.retry_s:
            if refresh or fallback is None:  # an unknown kid cannot force a fetch during the pause either
                raise jwt.PyJWKClientConnectionError("the JWKS failed a moment ago; not fetched again yet")
            return fallback
        try:
            keys = super().get_jwk_set(refresh)
        except jwt.PyJWKClientConnectionError as exc:
            self.failed_at = time.monotonic()  # when it failed: a fetch that hung its whole timeout counts from its end
            if refresh or fallback is None:
                raise
            logger.warning("JWKS unavailable, verifying with the keys fetched before: %s", exc)
            return fallback
        self.failed_at = None
        if self.last_good is None or self.last_good[1] is not keys:
            self.last_good = (now, keys)
        return keys

    def fetch_data(self) -> Any:
        try:
            return super().fetch_data()
        except jwt.PyJWKClientConnectionError:
            raise
        except (ValueError, jwt.PyJWKClientError, jwt.PyJWKSetError) as exc:
            raise jwt.PyJWKClientConnectionError(f"the JWKS answered no usable key set: {exc}") from exc
        except (OSError, http.client.HTTPException, RecursionError) as exc:  # cut off mid-answer
            raise jwt.PyJWKClientConnectionError(f"the JWKS answer broke off: {exc!r}") from exc

    def get_signing_keys(self, refresh: bool = False) -> list[jwt.PyJWK]:
        """A set without one signing key (no ``kid``, or only ``use: enc``) is an outage too;
        an unknown ``kid`` is still the token's problem (raised by get_signing_key)."""
        try:
            return super().get_signing_keys(refresh)
        except jwt.PyJWKClientConnectionError:
            raise
        except jwt.PyJWKClientError as exc:
            raise jwt.PyJWKClientConnectionError(f"the JWKS holds no signing key: {exc}") from exc


class TokenVerifier:
    def __init__(self, settings: Settings, jwks_client: PyJWKClient | None = None) -> None:
        self.issuer = settings.auth_issuer
        self.audience = settings.auth_audience
        self.leeway = settings.auth_leeway_s
        self.algorithms = frozenset(settings.auth_algorithms) & ASYMMETRIC
        secret = settings.auth_hs256_secret
        self.hs256_secret = secret.get_secret_value() if secret is not None else None
        self.jwks = jwks_client or JwksClient(
            settings.auth_jwks_url,
            stale_s=settings.auth_jwks_stale_s,
            retry_s=settings.auth_jwks_retry_s,
            cache_jwk_set=True,
            lifespan=settings.auth_jwks_cache_s,
            refetch_cooldown_s=settings.auth_jwks_refetch_cooldown_s,
            timeout=5,
        )

    def _key(self, header: dict[str, Any]) -> Any:
        alg = header.get("alg")
        if not isinstance(alg, str):  # a list or an object is no algorithm (and no set member)
            raise AuthError("token algorithm is not accepted")
        if alg == "HS256" and self.hs256_secret:
            return self.hs256_secret
        if alg not in self.algorithms:
            raise AuthError(f"token algorithm {alg!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("token has no key id")
        try:
            return self.jwks.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as exc:
            logger.error("JWKS unavailable: %s", exc)
            raise KeysUnavailable("signing keys are unavailable") from exc
        except jwt.PyJWKClientError as exc:
            raise AuthError("token signed by an unknown key") from exc
        except jwt.PyJWKError as exc:
            logger.error("JWKS contains an unusable key: %s", exc)
            raise KeysUnavailable("signing keys are unusable") from exc

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError("malformed token") from exc
        key = self._key(header)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[header["alg"]],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("token expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthError("token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthError("token from another issuer") from exc
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from exc
        sub = claims.get("sub")
        # it names the user's Firestore document: no path separator, no "." or "..", no
        # reserved "__x__" (Firestore would refuse it, a 500 for a token's mistake)
        reserved = sub in (".", "..") or (isinstance(sub, str) and len(sub) >= 4 and sub[:2] == sub[-2:] == "__")
        if not isinstance(sub, str) or not sub or "/" in sub or len(sub) > 256 or reserved:
            raise AuthError("token subject is not a usable user id")
        email, name = claims.get("email"), claims.get("name")
        return Principal(
            sub=sub,
            # an address nobody confirmed is no address: anyone can sign up with someone else's
            email=email if isinstance(email, str) and claims.get("email_verified") is True else None,
            name=name if isinstance(name, str) else None,
            roles=_roles(claims.get("role")),
            claims=claims,
        )


def bearer_token(header: str | None) -> str:
    """The token in an ``Authorization: Bearer <JWT>`` header, or :class:`AuthError`."""
    if not header:
        raise AuthError("missing Authorization header")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization must be 'Bearer <token>'")
    return token.strip()
