"""Trial: bad XLSForm workbooks at the command line's door (`python -m bot questionnaire
import`): what a chat cannot ask must be refused by row, and what the README promises must
be accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.services.test_xlsform as forms
from tests.e2e.test_cli_programs import _cli
from tests.services.test_xlsform import _row, workbook


def _book(
    monkeypatch: pytest.MonkeyPatch, survey: list[list[str]], choices: list[tuple[str, ...]]
) -> bytes:
    monkeypatch.setattr(forms, "CHOICES", choices)
    return workbook(survey)


async def test_a_condition_on_an_option_the_item_does_not_have_is_refused_by_row(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`${ulang} = 'mungkin'` where "ulang" offers only ya/tidak: the item can never be asked.
    The editor refuses renumbering the option a condition names; the import stores it."""
    survey = [
        _row("select_one yatidak", "ulang", "Akan ikut lagi?", "Come again?", required="yes"),
        _row("select_one puas", "nilai", "Nilai", "Score", required="yes",
             relevant="${ulang} = 'mungkin'"),
    ]  # fmt: skip
    choices = [*forms.CHOICES]
    path = tmp_path / "mati.xlsx"
    path.write_bytes(_book(monkeypatch, survey, choices))
    code, out, err = await _cli(database_url, "questionnaire", "import", str(path))
    assert code == 2, f"stored: {out.strip()}"
    assert "row 3:" in err


async def test_a_zero_to_ten_scale_the_readme_names_is_accepted(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README's table: "select_one LIST whose choice names are consecutive integers (`1`..`4`,
    `0`..`10`) becomes a scale". A 0..10 recommendation item (eleven points) is refused with
    "a scale has 2-10 points": the documented example cannot be imported."""
    survey = [_row("select_one nps", "rekomendasi", "Rekomendasikan?", "Recommend?")]
    choices = [("nps", str(n), f"Nilai {n}", f"Score {n}") for n in range(11)]
    path = tmp_path / "nps.xlsx"
    path.write_bytes(_book(monkeypatch, survey, choices))
    code, _, err = await _cli(database_url, "questionnaire", "import", str(path))
    assert code == 0, err


async def test_a_form_longer_than_the_editor_allows_is_refused_at_import(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The editor refuses a 61st item (ITEMS_MAX = 60): the chat's review puts one numbered
    button per item on one keyboard (Telegram takes at most 100). An import of 120 ratings is
    stored as it is, a questionnaire whose review cannot be sent."""
    survey = [
        _row("select_one puas", f"butir_{n}", f"Butir {n}", f"Item {n}", required="yes")
        for n in range(120)
    ]
    path = tmp_path / "panjang.xlsx"
    path.write_bytes(_book(monkeypatch, survey, [*forms.CHOICES]))
    code, out, _ = await _cli(database_url, "questionnaire", "import", str(path))
    assert code == 2, f"stored: {out.strip()}"


async def test_an_instructors_name_in_an_item_not_asked_per_instructor_is_refused(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`{instructor}` is the instructor's name only in an item asked per instructor; in any
    other item the chat puts "" there and asks "Penguasaan materi oleh ". Stored."""
    survey = [
        _row("select_one puas", "pengajar", "Penguasaan materi oleh {instructor}",
             "{instructor}'s mastery", required="yes"),
    ]  # fmt: skip
    path = tmp_path / "nama.xlsx"
    path.write_bytes(_book(monkeypatch, survey, [*forms.CHOICES]))
    code, out, _ = await _cli(database_url, "questionnaire", "import", str(path))
    assert code == 2, f"stored: {out.strip()}"
