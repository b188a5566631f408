"""Entry points of every Cloud Function, so one source archive serves them all.

Terraform deploys this archive once per function with that function's ``entry_point``;
locally each runs as ``functions-framework --source main.py --target NAME``. Each entry
point is imported on first access (PEP 562), so an instance loads only its own function's
code and dependencies: dispatch never pays for the API's Flask app or detect's numpy.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for readers and type checkers; at run time nothing is imported here
    from functions.aggregate.main import aggregate
    from functions.api.main import api
    from functions.archive.main import archive
    from functions.detect.main import detect
    from functions.dispatch.main import dispatch
    from functions.fetch.main import fetch
    from functions.notify.digest import notify_digest
    from functions.notify.main import notify

__all__ = ["aggregate", "api", "archive", "detect", "dispatch", "fetch", "notify", "notify_digest"]
# Where an entry point lives, when not in functions/<name>/main.py.
MODULES = {"notify_digest": "functions.notify.digest"}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    entry = getattr(import_module(MODULES.get(name, f"functions.{name}.main")), name)
    globals()[name] = entry  # the next access is a plain attribute read
    return entry


def __dir__() -> list[str]:
    return sorted(__all__)
