"""fetch's report as the demo reads it back from fetch's log line: one model on both sides."""

import json
from pathlib import Path

from common.reports import FetchReport
from demo.logs import AggregateBatches, DetectDecisions, FetchReports, FunctionLog


def test_the_demo_totals_the_reports_fetch_logs(tmp_path: Path) -> None:
    written = [
        FetchReport(subreddit="stocks", new_posts=3, new_comments=4, mentions=5, batches=2),
        FetchReport(subreddit="wallstreetbets", new_posts=1, mentions=1, batches=1),
    ]
    log = tmp_path / "fetch.log"
    lines = [{"message": "fetched", "run_id": "r1", "report": r.model_dump()} for r in written]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    reports = FetchReports(FunctionLog(log))
    assert reports.reported("r1") == 2
    assert (reports.items, reports.mentions, reports.batches) == (8, 6, 3)


def test_a_report_times_its_parts() -> None:
    report = FetchReport(subreddit="stocks")
    with report.timing("reddit"):
        pass
    with report.timing("reddit"):
        pass
    assert set(report.timings) == {"reddit"}
    assert report.model_dump()["timings"]["reddit"] >= 0.0


def _write(path: Path, lines: list[dict[str, object]]) -> FunctionLog:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return FunctionLog(path)


def test_a_redelivered_fetch_reports_its_subreddit_once_and_its_batches_each_time(tmp_path: Path) -> None:
    # one subreddit's run delivered twice must not stand in for another subreddit's report;
    # each copy published its own batches, which aggregate counts
    stocks = FetchReport(subreddit="stocks", new_posts=2, batches=2, unread_s={"new": 1800.0})
    line: dict[str, object] = {"message": "fetched", "run_id": "r1", "message_id": "m1", "report": stocks.model_dump()}
    reports = FetchReports(_write(tmp_path / "fetch.log", [line, line]))
    assert reports.reported("r1") == 1
    assert (reports.items, reports.batches, reports.unread_runs, reports.unread_s) == (2, 4, 1, 1800.0)


def test_a_redelivered_batch_is_one_batch_but_each_delivery_publishes_an_update(tmp_path: Path) -> None:
    """Detect decides each published update as its own message: counted once, a redelivered
    batch's second update would stand in for another update still in flight."""
    batch: dict[str, object] = {"message": "aggregated 3 mentions of GME", "message_id": "b1", "as_of": 7200.0}
    check: dict[str, object] = {"message": "silence check of GME forwarded", "message_id": "s1"}
    batches = AggregateBatches(_write(tmp_path / "aggregate.log", [batch, batch, check, check]))
    assert (batches.poll(), batches.updates) == (1, 4)


def test_a_redelivered_update_is_decided_once(tmp_path: Path) -> None:
    decided = {"message": "detected GME: volume", "message_id": "d1", "ticker": "GME", "as_of": 7200.0}
    later = {**decided, "message_id": "d2", "as_of": 10800.0}
    decisions = DetectDecisions(_write(tmp_path / "detect.log", [decided, decided, later]))
    assert decisions.poll() == 2
    assert decisions.by_ticker == {"GME": 10800.0}
