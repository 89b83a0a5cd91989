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
# "ramah2", "putus2": chat's way of writing a reduplicated word ("ramah-ramah").
_REDUPLICATED = re.compile(r"([a-z]{3,})2")
BOUNDARY = frozenset(".,!?;:")

# SmSA writes the suffix -nya apart ("pelayanan nya lama"), chat writes it attached
# ("pelayanannya lama"): a word the model never saw. It is split off, except in the words
# where -nya is part of the word. The list is the team's, from the -nya words that SmSA's
# training split keeps whole more often than it splits them, plus the few it lacks.
_NYA_WHOLE = frozenset(
    """akhirnya baiknya bertanya bertanya-tanya biasa-biasanya biasanya ditanya ditanya-tanya
    empunya kalinya karenanya kelihatannya kiranya lain-lainnya lainnya layaknya makanya
    misalnya munculnya nampaknya nantinya nyonya pasalnya rasanya rupanya satu-satunya
    seadanya seandainya sebaiknya sebaliknya sebanyak-banyaknya sebelumnya sebenarnya
    sebetulnya secepatnya secukupnya sedikitnya seenaknya segalanya seharusnya sekenanya
    sekenyangnya sekiranya selamanya selambat-lambatnya selanjutnya selayaknya selebihnya
    semuanya seperlunya sepertinya sesungguhnya seterusnya setidaknya sewajarnya tadinya
    tampaknya tanya-tanya tentunya sebagainya sayangnya terutamanya bukannya""".split()
)

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
    # Chat shorthand.
    "bnget": "banget",
    "bgtt": "banget",
    "bangett": "banget",
    "aja": "saja",
    "kalo": "kalau",
    "kayak": "seperti",
    "kek": "seperti",
    "lu": "kamu",
    "lo": "kamu",
    "sebel": "kesal",
    "kesel": "kesal",
    "capek": "lelah",
    "cape": "lelah",
    "bgs": "bagus",
    "jlk": "jelek",
    "lmbt": "lambat",
    "lmyn": "lumayan",
    "cpt": "cepat",
    "gbs": "tidak bisa",
    "gabisa": "tidak bisa",
    "gakbisa": "tidak bisa",
    "gakpapa": "tidak apa-apa",
    "gapapa": "tidak apa-apa",
    "ok": "oke",
    "okey": "oke",
    "okay": "oke",
    "mantab": "mantap",
    "mantep": "mantap",
    "thanks": "terima kasih",
    "thank": "terima kasih",
    "thx": "terima kasih",
    "tq": "terima kasih",
    "trims": "terima kasih",
    "makasih": "terima kasih",
    "mksh": "terima kasih",
    "makasi": "terima kasih",
    # Regional words met in chats (Javanese, Sundanese, Betawi).
    "ora": "tidak",
    "ra": "tidak",
    "mboten": "tidak",
    "teu": "tidak",
    "henteu": "tidak",
    "apik": "bagus",
    "sae": "bagus",
    "elek": "jelek",
    "suwe": "lama",
    "wis": "sudah",
    "durung": "belum",
    "angel": "sulit",
    "gampil": "mudah",
    # Code-mixed English: mapped to the Indonesian words the model learned.
    "not": "tidak",
    "dont": "tidak",
    "never": "tidak pernah",
    "very": "sangat",
    "good": "bagus",
    "nice": "bagus",
    "great": "bagus",
    "excellent": "sangat bagus",
    "best": "terbaik",
    "bad": "buruk",
    "poor": "buruk",
    "worst": "terburuk",
    "slow": "lambat",
    "fast": "cepat",
    "easy": "mudah",
    "hard": "sulit",
    "difficult": "sulit",
    "confusing": "membingungkan",
    "clear": "jelas",
    "unclear": "tidak jelas",
    "helpful": "membantu",
    "useful": "bermanfaat",
    "friendly": "ramah",
    "rude": "kasar",
    "boring": "membosankan",
    "interesting": "menarik",
    "happy": "senang",
    "sad": "sedih",
    "disappointed": "kecewa",
    "disappointing": "mengecewakan",
    "love": "suka",
    "hate": "benci",
    "problem": "masalah",
    "awesome": "keren",
    "amazing": "luar biasa",
}

# Answers that say there is nothing to report ("what was hard?" - "tidak ada kendala", "belum
# ada", "cukup", "-"): neither praise nor complaint. After the negator (and an optional "ada"),
# only these words may follow; fillers are ignored anywhere.
_NOTHING_FILLERS = frozenset(
    {"sih", "kok", "ya", "yah", "deh", "dong", "kak", "pak", "bu", "bapak", "ibu", "mas", "mbak",
     "min", "sejauh", "ini", "sementara", "untuk", "saat", "masih", "so", "far", "juga",
     "kayaknya", "sepertinya", "rasanya", "saya", "kami", "terima", "kasih", "alhamdulillah",
     "nya"}
)  # fmt: skip
_NOTHING_OBJECTS = frozenset(
    {"kendala", "masalah", "hambatan", "halangan", "kesulitan", "keluhan", "komentar", "saran",
     "masukan", "catatan", "pertanyaan", "tambahan", "yang", "sulit", "susah", "berat", "apa-apa",
     "apa", "berarti", "sama", "sekali", "semua", "lagi", "ada", "yg", "problem", "masalahnya",
     "kendalanya", "kesulitannya"}
)  # fmt: skip
_NOTHING_ALONE = frozenset({("cukup",), ("sudah", "cukup"), ("nihil",), ("none",), ("nothing",),
                            ("aman",), ("tidak",), ("belum",), ("no",), ("nope",)})  # fmt: skip


def nothing_to_report(tokens: list[str]) -> bool:
    """True for normalised tokens that only say there is nothing to tell: "tidak ada",
    "gak ada kendala sih", "belum ada", "cukup". Anything more ("tidak ada, semua jelas") is
    left to the model."""
    if len(tokens) > 16:
        return False
    core = tuple(t for t in tokens if t not in BOUNDARY and t not in _NOTHING_FILLERS)
    if not core or len(core) > 6:
        return False
    if core in _NOTHING_ALONE:
        return True
    if core[0] not in ("tidak", "belum", "no"):
        return False
    rest = core[1:]
    return bool(rest) and rest[0] == "ada" and all(t in _NOTHING_OBJECTS for t in rest[1:])


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
        if replacement is None and len(word) > 3 and word[-1] == word[-2]:
            # "bgtt", "gakk": a stretched last letter that the dictionary knows single.
            replacement = slang.get(word[:-1])
        if replacement is not None:
            if replacement[-1][-1] != "a":
                tokens.extend(replacement)
                continue
            tokens.extend(replacement[:-1])
            word = replacement[-1]
        last = word[-1]
        if last == "a" and len(word) > 5 and word.endswith("nya") and word not in _NYA_WHOLE:
            stem = word[:-3]
            tokens.extend(slang.get(stem, (stem,)))
            tokens.append("nya")
        elif last == "2" and _REDUPLICATED.fullmatch(word):
            tokens.append(f"{word[:-1]}-{word[:-1]}")
        else:
            tokens.append(word)
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
