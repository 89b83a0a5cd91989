"""Builds bot/analysis/data/sentiment-id.bin.gz from the SmSA training split.

    pip install -e '.[train]'
    python scripts/train_sentiment.py [--data ../shared/data/smsa] [--folds 3] [--augment N]
                                      [--C VALUE] [--output FILE]

With --augment N each training text is also learned in N chat-style rewrites
(bot.analysis.chatstyle: informal spellings, code-mixed English, dropped vowels, typos; seeded,
so the model file is the same on every run). Measured and not used by default: see README.
The regularisation is chosen by cross-validation on the training split only (a text's rewrites
stay in its fold, and the folds are scored on the original texts), unless --C fixes it; the
validation split is never used here (bench/sentiment.py reports on it). SmSA: IndoNLU (Wilie et
al. 2020), Apache-2.0; see NOTICE.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from array import array
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from scipy.sparse import csr_matrix, vstack
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.analysis.chatstyle import chat_style
from bot.analysis.corpus import read_labelled
from bot.analysis.features import sparse_vector
from bot.analysis.sentiment import MODEL_PATH, SentimentModel

BITS = 20
SEED = 13
# (C, class weights) tried by cross-validation on the training split. Balanced class weights
# lost at every C on 2026-12-03 (README) and are no longer tried.
GRID: tuple[tuple[float, str | None], ...] = (
    (10.0, None),
    (30.0, None),
    (100.0, None),
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


def fold_score(
    features: csr_matrix,
    targets: np.ndarray,  # type: ignore[type-arg]
    n: int,
    augment: int,
    train_rows: np.ndarray,  # type: ignore[type-arg]
    test_rows: np.ndarray,  # type: ignore[type-arg]
    c: float,
    weight: str | None,
) -> float:
    """Macro-F1 of one fold. A text's rewrites stay on its side of the split (rows n*k + i),
    and the fold is scored on the original texts only."""
    rows = np.concatenate([train_rows + n * k for k in range(1 + augment)])
    model = LogisticRegression(C=c, max_iter=3000, class_weight=weight)
    model.fit(features[rows], targets[rows])
    predicted = model.predict(features[test_rows])
    return float(f1_score(targets[test_rows], predicted, average="macro"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data" / "smsa"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--augment", type=int, default=0, help="chat-style rewrites per text")
    parser.add_argument("--C", type=float, default=None, help="skip the cross-validation")
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    args = parser.parse_args()

    texts, labels = read_labelled(args.data / "train_preprocess.tsv")
    rng = random.Random(SEED)
    rewrites = [[chat_style(text, rng) for text in texts] for _ in range(args.augment)]
    started = time.perf_counter()
    originals = matrix(texts, BITS)
    copies = [matrix(batch, BITS) for batch in rewrites]
    features = vstack([originals, *copies]).tocsr()
    targets = np.array(labels * (1 + args.augment))
    print(f"{len(texts)} training texts and {len(texts) * args.augment} chat-style rewrites, "
          f"{features.nnz} features set, {time.perf_counter() - started:.1f} s")  # fmt: skip

    folds = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=SEED)
    n = len(texts)
    (best_c, best_weight), best_score = GRID[0], -1.0
    grid = GRID if args.C is None else ()
    if args.C is not None:
        best_c, best_weight = args.C, None
    for c, weight in grid:
        scores = Parallel(n_jobs=2)(
            delayed(fold_score)(features, targets, n, args.augment, train, test, c, weight)
            for train, test in folds.split(np.zeros(n), labels)
        )
        mean = float(np.mean(scores))
        print(f"C={c:g} class_weight={weight}: cross-validated macro-F1 "
              f"{mean:.4f} ± {np.std(scores):.4f}", flush=True)  # fmt: skip
        if mean > best_score:
            best_c, best_weight, best_score = c, weight, mean

    final = LogisticRegression(C=best_c, max_iter=3000, class_weight=best_weight)
    final.fit(features, targets)
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
            "cv_macro_f1": round(best_score, 4) if grid else None,
            "trained_on": "SmSA train",
            "chat_style_rewrites": args.augment,
        },
    )
    print(f"C={best_c:g} chosen; model written to {args.output} "
          f"({args.output.stat().st_size / 1e6:.2f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
