"""Alerts reach people: an alert event on ``alerts`` through the running notify function to
a webhook receiver and an SMTP sink (devtools/mailbox.py), once per user and level however
often the event is delivered, with a signature the documented recipe verifies."""

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import google.cloud.pubsub_v1 as pubsub_v1
import pytest

from common import notify, topics
from common.adapters import firestore as fs
from common.messages import AlertEvent, DigestTick, encode
from common.settings import Settings
from common.timekeys import hour_key
from demo.logs import FunctionLog
from emulators.stack import Stack
from tests.support.api import ApiClient, db, make_client
from tests.support.function_logs import handled, settled
from tests.support.jwks import JwksServer, ed25519_key, serving

ROOT = Path(__file__).resolve().parents[2]
KEY = ed25519_key("notify-key")
SECRET = "whsec-test"
EVENT = AlertEvent(
    alert_id="NTLA-2026010823", ticker="NTLA", status="open", level=1, rule="volume_spike_6h", score=2.0,
    pump_risk=0.1, as_of=1_767_900_000.0, kind="organic",
)  # fmt: skip


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with serving(KEY) as server:
        yield server


def _mailbox(stack: Stack, path: str, body: Any = None) -> Any:
    url = stack.env["MAILBOX_URL"] + path
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def mailbox(emulators: Stack) -> Iterator[Callable[[str], Any]]:
    _mailbox(emulators, "/_reset", {})
    yield lambda path: _mailbox(emulators, path)
    _mailbox(emulators, "/_reset", {})


def _user(stack: Stack, user_id: str, **changes: Any) -> None:
    doc: dict[str, Any] = {
        "email": f"{user_id}@example.com",
        "email_verified": True,
        "watchlist": ["NTLA"],
        "preferences": {"min_score": 0.0, "max_pump_risk": 0.5, "watchlist_only": True, "subreddits": []},
        "notifications": {"email": True, "webhook_url": f"{stack.env['MAILBOX_URL']}/hooks/{user_id}"},
        "webhook_secret": SECRET,
        **changes,
    }
    db().collection(fs.USERS).document(user_id).set({**doc, notify.RECEIVES: notify.receives(doc["notifications"])})


# What each test published, by the function that handles it: waited out before the next test.
PUBLISHED: dict[str, list[str]] = {"notify": [], "notify_digest": []}


@pytest.fixture(autouse=True)
def _settle(emulators: Stack) -> Iterator[None]:
    """After each test (before its Firestore is emptied), until every message it published
    has been handled for good, so no late copy acts on the next test's users. Not a check:
    a message left failing is what its own test says."""
    logs = {name: FunctionLog.from_end(emulators.log_dir / f"{name}.log") for name in PUBLISHED}
    yield
    for name, ids in PUBLISHED.items():
        if ids:
            settled(logs[name], list(ids))
            ids.clear()


def _publish(stack: Stack, event: AlertEvent, times: int) -> None:
    publisher = pubsub_v1.PublisherClient()
    topic = publisher.topic_path(stack.emulators.project if stack.emulators else "", topics.ALERTS)
    for _ in range(times):
        PUBLISHED["notify"].append(str(publisher.publish(topic, encode(event)).result(timeout=10)))


def _wait(read: Callable[[], list[Any]], count: int, timeout: float = 60.0, settle: float = 3.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(read()) < count:
        time.sleep(0.3)
    time.sleep(settle)  # anything extra would arrive now
    return read()


def test_an_alert_after_a_rotation_is_signed_under_every_secret_of_the_day(
    emulators: Stack, mailbox: Callable[[str], Any]
) -> None:
    """A receiver still on the replaced secret, or already on the new one, takes the alert."""
    _user(
        emulators,
        "rotated",
        webhook_secret="new-secret",
        **{notify.REPLACED: [{"secret": "old-secret", "replaced_at": time.time() - 60}]},
    )
    _publish(emulators, EVENT.model_copy(update={"alert_id": f"NTLA-{time.time_ns()}"}), times=1)
    [hook] = _wait(lambda: [h for h in mailbox("/hooks") if h["name"] == "rotated"], 1)
    older = hook["headers"][notify.PREVIOUS_SIGNATURE_HEADER]
    for secret in ("old-secret", "new-secret"):
        signed = hook["headers"][notify.SIGNATURE_HEADER]
        assert notify.verify(secret, signed, hook["body"].encode(), time.time(), previous_header=older)


def test_a_watched_alert_reaches_webhook_and_email_once_through_redeliveries_and_a_flaky_webhook(
    emulators: Stack, mailbox: Callable[[str], Any]
) -> None:
    _user(emulators, "ann")
    _user(emulators, "bob", watchlist=["AAPL"])  # watchlist only, NTLA not on it: nothing
    db().collection(fs.ALERTS).document(EVENT.alert_id).set({"reasons": ["3x the usual volume"], "evidence": []})
    _mailbox(emulators, "/_fail", {"status": 500, "times": 2})
    _publish(emulators, EVENT, times=3)

    delivered = [h for h in _wait(lambda: [h for h in mailbox("/hooks") if h["answered"] == 200], 1)]
    hooks = mailbox("/hooks")
    assert [h["answered"] for h in hooks] == [500, 500, 200]  # retried in place, then delivered once
    # one delivery id on every attempt, for a receiver to drop a copy it already has
    assert {h["headers"][notify.DELIVERY_HEADER] for h in hooks} == {notify.delivery_id("ann", EVENT, "webhook")}
    assert [h["name"] for h in delivered] == ["ann"]
    [hook] = delivered
    assert notify.verify(SECRET, hook["headers"][notify.SIGNATURE_HEADER], hook["body"].encode(), now=time.time())
    body = json.loads(hook["body"])
    assert (body["type"], body["ticker"], body["level"], body["reasons"]) == (
        "alert.open",
        "NTLA",
        1,
        ["3x the usual volume"],
    )

    mail = _wait(lambda: mailbox("/mail"), 1)
    assert [m["to"] for m in mail] == [["ann@example.com"]]
    assert "NTLA" in mail[0]["subject"] and mail[0]["html"]
    assert "/v1/unsubscribe?token=" in mail[0]["list_unsubscribe"]


def test_the_unsubscribe_link_stops_email_without_signing_in(
    emulators: Stack, mailbox: Callable[[str], Any], jwks: JwksServer
) -> None:
    _user(emulators, "cid", notifications={"email": True})
    _publish(emulators, EVENT, times=1)
    [mail] = _wait(lambda: mailbox("/mail"), 1)
    link = mail["list_unsubscribe"].strip("<>")
    token = link.split("token=", 1)[1]
    assert mail["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"  # RFC 8058: mail clients POST it
    assert f"{Settings().app_url}/unsubscribe?token={token}" in mail["text"]  # the body's link asks first

    api: ApiClient = make_client(jwks, KEY, NOTIFY_SIGNING_KEY=Settings().notify_signing_key.get_secret_value())
    opened = api.http.get(f"/v1/unsubscribe?token={token}")  # a browser (or a mail scanner) opening the link
    assert (opened.status_code, opened.headers["Location"]) == (303, f"{Settings().app_url}/unsubscribe?token={token}")
    assert not (db().collection(fs.USERS).document("cid").get().to_dict() or {}).get("email_unsubscribed")
    one_click = api.http.post(
        f"/v1/unsubscribe?token={token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.get_json() == {"unsubscribed": True}
    assert api.http.post(f"/v1/unsubscribe?token=cid.{'0' * 32}").status_code == 400
    after = db().collection(fs.USERS).document("cid").get().to_dict() or {}
    assert after["email_unsubscribed"] and after[notify.RECEIVES] is False  # no channel left: not read for alerts
    assert api.http.post(f"/v1/unsubscribe?token={token}").get_json() == {"unsubscribed": True}
    from devtools import firestore_ops
    from functions.api.store import Store

    counted = type(db())(project=db().project)
    firestore_ops.wrap(counted)
    before = fs.totals()
    assert Store(counted).unsubscribe("cid")  # again (a second click, or a loop): one read, nothing written
    assert (fs.totals().reads - before.reads, fs.totals().writes - before.writes) == (1, 0)

    # a subscribed user beside: once their copy of an event is in, cid's would be too
    _user(emulators, "cic", notifications={"email": True})

    def control() -> list[Any]:  # (a copy of an earlier test's open event may reach cic too)
        return [m for m in mailbox("/mail") if m["to"] == ["cic@example.com"] and "escalated" in m["subject"]]

    def to_cid() -> list[Any]:
        return [m for m in mailbox("/mail") if m["to"] == ["cid@example.com"]]

    _publish(emulators, EVENT.model_copy(update={"level": 2, "status": "escalated"}), times=1)
    assert len(_wait(control, 1, settle=2.0)) == 1
    assert to_cid() == [mail]  # nothing more

    # The settings page, saved for something else, shows email off and keeps it off ...
    shown = api.call("GET", "/v1/me/notifications", sub="cid").get_json()
    assert shown["settings"]["email"] is False and shown["email_unsubscribed"]
    empty = {**shown["settings"], "quiet_hours": {"start": 3, "end": 3}}  # covers nothing: asked, not saved
    refused = api.call("PUT", "/v1/me/notifications", json=empty, sub="cid")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (422, "empty_quiet_hours")
    quiet = {**shown["settings"], "quiet_hours": {"start": 1, "end": 2}}
    assert api.call("PUT", "/v1/me/notifications", json=quiet, sub="cid").status_code == 200
    _publish(emulators, EVENT.model_copy(update={"level": 3, "status": "escalated"}), times=1)
    assert len(_wait(control, 2, settle=2.0)) == 2
    assert to_cid() == [mail]
    # ... until the user turns email back on
    again = {**quiet, "email": True}
    assert api.call("PUT", "/v1/me/notifications", json=again, sub="cid").get_json()["email_unsubscribed"] is False
    assert (db().collection(fs.USERS).document("cid").get().to_dict() or {})[notify.RECEIVES] is True


def test_a_link_mailed_before_the_signing_key_was_rotated_still_unsubscribes(
    emulators: Stack, jwks: JwksServer
) -> None:
    _user(emulators, "rot", notifications={"email": True})
    mailed = notify.unsubscribe_token("key-before-the-rotation", "rot")
    without = make_client(jwks, KEY, NOTIFY_SIGNING_KEY="key-after-the-rotation")
    assert without.http.post(f"/v1/unsubscribe?token={mailed}").status_code == 400
    assert not (db().collection(fs.USERS).document("rot").get().to_dict() or {}).get("email_unsubscribed")
    rotated = make_client(
        jwks, KEY, NOTIFY_SIGNING_KEY="key-after-the-rotation", NOTIFY_SIGNING_KEY_PREVIOUS="key-before-the-rotation"
    )
    assert rotated.http.post(f"/v1/unsubscribe?token={mailed}").get_json() == {"unsubscribed": True}
    assert (db().collection(fs.USERS).document("rot").get().to_dict() or {})["email_unsubscribed"]


def test_a_settings_page_loaded_before_an_unsubscribe_cannot_save_email_back_on(
    emulators: Stack, jwks: JwksServer
) -> None:
    """The settings tab stays open; the user unsubscribes from their mail client, then changes
    quiet hours in that tab: its email box, checked when it loaded, must not turn mail back on."""
    api: ApiClient = make_client(jwks, KEY, NOTIFY_SIGNING_KEY=Settings().notify_signing_key.get_secret_value())
    assert api.call("PUT", "/v1/me/notifications", sub="tab", json={"email": True}).status_code == 200
    page = api.call("GET", "/v1/me/notifications", sub="tab").get_json()
    assert page["settings"]["email"] is True and page["etag"]
    token = notify.unsubscribe_token(Settings().notify_signing_key.get_secret_value(), "tab")
    assert api.http.post(f"/v1/unsubscribe?token={token}").get_json() == {"unsubscribed": True}
    quiet = {**page["settings"], "quiet_hours": {"start": 22, "end": 6}}
    stale = api.call("PUT", "/v1/me/notifications", sub="tab", json={**quiet, "etag": page["etag"]})
    assert (stale.status_code, stale.get_json()["error"]["code"]) == (409, "settings_changed")
    assert (db().collection(fs.USERS).document("tab").get().to_dict() or {})["email_unsubscribed"] is True
    fresh = api.call("GET", "/v1/me/notifications", sub="tab").get_json()
    assert fresh["etag"] != page["etag"] and fresh["settings"]["email"] is False
    saved = api.call("PUT", "/v1/me/notifications", sub="tab", json={**fresh["settings"], "etag": fresh["etag"]})
    assert saved.status_code == 200 and saved.get_json()["email_unsubscribed"] is True
    assert api.call("POST", "/v1/me/notifications/webhook-secret", sub="tab").status_code == 201
    # a rotated secret changes nothing a save could undo: the etag read before it still holds
    again = {**saved.get_json()["settings"], "max_per_hour": 7, "etag": saved.get_json()["etag"]}
    assert api.call("PUT", "/v1/me/notifications", sub="tab", json=again).status_code == 200


def test_an_address_unsubscribed_before_the_link_turned_email_off_shows_it_off_until_turned_on(
    emulators: Stack, jwks: JwksServer
) -> None:
    _user(emulators, "old", notifications={"email": True}, email_unsubscribed=True)  # as the link used to leave it
    api: ApiClient = make_client(jwks, KEY)
    shown = api.call("GET", "/v1/me/notifications", sub="old").get_json()
    assert shown["settings"]["email"] is False and shown["email_unsubscribed"]
    kept = api.call("PUT", "/v1/me/notifications", json={**shown["settings"], "max_per_hour": 3}, sub="old")
    assert kept.get_json()["email_unsubscribed"] is True
    on = api.call("PUT", "/v1/me/notifications", json={**shown["settings"], "email": True}, sub="old")
    assert on.get_json()["email_unsubscribed"] is False and on.get_json()["settings"]["email"] is True


def test_notification_settings_round_trip_and_the_secret_is_shown_once(emulators: Stack, jwks: JwksServer) -> None:
    del emulators
    api = make_client(jwks, KEY)
    made = api.call("POST", "/v1/me/notifications/webhook-secret")
    assert made.status_code == 201 and len(made.get_json()["secret"]) >= 32
    sent = {"webhook_url": "https://hooks.example.com/a", "email": False, "kinds": ["organic", "pump"]}
    stored = api.call("PUT", "/v1/me/notifications", json=sent).get_json()
    assert stored["webhook_secret_set"] and "secret" not in json.dumps(stored).replace("secret_set", "")
    assert stored["settings"]["kinds"] == ["organic", "pump"]
    assert api.call("GET", "/v1/me/notifications").get_json() == stored
    refused = api.call("PUT", "/v1/me/notifications", json={"webhook_url": "http://hooks.example.com/a"})
    assert refused.status_code == 422
    # 800 bytes sent, over 2,083 characters once percent-encoded as stored: refused, not saved
    # to fail every later read of the settings
    long = api.call("PUT", "/v1/me/notifications", json={"webhook_url": "https://hooks.example.com/" + "é" * 350})
    assert long.status_code == 422
    assert api.call("GET", "/v1/me/notifications").get_json() == stored


def test_stored_settings_that_no_longer_validate_open_with_the_defaults_and_are_repaired_by_saving(
    emulators: Stack, jwks: JwksServer
) -> None:
    del emulators
    api = make_client(jwks, KEY)
    sub = f"old{time.time_ns()}"
    assert api.call("GET", "/v1/me", sub=sub).status_code == 200  # the user document exists
    db().collection(fs.USERS).document(sub).update({"notifications": {"max_per_hour": 5000}})  # over today's 100
    opened = api.call("GET", "/v1/me/notifications", sub=sub)
    assert opened.status_code == 200, opened.get_json()
    assert opened.get_json()["stored_settings_invalid"] is True
    assert api.call("POST", "/v1/me/notifications/test", sub=sub).status_code == 200  # nothing configured to try
    saved = api.call("PUT", "/v1/me/notifications", sub=sub, json={"webhook_url": "https://hooks.example.com/b"})
    assert saved.status_code == 200 and saved.get_json()["stored_settings_invalid"] is False


def test_a_sender_whose_lease_ran_out_cannot_overwrite_the_copy_that_took_over(emulators: Stack) -> None:
    from functions.notify import store

    del emulators
    first = store.claim(db(), "u|A-1|1|open|email", now=1000.0)
    assert first is not None
    with pytest.raises(store.Busy):  # within the lease: the other copy waits
        store.claim(db(), "u|A-1|1|open|email", now=1000.0 + store.LEASE_S / 2)
    second = store.claim(db(), "u|A-1|1|open|email", now=1000.0 + store.LEASE_S + 1)
    assert second is not None and second.attempt == 2
    assert store.finish(db(), second, "sent")
    assert not store.finish(db(), first, "failed")  # the late first copy is dropped
    record = db().collection(fs.DELIVERIES).document("u|A-1|1|open|email").get().to_dict() or {}
    assert record["status"] == "sent"
    assert store.claim(db(), "u|A-1|1|open|email", now=1e9) is None  # settled for good


def test_a_digest_closed_by_two_copies_either_side_of_the_quiet_hours_start_goes_out_once(emulators: Stack) -> None:
    """Two copies of a tick close the same digest: one finds the user outside the quiet hours
    and is about to send, the other finds them inside and carries it. The carry takes the
    channel, so the first copy's claim finds it settled and the entries go out only with the
    later digest; and a channel that copy is sending holds the carry back until it settles,
    then is carried as gone (sent), not sent again with the later digest."""
    from datetime import UTC, datetime

    from functions.notify import digest, store

    now = time.time()
    this_hour = datetime.fromtimestamp(now, UTC).hour
    user = f"qc{time.time_ns()}"
    quiet = {"start": (this_hour - 1) % 24, "end": (this_hour + 2) % 24}
    _user(
        emulators,
        user,
        notifications={"digest": True, "webhook_url": f"https://hooks.example.com/{user}", "quiet_hours": quiet},
    )
    stale = hour_key(now - 7 * 3600)
    body = notify.payload(EVENT.model_copy(update={"alert_id": f"NTLA-{user}"}), {}, "https://app")
    assert store.add_to_digest(db(), user, stale, f"{user}|NTLA|1|open|webhook", "webhook", body, now)
    assert store.close_digest(db(), user, stale)  # the first copy, outside the quiet hours, closed it

    digest.send_digests(DigestTick(), settings=Settings(), db=db(), channels=_recorded(None), published=now)
    source = db().collection(fs.DIGESTS).document(f"{user}|{stale}").get().to_dict() or {}
    assert source["status"] == "carried"
    assert store.claim(db(), f"digest|{user}|{stale}|webhook", now + 1) is None  # the first copy sends nothing

    other = f"qd{time.time_ns()}"
    _user(
        emulators,
        other,
        notifications={"digest": True, "webhook_url": f"https://hooks.example.com/{other}", "quiet_hours": quiet},
    )
    assert store.add_to_digest(db(), other, stale, f"{other}|NTLA|1|open|webhook", "webhook", body, now)
    sending = store.claim(db(), f"digest|{other}|{stale}|webhook", now)  # that copy is sending it now
    assert sending is not None
    # an older hour's trouble (store.Busy) is the next sweep's: this tick fails nothing
    digest.send_digests(DigestTick(), settings=Settings(), db=db(), channels=_recorded(None), published=now)
    assert (db().collection(fs.DIGESTS).document(f"{other}|{stale}").get().to_dict() or {}).get("status") != "carried"
    assert store.finish(db(), sending, "sent")
    digest.send_digests(DigestTick(), settings=Settings(), db=db(), channels=_recorded(None), published=now)
    carried = db().collection(fs.DIGESTS).document(f"{other}|{stale}").get().to_dict() or {}
    assert (carried.get("status"), carried.get("gone")) == ("carried", ["webhook"]), carried


def test_a_carry_settles_its_channels_with_it_and_refuses_a_channel_another_copy_took_over(emulators: Stack) -> None:
    """The channels a carry claimed are settled carried in its own transaction: no copy can
    send them after it, whatever fails after its commit. One whose lease ran out and that
    another copy took over is that copy's: the carry waits (Busy) and writes nothing."""
    from functions.notify import store

    del emulators
    user, hour, later = f"cs{time.time_ns()}", "2026010803", "2026010806"
    body = notify.payload(EVENT.model_copy(update={"alert_id": f"NTLA-{user}"}), {}, "https://app")
    assert store.add_to_digest(db(), user, hour, f"{user}|NTLA|1|open|email", "email", body, 1000.0)
    delivery = f"digest|{user}|{hour}|email"
    lapsed = store.claim(db(), delivery, now=1000.0)
    taken = store.claim(db(), delivery, now=1000.0 + store.LEASE_S + 1)  # another copy, after the lease
    assert lapsed is not None and taken is not None
    with pytest.raises(store.Busy):
        store.carry_digest(db(), user, hour, later, set(), 1000.0, [lapsed])
    assert (db().collection(fs.DIGESTS).document(f"{user}|{hour}").get().to_dict() or {}).get("status") != "carried"
    assert store.carry_digest(db(), user, hour, later, set(), 1000.0, [taken]) == later
    record = db().collection(fs.DELIVERIES).document(delivery).get().to_dict() or {}
    assert record["status"] == "carried"
    assert store.claim(db(), delivery, now=1e9) is None


def test_reclassified_and_resolved_events_reach_a_user_who_asked_for_them_and_not_one_who_did_not(
    emulators: Stack, mailbox: Callable[[str], Any]
) -> None:
    moments = ["open", "escalated", "reclassified", "resolved"]
    # a ticker of its own: copies of earlier tests' NTLA events may still be redelivered
    event = EVENT.model_copy(update={"ticker": "DEEX", "alert_id": "DEEX-2026010823"})
    _user(emulators, "dee", watchlist=["DEEX"], notifications={"email": True, "events": moments})
    _user(emulators, "eve", watchlist=["DEEX"], notifications={"email": True})  # the defaults: open and escalated
    db().collection(fs.ALERTS).document(event.alert_id).set({"reasons": [], "evidence": [], "peak_score": 2.0})
    _publish(emulators, event.model_copy(update={"kind": "pump", "event": "reclassified"}), times=2)
    _publish(emulators, event.model_copy(update={"status": "resolved", "event": "resolved", "score": 0.1}), times=2)

    mail = _wait(lambda: mailbox("/mail"), 2)
    assert sorted((m["to"][0], m["subject"].split(" (level")[0]) for m in mail) == [
        ("dee@example.com", "[Akleao] DEEX organic alert resolved"),
        ("dee@example.com", "[Akleao] DEEX pump alert reclassified"),
    ]


def _one_hour_ahead(margin_s: float = 120.0) -> str:
    """The current UTC hour, waiting for the next one first if it would turn mid-test."""
    left = 3600 - time.time() % 3600
    if left < margin_s:
        time.sleep(left + 1)
    return hour_key(time.time())


def _entries(user_id: str, hour: str) -> list[Any]:
    digest = db().collection(fs.DIGESTS).document(f"{user_id}|{hour}")
    return list(digest.collection(fs.DIGEST_ENTRIES).stream())


def _tick(stack: Stack, hour: str, times: int) -> list[str]:
    publisher = pubsub_v1.PublisherClient()
    topic = publisher.topic_path(stack.emulators.project if stack.emulators else "", topics.DIGEST_TICKS)
    sent = [str(publisher.publish(topic, encode(DigestTick(hour=hour))).result(timeout=10)) for _ in range(times)]
    PUBLISHED["notify_digest"] += sent
    return sent


def _events(count: int) -> list[AlertEvent]:
    return [
        EVENT.model_copy(update={"alert_id": f"NTLA-20260108{10 + i}", "as_of": EVENT.as_of + i}) for i in range(count)
    ]


def test_a_digest_user_gets_one_digest_of_the_hours_three_events_through_duplicated_events_and_ticks(
    emulators: Stack, mailbox: Callable[[str], Any]
) -> None:
    hour = _one_hour_ahead()
    _user(emulators, "fay", notifications={"email": True, "digest": True, "webhook_url": _hook(emulators, "fay")})
    for event in _events(3):
        _publish(emulators, event, times=2)
    assert len(_wait(lambda: _entries("fay", hour), 6, settle=1.0)) == 6  # three events, two channels
    assert mailbox("/mail") == [] and mailbox("/hooks") == []  # nothing sent one by one

    _tick(emulators, hour, times=2)
    hooks = _wait(lambda: mailbox("/hooks"), 1)
    mail = _wait(lambda: mailbox("/mail"), 1)
    assert [h["name"] for h in hooks] == ["fay"] and [m["to"] for m in mail] == [["fay@example.com"]]
    body = json.loads(hooks[0]["body"])
    assert (body["type"], body["hour"], body["count"]) == ("digest", hour, 3)
    assert sorted(e["alert_id"] for e in body["events"]) == sorted(e.alert_id for e in _events(3))
    # each event names the delivery id its own message would carry, for a receiver to drop a copy
    assert sorted(e["delivery"] for e in body["events"]) == sorted(
        notify.delivery_id("fay", e, "webhook") for e in _events(3)
    )
    assert notify.verify(SECRET, hooks[0]["headers"][notify.SIGNATURE_HEADER], hooks[0]["body"].encode(), time.time())
    assert "3 alert events" in mail[0]["subject"]

    log = FunctionLog.from_end(emulators.log_dir / "notify_digest.log")
    handled(log, _tick(emulators, hour, times=1))  # a later tick for the same hour: already sent
    assert len(_wait(lambda: mailbox("/mail") + mailbox("/hooks"), 3, timeout=2, settle=0)) == 2


def test_a_digest_leaves_out_what_the_user_stopped_watching_after_it_was_recorded(
    emulators: Stack, mailbox: Callable[[str], Any]
) -> None:
    hour = _one_hour_ahead()
    for name in ("gil", "hana"):
        _user(emulators, name, notifications={"email": True, "digest": True})
    for event in _events(2):
        _publish(emulators, event, times=1)
    assert len(_wait(lambda: _entries("gil", hour) + _entries("hana", hour), 4, settle=1.0)) == 4
    db().collection(fs.USERS).document("gil").update({"watchlist": []})  # NTLA dropped before the digest

    log = FunctionLog.from_end(emulators.log_dir / "notify_digest.log")
    handled(log, _tick(emulators, hour, times=1))
    mail = mailbox("/mail")
    assert [m["to"] for m in mail] == [["hana@example.com"]]  # gil's digest had nothing left to send
    assert "2 alert events" in mail[0]["subject"]


def test_a_user_over_the_hourly_cap_gets_the_overflow_in_the_digest_not_silence(
    emulators: Stack, mailbox: Callable[[str], Any]
) -> None:
    hour = _one_hour_ahead()
    _user(emulators, "gus", notifications={"email": True, "max_per_hour": 1})
    first, *flood = _events(3)
    _publish(emulators, first, times=1)
    [single] = _wait(lambda: mailbox("/mail"), 1, settle=0)
    assert "digest" not in single["subject"]
    counter = db().collection(fs.USERS).document("gus").collection(fs.SENT).document(f"email-{hour}")
    _wait(lambda: [1] * int((counter.get().to_dict() or {}).get("count") or 0), 1, settle=0)  # the cap is no lock
    for event in flood:
        _publish(emulators, event, times=1)
    assert len(_wait(lambda: _entries("gus", hour), 2, settle=1.0)) == 2
    assert mailbox("/mail") == [single]

    _tick(emulators, hour, times=1)
    mail = _wait(lambda: mailbox("/mail"), 2)
    assert len(mail) == 2 and "2 alert events" in mail[1]["subject"]
    # the digest is the cap's overflow, not a message against it: the next event still goes out alone
    assert (counter.get().to_dict() or {}).get("count") == 1


def test_events_in_quiet_hours_wait_in_one_digest_sent_once_the_quiet_hours_are_over(
    emulators: Stack, mailbox: Callable[[str], Any]
) -> None:
    from functions.notify import store

    hour = _one_hour_ahead()
    now = int(hour[-2:])
    quiet = {"start": (now - 1) % 24, "end": (now + 2) % 24}  # this hour and the next, with margin
    last = notify.next_hour(hour)  # the quiet hours' last hour: where they gather
    hook = _hook(emulators, "ida")
    _user(emulators, "ida", notifications={"email": True, "quiet_hours": quiet, "webhook_url": hook})
    _user(emulators, "jan", notifications={"email": True, "quiet_hours": quiet, "digest": True})
    for event in _events(2):
        _publish(emulators, event, times=2)
    assert len(_wait(lambda: _entries("ida", last), 4, settle=1.0)) == 4  # two events, two channels: held
    assert len(_wait(lambda: _entries("jan", last), 2, settle=0.5)) == 2
    assert mailbox("/mail") == [] and mailbox("/hooks") == []
    # jan's digest of this hour, holding an event recorded before the quiet hours began
    early = notify.payload(EVENT.model_copy(update={"alert_id": "NTLA-2026010701"}), {}, "https://app")
    assert store.add_to_digest(db(), "jan", hour, "jan|NTLA-2026010701|1|open|email", "email", early, time.time())
    # kay's digest of this hour went out before (an earlier tick): never carried nor sent again
    # (sent first, as it was, and the digest written with its entry in one batch: a tick still
    # retrying from an earlier test may close kay's digest at any moment, even between the two
    # writes add_to_digest makes)
    db().collection(fs.DELIVERIES).document(f"digest|kay|{hour}|email").set({"status": "sent"})
    _user(emulators, "kay", notifications={"email": True, "quiet_hours": quiet, "digest": True})
    kay = db().collection(fs.DIGESTS).document(f"kay|{hour}")
    batch = db().batch()
    batch.create(kay, {"user_id": "kay", "hour": hour, "status": "open"})
    batch.create(
        kay.collection(fs.DIGEST_ENTRIES).document("kay|NTLA-2026010701|1|open|email"),
        {"channel": "email", "body": early, "hour": hour},
    )
    batch.commit()

    _tick(emulators, hour, times=2)  # jan's digest falls due in the quiet hours: carried to their last hour
    _wait(lambda: [u for u in ("jan", "kay") if _digest(u, hour).get("status") == "carried"], 2, settle=1.0)
    assert (_digest("jan", hour)["carried_to"], _digest("jan", last)["carried_from"]) == (last, [hour])
    assert store.carry_digest(db(), "jan", hour, last, set(), time.time()) == last  # a second copy: once
    assert _digest("jan", last)["carried_from"] == [hour] and _digest("kay", hour)["gone"] == ["email"]
    log = FunctionLog.from_end(emulators.log_dir / "notify_digest.log")
    handled(log, _tick(emulators, hour, times=1))  # the carried digest is never sent itself
    assert _wait(lambda: mailbox("/mail") + mailbox("/hooks"), 1, timeout=2, settle=0) == []

    for name in ("ida", "jan"):  # the quiet hours are over
        db().collection(fs.USERS).document(name).update({"notifications.quiet_hours": None})
    _tick(emulators, last, times=2)
    _tick(emulators, hour, times=1)
    mail = _wait(lambda: mailbox("/mail"), 2)
    hooks = _wait(lambda: mailbox("/hooks"), 1)
    assert sorted(m["to"][0] for m in mail) == ["ida@example.com", "jan@example.com"]  # one digest each
    subjects = {m["to"][0]: m["subject"] for m in mail}
    assert "2 alert events" in subjects["ida@example.com"] and "3 alert events" in subjects["jan@example.com"]
    assert len(hooks) == 1
    body = json.loads(hooks[0]["body"])
    assert (body["count"], body["hour"], body["since"]) == (2, last, hour)


def test_the_schedulers_empty_tick_sends_the_digests_of_the_hours_that_are_over_and_not_the_current_one(
    emulators: Stack, mailbox: Callable[[str], Any]
) -> None:
    from functions.notify import store

    hour = _one_hour_ahead()
    _user(emulators, "hal", notifications={"email": True, "digest": True})
    # stale: still open from before the hours a tick looks back on (the scheduler was down)
    [stale, done, current] = [hour_key(time.time() - 6 * 3600), hour_key(time.time() - 3600), hour]
    for key in (stale, done, current):
        body = notify.payload(EVENT.model_copy(update={"alert_id": f"NTLA-{key}"}), {}, "https://app")
        assert store.add_to_digest(db(), "hal", key, f"hal|NTLA-{key}|1|open|email", "email", body, time.time())
    publisher = pubsub_v1.PublisherClient()
    project = emulators.emulators.project if emulators.emulators else ""
    publisher.publish(publisher.topic_path(project, topics.DIGEST_TICKS), b"{}").result(timeout=10)

    [old, mail] = _wait(lambda: [m for m in mailbox("/mail") if m["to"] == ["hal@example.com"]], 2)  # oldest first
    assert f"NTLA-{stale}" in old["text"] and f"NTLA-{done}" not in old["text"]
    assert "1 alert event" in mail["subject"] and f"NTLA-{done}" in mail["text"]
    assert f"NTLA-{current}" not in old["text"] + mail["text"]  # this hour is not over: still open
    assert (db().collection(fs.DIGESTS).document(f"hal|{current}").get().to_dict() or {})["status"] == "open"


def test_an_event_recorded_while_its_digest_closes_goes_to_the_next_hour_not_into_the_closed_one(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from google.cloud.firestore_v1.document import DocumentReference

    from functions.notify import store

    user = f"mia{time.time_ns()}"
    hour = hour_key(time.time() + 30 * 86400)  # no tick sends it: only this test closes it
    client = db()
    digest = client.collection(fs.DIGESTS).document(f"{user}|{hour}")
    digest.create({"user_id": user, "hour": hour, "status": "open"})
    read = DocumentReference.get
    sent: list[list[dict[str, Any]] | None] = []

    def read_then_close(self: DocumentReference, *args: Any, **kwargs: Any) -> Any:
        snap = read(self, *args, **kwargs)
        if self.path == digest.path and not sent:  # the tick closes it right after the event read it open
            sent.append(None)
            sent[0] = store.close_digest(client, user, hour)
        return snap

    monkeypatch.setattr(DocumentReference, "get", read_then_close)
    body = notify.payload(EVENT, {}, "https://app")
    delivery = f"{user}|NTLA|1|open|email"
    assert store.add_to_digest(client, user, hour, delivery, "email", body, time.time())
    assert sent == [[]]  # the closing tick found nothing to send ...
    later = client.collection(fs.DIGESTS).document(f"{user}|{notify.next_hour(hour)}")
    assert [e.id for e in later.collection(fs.DIGEST_ENTRIES).stream()] == [delivery]  # ... so the next hour has it
    assert [e.id for e in digest.collection(fs.DIGEST_ENTRIES).stream()] == []
    assert not store.add_to_digest(client, user, hour, delivery, "email", body, time.time())  # a redelivery: once
    assert len(list(later.collection(fs.DIGEST_ENTRIES).stream())) == 1


def test_an_event_redelivered_after_its_digest_was_sent_is_not_recorded_again_in_a_later_hour(emulators: Stack) -> None:
    """Recorded in one hour's digest, then the sender died before settling the delivery: the
    redelivery, an hour on, must find the entry where it went, not digest the event twice."""
    from functions.notify import store

    user, hour = f"oda{time.time_ns()}", hour_key(time.time() + 30 * 86400)
    later = notify.next_hour(hour)
    delivery, body, now = f"{user}|NTLA|1|open|email", notify.payload(EVENT, {}, "https://app"), time.time()
    claim = store.claim(db(), delivery, now)
    assert claim is not None
    claim, target = store.remember_digest(db(), claim, hour)
    assert target == hour and store.add_to_digest(db(), user, target, delivery, "email", body, now)
    assert [e["id"] for e in store.close_digest(db(), user, hour) or []] == [delivery]  # sent with the hour
    again = store.claim(db(), delivery, now + store.LEASE_S + 1)  # the lease ran out: the redelivery takes it
    assert again is not None
    again, target = store.remember_digest(db(), again, later)  # its own hour is the next one ...
    assert target == hour  # ... but it looks where the first attempt put it
    assert not store.add_to_digest(db(), user, target, delivery, "email", body, now)
    entries = db().collection(fs.DIGESTS).document(f"{user}|{later}").collection(fs.DIGEST_ENTRIES).stream()
    assert list(entries) == []
    assert store.finish(db(), again, "digested")


def test_a_delivery_an_earlier_attempt_put_in_a_digest_is_never_also_sent_directly(emulators: Stack) -> None:
    """An attempt held the event for a digest (quiet hours), recorded it, and died before
    settling. The redelivery comes after the quiet hours, when the user would get it
    directly: the digest it is in already decides, or the user gets it twice."""
    from dataclasses import dataclass, field

    from common.adapters.channels import Channels
    from functions.notify import main, store

    @dataclass(frozen=True)
    class Recorded(Channels):
        calls: list[str] = field(default_factory=list)

        def webhook(self, *args: Any, **kwargs: Any) -> None:
            self.calls.append("webhook")

        def email(self, *args: Any, **kwargs: Any) -> None:
            self.calls.append("email")

    user = f"qed{time.time_ns()}"
    _user(emulators, user, notifications={"email": True})
    event = EVENT.model_copy(update={"alert_id": f"NTLA-{user}"})
    delivery, now = notify.delivery_id(user, event, "email"), time.time()
    hour = hour_key(now)
    claim = store.claim(db(), delivery, now)  # the first attempt: held, recorded, then died
    assert claim is not None
    claim, target = store.remember_digest(db(), claim, hour)
    assert store.add_to_digest(db(), user, target, delivery, "email", notify.payload(event, {}, "https://app"), now)

    later = now + store.LEASE_S + 1  # the lease ran out; no quiet hours, no digest mode, under the cap
    channels = Recorded(Settings(), clock=lambda: later)
    result = main.notify_event(event, settings=Settings(), db=db(), channels=channels)
    assert channels.calls == [] and result.digested == 1 and result.sent == []
    assert [e.id for e in _entries(user, hour)] == [delivery]
    assert (db().collection(fs.DELIVERIES).document(delivery).get().to_dict() or {})["status"] == "digested"


def test_notify_reads_only_the_users_who_asked_for_messages(emulators: Stack) -> None:
    """Every account takes every alert by default and most never set a channel: an alert
    must not read them all, nor every watcher of a popular ticker."""
    from functions.notify import store

    tag = f"c{time.time_ns()}"
    everything = {"min_score": 0.0, "max_pump_risk": 0.5, "watchlist_only": False, "subreddits": []}
    _user(emulators, f"{tag}-mail", watchlist=[], preferences=everything, notifications={"email": True})
    _user(
        emulators,
        f"{tag}-hook",
        watchlist=[],
        preferences=everything,
        notifications={"webhook_url": "https://h.example/x"},
    )
    _user(emulators, f"{tag}-none", watchlist=[], preferences=everything, notifications={"email": False})
    _user(emulators, f"{tag}-watch", watchlist=[tag.upper()], notifications={"email": False})
    _user(emulators, f"{tag}-watchmail", watchlist=[tag.upper()], notifications={"email": True})
    found = {u for u in store.candidates(db(), tag.upper()) if u.startswith(tag)}
    assert found == {f"{tag}-mail", f"{tag}-hook", f"{tag}-watchmail"}


def test_a_deleted_account_is_sent_nothing_more_and_its_settings_are_gone(emulators: Stack, jwks: JwksServer) -> None:
    """What the web app calls before its account is removed: the watchlist, the addresses and
    the webhook go with it, so notify finds nobody to send to."""
    from functions.notify import store

    del emulators
    api, sub = make_client(jwks, KEY), f"gone{time.time_ns()}"
    tag = "NTLA"
    assert api.call("PUT", f"/v1/me/watchlist/{tag}", sub=sub).status_code == 200
    warm = [make_client(jwks, KEY) for _ in range(5)]  # other instances, each knowing the account
    judged = db().collection(fs.ALERTS).document(f"NTLA-{sub}")
    judged.set({"alert_id": judged.id, "symbol": tag, "kind": "organic", "rule": "volume_6h", "opened_at": 1.0})
    assert all(w.call("GET", "/v1/me", sub=sub).status_code == 200 for w in warm)
    sent = {"webhook_url": "https://hooks.example.com/a", "email": True}
    assert api.call("PUT", "/v1/me/notifications", sub=sub, json=sent).status_code == 200
    user = db().collection(fs.USERS).document(sub)
    user.collection(fs.SENT).document("email-2026010816").set({"count": 1})
    assert sub in store.candidates(db(), tag)

    assert api.call("DELETE", "/v1/me", sub=sub).status_code == 204
    assert not user.get().exists and not list(user.collection(fs.SENT).stream())
    assert sub not in store.candidates(db(), tag)
    # a token issued before the deletion (valid for its 15 minutes) cannot make the account again,
    # on an instance that never saw it or on one that did
    fresh = make_client(jwks, KEY)
    for client, method, path, body in (
        (fresh, "GET", "/v1/me", None),
        (fresh, "PUT", "/v1/me/notifications", sent),
        (warm[0], "PUT", f"/v1/me/watchlist/{tag}", None),
        (warm[1], "PATCH", "/v1/me/preferences", {"min_score": 2.0}),
        (warm[2], "POST", "/v1/me/notifications/webhook-secret", None),
        (warm[3], "PUT", "/v1/me/notifications", sent),
        (warm[4], "POST", f"/v1/alerts/{judged.id}/feedback", {"verdict": "useful"}),  # reads no users/ document
    ):
        refused = client.call(method, path, sub=sub, json=body)
        assert (refused.status_code, (refused.get_json() or {}).get("error", {}).get("code")) == (
            401,
            "account_deleted",
        ), (path, refused.status_code, refused.get_json())
    assert not user.get().exists and not judged.collection("feedback").document(sub).get().exists
    assert fresh.call("DELETE", "/v1/me", sub=sub).status_code == 204  # again (its answer lost): done, not refused
    assert not user.get().exists
    # a sign-in well after the deletion (the web app kept the account: its own removal failed)
    # is made afresh, with nothing of the data deleted, not locked out for the tombstone's day
    deleted_at = time.time() - 600
    db().collection(fs.DELETED_USERS).document(sub).update({"deleted_at": deleted_at})
    # a token minted now by a session begun before the deletion (the tab it was asked from) is not
    later = make_client(jwks, KEY)
    stale = later.token(sub, auth_time=int(deleted_at) - 300)
    refused = later.http.get("/v1/me", headers={"Authorization": f"Bearer {stale}"})
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "account_deleted"
    again = make_client(jwks, KEY).call("GET", "/v1/me", sub=sub)
    assert again.status_code == 200 and again.get_json()["watchlist"] == []


def test_a_deletion_that_fails_keeps_the_account_usable(
    emulators: Stack, jwks: JwksServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The web app keeps an account whose data the API could not delete: its tokens must keep
    working, not meet a tombstone for a day."""
    from google.api_core import exceptions as gexc
    from google.cloud import firestore

    del emulators
    api, sub = make_client(jwks, KEY), f"kept{time.time_ns()}"
    assert api.call("PUT", "/v1/me/watchlist/NTLA", sub=sub).status_code == 200

    delete = firestore.DocumentReference.delete

    def unavailable(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.path.startswith(f"{fs.USERS}/"):
            raise gexc.ServiceUnavailable("firestore is down")  # type: ignore[no-untyped-call]
        return delete(self, *args, **kwargs)

    monkeypatch.setattr(firestore.DocumentReference, "delete", unavailable)
    assert api.call("DELETE", "/v1/me", sub=sub).status_code >= 500
    monkeypatch.undo()
    assert not db().collection(fs.DELETED_USERS).document(sub).get().exists
    answer = make_client(jwks, KEY).call("GET", "/v1/me", sub=sub)
    assert answer.status_code == 200 and answer.get_json()["watchlist"] == ["NTLA"]


def test_a_ban_in_force_stays_on_the_tombstone_of_a_banned_account_and_of_a_deletion_asked_again(
    emulators: Stack, jwks: JwksServer
) -> None:
    """A sign-in after the deletion (the web app kept the account) makes the account again
    banned: the deletion must not drop the ban it had, nor a deletion asked for again (its
    answer lost) the ban kept on its tombstone."""
    del emulators
    api = make_client(jwks, KEY)
    banned, ended = f"banned{time.time_ns()}", f"ended{time.time_ns()}"
    until = time.time() + 7 * 86400
    for sub, ends in ((banned, until), (ended, time.time() - 60)):
        assert api.call("GET", "/v1/me", sub=sub).status_code == 200
        assert api.call("PUT", f"/v1/users/{sub}/suspension", role="admin", json={"until": ends}).status_code == 204
        assert api.call("DELETE", "/v1/me", sub=sub).status_code == 204
    tomb = db().collection(fs.DELETED_USERS).document(banned)
    assert tomb.get().get("suspended")["until"] == until and tomb.get().get("expires_at").timestamp() >= until - 1
    assert api.call("DELETE", "/v1/me", sub=banned).status_code == 204
    assert tomb.get().get("suspended")["until"] == until and tomb.get().get("expires_at").timestamp() >= until - 1
    tomb.update({"deleted_at": time.time() - 600})
    again = make_client(jwks, KEY).call("GET", "/v1/me", sub=banned)
    assert again.status_code == 200 and again.get_json()["suspended"] == {"until": until}
    # a ban over before the deletion is not kept, nor the tombstone for it
    over = db().collection(fs.DELETED_USERS).document(ended).get()
    assert "suspended" not in (over.to_dict() or {}) and over.get("expires_at").timestamp() < time.time() + 2 * 86400
    # made again banned, then banned anew for a shorter time that has ended: deleted once more,
    # the account's own ban decides, not the longer one its old tombstone still holds
    assert (
        api.call("PUT", f"/v1/users/{banned}/suspension", role="admin", json={"until": time.time() - 1}).status_code
        == 204
    )
    assert api.call("DELETE", "/v1/me", sub=banned).status_code == 204
    assert "suspended" not in (tomb.get().to_dict() or {})


def test_the_backfill_gives_accounts_saved_before_receives_existed_the_field_notify_reads(emulators: Stack) -> None:
    import importlib.util

    from functions.notify import store

    spec = importlib.util.spec_from_file_location("backfill", ROOT / "scripts" / "backfill_receives.py")
    assert spec is not None and spec.loader is not None
    backfill = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(backfill)

    tag = f"b{time.time_ns()}"
    everything = {"min_score": 0.0, "max_pump_risk": 0.5, "watchlist_only": False, "subreddits": []}
    watching = {**everything, "watchlist_only": True}
    for name, chosen, preferences, watchlist in (
        ("mail", {"email": True}, everything, []),
        ("none", {"email": False}, everything, []),
        ("watcher", {"email": True}, watching, [tag.upper()]),
    ):
        doc = {"watchlist": watchlist, "preferences": preferences, "notifications": chosen, "email": "a@example.com"}
        db().collection(fs.USERS).document(f"{tag}-{name}").set({**doc, "email_verified": True})  # as saved before
    assert not {u for u in store.candidates(db(), tag.upper()) if u.startswith(tag)}  # unheard until backfilled
    assert backfill.backfill(db()) >= 2
    assert {u for u in store.candidates(db(), tag.upper()) if u.startswith(tag)} == {f"{tag}-mail", f"{tag}-watcher"}
    assert backfill.backfill(db()) == 0  # again: nothing to write


def test_events_recorded_side_by_side_in_one_digest_are_all_kept(emulators: Stack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from functions.notify import store

    user, hour = f"ned{time.time_ns()}", hour_key(time.time() + 30 * 86400)
    body = notify.payload(EVENT, {}, "https://app")
    ids = [f"{user}|NTLA-{n}|1|open|{channel}" for n in range(6) for channel in ("email", "webhook")]
    with ThreadPoolExecutor(len(ids)) as pool:  # every write but one per round finds the digest changed
        added = list(pool.map(lambda d: store.add_to_digest(db(), user, hour, d, "email", body, time.time()), ids))
    assert added == [True] * len(ids)
    entries = db().collection(fs.DIGESTS).document(f"{user}|{hour}").collection(fs.DIGEST_ENTRIES).stream()
    assert sorted(e.id for e in entries) == sorted(ids)


def _digest(user: str, hour: str) -> dict[str, Any]:
    return db().collection(fs.DIGESTS).document(f"{user}|{hour}").get().to_dict() or {}


def _hook(stack: Stack, name: str) -> str:
    return f"{stack.env['MAILBOX_URL']}/hooks/{name}"


def test_a_test_send_reaches_the_webhook_and_the_mailbox_and_reports_a_refusal(
    emulators: Stack, mailbox: Callable[[str], Any], jwks: JwksServer
) -> None:
    api = make_client(jwks, KEY)
    _user(emulators, "user-1", notifications={"email": True, "webhook_url": _hook(emulators, "tester")})

    sent = api.call("POST", "/v1/me/notifications/test")
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json() == {
        "webhook": {"outcome": "sent", "status": None, "detail": None},
        "email": {"outcome": "sent", "status": None, "detail": None},
    }
    [hook] = mailbox("/hooks")
    assert hook["name"] == "tester" and json.loads(hook["body"])["type"] == "test"
    assert notify.verify(SECRET, hook["headers"][notify.SIGNATURE_HEADER], hook["body"].encode(), time.time())
    [mail] = mailbox("/mail")
    assert mail["to"] == ["u1@example.com"] and "test" in mail["subject"]  # the account's address

    made = api.call("POST", "/v1/me/notifications/webhook-secret")
    assert made.status_code == 201
    assert api.call("POST", "/v1/me/notifications/test").get_json()["webhook"]["outcome"] == "sent"
    rotated = mailbox("/hooks")[-1]
    signed, older = rotated["headers"][notify.SIGNATURE_HEADER], rotated["headers"][notify.PREVIOUS_SIGNATURE_HEADER]
    for secret in (SECRET, made.get_json()["secret"]):  # the receiver's, before and after it switches
        assert notify.verify(secret, signed, rotated["body"].encode(), time.time(), previous_header=older)

    _mailbox(emulators, "/_fail", {"status": 410, "times": 1})
    refused = api.call("POST", "/v1/me/notifications/test").get_json()
    assert (refused["webhook"]["outcome"], refused["webhook"]["status"]) == ("refused", 410)

    nothing = api.call("POST", "/v1/me/notifications/test", sub="user-2").get_json()
    assert [nothing["webhook"]["outcome"], nothing["email"]["outcome"]] == ["not_configured", "not_configured"]


def test_a_test_email_the_relay_could_not_take_says_so_without_the_relays_own_words(
    emulators: Stack, jwks: JwksServer, caplog: pytest.LogCaptureFixture
) -> None:
    """What our relay answers (its host, a refused login) is for our logs, not every user's screen."""
    import socket

    with socket.socket() as closed:  # a port nothing listens on: the relay unreachable
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    api = make_client(jwks, KEY, SMTP_PORT=port)
    _user(emulators, "user-3", notifications={"email": True})
    answer = api.call("POST", "/v1/me/notifications/test", sub="user-3").get_json()
    assert answer["email"]["outcome"] == "failed"
    assert "relay" in answer["email"]["detail"] and "Error" not in answer["email"]["detail"]
    assert any(r.levelname == "ERROR" and "relay" in r.getMessage() for r in caplog.records)


def test_webhook_test_sends_are_bounded_for_everyone_together_not_only_per_user(
    emulators: Stack, jwks: JwksServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each webhook test may wait out a silent receiver: many accounts must not hold every api
    instance with them. A test with nothing to wait on spends nothing of the shared bound."""
    from functions.api import notify_routes

    monkeypatch.setattr(notify_routes, "TESTS_PER_MINUTE_ALL", 2)
    minute = (int(time.time() // 60) + 10**6 + time.time_ns() % 10**6) * 60.0  # a minute of its own
    api = make_client(jwks, KEY, clock=lambda: minute + 1)
    tag = f"t{time.time_ns()}"
    assert api.call("POST", "/v1/me/notifications/test", sub=f"{tag}-none").status_code == 200  # not configured
    for i in range(3):
        _user(emulators, f"{tag}-{i}", notifications={"webhook_url": _hook(emulators, f"{tag}-{i}")})
    answers = [api.call("POST", "/v1/me/notifications/test", sub=f"{tag}-{i}") for i in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]  # three users, one test each
    assert (
        answers[2].headers["Retry-After"] and "webhook tests by everyone" in answers[2].get_json()["error"]["message"]
    )


def test_a_webhook_is_disabled_by_failed_deliveries_over_an_hour_not_by_retries_or_a_burst(emulators: Stack) -> None:
    from functions.notify import store

    del emulators
    users, now, hour = db().collection(fs.USERS), time.time(), 3600.0
    users.document("jo").set({"watchlist": ["NTLA"]})
    policy = store.DisablePolicy(after=5, span_s=hour, unanswered_s=24 * hour)
    for _ in range(8):  # one alert's delivery, failing through every redelivery of its event
        assert not store.webhook_failed(db(), "jo", "jo|NTLA-1|1|open|webhook", "HTTP 503", policy, now, True)
    assert (users.document("jo").get().to_dict() or {})["webhook_failures"] == 1
    # a success of an account its delivery read healthy writes nothing (a burst would write
    # it from every thread); one read failing clears the failures
    before = users.document("jo").get()
    store.webhook_succeeded(db(), "jo", {"watchlist": ["NTLA"]})
    assert users.document("jo").get().update_time == before.update_time
    store.webhook_succeeded(db(), "jo", before.to_dict())
    assert (users.document("jo").get().to_dict() or {})["webhook_failures"] == 0

    def failed(i: int, at: float, after: int = 5) -> bool:
        rule = store.DisablePolicy(after=after, span_s=hour, unanswered_s=24 * hour)
        return store.webhook_failed(db(), "jo", f"jo|NTLA-{i}|1|open|webhook", "503", rule, at, True)

    burst = [failed(i, now + i) for i in range(8)]
    assert not any(burst)  # eight alerts in minutes while the receiver was down: not dead yet
    assert failed(9, now + hour)
    doc = users.document("jo").get().to_dict() or {}
    assert doc["webhook_disabled"] and doc["webhook_failures"] == 9 and doc["webhook_disabled_reason"] == "503"
    store.webhook_succeeded(db(), "jo")  # a success starts the count and the hour afresh
    assert not failed(10, now + 2 * hour, after=1)
    # one refusal, no delivery for two days, then a burst during a short outage: a new run
    later = now + 2 * hour + 2 * 86400
    assert not any(failed(11 + i, later + i) for i in range(8))
    assert (users.document("jo").get().to_dict() or {})["webhook_failures"] == 8
    # a run begun before its latest failure was kept: it began, and ended, two days ago
    users.document("jo").set(
        {fs.WEBHOOK_FAILED: ["jo|old|1|open|webhook"], fs.WEBHOOK_FAILING_SINCE: later, "webhook_disabled": False}
    )
    assert not any(failed(20 + i, later + 2 * 86400 + i) for i in range(8))


def test_failures_that_may_be_ours_disable_a_webhook_only_after_the_longer_span(emulators: Stack) -> None:
    """No answer in time, a name that does not resolve: what an outage of ours does to every
    webhook at once. An hour of that disables none; the longer span of it does, and so does an
    hour in which the receiver once answered an error itself. A deleted account is not made again."""
    from functions.notify import store

    del emulators
    users, now, hour = db().collection(fs.USERS), time.time(), 3600.0
    policy = store.DisablePolicy(after=5, span_s=hour, unanswered_s=2 * hour)

    def failed(user: str, i: int, at: float, theirs: bool = False) -> bool:
        return store.webhook_failed(db(), user, f"{user}|X-{i}|1|open|webhook", "TimeoutError", policy, at, theirs)

    for user in ("ours", "mixed"):
        users.document(user).set({"watchlist": ["NTLA"]})
        assert not any(failed(user, i, now + i * 600) for i in range(7))  # an hour of them
    assert failed("mixed", 7, now + hour + 60, theirs=True)  # then the receiver's own 503: its hour is up
    assert not failed("ours", 7, now + hour + 60)
    assert failed("ours", 8, now + 2 * hour + 60)  # two hours of no answer: disabled within Pub/Sub's retries
    assert (users.document("ours").get().to_dict() or {})["webhook_disabled"]
    gone = f"gone{time.time_ns()}"
    assert not failed(gone, 1, now) and not users.document(gone).get().exists
    store.webhook_succeeded(db(), gone)
    assert not users.document(gone).get().exists


def test_a_webhook_giving_no_answer_while_others_answer_is_given_up_past_the_give_up_time(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dead receiver (no answer in time) must not hold its event through every redelivery
    into the dead letters and a page. While no webhook answers at all the failure may be our
    way out's, and is never given up; once another receiver answered during one of its
    attempts it is the dead one's, and a later redelivery (which runs alone: the others
    were sent) gives it up on that."""
    from dataclasses import dataclass

    from common.adapters.channels import Channels, DeliveryFailed, NoAnswer
    from functions.notify import invocation, main, store

    long_ago = time.time() - store.GIVE_UP_S - 60
    tag = f"w{time.time_ns()}"
    event = EVENT.model_copy(update={"ticker": tag.upper(), "alert_id": f"{tag.upper()}-2026010823"})

    def watcher(name: str) -> Any:
        _user(emulators, name, watchlist=[tag.upper()], notifications={"webhook_url": f"https://h.example.com/{name}"})
        return db().collection(fs.DELIVERIES).document(notify.delivery_id(name, event, "webhook"))

    def status(record: Any) -> tuple[str, bool]:
        doc = record.get().to_dict() or {}
        return doc["status"], bool(doc.get(store.SILENT))

    answered = threading.Event()
    noted = invocation.webhook_answered  # what main calls

    def noting(status: int | None, now: float) -> None:
        noted(status, now)
        if status is not None:
            answered.set()

    monkeypatch.setattr(main, "webhook_answered", noting)

    @dataclass(frozen=True)
    class Silent(Channels):
        def webhook(self, url: str, *args: Any, **kwargs: Any) -> None:
            if url.endswith("-dead"):  # its attempts wait out their timeouts while another answers
                answered.wait(timeout=60)
                raise NoAnswer("webhook: TimeoutError")  # no answer in time, no status
            if url.endswith("-alone"):  # nobody to wait for
                time.sleep(0.5)
                raise NoAnswer("webhook: TimeoutError")
            if url.endswith("-unresolved"):  # a lookup still out at the deadline: our resolver may be silent
                raise DeliveryFailed("webhook: LookupTimeout")

    channels = Silent(Settings(NOTIFY_CONCURRENCY=2))

    def run(published: float) -> Any:
        monkeypatch.setattr(invocation, "EGRESS", invocation.Egress())  # a fresh instance: no answer seen yet
        return main.notify_event(event, settings=channels.settings, db=db(), channels=channels, published=published)

    dead = watcher(f"{tag}-dead")
    watcher(f"{tag}-live")
    with pytest.raises(DeliveryFailed):  # within the give-up time: retried with the event
        run(time.time())
    assert status(dead) == ("failed", True)  # the live one answered meanwhile: its silence is its own
    assert run(long_ago).sent == []  # redelivered past the give-up time, alone on its instance
    assert status(dead) == ("abandoned", True)
    # alone, with nothing answering: it may be our way out, never given up
    tag = f"a{time.time_ns()}"
    event = EVENT.model_copy(update={"ticker": tag.upper(), "alert_id": f"{tag.upper()}-2026010823"})
    alone = watcher(f"{tag}-alone")
    with pytest.raises(DeliveryFailed):
        run(long_ago)
    assert status(alone) == ("failed", False)
    # a failure that may be ours (a lookup still out at the deadline) is never given up, whoever answers
    tag = f"u{time.time_ns()}"
    event = EVENT.model_copy(update={"ticker": tag.upper(), "alert_id": f"{tag.upper()}-2026010823"})
    unresolved = watcher(f"{tag}-unresolved")
    watcher(f"{tag}-live")
    with pytest.raises(DeliveryFailed):
        run(long_ago)
    assert status(unresolved) == ("failed", False)


def _recorded(email_error: Exception | None) -> Any:
    from dataclasses import dataclass, field

    from common.adapters.channels import Channels

    @dataclass(frozen=True)
    class Recorded(Channels):
        calls: list[str] = field(default_factory=list)

        def webhook(self, url: str, *args: Any, **kwargs: Any) -> None:
            self.calls.append(f"webhook {url.rsplit('/', 1)[-1]}")

        def email(self, message: Any) -> None:
            self.calls.append(f"email {message['To']}")
            if email_error is not None:
                raise email_error

    return Recorded(Settings(NOTIFY_CONCURRENCY=1))


def _watchers(stack: Stack, tag: str, count: int) -> AlertEvent:
    for i in range(count):
        _user(
            stack,
            f"{tag}-{i}",
            watchlist=[tag.upper()],
            notifications={"email": True, "webhook_url": f"https://hooks.example.com/{tag}-{i}"},
        )
    return EVENT.model_copy(update={"ticker": tag.upper(), "alert_id": f"{tag.upper()}-2026010823"})


def test_a_relay_that_fails_stops_the_events_emails_and_holds_back_no_webhook(emulators: Stack) -> None:
    from common.adapters.channels import DeliveryFailed, RelayDown
    from functions.notify import invocation, main

    tag = f"r{time.time_ns()}"
    event = _watchers(emulators, tag, 5)
    channels = _recorded(RelayDown("email: ConnectionRefusedError"))
    with pytest.raises(DeliveryFailed, match="not tried"):  # redelivered: the emails are tried again then
        main.notify_event(event, settings=channels.settings, db=db(), channels=channels)
    emails = [c for c in channels.calls if c.startswith("email")]
    assert len(emails) == invocation.RELAY_DOWN_AFTER  # not a timeout's wait for each of the five
    assert sorted(c for c in channels.calls if c.startswith("webhook")) == [f"webhook {tag}-{i}" for i in range(5)]
    records = [
        db().collection(fs.DELIVERIES).document(notify.delivery_id(f"{tag}-{i}", event, "email")).get().to_dict() or {}
        for i in range(5)
    ]
    assert [r["status"] for r in records] == ["failed"] * 5  # none left leased: the redelivery takes them at once


def test_deliveries_not_started_in_the_invocations_time_are_left_whole_for_the_redelivery(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from common.adapters.channels import DeliveryFailed
    from functions.notify import main

    tag = f"t{time.time_ns()}"
    event = _watchers(emulators, tag, 2)
    channels = _recorded(None)
    monkeypatch.setattr(main, "TIMEOUT_S", 0)  # every delivery comes after its start-by time
    with pytest.raises(DeliveryFailed, match="not started"):
        main.notify_event(event, settings=channels.settings, db=db(), channels=channels)
    assert channels.calls == []
    assert not db().collection(fs.DELIVERIES).document(notify.delivery_id(f"{tag}-0", event, "email")).get().exists
    monkeypatch.undo()
    result = main.notify_event(event, settings=channels.settings, db=db(), channels=channels)  # the redelivery
    assert len(result.sent) == 4 and len(channels.calls) == 4


def test_an_unexpected_error_in_one_delivery_settles_it_as_failed_and_the_others_go_out(emulators: Stack) -> None:
    from common.adapters.channels import DeliveryFailed
    from functions.notify import main

    tag = f"u{time.time_ns()}"
    event = _watchers(emulators, tag, 2)
    channels = _recorded(KeyError("a bug"))
    with pytest.raises(DeliveryFailed, match="KeyError"):
        main.notify_event(event, settings=channels.settings, db=db(), channels=channels)
    assert sorted(c for c in channels.calls if c.startswith("webhook")) == [f"webhook {tag}-0", f"webhook {tag}-1"]
    record = db().collection(fs.DELIVERIES).document(notify.delivery_id(f"{tag}-0", event, "email")).get()
    assert (record.to_dict() or {})["status"] == "failed"  # not leased "sending" until the lease runs out


def test_a_swept_digest_whose_sending_failed_is_sent_by_the_next_tick_once(emulators: Stack) -> None:
    """An hour older than the ticks look back on is found by the sweep while it is unsettled:
    one the sweep closed and could not send stays unsettled, fails no tick, and the next tick
    sends it, once."""
    from dataclasses import dataclass, field

    from common.adapters.channels import Channels, DeliveryFailed
    from common.messages import DigestTick
    from functions.notify import digest, store

    @dataclass(frozen=True)
    class Flaky(Channels):
        sent: list[str] = field(default_factory=list)
        down: list[bool] = field(default_factory=lambda: [True])

        def webhook(self, url: str, *args: Any, **kwargs: Any) -> None:
            if self.down[0]:
                raise DeliveryFailed("webhook: HTTP 503", 503)
            self.sent.append(url)

    user = f"ivy{time.time_ns()}"
    _user(emulators, user, notifications={"digest": True, "webhook_url": f"https://hooks.example.com/{user}"})
    stale = hour_key(time.time() - 7 * 3600)
    body = notify.payload(EVENT.model_copy(update={"alert_id": f"NTLA-{user}"}), {}, "https://app")
    assert store.add_to_digest(db(), user, stale, f"{user}|NTLA|1|open|webhook", "webhook", body, time.time())
    channels = Flaky(Settings())
    # an older hour's failure fails no tick (everyone's): the next tick's sweep tries it again
    failed = digest.send_digests(DigestTick(), settings=Settings(), db=db(), channels=channels, published=time.time())
    assert [f for f in failed.deferred if user in f] and not failed.failed
    record = db().collection(fs.DIGESTS).document(f"{user}|{stale}")
    assert (record.get().to_dict() or {})["status"] == "sending"
    channels.down[0] = False
    for _ in range(2):  # the second finds it done
        digest.send_digests(DigestTick(), settings=Settings(), db=db(), channels=channels, published=time.time())
    assert channels.sent.count(f"https://hooks.example.com/{user}") == 1
    assert (record.get().to_dict() or {})["status"] == "done"


def test_a_digest_closed_by_a_tick_that_crashed_before_sending_it_is_sent_by_a_later_tick(emulators: Stack) -> None:
    """The instance dies between closing a digest and sending it: whether its hour is still one
    the ticks look back on or older, a later tick finds it closed and unsettled and sends it."""
    from functions.notify import digest, store

    for age_h in (2, 7):  # within the three hours a tick looks back on, and older
        user = f"crash{age_h}h{time.time_ns()}"
        _user(emulators, user, notifications={"digest": True, "webhook_url": f"https://hooks.example.com/{user}"})
        hour = hour_key(time.time() - age_h * 3600)
        body = notify.payload(EVENT.model_copy(update={"alert_id": f"NTLA-{user}"}), {}, "https://app")
        assert store.add_to_digest(db(), user, hour, f"{user}|NTLA|1|open|webhook", "webhook", body, time.time())
        assert store.close_digest(db(), user, hour)  # the crashed tick's
        channels = _recorded(None)
        for _ in range(2):  # the second finds it done
            digest.send_digests(DigestTick(), settings=Settings(), db=db(), channels=channels, published=time.time())
        assert channels.calls.count(f"webhook {user}") == 1, age_h
        assert (db().collection(fs.DIGESTS).document(f"{user}|{hour}").get().to_dict() or {})["status"] == "done"


def test_a_receiver_failing_past_the_give_up_time_is_settled_abandoned_and_a_failure_maybe_ours_never_is(
    emulators: Stack,
) -> None:
    """One user's full mailbox must not hold the event until Pub/Sub dead-letters it; a relay
    that is down, or refuses our sender, would fail everyone and is never given up."""
    from common.adapters.channels import DeliveryFailed, ReceiverFailing, RelayDown
    from functions.notify import main, store

    long_ago = time.time() - store.GIVE_UP_S - 60
    for error, status in (
        (ReceiverFailing("email: 452 4.2.2 mailbox full"), "abandoned"),
        (DeliveryFailed("email: 554 5.7.1 relay access denied"), "failed"),
        (RelayDown("down"), "failed"),
    ):
        tag = f"g{time.time_ns()}"
        event = _watchers(emulators, tag, 1)
        record = db().collection(fs.DELIVERIES).document(notify.delivery_id(f"{tag}-0", event, "email"))
        # first tried a moment ago (the invocations before were cut short), published long ago:
        # Pub/Sub's retries and the backlog page count from the publish, and so does the give-up;
        # an earlier attempt failed as the receiver's too
        first = time.time() - 60
        record.set(
            {
                "status": "failed",
                "attempts": 9,
                "first_tried_at": first,
                "lease_until": 0.0,
                store.RECEIVER_FAILED: True,
            }
        )
        channels = _recorded(error)
        if status == "failed":
            with pytest.raises(DeliveryFailed):
                main.notify_event(event, settings=channels.settings, db=db(), channels=channels, published=long_ago)
        else:
            result = main.notify_event(
                event, settings=channels.settings, db=db(), channels=channels, published=long_ago
            )
            assert len(result.sent) == 1  # the webhook; the email is given up, nothing raised
        doc = record.get().to_dict() or {}
        assert (doc["status"], doc["attempts"], doc["first_tried_at"]) == (status, 10, first)
    # a relay down for an event published long ago: the emails it stops trying are not given up
    tag = f"d{time.time_ns()}"
    event = _watchers(emulators, tag, 4)
    channels = _recorded(RelayDown("email: ConnectionRefusedError"))
    with pytest.raises(DeliveryFailed):
        main.notify_event(event, settings=channels.settings, db=db(), channels=channels, published=long_ago)
    emails = [
        db().collection(fs.DELIVERIES).document(notify.delivery_id(f"{tag}-{i}", event, "email")) for i in range(4)
    ]
    assert [(r.get().to_dict() or {})["status"] for r in emails] == ["failed"] * 4
    # a late first try (an outage of ours held it) meeting a receiver's failure: tried once more
    late = f"l{time.time_ns()}"
    event = _watchers(emulators, late, 1)
    channels = _recorded(ReceiverFailing("email: 452 4.2.2 mailbox full"))
    record = db().collection(fs.DELIVERIES).document(notify.delivery_id(f"{late}-0", event, "email"))
    with pytest.raises(DeliveryFailed):
        main.notify_event(event, settings=channels.settings, db=db(), channels=channels, published=long_ago)
    assert (record.get().to_dict() or {})["status"] == "failed"
    main.notify_event(event, settings=channels.settings, db=db(), channels=channels, published=long_ago)
    assert (record.get().to_dict() or {})["status"] == "abandoned"  # failing still: now given up
    # a receiver's failure in the first hour is retried as before
    young = f"y{time.time_ns()}"
    event = _watchers(emulators, young, 1)
    channels = _recorded(ReceiverFailing("email: 452 4.2.2 mailbox full"))
    with pytest.raises(DeliveryFailed):
        main.notify_event(event, settings=channels.settings, db=db(), channels=channels, published=time.time())
    retried = db().collection(fs.DELIVERIES).document(notify.delivery_id(f"{young}-0", event, "email")).get()
    assert (retried.to_dict() or {})["status"] == "failed"


def test_a_sent_message_whose_mark_fails_is_never_marked_failed_so_it_is_not_sent_again_at_once(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from google.api_core import exceptions as gexc

    from functions.notify import main, store

    tag = f"m{time.time_ns()}"
    event = _watchers(emulators, tag, 1)
    finish = store.finish

    def flaky(db_: Any, claim: Any, status: str, **fields: Any) -> bool:
        if status == "sent":  # what the client raises once its own retries ran out: no GoogleAPICallError
            raise gexc.RetryError("deadline exceeded", gexc.ServiceUnavailable("firestore away"))  # type: ignore[no-untyped-call]
        return finish(db_, claim, status, **fields)

    def counting_fails(*args: Any, **kwargs: Any) -> None:
        raise gexc.RetryError("deadline exceeded", None)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(store, "finish", flaky)
    monkeypatch.setattr(store, "count_sent", counting_fails)  # the bookkeeping after it fails too
    channels = _recorded(None)
    result = main.notify_event(event, settings=channels.settings, db=db(), channels=channels)
    assert len(result.sent) == 2
    for channel in ("email", "webhook"):
        doc = db().collection(fs.DELIVERIES).document(notify.delivery_id(f"{tag}-0", event, channel)).get()
        assert (doc.to_dict() or {})["status"] == "sending"  # its lease holds off a copy; never "failed"


def test_a_digest_delivery_that_fails_after_choosing_its_digest_is_settled_failed_not_left_leased(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from common.adapters.channels import DeliveryFailed
    from functions.notify import main, store

    user = f"dg{time.time_ns()}"
    _user(emulators, user, notifications={"digest": True, "webhook_url": f"https://hooks.example.com/{user}"})

    def broken(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("firestore hiccup")

    monkeypatch.setattr(store, "add_to_digest", broken)
    channels = _recorded(None)
    with pytest.raises(DeliveryFailed, match="RuntimeError"):
        main.notify_event(EVENT, settings=channels.settings, db=db(), channels=channels)
    ref = db().collection(fs.DELIVERIES).document(notify.delivery_id(user, EVENT, "webhook"))
    doc = ref.get().to_dict() or {}
    assert doc["status"] == "failed" and doc["digest_hour"]  # the redelivery takes it at once, into that digest

    def contended(*args: Any, **kwargs: Any) -> bool:  # every write to its digest lost the race
        raise store.DigestContended("no open digest after 60 tries")

    monkeypatch.setattr(store, "add_to_digest", contended)
    with pytest.raises(DeliveryFailed, match="no open digest"):
        main.notify_event(EVENT, settings=channels.settings, db=db(), channels=channels)
    doc = ref.get().to_dict() or {}
    assert doc["status"] == "failed" and doc["attempts"] == 2  # settled, not held leased by our own Busy


def test_a_swept_digest_falling_due_in_quiet_hours_is_carried_not_settled_and_sent_after_them(
    emulators: Stack,
) -> None:
    """An older hour's digest found while its user is in quiet hours waits in the digest that
    ends them: carried (never marked done unsent), and sent with that one."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from functions.notify import digest, store

    now = time.time()
    this_hour = datetime.fromtimestamp(now, UTC).hour
    quiet = {"start": (this_hour - 1) % 24, "end": (this_hour + 2) % 24}
    user = f"qs{time.time_ns()}"
    hook = f"https://hooks.example.com/{user}"
    _user(emulators, user, notifications={"digest": True, "webhook_url": hook, "quiet_hours": quiet})
    stale = hour_key(now - 7 * 3600)
    body = notify.payload(EVENT.model_copy(update={"alert_id": f"NTLA-{user}"}), {}, "https://app")
    assert store.add_to_digest(db(), user, stale, f"{user}|NTLA|1|open|webhook", "webhook", body, now)
    channels = _recorded(None)
    digest.send_digests(DigestTick(), settings=Settings(), db=db(), channels=channels, published=now)
    source = db().collection(fs.DIGESTS).document(f"{user}|{stale}").get().to_dict() or {}
    assert source["status"] == "carried" and f"webhook {user}" not in channels.calls
    target = str(source["carried_to"])
    after = replace(_recorded(None), clock=lambda: now + 3 * 3600)  # the quiet hours are over
    digest.send_digests(DigestTick(hour=target), settings=Settings(), db=db(), channels=after, published=now + 3 * 3600)
    assert after.calls.count(f"webhook {user}") == 1
    assert (db().collection(fs.DIGESTS).document(f"{user}|{target}").get().to_dict() or {})["status"] == "done"


def test_the_sweep_leaves_digests_past_their_expiry_and_those_an_earlier_release_closed_for_good(
    emulators: Stack,
) -> None:
    """What the TTL has begun deleting could go out twice (its delivery records gone first);
    a digest "closed" was closed for good by the release before (it wrote that state for both)."""
    from datetime import UTC, datetime

    from functions.notify import digest, store

    user = f"old{time.time_ns()}"
    _user(emulators, user, notifications={"digest": True, "webhook_url": f"https://hooks.example.com/{user}"})
    body = notify.payload(EVENT.model_copy(update={"alert_id": f"NTLA-{user}"}), {}, "https://app")
    closed_for_good, expired = hour_key(time.time() - 7 * 3600), hour_key(time.time() - 8 * 3600)
    for hour in (closed_for_good, expired):
        assert store.add_to_digest(db(), user, hour, f"{user}|NTLA|{hour}|open|webhook", "webhook", body, time.time())
    record = db().collection(fs.DIGESTS).document
    record(f"{user}|{closed_for_good}").update({"status": "closed"})
    record(f"{user}|{expired}").update({"expires_at": datetime.fromtimestamp(time.time() - 60, UTC)})
    channels = _recorded(None)
    digest.send_digests(DigestTick(), settings=Settings(), db=db(), channels=channels, published=time.time())
    assert f"webhook {user}" not in channels.calls
    assert (record(f"{user}|{expired}").get().to_dict() or {})["status"] == "expired"  # said once, with an ERROR


@pytest.mark.parametrize("failing", ["claim", "close_digest"])
def test_a_swept_digest_failing_before_its_send_is_found_again_by_a_later_tick(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """Closed by the sweep, then a step fails (reading its entries after the close commits,
    claiming its delivery): it stays unsettled, and the next tick sends it."""
    from functions.notify import digest, store

    user = f"sw{time.time_ns()}"
    _user(emulators, user, notifications={"digest": True, "webhook_url": f"https://hooks.example.com/{user}"})
    stale = hour_key(time.time() - 7 * 3600)
    body = notify.payload(EVENT.model_copy(update={"alert_id": f"NTLA-{user}"}), {}, "https://app")
    assert store.add_to_digest(db(), user, stale, f"{user}|NTLA|1|open|webhook", "webhook", body, time.time())
    real = getattr(store, failing)

    def unavailable(db_: Any, key: str, *args: Any) -> Any:
        if user in key:
            if failing == "close_digest":
                real(db_, key, *args)  # the close commits; reading the entries after it fails
            raise RuntimeError("firestore hiccup")
        return real(db_, key, *args)

    monkeypatch.setattr(store, failing, unavailable)
    digest.send_digests(DigestTick(), settings=Settings(), db=db(), channels=_recorded(None), published=time.time())
    record = db().collection(fs.DIGESTS).document(f"{user}|{stale}")
    assert (record.get().to_dict() or {})["status"] == "sending"
    monkeypatch.setattr(store, failing, real)
    again = _recorded(None)
    digest.send_digests(DigestTick(), settings=Settings(), db=db(), channels=again, published=time.time())
    assert f"webhook {user}" in again.calls
    assert (record.get().to_dict() or {})["status"] == "done"


def test_a_user_whose_stored_settings_have_the_wrong_shape_is_skipped_and_the_others_notified(
    emulators: Stack,
) -> None:
    from functions.notify import main

    tag = f"w{time.time_ns()}"
    event = _watchers(emulators, tag, 3)
    db().collection(fs.USERS).document(f"{tag}-0").update({"watchlist": 5})
    # preferences of the wrong shape read as the defaults, as the app shows them: still told
    db().collection(fs.USERS).document(f"{tag}-2").update({"preferences": "not a map"})
    channels = _recorded(None)
    result = main.notify_event(event, settings=channels.settings, db=db(), channels=channels)
    assert sorted(channels.calls) == sorted(
        f"{c} {tag}-{i}{at}" for i in (1, 2) for c, at in (("email", "@example.com"), ("webhook", ""))
    )
    assert len(result.sent) == 4


def test_an_unsubscribe_racing_a_saved_webhook_keeps_the_user_receiving_it(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unsubscribe link reads the settings, a save adds a webhook, then the unsubscribe
    writes: ``receives`` (what notify's query reads) must say yes, for the webhook."""
    from functions.api.store import Store

    del emulators
    user = f"race{time.time_ns()}"
    ref = db().collection(fs.USERS).document(user)
    ref.set({"notifications": {"email": True}, notify.RECEIVES: True, "preferences": {"watchlist_only": False}})
    saved = {"email": True, "webhook_url": "https://hooks.example.com/race"}

    class ReadThenRaced:
        def __init__(self, inner: Any) -> None:
            self.inner, self.raced = inner, False

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def get(self, *args: Any, **kwargs: Any) -> Any:
            snapshot = self.inner.get(*args, **kwargs)
            if not self.raced:
                self.raced = True
                ref.update({"notifications": saved, notify.RECEIVES: notify.receives(saved)})  # the other request
            return snapshot

    store = Store(db())
    racing = ReadThenRaced(ref)
    monkeypatch.setattr(store, "_user_ref", lambda sub: racing)
    assert store.unsubscribe(user)
    doc = ref.get().to_dict() or {}
    assert doc["notifications"]["webhook_url"] == "https://hooks.example.com/race"
    assert doc["notifications"]["email"] is False and doc["email_unsubscribed"] is True
    assert doc[notify.RECEIVES] is True  # the webhook still takes every alert


def test_an_alert_document_of_the_wrong_shape_fails_the_event_rather_than_skipping_every_user(
    emulators: Stack,
) -> None:
    from functions.notify import main

    tag = f"bad{time.time_ns()}"
    event = _watchers(emulators, tag, 2).model_copy(update={"status": "resolved"})
    db().collection(fs.ALERTS).document(event.alert_id).set({"peak_score": "not a number", "symbol": tag.upper()})
    channels = _recorded(None)
    with pytest.raises(ValueError):  # retried, then dead-lettered: not acknowledged with nobody told
        main.notify_event(event, settings=channels.settings, db=db(), channels=channels)
    assert channels.calls == []


def test_a_swept_digest_counts_its_give_up_from_its_own_first_try_not_the_sweeping_ticks_publish(
    emulators: Stack,
) -> None:
    from dataclasses import dataclass

    from common.adapters.channels import Channels, ReceiverFailing
    from functions.notify import digest, store

    @dataclass(frozen=True)
    class Down(Channels):
        def webhook(self, url: str, *args: Any, **kwargs: Any) -> None:
            raise ReceiverFailing("webhook: HTTP 503", 503)

    user = f"sg{time.time_ns()}"
    _user(emulators, user, notifications={"digest": True, "webhook_url": f"https://hooks.example.com/{user}"})
    stale = hour_key(time.time() - 7 * 3600)
    body = notify.payload(EVENT.model_copy(update={"alert_id": f"NTLA-{user}"}), {}, "https://app")
    assert store.add_to_digest(db(), user, stale, f"{user}|NTLA|1|open|webhook", "webhook", body, time.time())
    old_tick = time.time() - store.GIVE_UP_S - 60  # a tick redelivered for long, sweeping a digest it never tried
    digest.send_digests(DigestTick(), settings=Settings(), db=db(), channels=Down(Settings()), published=old_tick)
    record = db().collection(fs.DELIVERIES).document(f"digest|{user}|{stale}|webhook").get().to_dict() or {}
    assert record["status"] == "failed"  # tried once just now: not given up
    assert (db().collection(fs.DIGESTS).document(f"{user}|{stale}").get().to_dict() or {})["status"] == "sending"


def test_an_account_an_admin_suspends_is_sent_nothing_until_the_suspension_is_lifted(
    emulators: Stack, mailbox: Callable[[str], Any], jwks: JwksServer
) -> None:
    """What the web app calls when an admin bans a user: a banned account's webhook and mail
    would otherwise go on delivering the product it was banned from."""
    api = make_client(jwks, KEY)
    _user(emulators, "sus")
    db().collection(fs.ALERTS).document(EVENT.alert_id).set({"reasons": ["3x the usual volume"], "evidence": []})
    assert api.call("PUT", "/v1/users/sus/suspension", json={"until": None}).status_code == 403  # admins only
    assert api.call("PUT", "/v1/users/sus/suspension", role="admin", json={"until": None}).status_code == 204
    # an account the API has not seen yet is made suspended: its token issued before the ban
    # (its 15 minutes) finds it so, and cannot make it unsuspended
    unseen = f"unseen{time.time_ns()}"
    assert api.call("PUT", f"/v1/users/{unseen}/suspension", role="admin", json={}).status_code == 204
    me = api.call("GET", "/v1/me", sub=unseen).get_json()
    assert me["suspended"] == {"until": None} and me["watchlist"] == []
    # a deleted account is not made again by a suspension
    gone = f"gone{time.time_ns()}"
    assert api.call("GET", "/v1/me", sub=gone).status_code == 200
    assert api.call("DELETE", "/v1/me", sub=gone).status_code == 204
    assert api.call("PUT", f"/v1/users/{gone}/suspension", role="admin", json={}).status_code == 204
    assert not db().collection(fs.USERS).document(gone).get().exists
    # but its ban is kept: a sign-in after the deletion (the web app kept the account) makes it
    # again banned, not free to be mailed; a ban lifted meanwhile is lifted there too
    tomb = db().collection(fs.DELETED_USERS).document(gone)
    assert tomb.get().get("expires_at").year == 9999  # kept as long as the ban
    assert api.call("DELETE", f"/v1/users/{gone}/suspension", role="admin").status_code == 204
    assert "suspended" not in (tomb.get().to_dict() or {}) and tomb.get().get("expires_at").year < 9999
    until = time.time() + 7 * 86400
    assert api.call("PUT", f"/v1/users/{gone}/suspension", role="admin", json={"until": until}).status_code == 204
    tomb.update({"deleted_at": time.time() - 600})
    again = make_client(jwks, KEY).call("GET", "/v1/me", sub=gone)
    assert again.status_code == 200 and again.get_json()["suspended"] == {"until": until}
    # a ban's end no date can hold (milliseconds sent for seconds) is the caller's mistake
    far = api.call("PUT", f"/v1/users/{gone}/suspension", role="admin", json={"until": 1.7e12})
    assert far.status_code == 422
    assert api.call("PUT", "/v1/users/__x__/suspension", role="admin", json={}).status_code == 422

    _publish(emulators, EVENT, times=1)
    assert _wait(lambda: mailbox("/hooks") + mailbox("/mail"), 1, timeout=15) == []
    # nor by a test message asked for with a token from before the ban
    tested = api.call("POST", "/v1/me/notifications/test", sub="sus")
    assert tested.status_code == 403 and tested.get_json()["error"]["code"] == "account_suspended"
    assert mailbox("/hooks") + mailbox("/mail") == []
    assert api.call("DELETE", "/v1/users/sus/suspension", role="admin").status_code == 204
    assert "suspended" not in (db().collection(fs.USERS).document("sus").get().to_dict() or {})
    lifted = EVENT.model_copy(update={"alert_id": "NTLA-2026010900", "as_of": EVENT.as_of + 3600})
    db().collection(fs.ALERTS).document(lifted.alert_id).set({"reasons": ["3x the usual volume"], "evidence": []})
    _publish(emulators, lifted, times=1)
    assert [h["name"] for h in _wait(lambda: mailbox("/hooks"), 1)] == ["sus"]
