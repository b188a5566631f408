"""``python -m demo`` (``make demo``): see demo/run.py and the README's demo section."""

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

from demo.run import DEFAULT_CORPUS, DEMO_LOGS, DEMO_STATE, DEMO_WEB_APP, Options, main
from emulators.stack import fresh_log_dir


def corpus_problem(corpus: Path) -> str | None:
    """Why ``corpus`` is no replay corpus, said before minutes of start-up (docs/replay-format.md)."""
    if not corpus.is_dir():
        return "no such directory"
    try:
        manifest = json.loads((corpus / "manifest.json").read_text())
        start, end = float(manifest["start"]), float(manifest["end"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"no readable manifest.json with start and end ({exc})"
    if not start < end:
        return f"its manifest's start ({start}) is not before its end ({end})"
    items = [corpus / "items.jsonl.gz", corpus / "items.jsonl"]
    if not any(p.is_file() and p.stat().st_size > 0 for p in items):
        return "no items.jsonl(.gz) with items in it"
    return None


def _positive_hours(text: str) -> float:
    """Hours above zero: a tick of no data time would never reach the corpus's end."""
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {text!r}") from None
    if not math.isfinite(hours) or hours <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 hours: {text!r}")
    return hours


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m demo", description="The whole pipeline on replayed Reddit data.")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="replay corpus directory")
    parser.add_argument(
        "--step-hours", type=_positive_hours, default=Options.step_hours, help="data time per scheduler tick"
    )
    parser.add_argument("--hours", type=_positive_hours, default=None, help="play only the first N hours of the corpus")
    parser.add_argument(
        "--live", action="store_true", help="real Reddit and the real clock (needs REDDIT_CLIENT_ID/SECRET)"
    )
    parser.add_argument(
        "--serve",
        choices=("auto", "yes", "no"),
        default="auto",
        help="keep API and dashboard running until Ctrl-C (auto: when stdin is a terminal)",
    )
    parser.add_argument(
        "--detection-config",
        type=json.loads,
        default=None,
        metavar="JSON",
        help="thresholds to set through the API before replaying, e.g. '{\"warmup_hours\": 12}'",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="print the alert table within this many seconds of the demo's own start (installs excluded)",
    )
    parser.add_argument(
        "--deadline",
        type=float,
        default=None,
        metavar="EPOCH",
        help="print the alert table by this time (epoch seconds), cutting the wait short (make demo uses --budget)",
    )
    parser.add_argument(
        "--log-dir", type=Path, default=None, help="where the stack's logs go (default: a new folder per run)"
    )
    parser.add_argument(
        "--web-app",
        choices=("yes", "no"),
        default="no",
        help="serve the web app (frontend/, built by `make frontend`) and let it issue the api's tokens "
        "(make demo: yes); no: the development key signs them",
    )
    parser.add_argument(
        "--web-app-dir", type=Path, default=DEMO_WEB_APP, help="the web app's accounts database and secret"
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        default=DEMO_STATE,
        help="where this run says which api it serves (`make token` reads the default)",
    )
    args = parser.parse_args(argv)
    if not args.live and (problem := corpus_problem(args.corpus)):
        parser.error(f"--corpus {args.corpus}: {problem}")
    if args.live and not (os.environ.get("REDDIT_CLIENT_ID") and os.environ.get("REDDIT_CLIENT_SECRET")):
        parser.error("--live needs REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET in the environment")
    interactive = sys.stdin.isatty() if args.serve == "auto" else args.serve == "yes"
    return Options(
        corpus=args.corpus.resolve(),
        step_hours=args.step_hours,
        hours=args.hours,
        live=args.live,
        interactive=interactive,
        log_dir=args.log_dir.resolve() if args.log_dir else fresh_log_dir(DEMO_LOGS),
        detection_config=args.detection_config,
        web_app=args.web_app == "yes",
        web_app_dir=args.web_app_dir.resolve(),
        state_file=args.state_file.resolve(),
        deadline=args.deadline if args.budget is None else time.time() + args.budget,
    )


if __name__ == "__main__":
    sys.exit(main(parse()))
