"""fetch's ``posts/`` writes when Firestore refuses one: a document past its size or field
limits is skipped and the rest written; any other refusal fails the run (a coding error must
not silently drop what fetch knows it stored)."""

from dataclasses import dataclass, field
from typing import Any

import pytest
from google.api_core import exceptions as gexc

from functions.fetch.store import bucket_id, save_items
from tests.support.items import post

T0 = 1_767_225_600.0


@dataclass
class Ref:
    key: str

    def document(self, key: str) -> "Ref":
        return Ref(key)


@dataclass
class Batch:
    db: "RefusingDb"
    keys: list[str] = field(default_factory=list)

    def set(self, ref: Ref, data: dict[str, Any], merge: bool = False) -> None:
        self.keys.append(ref.key)

    def commit(self) -> None:
        refused = [k for k in self.keys if k in self.db.refuse]
        if refused:
            raise gexc.InvalidArgument(self.db.refuse[refused[0]])  # type: ignore[no-untyped-call]
        self.db.written.extend(self.keys)


@dataclass
class RefusingDb:
    refuse: dict[str, str]  # document key -> the message Firestore refuses it with
    written: list[str] = field(default_factory=list)

    def collection(self, name: str) -> Ref:
        return Ref(name)

    def batch(self) -> Batch:
        return Batch(self)


def test_a_full_document_is_skipped_and_its_neighbours_are_written() -> None:
    full, fine = post("t3_full", T0), post("t3_fine", T0 + 3 * 3600)
    db = RefusingDb({bucket_id(full): "Document exceeds the maximum allowed size"})
    assert save_items(db, [full, fine], []) == 1  # type: ignore[arg-type]
    assert db.written == [bucket_id(fine)]


def test_any_other_refusal_fails_the_run() -> None:
    bad, fine = post("t3_bad", T0), post("t3_fine", T0 + 3 * 3600)
    db = RefusingDb({bucket_id(bad): "Property items contains an invalid nested entity"})
    with pytest.raises(gexc.InvalidArgument):
        save_items(db, [bad, fine], [])  # type: ignore[arg-type]
