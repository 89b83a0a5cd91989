"""The features of the sentiment model, shared by training and by the runtime analyzer.

A text becomes marked words (bot.analysis.text), each contributing its word feature and its
character 2-4-grams (robust to informal spelling: "lamaa", "plyanan"), plus word bigrams. Each
feature is hashed (CRC-32, stable across processes) into a fixed number of buckets. Values are
summed and divided by the square root of their total, a length normalisation that splits into
per-word parts: the runtime caches each word's share, which keeps it fast.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterator

from bot.analysis.text import marked, normalise, words

CHAR_MIN, CHAR_MAX = 2, 4
CHAR_WEIGHT = 0.5


def bucket(feature: str, bits: int) -> int:
    return zlib.crc32(feature.encode("utf-8")) & ((1 << bits) - 1)


def word_features(marked_word: str) -> Iterator[tuple[str, float]]:
    """The features of one marked word ("!ramah" is "ramah" after a negation)."""
    negated = marked_word.startswith("!")
    bare = marked_word[1:] if negated else marked_word
    prefix = "c!" if negated else "c"
    yield "w" + marked_word, 1.0
    padded = f" {bare} "
    for n in range(CHAR_MIN, CHAR_MAX + 1):
        for i in range(len(padded) - n + 1):
            yield prefix + padded[i : i + n], CHAR_WEIGHT


def text_parts(text: str) -> tuple[list[tuple[str, float]], list[str]]:
    """Marked words with their weights, and the bigram features."""
    return token_parts(normalise(text))


def token_parts(tokens: list[str]) -> tuple[list[tuple[str, float]], list[str]]:
    """text_parts of text already normalised (bot.analysis.text.normalise)."""
    plain = words(tokens)
    bigrams = [f"b{a} {b}" for a, b in itertools.pairwise(plain)]
    return marked(tokens), bigrams


def sparse_vector(text: str, bits: int) -> dict[int, float]:
    """The normalised, hashed feature vector (for training; the runtime computes the same)."""
    values: dict[int, float] = {}
    total = 0.0
    marked_words, bigrams = text_parts(text)
    for word, weight in marked_words:
        for feature, value in word_features(word):
            index = bucket(feature, bits)
            values[index] = values.get(index, 0.0) + weight * value
            total += weight * value
    for feature in bigrams:
        index = bucket(feature, bits)
        values[index] = values.get(index, 0.0) + 1.0
        total += 1.0
    if total <= 0:
        return {}
    scale = total**-0.5
    return {index: value * scale for index, value in values.items()}
