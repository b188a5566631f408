"""The replay corpus generator: deterministic, realistic in shape, labelled."""

import gzip
import json
import re
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from devtools.replay.generate import DEFAULT_START, Corpus, generate, write

DAYS = 4


@cache
def small(seed: int) -> Corpus:
    return generate(seed, DAYS)


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    write(small(5), tmp_path / "a")
    write(generate(5, DAYS), tmp_path / "b")
    for name in ("items.jsonl.gz", "authors.jsonl.gz", "labels.json", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_another_seed_writes_another_corpus() -> None:
    assert small(5).items[:50] != small(6).items[:50]


def test_items_are_in_time_order_within_the_corpus_span() -> None:
    corpus = small(5)
    times = [i["created_utc"] for i in corpus.items]
    assert times == sorted(times)
    assert times[0] >= DEFAULT_START and times[-1] < DEFAULT_START + DAYS * 86400
    assert corpus.manifest["items"] == len(corpus.items)


def test_every_comment_answers_an_earlier_item_of_its_thread() -> None:
    corpus = small(5)
    seen: dict[str, dict[str, object]] = {}
    for item in corpus.items:
        if item["kind"] == "comment":
            assert item["link_id"] in seen
            assert item["parent_id"] in seen
            assert item["permalink"].startswith(str(seen[item["link_id"]]["permalink"]))
        seen[item["id"]] = item


def test_items_follow_the_formats_fields_and_base36_ids() -> None:
    post = next(i for i in small(5).items if i["kind"] == "post")
    comment = next(i for i in small(5).items if i["kind"] == "comment")
    assert set(post) == {"id", "kind", "subreddit", "author", "title", "body", "url", "permalink", "flair", "score",
                         "num_comments", "created_utc", "stickied"}  # fmt: skip
    assert set(comment) == {"id", "kind", "subreddit", "author", "body", "permalink", "score", "created_utc",
                            "parent_id", "link_id"}  # fmt: skip
    for item in (post, comment):
        prefix, _, rest = item["id"].partition("_")
        assert prefix in ("t1", "t3") and rest.isalnum() and rest == rest.lower()


def test_the_site_is_busier_in_us_trading_hours_than_at_night() -> None:
    hours = Counter(datetime.fromtimestamp(i["created_utc"], UTC).hour for i in small(5).items)
    assert hours[16] > 3 * hours[6]


def test_ambiguous_capitalised_words_appear_as_noise() -> None:
    text = " ".join(i["body"] for i in small(5).items[:3000])
    for word in ("IT", "ALL", "DD", "YOLO", "CEO", "ON", "GO"):
        assert re.search(rf"\b{word}\b", text), word


def test_every_kind_of_scenario_is_labelled_with_a_peak_after_its_start() -> None:
    labels = generate(7, 14).labels
    kinds = Counter(label["scenario"] for label in labels)
    assert kinds == {"organic_breakout": 4, "pump": 3, "late_viral": 1, "always_popular": 1}
    for label in labels:
        assert label["start"] <= label["peak"]


def test_pump_campaigns_use_new_accounts_and_rockets() -> None:
    corpus = generate(7, 14)
    authors = {a["name"]: a for a in corpus.authors}
    for label in (x for x in corpus.labels if x["scenario"] == "pump"):
        spam = [i for i in corpus.items if f"${label['ticker']}" in i["body"] and "🚀" in i["body"] and i["author"]]
        assert len(spam) >= 20
        young = [i for i in spam if i["created_utc"] - authors[i["author"]]["created_utc"] < 30 * 86400]
        assert len(young) > len(spam) / 5  # the quiet campaign leans on aged accounts
        assert len({i["author"] for i in spam}) < len(spam) / 2


def test_the_bundled_corpus_is_what_the_generator_makes() -> None:
    bundled = Path(__file__).resolve().parents[2] / "data" / "replay" / "default"
    manifest = json.loads((bundled / "manifest.json").read_text())
    assert manifest["seed"] == 7
    assert 20_000 <= manifest["items"] <= 60_000
    with gzip.open(bundled / "items.jsonl.gz", "rt") as lines:
        assert sum(1 for _ in lines) == manifest["items"]
    assert (bundled / "items.jsonl.gz").stat().st_size < 5_000_000
