"""What people write, cleaned where it enters: Unicode normalised, control and invisible
characters removed. Emoji (with the joiners they need) and right-to-left text stay.

A control character in a stored text broke the spreadsheet export for a whole unit, and a
description of zero-width spaces looked like text while saying nothing: both stop here.
"""

from __future__ import annotations

import unicodedata

_DROP = {"Cc", "Cf", "Co", "Cs"}  # controls, format characters, private use, surrogates
# Line breaks and tabs; the joiners emoji sequences need; the marks that order mixed
# left-to-right and right-to-left text.
_KEEP = {"\n", "\t", "\u200c", "\u200d", "\u200e", "\u200f"}


def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    kept = "".join(ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in _DROP)
    return kept.strip()
