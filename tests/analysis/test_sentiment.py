"""The Indonesian analyzer through TextBlob: negation, intensifiers, slang, odd input."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from textblob import Blobber

from bot.analysis.sentiment import (
    LABELS,
    MODEL_PATH,
    IndonesianAnalyzer,
    SentimentModel,
    blobber,
    default_model,
    sentiment_of,
)
from bot.analysis.text import IndonesianTokenizer, marked, normalise


def polarity(text: str) -> float:
    return sentiment_of(text)[1]


def label(text: str) -> str:
    return sentiment_of(text)[0]


def test_textblob_gives_label_and_polarity_offline() -> None:
    blob = Blobber(tokenizer=IndonesianTokenizer(), analyzer=IndonesianAnalyzer())(
        "Pelayanannya cepat dan petugasnya ramah sekali"
    )
    assert blob.sentiment.label == "positive"
    assert 0 < blob.sentiment.polarity <= 1
    # The tokenizer is ours: no NLTK corpus needed. Its words are normalised, -nya apart as
    # in SmSA.
    assert blob.words == ["pelayanan", "nya", "cepat", "dan", "petugas", "nya", "ramah", "sekali"]


@pytest.mark.parametrize(
    ("positive", "negated"),
    [
        ("pelayanannya bagus", "pelayanannya tidak bagus"),
        ("petugasnya ramah", "petugasnya kurang ramah"),
        ("materinya jelas", "materinya gak jelas"),
        ("prosesnya mudah", "prosesnya nggak mudah"),
        ("hasilnya memuaskan", "hasilnya belum memuaskan"),
    ],
)
def test_negation_turns_praise_into_complaint(positive: str, negated: str) -> None:
    assert polarity(positive) > 0
    assert polarity(negated) < polarity(positive) - 0.5
    assert label(negated) == "negative"


def test_negation_is_marked_for_two_words_and_stops_at_punctuation() -> None:
    # "sama sekali" (at all): the word before "sekali" counts twice.
    assert marked(normalise("tidak ramah sama sekali, cepat")) == [
        ("tidak", 1.0),
        ("!ramah", 1.0),
        ("!sama", 2.0),
        ("sekali", 1.0),
        ("cepat", 1.0),
    ]


@pytest.mark.parametrize(
    ("plain", "stronger"),
    [
        ("pelayanannya lambat", "pelayanannya sangat lambat"),
        ("pelayanannya lambat", "pelayanannya lambat banget"),
        ("tempatnya nyaman", "tempatnya nyaman sekali"),
    ],
)
def test_intensifiers_strengthen(plain: str, stronger: str) -> None:
    assert abs(polarity(stronger)) > abs(polarity(plain))
    assert (polarity(stronger) > 0) == (polarity(plain) > 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pelayanannya lama bgt, udah 3 jam blm dipanggil", "negative"),
        ("petugasnya jutek bgt", "negative"),
        ("mantul, pelayanan cepet dan ramah", "positive"),
        ("websitenya error mulu, lemot parah", "negative"),
    ],
)
def test_informal_spelling(text: str, expected: str) -> None:
    assert label(text) == expected


def test_slang_and_stretched_words_are_normalised() -> None:
    assert normalise("gak bgt lamaaa") == ["tidak", "banget", "lama"]
    assert normalise("gakk bgtt bagusss") == ["tidak", "banget", "bagus"]
    # Code-mixed English and regional words become the Indonesian words the model knows.
    assert normalise("good, ora slow") == ["bagus", ",", "tidak", "lambat"]


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "🙏", "!!!", "\n"])
def test_nothing_readable_is_neutral(text: str) -> None:
    assert sentiment_of(text) == ("neutral", 0.0)


def test_very_long_text_and_english_never_crash() -> None:
    long_text = "pelayanan buruk sekali " * 20_000
    result = sentiment_of(long_text)
    assert result[0] == "negative" and -1.0 <= result[1] <= 1.0
    for text in ("The service was terrible", "Great job, thank you!", "asdf qwerty"):
        name, value = sentiment_of(text)
        assert name in LABELS and -1.0 <= value <= 1.0


def test_model_is_small_and_shipped() -> None:
    assert MODEL_PATH.stat().st_size <= 5 * 1024 * 1024
    assert default_model().classes == ("negative", "neutral", "positive")
    assert blobber() is blobber()


async def test_command_line_labels_a_file_of_a_thousand_lines(tmp_path: object) -> None:
    lines = [f"pelayanan nomor {i} sangat lambat" if i % 2 else "terima kasih, cepat sekali"
             for i in range(1000)]  # fmt: skip
    lines[10] = ""
    lines[11] = "😀"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sentiment",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate("\n".join(lines).encode()), 120)
    assert process.returncode == 0, stderr.decode()
    rows = [row.split("\t") for row in stdout.decode().splitlines()]
    assert len(rows) == 1000
    assert all(name in LABELS and -1 <= float(value) <= 1 for name, value in rows)
    assert rows[0][0] == "positive" and rows[1][0] == "negative"
    assert rows[10] == ["neutral", "0.0000"] and rows[11] == ["neutral", "0.0000"]


@pytest.mark.parametrize(
    "text",
    [
        "tidak ada",
        "Tidak ada kendala",
        "-",
        "belum ada",
        "cukup",
        "gak ada sih",
        "ga ada kendala, terima kasih",
        "tdk ada yg sulit",
        "Sejauh ini tidak ada masalah.",
        "nihil",
    ],
)
def test_nothing_to_report_is_neutral(text: str) -> None:
    # Answers to "what was hard?" that say there was nothing: not a complaint.
    assert sentiment_of(text) == ("neutral", 0.0)


@pytest.mark.parametrize(
    "text",
    ["tidak ada yang menjelaskan, petugasnya kurang ramah", "tidak ada, materinya membosankan"],
)
def test_more_than_nothing_to_report_is_scored(text: str) -> None:
    assert label(text) == "negative"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("materinya good bgt, clear", "positive"),
        ("pelayanannya slow, petugasnya rude", "negative"),
        ("apik tenan pelayanane", "positive"),
        ("ora jelas blas", "negative"),
        ("bagusss bgtt", "positive"),
    ],
)
def test_code_mixed_and_regional_words(text: str, expected: str) -> None:
    assert label(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # SmSA writes -nya apart; chat attaches it.
        ("pelayanannya lama", ["pelayanan", "nya", "lama"]),
        ("materinya jelas", ["materi", "nya", "jelas"]),
        ("harusnya dijelaskan", ["harus", "nya", "dijelaskan"]),
        # Words where -nya belongs to the word stay whole.
        ("sebenarnya hanya punya", ["sebenarnya", "hanya", "punya"]),
        ("biasanya semuanya lancar", ["biasanya", "semuanya", "lancar"]),
        ("sayangnya lama", ["sayangnya", "lama"]),
        # Chat's reduplication with a 2.
        ("petugasnya ramah2", ["petugas", "nya", "ramah-ramah"]),
        ("gak sia2", ["tidak", "sia-sia"]),
        ("lulusan s2", ["lulusan", "s2"]),
    ],
)
def test_chat_spelling_meets_the_training_spelling(text: str, expected: list[str]) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize("text", ["tidak ada kendalanya", "gak ada masalahnya sih"])
def test_nothing_to_report_with_an_attached_nya(text: str) -> None:
    assert sentiment_of(text) == ("neutral", 0.0)


def test_short_texts_get_their_own_neutral_offset(tmp_path: Path) -> None:
    model = SentimentModel.load()
    short, long = "petugasnya jutek bgt", "petugas nya jutek sekali " * 5
    assert model.analyze(short).label == model.analyze(long).label == "negative"
    model.short_words, model.short_offset = 4, 50.0
    assert model.analyze(short).label == "neutral"
    assert model.analyze(long).label == "negative"
    # The calibration travels in the model file.
    path = tmp_path / "model.bin.gz"
    model.dump(path)
    again = SentimentModel.load(path)
    assert (again.short_words, again.short_offset) == (4, 50.0)
    assert again.analyze(short).label == "neutral"
