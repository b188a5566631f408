"""A labelled set from other subreddits and a later period: posts and comments of r/investing,
r/stocks and r/ValueInvesting, February to November 2024, from a public dump
(``reddit_posts.csv`` and ``reddit_comments.csv`` of the GitHub repository
OndrejZ24/stock-sentiment-analysis as of its commit 70450f2e, sha256 16ba354b… and 812c6ed3…:
title, body, id, author, subreddit and Reddit's ``created_utc`` as PRAW gave them; bodies cut at
4,000 characters by its scraper; no threads for most comments). Every other labelled text is
r/wallstreetbets: this set says how the extractor reads the communities that write company
names more than tickers.

Drawn, labelled blind and hashed before the extractor ran on any of its texts, like the 2022
set (``other_period``): a held-out draw no rule is tuned on, and a dev draw from what it left.
The project keeps the ids (with a hash of each text) and the labels; the texts are read from
the dump each time (``--csv DIR`` or ``AKLEAO_FINANCE_2024_DIR``: the folder holding both
files), never committed.
"""

import csv
import sys
from pathlib import Path

from eval.tickers import other_period
from eval.tickers.other_period import Dump, WrongDump
from eval.tickers.real_set import RealText, cut

HERE = Path(__file__).resolve().parent
CORPUS = "finance-2024"
_GONE = ("[removed]", "[deleted]")
_BOTS = frozenset(("AutoModerator",))  # a subreddit's rules, posted under every thread: nobody's words


def read_folder(path: Path) -> dict[str, RealText]:
    """Every post (title, then body unless Reddit removed it) and comment with text, by
    fullname; a bot's comment is left out. A text's corpus names its subreddit."""
    out: dict[str, RealText] = {}
    try:
        for name, kind, prefix in (("reddit_posts.csv", "post", "t3"), ("reddit_comments.csv", "comment", "t1")):
            with (path / name).open(newline="", encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    item_id, created = row.get("ID") or "", row.get("CREATED_UTC") or ""
                    if not (item_id and created) or (row.get("AUTHOR") or "") in _BOTS:
                        continue
                    body = (row.get("BODY") or "").strip()
                    body = "" if body in _GONE else body
                    title = (row.get("TITLE") or "").strip()
                    text = cut(f"{title}\n{body}".strip() if kind == "post" else body)
                    if text:
                        corpus = f"{CORPUS}/{row.get('SUBREDDIT') or 'unknown'}"
                        out.setdefault(
                            f"{prefix}_{item_id}",
                            RealText(f"{prefix}_{item_id}", corpus, kind, float(created), text, ""),
                        )
    except (OSError, csv.Error, ValueError) as exc:
        raise WrongDump(f"{path} is not the dump's folder: {exc}") from exc
    return out


QUOTAS = {"url": 40, "list": 50, "all_caps": 20, "ambiguous": 60, "cashtag": 40, "post": 45, "comment": 45}
FINANCE_2024 = Dump(
    corpus=CORPUS,
    env="AKLEAO_FINANCE_2024_DIR",
    what="the folder holding the 2024 dump's reddit_posts.csv and reddit_comments.csv",
    read=read_folder,
    ids=HERE / "finance_2024_ids.jsonl",
    labels=HERE / "finance_2024_labels.jsonl",
    labels_hash=HERE / "finance_2024_labels.sha256",
    dev_ids=HERE / "finance_2024_dev_ids.jsonl",
    dev_labels=HERE / "finance_2024_dev_labels.jsonl",
    dev_labels_hash=HERE / "finance_2024_dev_labels.sha256",
    seed=20261207,
    dev_seed=20261208,
    quotas=QUOTAS,
    dev_quotas=QUOTAS,
)


if __name__ == "__main__":
    other_period.main(sys.argv[1:], FINANCE_2024, __doc__ or "")
