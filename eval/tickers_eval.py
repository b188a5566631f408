"""``make eval-tickers``: ticker extraction scored on the real labelled set (the headline:
its held-out split, see ``eval/tickers/real_eval.py``) and on the template set (a regression
check), each against ``reticker`` on the same texts in the same run, with throughput.

The real texts are read from ``../shared/data`` (or ``AKLEAO_REAL_DATA``), the other
periods' from their public dumps (``AKLEAO_WSB_2022_CSV``, ``AKLEAO_FINANCE_2024_DIR``); when
they are absent the run says so and scores what it has. Results go to ``eval/out/`` (not
tracked); ``--refresh`` writes the committed ``eval/tickers.json`` that the README quotes.

Scoring is per text and per symbol (micro-averaged): a symbol the extractor reports that
the label lacks is a false positive, a labelled symbol it misses is a false negative. Our
extractor is scored through :func:`common.extraction.symbols` (known symbols, with the
text's ``thread_symbols``); reticker through ``TickerExtractor().extract`` with its default
configuration (it has no notion of a thread or of a symbol universe).

Throughput: each extractor runs over all texts in turn, alternating, several rounds; the
best round of each is reported (least disturbed by other work on the machine), and the
ratio ours / reticker. Writes ``eval/tickers.json``.
"""

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import reticker

from common import extraction
from eval.tickers import agreement, finance_2024, other_period, real_eval, real_set

ROOT = Path(__file__).resolve().parent
TEXTS = ROOT / "tickers" / "texts.jsonl"
COMMITTED = ROOT / "tickers.json"
SCRATCH = ROOT / "out" / "tickers.json"
ROUNDS = 25


def load() -> list[dict[str, Any]]:
    with TEXTS.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def score(pairs: list[tuple[set[str], set[str]]]) -> dict[str, float]:
    tp = sum(len(got & want) for got, want in pairs)
    fp = sum(len(got - want) for got, want in pairs)
    fn = sum(len(want - got) for got, want in pairs)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    exact = sum(got == want for got, want in pairs) / len(pairs) if pairs else 1.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "exact": exact,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "texts": len(pairs),
    }


def best_rate(run: Callable[[], None], n_texts: int, rounds: int) -> list[float]:
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        rates.append(n_texts / (time.perf_counter() - start))
    return rates


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Ticker extraction against its labelled sets and reticker (make eval-tickers)."
    )
    parser.add_argument("--refresh", action="store_true", help="write the committed eval/tickers.json (else eval/out/)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the template set's errors")
    args = parser.parse_args(argv)
    rows = load()
    theirs_extractor = reticker.TickerExtractor()
    threads = [frozenset(r["thread_symbols"]) for r in rows]
    texts = [r["text"] for r in rows]

    ours = [set(extraction.symbols(t, thread_symbols=th)) for t, th in zip(texts, threads, strict=True)]
    theirs = [set(theirs_extractor.extract(t)) for t in texts]
    wants = [set(r["expected"]) for r in rows]

    def run_ours() -> None:
        for t, th in zip(texts, threads, strict=True):
            extraction.symbols(t, thread_symbols=th)

    def run_theirs() -> None:
        for t in texts:
            theirs_extractor.extract(t)

    ours_rates: list[float] = []
    theirs_rates: list[float] = []
    for _ in range(ROUNDS):  # alternate so both see the same machine conditions
        ours_rates += best_rate(run_ours, len(texts), 1)
        theirs_rates += best_rate(run_theirs, len(texts), 1)
    ours_tps, theirs_tps = max(ours_rates), max(theirs_rates)

    overall = score(list(zip(ours, wants, strict=True)))
    overall_theirs = score(list(zip(theirs, wants, strict=True)))
    buckets: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        buckets[r["bucket"]].append(i)
        buckets[f"origin:{r['origin']}"].append(i)
    per_bucket = {
        b: {
            "ours": score([(ours[i], wants[i]) for i in idx]),
            "reticker": score([(theirs[i], wants[i]) for i in idx]),
        }
        for b, idx in sorted(buckets.items())
    }

    print(f"ticker extraction on {len(rows)} labelled texts ({TEXTS.relative_to(ROOT.parent)})\n")
    print("P/R/F1 per symbol; exact = share of texts whose symbols are exactly the label; fp = false positives")
    print("(a bucket with no expected symbols, like no_ticker, has no meaningful P/R/F1: read exact and fp)\n")
    header = f"{'bucket':<22}{'texts':>6}  {'P':>6}{'R':>7}{'F1':>7}{'exact':>7}{'fp':>4}"
    print(f"{header}   {'reticker P':>10}{'R':>7}{'F1':>7}{'exact':>7}{'fp':>4}")
    for name, s in [("OVERALL", {"ours": overall, "reticker": overall_theirs}), *per_bucket.items()]:
        o, t = s["ours"], s["reticker"]
        print(
            f"{name:<22}{o['texts']:>6}  {o['precision']:>6.3f}{o['recall']:>7.3f}{o['f1']:>7.3f}"
            f"{o['exact']:>7.3f}{o['fp']:>4}   "
            f"{t['precision']:>10.3f}{t['recall']:>7.3f}{t['f1']:>7.3f}{t['exact']:>7.3f}{t['fp']:>4}"
        )
    print(
        f"\nthroughput (best of {ROUNDS} alternating rounds): ours {ours_tps:,.0f} texts/s, "
        f"reticker {theirs_tps:,.0f} texts/s, ratio {ours_tps / theirs_tps:.2f}x"
    )

    if args.verbose:
        print("\nerrors (ours):")
        for r, got, want in zip(rows, ours, wants, strict=True):
            if got != want:
                print(f"  [{r['bucket']}] {r['text'][:90]!r}  got={sorted(got)} want={sorted(want)}")

    result = {
        "precision": round(overall["precision"], 4),
        "recall": round(overall["recall"], 4),
        "f1": round(overall["f1"], 4),
        "reticker_f1": round(overall_theirs["f1"], 4),
        "reticker_precision": round(overall_theirs["precision"], 4),
        "reticker_recall": round(overall_theirs["recall"], 4),
        "texts_per_s": round(ours_tps, 1),
        "reticker_texts_per_s": round(theirs_tps, 1),
        "throughput_ratio": round(ours_tps / theirs_tps, 3),
        "texts": len(rows),
        "buckets": {
            b: {k: round(v["ours"][k], 4) for k in ("precision", "recall", "f1", "exact")}
            | {"texts": v["ours"]["texts"], "fp": v["ours"]["fp"], "reticker_f1": round(v["reticker"]["f1"], 4)}
            for b, v in per_bucket.items()
        },
    }
    real = _real()
    if args.refresh and not real:
        # the real set's figures are the headline: a refresh that cannot measure them must not
        # write a results file without them (the dumps' figures, which few machines can
        # measure, are kept as recorded instead)
        sys.exit("eval-tickers: REFRESH=1 needs the real labelled set's texts; nothing written")
    result.update(real)
    result.update(_other_periods(refresh=args.refresh))
    out = COMMITTED if args.refresh else SCRATCH
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT.parent)}")


def _real() -> dict[str, Any]:
    """The real-set figures, or an empty dict (and a clear message) without the texts."""
    try:
        result = real_eval.evaluate()
    except real_set.MissingData as exc:
        print(f"\nreal labelled set: NOT SCORED: {exc}", file=sys.stderr)
        return {}
    figures = real_eval.summary(result)
    print(f"\nreal labelled set ({real_set.LABELS.name}, sha256 {real_set.labels_digest()[:12]}):")
    print(f"{'split / stratum':<34}{'texts':>6}  {'P':>6}{'R':>7}{'F1':>7}   {'+learned F1':>13}{'reticker F1':>12}")
    for key in sorted(k for k in result if k in ("dev", "held_out") or k.startswith("held_out:")):
        o, r, t = result[key]["ours"], result[key]["learned"], result[key]["reticker"]
        print(
            f"{key:<34}{o['texts']:>6}  {o['precision']:>6.3f}{o['recall']:>7.3f}{o['f1']:>7.3f}"
            f"   {r['f1']:>13.3f}{t['f1']:>12.3f}"
        )
    twins = result["held_out_without_dev_twins"]
    print(
        f"held-out without the {twins['twins']} texts a dev text repeats whole or nearly: "
        f"P {twins['ours']['precision']:.3f}  R {twins['ours']['recall']:.3f}  F1 {twins['ours']['f1']:.3f}"
    )
    word_like = result["held_out_word_like_recall"]
    print(f"held-out word-like tickers found: {word_like['found']}/{word_like['labelled']}")
    print(f"held-out false positives from broker/bank/app/person names: {result['held_out_name_false_positives']}")
    misses = result["held_out_misses"]
    print(
        f"held-out misses: {misses['missed']}, {misses['most_in_one_text']} of them in one text; "
        f"recall per text {misses['text_recall']}"
    )
    print(f"held-out roles right: {result['held_out_roles']}")
    rate = result["throughput"]
    print(
        f"throughput on the real texts: ours {rate['texts_per_s']:,.0f}/s, reticker "
        f"{rate['reticker_texts_per_s']:,.0f}/s, ratio {rate['ratio']:.2f}x"
    )
    figures["real_labels_sha256"] = real_set.labels_digest()
    if agreement.LABELS.exists():
        figures["real_agreement"] = _agreement()
    recorded = json.loads(COMMITTED.read_text(encoding="utf-8")) if COMMITTED.exists() else {}
    if "real_first_measured" in recorded:  # history (each round as first measured): kept as recorded
        figures["real_first_measured"] = recorded["real_first_measured"]
    return figures


def _agreement() -> dict[str, Any]:
    """A held-out sample read twice (``eval/tickers/agreement.py``): how far the readers agree."""
    figures = agreement.evaluate()
    print(f"\nheld-out sample read twice ({figures['texts']} texts, sha256 {figures['labels_sha256'][:12]}):")
    for name in ("second_reader_vs_first", "extractor_vs_first", "extractor_vs_second", "extractor_vs_both"):
        row = figures[name]
        print(f"  {name:<26}P {row['precision']:.3f}  R {row['recall']:.3f}  F1 {row['f1']:.3f}")
    print(f"  symbols one reader names and the other does not: {figures['extractor_vs_both']['contested_left_out']}")
    return figures


# The dumps from outside the development corpora, each with its key in eval/tickers.json.
DUMPS = (("real_other_period", other_period.WSB_2022), ("real_finance_2024", finance_2024.FINANCE_2024))


def _recorded(key: str, dump: other_period.Dump, refresh: bool) -> dict[str, Any]:
    """On ``--refresh`` without a dump, the figures recorded before: such a set needs a dump
    few machines have, and a refresh of the others must not drop it unseen."""
    if not refresh or not COMMITTED.exists():
        return {}
    recorded = json.loads(COMMITTED.read_text(encoding="utf-8"))
    kept = {k: recorded[k] for k in (key, f"{key}_dev") if k in recorded}
    if kept:
        print(f"{dump.corpus}: the recorded figures are kept", file=sys.stderr)
    return kept


def _other_periods(*, refresh: bool = False) -> dict[str, Any]:
    """Each dump's figures, and its first measurement (``{key}_first``: the extractor of the
    day its labels were frozen, before any rule was tuned on its dev draw), kept as recorded."""
    out: dict[str, Any] = {}
    recorded = json.loads(COMMITTED.read_text(encoding="utf-8")) if COMMITTED.exists() else {}
    for key, dump in DUMPS:
        out.update(_scored(key, dump) or _recorded(key, dump, refresh))
        if f"{key}_first" in recorded:
            out[f"{key}_first"] = recorded[f"{key}_first"]
    return out


def _scored(key: str, dump: other_period.Dump) -> dict[str, Any]:
    """A dump's figures (``eval/tickers/other_period.py``), or an empty dict (and a clear
    message) without its dump."""
    try:
        path = other_period.csv_path(dump=dump)
    except other_period.MissingDump as exc:
        print(f"\n{dump.corpus}: NOT SCORED: {exc}", file=sys.stderr)
        return {}
    figures = other_period.evaluate(path, dump=dump)
    print(
        f"\n{dump.corpus} (all held out, sha256 {figures['labels_sha256'][:12]}): "
        f"{figures['texts']} texts  P {figures['precision']:.3f}  R {figures['recall']:.3f}  F1 {figures['f1']:.3f}"
        f"   reticker F1 {figures['reticker']['f1']:.3f}"
    )
    for name, row in {**figures["by_stratum"], **figures.get("by_corpus", {})}.items():
        print(f"  {name:<28}{row['texts']:>5}  P {row['precision']:.3f}  R {row['recall']:.3f}  F1 {row['f1']:.3f}")
    print(f"  word-like recall {figures['word_like_recall']}, name false positives {figures['name_false_positives']}")
    dev = other_period.evaluate(path, split="dev", rounds=1, dump=dump)
    print(f"  its dev draw (tuned on): {dev['texts']} texts  P {dev['precision']:.3f}  R {dev['recall']:.3f}")
    keys = ("precision", "recall", "f1", "tp", "fp", "fn", "texts", "labels_sha256")
    return {key: figures, f"{key}_dev": {k: dev[k] for k in keys}}


if __name__ == "__main__":
    main()
