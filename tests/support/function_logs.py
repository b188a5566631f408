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


def settled(log: FunctionLog, message_ids: list[str], timeout: float = 90.0) -> bool:
    """Wait until each message's latest attempt succeeded (False: some had not in ``timeout``
    seconds). A copy refused as busy is retried tens of seconds later, by which time the
    suite has emptied Firestore for the next test; waiting it out keeps it out of that test."""
    lines: list[dict[str, object]] = []
    deadline = time.monotonic() + timeout
    wanted = set(message_ids)
    while True:
        lines += log.entries()
        done: set[object] = set()
        failing: set[object] = set()
        for e in lines:
            message_id, message = e.get("message_id"), str(e.get("message", ""))
            if message_id not in wanted:
                continue
            if message.startswith("message failed"):
                failing.add(message_id)
            elif message.startswith("firestore ops"):  # an attempt's last line
                if message_id in failing:
                    failing.discard(message_id)
                    done.discard(message_id)
                else:
                    done.add(message_id)
        if done >= wanted:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
