"""Workbooks that go straight into a report: headers, states, yes/no and dates in the reader's
language, dates as date cells wide enough, shares as percentages, numbers rounded, tickets by
their number. Opened with openpyxl in both languages."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl

from bot.i18n import Texts
from bot.reports.export import complaints_workbook
from bot.reports.sheets import Column, Sheet, workbook

TZ = ZoneInfo("Asia/Jakarta")
ROW: dict[str, object] = {
    "ticket": "ADU-2026-000123",
    "created": dt.datetime(2026, 12, 3, 10, 15),
    "category": "Administrasi Kependudukan",
    "place": "Kabupaten Lampung Selatan › Dinas PU",
    "state": "ditindaklanjuti",
    "privacy": "anonim",
    "reporter_id": None,
    "reporter_name": None,
    "verify_due": dt.date(2026, 12, 8),
    "followup_due": None,
    "overdue": True,
    "first_response": None,
    "closed": None,
    "rating": None,
    "sentiment": "negative",
    "sentiment_polarity": -0.61234,
    "description": '=HYPERLINK("x") antrean lama',
}


def t_id(key: str) -> str:
    return Texts("id", TZ).for_language("id")(key)


def _sheet(data: bytes):  # type: ignore[no-untyped-def]
    book = openpyxl.load_workbook(io.BytesIO(data))
    return book.worksheets[0]


def test_the_complaints_workbook_in_both_languages() -> None:
    texts = Texts("id", TZ)
    for language, headers, state, yes, fmt in (
        (
            "id",
            ("Nomor tiket", "Tanggal masuk"),
            t_id("state.ditindaklanjuti"),
            "Ya",
            "dd/mm/yyyy hh:mm",
        ),
        ("en", ("Ticket number", "Filed on"), "In progress", "Yes", "d mmm yyyy hh:mm"),
    ):
        t = texts.for_language(language)
        sheet = _sheet(complaints_workbook([ROW], t))
        header = [c.value for c in sheet[1]]
        assert tuple(header[:2]) == headers
        record = dict(zip(header, [c.value for c in sheet[2]], strict=True))
        assert record[headers[0]] == "ADU-2026-000123"
        assert sheet["E2"].value == state
        assert sheet["K2"].value == yes
        created = sheet["B2"]
        assert isinstance(created.value, dt.datetime) and created.number_format == fmt
        assert sheet.column_dimensions["B"].width >= 16
        due = sheet["I2"]
        assert isinstance(due.value, dt.datetime) and due.number_format.startswith("d")
        assert sheet["P2"].value == -0.61 and sheet["P2"].number_format == "0.00"
        # User text never runs as a formula.
        assert str(sheet["Q2"].value).startswith("'=")


def test_shares_are_percentages_and_numbers_rounded() -> None:
    t = Texts("id", TZ).for_language("en")
    data = workbook(
        t,
        [Sheet("S", [Column("n", "int"), Column("nrr", "number"), Column("value", "percent")],
               [{"n": 3, "nrr": 3.14159, "value": 0.33333}])],
    )  # fmt: skip
    sheet = _sheet(data)
    assert sheet["B2"].value == 3.14 and sheet["B2"].number_format == "0.00"
    assert sheet["C2"].value == 0.3333 and sheet["C2"].number_format == "0.0%"
