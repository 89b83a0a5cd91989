"""Indonesian sentiment for TextBlob: a hashed linear model learned from SmSA, offline.

    from textblob import Blobber
    blob = Blobber(tokenizer=IndonesianTokenizer(), analyzer=IndonesianAnalyzer())
    blob("pelayanannya lama bgt").sentiment  # Sentiment(label='negative', polarity=-0.93, ...)

The model (data/sentiment-id.bin.gz) is built by scripts/train_sentiment.py from the SmSA
training split (IndoNLU, Apache-2.0). Nothing is downloaded at run time.
"""

from __future__ import annotations

import gzip
import json
import math
from array import array
from collections import namedtuple
from functools import cache
from pathlib import Path

from textblob import Blobber
from textblob.base import CONTINUOUS, BaseSentimentAnalyzer

from bot.analysis.features import bucket, text_parts, word_features
from bot.analysis.text import IndonesianTokenizer

MODEL_PATH = Path(__file__).parent / "data" / "sentiment-id.bin.gz"
MAGIC = b"SUARA-SENTIMENT-1\n"
LABELS = ("negative", "neutral", "positive")
WORD_CACHE = 50_000

Sentiment = namedtuple("Sentiment", ["label", "polarity", "probabilities"])


class SentimentModel:
    """Weights per hashed feature and class, int8 with one scale per class."""

    def __init__(
        self,
        *,
        bits: int,
        classes: tuple[str, ...],
        scales: tuple[float, ...],
        bias: tuple[float, ...],
        weights: array,  # type: ignore[type-arg]
    ) -> None:
        if len(weights) != len(classes) << bits:
            raise ValueError("weights do not match the header")
        self.bits = bits
        self.classes = classes
        self.scales = scales
        self.bias = bias
        self.weights = weights
        self._k = len(classes)
        self._words: dict[str, tuple[tuple[float, ...], float]] = {}

    # -- file format: MAGIC, a JSON header line, then int8 weights (bucket-major) -------------

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> SentimentModel:
        raw = gzip.decompress(path.read_bytes())
        if not raw.startswith(MAGIC):
            raise ValueError(f"{path} is not a Suara sentiment model")
        end = raw.index(b"\n", len(MAGIC))
        header = json.loads(raw[len(MAGIC) : end])
        weights = array("b")
        weights.frombytes(raw[end + 1 :])
        return cls(
            bits=int(header["bits"]),
            classes=tuple(header["classes"]),
            scales=tuple(header["scales"]),
            bias=tuple(header["bias"]),
            weights=weights,
        )

    def dump(self, path: Path, *, meta: dict[str, object] | None = None) -> None:
        header = {
            "bits": self.bits,
            "classes": list(self.classes),
            "scales": list(self.scales),
            "bias": list(self.bias),
            **(meta or {}),
        }
        body = MAGIC + json.dumps(header).encode() + b"\n" + self.weights.tobytes()
        path.write_bytes(gzip.compress(body, compresslevel=9, mtime=0))

    # -- scoring ------------------------------------------------------------------------------

    def _word(self, marked_word: str) -> tuple[tuple[float, ...], float]:
        """A word's summed (unscaled) weights per class and its share of the feature total."""
        cached = self._words.get(marked_word)
        if cached is not None:
            return cached
        k, bits, w = self._k, self.bits, self.weights
        sums = [0.0] * k
        total = 0.0
        for feature, value in word_features(marked_word):
            base = bucket(feature, bits) * k
            for c in range(k):
                sums[c] += w[base + c] * value
            total += value
        result = (tuple(sums), total)
        if len(self._words) < WORD_CACHE:
            self._words[marked_word] = result
        return result

    def probabilities(self, text: str) -> tuple[float, ...]:
        k, bits, w = self._k, self.bits, self.weights
        sums = [0.0] * k
        total = 0.0
        marked_words, bigrams = text_parts(text)
        for word, weight in marked_words:
            word_sums, word_total = self._word(word)
            for c in range(k):
                sums[c] += weight * word_sums[c]
            total += weight * word_total
        for feature in bigrams:
            base = bucket(feature, bits) * k
            for c in range(k):
                sums[c] += w[base + c]
            total += 1.0
        if total <= 0:
            # Nothing we can read (emoji, punctuation only): no opinion either way.
            return tuple(1.0 if label == "neutral" else 0.0 for label in self.classes)
        norm = total**-0.5
        logits = [self.bias[c] + sums[c] * self.scales[c] * norm for c in range(k)]
        top = max(logits)
        exps = [math.exp(value - top) for value in logits]
        whole = sum(exps)
        return tuple(value / whole for value in exps)

    def analyze(self, text: str) -> Sentiment:
        probs = self.probabilities(text)
        by_label = dict(zip(self.classes, probs, strict=True))
        polarity = by_label.get("positive", 0.0) - by_label.get("negative", 0.0)
        label = self.classes[max(range(self._k), key=probs.__getitem__)]
        return Sentiment(label, round(polarity, 4), by_label)


@cache
def default_model() -> SentimentModel:
    return SentimentModel.load()


class IndonesianAnalyzer(BaseSentimentAnalyzer):
    """TextBlob sentiment analyzer: Sentiment(label, polarity in [-1, 1], probabilities)."""

    kind = CONTINUOUS

    def __init__(self, model: SentimentModel | None = None) -> None:
        super().__init__()
        self._model = model

    def train(self) -> None:
        if self._model is None:
            self._model = default_model()
        super().train()

    def analyze(self, text: str) -> Sentiment:  # type: ignore[override]
        if not self._trained:
            self.train()
        assert self._model is not None
        return self._model.analyze(text or "")


@cache
def blobber() -> Blobber:
    """TextBlob set up for Indonesian: our tokenizer and analyzer, nothing from NLTK's data."""
    return Blobber(tokenizer=IndonesianTokenizer(), analyzer=IndonesianAnalyzer())


def sentiment_of(text: str) -> tuple[str, float]:
    """(label, polarity) through TextBlob, as the rest of Suara asks for it."""
    result = blobber()(text).sentiment
    return result.label, float(result.polarity)


def model_size(path: Path = MODEL_PATH) -> int:
    return path.stat().st_size


def file_header(path: Path = MODEL_PATH) -> dict[str, object]:
    raw = gzip.decompress(path.read_bytes())
    end = raw.index(b"\n", len(MAGIC))
    return dict(json.loads(raw[len(MAGIC) : end]))


__all__ = [
    "LABELS",
    "IndonesianAnalyzer",
    "Sentiment",
    "SentimentModel",
    "blobber",
    "sentiment_of",
]
