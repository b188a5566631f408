"""Each signal of the detector on a synthetic ticker: volume, surprise, authors, length,
spread, duplicates, new accounts, emojis, cashtag stuffing, warm-up."""

import math
from typing import Any

import pytest
from scipy.stats import nbinom

from common.detection.baseline import GlobalStats
from common.detection.engine import TickerState, decide
from common.detection.signals import SURPRISE_CAP, is_newcomer, surprise
from common.detection_config import DEFAULT_CONFIG
from common.messages import Mention
from common.metrics import volume
from tests.unit.detect_helpers import H0, HOUR, START, buckets_of, evaluate_at, mentions, state_of, steady

NOW = H0 + 24 * 10  # ten days of data collected
QUIET = range(NOW - 24 * 9, NOW - 1)
STATS = GlobalStats(rate=0.05, since=float(START))


def at_end_of(hour: int) -> float:
    return hour * HOUR + 3599.0


@pytest.mark.parametrize(("observed", "expected"), [(3, 0.2), (10, 2.0), (50, 20.0), (1, 5.0)])
def test_surprise_is_the_negative_binomial_tail(observed: int, expected: float) -> None:
    r = DEFAULT_CONFIG.dispersion
    want = -math.log10(nbinom.sf(observed - 1, r, r / (r + expected)))
    assert surprise(observed, expected, r) == pytest.approx(want, rel=1e-9)


def test_many_authors_writing_long_posts_make_an_organic_spike() -> None:
    ev = evaluate_at(state_of(mentions(NOW, 25)), at_end_of(NOW))
    assert ev.spike
    assert ev.kind == "organic"
    assert ev.rule == "volume_spike_1h"
    assert ev.windows["1h"].ratio >= DEFAULT_CONFIG.volume_ratio_min
    assert ev.windows["1h"].surprise >= DEFAULT_CONFIG.surprise_min


def test_ordinary_drift_of_a_popular_ticker_is_not_a_spike() -> None:
    history = steady(QUIET, 10)
    ev = evaluate_at(state_of([*history, *mentions(NOW, 16)]), at_end_of(NOW))
    assert not ev.spike


def test_a_popular_tickers_tripled_volume_is_a_spike() -> None:
    history = steady(QUIET, 4)
    ev = evaluate_at(state_of([*history, *mentions(NOW, 30)]), at_end_of(NOW))
    assert ev.spike
    assert ev.kind == "organic"


def test_detector_ignores_spike_from_three_authors() -> None:
    ev = evaluate_at(state_of(mentions(NOW, 30, authors=["a", "b", "c"])), at_end_of(NOW))
    assert ev.spike
    assert ev.kind != "organic"
    assert ev.signals["author_diversity"] < DEFAULT_CONFIG.author_diversity_min


def test_short_comments_do_not_make_an_organic_alert() -> None:
    surge = state_of(mentions(NOW, 30, text="to the moon"))
    ordinary = DEFAULT_CONFIG.model_copy(update={"extreme_surprise": SURPRISE_CAP + 1})  # no surge is extreme
    ev = evaluate_at(surge, at_end_of(NOW), config=ordinary)
    assert ev.spike
    assert ev.kind is None
    assert "avg_text_length" in ev.rule


def test_an_extreme_surge_of_short_posts_is_organic_with_a_lowered_score() -> None:
    surge = state_of(mentions(NOW, 30, text="to the moon"))
    ev = evaluate_at(surge, at_end_of(NOW))
    lenient = evaluate_at(surge, at_end_of(NOW), config=DEFAULT_CONFIG.model_copy(update={"avg_length_min": 0.0}))
    assert ev.windows["1h"].surprise >= DEFAULT_CONFIG.extreme_surprise
    assert ev.kind == "organic" and lenient.kind == "organic"
    assert ev.score < lenient.score  # the shortfall ranks it below the same surge in long posts
    assert any("below the quality bars (avg_text_length)" in r for r in ev.reasons)


def test_an_organic_alert_can_require_several_subreddits() -> None:
    config = DEFAULT_CONFIG.model_copy(update={"min_subreddits": 2})
    one_sub = evaluate_at(state_of(mentions(NOW, 30, subreddits=("stocks",))), at_end_of(NOW), config=config)
    spread = evaluate_at(state_of(mentions(NOW, 30)), at_end_of(NOW), config=config)
    assert one_sub.kind is None
    assert spread.kind == "organic"
    assert spread.signals["distinct_subreddits"] == 3


def test_copy_paste_from_new_accounts_is_flagged_as_a_pump() -> None:
    spam = mentions(NOW, 30, authors=[f"n{i}" for i in range(6)], age_days=3, duplicate=True, emoji=6)
    ev = evaluate_at(state_of(spam, duplicates=True), at_end_of(NOW))
    assert ev.spike
    assert ev.kind == "pump"
    assert ev.pump_risk >= DEFAULT_CONFIG.pump_risk_max
    assert ev.pump_components["copy_paste"] == 1.0
    assert ev.pump_components["new_accounts"] == 1.0


def test_cashtag_stuffed_mentions_do_not_count_as_volume() -> None:
    ev = evaluate_at(state_of(mentions(NOW, 30, cashtags=6)), at_end_of(NOW))
    assert not ev.spike
    assert ev.windows["1h"].mentions == 0
    assert ev.signals["cashtag_stuffed_share"] == 0.0, "only listed: the stuffing promotes another ticker"
    promoted = [m.model_copy(update={"listed_only": False}) for m in mentions(NOW, 30, cashtags=6)]
    assert evaluate_at(state_of(promoted), at_end_of(NOW)).signals["cashtag_stuffed_share"] == 1.0


def test_a_surge_of_secondary_mentions_alone_opens_nothing() -> None:
    # "BlackBerry expands partnership with Baidu", thirty times: the talk is about BlackBerry.
    partner_only = evaluate_at(state_of(mentions(NOW, 30, role="secondary")), at_end_of(NOW))
    assert not partner_only.spike and partner_only.windows["1h"].mentions == 0
    both = evaluate_at(state_of([*mentions(NOW, 30), *mentions(NOW, 30, role="secondary", prefix="p")]), at_end_of(NOW))
    assert both.spike and both.windows["1h"].mentions == 30


def test_a_stuffed_secondary_mention_is_left_out_of_volume_once() -> None:
    talk = [*mentions(NOW, 6), *mentions(NOW, 4, cashtags=6, role="secondary", prefix="p")]
    bucket = next(iter(state_of(talk).buckets.values()))
    assert (bucket.mentions, bucket.cashtag_stuffed_mentions, bucket.secondary_mentions) == (10, 4, 0)
    assert volume(bucket) == 6


def test_a_handful_of_authors_is_never_organic_however_extreme_the_surge() -> None:
    few = state_of(mentions(NOW, 7))  # seven authors, from nothing: surprise far past the extreme bar
    ev = evaluate_at(few, at_end_of(NOW))
    assert ev.windows["1h"].surprise >= DEFAULT_CONFIG.extreme_surprise
    assert ev.kind is None and "authors" in ev.rule
    assert evaluate_at(few, at_end_of(NOW), config=DEFAULT_CONFIG.model_copy(update={"min_authors": 7})).kind == (
        "organic"
    )


def test_longer_posts_on_the_same_surge_do_not_escalate_it() -> None:
    short = mentions(NOW, 30, text="to the moon")
    first = state_of(short)
    opened = decide(
        "TEST", first.buckets, first.counts, None, [], as_of=at_end_of(NOW) - 60, stats=STATS, config=DEFAULT_CONFIG
    )
    assert opened.alert is not None and opened.evaluation.score < opened.evaluation.strength
    longer = state_of([*short, *mentions(NOW, 3, prefix="l")])  # 10 % more volume, now long on average
    later = decide(
        "TEST",
        longer.buckets,
        longer.counts,
        opened.alert,
        [],
        as_of=at_end_of(NOW),
        stats=STATS,
        config=DEFAULT_CONFIG,
    )
    assert later.evaluation.score > opened.evaluation.score * DEFAULT_CONFIG.escalation_step  # quality rose
    assert "escalated" not in later.events  # the surge did not


def test_nothing_alerts_during_the_warm_up() -> None:
    young = GlobalStats(rate=0.05, since=float((NOW - 10) * HOUR))
    ev = evaluate_at(state_of(mentions(NOW, 30)), at_end_of(NOW), stats=young)
    assert ev.spike
    assert ev.kind is None
    assert ev.rule == "warming_up"


def test_velocity_is_this_hours_mentions_minus_the_last() -> None:
    ev = evaluate_at(state_of([*mentions(NOW - 1, 4, prefix="p"), *mentions(NOW, 9)]), at_end_of(NOW))
    assert ev.signals["velocity"] == 5


def test_dd_posts_are_counted_as_a_quality_signal() -> None:
    dd = [m.model_copy(update={"is_dd": True}) for m in mentions(NOW, 30)]
    ev = evaluate_at(state_of(dd), at_end_of(NOW))
    assert ev.signals["dd_posts_24h"] == 10  # every third mention is a post
    assert any("DD" in r for r in ev.reasons)


def test_the_one_hour_window_rolls_over_the_hour_boundary() -> None:
    state = state_of([*mentions(NOW - 1, 6, prefix="p"), *mentions(NOW, 3)])
    ten_past = evaluate_at(state, NOW * HOUR + 600)
    assert ten_past.windows["1h"].mentions == pytest.approx(3 + 6 * 5 / 6)


def test_the_start_constant_is_a_utc_midnight() -> None:
    assert START % 86400 == 0


def test_a_spike_with_some_pump_signals_is_held_as_suspicious_not_called_organic() -> None:
    # Half the authors are new: pump risk between the organic bar and the pump bar.
    burst = [*mentions(NOW, 12, age_days=900, prefix="old"), *mentions(NOW, 12, age_days=3, prefix="new")]
    ev = evaluate_at(state_of(burst), at_end_of(NOW))
    assert ev.spike
    assert DEFAULT_CONFIG.organic_pump_risk_max <= ev.pump_risk < DEFAULT_CONFIG.pump_risk_max
    assert ev.kind is None
    assert ev.rule.startswith("suspicious")


def test_a_name_the_community_never_talked_about_needs_a_lower_pump_risk_to_be_organic() -> None:
    # A quarter of the authors are new: under the organic bar, over a newcomer's.
    burst = [*mentions(NOW, 18, age_days=900, prefix="old"), *mentions(NOW, 6, age_days=3, prefix="new")]
    watched = GlobalStats(rate=0.05, since=float(START - 10 * 24 * HOUR))  # twenty days: a whole history
    new = evaluate_at(state_of(burst), at_end_of(NOW), stats=watched)
    assert new.spike
    assert DEFAULT_CONFIG.newcomer_pump_risk_max <= new.pump_risk < DEFAULT_CONFIG.organic_pump_risk_max
    assert (new.kind, new.rule) == (None, f"suspicious: pump risk {new.pump_risk:.2f} on a ticker new to the community")
    # a mention three days before only starts its week of talk: still new
    seeded = evaluate_at(state_of([*mentions(NOW - 72, 1, prefix="was"), *burst]), at_end_of(NOW), stats=watched)
    assert seeded.spike and seeded.kind is None
    # ... talk eight days ago and five: a name the community knows, and the same voices are organic
    talked = [*mentions(NOW - 192, 2, prefix="was"), *mentions(NOW - 120, 2, prefix="is")]
    known = evaluate_at(state_of([*talked, *burst]), at_end_of(NOW), stats=watched)
    assert known.spike and known.pump_risk == new.pump_risk
    assert known.kind == "organic"


def test_a_newcomers_talk_began_within_its_days_after_as_long_a_silence_watched() -> None:
    days = round(DEFAULT_CONFIG.newcomer_days * 24)
    watched = 14 * 24
    assert is_newcomer({NOW - 5: 3, NOW: 9}, NOW, watched, DEFAULT_CONFIG)
    assert is_newcomer({NOW - days + 1: 1}, NOW, watched, DEFAULT_CONFIG)
    assert not is_newcomer({NOW - days: 1}, NOW, watched, DEFAULT_CONFIG)  # its talk is a week old
    # talk two days ago, named a week before it: no newcomer, however long the watch before that
    assert not is_newcomer({NOW - 48 - days: 1, NOW - 48: 2, NOW: 9}, NOW, watched, DEFAULT_CONFIG)
    assert not is_newcomer({NOW - 48 - days: 1, NOW - 48: 2, NOW: 9}, NOW, days + 49, DEFAULT_CONFIG)
    assert is_newcomer({NOW - 48 - days - 1: 1, NOW - 48: 2, NOW: 9}, NOW, watched, DEFAULT_CONFIG)  # a week silent
    assert not is_newcomer({NOW: 9}, NOW, 3 * 24, DEFAULT_CONFIG)  # three days watched: nothing is new yet
    assert not is_newcomer({NOW - 48: 9}, NOW, days + 47, DEFAULT_CONFIG)  # its week of silence not all watched
    assert is_newcomer({NOW - 48: 9}, NOW, days + 48, DEFAULT_CONFIG)
    assert is_newcomer({NOW - 4: 0, NOW: 9}, NOW, days, DEFAULT_CONFIG)  # an hour of no talk is no naming
    assert not is_newcomer({}, NOW, watched, DEFAULT_CONFIG)


def test_a_day_of_thin_promotion_is_a_pump_though_no_hour_spikes() -> None:
    # One copy-pasted post an hour from new accounts for a day: no 1h or 6h window spikes.
    thin = [m for h in range(NOW - 23, NOW + 1) for m in mentions(h, 1, age_days=3, duplicate=True, prefix="p")]
    ev = evaluate_at(state_of(thin, duplicates=True), at_end_of(NOW))
    assert not ev.spike
    assert ev.kind == "pump"
    assert ev.rule.endswith("on volume_24h")


def _thin_promotion(every: int) -> list[Mention]:
    """A copied post every ``every`` hours for a day, from new accounts, after two weeks of a
    post every eight hours of ordinary talk."""
    talk = [m for h in range(NOW - 24 * 14, NOW - 23) if h % 8 == 0 for m in mentions(h, 1, prefix="o")]
    return talk + [
        m
        for h in range(NOW - 23, NOW + 1)
        if h % every == 0
        for m in mentions(h, 1, age_days=3, duplicate=True, prefix="p")
    ]


def test_a_days_own_mentions_do_not_raise_the_bar_it_is_judged_against() -> None:
    # The day's window is priced by a baseline that leaves the whole day out: a campaign twice
    # as busy expects no more (the six hours' gap alone would learn 18 of its 24 hours).
    busy, thin = (evaluate_at(state_of(_thin_promotion(k), duplicates=True), at_end_of(NOW)) for k in (1, 2))
    assert busy.day is not None and thin.day is not None
    assert busy.day.expected == pytest.approx(thin.day.expected)


def test_a_thin_promotion_over_a_tickers_ordinary_talk_is_a_pump() -> None:
    ev = evaluate_at(state_of(_thin_promotion(2), duplicates=True), at_end_of(NOW))
    assert not ev.spike
    assert ev.kind == "pump" and ev.rule.endswith("on volume_24h")


def test_a_day_of_thin_organic_talk_raises_nothing() -> None:
    thin = [m for h in range(NOW - 23, NOW + 1) for m in mentions(h, 1, prefix="o")]
    ev = evaluate_at(state_of(thin), at_end_of(NOW))
    assert ev.kind is None


def test_a_steady_thin_campaign_is_one_pump_episode_not_an_alert_reopened_every_hour() -> None:
    state = TickerState()
    alert = None
    happened: list[str] = []
    for h in range(NOW - 30, NOW + 30):  # a copied post two hours in three, from new accounts
        state.add(buckets_of(mentions(h, 1 if h % 3 else 0, age_days=3, duplicate=True, prefix=f"p{h}"), True))
        out = decide(
            "TEST", state.buckets, state.counts, alert, [], as_of=at_end_of(h), stats=STATS, config=DEFAULT_CONFIG
        )
        alert = out.alert or alert
        happened += [e for e in out.events if e != "updated"]
    # One episode: opened once, at most resolved once the baseline has learnt the campaign,
    # never resolved and reopened hour after hour (no six hours of it would keep it open).
    assert happened[0] == "opened"
    assert "reopened" not in happened and happened.count("resolved") <= 1
    assert alert is not None and alert.kind == "pump" and alert.level == 1


def test_a_day_flagged_as_a_pump_shows_the_days_signals_and_score_not_six_clean_hours() -> None:
    """Six clean-looking hours (enough mentions to be read) after a day of copies from new
    accounts: the flag is the day's, so its metrics must say what the day held and carry the
    day's volume score, or the alert contradicts its own kind."""
    from common.detection.baseline import fit
    from common.detection.signals import evaluate
    from common.windows import WindowStats

    now = 500_000
    since = (now - 400) * HOUR
    counts = {h: (1 if h % 10 < 7 else 0) for h in range(now - 340, now - 23)}
    counts |= {h: 3 for h in range(now - 23, now - 5)} | {h: 2 for h in range(now - 5, now + 1)}
    stats = GlobalStats(rate=0.05, since=since)

    def base(gap: int | None = None) -> Any:
        extra = {} if gap is None else {"gap_hours": gap}
        return fit(counts, now, observed_hours=336, stats=stats, config=DEFAULT_CONFIG, **extra)

    six = WindowStats(hours=6, mentions=14, distinct_authors=12, author_diversity=0.857, avg_text_length=300,
                      distinct_subreddits=2, duplicate_share=0.0, new_account_share=0.0)  # fmt: skip
    day = WindowStats(hours=24, mentions=48, distinct_authors=8, author_diversity=0.17, avg_text_length=80,
                      distinct_subreddits=1, duplicate_share=0.7, new_account_share=0.8)  # fmt: skip
    ev = evaluate("XYZ", six, day, counts, base(), as_of=now * HOUR + 1800, config=DEFAULT_CONFIG,
                  stats_since=since, day_base=lambda: base(24))  # fmt: skip
    assert ev.kind == "pump" and ev.quality_window == "24h"
    shown = ev.metrics_doc()
    assert (shown["duplicate_share"], shown["new_account_share"], shown["author_diversity"]) == (0.7, 0.8, 0.17)
    assert ev.day is not None and shown["surprise_24h"] == round(ev.day.surprise, 4) > 0
