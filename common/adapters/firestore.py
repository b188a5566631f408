"""Firestore access: the collection names in one place, a lazily created client, and the
create-if-absent primitive that makes redelivered messages harmless."""

import threading
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

POSTS = "posts"
AUTHORS = "authors"
TICKERS = "tickers"
HOURS = "hours"  # subcollection of tickers/{symbol}
ALERTS = "alerts"
USERS = "users"
CONFIG = "config"
CURSORS = "cursors"
RUNS = "runs"  # dispatch idempotency: one document per scheduler run

_lock = threading.Lock()
_clients: dict[str, firestore.Client] = {}


def get_client(project_id: str) -> firestore.Client:
    """The instance-wide Firestore client (honours FIRESTORE_EMULATOR_HOST)."""
    with _lock:
        if project_id not in _clients:
            _clients[project_id] = firestore.Client(project=project_id)
        return _clients[project_id]


def create_if_absent(ref: firestore.DocumentReference, data: dict[str, Any]) -> bool:
    """Create ``ref`` with ``data``; False (and no change) when it already exists."""
    try:
        ref.create(data)
    except gexc.AlreadyExists:
        return False
    return True
