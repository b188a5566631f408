"""Waiting for a function to have handled given messages, from the lines it logs."""

import time

from demo.logs import FunctionLog


def handled(log: FunctionLog, message_ids: list[str], timeout: float = 60.0) -> None:
    """Wait until the function has handled each message and succeeded: its last line for a
    message (the Firestore count) is written whether it succeeded or failed, and a failure
    adds a warning before it. Absence checked after this is absence, not slowness."""
    lines: list[dict[str, object]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines += log.entries()
        done = {e.get("message_id") for e in lines if str(e.get("message", "")).startswith("firestore ops")}
        if done >= set(message_ids):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"messages {message_ids} not handled in {timeout} s")
    failed = [e for e in lines if e.get("message_id") in message_ids and e.get("severity") in {"WARNING", "ERROR"}]
    assert failed == [], failed
