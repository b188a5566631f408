"""Account ages for real history whose source lost them, estimated from the accounts' ids.

The development corpus keeps every author's fullname (``t2_`` and a base36 number) but no
creation date, so it assumes every account two years old and the new-account pump signal
never fires on real talk. Reddit numbers accounts as it creates them, and the corpus shows
it: the largest number seen posting by a given hour grows steadily (about 1.5 billion a day
in mid 2021). So an account was created no later than the first post of any account with a
number at least as large: with thousands of new accounts posting within hours of signing
up, that bound is close. Numbers below what the window's first day already shows belong to
accounts made before the window; their dates are extrapolated back along the rate the window
measured.

This is an estimate for evaluation only (production reads each author's real creation date
from Reddit). ``python -m eval.real.ages`` measures how far it can be trusted: the
extrapolation is tested on the corpus itself (fitted on its later weeks, checked against
what its earlier weeks show) and against another corpus's accounts from months before.
"""

import argparse
import bisect
import dataclasses
import gzip
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from common.detection import backtest
from eval.real import corpus as corpus_of
from eval.real import results

DAY = 86400.0
SETTLE_S = 3 * DAY  # the window's first days: numbers below their frontier may predate the window
NEW_DAYS = 30.0  # what the measurement calls new (the detector's own bar is its config's business)
HERE = Path(__file__).resolve().parent
SCRATCH = HERE.parent / "out" / "ages.json"


def account_number(fullname: str | None) -> int | None:
    """The counter inside a ``t2_`` fullname; None for anything else."""
    if not fullname or not fullname.startswith("t2_"):
        return None
    try:
        return int(fullname[3:], 36)
    except ValueError:
        return None


@dataclass(frozen=True)
class AgeModel:
    numbers: tuple[int, ...]  # ascending
    bounds: tuple[float, ...]  # for numbers[i]: the earliest first post of any account numbered >= it
    pivot_number: int  # the frontier SETTLE_S into the window
    pivot_time: float
    rate: float  # account numbers per second, fitted on the frontier after the pivot

    def created(self, number: int) -> float:
        """Estimated creation time of the account numbered ``number``: never after the first
        post of any account numbered at least as high (its own included)."""
        i = bisect.bisect_left(self.numbers, number)
        if i == len(self.bounds):
            raise ValueError(f"account {number} is newer than every account seen: no bound dates it")
        bound = self.bounds[i]
        if number < self.pivot_number:
            return min(bound, self.pivot_time - (self.pivot_number - number) / self.rate)
        return bound


def fit(first_posts: Mapping[int, float], *, settle_s: float = SETTLE_S) -> AgeModel:
    """The model from each account's number and its first post in the window (pure)."""
    if len(first_posts) < 2:
        raise ValueError("at least two accounts are needed")
    numbers = sorted(first_posts)
    bounds = np.minimum.accumulate(np.array([first_posts[n] for n in reversed(numbers)]))[::-1]
    start = min(first_posts.values())
    order = sorted(first_posts.items(), key=lambda kv: kv[1])
    times = np.array([t for _, t in order])
    frontier = np.maximum.accumulate(np.array([n for n, _ in order], dtype=np.float64))
    pivot_time = start + settle_s
    settled = times >= pivot_time
    if settled.sum() < 2 or times[settled][-1] - times[settled][0] < DAY:
        raise ValueError("the window is too short to measure the rate accounts are created at")
    i = int(np.searchsorted(times, pivot_time, side="right")) - 1
    pivot_number = int(frontier[max(i, 0)])
    rate = float(np.polyfit(times[settled], frontier[settled], 1)[0])
    if rate <= 0:
        raise ValueError("account numbers do not grow with time in this window")
    return AgeModel(tuple(numbers), tuple(float(b) for b in bounds), pivot_number, float(pivot_time), rate)


def first_posts(items: Iterable[tuple[str | None, float]]) -> dict[int, float]:
    """Account number -> its first post's time, from (author fullname, created_utc) pairs."""
    first: dict[int, float] = {}
    for author, at in items:
        n = account_number(author)
        if n is not None and (n not in first or at < first[n]):
            first[n] = at
    return first


def with_estimated_ages(corpus: backtest.Corpus, model: AgeModel) -> backtest.Corpus:
    """The corpus with each ``t2_`` author's creation date replaced by the model's."""
    authors = dict(corpus.authors)
    newest = model.numbers[-1]
    for name, row in authors.items():
        n = account_number(row.id or name)
        if n is not None and n <= newest:  # one newer than every poster never posted: left as stored
            authors[name] = row._replace(created_utc=model.created(n))
    return dataclasses.replace(corpus, authors=authors)


def corpus_model(corpus: backtest.Corpus) -> AgeModel:
    return fit(first_posts((i.author, i.created_utc) for i in corpus.items()))


def backtest_check(first: Mapping[int, float], posts: Iterable[tuple[int, float]], held_days: float) -> dict[str, Any]:
    """Fit on the window after its first ``held_days`` and date the accounts first seen in
    those days (numbers below that fit's pivot, so it extrapolates) against what the full
    window dates them by (its in-window bound: not the truth, which no source here has, but
    tight where thousands of new accounts post). Scored in days, and on what the evals read:
    new (under ``NEW_DAYS``) or not at each of those accounts' posts in the whole window,
    many of them made when the account is near or past 30 days."""
    start = min(first.values())
    cut = start + held_days * DAY
    model = fit({n: t for n, t in first.items() if t >= cut})
    full = fit(first)
    checked = {n for n, t in first.items() if t < cut and full.pivot_number <= n < model.pivot_number}
    errors = np.array([(model.created(n) - full.created(n)) / DAY for n in checked])
    flags = [
        ((t - model.created(n)) < NEW_DAYS * DAY, (t - full.created(n)) < NEW_DAYS * DAY)
        for n, t in posts
        if n in checked
    ]
    return {
        "held_days": held_days,
        "accounts_checked": len(checked),
        "median_error_days": round(float(np.median(errors)), 2) if checked else None,
        "p90_abs_error_days": round(float(np.percentile(np.abs(errors), 90)), 2) if checked else None,
        "posts_checked": len(flags),
        "posts_new_by_full_window": sum(b for _, b in flags),
        "new_flag_agreement": round(sum(a == b for a, b in flags) / len(flags), 4) if flags else None,
    }


def anchor_check(model: AgeModel, other: Path) -> dict[str, Any] | None:
    """Another corpus's newest account seen posting, months before the window: its estimated
    creation should come before that post; how far after it comes is the least the
    extrapolation runs late by that far back."""
    path = other / "items.jsonl.gz"
    if not path.exists():
        return None
    newest: tuple[int, float] | None = None
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    authors = {}
    with gzip.open(other / "authors.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            a = json.loads(line)
            authors[a["name"]] = a.get("id")
    for row in rows:
        n = account_number(authors.get(row.get("author") or ""))
        if n is not None and (newest is None or n > newest[0]):
            newest = (n, float(row["created_utc"]))
    if newest is None:
        return None
    estimated = model.created(newest[0])
    return {
        "corpus": other.name,
        "newest_account_number": newest[0],
        "its_post": newest[1],
        "estimated_created": round(estimated, 1),
        "estimate_minus_its_post_days": round((estimated - newest[1]) / DAY, 2),
        "days_before_the_window": round((min(model.bounds) - newest[1]) / DAY, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.real.ages", description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder holding the corpora (default ../shared/data)")
    parser.add_argument("--refresh", action="store_true", help="write the block into eval/results.json")
    args = parser.parse_args(argv)
    corpus_dir = corpus_of.find(args.data, not_done="NOT MEASURED")
    if corpus_dir is None:
        return 1
    corpus = backtest.load(corpus_dir)
    items = list(corpus.items())
    first = first_posts((i.author, i.created_utc) for i in items)
    model = fit(first)
    posts = [(n, i.created_utc) for i in items if (n := account_number(i.author)) is not None]

    def new_share(earlier_days: float) -> float:
        shift = earlier_days * DAY
        return round(sum(t - (model.created(n) - shift) < NEW_DAYS * DAY for n, t in posts) / len(posts), 4)

    result = {
        "corpus": corpus_dir.name,
        "accounts": len(first),
        "rate_per_day": round(model.rate * DAY),
        "posts_with_account_number": len(posts),
        "new_account_post_share": new_share(0.0),
        # The dates are upper bounds (an account is dated by the first post of one at least as
        # new), so they run late and make accounts look younger: how much that can matter.
        "new_account_post_share_dated_1_day_earlier": new_share(1.0),
        "new_account_post_share_dated_3_days_earlier": new_share(3.0),
        "extrapolation_checks": [backtest_check(first, posts, d) for d in (15.0, 30.0, 45.0)],
        "anchor": anchor_check(model, corpus_dir.parent / "wsb-2020-12-01-pushshift"),
    }
    print(json.dumps(result, indent=2))
    SCRATCH.parent.mkdir(parents=True, exist_ok=True)
    SCRATCH.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.refresh:
        results.record("real_account_ages", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
