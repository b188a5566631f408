"""The slow-burn study's rule and scoring, on days whose answer is known."""

from eval.real.slow_burn import DAY, fires, score

COMMUNITY = dict.fromkeys(range(40), 1000)
QUIET = dict.fromkeys(range(20), 2)


def test_authors_growing_every_day_of_the_run_to_a_lift_over_the_week_before_fire() -> None:
    growing = {**QUIET, 19: 5, 20: 4, 21: 6, 22: 9}
    assert fires(growing, COMMUNITY, 22, run=3, lift=3.0, min_authors=8, shares=True)
    assert not fires(growing, COMMUNITY, 22, run=4, lift=3.0, min_authors=8, shares=True)  # 5 -> 4 breaks the run
    assert not fires(growing, COMMUNITY, 22, run=3, lift=4.0, min_authors=8, shares=True)  # 9 < 4 x 2.4
    assert not fires(growing, COMMUNITY, 22, run=3, lift=3.0, min_authors=10, shares=True)
    assert not fires({**growing, 21: 4}, COMMUNITY, 22, run=3, lift=3.0, min_authors=8, shares=True)  # a flat day


def test_growth_that_only_follows_the_community_fires_only_without_shares() -> None:
    growing = {**QUIET, 20: 4, 21: 6, 22: 9}
    frenzy = {**COMMUNITY, 20: 1000, 21: 2000, 22: 4000}  # the ticker's share falls
    assert fires(growing, frenzy, 22, run=3, lift=3.0, min_authors=8, shares=False)
    assert not fires(growing, frenzy, 22, run=3, lift=3.0, min_authors=8, shares=True)


def test_a_firing_before_an_events_first_alert_is_early_and_one_elsewhere_is_a_cost() -> None:
    daily = {"BB": {**QUIET, 20: 4, 21: 6, 22: 9}, "XYZ": {**QUIET, 30: 4, 31: 6, 32: 9}}
    event = {"ticker": "BB", "discussion_start": 23 * DAY, "peak": 26 * DAY}
    result = score(daily, COMMUNITY, [event], {"BB": 24 * DAY}, days=range(10, 40), run=3, lift=3.0, shares=True)
    assert result["hours_earlier"] == {"BB": 24.0}  # fired at the end of day 22, alerted at the end of day 23
    assert result["events_earlier_than_their_first_alert"] == 1
    assert result["firings"] == 2 and result["tickers"] == 2
    assert result["firings_about_no_event_per_day"] == round(1 / 30, 3)
    late = score(daily, COMMUNITY, [event], {"BB": 22 * DAY}, days=range(10, 40), run=3, lift=3.0, shares=True)
    assert late["hours_earlier"] == {"BB": None}


def test_a_firing_days_before_the_discussion_began_is_a_cost_not_a_lead() -> None:
    daily = {"BB": {**QUIET, 20: 4, 21: 6, 22: 9}}
    event = {"ticker": "BB", "discussion_start": 28 * DAY, "peak": 30 * DAY}  # five days after the firing
    result = score(daily, COMMUNITY, [event], {"BB": 29 * DAY}, days=range(10, 40), run=3, lift=3.0, shares=True)
    assert result["hours_earlier"] == {"BB": None}
    assert result["firings_about_no_event_per_day"] == round(1 / 30, 3)


def test_the_lift_is_over_the_seven_days_just_before_the_run() -> None:
    # Days 13 to 19 at 2 authors; day 12 busy (outside that week); the run is days 20 to 22.
    authors = {**QUIET, 12: 100, 20: 4, 21: 6, 22: 9}
    assert fires(authors, COMMUNITY, 22, run=3, lift=4.2, min_authors=8, shares=True)  # 9 >= 4.2 x 2
    # a week a day earlier would hold day 12's 100; a day later, day 20's 4 (9 < 4.2 x 2.29)
    assert not fires({**authors, 19: 4}, COMMUNITY, 22, run=3, lift=4.2, min_authors=8, shares=True)
