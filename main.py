"""Entry points of every Cloud Function, so one source archive serves them all.

Terraform deploys this archive once per function with that function's ``entry_point``;
locally each runs as ``functions-framework --source main.py --target NAME``.
"""

from functions.aggregate.main import aggregate
from functions.api.main import api
from functions.archive.main import archive
from functions.detect.main import detect
from functions.dispatch.main import dispatch
from functions.fetch.main import fetch

__all__ = ["aggregate", "api", "archive", "detect", "dispatch", "fetch"]
