"""Sentiment speed alone, comparable across versions: a fresh model (empty caches) per pass,
best of seven passes (wall clock and CPU time), on SmSA's validation texts and on the team's
chat-style texts. Reports; never asserts. To compare with an older version, run this file
with that version's code first on the path (its model file as the argument):

    git archive REV bot | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old python bench/sentiment_speed.py \
        /tmp/old/bot/analysis/data/sentiment-id.bin.gz
    python bench/sentiment_speed.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(HERE.parent))

from bot.analysis.corpus import read_labelled  # noqa: E402
from bot.analysis.sentiment import MODEL_PATH, SentimentModel  # noqa: E402


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else MODEL_PATH
    data = HERE.parent.parent / "shared" / "data" / "smsa" / "valid_preprocess.tsv"
    if not data.exists():
        data = Path("/work/shared/data/smsa/valid_preprocess.tsv")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    texts = read_labelled(data)[0]
    chat = read_labelled(HERE / "informal_id.tsv")[0] * 20
    best: dict[str, float] = {}
    best_cpu: dict[str, float] = {}
    for _ in range(7):
        for name, sample in (("SmSA valid", texts), ("chat-style", chat)):
            model = SentimentModel.load(path)
            started, started_cpu = time.perf_counter(), time.process_time()
            for text in sample:
                model.analyze(text)
            rate = len(sample) / (time.perf_counter() - started)
            rate_cpu = len(sample) / max(time.process_time() - started_cpu, 1e-9)
            best[name] = max(best.get(name, 0.0), rate)
            best_cpu[name] = max(best_cpu.get(name, 0.0), rate_cpu)
    # On a shared machine the wall clock counts the wait for a core; CPU time does not.
    print(f"{path}: fresh model, best of 7, one core: "
          + ", ".join(f"{name} {best[name]:,.0f} texts/s ({best_cpu[name]:,.0f}/s of CPU time)"
                      for name in best)
          + " (target >= 5,000/s)")  # fmt: skip


if __name__ == "__main__":
    main()
