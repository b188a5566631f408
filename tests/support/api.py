"""The API in-process against the real Firestore emulator, with tokens from a real JWKS
endpoint, plus documents of the shapes docs/data-model.md specifies (what aggregate and
detect write), for tests that need data before those writers run."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from google.cloud import firestore
from werkzeug.test import TestResponse

from common.adapters import firestore as fs
from common.settings import Settings
from functions.api.app import create_app
from functions.api.cache import TtlMemo
from functions.api.main import build_services
from functions.api.ratelimit import RateLimiter
from functions.api.services import Services
from tests.support.jwks import JwksServer, SigningKey, claims, ed25519_key

API_KEY = ed25519_key("integration-api")  # the key tests/integration/conftest.py serves


@dataclass
class ApiClient:
    app: Flask
    key: SigningKey

    @property
    def http(self) -> FlaskClient:
        return self.app.test_client()

    def token(self, sub: str = "user-1", role: str | None = None, **extra: Any) -> str:
        return self.key.sign(claims(time.time(), sub=sub, role=role, **extra))

    def call(
        self,
        method: str,
        path: str,
        *,
        sub: str = "user-1",
        role: str | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        sent = {"Authorization": f"Bearer {self.token(sub, role)}", **(headers or {})}
        return self.http.open(path, method=method, json=json, headers=sent, **kwargs)


def make_client(
    jwks: JwksServer,
    key: SigningKey,
    clock: Callable[[], float] | None = None,
    trending: TtlMemo[Any] | None = None,
    alerts: TtlMemo[Any] | None = None,
    adjust: Callable[[Services], None] | None = None,
    **settings: Any,
) -> ApiClient:
    """``clock`` fixes the rate limiter's minute, so a window cannot turn mid-test;
    ``adjust`` changes the services before the app is built on them."""
    options: dict[str, Any] = {
        "AUTH_JWKS_URL": jwks.url,
        "RATE_LIMIT_USER_PER_MINUTE": 100_000,
        "RATE_LIMIT_IP_PER_MINUTE": 100_000,
        "TRENDING_CACHE_S": 0,  # tests change the data between calls; the caches have their own tests
        "ALERTS_CACHE_S": 0,
        **settings,
    }
    services = build_services(Settings(**options))
    if clock is not None:
        services.limiter = RateLimiter(services.limiter.db, clock)
    if trending is not None:
        services.trending = trending
    if alerts is not None:
        services.alerts = alerts
    if adjust is not None:
        adjust(services)
    return ApiClient(create_app(services), key)


def db() -> firestore.Client:
    return fs.get_client(Settings().project_id)


def alert_doc(symbol: str, hour: int, *, updated_at: float, **fields: Any) -> dict[str, Any]:
    alert_id = f"{symbol}-{hour}"
    doc: dict[str, Any] = {
        "alert_id": alert_id,
        "symbol": symbol,
        "kind": "organic",
        "status": "open",
        "level": 1,
        "rule": "volume_spike",
        "reasons": [f"{symbol} mentions 4.0x baseline"],
        "score": 1.0,
        "pump_risk": 0.1,
        "metrics": {"mentions_1h": 12, "author_diversity": 0.8},
        "baseline": {"mentions_1h": 3.0},
        "evidence": [
            {
                "item_id": f"t3_{symbol.lower()}{hour}",
                "permalink": f"/r/stocks/comments/{symbol.lower()}{hour}/",
                "title": f"Why {symbol} is interesting",
                "subreddit": "stocks",
                "author": "someone",
                "created_utc": updated_at - 60,
                "score": 10,
            }
        ],
        "opened_at": updated_at - 3600,
        "updated_at": updated_at,
        "resolved_at": None,
        "history": [{"at": updated_at - 3600, "status": "open", "level": 1, "score": 1.0, "pump_risk": 0.1}],
        "config_version": 0,
    }
    doc.update(fields)
    return doc


def put_alert(doc: dict[str, Any]) -> None:
    db().collection(fs.ALERTS).document(doc["alert_id"]).set(doc)


def window(mentions: int) -> dict[str, Any]:
    return {
        "mentions": mentions,
        "posts": mentions // 3,
        "comments": mentions - mentions // 3,
        "distinct_authors": max(1, mentions // 2),
        "distinct_subreddits": 2,
        "author_diversity": 0.5,
        "avg_text_length": 180.0,
        "engagement_rate": 1.5,
        "dd_posts": 0,
        "new_account_share": 0.1,
        "duplicate_share": 0.0,
        "emoji_share": 0.05,
        "bullish_share": 0.6,
    }


def series_for(as_of: float, mentions: dict[str, int]) -> dict[str, int]:
    """An hourly series whose window sums ending at ``as_of`` are ``mentions`` (1h, 6h, 24h, 7d)."""
    edges = [("1h", 0), ("6h", 1), ("24h", 6), ("7d", 24)]
    out: dict[str, int] = {}
    previous = 0
    for name, hours_back in edges:
        if name in mentions and mentions[name] > previous:
            out[time.strftime("%Y%m%d%H", time.gmtime(as_of - hours_back * 3600))] = mentions[name] - previous
            previous = mentions[name]
    return out


def put_ticker(symbol: str, as_of: float, mentions: dict[str, int], score: float = 0.5) -> None:
    db().collection(fs.TICKERS).document(symbol).set(
        {
            "symbol": symbol,
            "as_of": as_of,
            "last_hour": time.strftime("%Y%m%d%H", time.gmtime(as_of)),
            "windows": {w: window(n) for w, n in mentions.items()},
            "series": series_for(as_of, mentions),
            "velocity": 2.0,
            "acceleration": 0.5,
            "detection": {
                "as_of": as_of,
                "score": score,
                "pump_risk": 0.2,
                "ratio": 3.1,
                "surprise": 4.2,
                "baseline_1h": 2.0,
                "status": "open",
                "alert_id": None,
                "config_version": 0,
            },
        }
    )


def put_day(symbol: str, start_utc: int, mentions: int) -> None:
    """A day bucket as aggregate writes it beside the hours (only what the API reads of it)."""
    day = time.strftime("%Y%m%d", time.gmtime(start_utc))
    db().collection(fs.TICKERS).document(symbol).collection(fs.DAYS).document(day).set(
        {"hour": day, "start_utc": start_utc, "mentions": mentions}
    )


def put_hour(symbol: str, start_utc: int, mentions: int) -> None:
    hour = time.strftime("%Y%m%d%H", time.gmtime(start_utc))
    db().collection(fs.TICKERS).document(symbol).collection(fs.HOURS).document(hour).set(
        {
            "hour": hour,
            "start_utc": start_utc,
            "mentions": mentions,
            "posts": 1,
            "comments": mentions - 1,
            "text_length": 200 * mentions,
            "score": 5,
            "num_comments": 3,
            "dd_posts": 0,
            "new_account_mentions": 0,
            "duplicate_mentions": 0,
            "emoji_heavy_mentions": 0,
            "cashtag_stuffed_mentions": 0,
            "bullish": 1,
            "bearish": 0,
            "subreddits": {"stocks": mentions},
            "authors": [f"a{i}" for i in range(mentions)],
        }
    )
