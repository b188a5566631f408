"""Who is told of an alert, and the webhook signature recipe receivers follow."""

import pytest
from pydantic import ValidationError

from common import notify
from common.messages import AlertEvent

EVENT = AlertEvent(
    alert_id="NTLA-2026010823", ticker="NTLA", status="open", level=1, rule="volume_spike_6h", score=2.0,
    pump_risk=0.1, as_of=1_767_900_000.0, kind="organic",
)  # fmt: skip
ALERT = {
    "metrics": {"subreddits_24h": 2.0},
    "reasons": ["3x the usual volume"],
    "evidence": [{"subreddit": "stocks", "permalink": "/r/stocks/x"}, {"subreddit": "wallstreetbets"}],
}


def user(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "email": "ann@example.com",
        "watchlist": ["NTLA"],
        "preferences": {"min_score": 0.0, "max_pump_risk": 0.5, "watchlist_only": True, "subreddits": []},
        "notifications": {"email": True, "webhook_url": "https://hooks.example.com/akleao"},
        "webhook_secret": "s3cret",
    }
    return {**base, **changes}


def test_a_watcher_hears_of_an_organic_alert_on_both_channels() -> None:
    assert notify.matches(user(), EVENT, ALERT, hour=12)
    assert notify.channels(user()) == ["webhook", "email"]


@pytest.mark.parametrize(
    "changes",
    [
        {"watchlist": ["AAPL"]},  # watchlist only, and not on it
        {"preferences": {"min_score": 5.0, "watchlist_only": False}},
        {"preferences": {"max_pump_risk": 0.05, "watchlist_only": False}},
        {"preferences": {"subreddits": ["investing"], "watchlist_only": False}},  # cited from elsewhere
        {"notifications": {"email": True, "kinds": ["pump"]}},
        {"notifications": {"email": True, "events": ["escalated"]}},
        {"notifications": {"email": True, "quiet_hours": {"start": 22, "end": 14}}},  # wraps midnight, covers 12
    ],
)
def test_preferences_and_settings_that_do_not_match_keep_a_user_out(changes: dict[str, object]) -> None:
    assert not notify.matches(user(**changes), EVENT, ALERT, hour=12)


def test_a_disabled_webhook_an_unsubscribed_address_or_no_secret_are_not_channels() -> None:
    assert notify.channels(user(webhook_disabled=True)) == ["email"]
    assert notify.channels(user(email_unsubscribed=True)) == ["webhook"]
    assert notify.channels(user(webhook_secret=None, email=None)) == []


def test_a_webhook_must_be_https_except_on_this_machine() -> None:
    with pytest.raises(ValidationError, match="https"):
        notify.NotificationSettings(webhook_url="http://hooks.example.com/x")
    assert notify.NotificationSettings(webhook_url="http://127.0.0.1:8025/hooks/a")


def test_the_signature_recipe_verifies_and_refuses_tampering_other_keys_and_replays() -> None:
    body = notify.body_bytes(notify.payload(EVENT, ALERT, "https://app.example.com"))
    header = notify.sign("s3cret", 1_800_000_000, body)
    assert notify.verify("s3cret", header, body, now=1_800_000_060)
    assert not notify.verify("s3cret", header, body + b" ", now=1_800_000_060)
    assert not notify.verify("other", header, body, now=1_800_000_060)
    assert not notify.verify("s3cret", header, body, now=1_800_000_000 + notify.SIGNATURE_TOLERANCE_S + 1)
    assert not notify.verify("s3cret", "garbage", body, now=1_800_000_000)
    assert not notify.verify("s3cret", "t=1800000000,v1=é", body, now=1_800_000_000)


def test_an_unsubscribe_token_names_its_user_and_cannot_be_made_for_another() -> None:
    token = notify.unsubscribe_token("key", "user-1")
    assert notify.unsubscribed_user("key", token) == "user-1"
    forged = "user-2." + token.rsplit(".", 1)[1]
    assert notify.unsubscribed_user("key", forged) is None
    assert notify.unsubscribed_user("other-key", token) is None
    assert notify.unsubscribed_user("key", "usér-1.é") is None


def test_each_delivery_has_its_own_key_per_user_alert_level_status_and_channel() -> None:
    keys = {
        notify.delivery_id("u1", EVENT, "email"),
        notify.delivery_id("u1", EVENT, "webhook"),
        notify.delivery_id("u2", EVENT, "email"),
        notify.delivery_id("u1", EVENT.model_copy(update={"level": 2}), "email"),
    }
    assert len(keys) == 4
    assert "/" not in notify.delivery_id("a/b", EVENT, "email")


def test_a_user_following_subreddits_hears_of_alerts_citing_one_of_them() -> None:
    following = user(preferences={"subreddits": ["wallstreetbets"], "watchlist_only": False})
    assert notify.matches(following, EVENT, ALERT, hour=12)
    assert not notify.matches(following, EVENT, {**ALERT, "evidence": []}, hour=12)
