"""Calibrates bot/analysis/data/sentiment-id.bin.gz on SmSA's validation split.

    python scripts/calibrate_sentiment.py [--data ../shared/data/smsa]

Run after scripts/train_sentiment.py (which sees the training split only). Two things are
chosen here, on the model as the bot runs it (the learned model with the team's lexicon on
top): how much to add to the neutral class's bias, for the best macro-F1 on SmSA's validation
split; then, for texts of at most SHORT words (chat messages are short, SmSA's texts long), how
much more, for the best sum of macro-F1 on the validation split and on the team's chat-style
dev set (bench/informal_dev_id.tsv). bench/informal_id.tsv and held-out test data are never
read. The training bias is kept in the header beside the calibrated one. SmSA: IndoNLU (Wilie
et al. 2020), Apache-2.0; see NOTICE.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.analysis.corpus import read_labelled
from bot.analysis.sentiment import MODEL_PATH, SentimentModel, file_header

OFFSETS = tuple(round(0.1 * step, 1) for step in range(-10, 11))
SHORT_OFFSETS = tuple(round(0.1 * step, 1) for step in range(-10, 21))
SHORT = (6, 10, 15)
DEV = Path(__file__).resolve().parent.parent / "bench" / "informal_dev_id.tsv"


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    scores = []
    for label in sorted(set(gold)):
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return statistics.mean(scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data" / "smsa"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    args = parser.parse_args()

    header = file_header(args.model)
    trained_bias = tuple(header.get("trained_bias", header["bias"]))
    texts, gold = read_labelled(args.data / "valid_preprocess.tsv")
    model = SentimentModel.load(args.model)
    neutral = model.classes.index("neutral")
    results = []
    for offset in OFFSETS:
        model.bias = tuple(
            b + (offset if i == neutral else 0.0) for i, b in enumerate(trained_bias)
        )
        score = macro_f1(gold, [model.analyze(text).label for text in texts])
        results.append((score, -abs(offset), offset))
        print(f"neutral offset {offset:+.1f}: validation macro-F1 {score:.4f}", flush=True)
    score, _, best = max(results)
    model.bias = tuple(b + (best if i == neutral else 0.0) for i, b in enumerate(trained_bias))
    print(f"neutral offset {best:+.1f} chosen (validation macro-F1 {score:.4f})")

    dev_texts, dev_gold = read_labelled(DEV)
    short_results = []
    for words in SHORT:
        for offset in SHORT_OFFSETS:
            model.short_words, model.short_offset = words, offset
            on_valid = macro_f1(gold, [model.analyze(text).label for text in texts])
            on_dev = macro_f1(dev_gold, [model.analyze(text).label for text in dev_texts])
            short_results.append(
                (on_valid + on_dev, -abs(offset), -words, offset, on_valid, on_dev)
            )
            print(f"texts of at most {words} words, neutral {offset:+.1f} more: validation "
                  f"{on_valid:.4f}, chat-style dev {on_dev:.4f}", flush=True)  # fmt: skip
    _, _, minus_words, short_offset, on_valid, on_dev = max(short_results)
    model.short_words, model.short_offset = -minus_words, short_offset
    if model.short_offset == 0:
        model.short_words = 0
    meta = {
        k: v
        for k, v in header.items()
        if k not in ("bits", "classes", "scales", "bias", "short_words", "short_neutral_offset")
    }
    meta.update(
        trained_bias=list(trained_bias),
        neutral_offset=best,
        calibrated_on="SmSA valid; short texts on SmSA valid + bench/informal_dev_id.tsv",
    )
    model.dump(args.model, meta=meta)
    print(f"short texts: at most {model.short_words} words, neutral {model.short_offset:+.1f} "
          f"(validation {on_valid:.4f}, chat-style dev {on_dev:.4f}); {args.model}")  # fmt: skip


if __name__ == "__main__":
    main()
