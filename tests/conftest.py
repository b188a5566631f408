"""Fixtures shared by every tier.

The integration and end-to-end tiers share ONE local stack per test session (the real
Pub/Sub and Firestore emulators plus every function as its own process); Firestore is
cleared after each test that used it.
"""

import os
from collections.abc import Callable, Iterator

import pytest

from devtools import firestore_indexes, firestore_ops
from devtools.pubsub import Observer
from devtools.reddit import LocalReddit
from emulators.stack import Stack

# Tests that run a function in this process count its Firestore operations as the stack does.
firestore_ops.install()
firestore_indexes.install()  # and refuse a query production would refuse for want of an index

# fetch's Reddit retries, shortened so failure tests do not sleep through real backoffs.
FAST_REDDIT_RETRIES = {"REDDIT_BACKOFF_S": "0.05", "REDDIT_MAX_RETRIES": "3", "REDDIT_TIMEOUT_S": "5"}
# The api process outlives each test's Firestore: a listing one test shared must not answer the
# next test's (the listing cache has its own test, tests/integration/test_api.py).
TEST_ENV = {**FAST_REDDIT_RETRIES, "ALERTS_CACHE_S": "0"}


# The first test to ask for the session stack pays for starting it (three JVMs, bqemulator's
# provisioning, every function): pytest-timeout counts fixture setup in that test's time.
STACK_START_TIMEOUT_S = 900


def pytest_collection_finish(session: pytest.Session) -> None:
    for item in session.items:  # the tests that run, once -k, -m and --deselect have chosen
        if "stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(STACK_START_TIMEOUT_S), append=False)
            return


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    log_dir = tmp_path_factory.mktemp("stack-logs")
    running = Stack(log_dir=log_dir, extra_env=TEST_ENV)
    running.start()
    saved = dict(os.environ)
    os.environ.update(running.env)  # the test process talks to the same emulators
    try:
        yield running
    finally:
        running.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def emulators(stack: Stack) -> Iterator[Stack]:
    """The session stack, with Firestore emptied after the test."""
    yield stack
    assert stack.emulators is not None
    stack.emulators.clear_firestore()


@pytest.fixture
def observe(emulators: Stack) -> Iterator[Callable[[str], Observer]]:
    made: list[Observer] = []

    def _observe(topic: str) -> Observer:
        assert emulators.emulators is not None
        observer = Observer(emulators.emulators.project, topic)
        made.append(observer)
        return observer

    yield _observe
    for observer in made:
        observer.close()


@pytest.fixture
def local_reddit(emulators: Stack) -> Iterator[LocalReddit]:
    """The session's local Reddit, empty (no corpus, faults, counts) before and after the
    test, so fetches started by other tests never read this test's corpus."""
    assert emulators.reddit is not None
    reddit = LocalReddit(emulators.reddit.url)
    reddit.load("")
    yield reddit
    reddit.load("")
