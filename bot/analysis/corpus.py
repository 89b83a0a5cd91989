"""Labelled text files (`text<TAB>label` per line), as SmSA and bench/informal_id.tsv are."""

from __future__ import annotations

from pathlib import Path


def read_labelled(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        text, _, label = line.rpartition("\t")
        if text:
            texts.append(text)
            labels.append(label)
    return texts, labels
