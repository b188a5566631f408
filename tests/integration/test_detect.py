"""Mentions in, through the running ``aggregate`` and ``detect`` on the real emulators, to an
alert document and an ``alerts`` message; redelivered and stale updates change nothing; a
config change applies to the very next event."""

import random
import time
from collections.abc import Callable
from typing import Any

import google.cloud.pubsub_v1 as pubsub_v1
import pytest
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.pubsub_v1.types import PublisherOptions

from common import topics
from common.adapters import firestore as fs
from common.adapters.pubsub import get_publisher
from common.aggregation import Plan, counted, plan
from common.detection_config import DEFAULT_CONFIG, Versions
from common.features import text_features
from common.messages import Counted, Mention, MentionBatch, Message, TickerUpdate, encode
from common.metrics import summarize
from common.timekeys import hour_key
from common.windows import WindowStats
from demo.logs import FunctionLog
from devtools import chaos, firestore_ops
from devtools.pubsub import Observer
from emulators.stack import Stack
from functions.api.store import Store as ApiStore
from functions.detect import store as detect_store
from functions.detect.main import detect_update
from tests.support.function_logs import handled

T0 = 1_767_888_000.0  # 2026-01-08 16:00 UTC, a Thursday afternoon (busy hours)
DAY = 86400.0
WORDS = [
    *("revenue", "guidance", "margin", "backlog", "contract", "customers", "pipeline", "quarter", "growth"),
    *("filing", "analyst", "upgrade", "product", "launch", "partnership", "expansion", "cash", "flow"),
    *("balance", "sheet", "valuation", "multiple", "catalyst", "demand"),
]


def _db(stack: Stack) -> firestore.Client:
    assert stack.emulators is not None
    return firestore.Client(project=stack.emulators.project)


def _publish(stack: Stack, topic: str, messages: list[Message], key: str = "") -> list[str]:
    assert stack.emulators is not None
    client = pubsub_v1.PublisherClient(publisher_options=PublisherOptions(enable_message_ordering=True))
    path = client.topic_path(stack.emulators.project, topic)
    return [
        str(future.result(timeout=30))
        for future in [client.publish(path, encode(m), ordering_key=key) for m in messages]
    ]


def _mention(
    rng: random.Random, symbol: str, i: int, *, author: str, age_days: float, text: str, start: float = T0
) -> Mention:
    kind = "post" if i % 3 == 0 else "comment"
    title = f"Why I am looking at ${symbol} this week" if kind == "post" else ""
    created = start + (i % 1000) * 60.0
    f = text_features(title, text, None, kind)
    return Mention(
        item_id=f"{'t3' if kind == 'post' else 't1'}_{symbol.lower()}{i}",
        kind=kind,
        subreddit=rng.choice(("stocks", "investing", "wallstreetbets")),
        author=author,
        author_created_utc=created - age_days * DAY,
        created_utc=created,
        text_length=len(title) + len(text),
        score=rng.randint(1, 80),
        permalink=f"/r/stocks/comments/{symbol.lower()}{i}/post/",
        title=title,
        is_dd=f.is_dd,
        emoji_count=f.emoji_count,
        rocket_count=f.rocket_count,
        cashtag_count=f.cashtag_count,
        text_hash=f.text_hash,
        minhash=f.minhash,
        sentiment=f.sentiment,
    )


def organic_batch(symbol: str, n: int = 24, *, start: float = T0, first: int = 0) -> MentionBatch:
    """Many old accounts, each writing its own substantial text about a quiet ticker."""
    rng = random.Random(f"{symbol}{first}")
    mentions = [
        _mention(
            rng,
            symbol,
            i,
            author=f"{symbol.lower()}_reader{i}",
            age_days=900,
            text=f"${symbol} " + " ".join(rng.choice(WORDS) for _ in range(30)),
            start=start,
        )
        for i in range(first, first + n)
    ]
    return MentionBatch(ticker=symbol, run_id="organic", mentions=tuple(mentions))


def pump_batch(symbol: str, n: int = 24) -> MentionBatch:
    """Four new accounts pasting the same rocket spam."""
    rng = random.Random(symbol)
    spam = (
        f"${symbol} IS ABOUT TO EXPLODE 🚀🚀🚀🚀 short squeeze loading, float is tiny, get in before it's too late 🚀"
    )
    mentions = [_mention(rng, symbol, i, author=f"moon{i % 4}", age_days=3, text=spam) for i in range(n)]
    return MentionBatch(ticker=symbol, run_id="pump", mentions=tuple(mentions))


def prepare(db: firestore.Client, symbol: str, batch: MentionBatch) -> None:
    """What the rest of the system would already hold: data collected for ten days (past the
    detector's warm-up). Not the items in ``posts``: the alert cites what the aggregator
    counted, carried by the update."""
    del symbol, batch
    db.collection("stats").document("global").set({"since": T0 - 10 * DAY, "rate": 0.05})


def opened_alert(
    emulators: Stack, observe: Callable[[str], Observer], symbol: str
) -> tuple[firestore.Client, Observer]:
    """``symbol``'s first organic surge at T0 through the pipeline, its alert opened and
    announced; the database and the ``alerts`` observer, for what the test does next."""
    db = _db(emulators)
    first = organic_batch(symbol)
    prepare(db, symbol, first)
    alerts = observe(topics.ALERTS)
    _publish(emulators, topics.MENTIONS, [first], key=symbol)
    assert [r.json()["alert_id"] for r in alerts.pull(expected=1, timeout=90)] == [f"{symbol}-2026010816"]
    return db, alerts


def alerts_of(db: firestore.Client, symbol: str) -> list[dict[str, Any]]:
    query = db.collection("alerts").where(filter=FieldFilter("symbol", "==", symbol))
    return [d.to_dict() or {} for d in query.stream()]


def test_an_organic_spike_becomes_one_alert_document_and_one_alerts_message(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    db = _db(emulators)
    batch = organic_batch("CRSP")
    prepare(db, "CRSP", batch)
    alerts = observe(topics.ALERTS)
    _publish(emulators, topics.MENTIONS, [batch], key="CRSP")

    received = alerts.pull(expected=1, timeout=90, settle=2.0)
    assert [r.json()["ticker"] for r in received] == ["CRSP"]
    event = received[0].json()
    assert event["kind"] == "organic"
    assert event["status"] == "open"
    assert event["level"] == 1

    stored = alerts_of(db, "CRSP")
    assert len(stored) == 1
    alert = stored[0]
    assert alert["alert_id"] == event["alert_id"] == "CRSP-2026010816"
    assert alert["rule"].startswith("volume_spike_")
    assert alert["baseline"]["level"] < 0.1
    assert alert["metrics"]["ratio_1h"] >= 3
    assert alert["evidence"], "an alert cites the posts behind it"
    assert all(e["permalink"].startswith("/r/") for e in alert["evidence"])
    assert alert["evidence"][0]["kind"] == "post"
    ticker = db.collection("tickers").document("CRSP").get().to_dict() or {}
    assert ticker["detection"]["alert_id"] == alert["alert_id"]
    assert ticker["detection"]["status"] == "open"

    # The same update delivered again, and an older one arriving late: nothing new.
    as_of = max(m.created_utc for m in batch.mentions)
    log = FunctionLog.from_end(emulators.log_dir / "detect.log")
    redelivered = _publish(
        emulators,
        topics.TICKER_UPDATES,
        [TickerUpdate(ticker="CRSP", as_of=as_of), TickerUpdate(ticker="CRSP", as_of=as_of - 600)],
    )
    handled(log, redelivered)
    assert alerts.pull(expected=1, timeout=2) == []
    again = alerts_of(db, "CRSP")
    assert len(again) == 1
    assert again[0]["level"] == 1
    assert again[0]["announced_level"] == 1


def test_a_copy_paste_campaign_is_flagged_as_a_pump_never_as_organic(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    db = _db(emulators)
    batch = pump_batch("SNDL")
    prepare(db, "SNDL", batch)
    alerts = observe(topics.ALERTS)
    _publish(emulators, topics.MENTIONS, [batch], key="SNDL")

    received = alerts.pull(expected=1, timeout=90, settle=2.0)
    assert [(r.json()["ticker"], r.json()["kind"]) for r in received] == [("SNDL", "pump")]
    stored = alerts_of(db, "SNDL")
    assert [a["kind"] for a in stored] == ["pump"]
    assert stored[0]["pump_risk"] >= 0.5


def test_a_config_change_applies_to_the_next_event_without_a_redeploy(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    db = _db(emulators)
    batch = organic_batch("NTLA")
    prepare(db, "NTLA", batch)
    # a version no other test stores: each function instance keeps a version's thresholds for
    # good, and the suite empties Firestore between tests, so small numbers come back
    db.collection("config").document("detection").set({"volume_ratio_min": 10000.0, "version": 2_000_002})
    alerts = observe(topics.ALERTS)
    _publish(emulators, topics.MENTIONS, [batch], key="NTLA")

    def version() -> object:  # once aggregate and detect are through, however slow the machine
        return ((db.collection("tickers").document("NTLA").get().to_dict() or {}).get("detection") or {}).get(
            "config_version"
        )

    _wait_for(version, 2_000_002, timeout=90)
    assert alerts.pull(expected=1, timeout=3) == []
    ticker = db.collection("tickers").document("NTLA").get().to_dict() or {}
    assert ticker["detection"]["status"] in ("quiet", "spike")
    assert alerts_of(db, "NTLA") == []


def test_after_resolution_and_cooldown_a_new_spike_is_a_new_episode(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    db, alerts = opened_alert(emulators, observe, "BEAM")
    # nine quiet hours on: the alert resolved as of the moment its rolling six hours emptied
    # (23:00), and announced
    trickle = organic_batch("BEAM", 1, start=T0 + 9 * 3600, first=1000)
    second = organic_batch("BEAM", start=T0 + 2 * DAY, first=2000)
    _publish(emulators, topics.MENTIONS, [trickle], key="BEAM")
    _wait_for(
        lambda: (db.collection("alerts").document("BEAM-2026010816").get().to_dict() or {}).get("status"), "resolved"
    )
    _publish(emulators, topics.MENTIONS, [second], key="BEAM")

    received = alerts.pull(expected=2, timeout=90, settle=2.0)  # the first episode's resolution, the new one
    assert sorted((r.json()["alert_id"], r.json()["status"], r.json()["event"]) for r in received) == [
        ("BEAM-2026010816", "resolved", "resolved"),
        ("BEAM-2026011016", "open", "opened"),
    ]
    statuses = {a["alert_id"]: a["status"] for a in alerts_of(db, "BEAM")}
    assert statuses == {"BEAM-2026010816": "resolved", "BEAM-2026011016": "open"}


def test_a_spike_days_after_its_ticker_fell_silent_opens_a_new_episode_and_ends_the_old_one(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """No update came between: the old alert is resolved (as of the moment its six hours
    emptied) in the same commit that opens the new one, and both are announced."""
    db, alerts = opened_alert(emulators, observe, "EDIT")
    second = organic_batch("EDIT", start=T0 + 3 * DAY, first=2000)
    _publish(emulators, topics.MENTIONS, [second], key="EDIT")

    received = alerts.pull(expected=2, timeout=90, settle=3.0)
    assert sorted((r.json()["alert_id"], r.json()["event"]) for r in received) == [
        ("EDIT-2026010816", "resolved"),
        ("EDIT-2026011116", "opened"),
    ]
    stored = {a["alert_id"]: a for a in alerts_of(db, "EDIT")}
    assert {k: a["status"] for k, a in stored.items()} == {"EDIT-2026010816": "resolved", "EDIT-2026011116": "open"}
    assert stored["EDIT-2026010816"]["resolved_at"] == T0 + 7 * 3600
    assert stored["EDIT-2026010816"]["announced_level"] == 1
    assert stored["EDIT-2026010816"]["announced"] == {"resolved": 1}
    assert stored["EDIT-2026011116"]["level"] == 1


def test_an_ended_episodes_resolution_whose_publish_failed_is_announced_by_the_redelivery(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """The update that opens a new episode ends the old one in the same commit; if publishing
    fails after that commit, the redelivery reads the new episode as current, and only the
    episode pointer still names the old one: its resolution must be announced all the same."""
    db, alerts = opened_alert(emulators, observe, "EDIT")
    updates = observe(topics.TICKER_UPDATES)
    _publish(emulators, topics.MENTIONS, [organic_batch("EDIT", start=T0 + 3 * DAY, first=2000)], key="EDIT")
    assert len(alerts.pull(expected=2, timeout=90, settle=3.0)) == 2
    [update] = [r for r in updates.pull(expected=1, timeout=30) if r.json().get("ticker") == "EDIT"]

    old, new = db.collection("alerts").document("EDIT-2026010816"), db.collection("alerts").document("EDIT-2026011116")
    old.update({"announced": firestore.DELETE_FIELD})  # the publish failed: nothing recorded
    new.update({"announced_level": 0})
    _publish(emulators, topics.TICKER_UPDATES, [TickerUpdate.model_validate(update.json())], key="EDIT")
    received = alerts.pull(expected=2, timeout=60, settle=3.0)
    assert sorted((r.json()["alert_id"], r.json()["event"]) for r in received) == [
        ("EDIT-2026010816", "resolved"),
        ("EDIT-2026011116", "opened"),
    ]
    _wait_for(lambda: (old.get().to_dict() or {}).get("announced"), {"resolved": 1})
    pointer = detect_store.episode_ref(db, "EDIT").get().to_dict() or {}
    assert pointer["alert_id"] == "EDIT-2026011116"


def test_a_silence_resolution_lost_to_a_crash_before_its_publish_is_announced_on_redelivery(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """The mention that ends a silent alert comes 20 hours on: its resolution (as of 23:00)
    is older than any recent announcement, and announced because this update found it. An
    instance that died after the commit and before recording the publish leaves it
    unrecorded; the redelivered update decides the hour again from the resolved alert, and
    must announce it still."""
    db, alerts = opened_alert(emulators, observe, "NTLA")
    updates = observe(topics.TICKER_UPDATES)
    late = organic_batch("NTLA", 1, start=T0 + 20 * 3600, first=1000)
    _publish(emulators, topics.MENTIONS, [late], key="NTLA")
    assert [(r.json()["alert_id"], r.json()["event"]) for r in alerts.pull(expected=1, timeout=90)] == [
        ("NTLA-2026010816", "resolved")
    ]
    [update] = [r for r in updates.pull(expected=1, timeout=30) if r.json().get("ticker") == "NTLA"]

    ref = db.collection("alerts").document("NTLA-2026010816")
    assert (ref.get().to_dict() or {})["announced"] == {"resolved": 1}
    ref.update({"announced": firestore.DELETE_FIELD})  # the crash: published, never recorded
    _publish(emulators, topics.TICKER_UPDATES, [TickerUpdate.model_validate(update.json())], key="NTLA")
    assert [(r.json()["alert_id"], r.json()["event"]) for r in alerts.pull(expected=1, timeout=60)] == [
        ("NTLA-2026010816", "resolved")
    ]
    _wait_for(lambda: (ref.get().to_dict() or {}).get("announced"), {"resolved": 1})


def _check(emulators: Stack, symbol: str, settled: float) -> None:
    """What dispatch sends when every subreddit was read up to ``settled``."""
    _publish(emulators, topics.MENTIONS, [MentionBatch(ticker=symbol, silence_check=settled)], key=symbol)


def _check_lines(emulators: Stack, symbol: str) -> list[tuple[str, str]]:
    """(function, message) of each check line aggregate and detect logged for ``symbol``, each
    one a line the chaos suite reads as the end of its message's work."""
    lines = [
        (str(entry.get("function") or path.stem), str(entry.get("message")))
        for path in sorted(emulators.log_dir.glob("*.log"))
        for entry in FunctionLog(path).entries()
        if entry.get("ticker") == symbol and entry.get("silence_check") is not None
    ]
    assert all(chaos.finished(function, message) for function, message in lines), lines
    return lines


def _decided(emulators: Stack, symbol: str, checks: int, timeout: float = 60.0) -> str:
    """Detect's line for the ``checks``-th check of ``symbol``, once it is logged."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        decided = [m for f, m in _check_lines(emulators, symbol) if f == "detect"]
        if len(decided) >= checks:
            return decided[checks - 1]
        time.sleep(0.2)
    raise AssertionError(f"check {checks} of {symbol} not decided in {timeout} s")


def test_an_alert_whose_ticker_is_never_named_again_ends_at_a_silence_check(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """Dispatch's check rides behind the ticker's mentions through the aggregator, which adds
    the counts: too early it changes nothing; once every subreddit has been read past the
    hour the six-hour window emptied, the alert ends as of then and that is announced, once,
    even when the instance died before recording the publish."""
    db, alerts = opened_alert(emulators, observe, "QUIE")
    ref = db.collection("alerts").document("QUIE-2026010816")
    _check(emulators, "QUIE", T0 + 6.5 * 3600)  # the window may still hold the last discussion
    assert _decided(emulators, "QUIE", 1) == "detected QUIE: silence check, not silent long enough"
    assert (ref.get().to_dict() or {})["status"] == "open"

    _check(emulators, "QUIE", T0 + 30 * 3600)
    [resolved] = alerts.pull(expected=1, timeout=60)
    assert (resolved.json()["alert_id"], resolved.json()["event"], resolved.json()["as_of"]) == (
        "QUIE-2026010816",
        "resolved",
        T0 + 7 * 3600,
    )
    assert _decided(emulators, "QUIE", 2) == "detected QUIE: silence check, resolved"
    stored = ref.get().to_dict() or {}
    assert (stored["status"], stored["resolved_at"]) == ("resolved", T0 + 7 * 3600)
    _wait_for(lambda: (ref.get().to_dict() or {}).get("announced"), {"resolved": 1})  # recorded after the publish
    assert db.collection("tickers").document("QUIE").get().get("detection.status") == "quiet"

    _check(emulators, "QUIE", T0 + 30 * 3600)  # the same tick's check again: announced already
    assert _decided(emulators, "QUIE", 3) == "detected QUIE: silence check, resolved before"
    ref.update({"announced": firestore.DELETE_FIELD})  # the crash: published, never recorded
    _check(emulators, "QUIE", T0 + 30 * 3600)
    assert [(r.json()["alert_id"], r.json()["event"]) for r in alerts.pull(expected=1, timeout=60, settle=3.0)] == [
        ("QUIE-2026010816", "resolved")  # the third check published nothing, the fourth once
    ]
    _wait_for(lambda: (ref.get().to_dict() or {}).get("announced"), {"resolved": 1})
    assert {f for f, _ in _check_lines(emulators, "QUIE")} == {"aggregate", "detect"}

    # the ticker's last update again (its mentions redelivered): the check decided after it;
    # and had the check's publish failed for good (dead-lettered), the update announces it
    pointer = detect_store.episode_ref(db, "QUIE").get().to_dict() or {}
    ref.update({"announced": firestore.DELETE_FIELD})
    _publish(emulators, topics.MENTIONS, [organic_batch("QUIE")], key="QUIE")
    assert [(r.json()["alert_id"], r.json()["event"]) for r in alerts.pull(expected=1, timeout=60, settle=3.0)] == [
        ("QUIE-2026010816", "resolved")
    ]

    def ignored() -> int:
        lines = [e for p in emulators.log_dir.glob("detect*.log") for e in FunctionLog(p).entries()]
        return sum(str(e.get("message")) == "stale update for QUIE ignored" for e in lines)

    _wait_for(ignored, 1)
    assert db.collection("tickers").document("QUIE").get().get("detection.status") == "quiet"
    assert (detect_store.episode_ref(db, "QUIE").get().to_dict() or {}) == pointer
    # named again a day later, long past the six hours a resolution is news within: an update
    # of a later moment still announces the resolution the dead-lettered check never did
    _wait_for(lambda: (ref.get().to_dict() or {}).get("announced"), {"resolved": 1})
    ref.update({"announced": firestore.DELETE_FIELD})
    later = organic_batch("QUIE", 2, start=T0 + 30 * 3600, first=100)
    _publish(emulators, topics.MENTIONS, [later], key="QUIE")
    assert [(r.json()["alert_id"], r.json()["event"]) for r in alerts.pull(expected=1, timeout=60, settle=3.0)] == [
        ("QUIE-2026010816", "resolved")
    ]


def test_a_silence_check_does_not_wait_for_an_update_that_was_counted_and_never_decided(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """Talk at 04:00 the next day, hours after the six-hour window emptied, whose update
    never reached a decision (dead-lettered): the check that rides behind it ends the alert
    as of 23:00, as that update's own decision would have, instead of keeping it open until
    the ticker is named again."""
    db, alerts = opened_alert(emulators, observe, "LOST")
    series = dict((db.collection("tickers").document("LOST").get().to_dict() or {})["series"])
    late = T0 + 12 * 3600
    series[hour_key(late)] = 2
    check = TickerUpdate(
        ticker="LOST",
        as_of=late,
        counted=Counted(series=series, six=WindowStats(hours=6, mentions=2), day=WindowStats(hours=24, mentions=2)),
        silence_check=T0 + 30 * 3600,
    )
    detect_update(check, db, get_publisher(db.project))
    [resolved] = alerts.pull(expected=1, timeout=60)
    assert (resolved.json()["event"], resolved.json()["as_of"]) == ("resolved", T0 + 7 * 3600)
    stored = db.collection("alerts").document("LOST-2026010816").get().to_dict() or {}
    assert (stored["status"], stored["resolved_at"]) == ("resolved", T0 + 7 * 3600)


def test_after_a_silence_check_late_items_do_not_revive_the_episode_and_a_new_surge_opens_alone(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """The check ended the episode as of 23:00 and decided in the data hour it names: a late
    item from the alert's last hour, or one in the check's own hour (decided again from the
    alert as it stood before the check), does not revive it; the surge days later is a new
    episode whose opening is the only thing announced."""
    db, alerts = opened_alert(emulators, observe, "LATR")
    pointer = db.collection("tickers").document("LATR").collection("state").document("episode")
    _check(emulators, "LATR", T0 + 30 * 3600)
    assert [r.json()["event"] for r in alerts.pull(expected=1, timeout=60)] == ["resolved"]
    assert (pointer.get().to_dict() or {})["hour"] == int((T0 + 30 * 3600) // 3600)

    def progress() -> object:
        return (pointer.get().to_dict() or {}).get("progress")

    for at, first in ((T0 + 30 * 3600 + 60, 3000), (T0 + 1800, 1000)):  # the check's hour; 16:30 that day
        decided = progress()
        _publish(emulators, topics.MENTIONS, [organic_batch("LATR", 1, start=at, first=first)], key="LATR")
        _wait_for(lambda: progress() != decided, True)  # noqa: B023 - called before the loop moves on
    assert alerts.pull(expected=1, timeout=3) == []  # decided above: nothing announced
    assert {a["alert_id"]: a["status"] for a in alerts_of(db, "LATR")} == {"LATR-2026010816": "resolved"}

    _publish(emulators, topics.MENTIONS, [organic_batch("LATR", start=T0 + 3 * DAY, first=2000)], key="LATR")
    assert [(r.json()["alert_id"], r.json()["event"]) for r in alerts.pull(expected=1, timeout=60, settle=3.0)] == [
        ("LATR-2026011116", "opened")
    ]


def test_a_ticker_whose_alert_only_the_summary_records_keeps_that_alert(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """Data from before episode pointers: the summary's ``detection`` names the open alert and
    no pointer exists. The next surge continues that alert; it opens no second one beside it
    (which the old one's silence checks, following the pointer, would never resolve)."""
    db, _ = opened_alert(emulators, observe, "MIGR")
    pointer = db.collection("tickers").document("MIGR").collection("state").document("episode")
    pointer.delete()
    assert (db.collection("tickers").document("MIGR").get().to_dict() or {})["detection"]["alert_id"] == (
        "MIGR-2026010816"
    )
    _publish(emulators, topics.MENTIONS, [organic_batch("MIGR", 40, start=T0 + 3600, first=500)], key="MIGR")
    _wait_for(lambda: pointer.get().exists, True)
    assert [a["alert_id"] for a in alerts_of(db, "MIGR")] == ["MIGR-2026010816"]
    assert (pointer.get().to_dict() or {})["alert_id"] == "MIGR-2026010816"


def _summary_only(db: firestore.Client, symbol: str) -> Plan:
    """An organic spike's ticker as only its summary (series + windows) records it: the
    aggregator's plan of one batch, its summary written and no hour bucket."""
    batch = organic_batch(symbol)
    prepare(db, symbol, batch)
    effect = plan(symbol, batch.mentions, hours={}, days={}, recent=[], previous_as_of=None)
    assert effect.summary is not None
    db.collection("tickers").document(symbol).set({**effect.summary.model_dump(mode="json"), "series": effect.series})
    return effect


def test_the_detector_decides_from_the_ticker_summary_alone(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """No hour bucket exists: for an update without counts (an older aggregator's), the
    summary the aggregator writes (series + windows) is all the detector reads. Such an
    update carries no evidence and ``posts`` is not queried: the alert opens uncited and
    cites the candidates of the ticker's next update that carries them."""
    db = _db(emulators)
    effect = _summary_only(db, "RXRX")
    assert effect.summary is not None and effect.as_of is not None
    cited = counted(effect.summary, effect.series, DEFAULT_CONFIG, effect.evidence)
    alerts = observe(topics.ALERTS)
    _publish(emulators, topics.TICKER_UPDATES, [TickerUpdate(ticker="RXRX", as_of=effect.as_of)])

    received = alerts.pull(expected=1, timeout=60, settle=2.0)
    assert [(r.json()["alert_id"], r.json()["kind"]) for r in received] == [("RXRX-2026010816", "organic")]
    assert list(db.collection("tickers").document("RXRX").collection("hours").stream()) == []
    [alert] = alerts_of(db, "RXRX")
    assert alert["evidence"] == [] and alert["metrics"]["mentions_1h"] >= 20

    next_update = TickerUpdate(ticker="RXRX", as_of=effect.as_of, batch_id="next", counted=cited)
    _publish(emulators, topics.TICKER_UPDATES, [next_update])
    _wait_for(lambda: [len(a["evidence"]) for a in alerts_of(db, "RXRX")], [DEFAULT_CONFIG.evidence_max])
    [alert] = alerts_of(db, "RXRX")
    assert [e["item_id"] for e in alert["evidence"]] == [e.item_id for e in cited.evidence]


def test_an_update_dated_after_it_was_published_is_dead_lettered_and_the_ticker_still_decided(
    emulators: Stack, observe: Callable[[str], Observer]
) -> None:
    """Decided, a moment years ahead would become the ticker's newest, and every real update
    after it would be dropped as stale for good."""
    effect = _summary_only(_db(emulators), "ABCL")
    assert effect.as_of is not None
    dead = observe(topics.dead_letter_topic("ticker-updates-detect"))
    alerts = observe(topics.ALERTS)
    ahead = TickerUpdate(ticker="ABCL", as_of=time.time() + 3 * 365 * 86400, batch_id="from-the-future")
    [source] = _publish(emulators, topics.TICKER_UPDATES, [ahead], key="ABCL")
    [refused] = dead.pull(expected=1, timeout=30, settle=1.0)
    assert refused.attributes["source_message_id"] == source and "as_of" in refused.attributes["error"]
    _publish(emulators, topics.TICKER_UPDATES, [TickerUpdate(ticker="ABCL", as_of=effect.as_of)], key="ABCL")
    received = alerts.pull(expected=1, timeout=60, settle=2.0)
    assert [r.json()["alert_id"] for r in received] == ["ABCL-2026010816"]


def _wait_for(read: Callable[[], object], want: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read() == want:
            return
        time.sleep(0.2)
    assert read() == want


def test_two_deliveries_that_both_saw_no_open_episode_cannot_both_open_one(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race that left two open episodes of one ticker: two updates read the ticker
    before and after the aggregator counted the next hour, so they open episodes with
    different ids. The episode pointer's precondition refuses the second; deciding again
    (what the detector does on a conflict) continues the first."""
    db = _db(emulators)
    first = organic_batch("ARKG")
    later = organic_batch("ARKG", start=T0 + 3600, first=100)
    prepare(db, "ARKG", first)
    prepare(db, "ARKG", later)
    ticker = db.collection("tickers").document("ARKG")
    effect = plan("ARKG", first.mentions, hours={}, days={}, recent=[], previous_as_of=None)
    assert effect.summary is not None and effect.as_of is not None
    ticker.set({**effect.summary.model_dump(mode="json"), "series": effect.series})
    early = detect_store.read(db, "ARKG")
    both = plan("ARKG", later.mentions, hours={}, days={}, recent=[], previous_as_of=effect.as_of, series=effect.series)
    hours = {**{w.key: w.after for w in effect.hours}, **{w.key: w.after for w in both.hours}}
    summary = summarize("ARKG", hours, both.as_of or 0.0)
    ticker.set({**summary.model_dump(mode="json"), "series": both.series})
    late = detect_store.read(db, "ARKG")
    publisher = get_publisher(db.project)

    snapshots = iter([late, early])
    monkeypatch.setattr(detect_store, "read", lambda *_, **__: next(snapshots))
    detect_update(TickerUpdate(ticker="ARKG", as_of=both.as_of or 0.0), db, publisher)
    with pytest.raises(detect_store.Conflict):
        detect_update(TickerUpdate(ticker="ARKG", as_of=effect.as_of), db, publisher)
    monkeypatch.undo()
    detect_update(TickerUpdate(ticker="ARKG", as_of=effect.as_of), db, publisher)  # decided again

    opened = [a for a in alerts_of(db, "ARKG") if a["status"] in ("open", "escalated")]
    assert len(opened) == 1
    pointer = detect_store.episode_ref(db, "ARKG").get().to_dict() or {}
    assert pointer["alert_id"] == opened[0]["alert_id"]


def test_an_update_naming_a_config_version_this_instance_knows_reads_no_config(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every change of the config is a new version, so a version's thresholds are fixed: the
    detector reads ``config/detection`` once per version it meets, not once per update; an
    update counted with a version it does not know yet reads it, with that version as kept
    (a version written before versions were kept: whatever is in force)."""
    db = _db(emulators)
    firestore_ops.wrap(db)
    monkeypatch.setattr(detect_store, "_configs", Versions())
    db.collection("config").document("detection").set({"volume_ratio_min": 7.0, "version": 7})

    def reads(version: int | None) -> tuple[int, float, int]:
        before = fs.totals().reads
        snap = detect_store.read(db, "CFG", latest=False, config_version=version)
        return fs.totals().reads - before, snap.config.volume_ratio_min, snap.config_version

    assert reads(7) == (4, 7.0, 7)  # the pointer, the config and version 7, first met; no pointer: the summary too
    db.collection("tickers").document("CFG").collection("state").document("episode").set({"as_of": 0.0})
    assert reads(7) == (1, 7.0, 7)  # the pointer alone
    assert reads(None) == (2, 7.0, 7)  # an update that names no version reads the config in force
    db.collection("config").document("detection").set({"volume_ratio_min": 9.0, "version": 8})
    assert reads(8) == (3, 9.0, 8)
    assert reads(7) == (1, 7.0, 7)  # a late update counted with 7 is decided with 7


def test_a_late_update_is_decided_with_its_own_version_by_an_instance_that_never_met_it(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An admin changes the config while updates counted with the old version are still on
    their way; a new instance (scaled out, restarted) decides them with the version they were
    counted with, as the API kept it, not with the one now in force."""
    assert emulators.emulators is not None
    db = firestore.Client(project=f"versions-{time.time_ns()}")  # a project of its own: versions from 1
    monkeypatch.setattr(detect_store, "_configs", Versions())
    store = ApiStore(db)
    old = store.save_config(DEFAULT_CONFIG.model_copy(update={"volume_ratio_min": 7.0}), None, "admin")
    new = store.save_config(DEFAULT_CONFIG.model_copy(update={"volume_ratio_min": 9.0}), old, "admin")
    assert (old, new) == (1, 2)
    snap = detect_store.read(db, "LATE", latest=False, config_version=old)
    assert (snap.config.volume_ratio_min, snap.config_version) == (7.0, old)
    snap = detect_store.read(db, "LATE", latest=False, config_version=new)
    assert (snap.config.volume_ratio_min, snap.config_version) == (9.0, new)


def test_the_version_in_force_when_versions_began_to_be_kept_is_kept_by_the_next_change(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version saved by an earlier release has no copy; the first change after it keeps it,
    so the updates still counted with it are decided with it, not with the change."""
    assert emulators.emulators is not None
    db = firestore.Client(project=f"versions-{time.time_ns()}")
    monkeypatch.setattr(detect_store, "_configs", Versions())
    db.collection("config").document("detection").set({"volume_ratio_min": 7.0, "version": 5})  # as saved before
    ApiStore(db).save_config(DEFAULT_CONFIG.model_copy(update={"volume_ratio_min": 9.0}), 5, "admin")
    snap = detect_store.read(db, "LEGACY", latest=False, config_version=5)
    assert (snap.config.volume_ratio_min, snap.config_version) == (7.0, 5)


def test_what_was_announced_is_only_ever_raised_by_a_late_record(emulators: Stack) -> None:
    """A delivery past its timeout records its announcement after a newer decision recorded a
    higher one: the record must not fall back, or the next decision announces it again."""
    db = _db(emulators)
    alert_id = f"LATE-{time.time_ns()}"
    ref = db.collection(fs.ALERTS).document(alert_id)
    ref.set({"alert_id": alert_id, "announced_level": 0})
    detect_store.mark_announced(db, alert_id, 3, {"resolved": 3})
    detect_store.mark_announced(db, alert_id, 2, {"resolved": 2})  # the slow one
    stored = ref.get().to_dict() or {}
    assert stored["announced_level"] == 3 and stored["announced"]["resolved"] == 3
