"""Count Firestore operations as billed, for the benchmarks and the local stack, and refuse
a commit past production's limits, which the emulator does not enforce.

The Firestore client has no public hook for this, so the counter wraps the client's GAPIC
layer (a private attribute of the client). That is acceptable in a development tool pinned
to the client version in requirements.txt, and only here: production clients are never
wrapped. Counts are reported through :func:`common.adapters.firestore.record`, the one seam
production code exposes for them.
"""

from collections.abc import Iterator
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from common.adapters import firestore as fs

_installed = False


def install() -> None:
    """Count the operations of every client ``fs.get_client`` creates from now on."""
    global _installed  # noqa: PLW0603 - install once per process
    if _installed:
        return
    _installed = True
    fs.on_new_client(wrap)
    fs.start_recording()


def wrap(client: firestore.Client) -> None:
    client._firestore_api_internal = _CountingApi(client._firestore_api)


_ARRAY_TRANSFORMS = {"append_missing_elements", "remove_all_from_array"}


def _writes(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    request = kwargs.get("request", args[0] if args else None)
    writes = request.get("writes") if isinstance(request, dict) else getattr(request, "writes", None)
    return list(writes or ())


def field_transforms(write: Any) -> int:
    """What one write costs against ``fs.FIELD_TRANSFORMS_MAX``."""
    pb = getattr(write, "_pb", write)
    alone = pb.transform.field_transforms if pb.WhichOneof("operation") == "transform" else []
    total = 0
    for transform in [*pb.update_transforms, *alone]:
        kind = transform.WhichOneof("transform_type")
        total += len(getattr(transform, kind).values) if kind in _ARRAY_TRANSFORMS else 1
    return total


def refuse_past_limits(writes: list[Any]) -> None:
    """Raise what production answers a commit past its limits with (the emulator applies it)."""
    if len(writes) > fs.WRITES_MAX:
        refused = f"{len(writes)} writes in one commit; Firestore allows {fs.WRITES_MAX}"
        raise gexc.InvalidArgument(refused)  # type: ignore[no-untyped-call]
    per_document: dict[str, int] = {}  # the limit is per document and commit, not per write
    for write in writes:
        pb = getattr(write, "_pb", write)
        name = pb.update.name or pb.transform.document or pb.delete or "a document"
        per_document[name] = per_document.get(name, 0) + field_transforms(write)
    for name, n in per_document.items():
        if n > fs.FIELD_TRANSFORMS_MAX:
            refused = f"{n} field transforms on {name}; Firestore allows {fs.FIELD_TRANSFORMS_MAX}"
            raise gexc.InvalidArgument(refused)  # type: ignore[no-untyped-call]


class _CountingApi:
    """The GAPIC Firestore client with a count of what each call reads and writes;
    everything else passes through unchanged."""

    def __init__(self, api: Any) -> None:
        self._api = api

    def __getattr__(self, name: str) -> Any:
        return getattr(self._api, name)

    def batch_get_documents(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for response in self._api.batch_get_documents(*args, **kwargs):
            if response._pb.WhichOneof("result") is not None:
                fs.record(reads=1)
            yield response

    def run_query(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        documents = 0
        try:
            for response in self._api.run_query(*args, **kwargs):
                if response._pb.HasField("document"):
                    documents += 1
                yield response
        finally:
            fs.record(reads=max(1, documents))

    def run_aggregation_query(self, *args: Any, **kwargs: Any) -> Any:
        fs.record(reads=1)
        return self._api.run_aggregation_query(*args, **kwargs)

    def commit(self, *args: Any, **kwargs: Any) -> Any:
        writes = _writes(args, kwargs)
        refuse_past_limits(writes)
        response = self._api.commit(*args, **kwargs)
        fs.record(writes=len(writes))
        return response

    def batch_write(self, *args: Any, **kwargs: Any) -> Any:
        writes = _writes(args, kwargs)
        refuse_past_limits(writes)
        response = self._api.batch_write(*args, **kwargs)
        fs.record(writes=len(writes))
        return response
