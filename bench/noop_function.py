"""The ceiling for bench/e2e.py: a CloudEvent function that does nothing but say it was
called, served by functions-framework exactly as the stack serves the real functions, so
what it sustains is what the Pub/Sub emulator's push plus the framework cost per delivery.

(No ``run`` here: bench/run.py must not take it for a benchmark.)
"""

import os

import functions_framework
from cloudevents.http import CloudEvent

MARK = "noop-delivered"


@functions_framework.cloud_event
def noop(cloud_event: CloudEvent) -> None:
    del cloud_event
    os.write(1, f"{MARK}\n".encode())  # one write: lines from concurrent threads never interleave
