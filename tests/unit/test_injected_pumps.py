"""The injected-pump evaluation: campaigns are drawn in their documented ranges, written as
posts the extractor reads, scored the way the docstring says, and drawn without any of the
detector's constants."""

import ast
import json
import random
from pathlib import Path

from common import extraction
from eval.real import pumps
from eval.real.results import RESULTS

MAY_2021 = 1_619_827_200.0
HOUR = 3600.0


def test_campaigns_stay_in_their_documented_ranges() -> None:
    campaigns = pumps.draw(random.Random(3), [f"Q{i:03d}" for i in range(100)], MAY_2021)
    assert len(campaigns) == pumps.CAMPAIGNS
    assert len({c.symbol for c in campaigns}) == pumps.CAMPAIGNS
    for c in campaigns:
        assert 3 <= c.accounts <= 40 and 1 <= c.posts_per_account <= 6
        assert 0.2 <= c.new_share <= 1.0 and 0.2 <= c.copy_share <= 0.9 and 0.0 <= c.stuffed_share <= 0.6
        assert 0 <= c.emoji_max <= 12 and 6 <= c.hours <= 72
        assert MAY_2021 + pumps.FIRST_DAY * 86400 <= c.start <= MAY_2021 + pumps.LAST_DAY * 86400


def test_a_campaigns_posts_name_its_symbol_from_its_accounts_within_its_hours() -> None:
    campaign = pumps.Campaign("ODP", MAY_2021 + 10 * 86400, 12.0, 5, 3, 1.0, 0.5, 4, 0.5)
    items, authors = pumps.write(random.Random(5), campaign, 0)
    assert len(items) == 15 and len(authors) == 5
    assert {i.author for i in items} == {a["name"] for a in authors}
    assert all(campaign.start <= i.created_utc <= campaign.end for i in items)
    assert all(a["created_utc"] >= campaign.start - 60 * 86400 for a in authors)  # all new
    found = [extraction.symbols(f"{i.title}\n{i.body}", at=i.created_utc) for i in items]
    assert all("ODP" in symbols for symbols in found)


def _record(symbol: str, at: float, kind: str, event: str = "opened") -> dict[str, object]:
    return {"symbol": symbol, "at": at, "kind": kind, "event": event}


def test_scoring_counts_flags_organic_announcements_and_real_events_called_pumps() -> None:
    start = MAY_2021 + 10 * 86400
    a = pumps.Campaign("AAA", start, 10.0, 5, 1, 0.5, 0.5, 0, 0.0)
    b = pumps.Campaign("BBB", start, 10.0, 5, 1, 0.5, 0.5, 0, 0.0)
    c = pumps.Campaign("CCC", start, 10.0, 5, 1, 0.5, 0.5, 0, 0.0)
    records = [
        _record("AAA", start + 2 * HOUR, "pump"),
        _record("BBB", start + HOUR, "organic"),
        _record("BBB", start + 3 * HOUR, "pump", "reclassified"),
        _record("CCC", start + 20 * 86400, "pump"),  # long after the campaign: not its flag
        _record("GME", start, "pump"),
    ]
    events = [{"ticker": "GME", "discussion_start": start - 86400, "peak": start + 86400}]
    result = pumps.score(records, [a, b, c], events)
    assert [r["flagged"] for r in result["campaigns"]] == [True, True, False]
    assert [r["alerted_as_organic"] for r in result["campaigns"]] == [False, True, False]
    assert result["campaigns"][0]["hours_to_flag"] == 2.0
    assert (result["pumps_flagged"], result["pumps_alerted_as_organic"]) == (2, 1)
    assert result["real_events_called_pump"] == ["GME"]


def test_the_campaigns_share_no_constant_with_the_detector() -> None:
    tree = ast.parse(Path(pumps.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and (m.startswith("common.detection_config") or m.startswith("common.metrics")) for m in imported)
    assert not any(m and m.startswith("common.detection.") and m != "common.detection.backtest" for m in imported)


def test_the_pooled_figures_add_every_draw_once_and_count_the_draws_at_90_percent() -> None:
    def draw(seed: int, flagged: int, organic: int, called: list[str], total: int = 24) -> dict[str, object]:
        return {"seed": seed, "pumps_total": total, "pumps_flagged": flagged, "pumps_alerted_as_organic": organic,
                "real_events_called_pump": called}  # fmt: skip

    test = draw(pumps.TEST_SEED, 24, 0, [])
    draws = {"test": test, "seed_20261202": test, "seed_1": draw(7, 21, 1, ["BB"]), "seed_2": draw(8, 9, 0, [], 10)}
    pooled = pumps.pooled(draws)
    assert pooled["all"] == {
        "draws": 3,
        "pumps_total": 58,
        "pumps_flagged": 54,
        "pump_recall": 0.931,
        "pumps_alerted_as_organic": 1,
        "draws_flagging_90_percent": 2,
        "real_event_pump_calls": 1,
    }, "the test draw recorded twice counts once; 9 of 10 is 90 %"
    assert (pooled["others"]["draws"], pooled["others"]["pumps_flagged"]) == (2, 30)
    late = draw(min(pumps.UNREAD_SEEDS), 22, 1, [])
    read = draw(min(pumps.UNREAD_SEEDS) - 1, 20, 0, [])  # measured again when a rule tried on it was dropped
    unnamed = draw(max(pumps.UNREAD_SEEDS) + 1, 24, 0, [])  # a later draw joins only once named
    more = {**draws, "late": late, "read": read, "unnamed": unnamed}
    untouched = pumps.pooled(more)["untouched"]  # only the draws named as first measured after every change
    assert (untouched["draws"], untouched["pumps_flagged"], untouched["pumps_alerted_as_organic"]) == (1, 22, 1)


def test_the_committed_pooled_figures_are_those_of_the_committed_draws() -> None:
    results = json.loads(RESULTS.read_text())
    assert results["real_injected_pumps_pooled"] == pumps.pooled(results["real_injected_pumps"])


def test_the_committed_chatter_figures_are_those_of_the_committed_chatter_draws() -> None:
    results = json.loads(RESULTS.read_text())
    draws = results[pumps.CHATTER_KEY]
    assert results[f"{pumps.CHATTER_KEY}_pooled"] == pumps.chatter_pooled(draws)
    assert all(d["symbols"] == "chatter" for d in draws.values())
    pooled = results[f"{pumps.CHATTER_KEY}_pooled"]
    parts = (pooled["talked_of_in_the_week_before"], pooled["quiet_a_week_or_more"])
    assert sum(p["pumps_total"] for p in parts) == pooled["pumps_total"]  # every campaign in one part
    assert sum(p["pumps_alerted_as_organic"] for p in parts) == pooled["pumps_alerted_as_organic"]
    assert not set(draws) & set(results["real_injected_pumps"])  # kept apart from the quiet-name draws


def test_chatter_campaigns_pick_names_with_a_small_following_the_background_never_alerts_on() -> None:
    day = 86400.0
    early = MAY_2021 + day  # before any campaign starts
    late = MAY_2021 + (pumps.FIRST_DAY + 1) * day  # after: does not count as the name's following
    low, high = pumps.CHATTER
    mentions = {
        "ODP": [early] * low,  # a small following
        "SBUX": [early] * high,  # a larger one, still small
        "WEN": [early] * low,  # an English word: refused whatever its talk
        "KSS": [early] * (high + 1),  # too much talk: a name everyone discusses
        "CLF": [early] * (low - 1) + [late] * 5,  # its talk came only once campaigns may start
        "GTHX": [early] * high,  # followed, but (as the call below says) the background alone alerts on it
    }
    picked = pumps._chatter_symbols(mentions, MAY_2021, alerted={"GTHX"})
    assert {"ODP", "SBUX"} <= set(picked)
    assert not {"WEN", "KSS", "CLF", "GTHX"} & set(picked)
    assert pumps._days_quiet(mentions, "ODP", early + 2 * day) == 2.0
    assert pumps._days_quiet(mentions, "XYZQ", early) is None
