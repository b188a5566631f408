"""One typed configuration object, read from the environment once per instance.

Functions call :func:`get_settings`; tests build ``Settings(...)`` directly and pass it in,
so nothing needs patching.
"""

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from common.fields import Subreddit

DEFAULT_SUBREDDITS = (
    "wallstreetbets",
    "stocks",
    "investing",
    "StockMarket",
    "pennystocks",
    "Daytrading",
    "options",
)


# Accounts whose posts and comments fetch skips (with AutoModerator, always): bots talk about
# tickers without being people who do. The backtest skips the same by default.
DEFAULT_BOT_ACCOUNTS = ("AutoModerator", "VisualMod", "WSBVoteBot", "RemindMeBot", "sneakpeekbot")


class Settings(BaseSettings):
    """Everything a function may be configured with. Secrets come from the environment
    (Secret Manager mounts them as environment variables in production)."""

    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", frozen=True, validate_by_name=True, validate_by_alias=True
    )

    project_id: str = Field(default="akleao-local", validation_alias="GOOGLE_CLOUD_PROJECT")
    function_name: str = Field(default="local", validation_alias="K_SERVICE")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")

    # Which subreddits the dispatcher fans out to (comma separated in the environment).
    # A name no fetch can take ("r/stocks"), or none at all (every tick would fetch nothing,
    # silently), is refused: by terraform's validation of var.subreddits at plan time, and
    # here by every request until the setting is fixed.
    subreddits: Annotated[tuple[Subreddit, ...], NoDecode] = Field(
        default=DEFAULT_SUBREDDITS, validation_alias="SUBREDDITS", min_length=1
    )

    # --- api: Better Auth JWTs (jwt plugin), CORS, rate limits, request limits.
    auth_jwks_url: str = Field(default="http://localhost:3000/api/auth/jwks", validation_alias="AUTH_JWKS_URL")
    auth_issuer: str = Field(default="http://localhost:3000", validation_alias="AUTH_ISSUER")
    auth_audience: str = Field(default="http://localhost:3000", validation_alias="AUTH_AUDIENCE")
    # Development only: also accept HS256 tokens signed with this shared secret. At least 32
    # characters (RFC 7518 wants a key as long as the hash): a short one can be guessed
    # offline from any one token it signed, and then signs any user's.
    auth_hs256_secret: SecretStr | None = Field(default=None, min_length=32, validation_alias="AUTH_HS256_SECRET")
    auth_algorithms: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("EdDSA", "RS256", "ES256"), validation_alias="AUTH_ALGORITHMS"
    )
    auth_leeway_s: float = Field(default=30.0, ge=0, validation_alias="AUTH_LEEWAY_S")
    auth_jwks_cache_s: float = Field(default=300.0, gt=0, validation_alias="AUTH_JWKS_CACHE_S")
    # Minimum seconds between JWKS refetches forced by an unknown ``kid``.
    auth_jwks_refetch_cooldown_s: float = Field(default=30.0, ge=0, validation_alias="AUTH_JWKS_REFETCH_COOLDOWN_S")
    # While the JWKS cannot be fetched, the keys last fetched keep verifying tokens for this
    # long, and a failed fetch is not tried again for AUTH_JWKS_RETRY_S: a blip at the web app
    # is no API outage, and the API does not hit a failing endpoint once per request.
    auth_jwks_stale_s: float = Field(default=3600.0, ge=0, validation_alias="AUTH_JWKS_STALE_S")
    # (a fetch that hangs holds PyJWT's lock for its whole timeout, so the pause is long)
    auth_jwks_retry_s: float = Field(default=30.0, ge=0, validation_alias="AUTH_JWKS_RETRY_S")
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("http://localhost:3000", "http://127.0.0.1:3000"), validation_alias="CORS_ORIGINS"
    )
    rate_limit_user_per_minute: int = Field(default=120, ge=1, validation_alias="RATE_LIMIT_USER_PER_MINUTE")
    rate_limit_ip_per_minute: int = Field(default=60, ge=1, validation_alias="RATE_LIMIT_IP_PER_MINUTE")
    # api: how long one instance reuses a trending answer (the data moves once per fetch run)
    trending_cache_s: float = Field(default=30.0, ge=0, le=600, validation_alias="TRENDING_CACHE_S")
    # api: how long one instance reuses the first page of an alert listing (alerts change when
    # detect decides a fetch run's counts, minutes apart; a few seconds of sharing is unseen)
    alerts_cache_s: float = Field(default=5.0, ge=0, le=60, validation_alias="ALERTS_CACHE_S")
    api_max_body_bytes: int = Field(default=64 * 1024, ge=1024, validation_alias="API_MAX_BODY_BYTES")

    # --- archive + api history: BigQuery (the local stack points BIGQUERY_EMULATOR_HOST at bqemulator).
    bigquery_dataset: str = Field(default="akleao", validation_alias="BIGQUERY_DATASET")
    bigquery_emulator_host: str | None = Field(default=None, validation_alias="BIGQUERY_EMULATOR_HOST")
    history_retention_days: int = Field(
        default=0,
        ge=0,
        validation_alias="HISTORY_RETENTION_DAYS",
        description="the archive's partition expiry; 0: none",
    )

    # --- fetch: Reddit through asyncpraw. Empty URLs mean real Reddit; the local stack points
    # them at the replay server (emulators/reddit). Credentials: a "script" app, read only.
    reddit_client_id: str = Field(default="local-client", validation_alias="REDDIT_CLIENT_ID")
    reddit_client_secret: SecretStr = Field(default=SecretStr("local-secret"), validation_alias="REDDIT_CLIENT_SECRET")
    reddit_user_agent: str = Field(
        default="python:akleao-finance:0.1 (early-signal research)", validation_alias="REDDIT_USER_AGENT"
    )
    reddit_oauth_url: str = Field(default="", validation_alias="REDDIT_OAUTH_URL")
    reddit_url: str = Field(default="", validation_alias="REDDIT_URL")
    # Where an evidence permalink opens: reddit.com, or the local Reddit's page per replayed
    # item (the stack sets it), since a replayed corpus's ids mean other threads on reddit.com.
    reddit_web_url: str = Field(default="https://www.reddit.com", validation_alias="REDDIT_WEB_URL")
    reddit_timeout_s: float = Field(default=16.0, gt=0, validation_alias="REDDIT_TIMEOUT_S")
    reddit_max_retries: int = Field(default=4, ge=0, validation_alias="REDDIT_MAX_RETRIES")
    reddit_backoff_s: float = Field(default=0.5, ge=0, validation_alias="REDDIT_BACKOFF_S")
    reddit_max_wait_s: float = Field(default=60.0, ge=0, validation_alias="REDDIT_MAX_WAIT_S")
    reddit_concurrency: int = Field(default=4, ge=1, validation_alias="REDDIT_CONCURRENCY")
    # The listings fetch reads, the two it is built for (and the local Reddit serves). Any
    # other name is refused here: asyncpraw would read it as a bad answer on every run, and
    # with "new" misspelled the cursor and every silence check would stand still.
    fetch_listings: Annotated[tuple[Literal["new", "hot"], ...], NoDecode] = Field(
        default=("new", "hot"), min_length=1, validation_alias="FETCH_LISTINGS"
    )
    fetch_max_posts: int = Field(default=1000, ge=1, le=1000, validation_alias="FETCH_MAX_POSTS")  # per listing
    hot_limit: int = Field(default=50, ge=1, le=100, validation_alias="HOT_LIMIT")
    comment_limit: int = Field(default=20, ge=1, le=500, validation_alias="COMMENT_LIMIT")
    replace_more_limit: int = Field(default=1, ge=0, validation_alias="REPLACE_MORE_LIMIT")
    # Comments come from /r/{sub}/comments (100 per request); a comment tree (one request each)
    # only for the busiest young posts: at most this many per run, each needing this many new
    # comments since the post was last seen.
    fetch_comment_trees_per_run: int = Field(default=2, ge=0, validation_alias="FETCH_COMMENT_TREES_PER_RUN")
    fetch_tree_min_new_comments: int = Field(default=10, ge=1, validation_alias="FETCH_TREE_MIN_NEW_COMMENTS")
    active_post_hours: float = Field(default=24.0, ge=0, validation_alias="ACTIVE_POST_HOURS")
    author_cache_days: float = Field(default=7.0, gt=0, validation_alias="AUTHOR_CACHE_DAYS")
    author_lookups_per_run: int = Field(default=1000, ge=0, validation_alias="AUTHOR_LOOKUPS_PER_RUN")
    bot_accounts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=DEFAULT_BOT_ACCOUNTS, validation_alias="BOT_ACCOUNTS"
    )
    # A run's Reddit reads (listings, trees, author lookups) end by this long after it began,
    # well inside the function's 540 s timeout: a listing still waiting then (asyncprawcore
    # waits out a spent rate-limit window) is unavailable, and its cursor stays.
    fetch_deadline_s: float = Field(default=240.0, gt=0, validation_alias="FETCH_DEADLINE_S")
    # How often a tick that fetches only the due subreddits (the scheduler's, every minute:
    # ScrapeTick.due_only) fetches each: often enough that a listing, filled to this share of
    # its FETCH_MAX_POSTS at the subreddit's measured pace, holds everything written between
    # two runs; never more often than the shortest interval, never less than the longest.
    fetch_listing_fill: float = Field(default=0.5, gt=0, le=1, validation_alias="FETCH_LISTING_FILL")
    fetch_min_interval_s: float = Field(default=60.0, gt=0, validation_alias="FETCH_MIN_INTERVAL_S")
    fetch_max_interval_s: float = Field(default=600.0, gt=0, validation_alias="FETCH_MAX_INTERVAL_S")

    # --- notify: where alerts are sent from, and the links they carry.
    app_url: str = Field(default="http://localhost:3000", validation_alias="APP_URL")  # the web app
    api_url: str = Field(default="http://localhost:8080", validation_alias="API_URL")  # the unsubscribe link's host
    smtp_host: str = Field(default="127.0.0.1", validation_alias="SMTP_HOST")
    smtp_port: int = Field(default=1025, ge=1, le=65535, validation_alias="SMTP_PORT")
    smtp_starttls: bool = Field(default=False, validation_alias="SMTP_STARTTLS")
    smtp_username: str | None = Field(default=None, validation_alias="SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(default=None, validation_alias="SMTP_PASSWORD")
    smtp_from: str = Field(default="Akleao alerts <alerts@localhost>", validation_alias="SMTP_FROM")
    # signs unsubscribe links (notify) and checks them (api); production reads it from Secret Manager
    # (16 characters at least: an empty or short key makes links anyone can forge)
    notify_signing_key: SecretStr = Field(
        default=SecretStr("local-unsubscribe-key"), min_length=16, validation_alias="NOTIFY_SIGNING_KEY"
    )
    # the key it replaced, still accepted by the api's check, so links mailed before a
    # rotation keep working (docs/operations.md, rotating a secret); unset: none
    notify_signing_key_previous: SecretStr | None = Field(
        default=None, min_length=16, validation_alias="NOTIFY_SIGNING_KEY_PREVIOUS"
    )
    webhook_timeout_s: float = Field(default=5.0, gt=0, validation_alias="WEBHOOK_TIMEOUT_S")
    webhook_attempts: int = Field(default=3, ge=1, le=6, validation_alias="WEBHOOK_ATTEMPTS")
    webhook_backoff_s: float = Field(default=0.5, ge=0, validation_alias="WEBHOOK_BACKOFF_S")
    webhook_disable_after: int = Field(default=5, ge=1, validation_alias="WEBHOOK_DISABLE_AFTER")
    # ... and failing for at least this long: a receiver down for a few minutes while a burst of
    # alerts fires is not dead, and disabling it would drop every alert until the user noticed
    webhook_disable_after_s: float = Field(default=3600.0, ge=0, validation_alias="WEBHOOK_DISABLE_AFTER_S")
    # ... or for at least this long when no failure of the run was the receiver's own doing
    # (no answer in time, no address for its name, a certificate we could not verify): that is
    # also what an outage of ours looks like, which must not disable every webhook at once.
    # Within Pub/Sub's retries of an event (about 2.3 hours): a dead webhook is disabled while
    # its events are still redelivered, so they go through instead of to the hold
    webhook_disable_unanswered_after_s: float = Field(
        default=7200.0, ge=0, validation_alias="WEBHOOK_DISABLE_UNANSWERED_AFTER_S"
    )
    # deliveries of one event sent side by side: a dead receiver costs its attempts' deadlines
    # (``webhook_attempts`` x ``webhook_timeout_s`` and the backoff) to its own delivery only
    notify_concurrency: int = Field(default=16, ge=1, le=64, validation_alias="NOTIFY_CONCURRENCY")
    # webhooks to loopback or private addresses: only where the receiver is on this machine
    # (the local stack's); in production a user's URL reaches the public internet only
    webhook_allow_private: bool = Field(default=False, validation_alias="WEBHOOK_ALLOW_PRIVATE")

    @field_validator("subreddits", "auth_algorithms", "cors_origins", "fetch_listings", "bot_accounts", mode="before")
    @classmethod
    def _split_subreddits(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(s.strip() for s in value.split(",") if s.strip())
        return value

    @field_validator("auth_hs256_secret", mode="before")
    @classmethod
    def _empty_secret_is_none(cls, value: object) -> object:
        return None if value == "" else value  # AUTH_HS256_SECRET= turns HS256 off, as unset does

    @field_validator("fetch_listings", mode="after")
    @classmethod
    def _each_listing_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value))  # "new,new" would read the listing twice a run

    @model_validator(mode="after")
    def _intervals_in_order(self) -> "Settings":
        if self.fetch_min_interval_s > self.fetch_max_interval_s:
            raise ValueError("FETCH_MIN_INTERVAL_S must not exceed FETCH_MAX_INTERVAL_S")
        if (slowest := slowest_webhook_s(self.webhook_attempts, self.webhook_timeout_s, self.webhook_backoff_s)) > (
            WEBHOOK_BUDGET_S
        ):
            # notify starts no delivery after half its timeout: one begun then must still end
            raise ValueError(
                f"WEBHOOK_ATTEMPTS x WEBHOOK_TIMEOUT_S with the backoff take up to {slowest:.0f} s, "
                f"over the {WEBHOOK_BUDGET_S:.0f} s a webhook begun at notify's last start has"
            )
        if self.smtp_username and not self.smtp_starttls:
            # smtplib would send the password to whoever answers, in the clear
            raise ValueError("SMTP_USERNAME needs SMTP_STARTTLS: the relay password must not cross in the clear")
        return self

    @property
    def unsubscribe_keys(self) -> tuple[str, ...]:
        """The keys an unsubscribe link may be signed with: the current one, then the one it
        replaced (links sign with the current only)."""
        current = self.notify_signing_key.get_secret_value()
        previous = self.notify_signing_key_previous.get_secret_value() if self.notify_signing_key_previous else ""
        return (current, previous) if previous and previous != current else (current,)


# A webhook delivery's longest, all attempts and backoff: what notify has left after the last
# moment it starts one (functions/notify/invocation.py; an agreement test ties the two).
WEBHOOK_BUDGET_S = 55.0


def slowest_webhook_s(attempts: int, timeout_s: float, backoff_s: float) -> float:
    """A webhook delivery's longest: every attempt waits out its timeout, with the backoff
    between them (:meth:`common.adapters.channels.Channels.webhook`: doubling from ``backoff_s``)."""
    return attempts * timeout_s + sum(backoff_s * float(2**i) for i in range(attempts - 1))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The instance-wide settings, built on first use."""
    return Settings()


# Settings whose defaults only suit the local stack: production must set them, for these
# functions (environment or Secret Manager). tests/unit/test_terraform_agreement.py checks
# terraform/functions.tf sets each one where listed.
SET_IN_PRODUCTION: dict[str, tuple[str, ...]] = {
    "GOOGLE_CLOUD_PROJECT": ("dispatch", "fetch", "archive", "aggregate", "detect", "api", "notify", "notify_digest"),
    "AUTH_JWKS_URL": ("api",),
    "AUTH_ISSUER": ("api",),
    "AUTH_AUDIENCE": ("api",),
    "CORS_ORIGINS": ("api",),
    "REDDIT_CLIENT_ID": ("fetch",),  # defaults only work against the local Reddit
    "REDDIT_CLIENT_SECRET": ("fetch",),
    "REDDIT_USER_AGENT": ("fetch",),  # Reddit's rules: identify the app and its operator
    # mail goes out from notify, notify_digest and the api's test sends
    "APP_URL": ("notify", "notify_digest", "api"),
    "API_URL": ("notify", "notify_digest", "api"),
    "SMTP_HOST": ("notify", "notify_digest", "api"),
    "SMTP_FROM": ("notify", "notify_digest", "api"),
    "NOTIFY_SIGNING_KEY": ("notify", "notify_digest", "api"),
}
