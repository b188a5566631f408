"""Check each composite query against the indexes Terraform deploys, in tests and the local
stack: the emulator answers any query, production refuses one no composite index serves.

Reading a query's filters and sorts needs the client's private query attributes; that is
acceptable in a development tool pinned to the client version, and only here: production
runs :func:`common.adapters.firestore.indexed` unchecked.
"""

from typing import Any

from common.adapters import firestore as fs

# StructuredQuery.FieldFilter operators an index serves like equality (==, in) and those an
# array-contains index entry serves (array-contains, array-contains-any)
_EQUALITY_OPERATORS = {5, 8}
_CONTAINS_OPERATORS = {7, 9}
_RANGE_OPERATORS = {1, 2, 3, 4, 6, 10}  # <, <=, >, >=, !=, not-in


class UnindexedQuery(LookupError):
    """Production would reject this query for want of a composite index (the emulator would not)."""


def install() -> None:
    fs.check_queries_with(check)


def check(query: Any) -> None:
    """Raise :class:`UnindexedQuery` unless every composite index ``query`` needs is in
    :data:`common.adapters.firestore.COMPOSITE_INDEXES`.

    Equality and ``in`` filters are equality fields, array-contains ones ``CONTAINS``
    entries; a range filter has to be on the first sort field (Firestore requires it) and
    orders the results by itself when the query names no sort."""
    equalities = tuple(
        (f.field.field_path, "CONTAINS" if int(f.op) in _CONTAINS_OPERATORS else "ASCENDING")
        for f in query._field_filters
        if hasattr(f, "field") and int(f.op) in _EQUALITY_OPERATORS | _CONTAINS_OPERATORS
    )
    orders = tuple((o.field.field_path, o.direction.name) for o in query._orders)
    ranges = [f.field.field_path for f in query._field_filters if hasattr(f, "field") and int(f.op) in _RANGE_OPERATORS]
    if not orders and ranges:
        orders = ((ranges[0], "ASCENDING"),)
    needed = fs.needed_indexes(query._parent.id, equalities, orders, ranged=bool(ranges))
    missing = needed - set(fs.COMPOSITE_INDEXES.values())
    if missing:
        raise UnindexedQuery(f"no composite index for {sorted(map(str, missing))}: add it there and in terraform")
