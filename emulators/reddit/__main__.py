"""``python -m emulators.reddit --port 8765 --corpus data/replay/default --now start``"""

import argparse
import sys

from emulators.reddit.server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulators.reddit", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--corpus", default="", help="replay corpus directory (empty: no items until /_replay/load)")
    parser.add_argument(
        "--now", default=None, help='initial clock: epoch seconds, "start"/"end" of the manifest; default newest item'
    )
    args = parser.parse_args(argv)
    now: float | str | None = args.now
    if isinstance(now, str) and now not in ("start", "end"):
        now = float(now)
    serve(args.host, args.port, args.corpus, now)
    return 0


if __name__ == "__main__":
    sys.exit(main())
