"""NIP checks: what a typing slip breaks is refused with the reason."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.services.nip import NipError, check_nip

TODAY = dt.date(2026, 11, 24)


def test_a_plausible_nip_is_accepted_with_the_spaces_of_the_card_removed() -> None:
    assert check_nip("19850312 201001 1 002", today=TODAY) == "198503122010011002"
    assert check_nip("199012242019032005", today=TODAY) == "199012242019032005"


def test_digits_of_other_scripts_and_invisible_characters_are_read_as_the_nip() -> None:
    full_width = "１９８５０３１２ ２０１００１ １ ００２"
    arabic_indic = "١٩٨٥٠٣١٢٢٠١٠٠١١٠٠٢"
    zero_width = "19850312\u200b201001\u200d1002\ufeff"
    for typed in (full_width, arabic_indic, zero_width, "19850312\u00a0201001\u20091\u2009002"):
        assert check_nip(typed, today=TODAY) == "198503122010011002", typed
    # Letters that look like digits are not digits.
    with pytest.raises(NipError):
        check_nip("I985O312201001I002", today=TODAY)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12345", "nip.format"),
        ("19850312201001100", "nip.format"),  # 17 digits
        ("1985031220100110021", "nip.format"),  # 19 digits
        ("19850312A01001002X", "nip.format"),
        ("198503122010011000", "nip.format"),  # sequence 000
        ("198502302010011002", "nip.birth_date"),  # 30 February
        ("190001012010011002", "nip.birth_date"),  # 126 years old
        ("198503122010131002", "nip.appointment"),  # month 13
        ("198503122030011002", "nip.appointment"),  # appointed in the future
        ("198503121995011002", "nip.appointment"),  # appointed aged 9
        ("198503122010013002", "nip.sex"),
    ],
)
def test_a_slip_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(NipError) as refused:
        check_nip(text, today=TODAY)
    assert refused.value.key == reason
