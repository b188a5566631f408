"""The messages that cross function boundaries, one pydantic model per topic.

A message is JSON in the Pub/Sub ``data`` field. Each topic has exactly one model here and
is decoded through :func:`decode` and encoded through :func:`encode`, so a schema change has
one place to happen and every malformed payload fails the same, clear way. The archive reads
``reddit-items`` item by item (:class:`ArrivingItems`, the same batch read leniently), so an
item that does not read costs only itself.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from common import topics
from common.evidence import Evidence
from common.fields import (
    Author,
    Count,
    DataTime,
    HourKey,
    Int64,
    ItemId,
    ItemSubreddit,
    Link,
    RunId,
    Signature,
    Subreddit,
    Summed,
    SummedCount,
    Text,
    TextHash,
    Ticker,
    Title,
    problems,
)
from common.windows import WindowStats


class Message(BaseModel):
    """Base of every topic payload: strict about shape, tolerant of added fields. No NaN or
    infinity anywhere: JSON decoding lets them in, and a time or a score of NaN decodes
    fine and then fails every retry downstream (a malformed message must fail here)."""

    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


class ScrapeTick(Message):
    """Published by Cloud Scheduler on ``scrape-ticks`` (``{"due_only": true}``) and by hand
    (``make tick``, replays). Every field is optional, so ``{}`` is a valid tick (every
    subreddit now); a redelivered tick keeps its Pub/Sub message id, which becomes the run id
    when none is given."""

    run_id: RunId | None = None
    # Absent: the configured subreddits. Empty is refused: a tick that names none is a
    # mistake, not a wish to fetch everything.
    subreddits: tuple[Subreddit, ...] | None = Field(default=None, min_length=1)
    # Only the subreddits due by their pace (common.dispatching.due): the scheduler's tick,
    # every minute. Absent: every subreddit now (a manual run, a replay's tick).
    due_only: bool = False


class SubredditFetch(Message):
    """One unit of fetch work on ``subreddit-fetches``."""

    run_id: RunId
    subreddit: Subreddit
    # The detection config version in force when the run was dispatched: where an instance
    # knows that version, the run's mentions are counted and decided with it without a read
    # (a change applies from the next tick); otherwise that version as the API kept it is read.
    config_version: int | None = None
    # When dispatch sent it (epoch seconds): dispatch sends the subreddit again once
    # ``dispatching.FETCH_TIMEOUT_S`` has passed, so fetch reads Reddit only until
    # ``dispatching.AFTER_READING_S`` before then (None: the delivery's publish time stands in).
    sent_at: float | None = None
    # The furthest data time dispatch saw any subreddit read whole up to before sending this
    # (its cursors' ``read_through``): a whole read of this run, after it, shows everything
    # written before it, so even a quiet subreddit counts as read that far
    # (``common.ingest.read_whole``). None: dispatch read no cursor (no alert to check).
    read_floor: float | None = None


class RedditItem(Message):
    """A post or comment as stored and archived, on ``reddit-items``."""

    id: ItemId  # Reddit fullname: t3_... for posts, t1_... for comments
    kind: Literal["post", "comment"]
    subreddit: ItemSubreddit
    author: Author | None = None  # None for [deleted] / unknown authors
    author_created_utc: float | None = None
    author_karma: Int64 | None = None
    title: Text = ""
    body: Text = ""
    url: Text | None = None
    permalink: Link
    flair: Text | None = None
    score: Int64 = 0
    num_comments: Count = 0
    created_utc: DataTime
    parent_id: str | None = None  # comments: the fullname they answer
    link_id: str | None = None  # comments: the post they belong to
    tickers: tuple[str, ...] = ()
    run_id: str | None = None


class Mention(Message):
    """One ticker mentioned by one item: what the aggregator counts and the detector cites."""

    item_id: ItemId
    kind: Literal["post", "comment"]
    subreddit: ItemSubreddit
    author: Author | None = None  # None for [deleted] / unknown authors (counted as bytes: well-formed)
    author_created_utc: float | None = None
    author_karma: Int64 | None = None
    created_utc: DataTime
    text_length: SummedCount
    score: Summed = 0
    num_comments: SummedCount = 0
    permalink: Link = ""
    title: Title = ""
    flair: Text | None = None
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    method: str = "cashtag"  # how the extractor found it: cashtag, symbol, name
    role: Literal["primary", "secondary"] = "primary"  # secondary: only another company's partner or peer
    is_dd: bool = False
    emoji_count: Count = 0
    rocket_count: Count = 0
    cashtag_count: Count = 0  # distinct cashtags in the same text
    # named only inside a list of cashtags (common.mentions): in a stuffed text, the payload
    # rather than what the text promotes; True for messages that predate it, as every stuffed
    # mention was read then
    listed_only: bool = True
    text_hash: TextHash = ""  # exact-duplicate key of the normalised text
    minhash: Signature = ""  # near-duplicate signature (common.features.minhash_signature)
    sentiment: float | None = None


class ItemBatch(Message):
    """New or changed items of one fetch, on ``reddit-items``: many per message, so the
    archive is invoked once per batch, not once per item (:func:`item_batches` cuts them)."""

    run_id: str | None = None
    items: tuple[RedditItem, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _one_item(cls, data: Any) -> Any:
        return _bare_item_as_batch(data)


def _bare_item_as_batch(data: Any) -> Any:
    """A bare item is a batch of one: what fetch published before batches, still in flight (or
    replayed from a dead-letter hold) while a deploy rolls out."""
    if isinstance(data, dict) and "items" not in data and "id" in data:
        return {"run_id": data.get("run_id"), "items": [data]}
    return data


class ArrivingItems(Message):
    """``reddit-items`` as the archive reads it: the batch's shape checked here, each item on
    its own (:meth:`split`), so an item a release reads differently (or one published by hand)
    costs itself, not the other items of its batch."""

    run_id: str | None = None
    items: tuple[Any, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _one_item(cls, data: Any) -> Any:
        return _bare_item_as_batch(data)

    def split(self) -> tuple[ItemBatch | None, list[tuple[Any, str]]]:
        """The items that read as :class:`RedditItem` (None if none do), and the others with
        what failed."""
        good: list[RedditItem] = []
        bad: list[tuple[Any, str]] = []
        for raw in self.items:
            try:
                good.append(RedditItem.model_validate(raw))
            except ValidationError as exc:
                bad.append((raw, problems(exc)))
        return (ItemBatch(run_id=self.run_id, items=tuple(good)) if good else None), bad


# Pub/Sub takes messages up to 10 MB; a batch stays far below, whatever its posts' length.
ITEMS_PER_MESSAGE = 100
BYTES_PER_MESSAGE = 2_000_000


def item_batches(
    items: Sequence[RedditItem],
    run_id: str | None,
    *,
    max_items: int = ITEMS_PER_MESSAGE,
    max_bytes: int = BYTES_PER_MESSAGE,
) -> list[ItemBatch]:
    """``items`` in order, cut into batches of at most ``max_items`` items and about
    ``max_bytes`` of JSON (an item larger than that alone travels alone)."""
    out: list[ItemBatch] = []
    current: list[RedditItem] = []
    size = 0
    for item in items:
        length = len(item.model_dump_json().encode())  # bytes: an emoji is one character and four bytes
        if current and (len(current) >= max_items or size + length > max_bytes):
            out.append(ItemBatch(run_id=run_id, items=tuple(current)))
            current, size = [], 0
        current.append(item)
        size += length
    if current:
        out.append(ItemBatch(run_id=run_id, items=tuple(current)))
    return out


class MentionBatch(Message):
    """All mentions of one ticker found by one fetch, on ``mentions`` (ordering key = ticker);
    or, from dispatch, a silence check and no mentions."""

    ticker: Ticker
    run_id: str | None = None
    mentions: tuple[Mention, ...] = ()
    config_version: int | None = None  # the run's (SubredditFetch.config_version); None: read it
    # A silence check: every subreddit has been read up to this data time, so this ticker's
    # mentions before it are on ``mentions`` ahead of the check (same ordering key). The
    # aggregator passes it on with the ticker's counts; the detector resolves an alert they
    # show fell silent before then (functions/dispatch/silence.py).
    silence_check: DataTime | None = None

    @model_validator(mode="after")
    def _mentions_or_check(self) -> "MentionBatch":
        if not self.mentions and self.silence_check is None:
            raise ValueError("mentions: none, and the batch is no silence check")
        if self.mentions and self.silence_check is not None:
            raise ValueError("mentions: a silence check carries none")
        return self


class Counted(BaseModel):
    """What the aggregator had counted for a ticker at an update's ``as_of``: the volume
    series the baseline learns from and the 6h and 24h windows ending at that hour. The
    detector decides from this alone, so its decision depends on the message and not on
    when it reads the summary, which later batches may already have moved on."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    series: dict[
        HourKey, int
    ]  # hour key -> discussion volume, every hour the summary keeps (not only the config's history)
    six: WindowStats
    day: WindowStats
    # the best items of the day up to ``as_of`` (common.evidence): what a new or grown alert cites
    evidence: tuple[Evidence, ...] = ()

    @property
    def progress(self) -> int:
        """How much was counted into what the detector reads, never smaller for an update
        counted later with the same ``as_of`` (a later batch of older items): the series'
        discussion volume and every mention of the 24 hours, so a batch that adds only
        mentions the series leaves out (another company's partner, a stuffed list's payload)
        still tells its update from the earlier one. Nothing else a decision reads can change
        without one of the two growing."""
        return sum(self.series.values()) + self.day.mentions


class TickerUpdate(Message):
    """The aggregator changed a ticker's metrics; published on ``ticker-updates`` with the
    ticker as ordering key, so a ticker's updates reach the detector in the order counted."""

    ticker: Ticker
    hours: tuple[HourKey, ...] = ()  # yyyymmddhh buckets touched
    as_of: DataTime  # newest created_utc counted: the detector's notion of "now"
    batch_id: str = ""
    counted: Counted | None = None  # None from an older aggregator: the detector reads the summary
    # The detection config version the counts were made with: the detector decides with it,
    # as the instance knows it or as the API kept it (config/detection/versions/{n}).
    config_version: int | None = None
    # A silence check passed on (MentionBatch.silence_check): ``counted`` is everything counted
    # so far, and the detector only resolves an alert those counts show fell silent before
    # this data time. A detector that predates the field reads the update as a copy of the
    # last one it decided, which changes nothing.
    silence_check: DataTime | None = None


AlertMoment = Literal["opened", "escalated", "reopened", "reclassified", "resolved"]


class AlertEvent(Message):
    """A moment of an alert's life, on ``alerts``; the full alert lives in Firestore.

    ``event`` says what happened: opened, escalated, reopened (``status`` is then open or
    escalated), reclassified (an organic alert became a pump: ``kind`` is now pump, ``status``
    unchanged) or resolved. Without it (messages published before it existed) the moment is
    read from ``status``. Consumers key on (alert_id, level, moment)."""

    # A NaN or infinite score is malformed: it passes every bar a user's filters compare it with.
    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)

    # a Firestore document id: no slash, never "." or ".." (a bad one is malformed, not retried)
    alert_id: str = Field(min_length=1, max_length=200, pattern=r"^[^/]*[^/.][^/]*$")
    # a ticker and a time that fit a message: a line break in one, or milliseconds for
    # seconds, would fail every email of the event long after decoding, as the user's fault
    ticker: Ticker
    status: Literal["open", "escalated", "resolved"]
    level: int = 1
    rule: str
    score: float
    pump_risk: float
    as_of: DataTime
    kind: Literal["organic", "pump"] = "organic"  # pumps are announced too, flagged as such
    event: AlertMoment | None = None


class DigestTick(Message):
    """Published hourly by Cloud Scheduler on ``digest-ticks`` (payload ``{}``): send every
    user's digest of the hours that are over. ``hour`` (``yyyymmddhh``) limits it to one hour
    (the local stack's ``make tick`` and the demo name the hour they mean)."""

    hour: HourKey | None = None  # a real hour: "2026133399" is malformed, not an hour with no digests


MODELS: dict[str, type[Message]] = {
    topics.SCRAPE_TICKS: ScrapeTick,
    topics.SUBREDDIT_FETCHES: SubredditFetch,
    topics.REDDIT_ITEMS: ItemBatch,
    topics.MENTIONS: MentionBatch,
    topics.TICKER_UPDATES: TickerUpdate,
    topics.ALERTS: AlertEvent,
    topics.DIGEST_TICKS: DigestTick,
}

M = TypeVar("M", bound=Message)


class MalformedMessage(ValueError):
    """The payload can never be processed: retrying it would only loop. Dead-letter it."""


def encode(message: Message) -> bytes:
    """Every field is written, ``None`` included: a required ``str | None`` left out would
    make the decoder reject the message, and the reader, not the writer, owns the defaults."""
    return message.model_dump_json().encode()


def decode_data(model: type[M], data: bytes) -> M:
    """Validate raw JSON bytes as ``model``; any problem becomes :class:`MalformedMessage`."""
    try:
        payload = json.loads(data or b"{}")
    except (ValueError, RecursionError) as exc:  # not UTF-8 or JSON, numbers too long, nesting too deep
        raise MalformedMessage(f"not JSON: {exc!s:.200}") from exc
    if not isinstance(payload, dict):
        raise MalformedMessage(f"expected a JSON object, got {type(payload).__name__}")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise MalformedMessage(f"invalid {model.__name__}: {problems(exc)}") from exc


def b64decode_data(data: Any) -> bytes:
    """Pub/Sub push carries ``data`` as base64 text; anything else is malformed."""
    if data is None:
        return b""
    if not isinstance(data, str):
        raise MalformedMessage(f"message data must be base64 text, got {type(data).__name__}")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedMessage(f"message data is not valid base64: {exc}") from exc
