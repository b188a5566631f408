from common.timekeys import hour_key
from common.trending import rank, window_mentions

NOW = 1_760_000_000.0
H = 3600.0


def summary(symbol: str, as_of: float, series: dict[float, int]) -> dict[str, object]:
    return {"symbol": symbol, "as_of": as_of, "series": {hour_key(t): n for t, n in series.items()}}


def test_a_window_counts_only_the_hours_that_end_now() -> None:
    s = summary("GME", NOW - 30 * H, {NOW - 30 * H: 50, NOW - 31 * H: 40})
    assert window_mentions(s, NOW - 30 * H, "24h") == 90  # seen from its own last mention
    assert window_mentions(s, NOW, "24h") == 0  # seen from now: silent for a day
    assert window_mentions(summary("AMC", NOW, {NOW: 3, NOW - 5 * H: 4, NOW - 6 * H: 5}), NOW, "6h") == 7


def test_a_silent_ticker_drops_out_and_the_live_ones_rank_by_their_count_now() -> None:
    stale = summary("OLD", NOW - 48 * H, {NOW - 48 * H: 146})
    busy = summary("AMC", NOW, {NOW: 10, NOW - 2 * H: 20})
    quiet = summary("BB", NOW - H, {NOW - H: 5})
    assert [(t.symbol, t.mentions) for t in rank([stale, quiet, busy], NOW, "24h", 10)] == [("AMC", 30), ("BB", 5)]
    assert [t.symbol for t in rank([stale, quiet, busy], NOW, "1h", 10)] == ["AMC"]


def test_a_summary_without_a_series_counts_its_window_only_in_the_hour_it_was_written() -> None:
    legacy = {"symbol": "X", "as_of": NOW, "windows": {"24h": {"mentions": 9}}}
    assert window_mentions(legacy, NOW + 60, "24h") == 9
    assert window_mentions(legacy, NOW + 2 * H, "24h") == 0
