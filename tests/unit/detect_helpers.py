"""Synthetic tickers for the detector's unit tests: hour by hour, who wrote how much."""

from collections.abc import Iterable
from typing import Literal

from common.detection.baseline import HOUR, GlobalStats, fit
from common.detection.engine import TickerState, decide, volumes
from common.detection.lifecycle import Alert
from common.detection.signals import Evaluation
from common.detection_config import DEFAULT_CONFIG, DetectionConfig
from common.messages import Mention
from common.metrics import HourBucket, bucket_deltas, merge

START = 1_767_225_600  # 2026-01-01 00:00 UTC
H0 = START // HOUR
LONG = "x" * 180


def mentions(
    hour: int,
    n: int,
    *,
    authors: Iterable[str] | None = None,
    text: str = LONG,
    age_days: float = 900,
    prefix: str = "i",
    duplicate: bool = False,
    cashtags: int = 1,
    emoji: int = 0,
    subreddits: tuple[str, ...] = ("stocks", "investing", "wallstreetbets"),
    role: Literal["primary", "secondary"] = "primary",
) -> list[Mention]:
    """``n`` mentions spread over the hour index ``hour`` (``H0 + k``)."""
    names = list(authors) if authors is not None else [f"{prefix}{hour}_{k}" for k in range(n)]
    out = []
    for k in range(n):
        created = hour * HOUR + (k + 0.5) * HOUR / max(n, 1)
        out.append(
            Mention(
                item_id=f"t1_{prefix}{hour}x{k}",
                kind="post" if k % 3 == 0 else "comment",
                subreddit=subreddits[k % len(subreddits)],
                author=names[k % len(names)],
                author_created_utc=created - age_days * 86400,
                created_utc=created,
                text_length=len(text),
                permalink=f"/r/stocks/comments/{prefix}{hour}x{k}/",
                title="t",
                cashtag_count=cashtags,
                emoji_count=emoji,
                rocket_count=emoji,
                text_hash="same" if duplicate else "",
                role=role,
            )
        )
    return out


def buckets_of(all_mentions: Iterable[Mention], duplicates: bool = False) -> dict[str, HourBucket]:
    ms = list(all_mentions)
    dupes = {m.item_id for m in ms if m.text_hash == "same"} if duplicates else set()
    out: dict[str, HourBucket] = {}
    for key, delta in bucket_deltas(ms, duplicate_ids=dupes).items():
        out[key] = delta if key not in out else merge(out[key], delta)
    return out


def steady(hours: range, per_hour: int, prefix: str = "s") -> list[Mention]:
    return [m for h in hours for m in mentions(h, per_hour, prefix=prefix)]


def state_of(all_mentions: Iterable[Mention], duplicates: bool = False) -> TickerState:
    state = TickerState()
    state.add(buckets_of(all_mentions, duplicates))
    return state


def evaluate_at(
    state: TickerState,
    as_of: float,
    *,
    config: DetectionConfig = DEFAULT_CONFIG,
    stats: GlobalStats | None = None,
) -> Evaluation:
    stats = stats or GlobalStats(rate=0.05, since=float(START))
    return decide("TEST", state.buckets, state.counts, None, [], as_of=as_of, stats=stats, config=config).evaluation


def level_of(counts: dict[int, int], now: int, observed: int, rate: float = 0.05) -> float:
    return fit(counts, now, observed_hours=observed, stats=GlobalStats(rate=rate), config=DEFAULT_CONFIG).level


__all__ = ["H0", "HOUR", "START", "buckets_of", "evaluate_at", "level_of", "mentions", "state_of", "steady", "volumes"]


def alert(symbol: str, opened_at: float, kind: str = "organic") -> Alert:
    return Alert(
        alert_id=f"{symbol}-{int(opened_at)}",
        symbol=symbol,
        kind=kind,
        status="open",
        level=1,
        rule="volume_spike_6h",
        reasons=(),
        score=1.0,
        peak_score=1.0,
        escalate_at=1.5,
        pump_risk=0.1,
        metrics={},
        baseline={},
        evidence=(),
        opened_at=opened_at,
        updated_at=opened_at,
        resolved_at=None,
        config_version=0,
        history=({"at": opened_at, "event": "opened", "kind": kind, "status": "open"},),
        opened_kind=kind,
    )
