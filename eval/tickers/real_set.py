"""The real labelled extraction set: which Reddit texts it holds, and how to read them back.

Real Reddit text is not ours to commit. The project keeps the ids, the strata, the split and
the labels (``real_ids.jsonl``, ``real_labels.jsonl``); the texts are read from the corpora in
``../shared/data`` (or ``--data DIR`` / ``AKLEAO_REAL_DATA``) each time, cut the same way.

The sample was drawn once, before any extractor ran on it, by ``python -m
eval.tickers.real_set sample``: stratified with regexes of its own (nothing here is shared
with ``common.extraction``), deterministic, and split by a hash of the id so that the held-out
part is fixed whatever the labels say.
"""

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from common import extraction
from common.listings import EXCHANGE_TZ

HERE = Path(__file__).resolve().parent
IDS = HERE / "real_ids.jsonl"
LABELS = HERE / "real_labels.jsonl"
LABELS_HASH = HERE / "real_labels.sha256"
DEFAULT_DATA = HERE.parents[2] / "shared" / "data"

# Drawing rounds: corpus folder -> how many texts to draw from it, and the seed. A later round
# never draws a text an earlier one holds; the split rule is the same for every round.
ROUNDS = {
    1: ({"wsb-2020-12-01-pushshift": 420, "wsb-2021-05-07": 300}, 20261201),
    2: ({"wsb-2020-12-01-pushshift": 200, "wsb-2021-05-07": 260}, 20261202),
    3: ({"wsb-2020-12-01-pushshift": 200, "wsb-2021-05-07": 200}, 20261203),
    4: ({"wsb-2020-12-01-pushshift": 120, "wsb-2021-05-07": 240}, 20261204),
    5: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261205),
    6: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261206),
    7: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261207),
    8: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261208),
    9: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261209),
    10: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261210),
    11: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261211),
    12: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261212),
    13: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261213),
    14: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261214),
    15: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261215),
    16: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261216),
    17: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261217),
    18: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261218),
    19: ({"wsb-2020-12-01-pushshift": 60, "wsb-2021-05-07": 240}, 20261219),
}
LABEL_KEYS = ("symbols", "secondary", "doubtful", "other")  # what a reader's label line holds
MAX_CHARS = 1200  # longer texts are cut at a space before this: labelling stays tractable
HELD_OUT_SHARE = 0.4  # of every stratum, chosen by the id's hash: no rule written from it

_URL = re.compile(r"https?://|www\.|\.com/|\bhttps? www\b")
_CASHTAG = re.compile(r"\$[A-Za-z]{1,5}\b")
_CAPS_WORD = re.compile(r"\b[A-Z]{2,5}\b")
# Words a reader could take either way: tickers that are words or jargon, and names of
# brokers, banks, apps and people that are (or later became) listed companies.
_AMBIGUOUS = re.compile(
    r"\b(?:BB|GM|FL|HAS|MAR|PLAY|GE|MAC|SIX|ON|IT|ALL|NOW|AI|OPEN|CAT|LOVE|FUN|DD|CEO|TD|RC|CX|"
    r"OLED|EV|PT|ATH|GOLD|AG|RH|ARE|CAN|GO|REAL|LOW|NET|SO|BIG|TOP|BEST|KEY|RUN|CASH|WISH|"
    r"Robinhood|Google|Walmart|Chewy|Ameritrade|Fidelity|Schwab|Webull|Amazon|Apple|Target|"
    r"Ford|Visa|Square|Palantir|Tesla|Disney)\b"
)


@dataclass(frozen=True)
class RealText:
    id: str
    corpus: str
    kind: str
    created_utc: float
    text: str
    thread_text: str  # a comment's post title when the corpus has the post, else ""
    author: str | None = None


def data_dir(given: str | None = None) -> Path:
    return Path(given or os.environ.get("AKLEAO_REAL_DATA") or DEFAULT_DATA)


def cut(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    head = text[:MAX_CHARS]
    space = head.rfind(" ")
    return head[:space] if space > MAX_CHARS // 2 else head


def _text_of(row: dict[str, Any]) -> str:
    body = row.get("body") or ""
    if body in ("[removed]", "[deleted]"):
        body = ""
    title = row.get("title") or ""
    return cut(f"{title}\n{body}".strip() if title else body.strip())


def read_corpus(folder: Path) -> Iterator[RealText]:
    with gzip.open(folder / "items.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    titles = {r["id"]: r.get("title") or "" for r in rows if r["kind"] == "post"}
    for r in rows:
        text = _text_of(r)
        if text:
            thread = titles.get(r.get("link_id") or "", "") if r["kind"] == "comment" else ""
            yield RealText(r["id"], folder.name, r["kind"], float(r["created_utc"]), text, thread, r.get("author"))


def stratum(t: RealText) -> str:
    """The first that applies: what the text has that makes extraction hard."""
    letters = [c for c in t.text if c.isalpha()]
    caps = set(_CAPS_WORD.findall(t.text))
    if _URL.search(t.text):
        return "url"
    if len(caps) >= 4:
        return "list"
    if len(letters) >= 20 and sum(c.isupper() for c in letters) >= 0.7 * len(letters):
        return "all_caps"
    if _AMBIGUOUS.search(t.text):
        return "ambiguous"
    if _CASHTAG.search(t.text):
        return "cashtag"
    return "comment" if t.kind == "comment" else "post"


def held_out(item_id: str) -> bool:
    digest = hashlib.sha256(f"akleao-real-split:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < HELD_OUT_SHARE


def sample(data: Path, round_: int, taken: set[str]) -> list[dict[str, Any]]:
    sources, seed = ROUNDS[round_]
    rng = random.Random(seed)
    chosen: list[dict[str, Any]] = []
    for corpus, n in sources.items():
        pool: dict[str, list[RealText]] = {}
        for t in read_corpus(data / corpus):
            if t.id not in taken:
                pool.setdefault(stratum(t), []).append(t)
        # A third of the draw is plain text (what the product mostly reads); the rest is
        # shared evenly by the hard strata, a small stratum giving its spare to the others.
        plain = [s for s in pool if s in ("post", "comment")]
        hard = sorted(s for s in pool if s not in plain)
        quotas = {s: n // 3 // len(plain) for s in plain}
        left, order = n - sum(quotas.values()), sorted(hard, key=lambda s: len(pool[s]))
        for i, s in enumerate(order):
            quotas[s] = min(len(pool[s]), left // (len(order) - i))
            left -= quotas[s]
        for s in sorted(pool):
            for t in rng.sample(pool[s], min(quotas[s], len(pool[s]))):
                chosen.append(
                    {
                        "id": t.id,
                        "corpus": corpus,
                        "kind": t.kind,
                        "stratum": s,
                        "split": "held_out" if held_out(t.id) else "dev",
                        "round": round_,
                        "text_sha256": pinned(t),
                    }
                )
    return sorted(chosen, key=lambda r: (r["corpus"], r["id"]))


def read_rows(path: Path) -> list[dict[str, Any]]:
    """A JSON-lines file of the set (ids or labels), in order."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def text_digest(text: str) -> str:
    """What an id row pins its text by: a corpus converted again, or read otherwise, must
    give the very text that was labelled."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_ids() -> list[dict[str, Any]]:
    return read_rows(IDS)


def load_labels() -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in read_rows(LABELS)}


def labels_digest() -> str:
    return file_digest(LABELS)


# Each drawing round's labels hashed on their own, one line a round, appended with the round:
# the whole file's hash is written again by every round, so an earlier round's label edited
# then would pass it; its own line here would have to change too.
ROUND_HASHES = HERE / "real_labels_rounds.sha256"


def _label_lines_by_round() -> dict[int, list[bytes]]:
    """The labels file's lines as stored, by the drawing round of the text each labels."""
    rounds = {row["id"]: row.get("round", 1) for row in load_ids()}
    lines: dict[int, list[bytes]] = {}
    for line in LABELS.read_bytes().splitlines(keepends=True):
        if line.strip():
            lines.setdefault(rounds[json.loads(line)["id"]], []).append(line)
    return lines


def labels_digest_through(last_round: int) -> str:
    """sha256 of the labels file as it stood once round ``last_round`` was added (rounds are
    appended in order): what figures measured then were measured on."""
    by_round = _label_lines_by_round()
    return hashlib.sha256(
        b"".join(line for n in sorted(by_round) if n <= last_round for line in by_round[n])
    ).hexdigest()


def round_digests() -> dict[str, str]:
    """sha256 of each round's label lines as the labels file holds them, by ``round<N>``."""
    return {
        f"round{n}": hashlib.sha256(b"".join(lines)).hexdigest() for n, lines in sorted(_label_lines_by_round().items())
    }


def hour_batches(
    data: Path, wanted: list[dict[str, Any]]
) -> dict[tuple[str, int], list[tuple[str, float, str | None]]]:
    """Every text of the corpus hours that ``wanted`` falls in, and of the day before each
    (what a community names as tickers lasts ``extraction.COMMUNITY_HOURS``), by (corpus,
    UTC hour): the batches a reader of that hour had seen, as the backtest replays them."""
    out: dict[tuple[str, int], list[tuple[str, float, str | None]]] = {}
    for corpus in sorted({w["corpus"] for w in wanted}):
        mine = {w["id"] for w in wanted if w["corpus"] == corpus}
        rows = list(read_corpus(data / corpus))
        ends = {int(t.created_utc // 3600) for t in rows if t.id in mine}
        hours = {end - back for end in ends for back in range(extraction.COMMUNITY_HOURS)}
        for t in rows:
            hour = int(t.created_utc // 3600)
            if hour in hours:
                out.setdefault((corpus, hour), []).append((t.text, t.created_utc, t.author))
    return out


def sheet_row(t: RealText) -> dict[str, str]:
    """A text as its reader sees it: dated by the day listings count (New York's)."""
    date = datetime.fromtimestamp(t.created_utc, tz=EXCHANGE_TZ)
    return {"id": t.id, "date": date.date().isoformat(), "text": t.text, "thread_title": t.thread_text}


class MissingData(RuntimeError):
    """The real texts are not on this machine: the real-set figures cannot be computed."""


class WrongTexts(RuntimeError):
    """The corpora here hold other texts under the labelled ids (converted again, or read
    otherwise): scoring them against the labels would measure nothing; an error, not absence."""


def pinned(t: RealText) -> str:
    """What an id row pins: the text and the thread title its labellers saw beside it."""
    return text_digest(json.dumps([t.text, t.thread_text]))


def texts(data: Path, wanted: list[dict[str, Any]]) -> dict[str, RealText]:
    """The texts of ``wanted`` (rows of ``real_ids.jsonl``), read from ``data``."""
    out: dict[str, RealText] = {}
    for corpus in sorted({w["corpus"] for w in wanted}):
        folder = data / corpus
        if not (folder / "items.jsonl.gz").exists():
            raise MissingData(f"{folder} is absent: the real set's texts live there, never in the project")
        ids = {w["id"] for w in wanted if w["corpus"] == corpus}
        out.update((t.id, t) for t in read_corpus(folder) if t.id in ids)
    if missing := {w["id"] for w in wanted} - set(out):
        raise MissingData(f"{len(missing)} texts of the real set are not in {data}")
    if changed := [w["id"] for w in wanted if pinned(out[w["id"]]) != w.get("text_sha256")]:
        raise WrongTexts(f"{len(changed)} texts in {data} are not the ones labelled (e.g. {changed[0]})")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("sample", "sheet"))
    parser.add_argument("--round", type=int, default=1, help="sample: which drawing round to add (see ROUNDS)")
    parser.add_argument("--data", help="folder holding the corpora (default ../shared/data)")
    parser.add_argument("--out", help="sheet: where to write the texts to label (keep it outside the project)")
    args = parser.parse_args(argv)
    data = data_dir(args.data)
    if args.command == "sample":
        earlier = [r for r in load_ids() if r.get("round", 1) < args.round] if IDS.exists() else []
        rows = sample(data, args.round, {r["id"] for r in earlier})
        everything = earlier + rows
        IDS.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in everything), encoding="utf-8")
        counts = Counter((r["corpus"], r["stratum"], r["split"]) for r in rows)
        for key, n in sorted(counts.items()):
            print(*key, n, sep="\t")
        print(f"{len(rows)} texts -> {IDS}", file=sys.stderr)
        return
    rows = [r for r in load_ids() if r.get("round", 1) == args.round]
    found = texts(data, rows)
    out = Path(args.out or "real_sheet.jsonl")
    with out.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(sheet_row(found[r["id"]]), ensure_ascii=False) + "\n")
    print(f"{len(rows)} texts to label -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
