"""Hour and day keys ("yyyymmddhh", "yyyymmdd", UTC): how every store names its time buckets.

Kept apart from :mod:`common.metrics` so a function that only names buckets (archive, the
API's history) does not load the sketches, numpy and scipy that metrics needs.
"""

import re
from datetime import UTC, datetime, timedelta

_HOUR_FORMAT = "%Y%m%d%H"
_DAY_FORMAT = "%Y%m%d"


def hour_key(created_utc: float) -> str:
    """ "yyyymmddhh" of the UTC hour ``created_utc`` falls in."""
    return datetime.fromtimestamp(int(created_utc // 3600) * 3600, UTC).strftime(_HOUR_FORMAT)


def hour_start(key: str) -> int:
    # int fields, not strptime: this runs for every bucket of every window
    return int(datetime(int(key[:4]), int(key[4:6]), int(key[6:8]), int(key[8:10]), tzinfo=UTC).timestamp())


def day_key(created_utc: float) -> str:
    """ "yyyymmdd" of the UTC day ``created_utc`` falls in."""
    return datetime.fromtimestamp(int(created_utc // 86400) * 86400, UTC).strftime(_DAY_FORMAT)


def day_start(key: str) -> int:
    return int(datetime(int(key[:4]), int(key[4:6]), int(key[6:8]), tzinfo=UTC).timestamp())


def hours_back(end_hour: str, hours: int) -> list[str]:
    """The ``hours`` hour keys ending at ``end_hour`` inclusive, oldest first."""
    end = datetime.strptime(end_hour, _HOUR_FORMAT)
    return [(end - timedelta(hours=i)).strftime(_HOUR_FORMAT) for i in range(hours - 1, -1, -1)]


def days_back(end_day: str, days: int) -> list[str]:
    end = datetime.strptime(end_day, _DAY_FORMAT)
    return [(end - timedelta(days=i)).strftime(_DAY_FORMAT) for i in range(days - 1, -1, -1)]


def published_at(publish_time: str) -> float | None:
    """Epoch seconds of a Pub/Sub ``publishTime`` (RFC 3339, up to nanoseconds), or None."""
    try:
        return datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", publish_time)).timestamp()
    except ValueError:
        return None
