"""Everything a route needs, built once per instance and handed to every handler, so tests
build the same object against the emulators instead of patching modules."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common.detection_config import DetectionConfig
from common.settings import Settings
from functions.api.auth import TokenVerifier
from functions.api.cache import TtlMemo
from functions.api.history import HistoryReader
from functions.api.ratelimit import RateLimiter
from functions.api.store import Store

# (config, symbols, start_utc, end_utc) -> alerts it would have raised, as dicts.
# configs' alerts, and the symbols replayed (those of the list that fit one preview's memory)
Backtest = Callable[[list[DetectionConfig], list[str], int, int], tuple[list[list[dict[str, Any]]], list[str]]]


@dataclass
class Services:
    settings: Settings
    store: Store
    verifier: TokenVerifier
    limiter: RateLimiter
    history: HistoryReader
    backtest: Backtest | None = None
    trending: TtlMemo[Any] = field(default_factory=lambda: TtlMemo(0.0))  # answers per (window, limit)
    alerts: TtlMemo[Any] = field(default_factory=lambda: TtlMemo(0.0))  # first pages of alert listings, per filter
