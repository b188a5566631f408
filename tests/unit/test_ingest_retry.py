"""How long fetch waits before retrying Reddit, and when it gives up (pure: headers in)."""

from common.adapters.reddit import RetryPolicy, retry_wait

POLICY = RetryPolicy(retries=3, base_delay=0.5, max_wait=30.0)


def test_retry_after_is_honoured_exactly() -> None:
    assert retry_wait(POLICY, 0, 429, {"Retry-After": "12"}) == 12.0


def test_a_spent_rate_limit_budget_waits_for_its_reset() -> None:
    headers = {"x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "9", "x-ratelimit-used": "100"}
    assert retry_wait(POLICY, 0, 429, headers) == 9.0


def test_server_errors_back_off_exponentially_with_bounded_jitter() -> None:
    waits = [retry_wait(POLICY, attempt, 503, {}) for attempt in range(3)]
    for attempt, wait in enumerate(waits):
        assert wait is not None
        assert 0.5 * 2**attempt <= wait <= 0.75 * 2**attempt


def test_it_gives_up_after_the_retry_budget() -> None:
    assert retry_wait(POLICY, 3, 500, {}) is None


def test_a_wait_longer_than_the_ceiling_gives_up_instead_of_holding_the_function() -> None:
    assert retry_wait(POLICY, 0, 429, {"retry-after": "600"}) is None


def test_garbage_headers_fall_back_to_backoff() -> None:
    wait = retry_wait(POLICY, 0, 503, {"retry-after": "soon"})
    assert wait is not None and 0.5 <= wait <= 0.75


def test_a_429_that_asks_nothing_backs_off_from_seconds_not_half_a_second() -> None:
    """Reddit is throttling us: a retry half a second later only adds to what it counts."""
    waits = [retry_wait(POLICY, attempt, 429, {"retry-after": "soon"}) for attempt in range(3)]
    for attempt, wait in enumerate(waits):
        assert wait is not None and 5 * 2**attempt <= wait <= 7.5 * 2**attempt
