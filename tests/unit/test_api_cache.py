"""The API's per-instance memo: shared answers for a few seconds, and an expiry that costs
one caller the recomputation while the others keep the answer of a moment ago."""

import contextlib
import functools

from functions.api.cache import TtlMemo


def test_a_value_is_shared_until_it_expires() -> None:
    clock = [0.0]
    memo: TtlMemo[int] = TtlMemo(5.0, clock=lambda: clock[0])
    assert memo.get("k", lambda: 1) == 1
    clock[0] = 4.9
    assert memo.get("k", lambda: 2) == 1
    assert memo.get("other", lambda: 3) == 3  # another key, another answer
    clock[0] = 5.0
    assert memo.get("k", lambda: 4) == 4


def test_while_one_caller_recomputes_an_expired_value_the_others_get_the_old_one() -> None:
    clock = [0.0]
    memo: TtlMemo[str] = TtlMemo(5.0, clock=lambda: clock[0])
    memo.get("k", lambda: "old")
    clock[0] = 6.0
    seen_meanwhile: list[str] = []

    def slow_recompute() -> str:
        seen_meanwhile.append(memo.get("k", lambda: "a second recomputation"))  # another caller, meanwhile
        return "new"

    assert memo.get("k", slow_recompute) == "new"
    assert seen_meanwhile == ["old"]
    assert memo.get("k", lambda: "unused") == "new"


def test_a_failed_recomputation_lets_the_next_caller_try_again() -> None:
    clock = [0.0]
    memo: TtlMemo[str] = TtlMemo(5.0, clock=lambda: clock[0])
    memo.get("k", lambda: "old")
    clock[0] = 6.0

    def broken() -> str:
        raise RuntimeError("store down")

    with contextlib.suppress(RuntimeError):
        memo.get("k", broken)
    assert memo.get("k", lambda: "new") == "new"


def test_a_zero_time_to_live_computes_every_time() -> None:
    memo: TtlMemo[int] = TtlMemo(0.0)
    values = iter(range(3))
    assert [memo.get("k", lambda: next(values)) for _ in range(3)] == [0, 1, 2]


def test_views_read_often_stay_while_many_views_read_once_come_and_go() -> None:
    """A caller asking for views of its own (a ``since`` each) cannot empty the cache of the
    views every client polls."""
    memo: TtlMemo[str] = TtlMemo(5.0, clock=lambda: 0.0, max_entries=4)
    computed: list[str] = []

    def compute(key: str) -> str:
        computed.append(key)
        return key

    memo.get("polled", lambda: compute("polled"))
    for n in range(20):
        memo.get(f"since={n}", functools.partial(compute, f"since={n}"))
        memo.get("polled", lambda: compute("polled"))
    assert computed.count("polled") == 1
    assert len(computed) == 21
