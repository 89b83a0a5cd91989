"""A program's certificates taken away at once: every PDF in one ZIP, and the SIASN rows
(riwayat kursus) as XLSX or CSV, with SIASN's own field names as headers."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import zipfile

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator
from bot.reports.certificate_pdf import certificate_pdf, file_name
from bot.reports.export import cell_text
from bot.reports.sheets import Column, Kind, Sheet, workbook
from bot.services import certificate_records, certificates
from bot.services.access import Access
from bot.storage.programs import Program

_KINDS: dict[str, Kind] = {
    "jumlahJam": "int",
    "tanggalKursus": "date",
    "tanggalSelesaiKursus": "date",
    "tahunKursus": "int",
}


async def program_zip(
    session: AsyncSession,
    program_id: int,
    t: Translator,
    *,
    base_url: str | None,
    caller: Access | None = None,
) -> tuple[str, bytes, int]:
    """(file name, ZIP bytes, how many) of the program's valid certificates. The caller was
    checked by the service that asked for the file (the chat) or is given (the workspace)."""
    found = await certificate_records.of_program(
        session, caller or Access.command_line(), program_id
    )
    program = await session.get(Program, program_id)
    code = program.code if program else str(program_id)
    views = [
        view
        for certificate in found
        if certificate.id is not None
        and (view := await certificates.printed(session, certificate.id, base_url=base_url))
    ]
    # Everything read, the transaction ends before the drawing (in a thread) begins.
    await session.rollback()
    data = await asyncio.to_thread(_zipped, views, t)
    return f"sertifikat-{code}.zip", data, len(views)


def _zipped(views: list[certificates.CertificateView], t: Translator) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for view in views:
            archive.writestr(file_name(view.number), certificate_pdf(view, t))
    return buffer.getvalue()


def siasn_workbook(rows: list[dict[str, object]], t: Translator) -> bytes:
    columns = [
        Column(name, _KINDS.get(name, "text"), label=name)
        for name in certificate_records.SIASN_COLUMNS
    ]
    return workbook(t, [Sheet("SIASN", columns, rows)])


def siasn_csv(rows: list[dict[str, object]]) -> bytes:
    """UTF-8 with Excel's BOM, dates as YYYY-MM-DD."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(certificate_records.SIASN_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[name]) for name in certificate_records.SIASN_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def _cell(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    return cell_text(value) if isinstance(value, str) else value
