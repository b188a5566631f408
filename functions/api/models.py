"""Request and response models: what the routes validate and return, and what the OpenAPI
document is generated from, so the two cannot disagree."""

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, create_model
from pydantic.fields import FieldInfo

from common import log
from common.detection_config import DetectionConfig
from common.feedback import Bucket, Verdict
from common.notify import AlertPreferences, NotificationSettings, PreferredSubreddits, read_preferences

logger = log.get_logger(__name__)

Symbol = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{1,5}(\.[A-Za-z])?$"),
    AfterValidator(str.upper),
]
Window = Literal["1h", "6h", "24h", "7d"]
AlertStatus = Literal["open", "escalated", "resolved"]
MAX_WATCHLIST = 100


class Strict(BaseModel):
    """Requests: unknown fields are a mistake worth reporting."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Loose(BaseModel):
    """Responses built from stored documents: writers may add fields before we show them."""

    model_config = ConfigDict(extra="ignore")


class ErrorBody(Strict):
    code: str
    message: str


class ErrorResponse(Strict):
    error: ErrorBody


class Health(Strict):
    status: Literal["ok"] = "ok"
    version: str


# ---------------------------------------------------------------- users


class Preferences(AlertPreferences):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def stored_preferences(raw: Any, user_id: str) -> Preferences:
    """The preferences a user record holds, as notify reads them
    (:func:`common.notify.read_preferences`): a value a release now refuses is shown as its
    default, and logged; a key it no longer knows is ignored."""
    read, refused = read_preferences(raw)
    if refused:
        logger.warning(
            "stored preferences of %s do not validate: %s read as their defaults",
            user_id,
            ", ".join(refused),
            extra={"json_fields": {"user_id": user_id, "refused": refused}},
        )
    return Preferences.model_validate(read)


def _no_default(schema: dict[str, Any]) -> None:
    """A field that may be left out, but not sent as null: no ``"default": null`` in the schema."""
    schema.pop("default", None)


class PreferencesPatch(Strict):
    """Only the fields present change. A field sent as null is refused like any other wrong
    type, not read as absent: a client meaning "back to the default" would otherwise be
    answered 200 with nothing changed. (The defaults are not values: nothing validates them,
    and the schema leaves them out; mypy is told so, field by field.)"""

    min_score: float = Field(default=None, ge=0.0, json_schema_extra=_no_default)  # type: ignore[assignment]
    max_pump_risk: float = Field(default=None, ge=0.0, le=1.0, json_schema_extra=_no_default)  # type: ignore[assignment]
    watchlist_only: bool = Field(default=None, json_schema_extra=_no_default)  # type: ignore[assignment]
    subreddits: PreferredSubreddits = Field(default=None, max_length=50, json_schema_extra=_no_default)  # type: ignore[arg-type]


class Suspension(Strict):
    until: float | None = Field(
        default=None,
        ge=0,
        lt=253_402_300_800,  # the year 10000: no later time is a date (nor a Firestore timestamp)
        description="when it ends (epoch s, as the web app's ban expires); null: until lifted",
    )


class Me(Strict):
    id: str
    email: str | None = None
    name: str | None = None
    role: str | None = None
    preferences: Preferences
    watchlist: list[str]
    suspended: Suspension | None = Field(
        default=None, description="set while an admin has the account suspended (banned): nothing is sent to it"
    )


class Watchlist(Strict):
    symbols: list[Symbol] = Field(max_length=MAX_WATCHLIST)


class SymbolPath(Strict):
    symbol: Symbol


# ---------------------------------------------------------------- alerts


class Evidence(Loose):
    item_id: str
    permalink: str = ""
    url: str | None = Field(default=None, description="where to read it: reddit.com, or the replayed corpus's page")
    title: str = ""
    subreddit: str = ""
    author: str | None = None
    created_utc: float | None = None
    score: int | None = None


class AlertChange(Loose):
    at: float | None = None
    status: str
    level: int | None = None
    score: float | None = None
    pump_risk: float | None = None


class AlertTrigger(Loose):
    as_of: float | None = None
    score: float | None = None
    pump_risk: float | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)


class AlertSummary(Loose):
    alert_id: str
    symbol: str
    kind: str = "organic"
    status: str
    level: int = 1
    rule: str = ""
    reasons: list[str] = Field(
        default_factory=list, description="why it fired, in the numbers of `trigger` (the evaluation they came from)"
    )
    score: float = Field(default=0.0, description="the latest evaluation's score: 1 = both spike bars just met")
    peak_score: float | None = Field(default=None, description="the highest score of the episode")
    pump_risk: float = Field(default=0.0, description="the latest evaluation's pump risk, 0..1")
    trigger: AlertTrigger | None = Field(default=None, description="the evaluation the reasons were written from")
    opened_at: float | None = None
    updated_at: float | None = None
    resolved_at: float | None = None
    config_version: int | None = None


class Alert(AlertSummary):
    # The detector's to show as they are (flat numbers today); not re-typed here so a new
    # field there never turns into a 500 here.
    metrics: dict[str, Any] = Field(default_factory=dict)
    baseline: dict[str, Any] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list)
    history: list[AlertChange] = Field(default_factory=list)
    your_verdict: Verdict | None = Field(
        default=None, description="the caller's verdict on this alert (POST .../feedback); null when none is given"
    )


class AlertQuery(Strict):
    since: float | None = Field(default=None, ge=0, description="only alerts updated at or after (epoch s)")
    symbol: Symbol | None = None
    status: AlertStatus | None = None
    kind: Literal["organic", "pump"] | None = None
    min_score: float | None = Field(default=None, ge=0.0)
    max_pump_risk: float | None = Field(default=None, ge=0.0, le=1.0)
    watchlist_only: bool | None = Field(
        default=None, description="only the caller's watchlist; given, it overrides the saved preference"
    )
    apply_preferences: bool = Field(default=False, description="start from the caller's saved alert filters")
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=512, description="next_cursor of the previous page")


class AlertPage(Strict):
    alerts: list[AlertSummary]
    next_cursor: str | None = None


def _document_id(what: str) -> AfterValidator:
    """An id Firestore accepts as a document's: not "." or "..", not reserved ("__x__")."""

    def check(value: str) -> str:
        if value in (".", "..") or (len(value) >= 4 and value[:2] == value[-2:] == "__"):
            raise ValueError(f"no {what} has that id")
        return value

    return AfterValidator(check)


class UserPath(Strict):
    user_id: Annotated[
        str,
        Field(min_length=1, max_length=256, pattern=r"^[^/]+$", description="the account's id (a token's sub)"),
        _document_id("account"),
    ]


class AlertPath(Strict):
    alert_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$"), _document_id("alert")]


# ---------------------------------------------------------------- tickers


class WindowMetrics(Loose):
    mentions: int = 0
    posts: int = 0
    comments: int = 0
    distinct_authors: int = 0
    distinct_subreddits: int = 0
    author_diversity: float = 0.0
    avg_text_length: float = 0.0
    engagement_rate: float = 0.0
    dd_posts: int = 0
    new_account_share: float = 0.0
    duplicate_share: float = 0.0
    emoji_share: float = 0.0
    bullish_share: float = 0.0


class Detection(Loose):
    as_of: float | None = None
    score: float | None = None
    pump_risk: float | None = None
    ratio: float | None = None
    surprise: float | None = None
    baseline_1h: float | None = None
    status: str | None = None
    alert_id: str | None = None
    config_version: int | None = None


class Ticker(Loose):
    symbol: str
    as_of: float | None = None
    last_hour: str | None = None
    windows: dict[str, WindowMetrics] = Field(default_factory=dict)
    velocity: float | None = None
    acceleration: float | None = None
    detection: Detection | None = None


TrendingWindow = Literal["1h", "6h", "24h"]
TRENDING_LIMIT_MAX = 100


class TrendingQuery(Strict):
    window: TrendingWindow = "24h"
    limit: int = Field(default=20, ge=1, le=TRENDING_LIMIT_MAX)


class TrendingTicker(Strict):
    symbol: str
    as_of: float | None = Field(default=None, description="the ticker's newest counted mention")
    mentions: int = Field(description="discussion mentions in the window ending now; what the list is sorted by")
    window: WindowMetrics = Field(description="the stored window, as of the ticker's newest mention")
    score: float | None = None
    pump_risk: float | None = None
    alert_id: str | None = None


class Trending(Strict):
    window: str
    now: float | None = Field(default=None, description="the data clock: the newest item counted for any ticker")
    tickers: list[TrendingTicker]


class HistoryQuery(Strict):
    hours: int = Field(default=48, ge=1, le=24 * 90, description="hours back from the ticker's newest data")


class HourPoint(Loose):
    hour: str
    start_utc: int
    mentions: int = 0
    posts: int = 0
    comments: int = 0
    distinct_authors: int = 0
    score: int = 0
    num_comments: int = 0
    # null: the source that answered (the archive) does not keep what this is counted from
    dd_posts: int | None = 0
    new_account_mentions: int | None = 0
    duplicate_mentions: int | None = 0
    bullish: int | None = 0
    bearish: int | None = 0
    subreddits: dict[str, int] = Field(default_factory=dict)


class History(Strict):
    symbol: str
    start_utc: int
    end_utc: int
    source: str = Field(description="which store answered: firestore (recent hours) or archive (BigQuery)")
    complete: bool = Field(
        description="false when the range reaches past what the source keeps, or when more of the archive's days "
        "were short of what was counted than one answer reads again from Firestore (or they could not be checked)"
    )
    hours: list[HourPoint]


# ---------------------------------------------------------------- detection config


class StoredConfig(Strict):
    config: DetectionConfig
    version: int = Field(ge=0, description="0 = defaults, never saved")
    updated_at: float | None = None
    updated_by: str | None = Field(default=None, description="the admin account that saved it (shown to admins only)")


class ConfigUpdate(Strict):
    config: DetectionConfig
    expected_version: int | None = Field(
        default=None, ge=0, description="reject with 409 unless the stored version is this one"
    )


# Every threshold may be left out (what a PATCH sends), each with its own type and bounds
# (a field sent is checked, and the spec says so: null is no value of any of them). The
# merged whole is then validated as a DetectionConfig, so cross-field rules still hold.
def _bounded(info: FieldInfo) -> Any:
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


DetectionConfigChanges = create_model(
    "DetectionConfigChanges",
    __config__=ConfigDict(extra="forbid", frozen=True),
    **{  # type: ignore[call-overload]
        name: (_bounded(info), Field(default=None, description=info.description, json_schema_extra=_no_default))
        for name, info in DetectionConfig.model_fields.items()
    },
)


class ConfigPatch(Strict):
    changes: DetectionConfigChanges
    expected_version: int | None = Field(
        default=None, ge=0, description="reject with 409 unless the stored version is this one"
    )


PREVIEW_MAX_SYMBOLS = 50  # tickers one preview replays (each is up to two weeks of hour buckets)


class PreviewRequest(Strict):
    config: DetectionConfig
    hours: int = Field(default=72, ge=1, le=24 * 14, description="hours of recent stored data to replay")
    symbols: list[Symbol] | None = Field(
        default=None,
        max_length=PREVIEW_MAX_SYMBOLS,
        description=f"default: the {PREVIEW_MAX_SYMBOLS} tickers with the most mentions in their latest 7-day window",
    )


class PreviewAlert(Loose):
    symbol: str
    alert_id: str | None = None
    kind: str | None = None
    rule: str | None = None
    opened_at: float | None = None
    score: float | None = None
    pump_risk: float | None = None
    reasons: list[str] = Field(default_factory=list)


class PreviewMove(Strict):
    current: PreviewAlert
    proposed: PreviewAlert
    shift_h: float = Field(description="hours the proposed config opens it after (negative: before) the current")


class Preview(Strict):
    hours: int
    symbols: int = Field(
        description="tickers replayed: those named, or else the most active whose stored hours fit one preview"
    )
    proposed: list[PreviewAlert]
    current: list[PreviewAlert]
    current_version: int
    gained: list[PreviewAlert] = Field(description="alerts only the proposed config raises")
    lost: list[PreviewAlert] = Field(description="alerts only the current config raises")
    moved: list[PreviewMove] = Field(
        description="the same symbol and kind opened by both within a day of each other: one episode, moved"
    )


# ---------------------------------------------------------------- notifications


class NotificationUpdate(NotificationSettings):
    """The settings to store, and the ``etag`` of those they replace as the caller read them."""

    etag: str | None = Field(
        default=None,
        max_length=64,
        description="the etag of the settings as read (GET): a change made since is refused (409 settings_changed) "
        "instead of overwritten; omitted: saved whatever changed",
    )


class NotificationState(Loose):
    settings: NotificationSettings
    etag: str = Field(description="these settings as read: send it back with the PUT that replaces them")
    webhook_secret_set: bool = Field(description="a signing secret exists (shown only when made)")
    webhook_disabled: bool = Field(default=False, description="turned off after repeated failed deliveries")
    webhook_disabled_reason: str | None = None
    email: str | None = Field(default=None, description="where email goes: the account's confirmed address, else none")
    email_unsubscribed: bool = Field(default=False, description="the unsubscribe link was used")
    stored_settings_invalid: bool = Field(
        default=False,
        description="the stored settings no longer validate: nothing is sent until they are saved again "
        "(`settings` shows the defaults)",
    )


class WebhookSecret(Loose):
    secret: str = Field(description="HMAC-SHA256 key of the Akleao-Signature header; shown once")


class ChannelTest(Loose):
    outcome: Literal["sent", "refused", "failed", "not_configured"] = Field(
        description="sent: the receiver took it; refused: it answered 3xx/4xx; failed: 5xx, timeout or "
        "no connection; not_configured: no such channel is set up"
    )
    status: int | None = Field(default=None, description="the webhook's HTTP answer, when there was one")
    detail: str | None = None


class NotificationTest(Loose):
    webhook: ChannelTest
    email: ChannelTest


class UnsubscribeQuery(Strict):
    token: str = Field(min_length=3, max_length=400)


class Unsubscribed(Loose):
    unsubscribed: bool


# ---------------------------------------------------------------- feedback and detection stats


class FeedbackBody(Strict):
    verdict: Verdict = Field(
        description="useful: a real organic signal; not_useful: noise; pump: a pump campaign (docs/api.md)"
    )


class FeedbackGiven(Strict):
    alert_id: str
    verdict: Verdict
    previous: Verdict | None = Field(default=None, description="the caller's verdict before this one")
    changed: bool = Field(description="false when the caller had already given this verdict: nothing was counted")


def _iso_day(value: object) -> object:
    """Only ``YYYY-MM-DD``: pydantic would also read a count of seconds falling on a midnight as
    that day (and refuse one second later), so a number is refused whatever it is."""
    if not isinstance(value, date) and not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day)]
FIRST_STATS_DAY = date(2000, 1, 1)
LAST_STATS_DAY = date(2999, 12, 31)
MAX_STATS_DAYS = 366


class StatsQuery(Strict):
    since: IsoDay | None = Field(
        default=None,
        ge=FIRST_STATS_DAY,
        le=LAST_STATS_DAY,
        description="first UTC day of alert openings counted (default: 29 days before `until`)",
    )
    until: IsoDay | None = Field(
        default=None,
        ge=FIRST_STATS_DAY,
        le=LAST_STATS_DAY,
        description="last UTC day counted, inclusive (default: the day of the newest data)",
    )
    bucket: Bucket = Field(default="day", description="group by the day the alert opened, or its ISO week (Monday)")


class PrecisionRow(Strict):
    period: date | None = Field(description="first day of the day or week; null in totals (the whole range)")
    kind: str
    rule: str | None = Field(description="the rule that fired; null in totals (every rule)")
    alerts: int = Field(description="alerts with at least one verdict")
    useful: int
    not_useful: int
    pump: int
    correct: int = Field(description="verdicts agreeing with the kind: useful for organic, pump for pump")
    precision: float | None = Field(description="correct / all verdicts; null without verdicts")


class DetectionStats(Strict):
    since: date
    until: date
    bucket: Bucket
    rows: list[PrecisionRow] = Field(description="per period, kind and rule, oldest first")
    totals: list[PrecisionRow] = Field(description="per kind over the whole range")
    complete: bool = Field(description="false when more alerts had feedback than one answer reads (narrow the range)")
