"""The chat-style rewrites that scripts/train_sentiment.py can train on."""

from __future__ import annotations

import random

from bot.analysis.chatstyle import chat_style, informal_spellings
from bot.analysis.text import normalise

TEXT = "pelayanan nya sangat lambat , petugas tidak ramah dan tempat nya tidak nyaman sekali ."


def test_rewrites_are_the_same_for_the_same_seed() -> None:
    first = [chat_style(TEXT, random.Random(5)) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    assert (
        chat_style(TEXT, random.Random(6)) != first[0]
        or chat_style(TEXT, random.Random(7)) != first[0]
    )


def test_rewrites_look_like_chat_and_keep_the_words_count_and_punctuation() -> None:
    rewritten = chat_style(TEXT, random.Random(1), slang=1.0, english=0.0, vowels=0.0)
    # Every formal word the normaliser knows an informal spelling for is swapped.
    assert "tidak" not in rewritten.split()
    assert " ," not in rewritten and rewritten.endswith(".")
    # The normaliser reads the informal spellings back.
    assert normalise(rewritten).count("tidak") == 2


def test_code_mixing_uses_english_words_the_normaliser_maps_back() -> None:
    rewritten = chat_style("pelayanan nya lambat", random.Random(2), english=1.0)
    assert rewritten == "pelayanan nya slow"
    assert normalise(rewritten) == ["pelayanan", "nya", "lambat"]


def test_informal_spellings_map_back_to_their_formal_word() -> None:
    spellings = informal_spellings()
    assert "gak" in spellings["tidak"] and "bgt" not in spellings.get("tidak", ())
    for formal in ("tidak", "sudah", "banget"):
        for informal in spellings[formal]:
            assert normalise(informal) == [formal], informal
