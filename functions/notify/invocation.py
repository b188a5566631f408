"""What one invocation's deliveries share across their threads: when they may still start,
and whether the mail relay is down for this invocation.

A relay that does not answer costs each email its connect timeout; the users after the first
few hundred would never be reached before the function's timeout, on any redelivery. So after
``RELAY_DOWN_AFTER`` relay failures in a row (no email taken between them) the invocation's
remaining emails fail at once (retried with the event), and no delivery starts once
``start_by_s`` of the invocation has passed: what was done stays done, the rest goes with the
redelivery, and a delivery begun in time still ends before the timeout (a webhook's attempts
and backoff take at most :data:`common.settings.WEBHOOK_BUDGET_S`, which the settings hold them
to; an email's SMTP steps each have 10 s, and one at the edge of every step is the rare case
the timeout cuts, its delivery retried once its claim's lease is over). Deliveries are handed
out in :func:`order`, so receivers that keep failing cannot hold the same users back on every
redelivery.
"""

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from common.adapters.channels import DeliveryFailed, NoAnswer, ReceiverFailing

T = TypeVar("T")

RELAY_DOWN_AFTER = 2  # relay failures in a row (unreachable, silent, login or sender refused) in one invocation
START_BY_SHARE = 0.5  # of the function's timeout: the rest is for the deliveries begun before it


@dataclass
class Invocation:
    now: float  # the moment this invocation decides by (quiet hours, hour keys): read once
    start_by_s: float
    published: float | None = None  # its message's Pub/Sub publish time (store.Claim.given_up)
    started: float = field(default_factory=time.monotonic)
    relay_failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, now: float, timeout_s: float, published: float | None = None) -> "Invocation":
        return cls(now=now, start_by_s=timeout_s * START_BY_SHARE, published=published)

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

    def relay_took(self) -> None:
        """An email went out: the relay is up, whatever failed before."""
        with self._lock:
            self.relay_failures = 0


EGRESS_PROOF_S = 60.0  # an answer this long before a delivery began still shows our way out works


class Egress:
    """When a webhook last got an HTTP answer on this instance (any status: the receiver's
    host was reached). A receiver that gives no answer in time (:class:`NoAnswer`) while
    others answered during its attempts (or just before) is the one failing, not our way
    out: past the give-up time it is given up as a receiver's own failure is, instead of
    holding its event through every redelivery into the dead letters (and a page). With no
    answer seen then, it may be ours, and is never given up. A name that does not resolve
    and a certificate the receiver got wrong (expired, self-signed, another name's) are
    :class:`NoAnswer` too: while others resolve, verify and answer, a mistyped domain or an
    expired certificate is that receiver's. A chain to a root we lack may be our trust
    store's gap, and is never given up."""

    def __init__(self) -> None:
        self._at = float("-inf")
        self._lock = threading.Lock()

    def answered(self, at: float) -> None:
        with self._lock:
            self._at = max(self._at, at)

    def proven(self, began: float) -> bool:
        """Whether a webhook answered since a moment before ``began`` (a delivery's start)."""
        with self._lock:
            return self._at >= began - EGRESS_PROOF_S


EGRESS = Egress()  # per instance, across invocations


def receivers_trouble(exc: DeliveryFailed, channel: str, began: float, *, proven_before: bool = False) -> bool:
    """Whether a failed delivery (this attempt begun at ``began``) is the receiver's own
    trouble, so it may be given up: it said so (:class:`common.adapters.channels.ReceiverFailing`),
    or it is a webhook that gave no answer while others answered (:class:`Egress`), now or on
    an earlier attempt (``proven_before``: a redelivery runs alone, the others long settled).
    A relay's failure never is."""
    if isinstance(exc, ReceiverFailing):
        return True
    return channel == "webhook" and isinstance(exc, NoAnswer) and (proven_before or EGRESS.proven(began))


def webhook_answered(status: int | None, now: float) -> None:
    """Note a webhook attempt's HTTP answer (``status`` None: it got none)."""
    if status is not None:
        EGRESS.answered(now)


def order(items: list[T], *, ident: Callable[[T], str], failing: Callable[[T], bool], seed: str) -> list[T]:
    """Deliveries in the order they start: those whose receiver is not known to be failing
    first, each group shuffled by ``seed`` (the event and the invocation's time), so a slow receiver
    early in the user list does not hold the same users back on every redelivery."""
    return sorted(items, key=lambda item: (failing(item), random.Random(f"{seed}|{ident(item)}").random()))
