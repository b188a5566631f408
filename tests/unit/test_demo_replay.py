"""The demo's pure parts: its tick schedule and how it credits an alert to a labelled scenario."""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from common.settings import Settings
from demo import labels as lbl
from demo.dashboard import UPLOT
from demo.display import AlertRow
from demo.run import DEFAULT_CORPUS, Demo, Options, corpus_subreddits, subreddits_env, tick_times

H = 3600.0
PUMP = lbl.Label("pump", "SPCE", start=100 * H, peak=110 * H)
BREAKOUT = lbl.Label("organic_breakout", "PATH", start=50 * H, peak=140 * H)
POPULAR = lbl.Label("always_popular", "SPY", start=0.0, peak=300 * H)


def test_ticks_cover_the_corpus_and_end_exactly_at_its_end() -> None:
    assert tick_times(0.0, 5 * H, 2 * H) == [2 * H, 4 * H, 5 * H]


def test_no_ticks_for_an_empty_range() -> None:
    assert tick_times(10.0, 10.0, H) == []


def test_an_alert_before_the_peak_has_a_positive_lead_time() -> None:
    label = lbl.match([PUMP, BREAKOUT], "spce", 104 * H)
    assert label == PUMP
    assert lbl.lead_hours(label, 104 * H) == 6.0


def test_an_alert_after_the_peak_still_matches_within_a_day_with_negative_lead() -> None:
    assert lbl.lead_hours(lbl.match([PUMP], "SPCE", 113 * H), 113 * H) == -3.0


def test_an_alert_long_before_the_scenario_or_a_day_after_its_peak_is_unlabelled() -> None:
    assert lbl.match([PUMP], "SPCE", 90 * H) is None
    assert lbl.match([PUMP], "SPCE", 135 * H) is None
    assert lbl.lead_hours(None, 135 * H) is None


END = 400 * H  # a replay that reached every peak


def test_missed_ignores_the_ticker_that_must_never_alert() -> None:
    assert lbl.unfound([PUMP, BREAKOUT, POPULAR], [(BREAKOUT, "organic")], END).missed == [PUMP]


def test_a_scenario_is_found_only_by_its_own_alert_of_its_own_kind() -> None:
    # a pump announced as organic, or an alert on the ticker outside the scenario's window, finds nothing
    assert lbl.unfound([PUMP, BREAKOUT], [(PUMP, "organic"), (None, "organic")], END).missed == [PUMP, BREAKOUT]
    assert lbl.unfound([PUMP, BREAKOUT], [(PUMP, "pump"), (BREAKOUT, "organic")], END) == lbl.Unfound([], [], [])


def test_labels_load_from_the_corpus_and_a_corpus_without_labels_has_none(tmp_path: Path) -> None:
    (tmp_path / "labels.json").write_text(
        json.dumps([{"scenario": "pump", "ticker": "spce", "start": 1.0, "peak": 2.0, "notes": "loud"}])
    )
    assert lbl.load(tmp_path) == [lbl.Label("pump", "SPCE", 1.0, 2.0, "loud")]
    assert lbl.load(tmp_path / "missing") == []


def test_an_alert_row_reads_the_stored_alert_and_credits_its_scenario() -> None:
    doc = {
        "alert_id": "SPCE-2026010900",
        "symbol": "SPCE",
        "kind": "pump",
        "status": "open",
        "level": 1,
        "rule": "pump_pattern",
        "score": 0.7,
        "pump_risk": 0.8,
        "opened_at": 108 * H,
    }
    row = AlertRow.from_doc(doc, [PUMP])
    assert (row.symbol, row.kind, row.label, row.lead_h) == ("SPCE", "pump", PUMP, 2.0)
    assert row.lead_text() == "2.0 h before peak (pump)"


def test_a_replay_fetches_the_subreddits_its_corpus_holds_unless_told_otherwise(tmp_path: Path) -> None:
    """An imported dump of r/Superstonk replayed with the default list would fetch nothing."""
    names = ["Superstonk", "superstonk", "r/GME", "Superstonk", "GME", "r/x y", "GME", "Superstonk"]
    items = [{"id": f"t3_{i}", "subreddit": name, "created_utc": 1.0} for i, name in enumerate(names)]
    (tmp_path / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    # busiest first, one spelling each (Reddit's names ignore case), r/ dropped, non-names apart
    assert corpus_subreddits(tmp_path) == (["Superstonk", "GME"], ["x y"])
    env, notes = subreddits_env(tmp_path, {})
    assert env == {"SUBREDDITS": "Superstonk,GME"} and any("x y" in n for n in notes)
    assert Settings.model_validate(env).subreddits == ("Superstonk", "GME")  # what the functions will read
    assert subreddits_env(tmp_path, {"SUBREDDITS": "stocks"}) == ({}, [])  # the user's choice stands
    assert subreddits_env(DEFAULT_CORPUS, {}) == ({}, [])  # the bundled corpus holds the default ones
    (tmp_path / "items.jsonl").write_text(json.dumps({**items[0], "subreddit": "stocks"}) + "\n")
    assert subreddits_env(tmp_path, {}) == ({}, [])  # some of the defaults: they stay, as configured


def test_a_corpus_the_local_reddit_could_not_hold_is_refused_before_anything_starts(tmp_path: Path) -> None:
    from emulators.reddit.corpus import BYTES_PER_ITEM, fits_in_memory, manifest_items

    (tmp_path / "manifest.json").write_text('{"items": 4000000}')
    assert manifest_items(tmp_path) == 4_000_000
    refused = fits_in_memory(4_000_000, 8 * 2**30)  # 9.3 GiB asked of 4 GiB usable
    assert refused is not None and "--since/--until" in refused
    assert fits_in_memory(27_218, 2 * 27_218 * BYTES_PER_ITEM) is None  # the bundled corpus on a small machine
    (tmp_path / "manifest.json").write_text("not json")
    assert manifest_items(tmp_path) is None  # then nothing is refused on its account


def test_a_corpus_that_is_no_corpus_is_refused_by_name_before_anything_starts(tmp_path: Path, capsys: Any) -> None:
    from demo.__main__ import parse

    (tmp_path / "empty").mkdir()
    bad = tmp_path / "backwards"
    bad.mkdir()
    (bad / "manifest.json").write_text(json.dumps({"start": 2.0, "end": 1.0}))
    for corpus, why in (
        (tmp_path / "missing", "no such directory"),
        (tmp_path / "empty", "no readable manifest.json"),
        (bad, "is not before its end"),
    ):
        with pytest.raises(SystemExit) as exit_:
            parse(["--corpus", str(corpus)])
        assert exit_.value.code == 2 and why in capsys.readouterr().err


def test_a_replay_stopped_early_names_the_scenarios_it_did_not_reach() -> None:
    unfound = lbl.unfound([PUMP, BREAKOUT, POPULAR], [], 120 * H)
    assert unfound == lbl.Unfound([PUMP], [BREAKOUT], [])  # nothing is expected of the always-popular one


def test_a_scenario_alerted_before_the_replay_stopped_is_found_not_unreached() -> None:
    assert lbl.unfound([BREAKOUT], [(BREAKOUT, "organic")], 120 * H) == lbl.Unfound([], [], [])


def test_a_scenario_detection_had_not_decided_when_the_wait_stopped_is_no_miss() -> None:
    # the replay reached both peaks; detection had decided SPCE past its peak, PATH not yet
    decided = {"SPCE": 111 * H, "PATH": 130 * H}
    assert lbl.unfound([PUMP, BREAKOUT], [], END, decided) == lbl.Unfound([PUMP], [], [BREAKOUT])
    assert lbl.unfound([PUMP, BREAKOUT], [], END, None).missed == [PUMP, BREAKOUT]  # it caught up: both missed


@pytest.mark.skipif(
    not UPLOT.exists(), reason="the dashboard's chart library: `make dashboard` (make test installs it)"
)
def test_the_dashboard_holds_its_port_from_the_start_and_serves_the_api_address_once_started() -> None:
    """Bound before the stack starts (its origin goes into the API's CORS list then), so no
    connection the stack opens meanwhile can take the port; stopped before it serves, it
    neither hangs nor leaves the port bound."""
    import socket
    import urllib.request

    from demo.dashboard import DashboardServer

    early = DashboardServer()
    port = early.server.server_address[1]
    with socket.socket() as other, pytest.raises(OSError):
        other.bind(("127.0.0.1", port))
    early.stop()  # never started
    served = DashboardServer().start("http://127.0.0.1:9")
    try:
        with urllib.request.urlopen(served.url + "config.json", timeout=5) as answer:
            assert json.loads(answer.read()) == {"api": "http://127.0.0.1:9"}
    finally:
        served.stop()


def test_the_stop_signal_is_no_exception_a_services_start_would_read_as_its_failure() -> None:
    """A service's start turns any ``Exception`` into "did not start": SIGTERM while the
    stack starts must pass through it as an interruption."""
    from demo.run import _Stop

    assert not issubclass(_Stop, Exception)


def test_a_tick_of_no_data_time_is_refused_before_anything_starts(capsys: Any) -> None:
    from demo.__main__ import parse

    for argv in (["--step-hours", "0"], ["--step-hours", "-3"], ["--hours", "nan"], ["--step-hours", "x"]):
        with pytest.raises(SystemExit) as exit_:
            parse(argv)
        assert exit_.value.code == 2 and "hours" in capsys.readouterr().err


def test_a_demo_killed_outright_leaves_no_stack_for_make_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    from emulators import supervisor

    monkeypatch.setattr(supervisor, "STATE_DIR", tmp_path)
    monkeypatch.setattr(supervisor, "read_state", lambda: None)  # no `make up` stack
    (tmp_path / "demo").mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    state = {"functions": {"api": "http://127.0.0.1:9"}}
    (tmp_path / "demo" / "state.json").write_text(json.dumps({**state, "pid": int(gone.stdout)}))
    assert supervisor.running_state() is None
    (tmp_path / "demo" / "state.json").write_text(json.dumps({**state, "pid": os.getpid()}))
    assert supervisor.running_state() == {**state, "pid": os.getpid()}


def test_ctrl_c_while_make_up_waits_stops_the_stack_it_was_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from emulators import supervisor

    class Starting:
        stopped = False

        def __init__(self, *_args: object, **_kwargs: object) -> None:
            pass

        def poll(self) -> None:
            raise KeyboardInterrupt  # the user's Ctrl-C, while it waits

        def terminate(self) -> None:
            Starting.stopped = True

        def wait(self, timeout: float) -> int:
            return 0

    monkeypatch.setattr(supervisor, "STATE_DIR", tmp_path)
    monkeypatch.setattr(supervisor, "read_state", lambda: None)
    monkeypatch.setattr(supervisor, "holder", lambda: None)
    monkeypatch.setattr(subprocess, "Popen", Starting)
    assert supervisor.up(timeout=5) == 130 and Starting.stopped


class _Arriving(Demo):
    """A mailbox whose deliveries keep arriving for the first ``arriving`` reads."""

    def __init__(self, arriving: int) -> None:
        super().__init__(Options())
        self.reads, self.arriving = 0, arriving

    def notifications(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        self.reads += 1
        return [{"subject": f"mail {i}"} for i in range(min(self.reads, self.arriving))], []


def test_the_notification_count_waits_for_deliveries_still_arriving_and_says_when_it_stopped_short() -> None:
    mail, hooks, held = _Arriving(arriving=4).delivered(quiet_s=0.5, wait_s=10.0)
    assert (len(mail), hooks, held) == (4, [], True)
    mail, _, held = _Arriving(arriving=100).delivered(quiet_s=0.5, wait_s=1.0)
    assert not held and len(mail) < 100
    _, _, held = _Arriving(arriving=1).delivered(quiet_s=1.5, wait_s=0.5)  # too short to tell: nothing seen coming
    assert held
