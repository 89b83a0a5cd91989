"""SmSA's training texts rewritten as chat: for training only (scripts/train_sentiment.py).

SmSA is reviews and news, pre-tokenised and mostly spelled out; the bot reads chat messages
("materinya gk jls bgt", "petugasnya helpful"). A chat-style copy of each training text lets
the character n-grams learn the informal forms that the normaliser (bot.analysis.text) does not
map back: formal words swapped for their informal spellings (IndoCollex and the team's list
read backwards), a few English words of code-mixed messages, dropped vowels ("plyanan"),
dropped or swapped letters, stretched letters, and chat punctuation. Deterministic for a seed.
"""

from __future__ import annotations

import random
from functools import cache

from bot.analysis.text import INTENSIFY_NEXT, INTENSIFY_PREVIOUS, NEGATORS, slang_dictionary

# Indonesian words and the English ones chat mixes in for them (the reverse of the team's
# code-mixing list in bot.analysis.text).
ENGLISH = {
    "bagus": ("good", "nice", "great"),
    "buruk": ("bad", "poor"),
    "lambat": ("slow",),
    "cepat": ("fast",),
    "mudah": ("easy",),
    "sulit": ("hard", "difficult"),
    "jelas": ("clear",),
    "membantu": ("helpful",),
    "bermanfaat": ("useful",),
    "ramah": ("friendly",),
    "kasar": ("rude",),
    "membosankan": ("boring",),
    "menarik": ("interesting",),
    "senang": ("happy",),
    "sedih": ("sad",),
    "kecewa": ("disappointed",),
    "masalah": ("problem",),
    "keren": ("awesome",),
    "suka": ("love",),
    "benci": ("hate",),
    "sangat": ("very",),
}
VOWELS = frozenset("aeiou")
# Words the analyzer reads as structure: a misspelt "tidak" would no longer mark the words after
# it as negated, and the model would learn "jelas" from "tidak jelas". Chat writes these in
# shorthand the normaliser knows (gak, tdk, bgt), so they get only their informal spellings.
STRUCTURE = NEGATORS | INTENSIFY_NEXT | INTENSIFY_PREVIOUS | {"tapi", "tetapi", "namun"}


@cache
def informal_spellings() -> dict[str, tuple[str, ...]]:
    """Formal word -> the one-word informal spellings that the normaliser maps to it."""
    spellings: dict[str, list[str]] = {}
    for informal, formal in slang_dictionary().items():
        if len(formal) == 1 and informal.isalpha() and informal != formal[0]:
            spellings.setdefault(formal[0], []).append(informal)
    return {word: tuple(sorted(forms)) for word, forms in spellings.items()}


def _without_vowels(word: str, rng: random.Random) -> str:
    inner = [ch for ch in word[1:-1] if ch not in VOWELS or rng.random() < 0.4]
    return word[0] + "".join(inner) + word[-1]


def _misspelt(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def chat_style(
    text: str,
    rng: random.Random,
    *,
    slang: float = 0.5,
    english: float = 0.3,
    vowels: float = 0.12,
    typo: float = 0.03,
    stretch: float = 0.05,
) -> str:
    """One chat-style rewrite of a pre-tokenised text; each rate is per word."""
    spellings = informal_spellings()
    out = []
    for word in text.split():
        if not word.isalpha():
            out.append(word)
            continue
        if word in ENGLISH and rng.random() < english:
            out.append(rng.choice(ENGLISH[word]))
            continue
        if word in spellings and rng.random() < slang:
            out.append(rng.choice(spellings[word]))
            continue
        if word in STRUCTURE:
            out.append(word)
            continue
        if len(word) >= 5 and rng.random() < vowels:
            word = _without_vowels(word, rng)
        if len(word) > 3 and rng.random() < typo:
            word = _misspelt(word, rng)
        if rng.random() < stretch:
            word += word[-1] * rng.randint(2, 4)
        out.append(word)
    joined = " ".join(out)
    for mark in ",.!?":
        joined = joined.replace(" " + mark, mark)
    return joined
