"""The site's rhythm: which New York hour and weekday an hour falls in, and the shape of
Reddit's activity over them.

New York's, not UTC's: the discussion follows the US trading day, which moves by an hour in
UTC twice a year. The shape (``common/data/rhythm.json``) is measured on real posts by
``scripts/fit_rhythm.py``, never written by hand, so the synthetic generator's own curves
cannot grade themselves.
"""

import functools
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HOUR = 3600
MARKET_TZ = ZoneInfo("America/New_York")
RHYTHM_FILE = Path(__file__).resolve().parents[1] / "data" / "rhythm.json"


@functools.lru_cache(maxsize=8192)
def market_slot(hour_index: int) -> tuple[int, int]:
    """(hour of day, weekday) in New York of the hour starting at ``hour_index * 3600``: the
    seasonal bins. Cached: every ticker of a data hour prices the same few hundred hours."""
    moment = datetime.fromtimestamp(hour_index * HOUR, MARKET_TZ)
    return moment.hour, moment.weekday()


@functools.cache
def prior() -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The fitted hour-of-day (24) and day-of-week (7, Monday first) factors, mean 1."""
    doc = json.loads(RHYTHM_FILE.read_text())
    return tuple(float(x) for x in doc["hour_of_day"]), tuple(float(x) for x in doc["day_of_week"])
