"""What a set of texts is about, and whether a comment says the material was hard.

Themes: words and phrases of up to three words, ranked by how much more often they occur in
the texts than in a background corpus (the log odds ratio of a text mentioning the term,
over its standard error). Stopwords are dropped, negations are kept ("tidak ramah").
No stemming: Indonesian affixes carry meaning here ("antrean" vs "antre"), and the only common
stemmer's dictionary is licensed non-commercially.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.analysis.text import (
    BOUNDARY,
    INTENSIFY_NEXT,
    INTENSIFY_PREVIOUS,
    NEGATORS,
    normalise,
    words,
)

BACKGROUND_PATH = Path(__file__).parent / "data" / "background-id.json.gz"
MAX_PHRASE = 3

# Written by the team: function words that carry no theme. Negators are deliberately absent.
STOPWORDS = frozenset(
    """
    ada adalah adanya agak agar akan aku aja amat anda apa apakah apalagi atas atau ataupun
    bagai bagaimana bagi bahkan bahwa banyak baru beberapa begini begitu belakang beliau
    benar berapa bersama bila bisa boleh buat bukankah cukup dalam dan dapat dari daripada
    dengan di dia diri dong dulu eh gimana hal hampir hanya hari harus hingga ia ialah ini
    itu iya jadi juga jika kalau kalian kami kamu kan karena kata ke kemudian kenapa kepada
    ketika kita kok lagi lah lain lalu lebih maka mana masih mau melalui memang mereka meski
    mungkin nah namun nanti nya oleh pada padahal para pun saat saja sama sambil sampai saya
    se sebab sebagai sebelum sebuah secara sedang sehingga sekarang selalu semua sendiri
    seperti serta setelah sih siapa suatu sudah supaya tadi tapi tentang terhadap tersebut
    tetapi toh untuk walau wah ya yaitu yakni yang
    """.split()
) | (INTENSIFY_NEXT | INTENSIFY_PREVIOUS) - {"terlalu"}


# Joints between clauses: a phrase never spans them ("ramah dan antrean" is no theme).
CONJUNCTIONS = frozenset(
    {"dan", "atau", "tapi", "tetapi", "namun", "serta", "sedangkan", "lalu", "kemudian",
     "padahal", "karena", "sehingga", "jadi", "terus"}
)  # fmt: skip


@dataclass(frozen=True)
class Theme:
    phrase: str
    count: int
    score: float


def _segments(tokens: list[str]) -> Iterable[list[str]]:
    """Runs of content words between punctuation: stopwords out, negators kept."""
    segment: list[str] = []
    for token in tokens:
        if token in BOUNDARY or token in CONJUNCTIONS:
            if segment:
                yield segment
            segment = []
        elif token not in STOPWORDS and not token.isdigit() and len(token) > 1:
            segment.append(token)
    if segment:
        yield segment


def _terms(tokens: list[str]) -> Iterable[str]:
    """Words and phrases of up to three content words within a sentence part; a negator may
    open or sit inside a phrase ("tidak ramah") but not end one or stand alone."""
    for segment in _segments(tokens):
        for n in range(1, MAX_PHRASE + 1):
            for i in range(len(segment) - n + 1):
                gram = segment[i : i + n]
                if gram[-1] in NEGATORS:
                    continue
                yield " ".join(gram)


def term_counts(texts: Iterable[str]) -> Counter[str]:
    """Counts each term once per text (a long rant does not outweigh many short voices)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(_terms(normalise(text))))
    return counts


@cache
def background() -> tuple[dict[str, int], int]:
    data = json.loads(gzip.decompress(BACKGROUND_PATH.read_bytes()))
    return data["counts"], int(data["documents"])


def themes(
    texts: Iterable[str],
    *,
    top: int = 10,
    min_count: int = 2,
    reference: tuple[dict[str, int], int] | None = None,
) -> list[Theme]:
    """The terms most characteristic of `texts` against the background, best first."""
    texts = list(texts)
    counts = term_counts(texts)
    ref_counts, ref_docs = reference or background()
    n = len(texts)
    scored: list[Theme] = []
    for term, count in counts.items():
        if count < min_count or _mostly_part_of_something_else(term, count, counts):
            continue
        ref = ref_counts.get(term, 0)
        # Log odds ratio of "a text mentions the term" here against the background, with
        # Haldane's +0.5, divided by its standard error: frequent and distinctive ranks first.
        delta = math.log((count + 0.5) / (n - count + 0.5)) - math.log(
            (ref + 0.5) / (ref_docs - ref + 0.5)
        )
        error = math.sqrt(
            1 / (count + 0.5)
            + 1 / (n - count + 0.5)
            + 1 / (ref + 0.5)
            + 1 / (ref_docs - ref + 0.5)
        )
        score = delta / error
        if score > 0:
            scored.append(Theme(term, count, score))
    scored.sort(key=lambda theme: (-theme.score, -theme.count, theme.phrase))
    return _drop_covered(scored)[:top]


def _mostly_part_of_something_else(term: str, count: int, counts: Counter[str]) -> bool:
    """ "ramah antrean panjang" (4) is a seam between "tidak ramah" (8) and "antrean panjang"
    (10): a phrase whose shorter parts are clearly more common is not a theme of its own."""
    parts = term.split()
    if len(parts) < 2:
        return False
    head, tail = " ".join(parts[:-1]), " ".join(parts[1:])
    return max(counts.get(head, 0), counts.get(tail, 0)) >= 1.25 * count


def _drop_covered(ranked: list[Theme]) -> list[Theme]:
    """A word or phrase inside a longer phrase that ranks above it with nearly the same count
    says nothing new: "antrean" under "antrean panjang" goes.

    A phrase is inside another when its words are a run of the other's, so the kept phrases
    are looked up by their words (those holding this one's first word) and by the runs of this
    one's words, not compared with every kept phrase: a thousand descriptions have tens of
    thousands of terms."""
    kept: dict[str, Theme] = {}
    by_word: dict[str, set[str]] = {}
    for theme in ranked:
        words = theme.phrase.split()
        padded = f" {theme.phrase} "
        covered = any(
            padded in f" {longer} " and kept[longer].count >= 0.8 * theme.count
            for longer in by_word.get(words[0], ())
        )
        if covered:
            continue
        runs = {
            " ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)
        }
        for run in runs - {theme.phrase}:
            shorter = kept.get(run)
            if shorter is not None and theme.count >= 0.8 * shorter.count:
                del kept[run]
                for word in set(run.split()):
                    by_word[word].discard(run)
        kept[theme.phrase] = theme
        for word in set(words):
            by_word.setdefault(word, set()).add(theme.phrase)
    return sorted(kept.values(), key=lambda theme: (-theme.score, -theme.count, theme.phrase))


def format_themes(found: list[Theme]) -> str:
    """ "antrean panjang (12), petugas tidak ramah (7)" """
    return ", ".join(f"{theme.phrase} ({theme.count})" for theme in found)


# -- "the material was hard to understand" ------------------------------------------------------

_HARD_PHRASES = (
    "sulit dipahami", "susah dipahami", "sukar dipahami", "sulit dimengerti", "susah dimengerti",
    "sulit diikuti", "susah diikuti", "sulit dicerna", "susah dicerna", "tidak dipahami",
    "tidak paham", "kurang paham", "belum paham", "tidak mengerti", "kurang mengerti",
    "belum mengerti", "tidak jelas", "kurang jelas", "tidak menyambung", "bingung",
    "membingungkan", "terlalu cepat", "terburu-buru", "terlalu padat", "terlalu rumit",
    "rumit", "terlalu teknis", "terlalu banyak materi", "materi terlalu banyak",
    "pusing", "tidak dapat mengikuti", "tidak bisa mengikuti", "ketinggalan",
)  # fmt: skip
_HARD = tuple(tuple(phrase.split()) for phrase in _HARD_PHRASES)
# A phrase right after these is denied: "tidak bingung", "tidak terlalu cepat".
_DENIALS = frozenset({"tidak", "bukan", "tanpa"})


def says_material_was_hard(text: str) -> list[str]:
    """The phrases in a comment that say the material was hard to follow ([] if none)."""
    tokens = words(normalise(text))
    found: list[str] = []
    for i in range(len(tokens)):
        for phrase in _HARD:
            if tuple(tokens[i : i + len(phrase)]) != phrase:
                continue
            if phrase[0] not in NEGATORS and i > 0 and tokens[i - 1] in _DENIALS:
                continue
            found.append(" ".join(phrase))
    return found
