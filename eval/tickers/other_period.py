"""A labelled set from another period and source: r/wallstreetbets posts of 18 to 21 January
2022 and comments of a quarter of an hour on the 21st, from a public dump (``reddit_wsb.csv``
of the GitHub repository jcp650/wsb_pipeline-sentiment, as of its commit 079b7ef, sha256
4cb1b9ab…: title, body, id, created, which its scraper took from PRAW's ``created``;
original punctuation; no authors, no threads). Every other
labelled text is from December 2020 or May to July 2021, and the rules were tuned on those
periods' dev split. Its held-out draw (320 texts) is drawn, labelled blind and hashed
before the extractor ran on it, and no rule is written from it; as first measured
(``real_other_period_first``) it said how the extractor did on a period it had never seen,
before rules were tuned on the same days' dev draw. A dev draw (302 texts it left, ``--split
dev``, labelled the same way) is what rules for this period may be tuned on.

The project keeps the ids and labels (``other_period_ids.jsonl``, with a hash of each text
as the labellers read it, ``other_period_labels.jsonl``, ``other_period_labels.sha256``, and
the same ``other_period_dev_*``); the texts are read from the dump each time (``--csv`` or
``AKLEAO_WSB_2022_CSV``), never committed, and a text that is not the one labelled stops the
scoring.
"""

import argparse
import csv
import json
import os
import random
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.listings import EXCHANGE_TZ
from eval.tickers.real_set import RealText, cut, file_digest, read_rows, stratum, text_digest

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Dump:
    """A public dump from outside the development corpora and how its labelled draws were
    made: where its texts are read from, the draws' files, seeds and quotas."""

    corpus: str
    env: str  # names the dump's path on this machine
    what: str  # the path the variable must name, for the message when it is unset
    read: Callable[[Path], dict[str, RealText]]
    ids: Path
    labels: Path
    labels_hash: Path
    dev_ids: Path
    dev_labels: Path
    dev_labels_hash: Path
    seed: int
    dev_seed: int
    # Texts drawn per stratum (real_set.stratum, regexes of its own): the hard strata first, a
    # short one's spare going to plain posts and comments.
    quotas: dict[str, int] = field(default_factory=dict)
    dev_quotas: dict[str, int] = field(default_factory=dict)

    def paths(self, split: str) -> tuple[Path, Path]:
        """(ids, labels) of a draw: ``held_out`` or ``dev``."""
        return (self.ids, self.labels) if split == "held_out" else (self.dev_ids, self.dev_labels)


IDS = HERE / "other_period_ids.jsonl"
LABELS = HERE / "other_period_labels.jsonl"
LABELS_HASH = HERE / "other_period_labels.sha256"
CORPUS = "wsb-2022-01"
ENV = "AKLEAO_WSB_2022_CSV"
# A dev draw, from the texts the held-out one left: what rules may be tuned on. The dump's
# lists were all drawn for the held-out set, and most of its hard strata.
DEV_IDS = HERE / "other_period_dev_ids.jsonl"
DEV_LABELS = HERE / "other_period_dev_labels.jsonl"
DEV_LABELS_HASH = HERE / "other_period_dev_labels.sha256"
QUOTAS = {"url": 50, "list": 60, "all_caps": 30, "ambiguous": 60, "cashtag": 40, "post": 40, "comment": 40}


class MissingDump(RuntimeError):
    """The dump is not on this machine: the other period's figures cannot be computed."""


class WrongDump(ValueError):
    """The file given is not the dump the set was labelled from: scoring it would measure
    other texts than the labels describe."""


def csv_path(given: str | None = None, dump: "Dump | None" = None) -> Path:
    """Where the dump is on this machine: ``given``, else its variable's path."""
    env, what = (dump.env, dump.what) if dump else (ENV, "the 2022 dump's reddit_wsb.csv")
    path = given or os.environ.get(env)
    if not path:
        raise MissingDump(f"set {env} (or --csv) to {what}; its texts are never in the project")
    if not Path(path).exists():
        raise MissingDump(f"{path} is absent")
    return Path(path)


def read_dump(path: Path) -> dict[str, RealText]:
    """Every post and comment with text, by fullname (a row repeated in the dump is kept
    once). The dump gives a comment the title "Comment" and no thread."""
    out: dict[str, RealText] = {}
    try:
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                _read_row(row, out)
    except (OSError, csv.Error, ValueError) as exc:
        raise WrongDump(f"{path} is not the dump: {exc}") from exc
    return out


def _read_row(row: dict[str, str | None], out: dict[str, RealText]) -> None:
    """A row as the labellers read it. Bodies Reddit removed are kept as written (none of the
    drawn texts has one)."""
    body = (row.get("body") or "").strip()
    title = (row.get("title") or "").strip()
    item_id, created = row.get("id") or "", row.get("created") or ""
    if item_id and created:
        comment = title == "Comment" and len(item_id) == 7  # a post's id has 6 characters
        text = cut(body if comment else f"{title}\n{body}".strip())
        key = f"{'t1' if comment else 't3'}_{item_id}"
        if text:
            kind = "comment" if comment else "post"
            out.setdefault(key, RealText(key, CORPUS, kind, float(created), text, ""))


WSB_2022 = Dump(
    corpus=CORPUS,
    env=ENV,
    what="the 2022 dump's reddit_wsb.csv",
    read=read_dump,
    ids=IDS,
    labels=LABELS,
    labels_hash=LABELS_HASH,
    dev_ids=DEV_IDS,
    dev_labels=DEV_LABELS,
    dev_labels_hash=DEV_LABELS_HASH,
    seed=20261205,
    dev_seed=20261206,
    quotas=QUOTAS,
    dev_quotas={"url": 40, "ambiguous": 27, "cashtag": 35, "post": 100, "comment": 100},
)


def paths(split: str) -> tuple[Path, Path]:
    """(ids, labels) of the 2022 dump's draw: ``held_out`` or ``dev``."""
    return WSB_2022.paths(split)


def sample(
    posts: dict[str, RealText], split: str = "held_out", taken: frozenset[str] = frozenset(), dump: Dump = WSB_2022
) -> list[dict[str, Any]]:
    rng = random.Random(dump.seed if split == "held_out" else dump.dev_seed)
    pool: dict[str, list[RealText]] = {}
    for t in sorted(posts.values(), key=lambda t: t.id):
        if t.id not in taken:
            pool.setdefault(stratum(t), []).append(t)
    quotas = dict(dump.quotas if split == "held_out" else dump.dev_quotas)
    spare = sum(max(0, n - len(pool.get(s, []))) for s, n in quotas.items())
    quotas["post"] += spare - spare // 2
    quotas["comment"] += spare // 2
    chosen = []
    for s in sorted(pool):
        for t in rng.sample(pool[s], min(quotas.get(s, 0), len(pool[s]))):
            chosen.append(
                {
                    "id": t.id,
                    "corpus": t.corpus,
                    "kind": t.kind,
                    "stratum": s,
                    "split": split,
                    "text_sha256": text_digest(t.text),
                }
            )
    return sorted(chosen, key=lambda r: r["id"])


def evaluate(path: Path, *, split: str = "held_out", rounds: int = 15, dump: Dump = WSB_2022) -> dict[str, Any]:
    """The whole set scored as the held-out split is (``real_eval``): a ``doubtful`` or
    ``other`` symbol found is neither a hit nor a false positive. Each text is read alone with
    its time: the dump has no authors (the community context counts authors) and no threads."""
    import reticker

    from common import extraction
    from eval.tickers import real_eval

    ids_path, labels_path = dump.paths(split)
    posts, ids = dump.read(path), read_rows(ids_path)
    labels = {row["id"]: row for row in read_rows(labels_path)}
    if unlabelled := [r["id"] for r in ids if r["id"] not in labels]:
        raise ValueError(f"{len(unlabelled)} texts of the set have no label: the set is scored whole")
    if missing := [r["id"] for r in ids if r["id"] not in posts]:
        raise WrongDump(f"{len(missing)} texts of the set are not in {path}")
    if changed := [r["id"] for r in ids if text_digest(posts[r["id"]].text) != r["text_sha256"]]:
        raise WrongDump(f"{len(changed)} texts in {path} are not the ones labelled (e.g. {changed[0]})")
    texts = [posts[r["id"]] for r in ids]
    ours = [set(extraction.symbols(t.text, at=t.created_utc)) for t in texts]
    their = reticker.TickerExtractor()
    theirs = [set(their.extract(t.text)) for t in texts]

    def rows(got: list[set[str]], which: list[int]) -> list[tuple[set[str], set[str], set[str]]]:
        out = []
        for i in which:
            label = labels[ids[i]["id"]]
            out.append((got[i], set(label["symbols"]), set(label["doubtful"]) | set(label["other"])))
        return out

    everything = list(range(len(ids)))
    by_stratum: dict[str, list[int]] = {}
    by_corpus: dict[str, list[int]] = {}
    for i, r in enumerate(ids):
        by_stratum.setdefault(r["stratum"], []).append(i)
        by_corpus.setdefault(r.get("corpus", dump.corpus).removeprefix(f"{dump.corpus}/"), []).append(i)  # a subreddit
    word_found = word_total = 0
    name_fps: Counter[str] = Counter()
    for i in everything:
        label = labels[ids[i]["id"]]
        want = set(label["symbols"]) - set(label["doubtful"])
        for symbol in want:
            if real_eval.word_like(symbol):
                word_total += 1
                word_found += symbol in ours[i]
        for symbol in ours[i] - want - set(label["doubtful"]) - set(label["other"]):
            if symbol in real_eval.NAME_LIKE:
                name_fps[symbol] += 1
    read = [(t.text, t.created_utc) for t in texts]
    ours_rate, theirs_rate = real_eval.fastest_rates(
        lambda: [extraction.symbols(x, at=at) for x, at in read],
        lambda: [their.extract(t.text) for t in texts],
        len(texts),
        rounds,
    )
    return {
        "corpus": dump.corpus,
        **real_eval.score_rows(rows(ours, everything)),
        "reticker": real_eval.score_rows(rows(theirs, everything)),
        "word_like_recall": round(word_found / word_total, 4) if word_total else 1.0,
        "word_like_labelled": word_total,
        "name_false_positives": dict(sorted(name_fps.items())),
        "misses": real_eval.spread_of_misses(everything, ids, labels, ours),
        "by_stratum": {s: real_eval.score_rows(rows(ours, which)) for s, which in sorted(by_stratum.items())},
        **(
            {"by_corpus": {c: real_eval.score_rows(rows(ours, which)) for c, which in sorted(by_corpus.items())}}
            if len(by_corpus) > 1
            else {}
        ),
        "throughput_ratio": round(ours_rate / theirs_rate, 3),
        "labels_sha256": file_digest(labels_path),
    }


def main(argv: list[str] | None = None, dump: Dump = WSB_2022, description: str = __doc__ or "") -> None:
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("command", choices=("sample", "sheet"))
    parser.add_argument("--csv", help=f"{dump.what} (default ${dump.env})")
    parser.add_argument("--out", help="sheet: a folder for the labellers' parts, outside the project (required)")
    parser.add_argument("--parts", type=int, default=3, help="sheet: how many labellers")
    parser.add_argument("--split", choices=("held_out", "dev"), default="held_out", help="which draw")
    args = parser.parse_args(argv)
    posts = dump.read(csv_path(args.csv, dump))
    ids_path, _ = dump.paths(args.split)
    if args.command == "sample":
        if ids_path.exists():
            raise SystemExit(f"{ids_path} holds a labelled draw already: a new draw would not match its labels")
        taken = frozenset(r["id"] for r in read_rows(dump.ids)) if args.split == "dev" else frozenset()
        rows = sample(posts, args.split, taken, dump)
        ids_path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8")
        for key, n in sorted(Counter(r["stratum"] for r in rows).items()):
            print(key, n, sep="\t")
        print(f"{len(rows)} texts -> {ids_path}", file=sys.stderr)
        return
    from datetime import datetime

    if not args.out:
        parser.error("sheet needs --out: a folder outside the project (the sheet holds Reddit's texts)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = read_rows(ids_path)
    for part in range(args.parts):
        with (out / f"part{part + 1}.jsonl").open("w", encoding="utf-8") as f:
            for r in rows[part :: args.parts]:
                t = posts[r["id"]]
                day = datetime.fromtimestamp(t.created_utc, EXCHANGE_TZ).strftime("%Y-%m-%d")  # as listings count it
                f.write(json.dumps({"id": t.id, "date": day, "text": t.text, "thread_title": ""}) + "\n")
    print(f"{len(rows)} texts in {args.parts} parts -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
