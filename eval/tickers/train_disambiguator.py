"""Train the learned disambiguator (``disambiguation.py``) on the DEVELOPMENT split of the real
labelled set, and write its weights to ``eval/tickers/disambiguator.json``.

The held-out split is never read here: the regularisation strength and the acceptance
threshold are chosen by 5-fold cross-validation within the development split (folds by
text), on the figure the product lives by: the extractor's F1 over those texts, the rules'
own finds included. ``make train-disambiguator`` runs it; the texts come from
``../shared/data`` (or ``--data``), like every real-data eval.
"""

import argparse
import hashlib
import json
import random
import sys
from datetime import UTC, datetime
from typing import Any

import sklearn
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

from common import extraction
from eval.tickers import disambiguation, real_eval, real_set

FOLDS = 5
STRENGTHS = (0.03, 0.1, 0.3, 1.0, 3.0)
THRESHOLDS = tuple(round(0.30 + 0.025 * i, 3) for i in range(25))  # 0.30 … 0.90
MIN_GAIN = 0.002  # a model that adds less cross-validated dev F1 than this is not written


class Text:
    """One development text: what the rules alone find, the candidates they refuse, the labels."""

    def __init__(self, found: set[str], candidates: list[extraction.Candidate], want: set[str], ignore: set[str]):
        self.found = found - ignore
        self.want = want - ignore
        usable = [c for c in candidates if c.symbol not in ignore]
        self.examples = usable  # every bare candidate teaches, the rules' accepted ones too
        self.candidates = [c for c in usable if c.refused and not c.named]  # what the model decides


def _f1(texts: list[Text], accepted: list[set[str]]) -> tuple[float, float]:
    """The extractor's F1 and precision over ``texts`` when the model accepts ``accepted``."""
    tp = fp = fn = 0
    for t, extra in zip(texts, accepted, strict=True):
        got = t.found | extra
        tp += len(got & t.want)
        fp += len(got - t.want)
        fn += len(t.want - got)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return f1, tp / (tp + fp) if tp + fp else 1.0


def _fit(texts: list[Text], strength: float) -> tuple[DictVectorizer, LogisticRegression]:
    rows = [{f: 1 for f in disambiguation.of(c)} for t in texts for c in t.examples]
    ys = [int(c.symbol in t.want) for t in texts for c in t.examples]
    vec = DictVectorizer()
    model = LogisticRegression(C=strength, class_weight=None, max_iter=2000)
    model.fit(vec.fit_transform(rows), ys)
    return vec, model


def _out_of_fold(texts: list[Text], strength: float, seed: int = 7) -> list[list[float]]:
    """Each candidate's probability from a model that never saw its text."""
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    fold = {i: k % FOLDS for k, i in enumerate(order)}
    probs: list[list[float]] = [[] for _ in texts]
    for k in range(FOLDS):
        train = [t for i, t in enumerate(texts) if fold[i] != k]
        vec, model = _fit(train, strength)
        for i, t in enumerate(texts):
            if fold[i] == k and t.candidates:
                x = vec.transform([{f: 1 for f in disambiguation.of(c)} for c in t.candidates])
                probs[i] = list(model.predict_proba(x)[:, 1])
    return probs


def _accepted(texts: list[Text], probs: list[list[float]], threshold: float) -> list[set[str]]:
    return [
        {c.symbol for c, p in zip(t.candidates, ps, strict=True) if p >= threshold}
        for t, ps in zip(texts, probs, strict=True)
    ]


def train(data: str | None) -> dict[str, Any]:
    labels = real_set.load_labels()
    ids = [row for row in real_set.load_ids() if row["id"] in labels and row["split"] == "dev"]
    inputs = real_eval.read_inputs(data, ids)
    texts = []
    for row, (text, thread, at) in zip(ids, inputs, strict=True):
        label = labels[row["id"]]
        found = set(extraction.symbols(text, thread_symbols=thread, at=at))
        candidates = extraction.candidates(text, thread_symbols=thread, at=at)
        ignore = set(label["doubtful"]) | set(label["other"])
        texts.append(Text(found, candidates, set(label["symbols"]), ignore))
    base_f1, base_precision = _f1(texts, [set() for _ in texts])
    best: tuple[float, float, float, float] = (base_f1, base_precision, 0.0, 1.01)  # f1, precision, C, threshold
    for strength in STRENGTHS:
        probs = _out_of_fold(texts, strength)
        for threshold in THRESHOLDS:
            f1, precision = _f1(texts, _accepted(texts, probs, threshold))
            # What the model adds must be at least as precise as what the rules find: it may
            # raise recall, never trade the precision users see for it.
            if f1 > best[0] + 1e-9 and precision >= base_precision:
                best = (f1, precision, strength, threshold)
    cv_f1, cv_precision, strength, threshold = best
    report: dict[str, Any] = {
        "dev_texts": len(texts),
        "examples": sum(len(t.examples) for t in texts),
        "example_positives": sum(c.symbol in t.want for t in texts for c in t.examples),
        "refused": sum(len(t.candidates) for t in texts),
        "refused_positives": sum(c.symbol in t.want for t in texts for c in t.candidates),
        "rules_only_dev_f1": round(base_f1, 4),
        "rules_only_dev_precision": round(base_precision, 4),
        "cv_dev_f1": round(cv_f1, 4),
        "cv_dev_precision": round(cv_precision, 4),
    }
    doc: dict[str, Any] = {
        "about": "eval/tickers/disambiguation.py; trained by train_disambiguator.py on the dev split only",
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "labels_sha256": real_set.labels_digest(),
        "dev_ids_sha256": hashlib.sha256("\n".join(r["id"] for r in ids).encode()).hexdigest(),
        "sklearn": sklearn.__version__,
        **report,
    }
    if cv_f1 - base_f1 < MIN_GAIN:  # no weights: the record says it was tried on today's labels and lost
        report["written"] = False
        doc["weights"] = None
    else:
        vec, model = _fit(texts, strength)
        names = vec.get_feature_names_out()
        weights = {name: round(float(w), 4) for name, w in zip(names, model.coef_[0], strict=True)}
        doc |= {
            "C": strength,
            "bias": round(float(model.intercept_[0]), 4),
            "threshold": threshold,
            "weights": dict(sorted((k, v) for k, v in weights.items() if abs(v) >= 1e-4)),
        }
        report.update(written=True, C=strength, threshold=threshold, features=len(doc["weights"]))
    disambiguation.MODEL_PATH.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder holding the real corpora (default ../shared/data)")
    args = parser.parse_args(argv)
    if not real_set.data_dir(args.data).exists():
        sys.exit(f"real data not found at {real_set.data_dir(args.data)}: nothing to train on")
    print(json.dumps(train(args.data), indent=1))


if __name__ == "__main__":
    main()
