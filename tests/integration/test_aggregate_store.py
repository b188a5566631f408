"""The aggregator's store against the real Firestore emulator, in process: the races that
push delivery rarely produces on demand, made to happen."""

import json
import threading
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import firestore

from common.adapters import firestore as fs
from common.adapters.pubsub import get_publisher
from common.aggregation import Plan, Tuning, fresh, plan, window_day_keys, window_hour_keys
from common.entrypoint import Delivery
from common.messages import Mention, MentionBatch
from common.metrics import AUTHORS_EXACT_MAX, bucket_deltas, bucket_from_doc
from common.settings import Settings
from common.timekeys import day_key, hour_key
from devtools import firestore_ops
from emulators.stack import Stack
from functions.aggregate import store as store_module
from functions.aggregate.main import aggregate_batch, forward_check
from functions.aggregate.store import SIGNATURES, STATE, TickerStore

T0 = 1_764_000_000.0


def batch(symbol: str, n: int, offset: int = 0) -> MentionBatch:
    return MentionBatch(
        ticker=symbol,
        mentions=tuple(
            Mention(
                item_id=f"t1_{symbol}{i}",
                kind="comment",
                subreddit="stocks",
                author=f"user{i % 4}",
                created_utc=T0 + i * 60,
                text_length=10,
            )
            for i in range(offset, offset + n)
        ),
    )


def _wired(emulators: Stack) -> tuple[Settings, firestore.Client, Any]:
    """What aggregate_batch is handed in production: settings, a client, a publisher."""
    assert emulators.emulators
    settings = Settings(GOOGLE_CLOUD_PROJECT=emulators.emulators.project)
    return settings, firestore.Client(project=emulators.emulators.project), get_publisher(settings.project_id)


def _planned(store: TickerStore, b: MentionBatch) -> tuple[Plan, Any]:
    """The plan of ``b`` and the state's update time it was planned from."""
    state = store.read_state(b.mentions)
    new = fresh(b.mentions, state.seen, state.previous_as_of, Tuning())
    as_of = max(m.created_utc for m in new)
    kept_hours, kept_days = state.recent if state.recent is not None else (None, None)
    effect = plan(
        store.symbol,
        new,
        hours=store.read_buckets("hours", window_hour_keys(as_of), {hour_key(m.created_utc) for m in new}, kept_hours),
        days=store.read_buckets(fs.DAYS, window_day_keys(as_of), {day_key(m.created_utc) for m in new}, kept_days),
        recent=state.signatures,
        previous_as_of=state.previous_as_of,
    )
    return effect, state.updated


def hour_doc(db: firestore.Client, symbol: str) -> dict[str, object]:
    return db.collection("tickers").document(symbol).collection("hours").document(hour_key(T0)).get().to_dict() or {}


def test_a_concurrent_copy_that_planned_from_the_same_state_fails_on_the_states_precondition(emulators: Stack) -> None:
    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    first, second = TickerStore(db, "RACE"), TickerStore(db, "RACE")
    b = batch("RACE", 5)
    (plan_a, read_a), (plan_b, read_b) = _planned(first, b), _planned(second, b)
    first.write(plan_a, read_a)
    with pytest.raises((gexc.AlreadyExists, gexc.FailedPrecondition, gexc.Conflict)):
        second.write(plan_b, read_b)
    assert hour_doc(db, "RACE")["mentions"] == 5


def test_a_batch_planned_from_a_state_another_batch_changed_fails_instead_of_losing_its_counts(
    emulators: Stack,
) -> None:
    """Different items: the state's update time is what refuses the second commit, whose
    kept window buckets would otherwise miss the first one's counts."""
    assert emulators.emulators
    db = firestore.Client(project=emulators.emulators.project)
    store = TickerStore(db, "STALE")
    effect, read = _planned(store, batch("STALE", 3))
    store.write(effect, read)
    (plan_a, read_a), (plan_b, read_b) = (
        _planned(store, batch("STALE", 3, offset=3)),
        _planned(store, batch("STALE", 3, offset=6)),
    )
    store.write(plan_a, read_a)
    with pytest.raises((gexc.FailedPrecondition, gexc.Conflict)):
        store.write(plan_b, read_b)
    kept_hours, _ = store.read_state().recent or ({}, {})
    assert kept_hours[hour_key(T0)].mentions == hour_doc(db, "STALE")["mentions"] == 6


def test_after_its_first_batch_a_ticker_is_aggregated_from_its_state_document_alone(emulators: Stack) -> None:
    """The summary, the window buckets and the ids counted in the latest hours come with the
    state: a batch reads the state document and the config in force (not even that when it
    names a config version this instance knows), nothing else, and writes no document per
    item; the summary it writes matches the buckets. A redelivery counts nothing."""
    settings, db, publisher = _wired(emulators)
    firestore_ops.wrap(db)
    db.collection("config").document("detection").set({"version": 3})
    aggregate_batch(batch("ONE", 4), Delivery("first"), settings, db, publisher)
    before = fs.totals()
    aggregate_batch(batch("ONE", 4, offset=4), Delivery("second"), settings, db, publisher)
    after = fs.totals()
    assert after.reads - before.reads == 2  # the state and the config
    assert after.writes - before.writes == 4  # hour, day, state, summary
    versioned = batch("ONE", 4, offset=8).model_copy(update={"config_version": 3})
    named = aggregate_batch(versioned, Delivery("third"), settings, db, publisher).config_version
    assert named == 3  # the ticker update names it
    assert fs.totals().reads - after.reads == 1  # version 3 was read with the state: known
    again = fs.totals()
    assert aggregate_batch(versioned, Delivery("third"), settings, db, publisher).counted == 0
    assert fs.totals().reads - again.reads == 1 and fs.totals().writes == again.writes
    summary = db.collection("tickers").document("ONE").get().to_dict() or {}
    assert summary["windows"]["1h"]["mentions"] == hour_doc(db, "ONE")["mentions"] == 12
    assert summary["windows"]["1h"]["distinct_authors"] == 4


def test_a_late_item_in_an_hour_the_state_keeps_no_ids_of_is_checked_against_its_bucket(emulators: Stack) -> None:
    """Ids of the latest hours only travel with the state: an item of an older hour costs a
    read of that hour's bucket, and is still counted once."""
    settings, db, publisher = _wired(emulators)
    firestore_ops.wrap(db)
    aggregate_batch(batch("LATE", 3), Delivery("early"), settings, db, publisher)
    later = batch("LATE", 3, offset=3)
    later = later.model_copy(
        update={
            "mentions": tuple(
                m.model_copy(update={"created_utc": T0 + 5 * 3600 + i}) for i, m in enumerate(later.mentions)
            )
        }
    )
    aggregate_batch(later, Delivery("later"), settings, db, publisher)
    before = fs.totals()
    redelivered = aggregate_batch(batch("LATE", 3), Delivery("early-again"), settings, db, publisher)
    assert redelivered.counted == 0
    assert fs.totals().reads - before.reads == 3  # the state, the config, the old hour's bucket
    assert hour_doc(db, "LATE")["mentions"] == 3


def test_the_same_batch_processed_by_two_instances_at_once_is_counted_once(emulators: Stack) -> None:
    settings, db, publisher = _wired(emulators)
    b = batch("TWIN", 40)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def deliver(message_id: str) -> None:
        start.wait()
        try:
            aggregate_batch(b, Delivery(message_id), settings, db, publisher)
        except BaseException as exc:  # a lost race past the one retry would surface here
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(f"m{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    doc = hour_doc(db, "TWIN")
    assert doc["mentions"] == 40
    assert sorted(doc["authors"]) == ["user0", "user1", "user2", "user3"]  # type: ignore[call-overload]


def test_fields_of_other_writers_survive_the_summary_rewrite(emulators: Stack) -> None:
    """The summary is written with a field mask: ``detection`` (detect's) is never touched."""
    settings, db, publisher = _wired(emulators)
    aggregate_batch(batch("KEEP", 3), Delivery("a"), settings, db, publisher)
    db.collection("tickers").document("KEEP").set({"owned_elsewhere": {"as_of": T0, "score": 0.5}}, merge=True)
    aggregate_batch(batch("KEEP", 3, offset=3), Delivery("b"), settings, db, publisher)
    summary = db.collection("tickers").document("KEEP").get().to_dict() or {}
    assert summary["owned_elsewhere"] == {"as_of": T0, "score": 0.5}
    assert summary["windows"]["1h"]["mentions"] == 6
    assert summary["as_of"] == T0 + 5 * 60


def test_a_bucket_past_the_exact_author_bound_is_stored_exactly_as_the_pure_core_merges_it(emulators: Stack) -> None:
    assert emulators.emulators
    settings = Settings(GOOGLE_CLOUD_PROJECT=emulators.emulators.project)
    db = firestore.Client(project=emulators.emulators.project)
    many = MentionBatch(
        ticker="BIG",
        mentions=tuple(
            Mention(
                item_id=f"t1_big{i}",
                kind="comment",
                subreddit="stocks",
                author=f"author{i}",
                created_utc=T0 + i % 3600,
                text_length=10,
            )
            for i in range(AUTHORS_EXACT_MAX + 200)
        ),
    )
    aggregate_batch(many, Delivery("big"), settings, db, get_publisher(settings.project_id))  # several commits
    stored = bucket_from_doc(hour_doc(db, "BIG"))
    assert stored == bucket_deltas(many.mentions)[hour_key(T0)]
    assert stored.authors_overflow and len(stored.hll) > AUTHORS_EXACT_MAX / 2
    summary = db.collection("tickers").document("BIG").get().to_dict() or {}
    estimate = summary["windows"]["1h"]["distinct_authors"]
    assert not summary["windows"]["1h"]["distinct_authors_exact"]
    assert abs(estimate - len(many.mentions)) <= 0.05 * len(many.mentions)


def test_a_state_too_large_to_keep_its_window_falls_back_to_querying_the_buckets(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, db, publisher = _wired(emulators)
    aggregate_batch(batch("HOT", 4), Delivery("kept"), settings, db, publisher)
    assert TickerStore(db, "HOT").read_state().recent is not None
    monkeypatch.setattr(store_module, "RECENT_MAX_BYTES", 10)
    aggregate_batch(batch("HOT", 4, offset=4), Delivery("dropped"), settings, db, publisher)
    assert TickerStore(db, "HOT").read_state().recent is None  # the stale copy is gone too
    aggregate_batch(batch("HOT", 4, offset=8), Delivery("queried"), settings, db, publisher)
    summary = db.collection("tickers").document("HOT").get().to_dict() or {}
    assert summary["windows"]["1h"]["mentions"] == hour_doc(db, "HOT")["mentions"] == 12


def test_a_bucket_counted_before_buckets_named_their_items_is_checked_against_its_markers(emulators: Stack) -> None:
    """Data of the per-item marker era: the hour's bucket counts items its ``items`` map does
    not name, and the state keeps no ids. A redelivery of those items is found in their
    ``seen`` markers and counted nothing; the hour is never called complete from it."""
    settings, db, publisher = _wired(emulators)
    old = batch("OLD", 3)
    aggregate_batch(old, Delivery("before"), settings, db, publisher)
    ticker = db.collection("tickers").document("OLD")
    ticker.collection("hours").document(hour_key(T0)).update({"items": firestore.DELETE_FIELD})
    state = ticker.collection("state").document("signatures")
    state.update({"counted_ids": firestore.DELETE_FIELD})
    for m in old.mentions:
        ticker.collection("seen").document(m.item_id).set({"hour": hour_key(T0)})

    again = aggregate_batch(old, Delivery("redelivered"), settings, db, publisher)
    assert again.counted == 0 and hour_doc(db, "OLD")["mentions"] == 3
    newer = aggregate_batch(batch("OLD", 2, offset=3), Delivery("after"), settings, db, publisher)
    assert newer.counted == 2 and hour_doc(db, "OLD")["mentions"] == 5
    assert hour_key(T0) not in json.loads((state.get().to_dict() or {})["counted_ids"])
    assert aggregate_batch(old, Delivery("once more"), settings, db, publisher).counted == 0


def test_a_hot_hours_items_past_what_its_bucket_names_get_markers_and_are_still_counted_once(
    emulators: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A frenzy hour would outgrow the bucket's ``items`` record (Firestore refuses a document
    past 20,000 fields or 1 MiB, and every redelivery would fail the same way): past
    ``ITEMS_MAX`` its items get ``seen`` markers, and redelivery still counts nothing twice."""
    settings, db, publisher = _wired(emulators)
    monkeypatch.setattr(store_module, "ITEMS_MAX", 5)
    first, second = batch("FRNZ", 4), batch("FRNZ", 4, offset=4)  # all in the hour of T0
    assert aggregate_batch(first, Delivery("a"), settings, db, publisher).counted == 4
    assert aggregate_batch(second, Delivery("b"), settings, db, publisher).counted == 4
    ticker = db.collection("tickers").document("FRNZ")
    hour = hour_doc(db, "FRNZ")
    named = set(hour["items"]) if isinstance(hour["items"], dict) else set()
    assert hour["mentions"] == 8 and len(named) == 5
    marked = {d.id for d in ticker.collection("seen").stream()}
    assert marked == {m.item_id for m in second.mentions} - named
    ticker.collection("state").document("signatures").update({"counted_ids": firestore.DELETE_FIELD})
    for again in (first, second):  # the hour's ids read from its bucket and its markers alone
        assert aggregate_batch(again, Delivery("again"), settings, db, publisher).counted == 0
    assert hour_doc(db, "FRNZ")["mentions"] == 8


def test_a_batch_of_many_authors_over_many_subreddits_commits_within_firestores_limits(emulators: Stack) -> None:
    """The emulator applies a commit production refuses (more than 500 field transforms on
    one document); the local stack's client refuses it as production does, and the batch is
    committed in chunks that stay within it."""
    assert emulators.emulators
    settings = Settings(GOOGLE_CLOUD_PROJECT=emulators.emulators.project)
    db = firestore.Client(project=emulators.emulators.project)
    firestore_ops.wrap(db)
    with pytest.raises(gexc.InvalidArgument):  # what production answers
        db.collection("limits").document("d").set({"n": {str(i): firestore.Increment(1) for i in range(501)}})
    wide = MentionBatch(
        ticker="WIDE",
        mentions=tuple(
            Mention(
                item_id=f"t1_wide{i}",
                kind="comment",
                subreddit=f"sub{i % 30}",
                author=f"author{i}",
                created_utc=T0 + i,
                text_length=10,
            )
            for i in range(600)
        ),
    )
    aggregate_batch(wide, Delivery("wide"), settings, db, get_publisher(settings.project_id))
    assert bucket_from_doc(hour_doc(db, "WIDE")) == bucket_deltas(wide.mentions)[hour_key(T0)]


def _damaged(stored: dict[str, Any], damage: str) -> dict[str, Any]:
    """The state document's fields as ``damage`` leaves them."""
    summary = json.loads(stored["summary"])
    if damage == "not JSON":
        return {"summary": "{not json"}
    if damage == "a field this code cannot read":
        return {"summary": json.dumps({**summary, "windows": {**summary["windows"], "1h": "?"}})}
    if damage == "a damaged series":
        return {"summary": json.dumps({**summary, "series": {k: None for k in summary["series"]}})}
    if damage == "a window it needs missing":
        return {"summary": json.dumps({**summary, "windows": {"1h": summary["windows"]["1h"]}})}
    if damage.startswith("a time it cannot read"):
        return {"as_of": "?"}
    assert damage == "every other part"
    return {"items": "[[1]]", "evidence": "[1]", "counted_ids": "{", "recent": b"not zlib"}


DAMAGES = [
    "not JSON",
    "a field this code cannot read",
    "a damaged series",
    "a window it needs missing",
    "every other part",
    "a time it cannot read",
    "a time it cannot read, nor the summary's",
]


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_stored_state_it_cannot_read_is_done_without_not_failed_on(emulators: Stack, damage: str) -> None:
    """A part of the state the aggregator cannot read (damaged, or written by a newer schema)
    neither fails the ticker's batches until they are dead-lettered nor makes a redelivery or
    a silence check tell the detector nothing was counted: the counts are rebuilt from the
    buckets, the same as the stored summary said; nothing is counted twice, and the next
    commit writes the summary and its series whole."""
    settings, db, publisher = _wired(emulators)
    symbol = "BAD" + str(DAMAGES.index(damage))
    aggregate_batch(batch(symbol, 6), Delivery("first"), settings, db, publisher)
    told = aggregate_batch(batch(symbol, 6), Delivery("again"), settings, db, publisher).latest
    assert told is not None
    state_ref = db.collection("tickers").document(symbol).collection(STATE).document(SIGNATURES)
    state_ref.update(_damaged(state_ref.get().to_dict() or {}, damage))
    estimated = damage.endswith("nor the summary's")
    if estimated:  # the newest item's time is then read as its hour's end
        db.collection("tickers").document(symbol).update({"as_of": firestore.DELETE_FIELD})

    redelivered = aggregate_batch(batch(symbol, 6), Delivery("third"), settings, db, publisher)
    assert redelivered.counted == 0
    assert redelivered.latest is not None
    exact = {"evidence", "as_of"} if estimated else {"evidence"}
    assert redelivered.latest.model_dump(exclude=exact) == told.model_dump(exclude=exact)
    if damage != "every other part" and not estimated:  # the evidence kept: the same posts cited
        assert redelivered.latest == told
    store = TickerStore(db, symbol)
    assert store.counts(store.read_state()) == redelivered.latest  # what a silence check forwards
    assert forward_check(MentionBatch(ticker=symbol, silence_check=T0 + 7200), Delivery("check"), db, publisher)

    assert aggregate_batch(batch(symbol, 2, offset=6), Delivery("more"), settings, db, publisher).counted == 2
    assert hour_doc(db, symbol)["mentions"] == 8
    rewritten = json.loads((state_ref.get().to_dict() or {})["summary"])
    assert rewritten["windows"]["1h"]["mentions"] == 8
    assert rewritten["series"] == {hour_key(T0): 8}
    assert (db.collection("tickers").document(symbol).get().to_dict() or {})["series"] == {hour_key(T0): 8}
    assert TickerStore(db, symbol).read_state().counted is not None


def test_a_state_whose_time_does_not_read_still_knows_an_older_hours_items(emulators: Stack) -> None:
    """Read as a new ticker's, the state would check none of the hours its kept ids no longer
    cover: a redelivered batch of an older hour would be counted again, and the series written
    from that batch alone."""
    settings, db, publisher = _wired(emulators)
    older = batch("OLDH", 6)
    aggregate_batch(older, Delivery("first"), settings, db, publisher)
    later = MentionBatch(
        ticker="OLDH",
        mentions=tuple(
            m.model_copy(update={"created_utc": m.created_utc + 5 * 3600}) for m in batch("OLDH", 4, offset=10).mentions
        ),
    )
    aggregate_batch(later, Delivery("later"), settings, db, publisher)
    state_ref = db.collection("tickers").document("OLDH").collection(STATE).document(SIGNATURES)
    assert hour_key(T0) not in json.loads((state_ref.get().to_dict() or {})["counted_ids"])  # past the kept hours
    state_ref.update({"as_of": "?"})

    assert aggregate_batch(older, Delivery("again"), settings, db, publisher).counted == 0
    assert hour_doc(db, "OLDH")["mentions"] == 6
    series = (db.collection("tickers").document("OLDH").get().to_dict() or {})["series"]
    assert series == {hour_key(T0): 6, hour_key(T0 + 5 * 3600): 4}


def test_a_series_recount_reads_only_the_counters_it_adds(emulators: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A recount reads four weeks of hour buckets: their author lists and sketches (up to
    1,000 names and 4,096 registers an hour) would not fit a function's memory, and the
    series needs neither."""
    assert emulators.emulators
    settings = Settings(GOOGLE_CLOUD_PROJECT=emulators.emulators.project)
    db = firestore.Client(project=emulators.emulators.project)
    aggregate_batch(batch("RCNT", 6), Delivery("first"), settings, db, get_publisher(settings.project_id))
    read: list[set[str]] = []

    def spy(doc: dict[str, Any]) -> Any:
        read.append(set(doc))
        return bucket_from_doc(doc)

    monkeypatch.setattr(store_module, "bucket_from_doc", spy)
    assert TickerStore(db, "RCNT").recount_series(T0 + 3600, 24 * 28) == {hour_key(T0): 6}
    assert read and all(not fields & {"authors", "hll", "subreddits", "items"} for fields in read)
