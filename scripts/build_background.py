"""Builds bot/analysis/data/background-id.json.gz: how many SmSA training texts mention each
word or phrase, the everyday-Indonesian background that themes are measured against.

    python scripts/build_background.py [--data ../shared/data/smsa]

SmSA: IndoNLU (Wilie et al. 2020), Apache-2.0; see NOTICE.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.analysis.themes import BACKGROUND_PATH, term_counts

MIN_DOCUMENTS = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data" / "smsa"
    parser.add_argument("--data", type=Path, default=default_data)
    args = parser.parse_args()
    lines = (args.data / "train_preprocess.tsv").read_text(encoding="utf-8").splitlines()
    texts = [line.rpartition("\t")[0] for line in lines if "\t" in line]
    counts = term_counts(texts)
    kept = {term: n for term, n in sorted(counts.items()) if n >= MIN_DOCUMENTS}
    body = json.dumps({"documents": len(texts), "counts": kept}, ensure_ascii=False)
    BACKGROUND_PATH.write_bytes(gzip.compress(body.encode(), compresslevel=9, mtime=0))
    print(f"{len(kept)} terms from {len(texts)} texts -> {BACKGROUND_PATH} "
          f"({BACKGROUND_PATH.stat().st_size / 1e3:.0f} kB)")  # fmt: skip


if __name__ == "__main__":
    main()
