"""notify's Firestore documents: who might hear of an alert, and one record per delivery.

``deliveries/{user|alert|level|status|channel}`` is the idempotency key: created (create
precondition) with a short lease before anything is sent, marked ``sent`` after, so a
redelivered event or a concurrent copy never sends twice; a delivery whose sender died
mid-way is taken over once its lease expires. ``users/{id}/sent/{channel}-{hour}`` counts
what a user was sent per hour, against their cap.

``digests/{user|hour}`` gathers the events a user gets once an hour (digest mode, and what
went over the hourly cap): one entry per delivery id in its ``digest_entries``, created with
a create precondition, so a redelivered event is recorded once. The digest sender closes the
document before reading its entries; an event that finds its hour closed goes to the next,
and an entry is written only if its digest is still as it was read open. A closed digest is
``sending`` until every channel it has is settled, then ``done``; one left sending (its tick
crashed, or a channel failed) is found again by a later tick's sweep.
"""

import contextlib
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from common import log
from common import notify as rules
from common.adapters import firestore as fs
from common.settings import Settings

logger = log.get_logger(__name__)
LEASE_S = 120.0  # longer than one delivery's retries take
# A delivery whose receiver keeps failing it (channels.ReceiverFailing: it answered 5xx, refused
# the connection, a full mailbox) this long after its event was published is given up:
# settled "abandoned", with an ERROR line. One user's full mailbox or dead receiver must not
# hold every event that matches them until Pub/Sub dead-letters it and pages; a failure that
# may be ours (no answer, the relay down) is never given up. Short enough that the two
# redeliveries after it (600 s apart at most: a receiver first failing after it is tried once
# more) come within Pub/Sub's retries (terraform: at least 19 attempts, 10 s doubling to
# 600 s, over 2 hours) and before the notify backlog page (2 hours): an agreement test checks.
GIVE_UP_S = 5400.0


SILENT = "silent_among_answers"  # deliveries/: see Claim
RECEIVER_FAILED = "receiver_failed"  # deliveries/: an attempt failed as the receiver's own trouble


class Busy(RuntimeError):
    """Another copy of the event is sending this delivery right now: retry the event later."""


class DigestContended(Busy):
    """No open digest took the entry within the tries (its writers kept racing, or every
    hour within reach was closed): retry the event later. Unlike :class:`Busy` the claim is
    still ours, and is to be settled ``failed``, not left leased."""


@dataclass(frozen=True)
class Claim:
    ref: firestore.DocumentReference
    attempt: int
    updated: Any  # the claim's write time: finishing is conditional on nobody taking over since
    digest_hour: str | None = None  # the digest an earlier attempt put it in (remember_digest)
    first_tried: float | None = None  # when its first attempt claimed it
    # an earlier attempt's webhook gave no answer while others answered (invocation.Egress):
    # a redelivery may give it up on that, though nothing else answers on its instance then
    silent_among_answers: bool = False
    receiver_failed_before: bool = False  # an earlier attempt failed as the receiver's own trouble

    def given_up(self, now: float, since: float | None = None) -> bool:
        """Whether a receiver's failure now ends the delivery: :data:`GIVE_UP_S` have passed,
        counted from ``since`` (the event's publish time: Pub/Sub's retries and the backlog
        page count from it), else from the delivery's first try, and an earlier attempt failed
        as the receiver's too. A late first try (after an outage of ours) meeting one 429 or
        full mailbox is retried once more, not lost on it."""
        origin = since if since is not None else self.first_tried
        return self.receiver_failed_before and origin is not None and now - origin >= GIVE_UP_S


# A delivery in one of these states is never sent again ("digested": it went in the digest;
# "suppressed": over the cap before digests existed; "carried": a digest channel a quiet-hours
# tick passed to a later digest, which sends it).
DONE = frozenset({"sent", "suppressed", "refused", "digested", "abandoned", "carried"})


def candidates(db: firestore.Client, ticker: str) -> dict[str, dict[str, Any]]:
    """Users who may want ``ticker``'s alert and asked for messages at all (most accounts
    keep the defaults: every alert, no channel): those watching it, and those who take every
    alert (not watchlist-only). Equalities and one array filter, which Firestore serves from
    its single-field indexes."""
    users = db.collection(fs.USERS)
    receives = FieldFilter(rules.RECEIVES, "==", True)
    watching = fs.indexed(users.where(filter=FieldFilter("watchlist", "array_contains", ticker)).where(filter=receives))
    everything = fs.indexed(
        users.where(filter=FieldFilter("preferences.watchlist_only", "==", False)).where(filter=receives)
    )
    out: dict[str, dict[str, Any]] = {}
    for query in (watching, everything):
        for snap in query.stream():
            out[snap.id] = snap.to_dict() or {}
    return out


def claim(db: firestore.Client, delivery_id: str, now: float) -> Claim | None:
    """The right to send this delivery, or None when it was settled before (sent,
    suppressed, or refused by the receiver)."""
    ref = db.collection(fs.DELIVERIES).document(delivery_id)
    lease = {"status": "sending", "lease_until": now + LEASE_S, "expires_at": _expiry(now)}
    try:
        written = ref.create({**lease, "attempts": 1, "first_tried_at": now})
        return Claim(ref, 1, written.update_time, first_tried=now)
    except gexc.AlreadyExists:
        pass
    snap = ref.get()
    doc = snap.to_dict() or {}
    if doc.get("status") in DONE:
        return None
    if doc.get("status") == "sending" and float(doc.get("lease_until") or 0.0) > now:
        raise Busy(f"delivery {delivery_id} is being sent by another copy")
    attempt = int(doc.get("attempts") or 0) + 1
    stored = doc.get("first_tried_at")
    first = float(stored) if isinstance(stored, int | float) else now  # a record from before it was kept
    try:
        written = ref.update(
            {**lease, "attempts": attempt, "first_tried_at": first},
            option=db.write_option(last_update_time=snap.update_time),
        )
    except (gexc.FailedPrecondition, gexc.NotFound) as exc:
        raise Busy(f"delivery {delivery_id} was taken by another copy") from exc
    silent = doc.get(SILENT) is True
    receivers = silent or doc.get(RECEIVER_FAILED) is True
    return Claim(ref, attempt, written.update_time, doc.get("digest_hour"), first, silent, receivers)


def remember_digest(db: firestore.Client, claim: Claim, hour: str) -> tuple[Claim, str]:
    """The digest hour this delivery goes to: the one an earlier attempt chose, else ``hour``,
    written on the delivery before the entry is. A redelivery in a later hour must look for
    its entry where that attempt put it, not record it again in its own hour's digest."""
    if claim.digest_hour:
        return claim, claim.digest_hour
    try:
        written = claim.ref.update({"digest_hour": hour}, option=db.write_option(last_update_time=claim.updated))
    except (gexc.FailedPrecondition, gexc.NotFound) as exc:
        raise Busy(f"delivery {claim.ref.id} was taken by another copy") from exc
    return replace(claim, updated=written.update_time, digest_hour=hour), hour


def failure_marks(trouble: bool, *, said_so: bool) -> dict[str, bool]:
    """What a failed attempt leaves on its delivery for the next: whether the receiver was
    silent while others answered (``trouble`` it did not say itself), and that the receiver
    failed at all, a mark never taken back (a later attempt failing as ours does not undo it)."""
    marks = {SILENT: trouble and not said_so}
    if trouble:
        marks[RECEIVER_FAILED] = True
    return marks


def finish(db: firestore.Client, claim: Claim, status: str, **fields: Any) -> bool:
    """Settle the delivery, unless another copy took it over after our lease ran out (then
    its outcome stands, and ours is dropped rather than written over it)."""
    try:
        claim.ref.update(
            {"status": status, "finished_at": firestore.SERVER_TIMESTAMP, **fields},
            option=db.write_option(last_update_time=claim.updated),
        )
    except (gexc.FailedPrecondition, gexc.NotFound):
        return False
    return True


def settle_sent(db: firestore.Client, claim: Claim, **fields: Any) -> None:
    """Mark a sent delivery ``sent``. Once the message is out nothing may write ``failed`` over
    it (a redelivery would send it again at once): a mark that cannot be written is logged and
    left, its lease held, and the message counts as sent (only a redelivery after the lease,
    for another delivery's sake, could send it again)."""
    try:
        marked = finish(db, claim, "sent", **fields)
    except Exception as exc:  # a RetryError is no GoogleAPICallError: whatever it is, the message is out
        logger.error("%s was sent but could not be marked sent: %r", claim.ref.id, exc)
        return
    if not marked:  # our lease ran out while sending: another copy took the delivery, and may send it too
        logger.warning("%s was sent after another copy took it over: it may arrive twice", claim.ref.id)


def fail(db: firestore.Client, claim: Claim, reason: str) -> None:
    """Settle our claim ``failed`` after an error, so a redelivery may try it at once rather
    than wait out the lease, even when our own later write (:func:`remember_digest`) moved
    its update time past the claim's; a claim another copy took over since (a later attempt)
    is left to it."""
    if finish(db, claim, "failed", reason=reason):
        return
    snap = claim.ref.get()
    doc = snap.to_dict() or {}
    if snap.exists and doc.get("status") == "sending" and int(doc.get("attempts") or 0) == claim.attempt:
        finish(db, replace(claim, updated=snap.update_time), "failed", reason=reason)


def sent_this_hour(db: firestore.Client, user_id: str, channel: str, hour: str) -> int:
    snap = _counter(db, user_id, channel, hour).get()
    return int((snap.to_dict() or {}).get("count") or 0) if snap.exists else 0


def count_sent(db: firestore.Client, user_id: str, channel: str, hour: str, now: float) -> None:
    _counter(db, user_id, channel, hour).set({"count": firestore.Increment(1), "expires_at": _expiry(now)}, merge=True)


# A failure this long after the run's previous one starts a new run: with no delivery in
# between to say otherwise, the receiver may have been fine all along (one refusal two days
# ago and a burst during a three-minute outage now are not a dead webhook).
FAILURE_GAP_S = 86400.0


@dataclass(frozen=True)
class DisablePolicy:
    """When failed deliveries disable a webhook: ``after`` of them in a row, over ``span_s``
    since the first when any was the receiver's own doing (an error answer, a refused
    connection), else over ``unanswered_s``: a failure that may be ours (no answer in time, a
    name that does not resolve, a certificate our trust store rejects) is also what an outage
    of ours does to every webhook at once, and an hour of it must not disable them all."""

    after: int
    span_s: float
    unanswered_s: float


def disable_policy(settings: Settings) -> DisablePolicy:
    return DisablePolicy(
        settings.webhook_disable_after, settings.webhook_disable_after_s, settings.webhook_disable_unanswered_after_s
    )


def webhook_failed(  # noqa: PLR0917 - one failed delivery and the policy it meets
    db: firestore.Client, user_id: str, delivery_id: str, reason: str, policy: DisablePolicy, now: float, theirs: bool
) -> bool:
    """Count a failed webhook delivery; True when this one disables the webhook: at least
    ``policy.after`` deliveries in a row failed, over the policy's span since the first of
    the run (:data:`FAILURE_GAP_S` apart at most). Deliveries are counted, not attempts: an
    event Pub/Sub redelivers fails the same delivery again, and a receiver down for a few
    minutes must be disabled neither by one alert's retries nor by a burst of alerts. In a
    transaction, so a success written meanwhile is never overwritten by a run it ended."""
    ref = db.collection(fs.USERS).document(user_id)

    @firestore.transactional
    def count(transaction: firestore.Transaction) -> bool:
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists:  # the account was deleted meanwhile: nothing to count, nothing to make again
            return False
        doc = snapshot.to_dict() or {}
        failed = [str(i) for i in doc.get(fs.WEBHOOK_FAILED) or ()]
        raw_since, raw_last = doc.get(fs.WEBHOOK_FAILING_SINCE), doc.get(fs.WEBHOOK_LAST_FAILURE)
        since = float(raw_since) if isinstance(raw_since, int | float) else now
        last = float(raw_last) if isinstance(raw_last, int | float) else since  # a run begun before it was kept
        theirs_before = doc.get(fs.WEBHOOK_FAILING_THEIRS, True) is not False  # runs before the field: as they were
        if not failed or not isinstance(raw_since, int | float) or now - last > FAILURE_GAP_S:  # a new run
            failed, since, last, theirs_before = [], now, now, False
        if delivery_id not in failed:
            failed.append(delivery_id)
        receivers = theirs_before or theirs
        span = policy.span_s if receivers else max(policy.span_s, policy.unanswered_s)
        disable = len(failed) >= policy.after and now - since >= span
        changes: dict[str, Any] = {
            fs.WEBHOOK_FAILED: failed,
            fs.WEBHOOK_FAILING_SINCE: since,
            fs.WEBHOOK_LAST_FAILURE: max(now, last),
            fs.WEBHOOK_FAILING_THEIRS: receivers,
            "webhook_failures": len(failed),
            "webhook_last_error": reason[:300],
        }
        if disable:
            changes |= {"webhook_disabled": True, "webhook_disabled_reason": reason[:300]}
        transaction.set(ref, changes, merge=True)
        return disable

    try:
        return bool(count(db.transaction()))
    except (ValueError, gexc.GoogleAPIError) as exc:
        if isinstance(exc, ValueError) and not isinstance(exc.__cause__, gexc.Aborted):
            raise  # not the transaction's contention past its retries: a bug to see
        logger.warning("failed webhook delivery of %s not counted: %s", user_id, exc)  # bookkeeping only
        return False


def webhook_succeeded(db: firestore.Client, user_id: str, user: Mapping[str, Any] | None = None) -> None:
    """An update: an account deleted while its delivery was out is not made again. None when
    ``user`` (the account as this delivery read it) shows no failure to clear: a burst of
    alerts would otherwise write one document from every thread on every instance, beside
    the API's conditional save of the same settings. A failure another delivery records
    after that read is cleared by the next success that reads it."""
    if user is not None and not any(user.get(name) for name in _FAILURE_FIELDS):
        return
    with contextlib.suppress(gexc.NotFound):
        db.collection(fs.USERS).document(user_id).update(fs.WEBHOOK_HEALTHY)


_FAILURE_FIELDS = ("webhook_failures", fs.WEBHOOK_FAILED, fs.WEBHOOK_FAILING_SINCE)


def _counter(db: firestore.Client, user_id: str, channel: str, hour: str) -> firestore.DocumentReference:
    ref: firestore.DocumentReference = (
        db.collection(fs.USERS).document(user_id).collection(fs.SENT).document(f"{channel}-{hour}")
    )
    return ref


def _expiry(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC) + fs.REDELIVERY_TTL


def add_to_digest(  # noqa: PLR0917 - one entry's whole identity
    db: firestore.Client,
    user_id: str,
    hour: str,
    delivery_id: str,
    channel: str,
    body: dict[str, Any],
    now: float,
    first_hour: str | None = None,
    *,
    match: Mapping[str, Any] | None = None,
) -> bool:
    """Record one event in the user's digest of ``hour`` (or of the first later hour whose
    digest is still open); False when it was recorded before (a redelivery). ``first_hour``:
    the hour it was first recorded for (a carried entry's), else ``hour``. ``match``: what
    matching read (common.notify.match_facts), so the digest is matched again when sent.

    The entry is written together with a touch of the digest, on condition that the digest
    is unchanged since it was read open: a tick closing it in between (close_digest reads
    the entries only after closing) fails the write, and the entry goes to the next hour
    instead of into a digest already sent."""
    first_hour = first_hour or hour
    digests = db.collection(fs.DIGESTS)
    hours = lost = 0
    for _ in range(_DIGEST_TRIES):
        ref = digests.document(f"{user_id}|{hour}")
        entry = ref.collection(fs.DIGEST_ENTRIES).document(delivery_id)
        snap = ref.get()
        if not snap.exists:
            with contextlib.suppress(gexc.AlreadyExists):
                ref.create({"user_id": user_id, "hour": hour, "status": "open", "expires_at": _expiry(now)})
            continue  # read it back: its update time guards the entry's write
        if (snap.to_dict() or {}).get("status") != "open":
            if entry.get().exists:
                return False  # recorded before this digest closed
            hours += 1
            if hours > _DIGEST_HOURS:
                break
            hour = rules.next_hour(hour)
            continue
        batch = db.batch()
        fields = {"channel": channel, "body": body, "hour": first_hour, "expires_at": _expiry(now)}
        batch.create(entry, fields | ({"match": dict(match)} if match is not None else {}))
        batch.update(
            ref, {"entries": firestore.Increment(1)}, option=db.write_option(last_update_time=snap.update_time)
        )
        try:
            batch.commit()
        except gexc.AlreadyExists:
            return False
        except gexc.FailedPrecondition:
            # the digest changed since it was read (closed, or another entry of this user's,
            # say the other channel's): read again, after a pause that spreads the writers out
            lost += 1
            time.sleep(random.uniform(0.0, 0.02 * min(lost, 10)))
            continue
        return True
    raise DigestContended(f"no open digest for {user_id} from {first_hour} on (after {_DIGEST_TRIES} tries)")


_DIGEST_HOURS = 24  # how far an event may be pushed past closed digests
_DIGEST_TRIES = 60  # reads of digests, for those hours and for writes lost to a concurrent one


# A closed digest is "sending" until every channel it has is settled, then "done". The release
# before wrote "closed" for both, so a "closed" one is settled or not: the sweep leaves those
# (the query never meets them), the ticks' own hours treat them as unsettled.
SENDING, DONE_DIGEST, LEGACY_CLOSED = "sending", "done", "closed"
EXPIRED = "expired"  # open or sending past its expiry, unsent: what the TTL deletes next


def digests_of(db: firestore.Client, hour: str) -> list[str]:
    """The user ids whose digest for ``hour`` is not settled yet: open, or closed with a
    channel perhaps unsent."""
    query = db.collection(fs.DIGESTS).where(filter=FieldFilter("hour", "==", hour))
    docs = (snap.to_dict() or {} for snap in query.stream())
    return sorted(str(doc.get("user_id")) for doc in docs if doc.get("status") in {"open", SENDING, LEGACY_CLOSED})


def unfinished_digests(db: firestore.Client, before: str, now: float) -> dict[str, list[str]]:
    """The digests of hours before ``before`` that are still to send, as hour -> user ids:
    open ones (ticks that never ran, Cloud Scheduler down longer than a tick looks back; an
    event replayed after its hour's ticks), and closed ones their tick left unsettled (it
    crashed, or a channel failed). Their entries are marked digested, so nothing but a later
    tick sends them. Left out: a digest past its ``expires_at`` (the TTL deletes its entries
    and delivery records in no set order: what is left of it could go out twice), which is
    marked ``expired`` with an ERROR line, once: a digest nobody was sent."""
    query = fs.indexed(
        db.collection(fs.DIGESTS)
        .where(filter=FieldFilter("status", "in", ["open", SENDING]))
        .where(filter=FieldFilter("hour", "<", before))
    )
    found: dict[str, list[str]] = {}
    for snap in query.stream():
        doc = snap.to_dict() or {}
        expires = doc.get("expires_at")
        if isinstance(expires, datetime) and expires.timestamp() <= now:
            _expired(snap.reference, doc)
            continue
        found.setdefault(str(doc.get("hour")), []).append(str(doc.get("user_id")))
    return {hour: sorted(users) for hour, users in sorted(found.items())}


def _expired(ref: firestore.DocumentReference, doc: Mapping[str, Any]) -> None:
    logger.error(
        "digest of %s for %s expired unsent (%s)",
        doc.get("user_id"),
        doc.get("hour"),
        doc.get("status"),
        extra={"json_fields": {"user_id": doc.get("user_id"), "hour": doc.get("hour"), "status": doc.get("status")}},
    )
    with contextlib.suppress(gexc.GoogleAPIError):  # said; the next sweep says it again
        ref.update({"status": EXPIRED})


def close_digest(db: firestore.Client, user_id: str, hour: str) -> list[dict[str, Any]] | None:
    """Close the user's digest of ``hour`` (later events go to the next hour) and return its
    entries, with those of the digests carried into it: ``{"channel", "body", "hour", "id"}``
    each; None when it was itself carried to a later digest (quiet hours), which sends them,
    or is done."""
    ref = db.collection(fs.DIGESTS).document(f"{user_id}|{hour}")

    # In one transaction: a second copy of the tick closing after the first carried the
    # digest must see it carried, not mark it closed again and carry it a second time
    # without the channels it had sent (``gone``), which would send them twice.
    @firestore.transactional
    def close(transaction: firestore.Transaction) -> bool:
        if (ref.get(transaction=transaction).to_dict() or {}).get("status") in {CARRIED, DONE_DIGEST}:
            return False
        transaction.set(ref, {"status": SENDING}, merge=True)
        return True

    if not bool(close(db.transaction())):
        return None
    return _entries(db, user_id, hour, set())


def finish_digest(db: firestore.Client, user_id: str, hour: str) -> None:
    """Mark the user's closed digest of ``hour`` done: every channel it has is settled, so no
    tick reads it again."""
    ref = db.collection(fs.DIGESTS).document(f"{user_id}|{hour}")

    @firestore.transactional
    def finish(transaction: firestore.Transaction) -> None:
        if (ref.get(transaction=transaction).to_dict() or {}).get("status") in {SENDING, LEGACY_CLOSED}:
            transaction.update(ref, {"status": DONE_DIGEST})

    finish(db.transaction())


def _entries(db: firestore.Client, user_id: str, hour: str, seen: set[str]) -> list[dict[str, Any]]:
    """The digest's own entries and those of every digest carried into it (and into those),
    less the channels it had already sent itself (``gone``, a carried digest's); one entry
    per delivery id. Each digest document is read once."""
    seen.add(hour)
    ref = db.collection(fs.DIGESTS).document(f"{user_id}|{hour}")
    doc = ref.get().to_dict() or {}
    out = {e.id: {**(e.to_dict() or {}), "id": e.id} for e in ref.collection(fs.DIGEST_ENTRIES).stream()}
    for entry in out.values():
        entry.setdefault("hour", hour)
    for source in sorted(str(h) for h in doc.get("carried_from") or []):
        if source not in seen:
            for entry in _entries(db, user_id, source, seen):
                out.setdefault(str(entry["id"]), entry)
    gone = set(doc.get("gone") or [])
    return [e for e in out.values() if str(e.get("channel")) not in gone]


CARRIED = "carried"  # a digest whose entries went to a later one: never sent itself


def carry_digest(  # noqa: PLR0917 - the carry's whole identity
    db: firestore.Client,
    user_id: str,
    hour: str,
    target: str,
    gone: set[str],
    now: float,
    claims: Sequence[Claim] = (),
) -> str:
    """Carry the user's digest of ``hour`` to the first open digest from ``target`` on, less
    the channels in ``gone`` (sent before); returns the hour it went to. One transaction marks
    the source carried, names it in the target's ``carried_from`` and settles ``claims`` (the
    channels carried) ``carried``, so a crash, an answer lost or a second copy of the tick
    carries it once or not at all, however many entries it holds (they stay where they are
    and are read when the target closes), and no copy can send a channel it carried. A claim
    another copy took over after its lease raises :class:`Busy`, nothing written."""
    digests = db.collection(fs.DIGESTS)
    source = digests.document(f"{user_id}|{hour}")

    @firestore.transactional
    def carry(transaction: firestore.Transaction) -> str:
        held = (
            {s.reference.path: s for s in db.get_all([c.ref for c in claims], transaction=transaction)}
            if claims
            else {}
        )
        for claim in claims:
            doc = held[claim.ref.path].to_dict() or {}
            if doc.get("status") != "sending" or int(doc.get("attempts") or 0) != claim.attempt:
                raise Busy(f"delivery {claim.ref.id} was taken by another copy")
        doc = source.get(transaction=transaction).to_dict() or {}
        if doc.get("status") == CARRIED:
            return str(doc.get("carried_to"))
        if doc.get("status") == DONE_DIGEST:  # another copy of the tick settled it meanwhile
            return hour
        at = target
        for _ in range(_DIGEST_HOURS):
            ref = digests.document(f"{user_id}|{at}")
            snap = ref.get(transaction=transaction)
            if snap.exists and (snap.to_dict() or {}).get("status") != "open":
                at = rules.next_hour(at)
                continue
            if snap.exists:
                transaction.update(ref, {"carried_from": firestore.ArrayUnion([hour])})
            else:
                opened = {"user_id": user_id, "hour": at, "status": "open", "expires_at": _expiry(now)}
                transaction.create(ref, {**opened, "carried_from": [hour]})
            # the source outlives the target it waits in: read when the target is sent
            transaction.set(
                source,
                {"status": CARRIED, "carried_to": at, "gone": sorted(gone), "expires_at": _expiry(now)},
                merge=True,
            )
            for claim in claims:
                transaction.update(claim.ref, {"status": CARRIED, "finished_at": firestore.SERVER_TIMESTAMP})
            return at
        raise DigestContended(f"no open digest for {user_id} within a day of {target}")

    return str(carry(db.transaction()))


def user(db: firestore.Client, user_id: str) -> dict[str, Any] | None:
    snap = db.collection(fs.USERS).document(user_id).get()
    return (snap.to_dict() or {}) if snap.exists else None
