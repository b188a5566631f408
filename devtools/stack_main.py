"""The source the local stack serves (``functions-framework --source devtools/stack_main.py``):
the deployed ``main.py`` with Firestore operations counted, so the benchmarks can read
them from each function's log, and with every composite query checked against the indexes
Terraform deploys, since the emulator would answer one production refuses. Production
serves ``main.py`` itself."""

from typing import Any

import main
from devtools import firestore_indexes, firestore_ops

firestore_ops.install()
firestore_indexes.install()

__all__ = main.__all__


def __getattr__(name: str) -> Any:
    return getattr(main, name)
