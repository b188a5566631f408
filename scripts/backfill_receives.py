"""Set ``users/{id}.receives`` on accounts saved before notify read it.

notify reads, of the users who take every alert, only those whose ``receives`` is true (email
on or a webhook: ``common.notify.receives``). An account whose notification settings were
saved before the field existed has none, and would hear nothing until it saved them again.
Run once before deploying such a notify (``PYTHONPATH=. python scripts/backfill_receives.py``,
with ``GOOGLE_CLOUD_PROJECT`` set, or ``FIRESTORE_EMULATOR_HOST`` for the local stack); it
writes only the accounts whose field is missing or disagrees, so running it again changes
nothing.
"""

import sys

from google.cloud import firestore

from common import notify
from common.adapters import firestore as fs
from common.settings import Settings

BATCH = 400  # writes per commit, under Firestore's 500


def backfill(db: firestore.Client) -> int:
    """How many accounts were written."""
    written, batch = 0, db.batch()
    pending = 0
    for snap in db.collection(fs.USERS).select(["notifications", notify.RECEIVES]).stream():
        doc = snap.to_dict() or {}
        wanted = notify.receives(doc.get("notifications"))
        if doc.get(notify.RECEIVES) is wanted:
            continue
        batch.set(snap.reference, {notify.RECEIVES: wanted}, merge=True)
        written, pending = written + 1, pending + 1
        if pending == BATCH:
            batch.commit()
            batch, pending = db.batch(), 0
    if pending:
        batch.commit()
    return written


def main() -> int:
    written = backfill(fs.get_client(Settings().project_id))
    print(f"{written} accounts given users/{{id}}.{notify.RECEIVES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
