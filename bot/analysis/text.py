"""Indonesian text as the analyzers see it: normalised tokens, negation and intensity marked.

Everyday Indonesian is written informally ("pelayanannya lama bgt", "gak nyambung"): slang is
mapped to formal words with the IndoCollex dictionary (MIT, Wibowo et al. 2021), stretched
letters are squeezed ("lamaaa" -> "lama"), and the words after a negation are marked, so that
"tidak ramah" and "ramah" are different evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"

_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*|[.,!?;:]")
_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_STRETCH = re.compile(r"([a-z])\1{2,}")
BOUNDARY = frozenset(".,!?;:")

NEGATORS = frozenset({"tidak", "tak", "bukan", "belum", "kurang", "jangan", "tanpa", "enggak"})
# Words that strengthen the next word ("sangat lama") or the one before ("lama banget").
INTENSIFY_NEXT = frozenset({"sangat", "amat", "terlalu", "paling", "sungguh", "begitu", "super"})
INTENSIFY_PREVIOUS = frozenset({"banget", "sekali", "bgt", "nian"})
NEGATION_SCOPE = 2

# Slang the dictionary lacks, written by the team from everyday usage.
_EXTRA_SLANG = {
    "gak": "tidak",
    "ga": "tidak",
    "gk": "tidak",
    "ngga": "tidak",
    "nggak": "tidak",
    "enggak": "tidak",
    "engga": "tidak",
    "kagak": "tidak",
    "ndak": "tidak",
    "tdk": "tidak",
    "tak": "tidak",
    "blm": "belum",
    "bgt": "banget",
    "bngt": "banget",
    "bener": "benar",
    "bner": "benar",
    "lelet": "lambat",
    "lemot": "lambat",
    "mantul": "mantap",
    "jutek": "ketus",
    "mager": "malas",
    "gaje": "tidak jelas",
    "gpp": "tidak apa-apa",
    "dgn": "dengan",
    "sdh": "sudah",
    "udh": "sudah",
    "tp": "tapi",
    "tpi": "tapi",
    "krg": "kurang",
    "bs": "bisa",
    "bisa2": "bisa-bisa",
    "ribet": "rumit",
    "mumet": "pusing",
    "ngerti": "mengerti",
    "paham2": "paham",
    "pelayananya": "pelayanannya",
}


@cache
def slang_dictionary() -> dict[str, tuple[str, ...]]:
    """Informal word -> formal words. IndoCollex first, the team's additions on top."""
    mapping: dict[str, tuple[str, ...]] = {}
    path = DATA / "indocollex.tsv"
    with path.open(encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            informal, _, formal = line.rstrip("\n").partition("\t")
            if informal and formal and informal != formal:
                mapping[informal.lower()] = tuple(formal.lower().split())
    # "bgt" -> "sekali", "bangettt" -> "sangat" in IndoCollex; keep "banget" as the one
    # intensifier word so that it is recognised wherever it stands.
    for informal, formal in _EXTRA_SLANG.items():
        mapping[informal] = tuple(formal.split())
    return mapping


def normalise(text: str) -> list[str]:
    """Lower-cased formal tokens, with sentence punctuation kept as boundaries."""
    text = _MENTION.sub(" ", _URL.sub(" ", text.lower()))
    slang = slang_dictionary()
    tokens: list[str] = []
    for raw in _TOKEN.findall(text):
        word = _STRETCH.sub(r"\1", raw) if _STRETCH.search(raw) else raw
        replacement = slang.get(word)
        if replacement is None and word != raw:
            replacement = slang.get(raw)
        if replacement is None:
            tokens.append(word)
        else:
            tokens.extend(replacement)
    return tokens


def marked(tokens: list[str]) -> list[tuple[str, float]]:
    """Each word with its mark and weight: negated words become "!word", intensified ones
    count twice. Boundaries and the negators themselves are kept as plain words."""
    result: list[tuple[str, float]] = []
    negate = 0
    for index, token in enumerate(tokens):
        if token in BOUNDARY:
            negate = 0
            continue
        weight = 1.0
        if index > 0 and tokens[index - 1] in INTENSIFY_NEXT:
            weight = 2.0
        if index + 1 < len(tokens) and tokens[index + 1] in INTENSIFY_PREVIOUS:
            weight = 2.0
        if token in NEGATORS:
            result.append((token, 1.0))
            negate = NEGATION_SCOPE
            continue
        if negate:
            result.append(("!" + token, weight))
            negate -= 1
        else:
            result.append((token, weight))
    return result


def words(tokens: Iterable[str]) -> list[str]:
    return [token for token in tokens if token not in BOUNDARY]


def __getattr__(name: str) -> object:
    # The TextBlob tokenizer lives in bot/analysis/blob.py, imported when first asked for.
    if name == "IndonesianTokenizer":
        from bot.analysis import blob

        return blob.IndonesianTokenizer
    raise AttributeError(name)
