"""Composite indexes: production rejects a query without one, the emulator never does, so
tests and the local stack check the code's queries against the registry Terraform deploys."""

import ast
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from common.adapters import firestore as fs
from devtools import firestore_indexes

DESC = firestore.Query.DESCENDING
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def db() -> firestore.Client:
    """A client that never connects: building a query is local."""
    return firestore.Client(project="offline", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]


def _newest(query: firestore.Query) -> firestore.Query:
    return query.order_by("updated_at", direction=DESC).order_by("alert_id", direction=DESC)


def test_one_sort_or_equalities_alone_need_no_composite_index() -> None:
    assert fs.needed_indexes("alerts", (), (("updated_at", "DESCENDING"),)) == set()
    assert fs.needed_indexes("alerts", (("symbol", "ASCENDING"), ("status", "ASCENDING")), ()) == set()


def test_each_equality_field_needs_its_own_index_ending_in_the_sort_fields() -> None:
    orders = (("updated_at", "DESCENDING"), ("alert_id", "DESCENDING"))
    assert fs.needed_indexes("alerts", (("symbol", "ASCENDING"), ("kind", "ASCENDING")), orders) == {
        fs.CompositeIndex("alerts", (("symbol", "ASCENDING"), *orders)),
        fs.CompositeIndex("alerts", (("kind", "ASCENDING"), *orders)),
    }


def test_a_range_beside_several_equalities_is_not_counted_as_served_by_merging(db: firestore.Client) -> None:
    """Firestore documents merging for equalities and a sort; the API's listings end a scan
    at ``since`` instead of filtering on it, so no such query is asked for."""
    orders = (("updated_at", "DESCENDING"), ("alert_id", "DESCENDING"))
    equalities = (("status", "ASCENDING"), ("kind", "ASCENDING"))
    assert fs.needed_indexes("alerts", equalities, orders, ranged=True) == {
        fs.CompositeIndex("alerts", (("kind", "ASCENDING"), ("status", "ASCENDING"), *orders))
    }
    query: firestore.Query = db.collection(fs.ALERTS)  # type: ignore[assignment]
    for field_filter in (FieldFilter("status", "==", "open"), FieldFilter("kind", "==", "pump")):
        query = query.where(filter=field_filter)
    with pytest.raises(firestore_indexes.UnindexedQuery):
        firestore_indexes.check(_newest(query.where(filter=FieldFilter("updated_at", ">=", 1.0))))


@pytest.mark.parametrize(
    "filters",
    [
        [],
        [FieldFilter("symbol", "==", "GME")],
        [FieldFilter("symbol", "in", ["GME", "AMC"])],
        [FieldFilter("status", "==", "open"), FieldFilter("kind", "==", "pump")],
        [FieldFilter("symbol", "==", "GME"), FieldFilter("status", "==", "open"), FieldFilter("kind", "==", "pump")],
        [FieldFilter("symbol", "==", "GME"), FieldFilter("updated_at", ">=", 1.0)],
    ],
)
def test_every_alert_listing_the_api_offers_is_served_by_a_registered_index(
    db: firestore.Client, filters: list[FieldFilter]
) -> None:
    query: firestore.Query = db.collection(fs.ALERTS)  # type: ignore[assignment]
    for field_filter in filters:
        query = query.where(filter=field_filter)
    firestore_indexes.check(_newest(query))


def test_an_array_contains_query_with_a_sort_needs_a_registered_index(db: firestore.Client) -> None:
    """A ticker's newest posts: no code runs it, so no index serves it and the checker
    refuses it, naming the array field."""
    query = (
        db.collection(fs.POSTS)
        .where(filter=FieldFilter("tickers", "array_contains", "GME"))
        .where(filter=FieldFilter("created_utc", ">=", 1.0))
        .order_by("created_utc", direction=DESC)
    )
    with pytest.raises(firestore_indexes.UnindexedQuery, match="tickers"):
        firestore_indexes.check(query)


def test_an_equality_with_a_range_on_another_field_needs_an_index_even_without_a_sort(db: firestore.Client) -> None:
    query = db.collection(fs.ALERTS).where(filter=FieldFilter("rule", "==", "x"))
    query = query.where(filter=FieldFilter("score", ">=", 1.0))
    with pytest.raises(firestore_indexes.UnindexedQuery, match="score"):
        firestore_indexes.check(query)


def test_the_alert_budgets_count_is_served_by_a_registered_index(db: firestore.Client) -> None:
    query = (
        db.collection(fs.ALERTS)
        .where(filter=FieldFilter("opened_kind", "==", "organic"))
        .where(filter=FieldFilter("opened_at", ">=", 1.0))
        .where(filter=FieldFilter("opened_at", "<", 2.0))
    )
    firestore_indexes.check(query)
    with pytest.raises(firestore_indexes.UnindexedQuery, match="kind"):
        firestore_indexes.check(  # the same count by the kind an alert has now would need another index
            db.collection(fs.ALERTS)
            .where(filter=FieldFilter("kind", "==", "organic"))
            .where(filter=FieldFilter("opened_at", ">=", 1.0))
        )


def test_a_query_on_an_unregistered_field_combination_is_refused(db: firestore.Client) -> None:
    query = _newest(db.collection(fs.ALERTS).where(filter=FieldFilter("rule", "==", "spike")))
    with pytest.raises(firestore_indexes.UnindexedQuery, match="rule"):
        firestore_indexes.check(query)


def _needs_checking(node: ast.FunctionDef) -> bool:
    """A function that filters and sorts, filters an array, or filters one field by equality
    and another by a range, may need a composite index."""
    calls = {n.func.attr for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    strings = {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    equality_and_range = bool(strings & {"==", "in"}) and bool(strings & {"<", "<=", ">", ">="})
    return ("where" in calls and ("order_by" in calls or equality_and_range)) or bool(
        strings & {"array_contains", "array_contains_any"}
    )


def _checks(node: ast.FunctionDef) -> bool:
    return any(
        isinstance(n, ast.Call)
        and (
            (isinstance(n.func, ast.Attribute) and n.func.attr == "indexed")
            or (isinstance(n.func, ast.Name) and n.func.id == "indexed")
        )
        for n in ast.walk(node)
    )


def test_every_function_that_builds_a_filtered_sorted_query_checks_it_against_the_indexes() -> None:
    """What keeps COMPOSITE_INDEXES honest: a new composite query in code cannot skip it."""
    unchecked = []
    for path in sorted([*(ROOT / "functions").rglob("*.py"), *(ROOT / "common").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and _needs_checking(node) and not _checks(node):
                unchecked.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert unchecked == []


def test_tests_and_the_local_stack_check_every_composite_query_production_runs_unchecked(
    db: firestore.Client,
) -> None:
    query = _newest(db.collection(fs.ALERTS).where(filter=FieldFilter("rule", "==", "spike")))
    with pytest.raises(firestore_indexes.UnindexedQuery):
        fs.indexed(query)  # tests/conftest.py installs the checker, as devtools/stack_main.py does
