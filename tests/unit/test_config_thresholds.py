"""Every threshold production reads changes production's decision exactly as it changes the
preview's: one owner per threshold, seen from both sides.

Production, here, is the pure path the functions run on each event: aggregate's
:func:`common.aggregation.plan` (counting with the config in force) and detect's
:func:`common.detection.engine.decide_summary` on the summary it stored, with the market
activity read from the summaries' series as ``functions/detect/store.read_stats`` reads it.
The preview is :func:`common.detection.backtest.preview` over the hour buckets production
stored, as ``POST /v1/config/detection/preview`` runs it. Five tickers over a week: CROWD
chatters every six hours and surges, TEST is pumped (new accounts, copies, emoji, stuffed
cashtags), ORGA spikes organically twice, NEWS bursts in short posts, THIN is promoted a post
every three hours.
"""

from collections.abc import Mapping
from functools import cache
from typing import Any

import pytest

from common import features
from common.aggregation import Tuning, plan
from common.detection.backtest import preview
from common.detection.baseline import HOUR, GlobalStats
from common.detection.engine import decide_summary, heard_before, series_counts
from common.detection.lifecycle import Alert, budget_window, quiet_from, silenced
from common.detection.market import activity
from common.detection_config import DEFAULT_CONFIG, DetectionConfig
from common.duplicates import Signature
from common.messages import Mention
from common.metrics import HourBucket, TickerSummary
from common.timekeys import hour_start

START = 1_767_225_600  # 2026-01-01 00:00 UTC
H0 = START // HOUR
DAYS = 7
SPIKE = H0 + DAYS * 24
RATE = 0.05  # the average ticker's hourly rate, as stats/global would hold it
COPY = "the same words copied by many hands to pump this one up right now before it flies "
ENDINGS = ("high", "today", "soon", "fast", "hard")

# A value of each threshold that changes what this week raises.
CHANGES: dict[str, Any] = {
    "volume_ratio_min": 12.0,
    "surprise_min": 12.0,
    "min_mentions_1h": 45,
    "author_diversity_min": 0.99,
    "avg_length_min": 250.0,
    "min_subreddits": 4,
    "min_authors": 28,
    "extreme_surprise": 50.0,
    "pump_risk_max": 0.9,
    "organic_pump_risk_max": 0.0,
    "newcomer_days": 14.0,  # more silence than the week watched: NEWB is no newcomer, and organic
    "newcomer_pump_risk_max": 0.0,
    "new_account_days": 5.0,
    "cashtag_stuffing_min": 7,
    "emoji_heavy_min": 5,
    "emoji_heavy_chars_per_emoji": 5,
    "emoji_heavy_absolute": 3,
    "rocket_spam_min": 2,
    "near_duplicate_jaccard": 0.99,
    "near_duplicate_window_hours": 0.1,
    "cooldown_hours": 0.0,
    "escalation_step": 3.0,
    "shrinkage_prior_hours": 200.0,
    "clumping": 1.0,
    "warmup_hours": 300.0,
    "min_mentions_6h": 200,
    "history_days": 3,
    "market_weight": 2.0,
    "market_window_hours": 1,
    "market_days": 2,  # the week is all the history there is: a shorter normal, not a longer one
    "baseline_gap_hours": 0,
    "baseline_cap_factor": 1.1,
    "seasonality_prior": 0.0,
    "weekday_prior": 0.0,
    "dispersion": 0.5,
    "resolve_ratio": 0.1,
    "pump_min_mentions_24h": 40,
    "pump_surprise_min": 40.0,
    "pump_diversity_low": 0.9,
    "pump_new_account_share_full": 1.0,
    "pump_copy_paste_share_full": 1.0,
    "pump_copy_paste_decisive": 1.0,
    "pump_emoji_share_full": 1.0,
    "pump_cashtag_share_full": 1.0,
    "pump_weights": {"low_author_diversity": 1.0},
    "alert_budget_24h": 0,
    "alert_budget_score": 50.0,
    "alert_budget_growth": 10.0,
}
# What an alert cites, not whether or how it fires: the preview's buckets name no posts.
NOT_PREVIEWED = {"evidence_max": "the posts an alert cites (the preview has no posts to cite)"}


@cache
def _signature(text: str) -> tuple[str, str]:
    normalised = features.normalise(text)
    return features.text_hash(normalised), features.minhash_signature(normalised)


def _mention(
    symbol: str,
    hour: int,
    k: int,
    n: int,
    author: str,
    *,
    text_length: int = 180,
    age_days: float = 900.0,
    cashtags: int = 1,
    listed_only: bool = False,
    emoji: int = 0,
    rockets: int = 0,
    text: str = "",
) -> Mention:
    """The ``k``-th of ``n`` mentions in hour index ``hour``; the last one at the hour's last
    second, where the preview evaluates it."""
    created = float(hour * HOUR + 3599 - (n - 1 - k) * (3000 // n))
    text_hash, minhash = _signature(text) if text else ("", "")
    return Mention(
        item_id=f"t1_{symbol}{hour}x{k}",
        kind="post" if k % 3 == 0 else "comment",
        subreddit=("stocks", "investing", "wallstreetbets")[k % 3],
        author=author,
        author_created_utc=created - age_days * 86400,
        created_utc=created,
        text_length=text_length,
        permalink=f"/r/stocks/comments/{symbol}{hour}x{k}/",
        title="t",
        cashtag_count=cashtags,
        listed_only=listed_only,
        emoji_count=emoji,
        rocket_count=rockets,
        text_hash=text_hash,
        minhash=minhash,
    )


@cache
def week() -> dict[int, dict[str, list[Mention]]]:
    """Hour index -> symbol -> the mentions fetch hands aggregate in that hour."""
    out: dict[int, dict[str, list[Mention]]] = {}

    def add(symbol: str, hour: int, n: int, prefix: str, **kw: Any) -> None:
        out.setdefault(hour, {}).setdefault(symbol, []).extend(
            _mention(symbol, hour, k, n, f"{prefix}{hour}_{k}", **kw) for k in range(n)
        )

    for hour in range(H0, SPIKE):
        if (hour - H0) % 4 == 0:
            add("TEST", hour, 2, "q")
        if (hour - H0) % 6 == 0:
            add("CROWD", hour, 6 + (hour - H0) % 24 // 6, "c")
    for i, hour in enumerate(range(SPIKE, SPIKE + 3)):
        n = 30 + 10 * i
        out.setdefault(hour, {})["TEST"] = [
            _mention(
                "TEST",
                hour,
                k,
                n,
                f"s{hour}_{k % (n * 2 // 3)}",
                text_length=260 if k % 2 else 120,
                age_days=12.0 if k % 4 == 0 else 900.0,
                cashtags=6 if k % 7 == 0 else 1,
                listed_only=k % 14 == 0,  # half the stuffed texts only list TEST: payload, the rest promote it
                emoji=4 if k % 5 == 0 else 0,
                rockets=2 if k % 9 == 0 else 0,
                text=COPY + ENDINGS[k // 6 % 5] if k % 6 == 0 else f"own words about the company number {hour} {k}",
            )
            for k in range(n)
        ]
        add("CROWD", hour, 20, "c")
    # ORGA twice: the second surge strong enough to clear the alert budget the day has spent
    for hour, n in ((SPIKE + 1, 24), (SPIKE + 2, 30), (SPIKE + 20, 60), (SPIKE + 21, 80)):
        add("ORGA", hour, n, "o", text_length=240)
    for hour in (SPIKE + 7, SPIKE + 9):  # quiet hours between: the first episode resolves (not by silence)
        add("ORGA", hour, 1, "o", text_length=240)
    add("NEWS", SPIKE + 10, 30, "n", text_length=60)  # breaking news in short posts: extreme, below the length bar
    # a name never heard before, a quarter of its voices new accounts: organic on a known name, held on a newcomer
    out.setdefault(SPIKE + 12, {})["NEWB"] = [
        _mention("NEWB", SPIKE + 12, k, 24, f"nb{k}", text_length=240, age_days=3.0 if k % 4 == 0 else 900.0)
        for k in range(24)
    ]
    for hour in (SPIKE - 40, SPIKE - 39):  # aged accounts, each pasting the same post: a campaign on copies alone
        for k in range(30):
            text = COPY + "copy" if k % 5 else f"own words about COPY number {hour} {k}"
            out.setdefault(hour, {}).setdefault("COPY", []).append(
                _mention("COPY", hour, k, 30, f"y{hour}_{k}", text_length=240, text=text)
            )
    for i, symbol in enumerate(("ALFA", "BETA", "GAMA", "DELT")):  # a busy day: the alert budget is spent
        add(symbol, SPIKE + 23 + i, 30, symbol.lower(), text_length=240)
    # QUIE falls silent after a surge and surges again: its first episode ends as of seven hours
    # after the start of its surging hour (no update between); the second surge reopens it within the cooldown
    for hour in (SPIKE - 34, SPIKE - 18):
        add("QUIE", hour, 30, "z", text_length=240)
    for hour in range(SPIKE - 72, SPIKE - 62):  # promotion too thin to spike an hour or six
        add("THIN", hour, 1, f"p{hour}_", age_days=3.0, emoji=8, text=COPY + "thin")
    for hour in range(SPIKE + 3, SPIKE + 30):
        if hour % 2 == 0:
            add("TEST", hour, 3, "d")
        add("CROWD", hour, 8, "c")
    return out


def production(config: DetectionConfig) -> tuple[list[dict[str, Any]], dict[str, dict[str, HourBucket]]]:
    """Each hour, aggregate counts every ticker's batch and detect decides on each summary.
    Returns the alerts (each episode's newest state) and the hour buckets stored."""
    tuning = Tuning(rules=config)
    hours: dict[str, dict[str, HourBucket]] = {}
    days: dict[str, dict[str, HourBucket]] = {}
    signatures: dict[str, tuple[Signature, ...]] = {}
    series: dict[str, dict[str, int]] = {}
    summaries: dict[str, TickerSummary] = {}
    alerts: dict[str, list[Alert]] = {}
    for hour, batches in sorted(week().items()):
        for symbol, batch in sorted(batches.items()):
            effect = plan(
                symbol,
                batch,
                hours=hours.setdefault(symbol, {}),
                days=days.setdefault(symbol, {}),
                recent=signatures.get(symbol, ()),
                previous_as_of=summaries[symbol].as_of if symbol in summaries else None,
                series=series.get(symbol),
                tuning=tuning,
            )
            hours[symbol].update({w.key: w.after for w in effect.hours})
            days[symbol].update({w.key: w.after for w in effect.days})
            signatures[symbol], series[symbol] = effect.signatures, effect.series
            assert effect.summary is not None
            summaries[symbol] = effect.summary
        community: dict[int, int] = {}  # read_stats: the sum of every ticker's series
        for volumes in series.values():
            for key, n in volumes.items():
                community[hour_start(key) // HOUR] = community.get(hour_start(key) // HOUR, 0) + n
        market = activity(
            community, hour, window=config.market_window_hours, days=config.market_days, since_hour=START // HOUR
        )
        opened = sum(  # read_stats: the alerts opened organic in the day before the hour before, one count
            1
            for episodes in alerts.values()
            for a in episodes
            if int(a.opened_at // HOUR) in budget_window(hour) and a.opened_kind == "organic"
        )
        stats = GlobalStats(rate=RATE, since=float(START), market=market, alerts_24h=opened)
        for symbol in sorted(batches):
            summary, episodes = summaries[symbol], alerts.setdefault(symbol, [])
            previous = episodes[-1] if episodes else None
            outcome = decide_summary(
                symbol,
                series_counts(series[symbol], hour, config),
                summary.windows["6h"],
                summary.windows["24h"],
                previous=previous,
                evidence=(),
                as_of=summary.as_of,
                stats=stats,
                config=config,
            )
            if outcome.ended is not None:  # detect writes the silent episode's end beside the new one
                episodes[-1] = outcome.ended
            if outcome.alert is not None and outcome.alert is not previous:
                if previous is not None and previous.alert_id == outcome.alert.alert_id:
                    episodes[-1] = outcome.alert
                else:
                    episodes.append(outcome.alert)
    end = float(max(week()) * HOUR + 3599)  # the preview's moment: dispatch's silence checks by then
    for symbol, episodes in alerts.items():
        last = episodes[-1] if episodes else None
        if last is not None and last.active:
            heard = heard_before(series_counts(series[symbol], int(end // HOUR), config), int(end // HOUR) + 1)
            if quiet_from(last, heard) <= end:
                episodes[-1] = silenced(last, heard)
    return [a.to_doc() for symbol in sorted(alerts) for a in alerts[symbol]], hours


def previewed(config: DetectionConfig, stored: Mapping[str, Mapping[str, HourBucket]]) -> list[dict[str, Any]]:
    as_of = float(max(week()) * HOUR + 3599)
    alerts = preview(stored, config, RATE, as_of)
    return [a.to_doc() for a in sorted(alerts, key=lambda a: (a.symbol, a.opened_at))]


@cache
def decided(name: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Production's and the preview's alerts with ``name`` changed (None: the defaults)."""
    config = DEFAULT_CONFIG
    if name is not None:
        config = DetectionConfig.model_validate({**DEFAULT_CONFIG.model_dump(), name: CHANGES[name]})
    alerts, stored = production(config)
    return alerts, previewed(config, stored)


def test_a_ticker_silent_between_two_surges_takes_the_silence_path_in_production_and_preview() -> None:
    def quie(alerts: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
        return [(a["status"], [h["event"] for h in a["history"]]) for a in alerts if a["symbol"] == "QUIE"]

    # (each ends by silence again after the second surge: dispatch's check, the preview's end)
    for alerts in decided(None):  # reopened within the cooldown of where the silence ended it
        assert quie(alerts) == [("resolved", ["opened", "resolved", "reopened", "resolved"])]
    for alerts in decided("cooldown_hours"):  # no cooldown: two episodes, the first ended by silence
        assert quie(alerts) == [("resolved", ["opened", "resolved"]), ("resolved", ["opened", "resolved"])]


def test_every_threshold_is_either_changed_below_or_named_as_not_previewed() -> None:
    assert set(CHANGES) | set(NOT_PREVIEWED) == set(DetectionConfig.model_fields)
    assert not set(CHANGES) & set(NOT_PREVIEWED)


def test_with_the_defaults_production_and_the_preview_raise_the_same_alerts_of_both_kinds() -> None:
    alerts, previewed_alerts = decided(None)
    assert {a["kind"] for a in alerts} == {"organic", "pump"}, "the week exercises both kinds of alert"
    assert alerts == previewed_alerts


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_changed_threshold_changes_production_as_it_changes_the_preview(name: str) -> None:
    alerts, previewed_alerts = decided(name)
    assert alerts != decided(None)[0], f"{name}={CHANGES[name]!r} does not change this week's alerts"
    assert alerts == previewed_alerts
