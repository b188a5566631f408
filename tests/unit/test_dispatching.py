from common.dispatching import plan_fetches, run_id_for
from common.messages import ScrapeTick


def test_each_subreddit_is_fetched_once_whatever_its_case() -> None:
    plan = plan_fetches("run", ["wallstreetbets", "WallStreetBets", " stocks ", ""])
    assert [f.subreddit for f in plan] == ["wallstreetbets", "stocks"]
    assert {f.run_id for f in plan} == {"run"}


def test_a_redelivered_tick_maps_to_the_same_run() -> None:
    assert run_id_for(ScrapeTick(), "123") == run_id_for(ScrapeTick(), "123") == "tick-123"
    assert run_id_for(ScrapeTick(run_id="manual"), "123") == "manual"
