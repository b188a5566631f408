"""Detection thresholds and weights: configuration, not code.

Stored in Firestore at ``config/detection`` (versioned, edited by admins through the API)
and read by the detector on every event, so a change takes effect without a redeploy.
The defaults are the design's: volume 3x baseline, author diversity of at least 0.6, an
average post length of at least 100 characters, pump risk under 0.5.
"""

import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from common import evidence, log
from common.fields import number, problems

logger = log.get_logger(__name__)

PUMP_COMPONENTS = ("low_author_diversity", "new_accounts", "copy_paste", "emoji_spam", "cashtag_stuffing")


class DetectionConfig(BaseModel):
    # No NaN or infinity ("Infinity" arrives as a string in JSON): stored, it would read back
    # as null, and a NaN pump weight turns every pump risk into 0.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    volume_ratio_min: float = Field(
        default=3.0, gt=1.0, description="1h/6h volume over baseline that counts as a spike"
    )
    surprise_min: float = Field(
        default=5.0,
        gt=0.0,
        description="minimum -log10 tail probability of the observed count under the baseline (hundreds of tickers "
        "are tested every hour: 3 would let chance alone raise several alerts a day)",
    )
    min_mentions_1h: int = Field(default=5, ge=1, description="fewer mentions than this in the window never alert")
    author_diversity_min: float = Field(default=0.6, ge=0.0, le=1.0, description="distinct authors / mentions")
    avg_length_min: float = Field(default=100.0, ge=0.0, description="average characters per mentioning text")
    min_subreddits: int = Field(default=1, ge=1, description="distinct subreddits in the window")
    min_authors: int = Field(
        default=8,
        ge=1,
        description="distinct authors an organic alert needs in its window, however extreme the surge: a handful of "
        "people is not traction, and a campaign's first posts come from a handful of accounts",
    )
    extreme_surprise: float = Field(
        default=10.0,
        gt=0.0,
        description="a spike this surprising is organic even when its texts are shorter or its authors fewer than "
        "the organic bars (the shortfall lowers its score instead): breaking news arrives as short posts, and a gate "
        "must not hold back the very surge the product exists to catch; pump risk still decides pump against organic, "
        "and min_subreddits and min_authors still apply (above 50, the surprise's cap, nothing is extreme)",
    )
    pump_risk_max: float = Field(default=0.5, ge=0.0, le=1.0, description="alerts only below this pump risk")
    organic_pump_risk_max: float = Field(
        default=0.25,
        ge=0.0,
        le=1.0,
        description="an organic alert needs pump risk below this; a spike between it and pump_risk_max is held as "
        "suspicious, neither organic nor pump, until more of it is seen",
    )
    newcomer_days: float = Field(
        default=7.0,
        ge=1.0,
        le=14.0,
        description="a ticker whose talk of this many days began after at least as many days of silence the detector "
        "watched is new to the community: promoters pick the names nobody here talks about, so its organic alert "
        "needs newcomer_pump_risk_max (the silence must lie within history_days, so a history shorter than twice "
        "this shortens how long a ticker stays new)",
    )
    newcomer_pump_risk_max: float = Field(
        default=0.125,
        ge=0.0,
        le=1.0,
        description="the pump risk below which a newcomer's spike is organic (a spike between it and "
        "organic_pump_risk_max is held as suspicious): the same voices on a name this community never talked "
        "about are likelier a campaign",
    )
    # Counting rules: applied when aggregate (or the backtest) counts a mention into its hour
    # bucket, so a change applies to mentions counted after it, in production and in the
    # preview (which replays the stored buckets) alike.
    new_account_days: float = Field(
        default=30.0, gt=0.0, description="counting: an author younger than this at the item's time is a new account"
    )
    cashtag_stuffing_min: int = Field(
        default=5, ge=2, description="counting: a text with at least this many distinct cashtags is cashtag stuffing"
    )
    emoji_heavy_min: int = Field(
        default=3, ge=1, description="counting: emoji-heavy needs at least this many emoji, dense enough (next)"
    )
    emoji_heavy_chars_per_emoji: int = Field(
        default=30, ge=1, description="counting: ... and at least one emoji per this many characters of text"
    )
    emoji_heavy_absolute: int = Field(
        default=10, ge=1, description="counting: this many emoji make a text emoji-heavy at any length"
    )
    rocket_spam_min: int = Field(
        default=3, ge=1, description="counting: this many rockets make a text emoji-heavy at any length"
    )
    near_duplicate_jaccard: float = Field(
        default=0.7,
        gt=0.0,
        le=1.0,
        description="counting: estimated Jaccard similarity at which a different author's text is a near duplicate",
    )
    near_duplicate_window_hours: float = Field(
        default=24.0,
        gt=0.0,
        le=24.0,
        description="counting: how far back near duplicates are looked for (the aggregator keeps 24 h of signatures)",
    )
    cooldown_hours: float = Field(
        default=12.0,
        ge=0.0,
        description="hours after a resolution in which a new spike reopens its alert (level raised), not a new one",
    )
    escalation_step: float = Field(default=1.5, gt=1.0, description="score growth that escalates an open alert")
    shrinkage_prior_hours: float = Field(
        default=12.0, ge=0.0, description="pseudo-hours of the global rate mixed into a ticker's own baseline"
    )
    clumping: float = Field(
        default=2.0,
        ge=1.0,
        description="mentions per independent voice (a thread's replies): divides counts for the surprise",
    )
    warmup_hours: float = Field(default=48.0, ge=0.0, description="no alerts until this much data has been collected")
    min_mentions_6h: int = Field(
        default=12, ge=1, description="fewer mentions than this in 6h never alert on the 6h window"
    )
    history_days: int = Field(
        default=14,
        ge=2,
        le=28,
        description="days of hourly buckets the baseline learns from (a day's is left out of one)",
    )
    market_weight: float = Field(
        default=1.0,
        ge=0.0,
        le=2.0,
        description="how much of the community's excess activity raises every ticker's expectation (0: ignore it)",
    )
    market_window_hours: int = Field(
        default=24,
        ge=1,
        le=48,
        description="complete hours of community volume compared with the same hours before (a frenzy lasts days, "
        "so a day: a few hours before the open would compare one night with other nights)",
    )
    market_days: int = Field(default=7, ge=2, le=14, description="earlier days whose same hours make the normal")
    baseline_gap_hours: int = Field(
        default=6,
        ge=0,
        le=48,
        description="newest hours left out of the baseline so a spike does not raise its own bar",
    )
    baseline_cap_factor: float = Field(
        default=5.0,
        gt=1.0,
        description="hours above this multiple of the raw level (and 5 mentions) count only up to it (past spikes)",
    )
    seasonality_prior: float = Field(
        default=20.0, ge=0.0, description="pseudo-mentions pulling each hour-of-day factor toward the global shape"
    )
    weekday_prior: float = Field(
        default=60.0, ge=0.0, description="pseudo-mentions pulling each day-of-week factor toward the global shape"
    )
    dispersion: float = Field(
        default=8.0, gt=0.0, description="negative-binomial size: day-to-day drift a popular ticker's counts carry"
    )
    resolve_ratio: float = Field(
        default=1.5, ge=0.0, description="an episode resolves when its 6h volume is at most this multiple of baseline"
    )
    evidence_max: int = Field(default=5, ge=0, le=evidence.KEPT, description="posts cited as evidence per alert")
    alert_budget_24h: int = Field(
        default=2,
        ge=0,
        description="organic alerts opened in the day before an hour (pump flags spend none) below which a new "
        "organic alert needs nothing more; from this many on it needs alert_budget_score (a frenzy lifts a dozen "
        "tickers at once; a reader wants the strongest)",
    )
    alert_budget_score: float = Field(
        default=2.0, gt=0.0, description="the score a new organic alert needs once that budget is spent"
    )
    alert_budget_growth: float = Field(
        default=2.0, ge=1.0, description="how much that score grows with each further alert of those 24 hours"
    )
    pump_min_mentions_24h: int = Field(
        default=6,
        ge=1,
        description="a day of promotion too thin to spike an hour or six is a pump from this many mentions in 24h "
        "(with pump risk at pump_risk_max): the pump signals carry the evidence, so the volume bars are lower",
    )
    pump_surprise_min: float = Field(
        default=3.0,
        gt=0.0,
        description="the 24h surprise that day needs (the organic bar, surprise_min, guards against chance among "
        "hundreds of tickers on volume alone; a pump flag also needs its pump risk)",
    )
    pump_diversity_low: float = Field(
        default=0.3, ge=0.0, le=1.0, description="author diversity at or below this counts fully toward pump risk"
    )
    pump_new_account_share_full: float = Field(
        default=0.4, gt=0.0, le=1.0, description="share of new-account mentions that counts fully toward pump risk"
    )
    pump_copy_paste_share_full: float = Field(
        default=0.3, gt=0.0, le=1.0, description="share of near-duplicate mentions that counts fully toward pump risk"
    )
    pump_copy_paste_decisive: float = Field(
        default=0.6,
        gt=0.0,
        le=1.0,
        description="a share of near-duplicate mentions this high is a campaign on its own: pump risk at least "
        "pump_risk_max whatever the other signals (people who talk about a stock do not paste the same post; "
        "promoters with aged accounts do)",
    )
    pump_emoji_share_full: float = Field(
        default=0.3, gt=0.0, le=1.0, description="share of emoji/rocket-heavy mentions that counts fully"
    )
    pump_cashtag_share_full: float = Field(
        default=0.2, gt=0.0, le=1.0, description="share of cashtag-stuffed mentions that counts fully"
    )
    pump_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "low_author_diversity": 0.3,
            "new_accounts": 0.25,
            "copy_paste": 0.25,
            "emoji_spam": 0.1,
            "cashtag_stuffing": 0.1,
        },
        description="weights of the pump-risk components (normalised to sum 1)",
    )

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        """Every whole number fits Firestore's 64-bit integers: the stored config is the
        one every function reads, so a value it cannot hold must be refused, not saved."""
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
            raise ValueError("a whole number this large cannot be stored (64-bit integers)")
        return value

    @field_validator("pump_weights")
    @classmethod
    def _known_components(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(PUMP_COMPONENTS))
        if unknown:
            raise ValueError(f"unknown pump-risk components {unknown}; known: {list(PUMP_COMPONENTS)}")
        if any(w < 0 for w in value.values()) or sum(value.values()) <= 0:
            raise ValueError("pump weights must be non-negative and not all zero")
        if not math.isfinite(sum(value.values())):  # each finite, and so large they still overflow together
            raise ValueError("pump weights must add up to a finite number")
        return value

    @model_validator(mode="after")
    def _history_left(self) -> "DetectionConfig":
        """The baseline learns from ``history_days`` minus the newest ``baseline_gap_hours``,
        and the day's baseline (a thin promotion's) minus at least a day: with nothing left,
        every ticker would be priced at the site's rate alone."""
        if max(24, self.baseline_gap_hours) >= self.history_days * 24:
            raise ValueError(
                f"history_days ({self.history_days}) must hold more than baseline_gap_hours "
                f"({self.baseline_gap_hours}) and a day: the baseline would learn from no hours"
            )
        return self


DEFAULT_CONFIG = DetectionConfig()

DOCUMENT_ONLY_FIELDS = ("version", "updated_at", "updated_by")


class Versions:
    """The thresholds of each config version a process has read. A version the API wrote
    never changes (every change is a new version), so a message that names the version it
    was made with needs no read of ``config/detection`` once that version is known here.
    Version 0 (no document, or one without a version) is never kept: it names no fixed
    thresholds. Versions must not repeat: the API never deletes the document.

    The API also keeps each version it writes at ``config/detection/versions/{n}``, so a
    message counted with a version an admin has since replaced is still decided with that
    version's thresholds by an instance that never met it (:meth:`read_named`)."""

    def __init__(self, kept: int = 16) -> None:
        self._known: dict[tuple[str, int], DetectionConfig] = {}
        self._kept = kept

    def known(self, scope: str, version: int | None) -> tuple[DetectionConfig, int] | None:
        """``version``'s thresholds when this process has read them: no read needed."""
        config = None if version is None else self._known.get((scope, version))
        return None if config is None or version is None else (config, version)

    def read(self, scope: str, doc: Mapping[str, Any] | None) -> tuple[DetectionConfig, int]:
        """The config in force in ``doc`` (``config/detection`` as just read), kept for the
        next message that names its version."""
        config, version = in_force(doc)
        if version >= 1:
            if len(self._known) >= self._kept:
                self._known.clear()
            self._known[(scope, version)] = config
        return config, version

    def read_named(
        self, scope: str, version: int | None, named: Mapping[str, Any] | None, current: Mapping[str, Any] | None
    ) -> tuple[DetectionConfig, int]:
        """The thresholds of ``version`` from ``named`` (its ``versions/{n}`` document as
        just read); the config in force (``current``) when the message names no version or
        that version was never kept (written before versions were)."""
        if version is not None and version >= 1 and named and number(named.get("version")) == version:
            return self.read(scope, named)
        config, in_force_version = self.read(scope, current)
        if version is not None and version >= 1 and version != in_force_version:
            logger.warning(
                "config version %d was never kept: decided with version %d, in force", version, in_force_version
            )
        return config, in_force_version


def in_force(doc: Mapping[str, Any] | None) -> tuple[DetectionConfig, int]:
    """What the functions and the API run with: the stored config, or the defaults when a
    stored value does not validate (the API never writes such a thing): logged, rather than
    failing every event forever."""
    try:
        return from_document(doc)
    except ValidationError as exc:
        logger.error("config/detection is invalid; using the defaults: %s", problems(exc))
        return DEFAULT_CONFIG, int((doc or {}).get("version") or 0)


def from_document(doc: Mapping[str, Any] | None) -> tuple[DetectionConfig, int]:
    """The config stored at ``config/detection`` and its version; a missing document means
    the defaults at version 0. Bookkeeping fields are not thresholds and are set aside, and
    so is a field no threshold of this release has (one a release retired, logged): it must
    not cost the admin every other threshold stored beside it."""
    if not doc:
        return DEFAULT_CONFIG, 0
    fields = {k: v for k, v in doc.items() if k not in DOCUMENT_ONLY_FIELDS}
    if retired := sorted(k for k in fields if k not in DetectionConfig.model_fields):
        logger.warning("config/detection holds fields this release has no threshold for: %s", retired)
        fields = {k: v for k, v in fields.items() if k in DetectionConfig.model_fields}
    return DetectionConfig.model_validate(fields), int(doc.get("version") or 0)
