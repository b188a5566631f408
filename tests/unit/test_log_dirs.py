import io
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from common import log
from emulators.stack import fresh_log_dir


def written(out: io.StringIO) -> list[dict[str, Any]]:
    """The lines logged, without the one google-cloud-logging adds to the first line any of
    its handlers writes in a process (its own diagnostic): which test meets it depends on
    which ran first."""
    lines = [json.loads(x) for x in out.getvalue().strip().splitlines()]
    return [x for x in lines if "logging.googleapis.com/diagnostic" not in x]


def test_each_run_logs_to_a_folder_of_its_own_and_only_the_newest_are_kept(tmp_path: Path) -> None:
    for stamp in ("20260101-000000", "20260102-000000", "20260103-000000"):
        (tmp_path / stamp).mkdir()
        (tmp_path / stamp / "fetch.log").write_text("old\n")
    run = fresh_log_dir(tmp_path, keep=3)
    assert (tmp_path / "latest").resolve() == run.resolve()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.is_symlink()) == [
        "20260102-000000",
        "20260103-000000",
        run.name,
    ]
    assert list(run.iterdir()) == []  # nothing appended to an earlier run's files


def test_every_json_log_line_says_when_it_was_written() -> None:
    out = io.StringIO()
    logger = logging.getLogger("akleao.test.logged_at")
    logger.addHandler(log.json_handler(out))
    logger.propagate = False
    with log.context(function="fetch"):
        logger.warning("hello")
    line = written(out)[-1]
    assert line["message"] == "hello" and line["function"] == "fetch" and line["severity"] == "WARNING"
    assert datetime.fromisoformat(line["logged_at"]).tzinfo is not None


def test_work_on_pool_threads_logs_with_the_message_it_belongs_to() -> None:
    out = io.StringIO()
    logger = logging.getLogger("akleao.test.carried")
    logger.addHandler(log.json_handler(out))
    logger.propagate = False
    with log.context(function="notify", message_id="m-1"), ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(log.carried(lambda n: logger.warning("user %d", n)), range(4)))
        list(pool.map(lambda n: logger.warning("bare %d", n), range(2)))  # what a thread gets alone
    lines = written(out)
    carried = [x for x in lines if x["message"].startswith("user")]
    assert len(carried) == 4 and all(x["function"] == "notify" and x["message_id"] == "m-1" for x in carried)
    assert all("message_id" not in x for x in lines if x["message"].startswith("bare"))


def test_a_requests_trace_is_written_as_cloud_logging_links_it() -> None:
    """A bare trace id nests nothing: Cloud Logging groups a request's lines by the full name."""
    import flask

    out = io.StringIO()
    logger = logging.getLogger("akleao.test.trace")
    logger.propagate = False
    logger.addHandler(log.json_handler(out, "akleao-prod"))
    app = flask.Flask("trace")
    with app.test_request_context(headers={"X-Cloud-Trace-Context": "0123456789abcdef0123456789abcdef/1;o=1"}):
        logger.warning("inside a request")
    [line] = written(out)
    assert line["logging.googleapis.com/trace"] == "projects/akleao-prod/traces/0123456789abcdef0123456789abcdef"


def test_a_line_written_after_the_handler_returned_still_names_the_function() -> None:
    """The framework logs a crash's traceback once the handler's context is gone: the error
    alert counts it per function, and the runbook's filters find it by function."""
    out = io.StringIO()
    logger = logging.getLogger("akleao.test.crash")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(log.json_handler(out))
    log.serving("notify")
    try:
        with log.context(function="notify", message_id="m1"):
            logger.info("inside")
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("Exception on / [POST]")  # as Flask writes it
    finally:
        log.serving(None)
    inside, crash = written(out)
    assert inside["function"] == crash["function"] == "notify"
    assert "message_id" not in crash and crash["severity"] == "ERROR"
