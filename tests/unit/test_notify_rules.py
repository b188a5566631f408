"""Who is told of an alert, and the webhook signature recipe receivers follow."""

import pytest
from pydantic import ValidationError

from common import notify
from common.fields import problems
from common.messages import AlertEvent
from common.settings import Settings
from common.timekeys import published_at

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
        "email_verified": True,
        "watchlist": ["NTLA"],
        "preferences": {"min_score": 0.0, "max_pump_risk": 0.5, "watchlist_only": True, "subreddits": []},
        "notifications": {"email": True, "webhook_url": "https://hooks.example.com/akleao"},
        "webhook_secret": "s3cret",
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    "stored",
    [
        "not a map",
        {"min_score": "x", "max_pump_risk": None, "watchlist_only": "yes", "subreddits": "stocks"},
        {"min_score": float("nan"), "max_pump_risk": 7, "subreddits": [1, 2]},
        {"min_score": -1, "subreddits": ["stocks"] * 20 + [f"sub{i}" for i in range(51)]},
    ],
)
def test_preferences_of_the_wrong_type_read_as_their_defaults_field_by_field(stored: object) -> None:
    """Never an error in every delivery and digest of the user (a digest tick failed on one
    user until dead-lettered, hour after hour)."""
    assert notify.preferences_of(user(preferences=stored)) == notify.default_preferences()
    assert notify.matches(user(preferences=stored), EVENT, ALERT)
    kept = notify.preferences_of(
        user(preferences={"min_score": 2, "max_pump_risk": "high", "watchlist_only": True, "gone": 1})
    )
    assert kept == {**notify.default_preferences(), "min_score": 2, "watchlist_only": True}
    assert notify.preferences_of(user(preferences={"subreddits": ["Stocks", "stocks"]}))["subreddits"] == ["stocks"]


def test_a_watcher_hears_of_an_organic_alert_on_both_channels() -> None:
    assert notify.matches(user(), EVENT, ALERT)
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
    ],
)
def test_preferences_and_settings_that_do_not_match_keep_a_user_out(changes: dict[str, object]) -> None:
    assert not notify.matches(user(**changes), EVENT, ALERT)


@pytest.mark.parametrize(
    "changes",
    [
        {"watchlist": ["AAPL"]},
        {"preferences": {"min_score": 5.0, "watchlist_only": False}},
        {"preferences": {"subreddits": ["investing"], "watchlist_only": False}},
        {"notifications": {"email": True, "kinds": ["pump"]}},
    ],
)
def test_a_digest_entry_is_matched_again_against_the_settings_of_when_it_is_sent(changes: dict[str, object]) -> None:
    entry = {"body": notify.payload(EVENT, ALERT, "https://app"), "match": notify.match_facts(EVENT, ALERT)}
    assert notify.still_wanted(user(), entry)
    assert not notify.still_wanted(user(**changes), entry)
    assert notify.still_wanted(user(**changes), {"body": entry["body"]})  # recorded without its facts: it stands
    resolved = EVENT.model_copy(update={"status": "resolved", "score": 0.1})
    peak = notify.match_facts(resolved, {**ALERT, "peak_score": 7.0})  # a resolution is measured by its peak
    told = {"email": True, "events": ["open", "resolved"]}
    assert notify.still_wanted(user(preferences={"min_score": 5.0}, notifications=told), {"match": peak})


def test_quiet_hours_hold_messages_back_without_keeping_the_user_from_the_event() -> None:
    sleeper = user(notifications={"email": True, "quiet_hours": {"start": 22, "end": 14}})  # wraps midnight
    assert notify.matches(sleeper, EVENT, ALERT)  # told later, in the digest ...
    assert notify.quiet(sleeper, 12) and notify.quiet(sleeper, 23) and notify.quiet(sleeper, 0)  # ... not now
    assert not notify.quiet(sleeper, 14) and not notify.quiet(sleeper, 21) and not notify.quiet(user(), 12)


def test_a_disabled_webhook_an_unsubscribed_address_or_no_secret_are_not_channels() -> None:
    assert notify.channels(user(webhook_disabled=True)) == ["email"]
    assert notify.channels(user(email_unsubscribed=True)) == ["webhook"]
    assert notify.channels(user(webhook_secret=None, email=None)) == []
    # stored before addresses were confirmed, or confirmed by nobody: not mailed
    assert notify.channels(user(email_verified=None)) == ["webhook"]
    assert notify.channels(user(email_verified=False)) == ["webhook"]


def test_a_webhook_must_be_https_except_on_this_machine() -> None:
    with pytest.raises(ValidationError, match="https"):
        notify.NotificationSettings(webhook_url="http://hooks.example.com/x")
    assert notify.NotificationSettings(webhook_url="http://127.0.0.1:8025/hooks/a")


def test_open_leads_to_the_web_apps_page_of_the_alert() -> None:
    assert (
        notify.payload(EVENT, ALERT, "https://app.example.com/")["url"]
        == "https://app.example.com/alerts/NTLA-2026010823"
    )
    # an id is one path segment, whatever it holds
    assert notify.alert_page("https://app", "A/B C") == "https://app/alerts/A%2FB%20C"


@pytest.mark.parametrize("evidence", [[1, "x", None], "not a list", {"title": "a map"}, 7])
def test_evidence_of_another_shape_is_left_out_of_the_body_and_the_match_not_failed(evidence: object) -> None:
    """A detect older or newer than notify, or a hand-edited document: the same entry would
    fail every user's delivery of the alert alike."""
    alert = {**ALERT, "evidence": [*ALERT["evidence"], *evidence] if isinstance(evidence, list) else evidence}
    body = notify.payload(EVENT, alert, "https://app")
    kept: list[dict[str, str]] = [{"subreddit": "stocks", "permalink": "/r/stocks/x"}, {"subreddit": "wallstreetbets"}]
    kept = kept if isinstance(evidence, list) else []
    assert body["evidence"] == [
        {k: e.get(k) for k in ("title", "permalink", "subreddit", "created_utc", "kind")} for e in kept
    ]
    assert notify.matches(user(), EVENT, alert)


def test_the_signature_recipe_verifies_and_refuses_tampering_other_keys_and_replays() -> None:
    body = notify.body_bytes(notify.payload(EVENT, ALERT, "https://app.example.com"))
    header = notify.sign("s3cret", 1_800_000_000, body)
    assert notify.verify("s3cret", header, body, now=1_800_000_060)
    assert not notify.verify("s3cret", header, body + b" ", now=1_800_000_060)
    assert not notify.verify("other", header, body, now=1_800_000_060)
    assert not notify.verify("s3cret", header, body, now=1_800_000_000 + notify.SIGNATURE_TOLERANCE_S + 1)
    assert not notify.verify("s3cret", "garbage", body, now=1_800_000_000)
    assert not notify.verify("s3cret", "t=1800000000,v1=é", body, now=1_800_000_000)


def test_after_a_rotation_the_replaced_secrets_sign_for_a_day_so_the_receiver_can_switch() -> None:
    body, t0 = b'{"a":1}', 1_800_000_000
    user: dict[str, object] = {"webhook_secret": "s0"}
    user = {"webhook_secret": "s1", notify.REPLACED: notify.replaced_secrets(user, t0)}  # rotated
    user = {"webhook_secret": "s2", notify.REPLACED: notify.replaced_secrets(user, t0 + 60)}  # again, a minute on
    previous = notify.previous_secrets(user, t0 + 3600)
    assert previous == ("s0", "s1")  # whichever the receiver holds
    header, older = notify.sign("s2", t0 + 3600, body), notify.sign_previous(previous, t0 + 3600, body)
    assert all(notify.verify(s, header, body, now=t0 + 3600, previous_header=older) for s in ("s0", "s1", "s2"))
    assert not notify.verify("other", header, body, now=t0 + 3600, previous_header=older)
    assert header.count("v1=") == 1  # the signature header as every receiver has read it
    assert not notify.verify("s0", header, body, now=t0 + 3600)  # one that never reads the other: as before
    assert notify.previous_secrets(user, t0 + 60 + notify.SECRET_OVERLAP_S) == ()  # a day on: the current only
    assert notify.previous_secrets({"webhook_secret": "s0"}, t0) == ()
    for _ in range(5):  # many rotations in a day keep the newest few
        user = {"webhook_secret": "sx", notify.REPLACED: notify.replaced_secrets(user, t0 + 120)}
    assert len(notify.previous_secrets(user, t0 + 120)) == notify.REPLACED_KEPT
    assert notify.sign_previous((), t0, body) is None


def test_an_unsubscribe_token_names_its_user_and_cannot_be_made_for_another() -> None:
    token = notify.unsubscribe_token("key", "user-1")
    assert notify.unsubscribed_user(("key",), token) == "user-1"
    forged = "user-2." + token.rsplit(".", 1)[1]
    assert notify.unsubscribed_user(("key",), forged) is None
    assert notify.unsubscribed_user(("other-key",), token) is None
    assert notify.unsubscribed_user(("key",), "usér-1.é") is None
    assert notify.unsubscribed_user((), token) is None


def test_a_link_signed_before_a_rotation_still_unsubscribes_and_an_empty_key_signs_nothing() -> None:
    before = notify.unsubscribe_token("old-key", "user-1")
    assert notify.unsubscribed_user(("new-key", "old-key"), before) == "user-1"
    assert notify.unsubscribed_user(("new-key",), before) is None
    # a previous key left empty (a secret version with no bytes) must not accept the MAC of ""
    assert notify.unsubscribed_user(("new-key", ""), notify.unsubscribe_token("", "user-1")) is None
    new, old = "new-key-of-32-bytes-in-base64==", "old-key-of-32-bytes-in-base64=="
    settings = Settings(NOTIFY_SIGNING_KEY=new, NOTIFY_SIGNING_KEY_PREVIOUS=old)
    assert notify.unsubscribed_user(settings.unsubscribe_keys, notify.unsubscribe_token(old, "u")) == "u"
    assert Settings(NOTIFY_SIGNING_KEY=new).unsubscribe_keys == (new,)
    assert Settings(NOTIFY_SIGNING_KEY=new, NOTIFY_SIGNING_KEY_PREVIOUS=new).unsubscribe_keys == (new,)
    with pytest.raises(TypeError):  # one key's characters are no keys
        notify.unsubscribed_user("new-key", before)  # type: ignore[arg-type]
    for short in ("", "sixteen-minus-1"):  # an empty or short key makes links anyone can forge
        with pytest.raises(ValidationError):
            Settings(NOTIFY_SIGNING_KEY=short)
        with pytest.raises(ValidationError):
            Settings(NOTIFY_SIGNING_KEY_PREVIOUS=short)


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
    assert notify.matches(following, EVENT, ALERT)
    assert not notify.matches(following, EVENT, {**ALERT, "evidence": []})
    # Reddit's names are case-insensitive, and settings saved before they were kept in lower case
    shouting = user(preferences={"subreddits": ["WallStreetBets"], "watchlist_only": False})
    assert notify.matches(shouting, EVENT, ALERT)
    upper = {**ALERT, "evidence": [{"subreddit": "WALLSTREETBETS"}]}
    assert notify.matches(following, EVENT, upper)


def test_reclassified_and_resolved_reach_only_users_who_asked_for_those_moments() -> None:
    reclassified = EVENT.model_copy(update={"kind": "pump", "event": "reclassified"})
    resolved = EVENT.model_copy(update={"status": "resolved", "event": "resolved", "score": 0.2})
    asked = user(notifications={"email": True, "events": ["open", "reclassified", "resolved"]})
    assert notify.matches(asked, reclassified, ALERT)  # an organic watcher hears its alert is a pump
    assert notify.matches(asked, resolved, {**ALERT, "peak_score": 2.0})  # judged by its peak
    strict = {**asked, "preferences": {"min_score": 1.0, "watchlist_only": True}}
    assert not notify.matches(strict, resolved, {**ALERT, "peak_score": 0.5})
    assert notify.matches(strict, resolved, {**ALERT, "peak_score": 2.0})
    assert not notify.matches(user(), reclassified, ALERT)  # the defaults: open, escalated
    assert not notify.matches(user(), resolved, ALERT)
    assert notify.NotificationSettings().events == ("open", "escalated")


def test_every_moment_of_an_alert_is_its_own_delivery_and_old_keys_are_unchanged() -> None:
    moments = [
        EVENT,
        EVENT.model_copy(update={"event": "opened"}),
        EVENT.model_copy(update={"kind": "pump", "event": "reclassified"}),
        EVENT.model_copy(update={"status": "resolved", "event": "resolved"}),
    ]
    ids = [notify.delivery_id("ann", e, "email") for e in moments]
    assert ids[0] == ids[1] == "ann|NTLA-2026010823|1|open|email"  # as before events were named
    assert len(set(ids)) == 3
    assert notify.payload(moments[2], ALERT, "https://app")["type"] == "alert.reclassified"


def test_a_digest_lists_the_hours_events_oldest_first_in_one_body_and_one_email() -> None:
    later = EVENT.model_copy(update={"alert_id": "BEAM-2026010823", "ticker": "BEAM", "as_of": EVENT.as_of + 60})
    entries = [notify.payload(later, ALERT, "https://app"), notify.payload(EVENT, ALERT, "https://app")]
    body = notify.digest_payload("2026010823", entries, "https://app")
    assert (body["type"], body["hour"], body["count"]) == ("digest", "2026010823", 2)
    assert [e["ticker"] for e in body["events"]] == ["NTLA", "BEAM"]
    links = notify.UnsubscribeLinks("https://app/unsubscribe", "https://api/u")
    message = notify.digest_email(
        body, notify.Envelope("ann@example.com", "a@b", links, "digest|u1|2026010823|email", 1_767_916_800.0)
    )
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and "NTLA" in text.get_content() and "BEAM" in text.get_content()
    assert "2 alert events" in str(message["Subject"])
    assert message["Date"] == "Fri, 09 Jan 2026 00:00:00 +0000"


def test_every_copy_of_one_delivery_is_one_message_to_the_mailbox() -> None:
    """A send retried after the relay had taken it carries the same Message-ID, so the
    mailbox folds the copies; another delivery (another channel, hour or user) its own."""
    links = notify.UnsubscribeLinks("https://app/unsubscribe", "https://api/u")
    body = notify.digest_payload("2026010823", [], "https://app")

    def sent(delivery_id: str, at: float) -> str:
        envelope = notify.Envelope("ann@example.com", "Akleao <alerts@akleao.example>", links, delivery_id, at)
        message = notify.digest_email(body, envelope)
        return str(message["Message-ID"])

    first = sent("digest|u1|2026010823|email", 1_767_916_800.0)
    assert first == sent("digest|u1|2026010823|email", 1_767_916_800.0 + 600)
    assert first != sent("digest|u2|2026010823|email", 1_767_916_800.0)
    assert first.startswith("<") and first.endswith("@akleao.example>")
    assert notify.message_id("d", "not an address").endswith("@akleao.invalid>")


def test_an_hourly_tick_sends_the_last_hours_that_are_over_and_late_events_go_to_the_next_hour() -> None:
    now = 1_767_909_000.0  # 2026-01-08 21:50 UTC
    assert notify.digest_hours(now, lookback=2) == ["2026010819", "2026010820"]
    assert notify.next_hour("2026010823") == "2026010900"


def test_digest_mode_is_a_validated_setting_off_by_default() -> None:
    assert notify.NotificationSettings().digest is False
    assert notify.NotificationSettings(digest=True).digest is True
    with pytest.raises(ValidationError):
        notify.NotificationSettings.model_validate({"digest": "sometimes"})
    with pytest.raises(ValidationError):
        notify.NotificationSettings.model_validate({"events": ["reopened"]})


def test_a_tick_sends_the_hours_due_when_it_was_published_so_a_retried_one_keeps_its_hours() -> None:
    published = published_at("2026-01-08T23:05:00.123456789Z")
    assert published == 1_767_913_500.123456
    five_hours_later = published + 5 * 3600
    assert notify.hours_due(None, published, five_hours_later) == ["2026010820", "2026010821", "2026010822"]
    assert notify.hours_due(None, None, five_hours_later) == notify.digest_hours(five_hours_later)  # no time: now
    assert notify.hours_due("2026010100", published, five_hours_later) == ["2026010100"]
    assert published_at("") is None and published_at("yesterday") is None


def test_quiet_hours_gather_in_their_last_hour_and_the_digest_says_since_when() -> None:
    sleeper = user(notifications={"email": True, "quiet_hours": {"start": 22, "end": 6}})
    at_2330 = 1_767_915_000.0  # 2026-01-08 23:30 UTC
    assert notify.last_quiet_hour(sleeper, at_2330) == "2026010905"  # 05:00-06:00, over midnight
    assert notify.last_quiet_hour(sleeper, at_2330 + 6 * 3600) == "2026010905"  # from 05:30 too
    body = notify.digest_payload("2026010905", [], "https://app", since="2026010822")
    links = notify.UnsubscribeLinks("https://app/unsubscribe", "https://api/u")
    message = notify.digest_email(body, notify.Envelope("a@b.c", "a@b", links, "d", 0.0))
    assert "between 2026-01-08 22:00 and 06:00 on 2026-01-09 UTC" in str(message.get_body(("plain",)))
    assert notify.digest_payload("2026010905", [], "https://app")["since"] == "2026010905"


def test_a_digest_whose_hour_ends_at_midnight_dates_its_end() -> None:
    links = notify.UnsubscribeLinks("https://app/unsubscribe", "https://api/u")
    for since, said in [
        ("2026010822", "between 2026-01-08 22:00 and 00:00 on 2026-01-09 UTC"),
        ("2026010823", "between 2026-01-08 23:00 and 00:00 on 2026-01-09 UTC"),
    ]:
        body = notify.digest_payload("2026010823", [], "https://app", since=since)
        message = notify.digest_email(body, notify.Envelope("a@b.c", "a@b", links, "d", 0.0))
        assert said in str(message.get_body(("plain",)))
    body = notify.digest_payload("2026010810", [], "https://app")
    message = notify.digest_email(body, notify.Envelope("a@b.c", "a@b", links, "d", 0.0))
    assert "between 2026-01-08 10:00 and 11:00 UTC" in str(message.get_body(("plain",)))


def test_settings_that_fail_validation_are_named_without_their_values() -> None:
    """The reason is logged on every matching event: a chat webhook's token must not be in it."""
    token = "T0123/B0456/abcdefghijklmnopqrstuvwx"
    with pytest.raises(ValidationError) as caught:
        notify.settings_of({"notifications": {"webhook_url": f"http://hooks.example.com/services/{token}", "email": 2}})
    said = problems(caught.value)
    assert said.startswith("webhook_url: Value error, a webhook must be https") and "email: " in said
    assert "abcdefgh" not in said and "uvwx" not in said and "services" not in said
    assert "uvwx" in str(caught.value)  # pydantic's own message quotes the input's tail


def test_a_suspension_holds_until_its_end_or_while_not_lifted() -> None:
    assert not notify.suspended({}, 100.0)
    assert notify.suspended({"suspended": {"until": None}}, 100.0)
    assert notify.suspended({"suspended": {"until": 200.0}}, 100.0)
    assert not notify.suspended({"suspended": {"until": 100.0}}, 100.0)  # over: sent again
    assert notify.suspended({"suspended": {"until": "soon"}}, 100.0)  # unreadable: held, not sent


def test_the_api_shows_the_preferences_notify_reads_for_an_account_that_lacks_them() -> None:
    """One owner: what the API makes an account with and shows (its model's defaults) is what
    notify reads when a stored account lacks a preference."""
    from functions.api.models import Preferences

    assert Preferences().model_dump() == notify.default_preferences()
    risky = EVENT.model_copy(update={"pump_risk": notify.default_preferences()["max_pump_risk"] + 0.01})
    assert notify.matches(user(preferences={}), EVENT, ALERT)
    assert not notify.matches(user(preferences={}), risky, ALERT)
