"""Workbooks that go straight into a report: headers, states, yes/no and dates in the reader's
language; dates as date cells wide enough to show them; shares as percentages; numbers
rounded; user text made safe (no formula, no character a workbook cannot hold).

A sheet is a list of `Column`s (a key whose header is `reports.col.<key>`, and a kind saying
how its values are written) and rows of plain values keyed by column.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.i18n import Translator
from bot.reports.export import cell_text

Kind = Literal[
    "text", "wide", "date", "datetime", "int", "number", "percent", "yesno", "state", "privacy"
]

# Excel formats: the reader's spreadsheet shows them in its own locale; the patterns follow
# the reader's habits (day first in both languages, month by name in English).
DATE_FORMATS = {"id": "dd/mm/yyyy", "en": "d mmm yyyy"}
DATETIME_FORMATS = {"id": "dd/mm/yyyy hh:mm", "en": "d mmm yyyy hh:mm"}
NUMBER_FORMAT = "0.00"
PERCENT_FORMAT = "0.0%"
WIDTHS: dict[str, float] = {"date": 13, "datetime": 18, "wide": 60, "percent": 11}


@dataclass(frozen=True)
class Column:
    key: str
    kind: Kind = "text"
    label: str | None = None  # a header given as it is (a question's text), else the key's


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, object]]


def header(t: Translator, column: Column) -> str:
    return column.label if column.label is not None else t(f"reports.col.{column.key}")


def value_of(t: Translator, column: Column, value: object) -> object:
    """The value as the reader should see it in the cell (before number formats)."""
    if value is None:
        return None
    if column.kind == "yesno":
        return t("reports.yes") if value else t("reports.no")
    if column.kind == "state":
        key = f"state.{value}"
        return t(key) if t.has(key) else str(value)
    if column.kind == "privacy":
        key = f"reports.privacy.{value}"
        return t(key) if t.has(key) else str(value)
    if column.kind == "number" and isinstance(value, (int, float)):
        return round(float(value), 2)
    if column.kind == "percent" and isinstance(value, (int, float)):
        return round(float(value), 4)
    if isinstance(value, str):
        return cell_text(value)
    return value


def workbook(t: Translator, sheets: Sequence[Sheet]) -> bytes:
    # Imported here, not at start-up: most processes never write a workbook.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    default = book.active
    bold = Font(bold=True)
    for spec in sheets:
        sheet = book.create_sheet(spec.title[:31])
        labels = [header(t, column) for column in spec.columns]
        sheet.append(labels)
        for cell in sheet[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        formats = {
            "date": DATE_FORMATS.get(t.language, DATE_FORMATS["id"]),
            "datetime": DATETIME_FORMATS.get(t.language, DATETIME_FORMATS["id"]),
            "number": NUMBER_FORMAT,
            "percent": PERCENT_FORMAT,
        }
        for row in spec.rows:
            sheet.append([value_of(t, c, row.get(c.key)) for c in spec.columns])
        for index, (column, label) in enumerate(zip(spec.columns, labels, strict=True), 1):
            letter = get_column_letter(index)
            fmt = formats.get(column.kind)
            if fmt is not None:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = fmt
            if column.kind == "wide":
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
            width = max(WIDTHS.get(column.kind, 10), min(40, len(label) + 2))
            if column.kind == "wide":
                width = WIDTHS["wide"]
            sheet.column_dimensions[letter].width = width
        sheet.freeze_panes = "A2"
    if default is not None:
        book.remove(default)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
