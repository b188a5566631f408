"""Set ``users/{id}.receives`` on accounts saved before notify read it.

notify reads, of a ticker's watchers and the users who take every alert, only those whose ``receives`` is true (email
on or a webhook: ``common.notify.receives``). An account whose notification settings were
saved before the field existed has none, and would hear nothing until it saved them again.
Run once before deploying such a notify (``PYTHONPATH=. python scripts/backfill_receives.py``,
with ``GOOGLE_CLOUD_PROJECT`` set, or ``FIRESTORE_EMULATOR_HOST`` for the local stack); it
writes only the accounts whose field is wrong, so running it again changes nothing.
"""

import sys

from google.api_core import exceptions as gexc
from google.cloud import firestore

from common import notify
from common.adapters import firestore as fs
from common.settings import Settings

TRIES = 5  # reads of one account changed (a watchlist saved, a sign-in) while it was written


def backfill(db: firestore.Client) -> int:
    """How many accounts were written. Each write holds only if the account is unchanged
    since it was read, else it is read again: an account that saved its notification
    settings meanwhile got the field from the api. One without the field that asks for
    nothing needs none (notify reads ``== true``)."""
    written = 0
    for listed in db.collection(fs.USERS).select(["notifications", notify.RECEIVES]).stream():
        snap = listed
        for _ in range(TRIES):
            doc = snap.to_dict() or {}
            wanted, stored = notify.receives(doc.get("notifications")), doc.get(notify.RECEIVES)
            if stored is wanted or (stored is None and not wanted):
                break
            try:
                snap.reference.update(
                    {notify.RECEIVES: wanted}, option=db.write_option(last_update_time=snap.update_time)
                )
            except gexc.NotFound:
                break  # deleted meanwhile
            except gexc.FailedPrecondition:
                snap = snap.reference.get(["notifications", notify.RECEIVES])
                continue
            written += 1
            break
        else:
            raise RuntimeError(f"users/{listed.id} kept changing: run the backfill again")
    return written


def main() -> int:
    written = backfill(fs.get_client(Settings().project_id))
    print(f"{written} accounts given users/{{id}}.{notify.RECEIVES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
