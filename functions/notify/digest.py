"""notify_digest: a digest tick in (hourly, Cloud Scheduler), each user's digest of the hours
that are over out, as ONE email and ONE webhook POST per user and hour.

For each hour due (the tick's, or the last few by the clock, so a missed tick is made up, and
any older hour whose digest is still open, or closed and not settled),
each user's digest is closed (an event arriving after goes to the next hour) and its entries
are sent per channel (a user in their quiet hours has the entries carried to a later digest
instead, sent by the first tick after them), claimed like every delivery (``deliveries/digest|{user}|{hour}|{channel}``,
create precondition and lease, marked sent after): a redelivered or duplicated tick, or two
ticks naming the same hour, send it once. A channel still failing raises after the others
are done, so Pub/Sub redelivers the tick (what was sent stays sent), as does a digest not
begun in the invocation's time or an email not tried once the relay failed in it
(invocation.py). A digest whose every channel is settled is marked done; one a crash or a
failure leaves unsettled is tried again by the redelivered tick, or swept by a later one. A
failure of an older hour's digest fails no tick: the next hour's sweep tries it again (a
digest failing the same way for days would otherwise fail every tick, everyone's). A digest is the
overflow of the hourly cap, so it does not count towards it.
"""

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore
from pydantic import ValidationError

from common import log
from common import notify as rules
from common.adapters import firestore as fs
from common.adapters.channels import Channels, DeliveryFailed, ReceiverFailing, Refused, RelayDown
from common.entrypoint import Delivery, pubsub_function
from common.fields import problems
from common.messages import DigestTick
from common.settings import Settings
from common.timekeys import published_at
from functions.notify import store
from functions.notify.invocation import Invocation, order, receivers_trouble, webhook_answered

logger = log.get_logger(__name__)

TIMEOUT_S = 300  # the function's timeout in terraform (functions.tf; an agreement test checks)


@dataclass
class Result:
    sent: list[str] = field(default_factory=list)  # delivery ids of the digests sent
    skipped: int = 0  # sent before: a redelivered tick
    held: int = 0  # digests carried past the user's quiet hours
    failed: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # older hours' failures: the next sweep's


def send_digests(
    tick: DigestTick, *, settings: Settings, db: firestore.Client, channels: Channels, published: float | None = None
) -> Result:
    """``published``: the tick's Pub/Sub publish time, which names the hours due (see
    :func:`common.notify.hours_due`); without it, the clock's."""
    result = Result()
    run = Invocation.of(channels.clock(), TIMEOUT_S, published)
    hours = rules.hours_due(tick.hour, published, run.now)
    # older hours whose digests are still open, or closed and not settled
    stale = {} if tick.hour else store.unfinished_digests(db, before=hours[0], now=run.now)

    def one(job: tuple[str, str]) -> Result:
        user_id, hour = job
        mine = Result()
        try:
            run.check_time()
            _send_user(user_id, hour, settings, db, channels, run, mine, swept=hour in stale)
        except (DeliveryFailed, store.Busy) as exc:
            mine.failed.append(f"{user_id}/{hour}: {exc}")
        except Exception as exc:  # one user's trouble (a Firestore error, a bad document) must not
            # cancel the digests queued behind it: logged, and the tick still fails
            logger.exception("digest of %s for %s failed", user_id, hour)
            mine.failed.append(f"{user_id}/{hour}: {type(exc).__name__}: {exc}")
        return mine

    for hour in [*stale, *hours]:  # oldest first: an hour's digests go out before the next hour's
        users = stale[hour] if hour in stale else store.digests_of(db, hour)
        jobs = [
            (user_id, hour) for user_id in order(users, ident=str, failing=lambda _: False, seed=f"{hour}|{run.now}")
        ]
        # Side by side, as notify sends: a receiver that never answers holds its own digest
        # for its attempts, not every user's after it until the tick's deadline.
        with ThreadPoolExecutor(max_workers=max(1, min(settings.notify_concurrency, len(jobs)))) as pool:
            for mine in pool.map(log.carried(one), jobs):
                result.sent += mine.sent
                result.skipped += mine.skipped
                result.held += mine.held
                if hour in stale:
                    result.deferred += mine.failed
                else:
                    result.failed += mine.failed
    logger.info(
        "sent %d digests",
        len(result.sent),
        extra={
            "json_fields": {
                "hours": [*stale, *hours],
                "sent": result.sent,
                "skipped": result.skipped,
                "held": result.held,
                "failed": result.failed,
                "deferred": result.deferred,
            }
        },
    )
    if result.deferred:
        logger.warning("%d digests of older hours failed; the next tick tries them again", len(result.deferred))
    if result.failed:
        raise DeliveryFailed("; ".join(result.failed))
    return result


def _send_user(  # noqa: PLR0917 - one user's digest and its whole context
    user_id: str,
    hour: str,
    settings: Settings,
    db: firestore.Client,
    channels: Channels,
    run: Invocation,
    result: Result,
    *,
    swept: bool = False,
) -> None:
    """``swept``: an hour older than the ticks look back on, found unsettled."""
    user = store.user(db, user_id) or {}  # a deleted user's digest is closed, and nothing sent
    if rules.suspended(user, run.now):  # so is a suspended one's: no alert of the suspension waits for its end
        user = {}
    try:
        held = bool(user) and rules.quiet(user, datetime.fromtimestamp(run.now, UTC).hour)
        wanted = rules.channels(user) if user else []
    except ValidationError as exc:
        # left open: sent by the first tick after the settings (or the code reading them) are
        # fixed, while it lasts; until then each tick's sweep says so once more
        logger.error(
            "notification settings of %s do not validate; digest of %s waits: %s", user_id, hour, problems(exc)
        )
        return
    # Closed, it stays closed until every channel is settled: a crash or a failure from here
    # on leaves it for this tick's redelivery, or a later tick's sweep.
    entries = store.close_digest(db, user_id, hour)
    if entries is None:  # carried to the digest that ends the quiet hours it fell due in, or done
        return
    failed = len(result.failed)
    _send_closed(user_id, user, hour, entries, held, wanted, settings, db, channels, run, result, swept=swept)
    if not held and len(result.failed) == failed:
        store.finish_digest(db, user_id, hour)


def _send_closed(  # noqa: PLR0917 - one user's closed digest and its whole context
    user_id: str,
    user: dict[str, Any],
    hour: str,
    entries: list[dict[str, Any]],
    held: bool,
    wanted: list[rules.Channel],
    settings: Settings,
    db: firestore.Client,
    channels: Channels,
    run: Invocation,
    result: Result,
    *,
    swept: bool,
) -> None:
    """A closed digest's channels sent, or carried past the quiet hours."""
    if held:  # quiet hours: the entries wait in the digest of their last hour, sent after them
        now = run.now
        target = max(rules.last_quiet_hour(user, now), rules.next_hour(hour))
        _carry(user_id, hour, target, {str(e.get("channel")) for e in entries}, db, channels, now)
        result.held += 1
        return
    # matched again now: since an entry was recorded (hours ago, in quiet hours), the user may
    # have dropped its ticker or kind; only the entries still sent name the window's start
    entries = [e for e in entries if rules.still_wanted(user, e)]
    for channel in wanted:
        # each event with the id its own message would carry in Akleao-Delivery: one sent alone,
        # its sender dead before marking it, and then digested (quiet hours, the hourly cap) is
        # dropped by a receiver that has it
        bodies = [
            {**e["body"], "delivery": str(e.get("id") or "")}
            for e in entries
            if e.get("channel") == channel and isinstance(e.get("body"), dict)
        ]
        if not bodies:
            continue
        delivery_id = _digest_id(user_id, hour, channel)
        claim = store.claim(db, delivery_id, channels.clock())
        if claim is None:
            result.skipped += 1
            continue
        try:
            first = min([str(e.get("hour") or hour) for e in entries if e.get("channel") == channel] + [hour])
            body = rules.digest_payload(hour, bodies, settings.app_url, since=first)
            job = _Job(user_id, user, hour, channel, delivery_id, claim, body, swept)
            _send_claimed(job, settings, db, channels, run, result)
        except Exception as exc:
            # unsettled, the claim would hold the digest "busy" for its whole lease: let the
            # redelivered tick try it at once (suppressed: the store may be what failed)
            with contextlib.suppress(Exception):
                store.fail(db, claim, f"{type(exc).__name__}: {exc}"[:300])
            raise


def _carry(  # noqa: PLR0917 - one user's closed digest and where it goes
    user_id: str, hour: str, target: str, named: set[str], db: firestore.Client, channels: Channels, now: float
) -> None:
    """Carry a closed digest past the quiet hours, less the channels it went out on before
    (an earlier tick). Each channel is claimed, not only read, and settled ``carried`` in the
    carry's own transaction: a second copy of the tick that closed the same digest outside
    the quiet hours (a redelivery straddling their start) then finds it taken and does not
    send what the later digest will, whatever fails when. One that copy is sending right now
    makes this tick wait (store.Busy)."""
    gone: set[str] = set()
    held: list[store.Claim] = []
    try:
        for channel in sorted(named):
            claim = store.claim(db, _digest_id(user_id, hour, channel), channels.clock())
            if claim is None:
                gone.add(channel)
            else:
                held.append(claim)
        store.carry_digest(db, user_id, hour, target, gone, now, held)
    except Exception as exc:
        # released at once, not after their lease: the redelivery decides again (a carry that
        # committed though its answer was lost settled them carried: failing leaves those)
        for claim in held:
            with contextlib.suppress(Exception):
                store.fail(db, claim, f"{type(exc).__name__}: {exc}"[:300])
        raise
    for claim in held:  # carried before by another copy: the transaction left these unsettled
        with contextlib.suppress(Exception):
            store.finish(db, claim, store.CARRIED)


@dataclass(frozen=True)
class _Job:
    """One user's digest of one hour on one channel, claimed."""

    user_id: str
    user: dict[str, Any]
    hour: str
    channel: str
    delivery_id: str
    claim: store.Claim
    body: dict[str, Any]
    swept: bool = False  # an older hour, found by this tick: its give-up counts from its first try


def _send_claimed(  # noqa: PLR0917 - one claimed digest and the invocation it is part of
    job: _Job, settings: Settings, db: firestore.Client, channels: Channels, run: Invocation, result: Result
) -> None:
    user_id, channel, delivery_id, claim = job.user_id, job.channel, job.delivery_id, job.claim
    began = channels.clock()
    try:
        if channel == "email":
            run.check_relay()
        _send(user_id, job.user, channel, job.body, delivery_id, settings, channels)
    except Refused as exc:
        store.finish(db, claim, "refused", reason=str(exc)[:300])
        _count_failure(db, user_id, channel, delivery_id, exc, settings, channels.clock())
        logger.warning("%s of %s refused digest %s: %s", channel, user_id, delivery_id, exc)
        return
    except DeliveryFailed as exc:  # this channel is retried with the tick; the others go on
        if isinstance(exc, RelayDown):
            run.relay_failed()
        since = None if job.swept else run.published  # a swept hour is not the sweeping tick's to time
        trouble = receivers_trouble(exc, channel, began, proven_before=claim.silent_among_answers)
        abandon = trouble and claim.given_up(channels.clock(), since)
        marks = store.failure_marks(trouble, said_so=isinstance(exc, ReceiverFailing))
        store.finish(db, claim, "abandoned" if abandon else "failed", reason=str(exc)[:300], **marks)
        _count_failure(db, user_id, channel, delivery_id, exc, settings, channels.clock())
        if abandon:
            logger.error("gave up digest %s after %d attempts: %s", delivery_id, claim.attempt, exc)
        else:
            result.failed.append(f"{user_id}/{job.hour}/{channel}: {exc}")
        return
    if channel == "email":
        run.relay_took()
    store.settle_sent(db, claim, attempt=claim.attempt, events=len(job.body.get("events") or ()))
    result.sent.append(delivery_id)
    try:
        if channel == "webhook":
            webhook_answered(200, channels.clock())
            store.webhook_succeeded(db, user_id, job.user)
    except Exception as exc:  # bookkeeping only: the digest is out, nothing may mark it failed now
        logger.warning("after sending %s, bookkeeping failed: %s", delivery_id, exc)


def _digest_id(user_id: str, hour: str, channel: str) -> str:
    return f"digest|{user_id}|{hour}|{channel}"


def _count_failure(  # noqa: PLR0917 - one failed digest's whole identity
    db: firestore.Client, user_id: str, channel: str, delivery_id: str, exc: Exception, settings: Settings, now: float
) -> None:
    """A failed or refused webhook counts towards disabling it (email has no such count)."""
    if channel == "webhook":
        webhook_answered(exc.status if isinstance(exc, Refused | DeliveryFailed) else None, now)
        theirs = isinstance(exc, Refused | ReceiverFailing)
        store.webhook_failed(db, user_id, delivery_id, str(exc), store.disable_policy(settings), now, theirs)


def _send(  # noqa: PLR0917 - one digest on one channel
    user_id: str,
    user: dict[str, Any],
    channel: str,
    body: dict[str, Any],
    delivery_id: str,
    settings: Settings,
    channels: Channels,
) -> None:
    if channel == "webhook":
        url, secret = str(rules.settings_of(user).webhook_url), str(user["webhook_secret"])
        previous = rules.previous_secrets(user, channels.clock())
        channels.webhook(url, secret, rules.body_bytes(body), delivery_id=delivery_id, previous_secrets=previous)
        return
    unsubscribe = rules.unsubscribe_links(
        settings.notify_signing_key.get_secret_value(), user_id, api_url=settings.api_url, app_url=settings.app_url
    )
    try:
        envelope = rules.Envelope(str(user["email"]), settings.smtp_from, unsubscribe, delivery_id, channels.clock())
        email = rules.digest_email(body, envelope)
    except ValueError as exc:  # an address no message can carry (a line break): no retry helps
        raise Refused(f"email: the stored address cannot be written into a message: {exc}", None) from exc
    channels.email(email)


def _process(tick: DigestTick, delivery: Delivery, settings: Settings) -> None:
    db, channels = fs.get_client(settings.project_id), Channels(settings)
    send_digests(tick, settings=settings, db=db, channels=channels, published=published_at(delivery.publish_time))


notify_digest = pubsub_function("notify_digest", DigestTick, _process)
