"""Complaint exports: one row per complaint, as CSV or XLSX. Anonymous means no identity."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator
from bot.services.complaints import due_date, is_overdue, unit_label
from bot.storage.complaints import PRIVACY_ANONYMOUS, complaints_since

COLUMNS = (
    "ticket",
    "created",
    "category",
    "place",
    "state",
    "privacy",
    "reporter_id",
    "reporter_name",
    "verify_due",
    "followup_due",
    "overdue",
    "first_response",
    "closed",
    "rating",
    "sentiment",
    "sentiment_polarity",
    "description",
)

Row = dict[str, object]
if TYPE_CHECKING:
    from bot.reports.sheets import Kind
# Columns a digest's workbook never has: who reported.
DIGEST_WITHOUT = ("reporter_id", "reporter_name")
# Characters a workbook cannot hold (the control characters XML 1.0 forbids).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


async def complaint_rows(
    session: AsyncSession,
    *,
    since: dt.date | None,
    unit_ids: Sequence[int] | None,
    tz: ZoneInfo,
    until: dt.date | None = None,
    today: dt.date | None = None,
    labels: Mapping[int, str] | None = None,
) -> list[Row]:
    """`labels`: units' labels (`unit_label`) the caller has read already."""
    start = dt.datetime.combine(since, dt.time(), tz) if since else None
    today = today or dt.datetime.now(tz).date()
    labels = dict(labels or {})
    rows: list[Row] = []
    end = dt.datetime.combine(until, dt.time(), tz) if until else None
    for c in await complaints_since(session, since=start, unit_ids=unit_ids, until=end):
        if c.unit_id not in labels:
            labels[c.unit_id] = await unit_label(session, c.unit_id)
        anonymous = c.privacy == PRIVACY_ANONYMOUS
        rows.append(
            {
                "ticket": c.ticket,
                "created": _local(c.created_at, tz),
                "category": c.category,
                "place": labels[c.unit_id],
                "state": c.state,
                "privacy": c.privacy,
                "reporter_id": None if anonymous else c.reporter_id,
                "reporter_name": None if anonymous else c.reporter_name,
                "verify_due": c.verify_due,
                "followup_due": c.followup_due,
                "overdue": is_overdue(c, today) if due_date(c) else False,
                "first_response": _local(c.first_response_at, tz),
                "closed": _local(c.closed_at, tz),
                "rating": c.rating,
                "sentiment": c.sentiment_label,
                "sentiment_polarity": c.sentiment_polarity,
                "description": c.description,
            }
        )
    return rows


async def week_rows(
    session: AsyncSession,
    *,
    monday: dt.date,
    unit_ids: Sequence[int] | None,
    tz: ZoneInfo,
    today: dt.date,
    labels: Mapping[int, str] | None = None,
) -> list[Row]:
    """A digest week's complaints, without any reporter identity: the digest's workbook travels
    in chats and is downloaded from the workspace. `labels`: the week's unit labels
    (`digest_week.Week.units`), read once for the message and the workbook."""
    found = await complaint_rows(
        session,
        since=monday,
        until=monday + dt.timedelta(days=7),
        unit_ids=unit_ids,
        tz=tz,
        today=today,
        labels=labels,
    )
    return [{k: v for k, v in row.items() if k not in DIGEST_WITHOUT} for row in found]


def _local(moment: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    # Spreadsheets have no time zones: local wall-clock time, as organizers read it.
    return moment.astimezone(tz).replace(tzinfo=None, microsecond=0) if moment else None


def cell_text(value: object) -> str:
    """A value as a safe spreadsheet cell: no formula, no character a workbook cannot hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    # A cell starting with = + - @ is a formula to a spreadsheet: never let user text run.
    if text[:1] in ("=", "+", "-", "@") and not isinstance(value, (int, float)):
        text = "'" + text
    return text


def table_csv(columns: Sequence[str], rows: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell_text(row.get(column)) for column in columns])
    # BOM: Excel then opens the UTF-8 file with the right characters.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def column_width(header: str, *, wide: bool) -> int:
    """A column wide enough for its header; text columns (descriptions, titles) wider."""
    return 60 if wide else min(40, max(12, len(header) + 2))


def table_xlsx(
    columns: Sequence[str], rows: list[Row], *, title: str, wide: Sequence[str] = ()
) -> bytes:
    """One sheet: a bold, frozen header; dates stay dates; user text made safe."""
    return tables_xlsx([(title, columns, rows, wide)])


Sheet = tuple[str, Sequence[str], list[Row], Sequence[str]]  # title, columns, rows, wide ones


def tables_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """A sheet per table, each as table_xlsx writes one."""
    # Imported here, not at start-up: most processes never write a workbook.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    default = workbook.active
    for title, columns, rows, wide in sheets:
        sheet = workbook.create_sheet(title[:31])
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            values: list[object] = []
            for column in columns:
                value = row.get(column)
                if isinstance(value, str):
                    value = cell_text(value)
                values.append(value)
            sheet.append(values)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column_width(
                column, wide=column in wide
            )
    if default is not None:
        workbook.remove(default)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# The organizers' workbook (/ekspor): the same rows, in the reader's language.
WORKBOOK_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("ticket", "text"),
    ("created", "datetime"),
    ("category", "text"),
    ("place", "text"),
    ("state", "state"),
    ("privacy", "privacy"),
    ("reporter_id", "text"),
    ("reporter_name", "text"),
    ("verify_due", "date"),
    ("followup_due", "date"),
    ("overdue", "yesno"),
    ("first_response", "datetime"),
    ("closed", "datetime"),
    ("rating", "int"),
    ("sentiment", "text"),
    ("sentiment_polarity", "number"),
    ("description", "wide"),
)


def complaints_workbook(rows: list[Row], t: Translator) -> bytes:
    """One sheet, headers, states, yes/no and category in the reader's language, dates as
    dates; tickets by their number (never an internal id)."""
    from bot.reports.sheets import Column, Sheet, workbook

    shown = [
        {
            **row,
            "category": t.category(str(row["category"])) if row.get("category") else None,
            "sentiment": _sentiment(t, row.get("sentiment")),
            "reporter_id": str(row["reporter_id"]) if row.get("reporter_id") else None,
        }
        for row in rows
    ]
    columns = [Column(key, kind) for key, kind in WORKBOOK_COLUMNS]
    return workbook(t, [Sheet(t("reports.sheet_complaints"), columns, shown)])


def _sentiment(t: Translator, label: object) -> str | None:
    if not label:
        return None
    key = f"reports.sentiment.{label}"
    return t(key) if t.has(key) else str(label)


def to_csv(rows: list[Row]) -> bytes:
    return table_csv(COLUMNS, rows)


def to_xlsx(rows: list[Row]) -> bytes:
    return table_xlsx(COLUMNS, rows, title="Aduan", wide=("description",))
