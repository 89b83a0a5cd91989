"""NIP (Nomor Induk Pegawai), the 18-digit civil-servant number, checked for what it encodes.

Digits 1-8 are the birth date (YYYYMMDD), 9-14 the month of appointment as CPNS (YYYYMM), 15 the
sex (1 man, 2 woman) and 16-18 a sequence number. A typing slip usually breaks one of these, so
they are checked; the number itself cannot be verified without the BKN database.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

_NIP = re.compile(r"[0-9]{18}", re.ASCII)
MIN_AGE_AT_APPOINTMENT = 17


def normalise_digits(text: str) -> str:
    """Every decimal digit as its ASCII digit; spaces and invisible (format) characters such
    as zero-width spaces removed; anything else kept, for the check to refuse."""
    kept = []
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isspace() or unicodedata.category(ch) == "Cf":
            continue
        digit = unicodedata.decimal(ch, None)
        kept.append(str(digit) if digit is not None else ch)
    return "".join(kept)


class NipError(ValueError):
    """The text is not a plausible NIP; `key` names what is wrong, for the user."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def check_nip(text: str, *, today: dt.date | None = None) -> str:
    """The NIP in ASCII digits without spaces, or NipError. Spaces (as printed on cards:
    19850312 201001 1 002) are allowed; digits typed in another script (full-width, Arabic-
    Indic, ...) are read as the digits they are, and invisible characters are dropped."""
    nip = normalise_digits(text)
    if not _NIP.fullmatch(nip):
        raise NipError("nip.format")
    today = today or dt.date.today()
    try:
        born = dt.date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise NipError("nip.birth_date") from None
    year, month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= month <= 12:
        raise NipError("nip.appointment")
    appointed = dt.date(year, month, 1)
    if appointed > today or year - born.year < MIN_AGE_AT_APPOINTMENT:
        raise NipError("nip.appointment")
    if born > today or today.year - born.year > 80:
        raise NipError("nip.birth_date")
    if nip[14] not in "12":
        raise NipError("nip.sex")
    if nip[15:] == "000":
        raise NipError("nip.format")
    return nip
