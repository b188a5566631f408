"""One episode per ticker whatever the delivery: a replay of three tickers' updates, decided
in order by one detector, and again with the tickers interleaved at random, every update
delivered twice, stale copies redelivered late, and two detector instances working at once,
leaves the same alerts (ids, levels, kinds, history, evidence) in Firestore.

The per-ticker order is what the ``ticker-updates`` ordering key guarantees; everything else
Pub/Sub may do to a subscriber is done here. Each run has its own Firestore project on the
same emulator, so the two states are compared document by document.
"""

import random
import threading
import uuid
from collections import deque
from itertools import pairwise
from typing import Any

import google.cloud.pubsub_v1 as pubsub_v1
from google.cloud import firestore

from common import topics
from common.adapters.pubsub import get_publisher
from common.aggregation import counted, plan
from common.detection_config import DEFAULT_CONFIG
from common.messages import Mention, MentionBatch, TickerUpdate
from common.metrics import HourBucket
from emulators.stack import Stack
from functions.detect.main import decide
from tests.integration.test_detect import DAY, T0, organic_batch, pump_batch

HOUR = 3600.0


def _shifted(batch: MentionBatch, start: float, tag: str) -> list[Mention]:
    """``batch``'s mentions moved to begin at ``start``, with ids of their own."""
    first = min(m.created_utc for m in batch.mentions)
    return [
        m.model_copy(update={"item_id": f"{m.item_id}_{tag}", "created_utc": start + (m.created_utc - first) / 4})
        for m in batch.mentions
    ]


def _episode(symbol: str, sizes: list[int], *, pump: bool = False) -> list[list[Mention]]:
    """Hourly mentions of ``symbol``: a quiet day, then ``sizes`` mentions an hour, each
    hour fetched in two halves (two fetch runs, two updates)."""
    out: list[list[Mention]] = []
    for hour in range(0, 24, 6):  # one mention every six hours: quiet
        start = T0 - DAY + hour * HOUR
        out.append(_shifted(organic_batch(symbol, 1, first=900 + hour), start, f"q{hour}"))
    for hour, n in enumerate(sizes):
        if n == 0:
            continue
        source = pump_batch(symbol, n) if pump else organic_batch(symbol, n, first=100 * (hour + 1))
        mentions = _shifted(source, T0 + hour * HOUR, f"h{hour}")
        # the newer half fetched first (another subreddit's run): the older half then leaves
        # as_of where it was and raises the counts, two updates of one moment
        out.extend([mentions[n // 2 :], mentions[: n // 2]] if n > 1 else [mentions])
    return [m for m in out if m]


def _updates(symbol: str, batches: list[list[Mention]]) -> tuple[list[TickerUpdate], dict[str, Any]]:
    """What the aggregator publishes for ``batches`` counted in order (the pure plan it runs),
    and the summary it leaves."""
    hours: dict[str, HourBucket] = {}
    days: dict[str, HourBucket] = {}
    recent: tuple[Any, ...] = ()
    evidence: tuple[Any, ...] = ()
    series: dict[str, int] = {}
    as_of: float | None = None
    out = []
    summary: dict[str, Any] = {}
    for i, mentions in enumerate(batches):
        effect = plan(
            symbol,
            mentions,
            hours=hours,
            days=days,
            recent=recent,
            previous_as_of=as_of,
            series=series,
            evidence=evidence,
        )
        assert effect.summary is not None and effect.as_of is not None
        hours |= {w.key: w.after for w in effect.hours}
        days |= {w.key: w.after for w in effect.days}
        recent, series, as_of, evidence = effect.signatures, effect.series, effect.as_of, effect.evidence
        snapshot = counted(effect.summary, series, DEFAULT_CONFIG, evidence)
        out.append(TickerUpdate(ticker=symbol, as_of=as_of, batch_id=f"{symbol}-{i}", counted=snapshot))
        summary = {**effect.summary.model_dump(mode="json"), "series": series}
    return out, summary


def _seed(db: firestore.Client, summaries: dict[str, Any]) -> None:
    """What the rest of the system would have stored: collection began ten days ago, the
    summaries the crowd is computed from are in ``tickers``; the project's ``alerts`` topic.
    (The alerts' evidence comes with the updates.)"""
    admin = pubsub_v1.PublisherClient()
    admin.create_topic(name=admin.topic_path(db.project, topics.ALERTS))
    db.collection("stats").document("global").set({"since": T0 - 10 * DAY})
    for symbol, summary in summaries.items():
        db.collection("tickers").document(symbol).set(summary)


def _decided(db: firestore.Client) -> dict[str, Any]:
    """Every alert, and each ticker's ``detection`` and episode pointer."""
    tickers = {d.id: (d.to_dict() or {}).get("detection") for d in db.collection("tickers").stream()}
    pointers = {s: (db.document(f"tickers/{s}/state/episode").get().to_dict() or {}) for s in tickers}
    return {
        "alerts": {d.id: d.to_dict() or {} for d in db.collection("alerts").stream()},
        "detection": tickers,
        "pointers": pointers,
    }


def _disordered(db: firestore.Client, streams: dict[str, list[TickerUpdate]], seed: int) -> int:
    """Deliver ``streams`` as Pub/Sub may with an ordering key: a ticker's next update only
    after its previous one was handled, tickers interleaved at random, two instances at
    once, and already handled updates delivered again at any moment (also beside a newer
    update of the same ticker). Returns how many deliveries were made."""
    rng = random.Random(seed)
    pending = {symbol: deque(updates) for symbol, updates in streams.items()}
    busy: set[str] = set()
    handled: list[TickerUpdate] = []
    redeliveries = sum(len(u) for u in streams.values())  # every update twice, on average
    lock = threading.Lock()
    made = 0
    errors: list[BaseException] = []
    publisher = get_publisher(db.project)

    def next_delivery() -> tuple[TickerUpdate | None, bool]:
        nonlocal redeliveries
        with lock:
            if handled and redeliveries and rng.random() < 0.5:
                redeliveries -= 1
                return rng.choice(handled), False
            ready = [s for s, q in pending.items() if q and s not in busy]
            if not ready:
                done = not busy and not any(pending.values())
                if done and redeliveries and handled:
                    redeliveries -= 1
                    return rng.choice(handled), False
                return None, done
            symbol = rng.choice(sorted(ready))
            busy.add(symbol)
            return pending[symbol].popleft(), False

    def instance() -> None:
        nonlocal made
        while not errors:
            update, done = next_delivery()
            if update is None:
                if done:
                    return
                threading.Event().wait(0.005)
                continue
            try:
                decide(update, db, publisher)
            except BaseException as exc:  # reported by the test below
                errors.append(exc)
            with lock:
                made += 1
                if update.ticker in busy and update not in handled:
                    busy.discard(update.ticker)
                    handled.append(update)

    workers = [threading.Thread(target=instance) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=600)
    assert not errors, errors
    return made


# a surge, twenty silent hours (no update), a surge: the update that brings the second ends
# the first episode as of seven hours after its last surging hour and opens another, in one commit
SILENT_TWICE = [*[0] * 6, 20, 30, *[0] * 20, 24, 30]


def _silent_ended(alerts: dict[str, dict[str, Any]]) -> bool:
    """SILX's two episodes: the first resolved by silence, the second open."""
    episodes = sorted((a for a in alerts.values() if a["symbol"] == "SILX"), key=lambda a: a["opened_at"])
    return [a["status"] != "resolved" for a in episodes] == [False, True] and episodes[0][
        "resolved_at"
    ] == T0 + 14 * HOUR


def test_disordered_duplicated_concurrent_delivery_leaves_the_in_order_alerts(emulators: Stack) -> None:
    assert emulators.emulators is not None
    batches = {
        "ORGX": _episode("ORGX", [4, 12, 30, 36, 20, 6, 2, *[1, 0, 0] * 4, 10, 28, 30, 8, *[1, 0, 0] * 3, 2]),
        "PMPX": _episode("PMPX", [0, 0, 8, 24, 24, 4, *[1, 0, 0] * 3, 2], pump=True),
        "QUIX": _episode("QUIX", [1, 2, 1, 0, 2, 1, 1, 0, 1, 2]),
        "SILX": _episode("SILX", SILENT_TWICE),
    }
    made = {symbol: _updates(symbol, chunks) for symbol, chunks in batches.items()}
    streams = {symbol: updates for symbol, (updates, _) in made.items()}
    run = uuid.uuid4().hex[:8]
    in_order = firestore.Client(project=f"replay-in-order-{run}")
    disordered = firestore.Client(project=f"replay-disordered-{run}")
    for db in (in_order, disordered):
        _seed(db, {symbol: summary for symbol, (_, summary) in made.items()})

    publisher = get_publisher(in_order.project)
    for update in sorted((u for us in streams.values() for u in us), key=lambda u: (u.as_of, u.ticker)):
        decide(update, in_order, publisher)
    decided = _decided(in_order)
    expected = decided["alerts"]
    deliveries = _disordered(disordered, streams, seed=20261202)
    # and, after everything, a late copy of the newest moment as first counted (fewer items)
    late = [us[-2] for us in streams.values() if us[-2].as_of == us[-1].as_of]
    assert len(late) == len(streams)
    for update in late:
        decide(update, disordered, get_publisher(disordered.project))

    # the replay is worth comparing: an organic episode that escalated and resolved, a pump
    assert {(a["symbol"], a["kind"]) for a in expected.values()} >= {("ORGX", "organic"), ("PMPX", "pump")}
    assert any(a["level"] >= 2 for a in expected.values() if a["symbol"] == "ORGX")
    assert any(a["status"] == "resolved" for a in expected.values())
    assert _silent_ended(expected)
    assert deliveries >= 2 * sum(len(u) for u in streams.values())
    same_moment = [(a, b) for us in streams.values() for a, b in pairwise(us) if a.as_of == b.as_of]
    assert same_moment, "the replay holds updates of one moment with growing counts"
    assert _decided(disordered) == decided


def _halves_swapped(batches: list[list[Mention]]) -> list[list[Mention]]:
    """The same hours with each hour's two fetches counted the other way round: the older half
    first (a lower as_of, partial counts), then the newer (the other subreddit's run finished
    later)."""
    out: list[list[Mention]] = []
    i = 0
    while i < len(batches):
        here, nxt = batches[i], batches[i + 1] if i + 1 < len(batches) else None
        if nxt is not None and max(m.created_utc for m in nxt) < min(m.created_utc for m in here):
            out.extend([nxt, here])
            i += 2
        else:
            out.append(here)
            i += 1
    return out


def test_an_hours_batches_in_either_order_leave_the_same_alerts(emulators: Stack) -> None:
    """Fetch publishes one batch per ticker and subreddit, so an hour's counts reach detect
    in steps, in whatever order the fetches finished. Each step decides the hour again from
    the alert as it stood before the hour: the hour's full counts decide it, whichever batch
    came first (an early partial count that just opens the alert does not make the full one
    an escalation)."""
    assert emulators.emulators is not None
    batches = {
        "ORGX": _episode("ORGX", [4, 12, 30, 36, 20, 6, 2, *[1, 0, 0] * 4, 10, 28, 30, 8, *[1, 0, 0] * 3, 2]),
        "PMPX": _episode("PMPX", [0, 0, 8, 24, 24, 4, *[1, 0, 0] * 3, 2], pump=True),
        "SILX": _episode("SILX", SILENT_TWICE),
    }
    run = uuid.uuid4().hex[:8]
    decided = []
    for name, arrange in (("newer-first", lambda b: b), ("older-first", _halves_swapped)):
        made = {symbol: _updates(symbol, arrange(chunks)) for symbol, chunks in batches.items()}
        db = firestore.Client(project=f"replay-{name}-{run}")
        _seed(db, {symbol: summary for symbol, (_, summary) in made.items()})
        publisher = get_publisher(db.project)
        for symbol, (updates, _) in made.items():
            if name == "older-first":  # the arrangement changed something to compare
                assert [u.as_of for u in updates] != [u.as_of for u in _updates(symbol, batches[symbol])[0]]
            for update in updates:
                decide(update, db, publisher)
        decided.append(_decided(db))
    in_order, swapped = decided
    assert any(a["level"] >= 2 for a in in_order["alerts"].values() if a["symbol"] == "ORGX")
    assert _silent_ended(in_order["alerts"])
    assert swapped["alerts"] == in_order["alerts"]
    assert swapped["detection"] == in_order["detection"]
