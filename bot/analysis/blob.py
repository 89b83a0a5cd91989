"""TextBlob set up for Indonesian: our tokenizer and our analyzer, nothing from NLTK's data.

    from bot.analysis.blob import blobber
    blobber()("pelayanannya lama bgt").sentiment  # Sentiment(label='negative', ...)

Kept apart from bot/analysis/sentiment.py so that importing the model does not import
TextBlob and NLTK; the bot loads this on its first sentiment (or its warm-up after start).
"""

from __future__ import annotations

from functools import cache

from textblob import Blobber
from textblob.base import CONTINUOUS, BaseSentimentAnalyzer, BaseTokenizer

from bot.analysis.sentiment import Sentiment, SentimentModel, default_model
from bot.analysis.text import normalise, words


class IndonesianTokenizer(BaseTokenizer):
    """TextBlob tokenizer that needs no NLTK download: normalised Indonesian words."""

    def tokenize(self, text: str) -> list[str]:
        return words(normalise(text))


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

    def analyze(self, text: str) -> Sentiment:
        if not self._trained:
            self.train()
        assert self._model is not None
        return self._model.analyze(text or "")


@cache
def blobber() -> Blobber:
    """TextBlob set up for Indonesian: our tokenizer and analyzer, nothing from NLTK's data."""
    return Blobber(tokenizer=IndonesianTokenizer(), analyzer=IndonesianAnalyzer())
