import pytest
from pydantic import ValidationError

from common.dispatching import plan_fetches, run_id_for
from common.messages import ScrapeTick
from common.settings import Settings


def test_each_subreddit_is_fetched_once_whatever_its_case() -> None:
    plan = plan_fetches("run", ["wallstreetbets", "WallStreetBets", " stocks ", ""])
    assert [f.subreddit for f in plan] == ["wallstreetbets", "stocks"]
    assert {f.run_id for f in plan} == {"run"}


def test_a_redelivered_tick_maps_to_the_same_run() -> None:
    assert run_id_for(ScrapeTick(), "123") == run_id_for(ScrapeTick(), "123") == "tick-123"
    assert run_id_for(ScrapeTick(run_id="manual"), "123") == "manual"


@pytest.mark.parametrize("value", ["", " , ", "r/stocks"])
def test_a_subreddits_setting_naming_none_or_a_name_no_fetch_can_take_fails_at_start(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(SUBREDDITS=value)
