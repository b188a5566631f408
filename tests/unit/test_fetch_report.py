"""fetch's report as the demo reads it back from fetch's log line: one model on both sides."""

import json
from pathlib import Path

from common.reports import FetchReport
from demo.logs import FetchReports, FunctionLog


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
