"""One typed configuration object, read from the environment once per instance.

Functions call :func:`get_settings`; tests build ``Settings(...)`` directly and pass it in,
so nothing needs patching.
"""

from functools import lru_cache
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SUBREDDITS = (
    "wallstreetbets",
    "stocks",
    "investing",
    "StockMarket",
    "pennystocks",
    "Daytrading",
    "options",
)


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
    subreddits: Annotated[tuple[str, ...], NoDecode] = Field(default=DEFAULT_SUBREDDITS, validation_alias="SUBREDDITS")

    @field_validator("subreddits", mode="before")
    @classmethod
    def _split_subreddits(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(s.strip() for s in value.split(",") if s.strip())
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The instance-wide settings, built on first use."""
    return Settings()
