"""POST /v1/config/detection/preview replays stored hourly buckets through the detector's
backtest core with a proposed config, beside the config in force."""

import time
from typing import Any

import pytest

from common.adapters import firestore as fs
from tests.support.api import API_KEY, ApiClient, db, put_ticker

KEY = API_KEY
END = (1_760_000_000 // 3600) * 3600  # the newest stored hour (data time)


def bucket(symbol: str, start: int, mentions: int) -> dict[str, Any]:
    return {
        "hour": time.strftime("%Y%m%d%H", time.gmtime(start)),
        "start_utc": start,
        "mentions": mentions,
        "posts": mentions // 2,
        "comments": mentions - mentions // 2,
        "text_length": 250 * mentions,
        "score": 5 * mentions,
        "num_comments": mentions,
        "bullish": mentions // 2,
        "subreddits": {"stocks": mentions // 2 + 1, "investing": mentions - mentions // 2},
        "authors": [f"{symbol}-{start}-{i}" for i in range(mentions)],
    }


@pytest.fixture
def spike() -> None:
    """Three days of quiet chatter about four tickers, then GME jumps to 40 mentions an hour
    from many different authors writing long posts: an organic spike."""
    for symbol, base in [("GME", 1), ("AMC", 2), ("TSLA", 3), ("AAPL", 2)]:
        hours = db().collection(fs.TICKERS).document(symbol).collection(fs.HOURS)
        batch = db().batch()
        for h in range(72):
            start = END - (71 - h) * 3600
            mentions = 40 if symbol == "GME" and h >= 69 else (base if h % 3 else base + 1)
            doc = bucket(symbol, start, mentions)
            batch.set(hours.document(doc["hour"]), doc)
        batch.commit()
        put_ticker(symbol, END + 1800, {"1h": 40 if symbol == "GME" else base, "7d": 200 + base})


def test_preview_shows_what_a_proposed_config_would_raise_beside_the_current_one(api: ApiClient, spike: None) -> None:
    del spike
    response = api.call(
        "POST",
        "/v1/config/detection/preview",
        json={"config": {"min_authors": 1000}, "hours": 72},
        role="admin",
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["symbols"] == 4 and body["current_version"] == 0
    assert [a["symbol"] for a in body["current"]] == ["GME"]
    assert body["proposed"] == []  # no surge here has a thousand authors
    assert body["lost"] == body["current"] and body["gained"] == [] == body["moved"]


def test_a_short_preview_judges_its_hours_with_the_history_before_them(api: ApiClient, spike: None) -> None:
    """Three hours previewed are judged as detect judged them, with the days before as the
    baselines' history: not as the first hours of a system just started (which opens nothing
    during its warm-up and knows no baseline)."""
    del spike
    body = api.call("POST", "/v1/config/detection/preview", json={"config": {}, "hours": 3}, role="admin").get_json()
    assert [a["symbol"] for a in body["current"]] == ["GME"] == [a["symbol"] for a in body["proposed"]]
    assert all(a["opened_at"] >= END - 2 * 3600 for a in body["current"])
    assert body["gained"] == body["lost"] == body["moved"] == []  # the same config: the same alerts
    body = api.call("POST", "/v1/config/detection/preview", json={"config": {}, "hours": 1}, role="admin").get_json()
    assert [a["symbol"] for a in body["current"]] == ["GME"]  # opened before the newest hour, live in it


def test_preview_can_be_limited_to_some_symbols(api: ApiClient, spike: None) -> None:
    del spike
    body = api.call(
        "POST", "/v1/config/detection/preview", json={"config": {}, "symbols": ["amc", "tsla"]}, role="admin"
    ).get_json()
    assert body["symbols"] == 2
    assert body["proposed"] == [] and body["current"] == []


def test_preview_spends_the_alert_budget_detect_counted_for_the_whole_community(api: ApiClient, spike: None) -> None:
    """Other tickers' alerts are not replayed: the budget detect stored for each hour stands
    in for them, so a frenzy day production held a surge back on is held back here too."""
    del spike
    crowds = db().collection(fs.STATS).document(fs.GLOBAL).collection(fs.HOURS)
    for h in range(69, 72):  # GME's surge hours: detect had counted a frenzy's worth of alerts
        key = time.strftime("%Y%m%d%H", time.gmtime(END - (71 - h) * 3600))
        crowds.document(key).set({"hour": key, "alerts_24h": 40})
    body = api.call("POST", "/v1/config/detection/preview", json={"config": {}, "hours": 72}, role="admin").get_json()
    assert body["current"] == [] and body["proposed"] == []
    calm = {"alert_budget_24h": 100}  # a budget a frenzy of 40 does not spend
    body = api.call("POST", "/v1/config/detection/preview", json={"config": calm, "hours": 72}, role="admin").get_json()
    assert [a["symbol"] for a in body["proposed"]] == ["GME"]


def test_preview_is_for_admins(api: ApiClient) -> None:
    assert api.call("POST", "/v1/config/detection/preview", json={"config": {}}).status_code == 403


def test_a_preview_too_large_for_one_instance_replays_the_most_active_that_fit_or_asks_for_less(
    api: ApiClient, spike: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Weeks of fifty busy tickers' buckets (up to 1,000 authors an hour each) would not fit a
    256 MB instance: the preview stops loading at its budget instead of being killed."""
    from functions.api import preview

    del spike
    monkeypatch.setattr(preview, "LOAD_MAX", 12_000)  # a symbol's 72 hours here cost about 5,800
    put_ticker("GME", END + 1800, {"1h": 40, "7d": 900})  # the week's most mentioned
    body = api.call("POST", "/v1/config/detection/preview", json={"config": {}, "hours": 72}, role="admin").get_json()
    assert body["symbols"] == 2
    assert [a["symbol"] for a in body["current"]] == ["GME"]  # the most active first
    named = api.call(
        "POST", "/v1/config/detection/preview", json={"config": {}, "symbols": ["GME", "AMC", "TSLA"]}, role="admin"
    )
    assert named.status_code == 422 and named.get_json()["error"]["code"] == "preview_too_large"
    assert "2 would fit" in named.get_json()["error"]["message"]
    monkeypatch.setattr(preview, "LOAD_MAX", 1_000)  # not even the most active: an error, not "no alerts"
    none = api.call("POST", "/v1/config/detection/preview", json={"config": {}, "hours": 72}, role="admin")
    assert none.status_code == 422 and none.get_json()["error"]["code"] == "preview_too_large"
