"""Replay a JSONL corpus of Reddit items through the production pure core, in data time.

``python -m common.detection.backtest data/replay/default [--config cfg.json]`` prints one
JSON line per alert event (opened, escalated, reopened, reclassified, resolved). Items go
through exactly what fetch and aggregate do — :func:`common.mentions.mentions_from_item`
(with the thread's symbols for comments), :func:`common.duplicates.find_duplicates` against
the ticker's recent signatures, :func:`common.metrics.bucket_deltas` and ``merge`` — one
batch per ticker per hour, and each touched ticker is then assessed like a ``ticker-updates``
message would make ``functions/detect`` do.

:func:`preview` is the API's "what would this config raise" on stored buckets.
"""

import argparse
import gzip
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from common import duplicates, extraction, ingest
from common.aggregation import citable
from common.detection.baseline import HOUR, GlobalStats
from common.detection.engine import StoredCrowd, TickerState, WeekVolume, assess, kept_hours, replay_buckets
from common.detection.lifecycle import Alert, budget_window
from common.detection_config import DEFAULT_CONFIG, DetectionConfig
from common.evidence import keep_candidates
from common.fields import karma, number
from common.mentions import item_text, mentions_from_item
from common.messages import Mention, RedditItem
from common.metrics import HourBucket, bucket_deltas, is_discussion
from common.settings import DEFAULT_BOT_ACCOUNTS

ITEM_FIELDS = set(RedditItem.model_fields)


class Account(NamedTuple):
    """What the replay reads of an author: the age and karma fetch would look them up for,
    and the account's id (``t2_...``, from which eval/real/ages estimates an age). Only
    these: an unfiltered month holds millions of authors, each a whole row in memory."""

    created_utc: float | None
    karma: int | None
    id: str | None = None


@dataclass(frozen=True)
class Corpus:
    path: Path
    manifest: dict[str, Any]
    labels: list[dict[str, Any]]
    authors: dict[str, Account]

    def items(self, bots: Iterable[str] | None = DEFAULT_BOT_ACCOUNTS) -> Iterator[RedditItem]:
        """Every item fetch would ingest (:meth:`read`); ``bots`` None: every item, as Reddit's
        listings show them (what fills a listing and sets a subreddit's pace)."""
        return (item for item, ingested in self.read(() if bots is None else bots) if ingested or bots is None)

    def read(self, bots: Iterable[str] = DEFAULT_BOT_ACCOUNTS) -> Iterator[tuple[RedditItem, bool]]:
        """Every item in time order (ties by id), whatever the file's order, with whether fetch
        ingests it: the format says order does not matter, so the replay must not depend on
        it. A file already in that order (the importer writes it so) is read twice, streaming,
        so a month of a busy subreddit fits in memory; any other (the generator's puts a post
        before a comment of the same second) is sorted in memory. Fetch skips stickied posts
        and the posts and comments of AutoModerator and ``bots``
        (:func:`common.ingest.keep_post`), though a skipped post is still its comments'
        thread."""
        rows: Iterable[dict[str, Any]] = corpus_rows(self.path, "items")
        if not _in_order(corpus_rows(self.path, "items")):
            rows = sorted(rows, key=_order)
        skipped = tuple(bots)
        previous: tuple[object, ...] = ()
        for raw in rows:
            # an id a hand-made corpus repeats is read once, as the local Reddit serves it
            # (copies of one second and id come together in this order)
            key = (raw.get("kind"), raw.get("id"), raw.get("created_utc"))
            if key == previous:
                continue
            previous = key
            ingested = not (
                (raw.get("kind") == "post" and raw.get("stickied"))
                or ingest.is_ignored_author(raw.get("author"), skipped)
            )
            author = self.authors.get(raw.get("author") or "")
            if author is not None:
                raw["author_created_utc"], raw["author_karma"] = author.created_utc, author.karma
            yield RedditItem.model_validate({k: v for k, v in raw.items() if k in ITEM_FIELDS}), ingested


def _order(raw: Mapping[str, Any]) -> tuple[float, str]:
    return float(raw["created_utc"]), str(raw["id"])


def _in_order(rows: Iterable[Mapping[str, Any]]) -> bool:
    previous: tuple[float, str] | None = None
    for row in rows:
        key = _order(row)
        if previous is not None and key < previous:
            return False
        previous = key
    return True


def corpus_file(path: Path, stem: str) -> Path:
    """``stem.jsonl.gz`` or ``stem.jsonl`` (the gzipped one wins, as for the local Reddit)."""
    packed = path / f"{stem}.jsonl.gz"
    return packed if packed.exists() else path / f"{stem}.jsonl"


def corpus_lines(path: Path, stem: str) -> Iterator[str]:
    """:func:`corpus_file`'s lines; a byte-order mark (a file saved by an editor) is no part
    of its first line."""
    file = corpus_file(path, stem)
    with (
        gzip.open(file, "rt", encoding="utf-8-sig") if file.suffix == ".gz" else file.open(encoding="utf-8-sig")
    ) as lines:
        yield from lines


def corpus_rows(path: Path, stem: str) -> Iterator[dict[str, Any]]:
    """Each row of ``stem``'s file; a line that is not a JSON object fails with its file and
    line number, as the format promises (the parser's own line is the line's, always 1)."""
    for at, line in enumerate(corpus_lines(path, stem), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{corpus_file(path, stem)} line {at}: not JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise ValueError(f"{corpus_file(path, stem)} line {at}: not a JSON object")
        yield row


def account(row: Mapping[str, Any]) -> Account:
    """An ``authors.jsonl`` row as the replay reads it, as fetch reads an account's facts
    (a karma with a part that is no number: unknown)."""
    identity = row.get("id")
    known = karma(row.get("link_karma"), row.get("comment_karma"))
    return Account(number(row.get("created_utc")), known, identity if isinstance(identity, str) else None)


def load(path: Path) -> Corpus:
    """The corpus at ``path``; its accounts file is optional, as for the local Reddit (a
    corpus without one knows no account's age)."""
    authors: dict[str, Account] = {}
    rows = corpus_rows(path, "authors") if corpus_file(path, "authors").exists() else iter(())
    for row in rows:
        authors[row["name"]] = account(row)
    labels_path = path / "labels.json"
    labels = json.loads(labels_path.read_text()) if labels_path.exists() else []
    return Corpus(path, json.loads((path / "manifest.json").read_text()), labels, authors)


@dataclass(frozen=True)
class AlertEventRecord:
    event: str
    alert: Alert

    def to_json(self) -> dict[str, Any]:
        a = self.alert
        return {
            "event": self.event,
            "at": a.updated_at,
            "alert_id": a.alert_id,
            "symbol": a.symbol,
            "kind": a.kind,
            "status": a.status,
            "level": a.level,
            "rule": a.rule,
            "score": round(a.score, 4),
            "pump_risk": round(a.pump_risk, 4),
            "opened_at": a.opened_at,
            "reasons": list(a.reasons),
            "evidence": [e.to_doc()["permalink"] for e in a.evidence[:3]],
        }


@dataclass
class Replay:
    """The backtest's state: one :class:`TickerState` per ticker plus what the aggregator
    remembers for duplicate detection."""

    config: DetectionConfig = DEFAULT_CONFIG
    tickers: dict[str, TickerState] = field(default_factory=dict)
    signatures: dict[str, list[duplicates.Signature]] = field(default_factory=dict)
    thread_symbols: dict[str, frozenset[str]] = field(default_factory=dict)
    communities: dict[str, extraction.Community] = field(default_factory=dict)  # by subreddit, as fetch keeps them
    week: WeekVolume = field(default_factory=WeekVolume)
    records: list[AlertEventRecord] = field(default_factory=list)
    items: int = 0
    mentions: int = 0
    evaluations: int = 0

    def threads(self, posts: Iterable[RedditItem]) -> None:
        """Posts fetch does not ingest (stickied, a bot's) that are still their comments'
        thread: fetch reads a comment in the symbols of the post it lists, ingested or not
        (:func:`common.ingest.extract_mentions`), and so does the replay."""
        for post in posts:
            self.thread_symbols[post.id] = frozenset(extraction.symbols(item_text(post), at=post.created_utc))

    def hour(self, items: list[RedditItem]) -> list[AlertEventRecord]:
        """Count one hour of items, then assess every ticker it touched."""
        batches: dict[str, list[Mention]] = {}
        newest = max(i.created_utc for i in items)
        named: dict[str, frozenset[str]] = {}
        by_subreddit: dict[str, list[RedditItem]] = {}
        for item in items:  # grouped once: an hour of an unfiltered month spans thousands of subreddits
            by_subreddit.setdefault(item.subreddit.lower(), []).append(item)
        for subreddit, mine in by_subreddit.items():
            community = self.communities.get(subreddit, extraction.Community()).since(newest)  # what a cursor keeps
            community.add(extraction.community_counts((item_text(i), i.created_utc, i.author) for i in mine))
            self.communities[subreddit] = community
            named[subreddit] = community.symbols(newest)
        # The hour's posts first: a comment written in its post's second (ids order "t1_" before
        # "t3_") is read, as fetch reads it, with its thread's symbols known.
        read: dict[str, list[tuple[str, Mention]]] = {}
        for item in items:
            if item.kind == "post":
                read[item.id] = mentions_from_item(item, thread_symbols=named[item.subreddit.lower()], sentiment=False)
                self.thread_symbols[item.id] = frozenset(s for s, _ in read[item.id])
        for item in items:
            found = read.get(item.id) if item.kind == "post" else None
            if found is None:
                context = named[item.subreddit.lower()] | self.thread_symbols.get(item.link_id or "", frozenset())
                found = mentions_from_item(item, thread_symbols=context, sentiment=False)  # no decision reads it
            for symbol, mention in found:
                batches.setdefault(symbol, []).append(mention)
        self.items += len(items)
        if not batches:
            return []
        hour_index = int(items[0].created_utc // HOUR)
        discussion = {  # the market activity counts what production's series hold: discussion
            s: sum(is_discussion(m, self.config) for m in ms) for s, ms in batches.items()
        }
        self.week.add(hour_index, {s: len(ms) for s, ms in batches.items()}, discussion)
        stats = self.week.stats(hour_index, self.config)
        out: list[AlertEventRecord] = []
        for symbol in sorted(batches):
            mentions = batches[symbol]
            self.mentions += len(mentions)
            out.extend(self._ticker(symbol, mentions, stats))
        self.records.extend(out)
        return out

    def _ticker(self, symbol: str, mentions: list[Mention], stats: GlobalStats) -> list[AlertEventRecord]:
        recent = self.signatures.get(symbol, [])
        dupes = duplicates.find_duplicates(recent, mentions, **duplicates.rules_of(self.config))
        state = self.tickers.setdefault(symbol, TickerState())
        state.add(bucket_deltas(mentions, duplicate_ids=dupes, rules=self.config))
        as_of = max(m.created_utc for m in mentions)
        remembered = [duplicates.Signature.of(m) for m in mentions if m.author and duplicates.comparable(m)]
        self.signatures[symbol] = duplicates.keep_recent([*recent, *remembered], as_of)
        state.evidence = keep_candidates([*state.evidence, *citable(mentions, self.config)], as_of)
        outcome = assess(symbol, state, as_of, stats=stats, config=self.config)
        self.evaluations += 1
        self.week.note(outcome.alert, outcome.events, int(as_of // HOUR))
        ended = [AlertEventRecord("resolved", outcome.ended)] if outcome.ended is not None else []
        if outcome.alert is None:
            return ended
        # a resolution the same step reopened is in the alert's history, not a record of its own
        kept = [e for e in outcome.events if e != "updated" and not (e == "resolved" and outcome.alert.active)]
        return [*ended, *(AlertEventRecord(e, outcome.alert) for e in kept)]


def hours(items: Iterator[RedditItem]) -> Iterator[list[RedditItem]]:
    """Items grouped by the hour they were created in (the corpus is in time order)."""
    for batch in _hours_read((item, True) for item in items):
        yield [item for item, _ in batch]


def play(replay: "Replay", corpus: Corpus) -> Iterator[list[AlertEventRecord]]:
    """``corpus`` through ``replay`` hour by hour, as fetch would hand it on: the items it
    ingests counted, the posts it skips kept as their comments' thread; each hour's records."""
    for batch in _hours_read(corpus.read()):
        replay.threads([item for item, kept in batch if not kept and item.kind == "post"])
        if ingested := [item for item, kept in batch if kept]:
            yield replay.hour(ingested)


def run(corpus: Corpus, config: DetectionConfig = DEFAULT_CONFIG) -> Replay:
    replay = Replay(config=config)
    for _ in play(replay, corpus):
        pass
    return replay


def _hours_read(read: Iterator[tuple[RedditItem, bool]]) -> Iterator[list[tuple[RedditItem, bool]]]:
    """:func:`hours` of :meth:`Corpus.read`'s pairs."""
    batch: list[tuple[RedditItem, bool]] = []
    current: int | None = None
    for pair in read:
        index = int(pair[0].created_utc // HOUR)
        if current is not None and index != current and batch:
            yield batch
            batch = []
        current = index
        batch.append(pair)
    if batch:
        yield batch


def preview(
    buckets_by_ticker: Mapping[str, Mapping[str, HourBucket]],
    config: DetectionConfig,
    global_rate: float | None,
    as_of: float,
    crowds: Mapping[int, StoredCrowd] | None = None,
    *,
    since: float | None = None,
    began: float | None = None,
) -> list[Alert]:
    """The alerts ``config`` would have raised on stored hourly buckets (``tickers/{S}/hours``
    documents as :class:`HourBucket`, per symbol) up to ``as_of`` that were live from
    ``since`` on (opened then, or opened before and not resolved before it: an escalation or
    a reopening inside the window is news there): the buckets before it
    (:func:`history_hours` of them) are the history production judged those hours with.
    ``global_rate`` None means "the crowd detect stored for the hour, else learn it from these
    buckets as the backtest does". ``crowds`` (hour index -> what detect fixed for that hour:
    the alert budget spent, the rate, the market) stand in for the tickers not replayed; an
    hour without one counts the replay's own. ``began``: when production's data collection began (its
    warm-up). Evidence is empty: buckets do not name posts."""
    alerts = replay_buckets(buckets_by_ticker, config, global_rate, as_of, crowds, began=began)
    return alerts if since is None else [a for a in alerts if a.resolved_at is None or a.resolved_at >= since]


def history_hours(config: DetectionConfig) -> int:
    """Hours of stored data before a preview's window that its first hour is judged with in
    production: the baseline's history (its window reaches one hour further back than
    ``history_days``), the market's normal, the alert budget's day. Without them a preview's
    baselines knew only the window. (The warm-up is production's, given as ``began``.)"""
    return max(kept_hours(config), -budget_window(0).start)  # and the alert budget's day, counted back from an hour


def load_config(path: Path | None) -> DetectionConfig:
    if path is None:
        return DEFAULT_CONFIG
    try:
        raw = json.loads(path.read_text())
    except ValueError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from exc
    return DetectionConfig.model_validate(raw)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Replay a corpus through the detector; alerts as JSON lines.")
    parser.add_argument("corpus", type=Path, help="corpus directory (items.jsonl.gz, authors.jsonl.gz, ...)")
    parser.add_argument("--config", type=Path, help="DetectionConfig as JSON (defaults otherwise)")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        parser.error(f"{args.corpus}: no such corpus directory")
    try:  # a user's own corpus or config: what is wrong with it is said, not a traceback
        replay = Replay(config=load_config(args.config))
        corpus = load(args.corpus)
    except (OSError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        parser.error(str(exc))
    try:
        for records in play(replay, corpus):
            for record in records:
                sys.stdout.write(json.dumps(record.to_json()) + "\n")
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
