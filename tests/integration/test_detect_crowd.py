"""The crowd of a data hour from aggregation queries, against the real Firestore emulator:
the same figures a scan of every summary gives, at a cost that does not grow with the
number of tickers."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from google.cloud import firestore

from common.adapters import firestore as fs
from common.detection.baseline import HOUR, WEEK_HOURS
from common.detection_config import DEFAULT_CONFIG
from common.timekeys import hour_key
from devtools import firestore_ops
from emulators.stack import Stack
from functions.detect import crowd, store

NOW = 1_767_888_000 // 3600  # an hour index


def seed(db: firestore.Client, tickers: int) -> dict[str, int]:
    """``tickers`` summaries with series over the last ten days and 7-day counts."""
    weeks: dict[str, int] = {}
    for t in range(tickers):
        series = {hour_key((NOW - h) * HOUR): (t + h) % 5 for h in range(1, 240) if (t + h) % 5}
        weeks[f"T{t}"] = sum(n for k, n in series.items() if k >= hour_key((NOW - 168) * HOUR))
        db.collection(fs.TICKERS).document(f"T{t}").set(
            {
                "series": series,
                "windows": {"7d": {"mentions": weeks[f"T{t}"], "hours": 168}},
                "as_of": float(NOW * HOUR),
            }
        )
    return weeks


def test_aggregation_queries_give_what_a_scan_of_every_summary_gives(emulators: Stack) -> None:
    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    weeks = seed(db, 30)
    hours = crowd.span(NOW, DEFAULT_CONFIG)
    scan = crowd.scanned(db, hours)
    assert crowd.hour_volume(db, NOW - 1) == scan.get(NOW - 1, 0) > 0
    assert crowd.tickers_since(db, NOW) == len(weeks) == 30  # every summary is as of NOW
    assert crowd.tickers_since(db, NOW + 1) == 0
    first = crowd.community(db, NOW, DEFAULT_CONFIG, None)
    assert set(first) == set(hours) and {h: n for h, n in first.items() if n} == scan


def test_a_later_hour_recounts_only_the_hours_since_the_last_crowd_and_keeps_the_rest(emulators: Stack) -> None:
    """The crowd of hour NOW - 5 (hours without decisions in between have none): NOW's
    recounts the hours from its latest RECOUNT_HOURS on, one aggregation query each."""
    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    firestore_ops.wrap(db)
    seed(db, 30)
    crowds = db.collection("stats").document("global").collection("hours")
    earlier = crowd.community(db, NOW - 5, DEFAULT_CONFIG, None)
    crowds.document(hour_key((NOW - 5) * HOUR)).set(
        {"hour": hour_key((NOW - 5) * HOUR), "community": {str(h): n for h, n in earlier.items()}}
    )
    crowds.document(hour_key((NOW + 3) * HOUR)).set({"hour": hour_key((NOW + 3) * HOUR)})  # a later hour's
    reads = fs.totals().reads
    before = crowd.latest_before(crowds, NOW)
    assert before is not None and before["hour"] == hour_key((NOW - 5) * HOUR)
    after = crowd.community(db, NOW, DEFAULT_CONFIG, before)
    assert fs.totals().reads - reads == 1 + 5 + crowd.RECOUNT_HOURS  # not 30 summaries
    scan = crowd.scanned(db, crowd.span(NOW, DEFAULT_CONFIG))
    assert {h: n for h, n in after.items() if n} == scan
    wider = DEFAULT_CONFIG.model_copy(update={"market_days": DEFAULT_CONFIG.market_days + 1})
    assert set(crowd.community(db, NOW, wider, before)) == set(crowd.span(NOW, wider))  # another span: scanned


def test_the_alert_budget_counts_the_alerts_opened_in_the_day_before_the_hour(emulators: Stack) -> None:
    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    alerts = db.collection(fs.ALERTS)
    opened = {"OLD": NOW - 26, "DAY": NOW - 25, "EVE": NOW - 3, "LATE": NOW - 2, "LAST": NOW - 1, "NOW": NOW}
    for symbol, hour in opened.items():
        alerts.document(f"{symbol}-{hour_key(hour * HOUR)}").set(
            {"symbol": symbol, "kind": "organic", "opened_kind": "organic", "opened_at": float(hour * HOUR + 1800)}
        )
    alerts.document(f"PUMP-{hour_key((NOW - 3) * HOUR)}").set(
        {"symbol": "PUMP", "kind": "pump", "opened_kind": "pump", "opened_at": float((NOW - 3) * HOUR + 900)}
    )
    alerts.document(f"FLIP-{hour_key((NOW - 4) * HOUR)}").set(  # opened organic, reclassified since
        {"symbol": "FLIP", "kind": "pump", "opened_kind": "organic", "opened_at": float((NOW - 4) * HOUR + 900)}
    )
    # alerts opened organic in the day before the hour before NOW: not 26 hours back, nor the
    # latest hour's, nor NOW's own, nor a pump flag
    assert crowd.alerts_opened(db, NOW) == 4


def test_the_updates_of_a_new_hour_on_one_instance_count_its_crowd_once(emulators: Stack, monkeypatch: Any) -> None:
    """Several threads decide tickers of the same new hour at once: one counts the crowd, the
    others wait for it and read what it found (the aggregation queries are the cost)."""
    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    seed(db, 10)
    counted: list[int] = []
    tickers_since = crowd.tickers_since

    def counting(client: firestore.Client, hour: int) -> int:
        counted.append(1)
        return tickers_since(client, hour)

    monkeypatch.setattr(crowd, "tickers_since", counting)
    monkeypatch.setattr(store, "_stats_cache", {})  # this instance has read no hour yet
    monkeypatch.setattr(store, "_stats_locks", {})
    as_of = float((NOW + 7) * HOUR + 60)
    db.collection("stats").document("global").collection("hours").document(hour_key(as_of)).delete()
    with ThreadPoolExecutor(max_workers=6) as pool:
        stats = list(pool.map(lambda _: store.read_stats(db, as_of, DEFAULT_CONFIG), range(6)))
    assert len(counted) == 1
    assert all(s == stats[0] for s in stats)


def test_the_crowds_rate_is_the_weeks_discussion_over_its_tickers_and_a_silent_one_counts_for_nothing(
    emulators: Stack, monkeypatch: Any
) -> None:
    """The average ticker's hourly discussion over the week of complete hours before the data
    hour, from the community's volume, shared among the tickers named in that week (what
    the backtest's ``WeekVolume`` counts): a ticker loud a month ago and silent since adds
    neither its old week (its summary's own "7d" window holds it for as long as it stays
    silent) nor itself (a year of such tickers would divide the week's talk ever thinner)."""
    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    steady = {hour_key((NOW - h) * HOUR): 2 for h in range(1, 10 * 24)}
    loud_then = {hour_key((NOW - 30 * 24 + h) * HOUR): 1000 for h in range(24)}
    docs = {
        "STEADY": {"series": steady, "windows": {"7d": {"mentions": 336, "hours": 168}}, "as_of": float(NOW * HOUR)},
        "GONE": {
            "series": loud_then,
            "windows": {"7d": {"mentions": 24000, "hours": 168}},
            "as_of": float((NOW - 29 * 24) * HOUR),
        },
    }
    for symbol, doc in docs.items():
        db.collection(fs.TICKERS).document(symbol).set(doc)
    monkeypatch.setattr(store, "_stats_cache", {})
    monkeypatch.setattr(store, "_stats_locks", {})
    db.collection("stats").document("global").set({"since": float((NOW - 40 * 24) * HOUR)})
    as_of = float(NOW * HOUR + 60)
    db.collection("stats").document("global").collection("hours").document(hour_key(as_of)).delete()
    assert store.read_stats(db, as_of, DEFAULT_CONFIG).rate == 2.0  # STEADY's own, not (336 + 24000) / 2 / 168


@pytest.mark.parametrize("days", [2, 3, 7, 14])
def test_the_crowd_reads_the_rates_whole_week_whatever_the_market_window(days: int) -> None:
    config = DEFAULT_CONFIG.model_copy(update={"market_days": days, "market_window_hours": 6})
    hours = crowd.span(NOW, config)
    assert hours.stop == NOW and hours.start <= NOW - WEEK_HOURS
    assert hours.start == NOW - max(WEEK_HOURS, 6 + 24 * days)


def test_a_config_with_another_market_window_measures_the_market_over_its_own(
    emulators: Stack, monkeypatch: Any
) -> None:
    """The hour's crowd keeps the market over the window of the config its first event
    carried. An update decided with a changed window (an admin's change within the hour, a
    backlog crossing it) takes its own activity over that window out of the market: the
    stored figure, measured over another, is measured again, and the stored one is kept."""
    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    seed(db, 10)
    monkeypatch.setattr(store, "_stats_cache", {})
    monkeypatch.setattr(store, "_stats_locks", {})
    db.collection("stats").document("global").set({"since": float((NOW - 40 * 24) * HOUR)})
    as_of = float((NOW + 1) * HOUR + 60)
    crowd_ref = db.collection("stats").document("global").collection("hours").document(hour_key(as_of))
    crowd_ref.delete()
    changed = DEFAULT_CONFIG.model_copy(update={"market_window_hours": DEFAULT_CONFIG.market_window_hours + 6})
    measured = store.read_stats(db, as_of, changed).market  # the changed window's, measured fresh
    monkeypatch.setattr(store, "_stats_cache", {})
    monkeypatch.setattr(store, "_stats_locks", {})
    crowd_ref.delete()
    first = store.read_stats(db, as_of, DEFAULT_CONFIG)  # the hour's first event: the old window's
    assert (crowd_ref.get().to_dict() or {})["market"]["window_hours"] == DEFAULT_CONFIG.market_window_hours
    assert store.read_stats(db, as_of, changed).market == measured != first.market
    assert store.read_stats(db, as_of, DEFAULT_CONFIG).market == first.market
    assert (crowd_ref.get().to_dict() or {})["market"]["window_hours"] == DEFAULT_CONFIG.market_window_hours
