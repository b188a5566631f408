"""Every alert the detector opens on real history, judged by a reader who does not know which
kind it is: how many pump flags are promotion, and how many organic alerts are.

The injected-pump eval measures campaigns we wrote; this measures what the detector calls a
pump, and what it calls organic, in real posts. ``export`` backtests the development corpus
(with account ages estimated from account ids, ``eval.real.ages``, so the new-account signal
works as in production; ``--from-key`` takes the committed key's alerts instead) and writes,
outside the project, one window per opened alert: the posts naming its symbol in the 24
hours before it opened, shuffled, under ids salted for that sheet (``ids.json`` beside it
maps them back, so nothing in the project joins a sheet id to a kind), with authors as
per-window pseudonyms and nothing the detector computed (no kind, no score, no account age,
no removal). The reader labels each window by ``GUIDE``; ``import`` turns those labels into
a read of ``alert_review_labels.json`` (ids and labels only, hashed); ``score`` writes the
``real_alert_review`` block. Posts removed by moderators or deleted by their authors, which
the reader never saw as such, are reported beside it.
"""

import argparse
import hashlib
import json
import random
import secrets
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from common import extraction
from common.detection import backtest
from common.messages import RedditItem
from eval.real import ages, results
from eval.real import corpus as corpus_of

HERE = Path(__file__).resolve().parent
KEY = HERE / "alert_review_key.json"
LABELS = HERE / "alert_review_labels.json"
SHOWN = 15  # posts shown per window (a seeded sample when there are more)
BODY_CHARS = 400
SEED = 20261203
REMOVED = ("[removed]", "[deleted]")  # removed by moderators, or deleted by their authors
SHEET_VERSION = 2  # 1: no per-account counts under the heading (the first read)
LABEL_VALUES = ("promotion", "organic", "unclear", "misread")
GUIDE = """Each window is the posts that named one stock symbol in one day of r/wallstreetbets
(May-July 2021; the source stripped punctuation, so "$AMC" reads "AMC"). Authors are
pseudonyms within the window (A1, A2...): the same pseudonym is the same account.
Label each window with one of:
  promotion - the talk about this symbol is driven by one or a few accounts pushing it:
              the same or near-same post repeated, hype or calls to buy with little
              substance from a handful of accounts, what self-promotion or a pump
              campaign looks like;
  organic   - several independent people talk about it (news, DD, questions, gains,
              losses, jokes), however hyped;
  unclear   - you cannot tell;
  misread   - the symbol is not meant as this stock in most posts (a word, a name).
Under each window's heading: every account that posted more than once that day, with its
count (A3 8 = the account A3 posted 8 times), even when only a sample of the posts is shown.
Judge only from what is shown. Add a short note for anything not obvious."""


def _windows(corpus: backtest.Corpus) -> list[dict[str, Any]]:
    items = list(corpus.items())
    replay = backtest.run(corpus)
    opened = [r.to_json() for r in replay.records if r.event in ("opened", "reopened")]
    wanted = {r["symbol"] for r in opened}
    by_symbol: dict[str, list[RedditItem]] = defaultdict(list)
    for item in items:
        for symbol in set(extraction.symbols(f"{item.title}\n{item.body}", at=item.created_utc)) & wanted:
            by_symbol[symbol].append(item)
    windows = []
    for r in opened:
        posts = [i for i in by_symbol[r["symbol"]] if r["at"] - 86400 <= i.created_utc <= r["at"]]
        windows.append({"symbol": r["symbol"], "at": r["at"], "kind": r["kind"], "posts": posts})
    return windows


def window_id(symbol: str, at: float) -> str:
    """Opaque and stable: the same alert keeps its id (and its label) when the sheet is made
    again, and the id says nothing of its kind."""
    return "W" + hashlib.sha256(f"{symbol}|{at:.3f}".encode()).hexdigest()[:8]


def render(wid: str, symbol: str, posts: list[RedditItem], rng: random.Random) -> str:
    """One window as the reader sees it: time, pseudonym, title and body, and nothing else
    (a moderator's removal shows as a missing body, like a link post's). Pseudonyms number
    every account of the day, and the header counts each one's posts, so an account
    repeating itself shows even when only a sample of a busy day is shown."""
    names: dict[str, str] = {}
    for i in posts:
        names.setdefault(_account(i), f"A{len(names) + 1}")
    per_account = Counter(names[_account(i)] for i in posts)
    repeats = ", ".join(f"{a} {n}" for a, n in sorted(per_account.items(), key=lambda kv: (-kv[1], kv[0])) if n > 1)
    shown = sorted(rng.sample(posts, SHOWN), key=lambda i: (i.created_utc, i.id)) if len(posts) > SHOWN else posts
    lines = []
    for i in shown:
        body = "" if i.body in REMOVED else i.body[:BODY_CHARS]
        stamp = time.strftime("%m-%d %H:%M", time.gmtime(i.created_utc))
        lines.append(f"  [{stamp}] {names[_account(i)]}: {i.title}" + (f"\n      {body}" if body else ""))
    head = (
        f"== {wid}  symbol {symbol}  {len(posts)} posts by {len(per_account)} accounts in the day"
        + (f" ({SHOWN} shown at random)" if len(posts) > SHOWN else "")
        + f"\n   accounts with more than one post that day: {repeats or 'none'}"
    )
    return head + "\n" + "\n".join(lines)


def _account(item: RedditItem) -> str:
    return item.author or f"deleted {item.id}"  # a deleted author may be anyone: each post its own


def _windows_of_key(corpus: backtest.Corpus) -> list[dict[str, Any]]:
    """The committed key's windows with their posts: the sheet again, without a backtest."""
    wanted = {i for w in json.loads(KEY.read_text())["windows"] for i in w["item_ids"]}
    items = {i.id: i for i in corpus.items() if i.id in wanted}
    return [
        {"symbol": w["symbol"], "at": w["at"], "kind": w["kind"], "posts": [items[i] for i in w["item_ids"]]}
        for w in json.loads(KEY.read_text())["windows"]
    ]


def export(corpus_dir: Path, out: Path, *, unlabelled_only: bool = False, from_key: bool = False) -> dict[str, Any]:
    """The sheet (outside the project) and the key. ``from_key``: the committed key's alerts
    rather than a new backtest's, so a second reader sees the same windows."""
    corpus = backtest.load(corpus_dir)
    if from_key:
        windows = _windows_of_key(corpus)
        windows.sort(key=lambda w: (w["at"], w["symbol"]))  # the backtest's order, whatever the key's
    else:
        windows = _windows(ages.with_estimated_ages(corpus, ages.corpus_model(corpus)))
    rng = random.Random(SEED)
    rng.shuffle(windows)
    # every read's windows: a window read once is not sent out again
    found = reads(json.loads(LABELS.read_text())) if LABELS.exists() else {}
    labelled = {w for read in found.values() for w in read["labels"]}
    salt = secrets.token_hex(8)  # the sheet's ids join nothing in the project: the reader cannot look a kind up
    key, sheet, sheet_ids = [], [], {}
    for w in windows:
        wid = window_id(w["symbol"], w["at"])
        sid = "S" + hashlib.sha256(f"{salt}|{wid}".encode()).hexdigest()[:8]
        sheet_ids[sid] = wid
        posts = sorted(w["posts"], key=lambda i: (i.created_utc, i.id))
        page = render(sid, w["symbol"], posts, rng)  # drawn for every window, so a sample never depends on the labels
        if not (unlabelled_only and wid in labelled):
            sheet.append(page)
        key.append(
            {
                "window": wid,
                "symbol": w["symbol"],
                "at": w["at"],
                "kind": w["kind"],
                "posts": len(posts),
                "removed": sum(i.body in REMOVED for i in posts),
                "item_ids": [i.id for i in posts],
            }
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "windows.txt").write_text(GUIDE + "\n\n" + "\n\n".join(sheet) + "\n", encoding="utf-8")
    (out / "ids.json").write_text(json.dumps(sheet_ids, indent=1) + "\n", encoding="utf-8")  # for ``import``
    if not from_key:
        KEY.write_text(json.dumps({"corpus": corpus_dir.name, "windows": key}, indent=1) + "\n", encoding="utf-8")
    removed_all = sum(1 for i in corpus.items() if i.body in REMOVED)
    return {
        "windows": len(key),
        "on_the_sheet": len(sheet),
        "unlabelled": sum(w["window"] not in labelled for w in key),
        "sheet": str(out / "windows.txt"),
        "corpus_removed": removed_all,
    }


def coverage(opened: Iterable[tuple[str, float, str]]) -> dict[str, int]:
    """How many of the alerts a backtest opened ((symbol, at, kind)) the committed key holds
    as they are: when the detector changes, the review says how much of it is stale."""
    alerts = {(symbol, round(at, 3), kind) for symbol, at, kind in opened}
    key = json.loads(KEY.read_text())["windows"] if KEY.exists() else []
    reviewed = {(w["symbol"], round(w["at"], 3), w["kind"]) for w in key}
    return {"alerts_opened": len(alerts), "in_review": len(alerts & reviewed), "review_windows": len(reviewed)}


def labels_hash(read: dict[str, Any]) -> str:
    """The hash of one read's labels (recorded before they were scored)."""
    return hashlib.sha256(json.dumps(read["labels"], sort_keys=True).encode()).hexdigest()


def reads(labels: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each read in the labels file: ``first`` (the top level), ``second`` when there is one,
    then any imported since (``more_reads``)."""
    found = {"first": labels}
    if "second_read" in labels:
        found["second"] = labels["second_read"]
    found.update(labels.get("more_reads", {}))
    return found


def import_read(read: dict[str, Any], sheet_ids: dict[str, str], sheet_sha256: str) -> dict[str, Any]:
    """A reader's labels, keyed by the sheet's salted ids, as a read of the labels file: keyed
    by the key's window ids and hashed (pure)."""
    unknown = set(read["labels"]) - set(sheet_ids)
    if unknown:
        raise ValueError(f"labels for windows the sheet did not have: {sorted(unknown)[:5]}")
    bad = {v.get("label") for v in read["labels"].values()} - set(LABEL_VALUES)
    if bad:
        raise ValueError(f"labels outside {LABEL_VALUES}: {sorted(map(str, bad))}")
    out = {
        "labeller": read.get("labeller"),
        "sheet_version": SHEET_VERSION,
        "sheet_sha256": sheet_sha256,
        "labels": {sheet_ids[s]: v for s, v in read["labels"].items()},
    }
    out["sha256"] = labels_hash(out)
    return out


def agreement(key: list[dict[str, Any]], a: dict[str, dict[str, str]], b: dict[str, dict[str, str]]) -> dict[str, Any]:
    """How often two reads gave a window the same label, per kind (pure)."""
    out: dict[str, Any] = {}
    for kind in ("pump", "organic"):
        both = [w["window"] for w in key if w["kind"] == kind and w["window"] in a and w["window"] in b]
        same = sum(a[w]["label"] == b[w]["label"] for w in both)
        out[kind] = {"windows": len(both), "same_label": same, "share": round(same / len(both), 3) if both else None}
    return out


def score(key: list[dict[str, Any]], labels: dict[str, dict[str, str]], corpus_removed_share: float) -> dict[str, Any]:
    """Per kind: the reader's labels, the promotion share among windows labelled promotion or
    organic, and the share of the windows' posts removed by moderators or deleted by their
    authors; per label, that share over the windows given it (pure: tested on its own)."""
    out: dict[str, Any] = {}
    for kind in ("pump", "organic"):
        mine = [w for w in key if w["kind"] == kind]
        counts = Counter(labels[w["window"]]["label"] for w in mine if w["window"] in labels)
        decided = counts["promotion"] + counts["organic"]
        out[kind] = {
            "windows": len(mine),
            "labelled": sum(counts.values()),
            **{label: counts[label] for label in LABEL_VALUES},
            "promotion_share_of_decided": round(counts["promotion"] / decided, 3) if decided else None,
            "promotion_symbols": sorted(
                w["symbol"] for w in mine if labels.get(w["window"], {}).get("label") == "promotion"
            ),
            "removed_or_deleted_share": _removed(mine),
        }
    out["removed_or_deleted_share_by_label"] = {
        label: _removed([w for w in key if labels.get(w["window"], {}).get("label") == label]) for label in LABEL_VALUES
    }
    out["unlabelled_windows"] = sum(w["window"] not in labels for w in key)
    out["corpus_removed_or_deleted_share"] = round(corpus_removed_share, 3)
    return out


def _removed(windows: list[dict[str, Any]]) -> float | None:
    posts = sum(w["posts"] for w in windows)
    return round(sum(w["removed"] for w in windows) / posts, 3) if posts else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.real.alert_review", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("export", "import", "score"))
    parser.add_argument("--data", help="folder holding the corpora (default ../shared/data)")
    parser.add_argument("--out", type=Path, default=HERE.parent / "out" / "alert_review", help="where the sheet goes")
    parser.add_argument("--refresh", action="store_true", help="score: write the block into eval/results.json")
    parser.add_argument("--unlabelled", action="store_true", help="export: only windows the labels do not cover yet")
    parser.add_argument("--from-key", action="store_true", help="export: the committed key's alerts, no backtest")
    parser.add_argument("--labels", type=Path, help="import: the reader's labels, keyed by the sheet's ids")
    parser.add_argument("--name", help="import: what to call the read in the labels file (e.g. third)")
    args = parser.parse_args(argv)
    if args.command == "import":
        if args.labels is None or not args.name or args.name in ("first", "second"):
            parser.error("import needs --labels and a new --name")
        sheet = (args.out / "windows.txt").read_bytes()
        read = import_read(
            json.loads(args.labels.read_text()),
            json.loads((args.out / "ids.json").read_text()),
            hashlib.sha256(sheet).hexdigest(),
        )
        labels = json.loads(LABELS.read_text())
        labels.setdefault("more_reads", {})[args.name] = read
        LABELS.write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{len(read['labels'])} labels imported as the {args.name} read, sha256 {read['sha256']}")
        return 0
    corpus_dir = corpus_of.find(args.data, not_done="NOT RUN")
    if corpus_dir is None:
        return 1
    if args.command == "export":
        print(
            json.dumps(export(corpus_dir, args.out, unlabelled_only=args.unlabelled, from_key=args.from_key), indent=2)
        )
        return 0
    key = json.loads(KEY.read_text())["windows"]
    labels = json.loads(LABELS.read_text())
    found = reads(labels)
    for name, read in found.items():
        if read.get("sha256") != labels_hash(read):
            print(f"the {name} read's labels changed after their hash was recorded", file=sys.stderr)
            return 1
    items = list(backtest.load(corpus_dir).items())
    removed = sum(i.body in REMOVED for i in items) / len(items)
    result: dict[str, Any] = {
        name: {
            **score(key, read["labels"], removed),
            "labels_sha256": read["sha256"],
            "labeller": read.get("labeller"),
            "sheet_version": read.get("sheet_version", 1),
        }
        for name, read in found.items()
    }
    if "second" in found:
        result["agreement"] = agreement(key, found["first"]["labels"], found["second"]["labels"])
    result["account_ages"] = "estimated"
    # the alerts of this run of make eval-real (which writes its figures before this step
    # whether or not it refreshes): the committed ones would say a stale key is current
    latest = (
        json.loads(results.LATEST_REAL.read_text())
        if results.LATEST_REAL.exists()
        else json.loads(results.RESULTS.read_text()).get("real", {})
    )
    review = latest.get("blind_review", {})
    result["key_current"] = review.get("in_review") == review.get("alerts_opened") == len(key)
    if not result["key_current"]:
        print(f"the key no longer matches the alerts eval-real opened ({review}): export again", file=sys.stderr)
    print(json.dumps(result, indent=2))
    if args.refresh:
        results.record("real_alert_review", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
