"""The order a notify invocation starts its deliveries in."""

from functions.notify import invocation


def test_deliveries_whose_webhook_is_failing_start_last_in_an_order_each_invocation_shuffles() -> None:
    users = [f"u{i}" for i in range(20)]
    failing = {"u0", "u1", "u2"}
    first = invocation.order(users, ident=str, failing=lambda u: u in failing, seed="A-1|1|100.0")
    assert set(first[-3:]) == failing and sorted(first) == sorted(users)
    again = invocation.order(users, ident=str, failing=lambda u: u in failing, seed="A-1|1|160.0")
    assert again != first  # the next invocation starts elsewhere
    assert first == invocation.order(users, ident=str, failing=lambda u: u in failing, seed="A-1|1|100.0")
