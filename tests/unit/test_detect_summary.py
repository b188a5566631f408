"""The detector decides from the ticker's summary document (series + windows) exactly as the
backtest decides from the hour buckets: one pure path, two feeds."""

from common.aggregation import SERIES_HOURS
from common.detection.baseline import GlobalStats
from common.detection.engine import decide, decide_summary, series_counts
from common.detection_config import DEFAULT_CONFIG
from common.evidence import Evidence
from common.metrics import series_of, summarize
from common.windows import WindowStats
from tests.unit.detect_helpers import H0, HOUR, START, buckets_of, mentions, steady

STATS = GlobalStats(rate=0.05, since=float(START))


def test_a_decision_from_the_stored_summary_equals_the_decision_from_the_buckets() -> None:
    quiet = steady(range(H0, H0 + 20 * 24, 5), 2)
    spike = mentions(H0 + 20 * 24, 40, text="x" * 300) + mentions(H0 + 20 * 24 + 1, 30, prefix="j")
    stuffed = mentions(H0 + 20 * 24 + 1, 12, prefix="c", cashtags=7)
    buckets = buckets_of([*quiet, *spike, *stuffed])
    for as_of in (float((H0 + 20 * 24) * HOUR + 1800), float((H0 + 20 * 24 + 1) * HOUR + 3000)):
        summary = summarize("TEST", buckets, as_of)
        doc = summary.model_dump(mode="json")  # what Firestore holds and detect reads back
        series = series_of(buckets, as_of, SERIES_HOURS)
        counts = {b.start_utc // HOUR: max(0, b.mentions - b.cashtag_stuffed_mentions) for b in buckets.values()}
        evidence = [Evidence("t3_a", "/r/x/comments/a/", "A", "x", "u", as_of - 60, 5)]
        from_buckets = decide("TEST", buckets, counts, None, evidence, as_of=as_of, stats=STATS, config=DEFAULT_CONFIG)
        from_summary = decide_summary(
            "TEST",
            series_counts(series, int(as_of // HOUR), DEFAULT_CONFIG),
            WindowStats.model_validate(doc["windows"]["6h"]),
            WindowStats.model_validate(doc["windows"]["24h"]),
            previous=None,
            evidence=evidence,
            as_of=as_of,
            stats=STATS,
            config=DEFAULT_CONFIG,
        )
        assert from_summary == from_buckets
    assert from_buckets.alert is not None, "the case exercises an alert, not two quiet evaluations"


def test_the_series_feeds_the_detector_only_its_configured_history() -> None:
    now = H0 + 40 * 24  # 2026-02-10 00:00 UTC
    series = {"2026012622": 4, "2026012623": 3, "2026020312": 2, "2026021000": 1, "2026021001": 9}
    assert series_counts(series, now, DEFAULT_CONFIG) == {now - 14 * 24 - 1: 3, now - 6 * 24 - 12: 2, now: 1}


def test_a_history_shorter_than_the_markets_normal_still_feeds_the_market_term_its_span() -> None:
    """A ticker's own past comes out of the community's normal it is part of, all of it,
    however short the history its baseline learns from: else a frenzy day raises its
    expectation by less than the frenzy."""
    from common.detection.engine import in_history, kept_hours

    short = DEFAULT_CONFIG.model_copy(update={"history_days": 3})
    span = short.market_days * 24 + short.market_window_hours
    assert kept_hours(short) == span and kept_hours(DEFAULT_CONFIG) == 14 * 24 + 1
    now = H0 + 40 * 24
    counts = {h: 100 for h in range(now - 20 * 24, now + 1)}
    assert min(in_history(counts, now, short)) == now - span
    assert min(in_history(counts, now, DEFAULT_CONFIG)) == now - 14 * 24 - 1


def test_the_summarys_series_reaches_as_far_back_as_any_storable_config_reads() -> None:
    """A detector reading hours the series no longer holds would take them for silence."""
    from common.aggregation import SERIES_HOURS
    from common.detection.engine import kept_hours

    fields = DEFAULT_CONFIG.model_fields
    furthest = DEFAULT_CONFIG.model_copy(
        update={
            name: next(m.le for m in fields[name].metadata if hasattr(m, "le"))
            for name in ("history_days", "market_days", "market_window_hours")
        }
    )
    assert kept_hours(furthest) + 1 <= SERIES_HOURS
