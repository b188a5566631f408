"""aggregate: a ticker's mentions batch in, its hourly buckets and summary updated, one
``ticker-updates`` message out.

The ``mentions`` subscription is ordered by ticker, so this function is the single writer of
``tickers/{S}``'s counts and everything under it but detect's own (``tickers/{S}.detection``
and ``tickers/{S}/state/episode``, written by field or document, never over these): reading
state and then writing it is not a contended transaction. Exactly-once effect on
at-least-once delivery comes from the hour buckets themselves: each names the items it
counts (``items``), written by the same transform that counts them. The state document keeps
those of the two latest hours, so a batch reads its state alone (an item of an older hour
costs a read of its bucket), and a redelivered message, or an item seen again by a later
fetch, counts nothing twice. A concurrent copy is caught by the state document's
precondition: the commit that loses re-reads and counts only what is still unseen.

A batch whose mentions were all counted before still publishes its ticker's update (with the
stored ``as_of`` and counts): if an earlier attempt committed and then failed to publish, the
retry must not swallow the update, and the detector decides a copy the same way. A silence
check from dispatch (no mentions) is passed on the same way, counting nothing.
"""

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from google.api_core import exceptions as gexc
from google.cloud import firestore

from common import log, topics
from common.adapters import firestore as fs
from common.adapters.pubsub import Outgoing, Publisher
from common.aggregation import (
    SERIES_HOURS,
    Tuning,
    counted,
    dated_by,
    fresh,
    plan,
    recent_ids,
    unique_mentions,
    window_day_keys,
    window_hour_keys,
)
from common.entrypoint import Delivery, publisher_for, pubsub_function
from common.messages import Counted, Mention, MentionBatch, TickerUpdate
from common.settings import Settings
from common.timekeys import day_key, hour_key, published_at
from functions.aggregate.store import TickerStore, transforms_at_most

logger = log.get_logger(__name__)

# Mentions per commit: at most one hour and one day bucket write and one ``seen`` marker (an
# item past a hot hour's ITEMS_MAX) each, + state and summary, stay under the writes a
# Firestore commit may hold (fs.WRITES_MAX).
CHUNK = (fs.WRITES_MAX - 2) // 3


@dataclass
class Result:
    counted: int = 0
    skipped: int = 0
    duplicates: int = 0
    hours: set[str] = field(default_factory=set)
    as_of: float | None = None
    latest: Counted | None = None  # as of ``as_of``: what the update tells the detector
    config_version: int | None = None  # the config the counts were made with


def chunks(mentions: Sequence[Mention], size: int = CHUNK) -> Iterator[list[Mention]]:
    """The commits a batch is counted in, in order: at most ``size`` mentions, and no more
    distinct authors and subreddits than one bucket's transforms may take (a day bucket takes
    every author of a commit), which a busy ticker's batch of many authors reaches first."""
    chunk: list[Mention] = []
    authors: set[str] = set()
    subreddits: set[str] = set()
    for m in mentions:
        with_it = transforms_at_most(
            len(authors) + bool(m.author and m.author not in authors),
            len(subreddits) + (m.subreddit not in subreddits),
        )
        if chunk and (len(chunk) == size or with_it > fs.FIELD_TRANSFORMS_MAX):
            yield chunk
            chunk, authors, subreddits = [], set(), set()
        chunk.append(m)
        subreddits.add(m.subreddit)
        if m.author:
            authors.add(m.author)
    if chunk:
        yield chunk


def _apply_chunk(
    store: TickerStore, chunk: Sequence[Mention], result: Result, config_version: int | None, newest: float | None
) -> None:
    """Read, plan, commit on the state's read time; a commit that finds the state changed (a
    concurrent copy) reads again. ``newest``: the message's newest item (the age limit's)."""
    for attempt in (1, 2, 3):
        state = store.read_state(chunk, config_version)
        tuning = Tuning(rules=state.rules)  # the config read with the state
        result.config_version = state.config_version
        new = fresh(chunk, state.seen, state.previous_as_of, tuning, newest=newest)
        if not new:
            result.skipped += len(chunk)
            if state.previous_as_of is not None and (result.as_of is None or state.previous_as_of >= result.as_of):
                result.as_of = state.previous_as_of
                result.latest = store.counts(state)
            return
        target = max([m.created_utc for m in new] + ([state.previous_as_of] if state.previous_as_of else []))
        # The window ending at target holds nothing newer than previous_as_of (it is the
        # newest item counted), so the state's copy, kept as of then, covers it.
        kept_hours, kept_days = state.recent if state.recent is not None else (None, None)
        if state.previous_as_of is None:  # nothing counted yet: no bucket exists to read
            kept_hours, kept_days = {}, {}
        hours = store.read_buckets(
            fs.HOURS, window_hour_keys(target), {hour_key(m.created_utc) for m in new}, kept_hours, state.touched
        )
        days = store.read_buckets(fs.DAYS, window_day_keys(target), {day_key(m.created_utc) for m in new}, kept_days)
        series = state.series
        if series is None and state.previous_as_of is not None:
            series = store.recount_series(state.previous_as_of, SERIES_HOURS)
        effect = plan(
            store.symbol,
            new,
            hours=hours,
            days=days,
            recent=state.signatures,
            previous_as_of=state.previous_as_of,
            series=series,
            tuning=tuning,
            evidence=state.evidence,
        )
        try:
            ids = None if effect.as_of is None else recent_ids(state.known, new, state.previous_as_of, effect.as_of)
            # the summary's series is written as a change to the state's copy of it; no copy yet
            # (a new ticker's state), whole, so nothing a stray document held survives
            stored = state.series if state.previous_as_of is not None else None
            store.write(effect, state.updated, ids, stored_series=stored)
        except (gexc.AlreadyExists, gexc.FailedPrecondition, gexc.Conflict):
            if attempt == 3:
                raise
            logger.info("another copy committed first; reading the state again", extra={"json_fields": {}})
            continue
        result.counted += len(effect.counted)
        result.skipped += len(chunk) - len(effect.counted)
        result.duplicates += len(effect.duplicates)
        result.hours.update(w.key for w in effect.hours)
        result.as_of = effect.as_of
        result.latest = (
            None if effect.summary is None else counted(effect.summary, effect.series, tuning.rules, effect.evidence)
        )
        return


def forward_check(batch: MentionBatch, delivery: Delivery, db: firestore.Client, publisher: Publisher) -> bool:
    """Pass a silence check on to the detector with the ticker's counts: the ordering key put
    it behind every batch of the ticker's mentions it is about, so the counts are complete up
    to its time. Nothing is written. False: the ticker has nothing counted (no alert either)."""
    store = TickerStore(db, batch.ticker)
    state = store.read_state((), batch.config_version)
    as_of = state.previous_as_of
    counts = store.counts(state)
    if as_of is not None and counts is not None:
        update = TickerUpdate(
            ticker=batch.ticker,
            as_of=as_of,
            batch_id=delivery.message_id,
            counted=counts,
            config_version=state.config_version,
            silence_check=batch.silence_check,
        )
        publisher.publish_all([Outgoing(topics.TICKER_UPDATES, update, ordering_key=batch.ticker)])
    forwarded = as_of is not None and counts is not None
    logger.info(
        "silence check of %s %s",
        batch.ticker,
        "forwarded" if forwarded else "dropped: nothing counted",
        extra={
            "json_fields": {"ticker": batch.ticker, "silence_check": batch.silence_check, "as_of": state.previous_as_of}
        },
    )
    return forwarded


def _announce(batch: MentionBatch, delivery: Delivery, result: Result, publisher: Publisher) -> None:
    assert result.as_of is not None
    update = TickerUpdate(
        ticker=batch.ticker,
        hours=tuple(sorted(result.hours)),
        as_of=result.as_of,
        batch_id=delivery.message_id,
        counted=result.latest,
        config_version=result.config_version,
    )
    publisher.publish_all([Outgoing(topics.TICKER_UPDATES, update, ordering_key=batch.ticker)])


def aggregate_batch(
    batch: MentionBatch, delivery: Delivery, settings: Settings, db: firestore.Client, publisher: Publisher
) -> Result:
    """Count the batch's unseen mentions once, then tell the detector (also of the chunks
    counted before one failed: the retry finds them counted, and a message dead-lettered
    after them would otherwise leave them unannounced until the ticker's next batch)."""
    store = TickerStore(db, batch.ticker)
    result = Result()
    published = published_at(delivery.publish_time)
    mentions_in, future = dated_by(unique_mentions(batch.mentions), published)
    if future:
        logger.warning(
            "refused %d mentions of %s dated after their message was published",
            len(future),
            batch.ticker,
            extra={
                "json_fields": {
                    "ticker": batch.ticker,
                    "items": [m.item_id for m in future[:10]],
                    # both clocks, so a skewed one (the fetch host's, Reddit's) shows
                    "published_at": published,
                    "created_utc": [m.created_utc for m in future[:10]],
                }
            },
        )
    try:
        # without a publish time nothing dates a far-future item as bogus: it must not push
        # the message's own items under the age limit; its chunks are then cut oldest first,
        # so each is aged against the ones before it whatever order the message was in
        newest = max((m.created_utc for m in mentions_in), default=None) if published is not None else None
        if published is None:
            mentions_in = sorted(mentions_in, key=lambda m: (m.created_utc, m.item_id))
        for chunk in chunks(mentions_in):
            _apply_chunk(store, chunk, result, batch.config_version, newest)
    except BaseException:
        if result.as_of is not None:
            try:
                _announce(batch, delivery, result, publisher)
            except Exception:  # the chunk's error is the one to retry on and report
                logger.exception("could not announce the chunks of %s counted before a failure", batch.ticker)
        raise
    if result.as_of is not None:
        _announce(batch, delivery, result, publisher)
    mentions = len(batch.mentions)
    logger.info(
        "aggregated %d of %d mentions of %s",
        result.counted,
        mentions,
        batch.ticker,
        extra={
            "json_fields": {
                "ticker": batch.ticker,
                "mentions": mentions,
                "counted": result.counted,
                "skipped": result.skipped,
                "duplicates": result.duplicates,
                "future": len(future),
                "hours": sorted(result.hours),
                "as_of": result.as_of,
                # the ticker's newest counted data time vs the wall clock: the lag metric
                "lag_s": None if result.as_of is None else round(time.time() - result.as_of, 1),
            }
        },
    )
    return result


def _process(batch: MentionBatch, delivery: Delivery, settings: Settings) -> None:
    with log.context(ticker=batch.ticker):
        if batch.silence_check is not None:
            forward_check(batch, delivery, fs.get_client(settings.project_id), publisher_for(settings))
            return
        aggregate_batch(batch, delivery, settings, fs.get_client(settings.project_id), publisher_for(settings))


aggregate = pubsub_function("aggregate", MentionBatch, _process)
