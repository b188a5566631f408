"""The alert lifecycle: open, escalate, resolve, cooldown, deterministic ids, stale updates."""

import math
from dataclasses import replace

from common.detection import backtest
from common.detection.baseline import GlobalStats
from common.detection.engine import Outcome, TickerState, assess, decide
from common.detection.lifecycle import (
    ANNOUNCED,
    Alert,
    Redo,
    budget_bar,
    quiet_from,
    redecide,
    silence_outcome,
    step,
)
from common.detection.silence import SLOW_RULE
from common.detection_config import DEFAULT_CONFIG, DetectionConfig
from common.evidence import Evidence, select_evidence
from common.messages import Mention, RedditItem
from common.timekeys import hour_key
from tests.unit.detect_helpers import H0, HOUR, START, alert, buckets_of, evaluate_at, mentions, state_of, steady

NOW = H0 + 24 * 10
STATS = GlobalStats(rate=0.05, since=float(START))


def decide_at(
    ms: list[Mention], as_of: float, previous: Alert | None, evidence: list[Evidence] | None = None
) -> Outcome:
    """One update at ``as_of`` of the counts of ``ms`` (hours past its own are not read)."""
    state = TickerState()
    state.add(buckets_of(ms))
    return decide(
        "CRSP", state.buckets, state.counts, previous, evidence or [], as_of=as_of, stats=STATS, config=DEFAULT_CONFIG
    )


def run(
    ms: list[Mention], as_of: float, previous: Alert | None, evidence: list[Evidence] | None = None
) -> tuple[Alert | None, tuple[str, ...]]:
    outcome = decide_at(ms, as_of, previous, evidence)
    return outcome.alert, outcome.events


HISTORY = steady(range(NOW - 24 * 9, NOW - 1), 1, prefix="h")
SPIKE = [*HISTORY, *mentions(NOW, 20, prefix="s")]


def opened() -> Alert:
    alert, events = run(SPIKE, NOW * HOUR + 3000, None)
    assert alert is not None
    assert events == ("opened",)
    return alert


def test_a_spike_opens_an_alert_whose_id_is_the_ticker_and_hour() -> None:
    alert = opened()
    assert alert.alert_id == "CRSP-2026011100"
    assert (alert.status, alert.kind, alert.level) == ("open", "organic", 1)
    assert alert.baseline["level"] > 0
    assert float(alert.metrics["ratio_1h"]) >= 3
    assert alert.history[0]["event"] == "opened"
    assert "opened" in ANNOUNCED


def test_the_same_evaluation_twice_opens_the_same_alert() -> None:
    first, _ = run(SPIKE, NOW * HOUR + 3000, None)
    second, _ = run(SPIKE, NOW * HOUR + 3000, None)
    assert first == second


def test_a_growing_spike_escalates_the_alert() -> None:
    alert = opened()
    bigger = [*SPIKE, *mentions(NOW + 1, 120, prefix="b")]
    escalated, events = run(bigger, (NOW + 1) * HOUR + 3000, alert)
    assert escalated is not None
    assert events == ("escalated",)
    assert (escalated.status, escalated.level) == ("escalated", 2)
    assert escalated.alert_id == alert.alert_id
    assert escalated.escalate_at > escalated.score


def test_a_spike_that_does_not_grow_enough_only_updates() -> None:
    alert = opened()
    same = [*SPIKE, *mentions(NOW + 1, 20, prefix="c")]
    updated, events = run(same, (NOW + 1) * HOUR + 3000, alert)
    assert updated is not None
    assert events == ("updated",)
    assert updated.level == 1


def test_an_alert_that_opened_before_its_posts_were_readable_cites_them_on_the_next_update() -> None:
    alert = opened()  # no evidence given: fetch had published but not yet stored the posts
    assert alert.evidence == ()
    post = Evidence("t3_late", "/r/stocks/comments/late/", "CRSP deep dive", "stocks", "a", NOW * HOUR, 5)
    same = [*SPIKE, *mentions(NOW + 1, 20, prefix="c")]
    updated, events = run(same, (NOW + 1) * HOUR + 3000, alert, [post])
    assert updated is not None and events == ("updated",)
    assert [e.item_id for e in updated.evidence] == ["t3_late"]
    again, _ = run(same, (NOW + 1) * HOUR + 3500, updated, [])
    assert again is not None and [e.item_id for e in again.evidence] == ["t3_late"]  # cited evidence is kept


# a mention four hours after the spike and another four later: an update each
CALMER = [*SPIKE, *mentions(NOW + 4, 1, prefix="q"), *mentions(NOW + 8, 1, prefix="p")]


def followed() -> Alert:
    """The alert after an update four hours on, its six hours still holding the spike."""
    alert, events = run(CALMER, (NOW + 4) * HOUR + 3000, opened())
    assert alert is not None and events == ("updated",)
    return alert


def test_volume_back_at_baseline_resolves_the_alert() -> None:
    resolved, events = run(CALMER, (NOW + 8) * HOUR + 3000, followed())
    assert resolved is not None
    assert events == ("resolved",)
    assert resolved.status == "resolved"
    assert resolved.resolved_at == (NOW + 8) * HOUR + 3000


def resolved_alert() -> Alert:
    alert, _ = run(CALMER, (NOW + 8) * HOUR + 3000, followed())
    assert alert is not None and alert.status == "resolved"
    return alert


def test_an_alert_whose_ticker_fell_silent_resolves_when_its_six_hours_emptied() -> None:
    """Nothing evaluates a ticker nobody mentions: the next update, a mention 30 hours on,
    resolves the alert as of the moment its rolling six hours (part of a seventh) emptied."""
    later = [*SPIKE, *mentions(NOW + 30, 1, prefix="q")]
    resolved, events = run(later, (NOW + 30) * HOUR + 3000, opened())
    assert resolved is not None
    assert events == ("resolved",)
    assert resolved.status == "resolved"
    assert resolved.resolved_at == resolved.updated_at == (NOW + 7) * HOUR
    assert [e["event"] for e in resolved.history] == ["opened", "resolved"]


def test_a_spike_weeks_after_a_silent_alert_is_a_new_episode_and_the_old_one_ends() -> None:
    """It used to be filed as an escalation of the old alert: no "opened", no alert budget
    spent, and the old alert open for weeks. Now the old episode ends where the silence
    began and the spike opens its own, against today's baseline."""
    old = opened()
    hour = NOW + 24 * 3
    state = TickerState()
    state.add(buckets_of([*SPIKE, *mentions(hour, 25, prefix="w")]))
    outcome = decide(
        "CRSP", state.buckets, state.counts, old, [], as_of=hour * HOUR + 3000, stats=STATS, config=DEFAULT_CONFIG
    )
    assert outcome.alert is not None and outcome.events == ("opened",)
    assert outcome.alert.alert_id != old.alert_id
    assert (outcome.alert.status, outcome.alert.level) == ("open", 1)
    assert outcome.ended is not None
    assert outcome.ended.alert_id == old.alert_id
    assert (outcome.ended.status, outcome.ended.resolved_at) == ("resolved", (NOW + 7) * HOUR)


def test_the_backtest_keeps_the_silent_episode_resolved_beside_the_new_one() -> None:
    state = TickerState()
    state.add(buckets_of(SPIKE))
    assess("CRSP", state, NOW * HOUR + 3000, stats=STATS, config=DEFAULT_CONFIG)
    hour = NOW + 24 * 3
    state.add(buckets_of(mentions(hour, 25, prefix="w")))
    outcome = assess("CRSP", state, hour * HOUR + 3000, stats=STATS, config=DEFAULT_CONFIG)
    assert outcome.ended is not None
    assert [(a.alert_id, a.status) for a in state.alerts] == [
        ("CRSP-2026011100", "resolved"),
        (f"CRSP-{hour_key(hour * HOUR)}", "open"),
    ]
    assert state.alert is state.alerts[-1]


def test_a_spike_soon_after_a_silent_alert_ended_reopens_it() -> None:
    """Within ``cooldown_hours`` of where the silence resolved it, as after any resolution."""
    hour = NOW + 7 + int(DEFAULT_CONFIG.cooldown_hours) - 2
    again = [*SPIKE, *mentions(hour, 25, prefix="r")]
    reopened, events = run(again, hour * HOUR + 3000, opened())
    assert reopened is not None
    assert events == ("resolved", "reopened")
    assert (reopened.alert_id, reopened.status, reopened.level) == ("CRSP-2026011100", "escalated", 2)
    assert [e["event"] for e in reopened.history] == ["opened", "resolved", "reopened"]


def test_one_update_carrying_hours_of_discussion_is_not_silence() -> None:
    """A catch-up after a stalled fetch: one update, twelve hours of steady talk. Its counts
    say the ticker was never silent, whatever the gap since the last update."""
    talk = [*SPIKE, *steady(range(NOW + 1, NOW + 13), 20, prefix="t")]
    kept, events = run(talk, (NOW + 12) * HOUR + 3000, opened())
    assert kept is not None
    assert "resolved" not in events and "reopened" not in events
    assert kept.status in ("open", "escalated") and kept.resolved_at is None
    assert [e["event"] for e in kept.history if e["event"] == "resolved"] == []


def test_a_silence_inside_one_update_ends_the_episode_as_hourly_updates_would() -> None:
    """Nothing for sixteen hours after the alert, two mentions, then a surge: delivered hour
    by hour or as one catch-up update of the same counts, the first episode ends as of the
    silence and the surge opens its own."""
    talk = [*SPIKE, *mentions(NOW + 17, 2, prefix="l"), *mentions(NOW + 20, 25, prefix="w")]
    step_by_step, _ = run(talk, (NOW + 17) * HOUR + 3000, opened())
    assert step_by_step is not None and step_by_step.status == "resolved"
    hourly = decide_at(talk, (NOW + 20) * HOUR + 3000, step_by_step)
    at_once = decide_at(talk, (NOW + 20) * HOUR + 3000, opened())
    assert at_once.alert is not None and at_once.events == ("opened",) == hourly.events
    assert at_once.alert == hourly.alert
    assert at_once.ended is not None and at_once.ended.resolved_at == step_by_step.resolved_at == (NOW + 7) * HOUR


def test_an_alert_on_a_day_of_thin_promotion_lasts_the_day_before_silence_ends_it() -> None:
    alert = replace(opened(), rule=f"pump_risk>=0.5 on {SLOW_RULE}")
    assert quiet_from(alert, []) == (NOW + 25) * HOUR
    assert quiet_from(opened(), []) == (NOW + 7) * HOUR
    assert quiet_from(opened(), [NOW + 3, NOW + 9]) == (NOW + 16) * HOUR  # discussion heard after its last update
    assert quiet_from(opened(), [NOW + 3, NOW + 10]) == (NOW + 10) * HOUR  # the first gap ends it


def test_a_pump_whose_spike_faded_while_its_day_still_clears_the_thin_promotions_bars_goes_on() -> None:
    """Resolved by an evaluation that itself flags a pump, it was reopened by the next update,
    or by this one delivered again: a duplicate announced "reopened" (and a failed publish
    lost "resolved"). It goes on under the day's rule instead, once, however often it comes."""
    talk = [m for h in range(NOW - 24 * 14, NOW - 23) if h % 8 == 0 for m in mentions(h, 1, prefix="o")]
    copies = [
        m
        for h in range(NOW - 23, NOW + 1)
        if h % 2 == 0
        for m in mentions(h, 1, age_days=3, duplicate=True, prefix="p")
    ]
    ev = evaluate_at(state_of([*talk, *copies], duplicates=True), NOW * HOUR + 3599.0)
    assert not ev.spike and ev.kind == "pump" and ev.rule.endswith(SLOW_RULE)
    flagged = replace(
        alert("TEST", (NOW - 20) * HOUR, kind="pump"),
        rule="pump_risk>=0.5 on volume_spike_1h",
        updated_at=(NOW - 1) * HOUR,
    )
    heard = [h for h in range(NOW - 23, NOW) if h % 2 == 0]
    after, events = step(flagged, ev, [], DEFAULT_CONFIG, heard=heard)
    assert after is not None and after.active and events == ("updated",)
    assert after.rule == ev.rule and after.level == flagged.level  # it ends when the day no longer clears them
    assert after.reasons == ev.reasons and after.trigger["as_of"] == ev.as_of  # the reasons quote the trigger
    assert step(after, ev, [], DEFAULT_CONFIG, heard=heard) == (after, ("updated",))
    assert redecide(flagged, after, ev, [], config=DEFAULT_CONFIG, heard=heard) == (after, ("updated",))


def test_a_silence_check_waits_for_no_update_it_rides_behind() -> None:
    heard, settled = [NOW + 12], (NOW + 30) * HOUR  # talk five hours after the window emptied at NOW + 7
    assert silence_outcome(opened(), heard, (NOW + 6) * HOUR, NOW * HOUR) == "not silent long enough"
    # that talk's update was decided: its decision ended the episode, not the check
    assert silence_outcome(opened(), heard, settled, (NOW + 12) * HOUR + 60) == "heard after the silence"
    # counted and never decided (its update was lost): the check ends the alert itself
    assert silence_outcome(opened(), heard, settled, NOW * HOUR + 60) == "resolved"


def test_a_new_spike_within_the_cooldown_reopens_the_same_episode() -> None:
    again = [*SPIKE, *mentions(NOW + 10, 25, prefix="r")]
    reopened, events = run(again, (NOW + 10) * HOUR + 3000, resolved_alert())
    assert reopened is not None
    assert events == ("reopened",)
    assert reopened.alert_id == "CRSP-2026011100"
    assert reopened.level == 2
    assert reopened.resolved_at is None


def test_an_organic_spike_that_reopens_a_pump_episode_keeps_it_a_pump_never_held_back_by_the_budget() -> None:
    pump = replace(
        resolved_alert(),
        kind="pump",
        rule="pump_risk>=0.5 on volume_spike_6h",
        reasons=("copy-paste 0.8",),
        pump_risk=0.7,
    )
    again = [*SPIKE, *mentions(NOW + 10, 25, prefix="r")]
    busy = DEFAULT_CONFIG.alert_budget_24h + 20  # the organic budget spent: a pump flag is never held back
    reopened, events = _with_recent(again, (NOW + 10) * HOUR + 3000, pump, busy)
    assert events == ("reopened",) and reopened is not None and reopened.kind == "pump"
    assert not reopened.rule.startswith("pump_risk")  # the spike's rule: it sets how the episode resolves
    # its reasons say why a clean-looking spike is a pump
    assert "still a pump" in reopened.reasons[0]


def test_a_new_spike_after_the_cooldown_opens_a_new_episode() -> None:
    hour = NOW + 8 + int(DEFAULT_CONFIG.cooldown_hours) + 2
    again = [*SPIKE, *mentions(hour, 25, prefix="r")]
    fresh, events = run(again, hour * HOUR + 3000, resolved_alert())
    assert fresh is not None
    assert events == ("opened",)
    assert fresh.alert_id != "CRSP-2026011100"


def test_an_evaluation_older_than_the_alert_changes_nothing() -> None:
    alert = opened()
    stale, events = run(SPIKE, NOW * HOUR + 100, alert)
    assert stale is alert
    assert events == ()


def test_an_organic_alert_that_turns_out_to_be_a_pump_is_reclassified() -> None:
    alert = opened()
    spam = [
        m.model_copy(update={"author_created_utc": m.created_utc - 86400, "text_hash": "same"})
        for m in mentions(NOW + 1, 200, authors=["p1", "p2", "p3"], prefix="z")
    ]
    state = TickerState()
    state.add(buckets_of([*SPIKE, *spam], duplicates=True))
    outcome = decide(
        "CRSP",
        state.buckets,
        state.counts,
        alert,
        [],
        as_of=(NOW + 1) * HOUR + 3000,
        stats=STATS,
        config=DEFAULT_CONFIG,
    )
    assert outcome.alert is not None
    assert outcome.alert.kind == "pump"
    assert "reclassified" in outcome.events
    assert alert.opened_kind == outcome.alert.opened_kind == "organic"  # what the alert budget counts


def test_an_organic_alert_reopened_by_a_pump_is_reclassified_so_organic_subscribers_hear_of_it() -> None:
    """Told of an organic alert, a user who takes organic alerts only must hear that its
    episode came back as a pump, as a reclassification within the episode would tell them."""
    from functions.detect.main import pending_announcements

    spam = [
        m.model_copy(update={"author_created_utc": m.created_utc - 86400, "text_hash": "same"})
        for m in mentions(NOW + 10, 200, authors=["p1", "p2", "p3"], prefix="z")
    ]
    state = TickerState()
    state.add(buckets_of([*SPIKE, *spam], duplicates=True))
    as_of = (NOW + 10) * HOUR + 3000
    outcome = decide(
        "CRSP", state.buckets, state.counts, resolved_alert(), [], as_of=as_of, stats=STATS, config=DEFAULT_CONFIG
    )
    assert outcome.alert is not None and outcome.alert.kind == "pump"
    assert outcome.events == ("reopened", "reclassified")
    assert [e["event"] for e in outcome.alert.history][-2:] == ["reopened", "reclassified"]
    moments = pending_announcements(outcome.alert, 1, {"opened": 1, "resolved": 1}, as_of, resolved_now=False)
    assert moments == ["reopened", "reclassified"]


def test_an_alert_stored_before_opened_kind_existed_reads_it_from_its_first_step() -> None:
    doc = opened().to_doc()
    doc.pop("opened_kind")
    assert Alert.from_doc({**doc, "kind": "pump"}).opened_kind == "organic"  # history[0] says how it opened
    assert Alert.from_doc({**doc, "kind": "pump", "history": []}).opened_kind == "pump"  # nothing else to go by
    assert Alert.from_doc(opened().to_doc()).opened_kind == "organic"


def test_evidence_puts_dd_first_then_posts_by_score_with_full_permalinks() -> None:
    def ev(i: str, **kw: object) -> Evidence:
        base = {"permalink": f"/r/stocks/comments/{i}/", "title": i, "subreddit": "stocks", "author": "a"}
        return Evidence(item_id=i, created_utc=0.0, **{**base, "score": 1, **kw})  # type: ignore[arg-type]

    chosen = select_evidence(
        [ev("comment", kind="comment", score=999), ev("post", score=50), ev("dd", is_dd=True), ev("post", score=50)], 2
    )
    assert [e.item_id for e in chosen] == ["dd", "post"]
    assert chosen[0].to_doc()["permalink"] == "/r/stocks/comments/dd/"  # as Reddit gives it; the reader picks the site


def test_an_alert_round_trips_through_its_document() -> None:
    alert = opened()
    evidence = [Evidence("t3_a", "/r/x/comments/a/", "A", "x", "u", 1.0, 5)]
    with_evidence, _ = run(SPIKE, NOW * HOUR + 3000, None, evidence)
    assert with_evidence is not None
    assert Alert.from_doc(with_evidence.to_doc()).evidence[0].permalink == "/r/x/comments/a/"
    assert Alert.from_doc(alert.to_doc()) == alert


def test_the_reasons_quote_the_numbers_of_the_evaluation_they_came_from() -> None:
    alert = opened()
    assert alert.trigger["as_of"] == alert.opened_at and alert.trigger["score"] == alert.score
    assert f"pump risk {alert.trigger['pump_risk']:.2f}" in " ".join(alert.reasons)
    assert f"{float(alert.trigger['metrics']['mentions_1h']):.0f} mentions in 1h" in alert.reasons[0]
    calmer = [*SPIKE, *mentions(NOW + 1, 6, prefix="c")]
    later, events = run(calmer, (NOW + 1) * HOUR + 3000, alert)
    assert later is not None and events == ("updated",)
    assert later.score != alert.score  # the latest evaluation ...
    assert later.trigger == alert.trigger and later.reasons == alert.reasons  # ... the reasons keep theirs
    assert later.peak_score == max(alert.score, later.score)


def decide_hour(
    ms: list[Mention], as_of: float, previous: Alert | None, redo: Redo | None, *, duplicates: bool = False
) -> Alert | None:
    state = TickerState()
    state.add(buckets_of(ms, duplicates))
    outcome = decide(
        "CRSP", state.buckets, state.counts, previous, [], as_of=as_of, stats=STATS, config=DEFAULT_CONFIG, redo=redo
    )
    return outcome.alert


def test_an_hours_later_batch_decides_the_hour_again_from_the_alert_before_it() -> None:
    # the hour's first batch (one subreddit) just opens; the whole hour is a far bigger spike
    first = [*HISTORY, *mentions(NOW, 12, prefix="s")]
    whole = [*first, *mentions(NOW, 60, prefix="t")]
    partial = decide_hour(first, NOW * HOUR + 3000, None, None)
    assert partial is not None and partial.level == 1
    at_once = decide_hour(whole, NOW * HOUR + 3100, None, None)
    in_steps = decide_hour(whole, NOW * HOUR + 3100, partial, Redo(None))
    stepped_on = decide_hour(whole, NOW * HOUR + 3100, partial, None)
    assert stepped_on is not None and stepped_on.level == 2  # what growth since the first batch would say
    assert in_steps == at_once  # the hour's full counts decide it: opened once, level 1


def test_an_alert_the_hours_first_batch_opened_is_not_taken_back() -> None:
    partial = decide_hour(SPIKE, NOW * HOUR + 3000, None, None)
    assert partial is not None
    # a later batch of the hour that would not open anything from scratch (here: a quiet count)
    kept = decide_hour(HISTORY, NOW * HOUR + 3100, partial, Redo(None))
    assert kept is not None and kept.alert_id == partial.alert_id


def test_a_later_batch_that_shows_a_pump_announces_the_reclassification() -> None:
    partial = decide_hour(SPIKE, NOW * HOUR + 3000, None, None)
    assert partial is not None and partial.kind == "organic"
    pumped = [*SPIKE, *mentions(NOW, 80, age_days=3, duplicate=True, prefix="p")]
    whole = decide_hour(pumped, NOW * HOUR + 3100, partial, Redo(None), duplicates=True)
    assert whole is not None and whole.kind == "pump"
    assert "reclassified" in [e["event"] for e in whole.history]  # told, not silently a pump


def test_a_resolution_the_hours_first_batch_announced_is_not_taken_back() -> None:
    alert = opened()
    resolved = decide_hour([*SPIKE, *mentions(NOW + 8, 1, prefix="q")], (NOW + 8) * HOUR + 3000, alert, None)
    assert resolved is not None and resolved.status == "resolved"
    later = [*SPIKE, *mentions(NOW + 8, 1, prefix="q"), *mentions(NOW + 8, 20, prefix="r")]
    after = decide_hour(later, (NOW + 8) * HOUR + 3100, resolved, Redo(alert))
    assert after is not None
    assert "resolved" in [e["event"] for e in after.history]


def _with_recent(
    ms: list[Mention], as_of: float, previous: Alert | None, recent: int, config: DetectionConfig = DEFAULT_CONFIG
) -> tuple[Alert | None, tuple[str, ...]]:
    """``run`` on a day the community already had ``recent`` alerts opened."""
    state = TickerState()
    state.add(buckets_of(ms))
    stats = GlobalStats(rate=0.05, since=float(START), alerts_24h=recent)
    outcome = decide("CRSP", state.buckets, state.counts, previous, [], as_of=as_of, stats=stats, config=config)
    return outcome.alert, outcome.events


def test_a_spent_alert_budget_holds_back_a_weaker_organic_alert_but_not_a_stronger_one() -> None:
    alert = opened()
    as_of, busy = NOW * HOUR + 3000, DEFAULT_CONFIG.alert_budget_24h + 20
    assert _with_recent(SPIKE, as_of, None, busy - 21) == (alert, ("opened",))  # within the budget: as before
    assert alert.score < budget_bar(busy, DEFAULT_CONFIG)
    assert _with_recent(SPIKE, as_of, None, busy) == (None, ())  # a frenzy day: this surge is not among the strongest
    strong = DEFAULT_CONFIG.model_copy(update={"alert_budget_score": alert.score / 2, "alert_budget_growth": 1.0})
    assert _with_recent(SPIKE, as_of, None, busy, strong)[1] == ("opened",)  # a strong enough one still opens


def test_a_spent_alert_budget_holds_back_a_reopening_but_never_an_escalation() -> None:
    busy = DEFAULT_CONFIG.alert_budget_24h + 20
    again = [*SPIKE, *mentions(NOW + 10, 25, prefix="r")]
    assert _with_recent(again, (NOW + 10) * HOUR + 3000, resolved_alert(), busy)[1] == ()
    alert = opened()
    bigger = [*SPIKE, *mentions(NOW + 1, 120, prefix="b")]
    escalated, events = _with_recent(bigger, (NOW + 1) * HOUR + 3000, alert, busy)
    assert events == ("escalated",) and escalated is not None and escalated.level == 2


def test_the_alert_budget_grows_with_each_alert_past_it() -> None:
    config = DEFAULT_CONFIG.model_copy(
        update={"alert_budget_24h": 3, "alert_budget_score": 2.0, "alert_budget_growth": 1.5}
    )
    assert [budget_bar(n, config) for n in range(6)] == [0.0, 0.0, 0.0, 2.0, 3.0, 4.5]


def test_a_day_of_very_many_alerts_raises_the_budget_bar_out_of_reach_without_an_error() -> None:
    """``growth ** over`` past a float's range raises in Python: one such day would have made
    every detect message fail, and the config preview answer 500."""
    steep = DetectionConfig(alert_budget_growth=10.0, alert_budget_24h=0)
    assert budget_bar(400, steep) == math.inf
    assert budget_bar(3, steep) == 2000.0
    assert budget_bar(4, DetectionConfig(alert_budget_growth=1e300, alert_budget_24h=0)) == math.inf


def test_the_alert_budget_never_holds_back_a_pump_flag() -> None:
    # A pump flag protects the reader; the budget is about how many organic signals to show.
    state = TickerState()
    state.add(buckets_of(SPIKE))
    organic = decide(
        "CRSP", state.buckets, state.counts, None, [], as_of=NOW * HOUR + 3000, stats=STATS, config=DEFAULT_CONFIG
    ).evaluation
    assert organic.kind == "organic"
    assert step(None, organic, [], DEFAULT_CONFIG, heard=[], bar=1e9) == (None, ())
    flagged, events = step(None, replace(organic, kind="pump"), [], DEFAULT_CONFIG, heard=[], bar=1e9)
    assert flagged is not None and events == ("opened",) and flagged.kind == "pump"


def test_an_episode_the_hours_batches_reopened_and_resolved_is_not_put_back_as_it_was_before_the_hour() -> None:
    """The hour's first batch reopened the resolved alert (level 2, announced), a second
    resolved it (announced); a third that spikes no more must not return the alert as it
    stood before the hour: the document would go back to level 1 while level 2 is recorded
    as announced, and the next reopening (level 2 again) would never be told."""
    before = resolved_alert()
    hour = NOW + 10
    reopened_at, resolved_at = hour * HOUR + 180, hour * HOUR + 2700
    current = replace(
        before,
        level=2,
        updated_at=resolved_at,
        resolved_at=resolved_at,
        history=(*before.history, {"event": "reopened", "at": reopened_at}, {"event": "resolved", "at": resolved_at}),
    )
    quiet = [*CALMER, *mentions(hour, 1, prefix="m")]
    after = decide_hour(quiet, hour * HOUR + 3060, current, Redo(before))
    assert after is not None and (after.alert_id, after.level, after.status) == (current.alert_id, 2, "resolved")
    assert [e["event"] for e in after.history][-2:] == ["reopened", "resolved"]


def test_a_new_episode_the_hours_batches_opened_and_resolved_keeps_its_id_not_the_previous_ones() -> None:
    """From before the hour the answer would be the previous episode's alert, whose document
    exists: its create would collide on every redelivery, holding the ticker's updates."""
    before = resolved_alert()
    hour = NOW + 30  # past the earlier episode's cooldown: the hour's first batch opened a new one
    current = replace(
        before,
        alert_id=f"CRSP-{hour_key(hour * HOUR)}",
        opened_at=hour * HOUR + 180,
        updated_at=hour * HOUR + 2700,
        resolved_at=hour * HOUR + 2700,
        history=({"event": "opened", "at": hour * HOUR + 180}, {"event": "resolved", "at": hour * HOUR + 2700}),
    )
    quiet = [*CALMER, *mentions(hour, 1, prefix="m")]
    after = decide_hour(quiet, hour * HOUR + 3060, current, Redo(before))
    assert after is not None and after.alert_id == current.alert_id and after.status == "resolved"


def test_a_spike_after_a_resolution_in_the_same_hour_reopens_the_alert_and_announces_it() -> None:
    # the hour's first batch opened it, a second resolved it (both announced), a third spikes:
    # decided from before the hour, it would open again under the same id, its level 1 told
    alert = opened()
    resolved = replace(alert, status="resolved", resolved_at=NOW * HOUR + 3050, updated_at=NOW * HOUR + 3050)
    resolved = replace(resolved, history=(*alert.history, {"event": "resolved", "at": NOW * HOUR + 3050}))
    again = decide_hour(SPIKE, NOW * HOUR + 3100, resolved, Redo(None))
    assert again is not None and again.alert_id == alert.alert_id
    assert (again.status, again.level) == ("escalated", 2)
    assert [e["event"] for e in again.history] == ["opened", "resolved", "reopened"]


def test_with_no_cooldown_a_spike_after_a_resolution_in_the_same_hour_reopens_rather_than_reuses_the_id() -> None:
    alert = opened()
    resolved = replace(alert, status="resolved", resolved_at=NOW * HOUR + 3050, updated_at=NOW * HOUR + 3050)
    state = TickerState()
    state.add(buckets_of(SPIKE))
    config = DEFAULT_CONFIG.model_copy(update={"cooldown_hours": 0})
    outcome = decide(
        "CRSP", state.buckets, state.counts, resolved, [], as_of=NOW * HOUR + 3100, stats=STATS, config=config
    )
    assert outcome.events == ("reopened",) and outcome.alert is not None and outcome.alert.level == 2


def _posts(hour: int, n: int, tag: str) -> list[RedditItem]:
    return [
        RedditItem(
            id=f"t3_{tag}{hour}x{k}",
            kind="post",
            subreddit="stocks",
            author=f"{tag}{hour}x{k}",
            author_created_utc=(hour - 24 * 900) * HOUR,
            title=f"$CRSP thoughts {tag} {hour} {k}",
            body=f"Long read on $CRSP number {k}: pipeline, cash runway, trial readouts, what the market misses. " * 2,
            permalink=f"/r/stocks/comments/{tag}{hour}x{k}/p/",
            created_utc=hour * HOUR + 60 * k,
        )
        for k in range(n)
    ]


def test_the_backtest_records_the_silent_episodes_end_and_no_resolution_a_reopening_undid() -> None:
    replay = backtest.Replay()
    quiet = [_posts(h, 1, "q") for h in range(NOW - 24 * 4, NOW, 6)]
    surges = {NOW: 20, NOW + 12: 20, NOW + 60: 25}  # reopened within the cooldown, then a new episode
    for batch in [*quiet, *(_posts(h, n, f"s{h}") for h, n in surges.items())]:
        replay.hour(batch)
    events = [(r.event, r.alert.alert_id, r.alert.status) for r in replay.records]
    first, second = f"CRSP-{hour_key(NOW * HOUR)}", f"CRSP-{hour_key((NOW + 60) * HOUR)}"
    assert events == [
        ("opened", first, "open"),
        ("reopened", first, "escalated"),  # its silent end is in the history, not a record of its own
        ("resolved", first, "resolved"),
        ("opened", second, "open"),
    ]
    assert [e["event"] for e in replay.records[2].alert.history] == ["opened", "resolved", "reopened", "resolved"]
