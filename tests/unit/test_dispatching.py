import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from common import topics
from common.dispatching import plan_fetches, run_id_for
from common.messages import ScrapeTick, TickerUpdate
from common.settings import Settings
from functions.dispatch import silence

ROOT = Path(__file__).resolve().parents[2]


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


def test_silence_checks_go_one_per_ticker_in_its_order_named_by_the_settled_hour() -> None:
    settled = 1_767_916_800.0  # 2026-01-09 00:00 UTC
    alerts = [{"symbol": "VERV", "alert_id": "VERV-1"}, {"symbol": "BEAM", "alert_id": "BEAM-1"}, {"symbol": "VERV"}]
    sent = silence.checks(alerts, settled)
    assert [(o.topic, o.ordering_key) for o in sent] == [
        (topics.TICKER_UPDATES, "BEAM"),
        (topics.TICKER_UPDATES, "VERV"),
    ]
    update = sent[0].message
    assert isinstance(update, TickerUpdate)
    assert (update.as_of, update.silence_check, update.batch_id) == (settled, True, "silence-2026010900")


def test_dispatch_loads_no_numerics_for_its_silence_checks() -> None:
    """It picks the alerts to check with the light half of the silence rule; the whole
    detector (numpy, scipy) stays out of its cold start."""
    code = "import sys, functions.dispatch.main; print('numpy' in sys.modules or 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"
