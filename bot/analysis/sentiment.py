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

from bot.analysis.features import bucket, token_parts, word_features
from bot.analysis.text import normalise, nothing_to_report

MODEL_PATH = Path(__file__).parent / "data" / "sentiment-id.bin.gz"
LEXICON_PATH = Path(__file__).parent / "data" / "lexicon-id.tsv"
# How much the lexicon counts against the learned model; chosen on the informal sentences of
# bench/informal_id.tsv (0.704 -> 0.748 macro-F1). On SmSA validation it costs 0.003 with the
# model of 2026-12-03 (0.871 alone, 0.868 with it); see README.
LEXICON_WEIGHT = 4.0
CONTRAST = frozenset({"tapi", "tetapi", "namun", "sayangnya", "cuma", "hanya saja"})
MAGIC = b"SUARA-SENTIMENT-1\n"
LABELS = ("negative", "neutral", "positive")
WORD_CACHE = 50_000
GRAM_CACHE = 200_000

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
        weights: array,
        lexicon: dict[str, float] | None = None,
        short_words: int = 0,
        short_offset: float = 0.0,
    ) -> None:
        if sorted(classes) != sorted(LABELS):
            raise ValueError(f"the model's classes are {classes}, expected {LABELS}")
        if len(weights) != len(classes) << bits:
            raise ValueError("weights do not match the header")
        self.bits = bits
        self.classes = classes
        self.scales = scales
        self.bias = bias
        self.weights = weights
        self._k = len(classes)
        self.lexicon = lexicon or {}
        self._positive = classes.index("positive")
        self._negative = classes.index("negative")
        self._nothing = tuple(1.0 if label == "neutral" else 0.0 for label in classes)
        self._neutral = classes.index("neutral")
        # Chat messages are short, SmSA's texts long: texts of at most short_words words get
        # short_offset more on the neutral class (chosen by scripts/calibrate_sentiment.py).
        self.short_words = short_words
        self.short_offset = short_offset
        self._words: dict[str, tuple[tuple[float, ...], float]] = {}
        self._grams: dict[str, tuple[int, int, int]] = {}

    # -- file format: MAGIC, a JSON header line, then int8 weights (bucket-major) -------------

    @classmethod
    def load(cls, path: Path = MODEL_PATH, lexicon: Path | None = LEXICON_PATH) -> SentimentModel:
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
            lexicon=load_lexicon(lexicon) if lexicon else None,
            short_words=int(header.get("short_words", 0)),
            short_offset=float(header.get("short_neutral_offset", 0.0)),
        )

    def dump(self, path: Path, *, meta: dict[str, object] | None = None) -> None:
        header = {
            "bits": self.bits,
            "classes": list(self.classes),
            "scales": list(self.scales),
            "bias": list(self.bias),
            "short_words": self.short_words,
            "short_neutral_offset": self.short_offset,
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
        bits, w, grams = self.bits, self.weights, self._grams
        s0 = s1 = s2 = 0.0
        total = 0.0
        for feature, value in word_features(marked_word):
            # Words share their character n-grams: each n-gram's weights are read once.
            hit = grams.get(feature)
            if hit is None:
                base = bucket(feature, bits) * 3
                hit = (w[base], w[base + 1], w[base + 2])
                if len(grams) < GRAM_CACHE:
                    grams[feature] = hit
            s0 += hit[0] * value
            s1 += hit[1] * value
            s2 += hit[2] * value
            total += value
        result = ((s0, s1, s2), total)
        if len(self._words) < WORD_CACHE:
            self._words[marked_word] = result
        return result

    def probabilities(self, text: str) -> tuple[float, ...]:
        # Three classes, written out: this loop is the analyzer's whole cost.
        bits, w = self.bits, self.weights
        s0 = s1 = s2 = 0.0
        total = 0.0
        tokens = normalise(text)
        if nothing_to_report(tokens):
            # "tidak ada kendala", "belum ada", "cukup": an answer, not an opinion.
            return self._nothing
        marked_words, bigrams = token_parts(tokens)
        words = self._words
        for word, weight in marked_words:
            cached = words.get(word)
            (a, b, c), word_total = cached if cached is not None else self._word(word)
            if weight == 1.0:
                s0 += a
                s1 += b
                s2 += c
                total += word_total
            else:
                s0 += weight * a
                s1 += weight * b
                s2 += weight * c
                total += weight * word_total
        for feature in bigrams:
            base = bucket(feature, bits) * 3
            s0 += w[base]
            s1 += w[base + 1]
            s2 += w[base + 2]
        total += len(bigrams)
        if total <= 0:
            # Nothing we can read (emoji, punctuation only): no opinion either way.
            return self._nothing
        norm = total**-0.5
        scales, bias = self.scales, self.bias
        logits = [
            bias[0] + s0 * scales[0] * norm,
            bias[1] + s1 * scales[1] * norm,
            bias[2] + s2 * scales[2] * norm,
        ]
        if self.lexicon:
            shift = self._lexicon_shift(marked_words) / 2
            logits[self._positive] += shift
            logits[self._negative] -= shift
        if len(marked_words) <= self.short_words:
            logits[self._neutral] += self.short_offset
        top = max(logits)
        exps = [math.exp(value - top) for value in logits]
        whole = exps[0] + exps[1] + exps[2]
        return (exps[0] / whole, exps[1] / whole, exps[2] / whole)

    def _lexicon_shift(self, marked_words: list[tuple[str, float]]) -> float:
        """Evidence from the team's lexicon of service and training words, where SmSA (reviews
        and news) has little to say: "materinya jelas" is praise. Negation flips a word; after
        "tapi" the clause counts double and what came before half ("ramah tapi lambat")."""
        score = 0.0
        count = 0.0
        emphasis = 1.0
        for word, weight in marked_words:
            if word in CONTRAST:
                score *= 0.5
                emphasis = 2.0
                continue
            negated = word.startswith("!")
            value = self.lexicon.get(word[1:] if negated else word, 0.0)
            score += emphasis * weight * (-value if negated else value)
            count += 1.0
        if count == 0:
            return 0.0
        return LEXICON_WEIGHT * score / math.sqrt(count)

    def analyze(self, text: str) -> Sentiment:
        probs = self.probabilities(text)
        by_label = dict(zip(self.classes, probs, strict=True))
        polarity = by_label.get("positive", 0.0) - by_label.get("negative", 0.0)
        label = self.classes[max(range(self._k), key=probs.__getitem__)]
        return Sentiment(label, round(polarity, 4), by_label)


def load_lexicon(path: Path = LEXICON_PATH) -> dict[str, float]:
    lexicon: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, _, score = line.partition("\t")
            lexicon[word.strip()] = max(-1.0, min(1.0, float(score)))
    return lexicon


@cache
def default_model() -> SentimentModel:
    return SentimentModel.load()


def sentiment_of(text: str) -> tuple[str, float]:
    """(label, polarity) through TextBlob, as the rest of Suara asks for it. TextBlob (and
    the NLTK it brings, 30 MB) is loaded on the first call, not when the bot starts."""
    from bot.analysis.blob import blobber

    result = blobber()(text).sentiment
    return result.label, float(result.polarity)


def file_header(path: Path = MODEL_PATH) -> dict[str, object]:
    raw = gzip.decompress(path.read_bytes())
    end = raw.index(b"\n", len(MAGIC))
    return dict(json.loads(raw[len(MAGIC) : end]))


__all__ = ["LABELS", "Sentiment", "SentimentModel", "sentiment_of"]


def __getattr__(name: str) -> object:
    # The TextBlob classes live in bot/analysis/blob.py, imported when first asked for.
    if name in ("IndonesianAnalyzer", "blobber"):
        from bot.analysis import blob

        return getattr(blob, name)
    raise AttributeError(name)
