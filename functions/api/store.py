"""What the API reads and writes in Firestore, following docs/data-model.md: users (ours),
alerts and tickers (the detector's and aggregator's), config/detection (ours, read by
detect). One place to change a query."""

import base64
import binascii
import contextlib
import hashlib
import heapq
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.field_path import FieldPath

from common import notify
from common.adapters import firestore as fs
from common.detection.engine import StoredCrowd
from common.detection_config import DetectionConfig, in_force
from common.feedback import VERDICTS, AlertVerdicts, Tally, Verdict, counter_changes
from common.metrics import BUCKET_FIELDS
from common.timekeys import hour_key, hour_start
from functions.api.auth import Principal
from functions.api.errors import ApiError

DESC = firestore.Query.DESCENDING


def _new_account() -> dict[str, Any]:
    """What every new ``users/{sub}`` starts with, whoever makes it (its first request, or an
    admin's suspension before any)."""
    return {"created_at": firestore.SERVER_TIMESTAMP, "preferences": notify.default_preferences(), "watchlist": []}


# The issue time of the token whose word on the address was written last: a token issued
# before it (an old tab's, valid for minutes more) never writes the address again.
EMAIL_SAID_AT = "email_said_at"


def _issued(principal: Principal) -> float | None:
    iat = principal.claims.get("iat")
    return float(iat) if isinstance(iat, int | float) and not isinstance(iat, bool) else None


def _signed_in(principal: Principal) -> float | None:
    """When the session the token came from began (the web app's ``auth_time``), else when
    the token was issued. The web app mints tokens from a session at any time: one minted a
    minute after a deletion, from a session begun before it, is still from before it."""
    began = principal.claims.get("auth_time")
    if isinstance(began, int | float) and not isinstance(began, bool):
        return float(began)
    return _issued(principal)


def _ban(tombstone: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ban a deleted account's tombstone keeps, if any."""
    kept = (tombstone or {}).get("suspended")
    return kept if isinstance(kept, dict) else None


def _ban_ends(suspension: dict[str, Any]) -> datetime:
    """When a ban ends, as a tombstone's ``expires_at`` keeps it (a ban until lifted: never)."""
    until = suspension.get("until")
    return datetime.fromtimestamp(until, UTC) if isinstance(until, int | float) else datetime(9999, 1, 1, tzinfo=UTC)


def _outdated(principal: Principal, stored: dict[str, Any]) -> bool:
    """A later token's word on the address was written already: an old tab's token confirming
    the address the user gave up (or naming it before a newer one was confirmed) must not
    bring it back."""
    issued, said_at = _issued(principal), stored.get(EMAIL_SAID_AT)
    return issued is not None and isinstance(said_at, int | float) and issued < said_at


def _address(principal: Principal, stored: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` to the stored address, stamped with the token's issue time; none when the
    token is :func:`_outdated`."""
    if _outdated(principal, stored):
        return {}
    issued = _issued(principal)
    return changes | ({EMAIL_SAID_AT: issued} if issued is not None and changes else {})


def settings_etag(stored: dict[str, Any]) -> str:
    """What a settings page saw, for a save to be checked against: the stored settings and
    whether the unsubscribe link was used (not the webhook's health or secret: a save that
    turns a disabled webhook back on, or keeps a secret rotated meanwhile, undoes nothing)."""
    seen = {"notifications": stored.get("notifications"), "unsubscribed": bool(stored.get("email_unsubscribed"))}
    return hashlib.sha256(json.dumps(seen, sort_keys=True, default=str).encode()).hexdigest()[:20]


IN_LIMIT = 30  # Firestore's most values in one "in" filter
WATCH_TRIES = 8  # reads of a user's document while other writes keep changing it
DELETED_KEPT = timedelta(days=1)  # a deleted account's tombstone: past every token issued before (15 minutes)
# A session begun this long after a deletion is a new sign-in, not one from before it (the
# web app's clock and ours may differ by this much)
SIGNED_IN_SINCE_S = 60.0
RECENT_CANDIDATES = 300  # most recently mentioned tickers a trending read recounts
# Written and read by the api only (docs/api.md "Feedback"):
FEEDBACK = "feedback"  # subcollection of alerts/{id}: one verdict per user, keyed by user id
FEEDBACK_COUNTS = "feedback_counts"  # one document per judged alert: its verdict counters
FEEDBACK_ATTEMPTS = 5  # fresh reads after a concurrent change of the same user's verdict


def _epoch(value: Any) -> float | None:
    """Bookkeeping timestamps come back as datetimes; the API speaks epoch seconds."""
    if value is None:
        return None
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    return float(value)


# ---------------------------------------------------------------- cursors


MAX_TIME = 32503680000.0  # 3000-01-01: no alert was updated later


def encode_cursor(updated_at: float, alert_id: str) -> str:
    raw = json.dumps({"u": updated_at, "i": alert_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        updated_at, alert_id = data["u"], data["i"]
        if isinstance(updated_at, bool) or not isinstance(updated_at, int | float) or not isinstance(alert_id, str):
            raise TypeError("wrong types")
        if not math.isfinite(updated_at) or not 0 <= updated_at < MAX_TIME:
            raise ValueError("no time an alert was updated at")
        alert_id.encode()  # a lone surrogate ("\ud800") is no text Firestore can hold
        return float(updated_at), alert_id
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeError, RecursionError, OverflowError) as exc:
        raise ApiError(400, "bad_cursor", "cursor is not one this API issued") from exc


@dataclass(frozen=True)
class FeedbackChange:
    """A user's verdict on an alert before and after a request, with the alert's kind and rule then."""

    alert_id: str
    kind: str
    rule: str
    previous: Verdict | None
    verdict: Verdict | None

    @property
    def changed(self) -> bool:
        return self.previous != self.verdict


class Store:
    def __init__(self, db: firestore.Client, known_users: int = 10_000) -> None:
        self.db = db
        self._known: OrderedDict[str, tuple[str | None, str | None]] = OrderedDict()
        self._known_max = known_users
        self._lock = threading.Lock()

    # ------------------------------------------------------------ users

    def _user_ref(self, sub: str) -> firestore.DocumentReference:
        return self.db.collection(fs.USERS).document(sub)

    def touch_user(self, principal: Principal) -> None:
        """Create ``users/{sub}`` on first use, or record the token's confirmed address on an
        existing one (an account made before addresses were confirmed gets mail again once it
        signs in confirmed), or withdraw the stored one when the token names another address
        not confirmed yet: mail must not go on to an address the user gave up (perhaps
        someone else's) while the API tells them email is off. Remembered per instance, by
        what the token says of the address, so it costs one write once."""
        claimed = principal.claims.get("email")
        said = (principal.email, claimed if isinstance(claimed, str) else None)
        with self._lock:  # known as this token says: nothing to write (a newly confirmed address is)
            if self._known.get(principal.sub) == said:
                self._known.move_to_end(principal.sub)
                return
        ref = self._user_ref(principal.sub)
        snap = ref.get()
        created = False
        if not snap.exists:
            deleted = self._refuse_deleted(principal.sub, _signed_in(principal))
            banned = _ban(deleted)
            created = fs.create_if_absent(
                ref,
                {
                    **_new_account(),
                    **({"suspended": banned} if banned is not None else {}),
                    **_address(
                        principal, {}, {"email": principal.email, "email_verified": principal.email is not None}
                    ),
                    "name": principal.name,
                    "role": ",".join(sorted(principal.roles)) or None,
                },
            )
            if created and deleted is not None:  # a ban (or its lifting) recorded meanwhile is not lost
                kept = _ban(fs.doc_of(self.db.collection(fs.DELETED_USERS).document(principal.sub).get()))
                if kept != banned:
                    ref.update({"suspended": kept if kept is not None else firestore.DELETE_FIELD})
        stored = (snap.to_dict() or {}) if snap.exists else {}
        changes: dict[str, Any] = {}
        if principal.email is not None:  # the address as confirmed now
            changes = _address(principal, stored, {"email": principal.email, "email_verified": True})
        elif (
            principal.unconfirmed_address
            and stored.get("email_verified") is True
            # only another address: a token minted before the stored one was confirmed names
            # that same one, unconfirmed, for a few minutes more
            and str(claimed).casefold() != str(stored.get("email") or "").casefold()
        ):
            changes = _address(principal, stored, {"email": firestore.DELETE_FIELD, "email_verified": False})
        if changes and not created:
            with contextlib.suppress(gexc.NotFound):  # deleted meanwhile: an update makes nothing again
                ref.update(changes)
        if _outdated(principal, stored):
            return  # not remembered: a newer token saying the same must still be written
        with self._lock:
            self._known[principal.sub] = said
            self._known.move_to_end(principal.sub)
            while len(self._known) > self._known_max:
                self._known.popitem(last=False)

    def _refuse_deleted(self, sub: str, signed_in: float | None = None) -> dict[str, Any] | None:
        """401 for an account deleted within its tombstone's day: a token from before must
        not make it again. A token from a session ``signed_in`` well after the deletion is a
        sign-in of the account since (its removal from the web app failed after its data went
        here): it is made afresh, not locked out for the day. A session begun before (the
        tab the deletion was asked from) keeps being refused, so the app can offer to finish.
        Read only when ``users/{sub}`` is absent, so an account whose deletion failed (its
        document kept) is never locked out by a tombstone left behind."""
        tomb = self.db.collection(fs.DELETED_USERS).document(sub).get()
        doc = (tomb.to_dict() or {}) if tomb.exists else {}
        expires, deleted_at = doc.get("expires_at"), doc.get("deleted_at")
        found = doc if tomb.exists else None
        if not (isinstance(expires, datetime) and expires.timestamp() > time.time()):
            return found
        if signed_in is not None and isinstance(deleted_at, int | float) and signed_in > deleted_at + SIGNED_IN_SINCE_S:
            return found
        raise ApiError(401, "account_deleted", "this account was deleted; its tokens are no longer accepted")

    def _forget(self, sub: str) -> None:
        with self._lock:
            self._known.pop(sub, None)

    def _touch_again(self, principal: Principal) -> None:
        """The caller's document is gone behind this instance's back: refused if the account
        was deleted, else made again."""
        self._forget(principal.sub)
        self.touch_user(principal)

    def _merge(self, principal: Principal, changes: dict[str, Any]) -> None:
        """Write ``changes`` (field paths) on the caller's document. An update, so a document
        deleted behind this instance's back is not made again unchecked: then the caller is
        touched afresh (refused if the account was deleted, else made again) and it is merged."""
        self.touch_user(principal)
        ref = self._user_ref(principal.sub)
        try:
            ref.update(changes)
        except gexc.NotFound:
            self._touch_again(principal)
            ref.update(changes)

    def set_suspension(self, sub: str, until: float | None, *, by: str | None, lifted: bool = False) -> None:
        """``users/{sub}.suspended`` set (``until``: its end, None while not lifted) or removed.
        An account the API has not seen yet is made suspended, so that a token issued before
        the ban (its 15 minutes) cannot make it unsuspended; a deleted one is not made again."""
        ref, tomb = self._user_ref(sub), self.db.collection(fs.DELETED_USERS).document(sub)
        if lifted:
            with contextlib.suppress(gexc.NotFound):  # nothing to lift
                ref.update({"suspended": firestore.DELETE_FIELD})
            if _ban(deleted := fs.doc_of(tomb.get())) is not None:  # nor on a deleted account, kept no longer for it
                at = (deleted or {}).get("deleted_at")
                day = (
                    {"expires_at": datetime.fromtimestamp(at, UTC) + DELETED_KEPT}
                    if isinstance(at, int | float)
                    else {}
                )
                with contextlib.suppress(gexc.NotFound):  # gone meanwhile: nothing left to lift
                    tomb.update({"suspended": firestore.DELETE_FIELD, **day})
            return
        suspension = {"until": until, "by": by}
        try:
            ref.update({"suspended": suspension})
        except gexc.NotFound:
            try:
                self._refuse_deleted(sub)
            except ApiError:
                # deleted: nothing is sent to it, but a sign-in after the deletion (the web app
                # kept the account) makes it again, banned: the tombstone keeps the ban as long
                # as it lasts
                ends = _ban_ends(suspension)
                with contextlib.suppress(gexc.NotFound):  # its tombstone gone meanwhile: nothing to keep it on
                    stored = tomb.get().to_dict() or {}
                    kept = stored.get("expires_at")
                    longest = max(ends, kept) if isinstance(kept, datetime) else ends
                    tomb.update({"suspended": suspension, "expires_at": longest})
                with contextlib.suppress(gexc.NotFound):  # made again meanwhile, from the tombstone as it was
                    ref.update({"suspended": suspension})
                return
            if not fs.create_if_absent(ref, {**_new_account(), "suspended": suspension}):
                ref.update({"suspended": suspension})  # made meanwhile by its first request

    def delete_user(self, sub: str, now: float) -> None:
        """``users/{sub}`` and what hangs under it (notify's hourly counts): the account's
        watchlist, preferences, addresses and webhook are gone, so nothing more is sent to it.
        A tombstone first, so a token issued before (its 15 minutes) cannot create the
        account again on an instance that has not seen it yet. Every write raises when it
        fails (the client's recursive delete drops failures quietly), so the web app keeps an
        account whose data is still here. Its verdicts on alerts stay, under an id no account
        holds any more, in the precision figures they were counted in; its delivery records
        expire as everyone's do. A ban in force (on the account, or kept on the tombstone of
        a deletion asked for again) stays on the tombstone as long as it lasts, as a ban of an
        account already deleted does (:meth:`set_suspension`)."""
        ref, tomb = self._user_ref(sub), self.db.collection(fs.DELETED_USERS).document(sub)
        read = {snap.reference.path: fs.doc_of(snap) for snap in self.db.get_all([ref, tomb])}
        account, before = read[ref.path], read[tomb.path]
        record: dict[str, Any] = {"deleted_at": now, "expires_at": datetime.fromtimestamp(now, UTC) + DELETED_KEPT}
        # the account's own word while it exists (a ban changed since it was made again from
        # the tombstone is on it alone); the tombstone's once it is gone
        ban = _ban(account if account is not None else before)
        if ban is not None and notify.suspended({"suspended": ban}, now):
            record |= {"suspended": ban, "expires_at": max(record["expires_at"], _ban_ends(ban))}
        tomb.set(record)
        try:
            for child in ref.collections():
                while docs := list(child.limit(400).stream()):
                    batch = self.db.batch()
                    for doc in docs:
                        batch.delete(doc.reference)
                    batch.commit()
            ref.delete()
        except Exception:
            with contextlib.suppress(Exception):  # the account stays: so may its tokens
                if before is None:
                    tomb.delete()
                else:
                    tomb.set(before)
            raise
        self._forget(sub)

    def suspended(self, sub: str, now: float) -> bool:
        """Whether the account is suspended now (the web app's ban): one read, asked only
        of admin requests."""
        snapshot = self._user_ref(sub).get()
        return snapshot.exists and notify.suspended(snapshot.to_dict() or {}, now)

    def user(self, principal: Principal) -> dict[str, Any]:
        snapshot = self._user_ref(principal.sub).get()
        if not snapshot.exists:
            with self._lock:
                self._known.pop(principal.sub, None)
            self.touch_user(principal)
            snapshot = self._user_ref(principal.sub).get()
        data = snapshot.to_dict() or {}
        stored = data.get("preferences")  # read by models.stored_preferences: what does not read is a default
        data["preferences"] = {**notify.default_preferences(), **(stored if isinstance(stored, dict) else {})}
        data["watchlist"] = list(data.get("watchlist") or [])
        return data

    # Writes go through _merge or a conditional update that touches the caller again on
    # NotFound: a user document deleted behind this instance's back (an account deleted on
    # another instance, a test clearing Firestore) is made again only if the account was not
    # deleted, and is never a 500.

    def update_preferences(self, principal: Principal, changes: dict[str, Any]) -> None:
        if changes:
            self._merge(principal, {f"preferences.{k}": v for k, v in changes.items()})

    def set_watchlist(self, principal: Principal, symbols: list[str]) -> None:
        self._merge(principal, {"watchlist": symbols})

    def _write_as_read(
        self, principal: Principal, changes_of: Callable[[dict[str, Any]], dict[str, Any] | None]
    ) -> bool:
        """Write ``changes_of(stored)`` on the caller's document, on the read time of the very
        document it was made from (None: nothing to write). Another write in between makes it
        try again from a fresh read, up to ``WATCH_TRIES`` times (False: others kept writing);
        a document deleted behind this instance's back is touched afresh (refused if the
        account was deleted) rather than made again by the update."""
        self.touch_user(principal)
        ref = self._user_ref(principal.sub)
        for _ in range(WATCH_TRIES):
            snapshot = ref.get()
            if not snapshot.exists:  # no time to condition on (the update would make it): touched afresh
                self._touch_again(principal)
                continue
            changes = changes_of(snapshot.to_dict() or {})
            if changes is None:
                return True
            try:
                ref.update(changes, option=self.db.write_option(last_update_time=snapshot.update_time))
            except gexc.NotFound:
                self._touch_again(principal)
                continue
            except gexc.FailedPrecondition:
                continue  # changed since read: read again
            return True
        return False

    def watch(self, principal: Principal, symbol: str, most: int) -> bool:
        """Add ``symbol`` unless the watchlist holds ``most`` already (then False). The add is
        conditional on the list as read: two adds racing at the cap cannot both pass it."""
        room = [True]

        def add(stored: dict[str, Any]) -> dict[str, Any] | None:
            current = stored.get("watchlist") or []
            room[0] = symbol in current or len(current) < most
            return {"watchlist": firestore.ArrayUnion([symbol])} if symbol not in current and room[0] else None

        if not self._write_as_read(principal, add):
            raise ApiError(409, "watchlist_busy", "the watchlist is being changed by another request; try again")
        return room[0]

    def unwatch(self, principal: Principal, symbol: str) -> None:
        self._merge(principal, {"watchlist": firestore.ArrayRemove([symbol])})

    # ------------------------------------------------------------ notifications

    def set_notifications(self, principal: Principal, settings: dict[str, Any], seen: str | None = None) -> None:
        """New settings also give a disabled webhook another chance: saving them is the user
        asking for deliveries again. An unsubscribed address gets email again only when email
        is turned back on (the unsubscribe link turned it off): saving the form for anything
        else keeps it unsubscribed. On the document as read: an unsubscribe meanwhile is not
        undone. ``seen``: the :func:`settings_etag` the caller read; settings changed since
        (another tab, or an email's unsubscribe link, which a form loaded before it still
        shows on) are a 409, not overwritten."""

        def changes_of(stored: dict[str, Any]) -> dict[str, Any]:
            if seen is not None and settings_etag(stored) != seen:
                raise ApiError(
                    409,
                    "settings_changed",
                    "the settings changed since they were read (elsewhere, or by an email's unsubscribe link): "
                    "read them again",
                )
            changes: dict[str, Any] = {
                "notifications": settings,
                "webhook_disabled": False,
                **fs.WEBHOOK_HEALTHY,
                notify.RECEIVES: notify.receives(settings),
            }
            was_on = (stored.get("notifications") or {}).get("email") and not stored.get("email_unsubscribed")
            if settings.get("email") and not was_on:
                changes["email_unsubscribed"] = False
            # the confirmed address or none (notify mails only an address marked confirmed)
            address = {"email": principal.email, "email_verified": principal.email is not None}
            return changes | _address(principal, stored, address)

        if not self._write_as_read(principal, changes_of):
            raise ApiError(409, "settings_busy", "the settings are being changed by another request; try again")

    def set_webhook_secret(self, principal: Principal, secret: str, now: float) -> None:
        """The new secret, and those it and the day's other rotations replaced kept beside it
        (``common.notify.previous_secrets``): a receiver switching over still takes what is
        signed meanwhile, whichever of the day's secrets it holds. Written on the document as
        read, so two rotations at once cannot drop each other's secret."""

        def changes_of(stored: dict[str, Any]) -> dict[str, Any]:
            return {"webhook_secret": secret, notify.REPLACED: notify.replaced_secrets(stored, now)}

        if not self._write_as_read(principal, changes_of):
            raise ApiError(409, "settings_busy", "the settings are being changed by another request; try again")

    def unsubscribe(self, user_id: str) -> bool:
        """Stop email for ``user_id``; False when no such user exists. ``receives`` is written
        on the document as read; should other writes keep changing it, email still goes off
        (a mail client's one-click unsubscribe is not retried) and ``receives`` stays as the
        other writer left it: at worst notify reads a user it then sends nothing."""
        ref = self._user_ref(user_id)
        for _ in range(WATCH_TRIES):
            snapshot = ref.get()
            if not snapshot.exists:
                return False
            doc = snapshot.to_dict() or {}
            left = {**(doc.get("notifications") or {}), "email": False}
            changes = {"email_unsubscribed": True, "notifications.email": False, notify.RECEIVES: notify.receives(left)}
            done = doc.get("email_unsubscribed") is True and (doc.get("notifications") or {}).get("email") is False
            if done and doc.get(notify.RECEIVES) == changes[notify.RECEIVES]:
                return True  # a repeated click (or a loop): nothing to write, and no write to contend

            try:
                ref.update(changes, option=self.db.write_option(last_update_time=snapshot.update_time))
            except (gexc.FailedPrecondition, gexc.NotFound):
                continue
            return True
        try:
            ref.update({"email_unsubscribed": True, "notifications.email": False})
        except gexc.NotFound:
            return False
        return True

    # ------------------------------------------------------------ alerts

    def alert(self, alert_id: str, user: str) -> tuple[dict[str, Any] | None, Verdict | None]:
        """An alert and ``user``'s verdict on it, read together (one round trip): a reader
        coming back to an alert sees what they said of it."""
        alert_ref = self.db.collection(fs.ALERTS).document(alert_id)
        vote_ref = alert_ref.collection(FEEDBACK).document(user)
        snapshots = {s.reference.path: s for s in self.db.get_all([alert_ref, vote_ref])}
        doc = fs.doc_of(snapshots[alert_ref.path])
        vote = snapshots[vote_ref.path]
        stored = (vote.to_dict() or {}).get("verdict") if doc is not None and vote.exists else None
        return doc, next((v for v in VERDICTS if v == stored), None)

    def scan_alerts(
        self,
        *,
        symbols: list[str] | None,
        status: str | None,
        kind: str | None,
        since: float | None,
        after: tuple[float, str] | None,
        batch: int,
        fields: Sequence[str] | None = None,
        reads: list[int] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Alerts newest first (``updated_at`` desc, then id), filtered by what Firestore
        can filter; fetched in batches so the caller can stop at any point. More symbols
        than one ``in`` filter takes are read as several queries, merged in the same order:
        filtering a scan of every alert instead read the whole collection for a long
        watchlist whose symbols had few alerts. ``fields``: only these of each document
        (a listing has no use for an alert's history, metrics and baseline, its bulk).
        ``reads[0]`` counts the documents read, which the merge reads ahead of what it
        yields (a batch from each query before the first alert)."""
        query: Any = self.db.collection(fs.ALERTS)
        if fields is not None:
            query = query.select(list(fields))
        if status:
            query = query.where(filter=FieldFilter("status", "==", status))
        if kind:
            query = query.where(filter=FieldFilter("kind", "==", kind))

        def newest_first(query: Any) -> Any:
            ordered = query.order_by("updated_at", direction=DESC).order_by("alert_id", direction=DESC)
            # ``since`` ends the newest-first scan (a cursor on the sort) instead of filtering
            # it: a range filter beside two equalities would need indexes of its own, where
            # equalities and the sort are served by merging the indexes terraform makes
            return fs.indexed(ordered if since is None else ordered.end_at({"updated_at": since}))

        if symbols is None:
            yield from _paged(newest_first(query), after, batch, reads)
            return
        if not symbols:
            return
        chunks = [symbols[i : i + IN_LIMIT] for i in range(0, len(symbols), IN_LIMIT)]
        scans = [
            _paged(
                newest_first(
                    query.where(filter=FieldFilter("symbol", "==", chunk[0]))
                    if len(chunk) == 1
                    else query.where(filter=FieldFilter("symbol", "in", chunk))
                ),
                after,
                batch,
                reads,
            )
            for chunk in chunks
        ]
        yield from heapq.merge(*scans, key=alert_position, reverse=True) if len(scans) > 1 else scans[0]

    # ------------------------------------------------------------ tickers

    def ticker(self, symbol: str) -> dict[str, Any] | None:
        snapshot = self.db.collection(fs.TICKERS).document(symbol).get()
        return fs.doc_of(snapshot)

    def trending_candidates(self, window: str, since: float, limit: int) -> list[dict[str, Any]]:
        """Summaries that may trend in a window starting at ``since``: the most mentioned by
        their stored window (which may be stale) and the most recently mentioned. The caller
        recounts them for now (common.trending); bounded reads either way."""
        field = FieldPath("windows", window, "mentions").to_api_repr()
        top = self.db.collection(fs.TICKERS).order_by(field, direction=DESC).limit(3 * limit)
        recent = fs.indexed(
            self.db.collection(fs.TICKERS)
            .where(filter=FieldFilter("as_of", ">=", since))
            .order_by("as_of", direction=DESC)
            .limit(RECENT_CANDIDATES)
        )
        return [d.to_dict() or {} for query in (top, recent) for d in query.stream()]

    def newest_as_of(self) -> float | None:
        """The data clock: the newest item any ticker has counted."""
        query = self.db.collection(fs.TICKERS).order_by("as_of", direction=DESC).limit(1)
        docs = [d.to_dict() or {} for d in query.stream()]
        value = docs[0].get("as_of") if docs else None
        return float(value) if isinstance(value, (int, float)) else None

    def active_symbols(self, limit: int) -> list[str]:
        """The most mentioned tickers of the last week: what a preview replays by default."""
        field = FieldPath("windows", "7d", "mentions").to_api_repr()
        query = self.db.collection(fs.TICKERS).order_by(field, direction=DESC).limit(limit)
        return [d.id for d in query.stream()]

    def _buckets(self, symbol: str, collection: str, start_utc: int, end_utc: int) -> Any:
        """The query of a ticker's buckets (``hours`` or ``days``) starting in [start, end]."""
        return (
            self.db.collection(fs.TICKERS)
            .document(symbol)
            .collection(collection)
            .where(filter=FieldFilter("start_utc", ">=", start_utc))
            .where(filter=FieldFilter("start_utc", "<=", end_utc))
        )

    def stream_hours(self, symbol: str, start_utc: int, end_utc: int) -> Iterator[dict[str, Any]]:
        """A ticker's stored hour buckets in [start, end], oldest first, as they are read."""
        query = self._buckets(symbol, fs.HOURS, start_utc, end_utc).order_by("start_utc").select(BUCKET_FIELDS)
        return (d.to_dict() or {} for d in fs.indexed(query).stream())

    def day_mentions(self, symbol: str, start_utc: int, end_utc: int) -> dict[int, int]:
        """Start of each stored day bucket of a ticker in [start, end] -> its mentions."""
        query = self._buckets(symbol, fs.DAYS, start_utc, end_utc).select(["start_utc", "mentions"])
        out: dict[int, int] = {}
        for snap in query.stream():
            doc = snap.to_dict() or {}
            out[int(doc["start_utc"])] = int(doc.get("mentions") or 0)
        return out

    def stored_crowds(self, start_utc: int, end_utc: int) -> dict[int, StoredCrowd]:
        """Hour index -> what detect fixed for the whole community that hour (the alert budget
        spent, the rate, the market), from its crowd documents (``stats/global/hours``); hours
        it never decided are absent."""
        crowds = self.db.collection(fs.STATS).document(fs.GLOBAL).collection(fs.HOURS)
        query = (
            crowds.where(filter=FieldFilter("hour", ">=", hour_key(start_utc)))
            .where(filter=FieldFilter("hour", "<=", hour_key(end_utc)))
            .select(["hour", "alerts_24h", "rate", "market", "community"])
        )
        out: dict[int, StoredCrowd] = {}
        for snap in query.stream():
            doc = snap.to_dict() or {}
            with contextlib.suppress(ValueError):  # a key no hour has: not one detect wrote
                if isinstance(doc.get("hour"), str):
                    out[hour_start(doc["hour"]) // 3600] = StoredCrowd.from_doc(doc)
        return out

    def collection_began(self) -> float | None:
        """When detect's data collection began (``stats/global.since``): a preview's warm-up."""
        doc = self.db.collection(fs.STATS).document(fs.GLOBAL).get().to_dict() or {}
        since = doc.get("since")
        return float(since) if isinstance(since, int | float) else None

    # ------------------------------------------------------------ detection config

    def _config_ref(self) -> firestore.DocumentReference:
        return self.db.collection(fs.CONFIG).document(fs.DETECTION_CONFIG)

    @staticmethod
    def _parse_config(data: dict[str, Any] | None) -> tuple[DetectionConfig, int, float | None, str | None]:
        """The config as the functions read it (``in_force``): a stored document holding a
        value a release no longer accepts shows, and is changed from, the defaults they run
        with, so an admin sees the truth and a save repairs it."""
        if not data:
            return DetectionConfig(), 0, None, None
        config, version = in_force(data)
        return config, version, _epoch(data.get("updated_at")), data.get("updated_by")

    def config(self) -> tuple[DetectionConfig, int, float | None, str | None]:
        snapshot = self._config_ref().get()
        return self._parse_config(fs.doc_of(snapshot))

    def save_config(self, config: DetectionConfig, expected_version: int | None, by: str) -> int:
        """Replace the config with ``config``; see :meth:`change_config`."""
        return self.change_config(lambda _stored: config, expected_version, by)

    def change_config(
        self, change: Callable[[DetectionConfig], DetectionConfig], expected_version: int | None, by: str
    ) -> int:
        """Write the next version, ``change`` applied to the stored one in the same
        transaction (so a merge never loses a concurrent edit); a stale ``expected_version``
        is a 409. A transaction is fine here: admins edit this document a few times a day,
        nobody contends for it."""
        ref = self._config_ref()

        @firestore.transactional
        def write(transaction: firestore.Transaction) -> int:
            snapshot = ref.get(transaction=transaction)
            stored, current, _, _ = self._parse_config(fs.doc_of(snapshot))
            kept_ref = ref.collection(fs.CONFIG_VERSIONS).document(str(current))
            # the version in force kept too if it is not yet (saved before versions were): the
            # updates still counted with it are decided with it after this change
            keep_current = current >= 1 and not kept_ref.get(transaction=transaction).exists
            if expected_version is not None and expected_version != current:
                raise ApiError(409, "version_conflict", f"stored version is {current}, not {expected_version}")
            config = change(stored)
            version = current + 1
            doc = {
                **config.model_dump(),
                "version": version,
                "updated_at": firestore.SERVER_TIMESTAMP,
                "updated_by": by,
            }
            transaction.set(ref, doc)
            if keep_current:
                transaction.set(kept_ref, fs.doc_of(snapshot) or {})
            # kept as written: what a late message counted with this version is decided with
            transaction.set(ref.collection(fs.CONFIG_VERSIONS).document(str(version)), doc)
            return version

        return int(write(self.db.transaction()))

    # ------------------------------------------------------------ feedback

    def set_feedback(self, alert_id: str, user: str, verdict: Verdict | None) -> FeedbackChange | None:
        """Record ``user``'s verdict on an alert (None withdraws it); None when no such alert.

        The verdict document and the alert's counters change in one atomic commit, guarded by
        a precondition on the verdict document as read (created if absent, else unchanged
        since read): a concurrent change by the same user makes the commit fail and the
        change is decided again from a fresh read, so the counters always equal the verdicts.
        A verdict equal to the stored one writes nothing (a retried or repeated request).
        Counters are ``Increment`` transforms on their own document, never read-modify-write,
        and never the alert itself (detect guards its writes by the alert's update time)."""
        alert_ref = self.db.collection(fs.ALERTS).document(alert_id)
        vote_ref = alert_ref.collection(FEEDBACK).document(user)
        counts_ref = self.db.collection(FEEDBACK_COUNTS).document(alert_id)
        user_ref = self._user_ref(user)
        for _ in range(FEEDBACK_ATTEMPTS):
            snapshots = {s.reference.path: s for s in self.db.get_all([alert_ref, vote_ref, user_ref])}
            alert_snap, vote_snap = snapshots[alert_ref.path], snapshots[vote_ref.path]
            if not snapshots[user_ref.path].exists:
                # deleted on another instance, which this one's cache of known accounts cannot
                # know: a verdict would be personal data, and a count, for an account gone
                self._forget(user)
                self._refuse_deleted(user)
            if not alert_snap.exists:
                return None
            alert = alert_snap.to_dict() or {}
            stored = (vote_snap.to_dict() or {}).get("verdict") if vote_snap.exists else None
            previous = next((v for v in VERDICTS if v == stored), None)
            change = FeedbackChange(
                alert_id=alert_id,
                kind=str(alert.get("kind") or "organic"),
                rule=str(alert.get("rule") or ""),
                previous=previous,
                verdict=verdict,
            )
            deltas = counter_changes(previous, verdict)
            if not deltas:
                return change
            batch = self.db.batch()
            if not vote_snap.exists:
                batch.create(
                    vote_ref,
                    {"user": user, "alert_id": alert_id, "verdict": verdict, "given_at": firestore.SERVER_TIMESTAMP},
                )
            elif verdict is None:
                batch.delete(vote_ref, option=self.db.write_option(last_update_time=vote_snap.update_time))
            else:
                unchanged = self.db.write_option(last_update_time=vote_snap.update_time)
                batch.update(vote_ref, {"verdict": verdict, "given_at": firestore.SERVER_TIMESTAMP}, option=unchanged)
            counters: dict[str, Any] = {v: firestore.Increment(d) for v, d in deltas.items()}
            batch.set(
                counts_ref,
                {
                    "alert_id": alert_id,
                    "symbol": alert.get("symbol"),
                    "opened_at": float(alert.get("opened_at") or 0.0),
                    "kind": change.kind,
                    "rule": change.rule,
                    "updated_at": firestore.SERVER_TIMESTAMP,
                    **counters,
                },
                merge=True,
            )
            try:
                batch.commit()
            except (gexc.AlreadyExists, gexc.FailedPrecondition, gexc.Conflict, gexc.Aborted, gexc.NotFound):
                continue  # the same user changed it meanwhile: decide again on a fresh read
            return change
        raise ApiError(409, "feedback_conflict", "this verdict kept changing concurrently; send it again")

    def judged_alerts(self, start_utc: int, end_utc: int, limit: int) -> list[AlertVerdicts]:
        """The counters of alerts opened in ``[start_utc, end_utc)`` that have feedback, oldest
        first, at most ``limit``, each with its alert's current kind and rule (an organic
        alert may have become a pump since the verdicts): two reads per judged alert."""
        query = fs.indexed(
            self.db.collection(FEEDBACK_COUNTS)
            .where(filter=FieldFilter("opened_at", ">=", start_utc))
            .where(filter=FieldFilter("opened_at", "<", end_utc))
            .order_by("opened_at")
            .limit(limit)
        )
        counts = [d.to_dict() or {} for d in query.stream()]
        refs = [self.db.collection(fs.ALERTS).document(str(c["alert_id"])) for c in counts if c.get("alert_id")]
        current = {s.id: s.to_dict() or {} for s in self.db.get_all(refs) if s.exists} if refs else {}
        out = []
        for doc in counts:
            alert = current.get(str(doc.get("alert_id")), doc)
            out.append(
                AlertVerdicts(
                    alert_id=str(doc.get("alert_id")),
                    kind=str(alert.get("kind") or "organic"),
                    rule=str(alert.get("rule") or ""),
                    opened_at=float(doc.get("opened_at") or 0.0),
                    tally=Tally(**{v: int(doc.get(v) or 0) for v in VERDICTS}),
                )
            )
        return out


def alert_position(doc: dict[str, Any]) -> tuple[float, str]:
    """Where an alert stands in the newest-first order (and in a cursor)."""
    return float(doc.get("updated_at") or 0.0), str(doc.get("alert_id") or "")


def _paged(
    query: Any, after: tuple[float, str] | None, batch: int, reads: list[int] | None = None
) -> Iterator[dict[str, Any]]:
    """``query``'s alerts (ordered newest first) from after ``after``, read ``batch`` at a time
    (each counted in ``reads[0]`` as it is read)."""
    position = after
    while True:
        page = query.start_after({"updated_at": position[0], "alert_id": position[1]}) if position else query
        docs = [d.to_dict() or {} for d in page.limit(batch).stream()]
        if reads is not None:
            reads[0] += len(docs)
        yield from docs
        if len(docs) < batch:
            return
        position = alert_position(docs[-1])
