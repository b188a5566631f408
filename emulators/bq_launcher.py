"""Start bqemulator without network access: run with ``.venv-bq/bin/python``.

bqemulator (a BigQuery REST emulator on DuckDB) installs and loads DuckDB's ``spatial``
extension at startup and refuses to start when it cannot download it, and it tries to
fetch the ``avro`` extension too. Nothing here uses GEOGRAPHY or Avro, and CI and the
sandbox are offline, so this launcher switches both off and then starts the emulator's
own CLI unchanged. It lives in its own virtualenv (``make bq-venv``) because bqemulator
pins protobuf and gRPC versions that differ from the Google client libraries'.

Usage: ``.venv-bq/bin/python emulators/bq_launcher.py --rest-port 9050 --grpc-port 9060 --project akleao-local``
"""

import contextlib
import importlib
import os
import sys
from typing import Any


def _skip_spatial(self: Any) -> None:
    """Stands in for ``DuckDBEngine._load_spatial``: GEOGRAPHY stays unavailable, nothing else changes."""
    print("bq_launcher: DuckDB spatial extension not loaded (offline; GEOGRAPHY unsupported)", flush=True)


def main(argv: list[str]) -> int:
    os.environ["BQEMU_ENABLE_FORMAT_EXTENSIONS"] = "false"  # no avro download either
    engine = importlib.import_module("bqemulator.storage.engine")
    engine.DuckDBEngine._load_spatial = _skip_spatial
    cli = importlib.import_module("bqemulator.cli")
    with contextlib.suppress(KeyboardInterrupt):
        cli.main(["start", "--ephemeral", *argv], standalone_mode=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
