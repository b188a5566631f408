"""eval/real/cadence.py's simulation, on streams whose losses are known by hand."""

from common.dispatching import Cadence
from eval.real.cadence import simulate, stream

CADENCE = Cadence(listing_cap=100, fill=0.5, shortest_s=60.0, longest_s=600.0, hold_s=540.0)


def test_a_fixed_ten_minute_fetch_loses_what_a_listing_cannot_hold_and_the_cadence_keeps_up() -> None:
    times = [float(t) for t in range(1, 3601)]  # one item a second for an hour
    fixed = simulate(times, None, cap=100, hours=1.0)
    # fetches at 60 s (60 items), then every 600 s to 3,060 s, each of 600 items losing 500;
    # the last read, at 3,600 s, finds 540 and loses 440
    assert fixed == {"fetches_per_hour": 6.0, "lost_share": round((5 * 500 + 440) / 3600, 4)}
    kept = simulate(times, CADENCE, cap=100, hours=1.0)
    assert kept["fetches_per_hour"] == 60.0 and kept["lost_share"] == 0.0  # 60 a minute: the shortest interval


def test_a_stream_played_faster_keeps_its_gaps_shape_and_repeats_to_fill_the_hours() -> None:
    played = stream([100.0, 101.0, 103.0], speedup=2.0, hours=10 / 3600)
    assert played[:6] == [0.0, 0.5, 1.5, 2.25, 2.75, 3.75]
