"""Builds bot/analysis/data/sentiment-id.bin.gz from the SmSA training split.

    pip install -e '.[train]'
    python scripts/train_sentiment.py [--data ../shared/data/smsa] [--folds 3]

The regularisation is chosen by cross-validation on the training split only; the validation
split is never used here (bench/sentiment.py reports on it). SmSA: IndoNLU (Wilie et al. 2020),
Apache-2.0; see NOTICE.
"""

from __future__ import annotations

import argparse
import sys
import time
from array import array
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.analysis.corpus import read_labelled
from bot.analysis.features import sparse_vector
from bot.analysis.sentiment import MODEL_PATH, SentimentModel

BITS = 20
# (C, class weights) tried by cross-validation on the training split.
GRID: tuple[tuple[float, str | None], ...] = (
    (3.0, None),
    (10.0, None),
    (30.0, None),
    (10.0, "balanced"),
    (30.0, "balanced"),
)


def matrix(texts: list[str], bits: int) -> csr_matrix:
    rows, cols, values = [], [], []
    for row, text in enumerate(texts):
        for index, value in sparse_vector(text, bits).items():
            rows.append(row)
            cols.append(index)
            values.append(value)
    return csr_matrix((values, (rows, cols)), shape=(len(texts), 1 << bits), dtype=np.float64)


def quantise(coef: np.ndarray) -> tuple[array, list[float]]:  # type: ignore[type-arg]
    """int8 per weight, one scale per class; laid out bucket-major (all classes of a bucket)."""
    scales = [float(np.abs(row).max() / 127.0) or 1.0 for row in coef]
    quantised = np.stack(
        [np.clip(np.rint(row / scale), -127, 127) for row, scale in zip(coef, scales, strict=True)]
    ).astype(np.int8)
    weights = array("b")
    weights.frombytes(quantised.T.copy().tobytes())
    return weights, scales


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data" / "smsa"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    args = parser.parse_args()

    texts, labels = read_labelled(args.data / "train_preprocess.tsv")
    started = time.perf_counter()
    features = matrix(texts, BITS)
    print(f"{len(texts)} training texts, {features.nnz} features set, "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    folds = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=13)
    (best_c, best_weight), best_score = GRID[0], -1.0
    for c, weight in GRID:
        model = LogisticRegression(C=c, max_iter=3000, class_weight=weight)
        scores = cross_val_score(model, features, labels, cv=folds, scoring="f1_macro", n_jobs=2)
        print(f"C={c:g} class_weight={weight}: cross-validated macro-F1 "
              f"{scores.mean():.4f} ± {scores.std():.4f}", flush=True)  # fmt: skip
        if scores.mean() > best_score:
            best_c, best_weight, best_score = c, weight, float(scores.mean())

    final = LogisticRegression(C=best_c, max_iter=3000, class_weight=best_weight)
    final.fit(features, labels)
    weights, scales = quantise(final.coef_)
    SentimentModel(
        bits=BITS,
        classes=tuple(str(c) for c in final.classes_),
        scales=tuple(scales),
        bias=tuple(float(b) for b in final.intercept_),
        weights=weights,
    ).dump(
        args.output,
        meta={
            "C": best_c,
            "class_weight": best_weight,
            "cv_macro_f1": round(best_score, 4),
            "trained_on": "SmSA train",
        },
    )
    print(f"C={best_c:g} chosen; model written to {args.output} "
          f"({args.output.stat().st_size / 1e6:.2f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
