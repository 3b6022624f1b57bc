"""Train the Indonesian sentiment model on SmSA and write the artefact the scorer loads.

    uv run python -m listening.train            # train, print validation scores, write the model
    uv run python -m listening.train --check    # only print validation scores

Needs scikit-learn (a development dependency); scoring needs only numpy and scipy.
The model is a multinomial logistic regression over hashed word (1-2) and character (2-5)
n-grams with TF-IDF weights (``listening.sentiment.features``), stored as numpy arrays
(``np.load(..., allow_pickle=False)``): no pickled code.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from listening.sentiment import features
from listening.sentiment.indonesian import LABELS, MODEL_PATH, VERSION

DATA = Path(__file__).parent / "data" / "sentiment-id"


def load(path: Path) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text, _, label = line.rpartition("\t")
        if text and label in LABELS:
            texts.append(text)
            labels.append(label)
    return texts, labels


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> tuple[float, dict[str, float]]:
    per: dict[str, float] = {}
    for label in LABELS:
        tp = sum(t == label and p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != label and p == label for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label and p != label for t, p in zip(truth, predicted, strict=True))
        per[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return sum(per.values()) / len(per), per


def train(c: float, class_weight: str | None) -> dict[str, np.ndarray]:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]  # training only

    texts, labels = load(DATA / "smsa_train.tsv")
    words, chars = features.counts(texts)
    idf_words, idf_chars = features.idf(words), features.idf(chars)
    x = features.transform(texts, idf_words, idf_chars)
    model = LogisticRegression(C=c, max_iter=3000, class_weight=class_weight)
    model.fit(x, [LABELS.index(label) for label in labels])
    return {
        "idf_words": idf_words.astype(np.float16),
        "idf_chars": idf_chars.astype(np.float16),
        "coef": model.coef_.astype(np.float16),
        "intercept": model.intercept_.astype(np.float32),
        "version": np.array(VERSION),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--c", type=float, default=10.0, help="inverse regularisation strength")
    parser.add_argument("--balanced", action="store_true", help="weigh classes by inverse frequency")
    parser.add_argument("--check", action="store_true", help="do not write the model file")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    started = time.perf_counter()
    arrays = train(args.c, "balanced" if args.balanced else None)
    from listening.sentiment.indonesian import IndonesianModel

    model = IndonesianModel(arrays)
    texts, truth = load(DATA / "smsa_valid.tsv")
    predicted = [s.label for s in model.score(texts)]
    f1, per = macro_f1(truth, predicted)
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    print(f"trained in {time.perf_counter() - started:.1f}s; C={args.c} balanced={args.balanced}")
    print(
        f"SmSA validation: macro-F1 {f1:.4f}, accuracy {accuracy:.4f}, per class "
        + ", ".join(f"{k} {v:.4f}" for k, v in per.items())
    )
    if not args.check:
        np.savez_compressed(args.out, allow_pickle=False, **arrays)
        print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
