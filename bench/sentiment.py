"""Sentiment benchmark: accuracy and macro-F1 on SmSA's validation split and on informal text
the team wrote, speed on one core, model size and load time. Reports; never asserts.

    python bench/sentiment.py [--data ../shared/data/smsa] [--baseline] [--model FILE]
                              [--test FILE]

--baseline also trains the plain word 1-4-gram logistic regression that the model must beat
(needs the [train] extras: scikit-learn). --test FILE reports on a held-out split (SmSA's
test_preprocess.tsv, which is not in shared/data): only to report, never to choose anything.
--model FILE scores another model file (the one before a change, say) with the same code.
Chat-style texts written by the team: bench/informal_dev_id.tsv (207) is the dev set that
choices are made on; bench/informal_id.tsv (80) is kept as a test set and never chosen on.
Speeds are the best of three runs, the machine being shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.analysis.corpus import read_labelled
from bot.analysis.sentiment import (
    MODEL_PATH,
    SentimentModel,
    blobber,
    file_header,
)

HERE = Path(__file__).resolve().parent


def scores(gold: list[str], predicted: list[str]) -> tuple[float, float, dict[str, float]]:
    labels = sorted(set(gold))
    per_class = {}
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        per_class[label] = 2 * precision * recall / (precision + recall) if tp else 0.0
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    return accuracy, statistics.mean(per_class.values()), per_class


def baseline(train: tuple[list[str], list[str]], valid: tuple[list[str], list[str]]) -> float:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = CountVectorizer(ngram_range=(1, 4))
    model = LogisticRegression(max_iter=2000).fit(vectorizer.fit_transform(train[0]), train[1])
    predicted = list(model.predict(vectorizer.transform(valid[0])))
    return scores(valid[1], predicted)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=HERE.parent.parent / "shared" / "data" / "smsa"
    )
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    parser.add_argument("--test", type=Path, default=None)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    started = time.perf_counter()
    model = SentimentModel.load(args.model)
    load_seconds = time.perf_counter() - started
    header = file_header(args.model)
    print(f"model: {args.model.name}, {args.model.stat().st_size / 1e6:.2f} MB on disk, "
          f"loaded in {load_seconds * 1000:.0f} ms, 2^{header['bits']} buckets, "
          f"C={header.get('C')}, class weights {header.get('class_weight')}, "
          f"cross-validated macro-F1 on train {header.get('cv_macro_f1')}")  # fmt: skip

    valid = read_labelled(args.data / "valid_preprocess.tsv")
    predicted = [model.analyze(text).label for text in valid[0]]
    accuracy, macro, per_class = scores(valid[1], predicted)
    print(f"SmSA valid ({len(valid[0])} texts): accuracy {accuracy:.4f}, macro-F1 {macro:.4f} "
          f"(target >= 0.86; word 1-4-gram LR about 0.84)")  # fmt: skip
    print("  per class F1: " + ", ".join(f"{k} {v:.3f}" for k, v in per_class.items()))
    confusion = Counter(zip(valid[1], predicted, strict=True))
    labels = sorted(per_class)
    print("  confusion (rows gold, columns predicted): " + " | ".join(
        f"{g}: " + " ".join(str(confusion[(g, p)]) for p in labels) for g in labels))  # fmt: skip

    alone = SentimentModel.load(args.model, lexicon=None)
    macro_alone = scores(valid[1], [alone.analyze(text).label for text in valid[0]])[1]
    print(f"  the learned model alone, without the team's lexicon: macro-F1 {macro_alone:.4f}")

    for name, role in (("informal_dev_id.tsv", "dev set, used to choose"),
                       ("informal_id.tsv", "test set, never used to choose")):  # fmt: skip
        informal = read_labelled(HERE / name)
        predicted_informal = [model.analyze(text).label for text in informal[0]]
        accuracy_i, macro_i, per_class_i = scores(informal[1], predicted_informal)
        alone_i = scores(informal[1], [alone.analyze(text).label for text in informal[0]])[1]
        print(f"chat-style texts written by the team, {name} ({len(informal[0])}, {role}): "
              f"accuracy {accuracy_i:.3f}, macro-F1 {macro_i:.3f} (model alone {alone_i:.3f}); "
              "per class F1: "
              + ", ".join(f"{k} {v:.3f}" for k, v in per_class_i.items()))  # fmt: skip

    if args.test is not None:
        test = read_labelled(args.test)
        accuracy_t, macro_t, per_class_t = scores(
            test[1], [model.analyze(t).label for t in test[0]]
        )
        alone_t = scores(test[1], [alone.analyze(t).label for t in test[0]])[1]
        print(f"held-out test ({len(test[0])} texts, {args.test.name}): "
              f"accuracy {accuracy_t:.4f}, "
              f"macro-F1 {macro_t:.4f} (model alone {alone_t:.4f}); per class F1: "
              + ", ".join(f"{k} {v:.3f}" for k, v in per_class_t.items()))  # fmt: skip

    nothing = ["tidak ada", "tidak ada kendala", "-", "belum ada", "cukup", "gak ada sih"]
    labels_nothing = [model.analyze(text).label for text in nothing]
    print(f"'nothing to report' answers scored neutral: {labels_nothing.count('neutral')} "
          f"of {len(nothing)}")  # fmt: skip

    def rate(texts: list[str], fresh: bool = False, blob: bool = False) -> float:
        best = 0.0
        for _ in range(3):
            scorer = SentimentModel.load(args.model) if fresh else model
            analyzer = blobber() if blob else None
            started = time.perf_counter()
            if analyzer is not None:
                for text in texts:
                    analyzer(text).sentiment  # noqa: B018
            else:
                for text in texts:
                    scorer.analyze(text)
            best = max(best, len(texts) / (time.perf_counter() - started))
        return best

    if args.model != MODEL_PATH:
        print("(speed through TextBlob uses the shipped model)")
    cold, warm, through_textblob = (
        rate(valid[0], fresh=True),
        rate(valid[0] * 4),
        rate(valid[0], blob=True),
    )
    mean_chars = statistics.mean(len(t) for t in valid[0])
    print(f"speed on one core (SmSA valid, {mean_chars:.0f} characters on average): "
          f"{cold:,.0f}/s cold, {warm:,.0f}/s warm, {through_textblob:,.0f}/s through "
          f"TextBlob's Blobber (target >= 5,000/s)")  # fmt: skip
    informal = read_labelled(HERE / "informal_id.tsv")
    chat = informal[0] * 20
    chat_chars = statistics.mean(len(t) for t in informal[0])
    print(f"speed on chat-style texts (bench/informal_id.tsv, {chat_chars:.0f} characters): "
          f"{rate(chat, fresh=True):,.0f}/s cold, {rate(chat, blob=True):,.0f}/s through "
          f"TextBlob's Blobber")  # fmt: skip

    if args.baseline:
        train = read_labelled(args.data / "train_preprocess.tsv")
        print(f"baseline word 1-4-gram logistic regression, valid macro-F1: "
              f"{baseline(train, valid):.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
