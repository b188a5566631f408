"""Secrets the local stack keeps on disk (signing keys, the web app's secret): each is made
once and seen whole or not at all, so no reader ever finds it empty and no interrupted write
leaves an empty one behind for good."""

import contextlib
import os
import tempfile
from pathlib import Path


def create_private(path: Path, data: bytes) -> None:
    """``data`` as ``path`` (mode 0600) unless it already exists with something in it: written
    to a temporary file beside it, then linked into place, so of two creators at once the
    first wins whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            if path.stat().st_size == 0:  # left empty by a write cut short before: made again
                os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
