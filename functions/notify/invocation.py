"""What one invocation's deliveries share across their threads: when they may still start,
and whether the mail relay is down for this invocation.

A relay that does not answer costs each email its connect timeout; in a fixed order, the
users after the first few hundred would never be reached before the function's timeout, on
any redelivery. So after ``RELAY_DOWN_AFTER`` relay failures the invocation's remaining
emails fail at once (retried with the event), and no delivery starts once ``start_by_s`` of
the invocation has passed: what was done stays done, the rest goes with the redelivery,
and the slowest delivery begun in time still ends before the timeout.
"""

import threading
import time
from dataclasses import dataclass, field

from common.adapters.channels import DeliveryFailed

RELAY_DOWN_AFTER = 2  # relay failures (unreachable, timed out, login or sender refused) in one invocation
START_BY_SHARE = 0.6  # of the function's timeout: the rest is for the deliveries begun before it


@dataclass
class Invocation:
    now: float  # the moment this invocation decides by (quiet hours, hour keys): read once
    start_by_s: float
    started: float = field(default_factory=time.monotonic)
    relay_failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, now: float, timeout_s: float) -> "Invocation":
        return cls(now=now, start_by_s=timeout_s * START_BY_SHARE)

    def check_time(self) -> None:
        """Raise when no delivery may start any more (it is retried with the redelivery)."""
        if time.monotonic() - self.started > self.start_by_s:
            raise DeliveryFailed(f"not started: {self.start_by_s:.0f} s of this invocation spent")

    def check_relay(self) -> None:
        """Raise when the relay failed often enough in this invocation to count as down."""
        with self._lock:
            if self.relay_failures >= RELAY_DOWN_AFTER:
                raise DeliveryFailed(f"not tried: the mail relay failed {self.relay_failures} times just now")

    def relay_failed(self) -> None:
        with self._lock:
            self.relay_failures += 1
