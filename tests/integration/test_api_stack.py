"""The api as the local stack runs it: its own functions-framework process, trusting the
development JWKS the stack serves, so `make up && make token` gives a working token."""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from devtools import devauth
from emulators.stack import Stack


def get(url: str, token: str | None = None) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_devauth_token_is_accepted_by_the_running_api(emulators: Stack) -> None:
    api = emulators.services["api"].url
    key = devauth.current_key(Path(os.environ["DEVAUTH_DIR"]))
    status, me = get(f"{api}/v1/me", devauth.mint(key, sub="newcomer", role="admin"))
    assert status == 200
    assert me["id"] == "newcomer" and me["role"] == "admin"


def test_the_running_api_refuses_a_token_the_dev_key_did_not_sign(emulators: Stack) -> None:
    api = emulators.services["api"].url
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    status, body = get(f"{api}/v1/me", devauth.mint(Ed25519PrivateKey.generate()))
    assert status == 401
    assert body["error"]["code"] == "unauthorized"  # type: ignore[index]
    assert get(f"{api}/v1/health")[0] == 200


def test_long_history_is_answered_by_the_bigquery_archive(emulators: Stack) -> None:
    from tests.support.api import put_hour, put_ticker

    newest = 1_760_000_000
    put_ticker("GME", newest, {"1h": 1})
    put_hour("GME", newest // 3600 * 3600, 1)
    token = devauth.mint(devauth.current_key(Path(os.environ["DEVAUTH_DIR"])))
    api = emulators.services["api"].url
    status, recent = get(f"{api}/v1/tickers/GME/history?hours=24", token)
    assert (status, recent["source"], len(recent["hours"])) == (200, "firestore", 1)  # type: ignore[arg-type]
    status, long = get(f"{api}/v1/tickers/GME/history?hours=720", token)
    assert status == 200
    assert long["source"] == "archive" and long["complete"] is True


def test_a_path_the_framework_cannot_route_is_answered_by_the_api_as_any_other(emulators: Stack) -> None:
    """functions-framework's route stops at a line break, so the function never sees such a
    request; it is handed to the API's app all the same, which answers it as it answers the
    same path with a tab (a character the framework routes): its JSON error, its headers."""
    api = emulators.services["api"].url
    for path in ("/v1/tickers/{}", "/v1/alerts/a{}b", "/v1/me/watchlist/{}/x"):
        request = urllib.request.Request(f"{api}{path.format('%0A')}", headers={"Origin": "http://localhost:3000"})
        with pytest.raises(urllib.error.HTTPError) as unrouted:
            urllib.request.urlopen(request, timeout=10)
        routed = get(f"{api}{path.format('%09')}")
        assert (unrouted.value.code, json.loads(unrouted.value.read())) == routed
        assert "Origin" in unrouted.value.headers.get("Vary", "")
