"""Files built after the update that asked for them: kind -> builder.

A notice carries a file as a build request (`FileRequest(kind, params)`); `bot.notify.deliver`
writes the request into an outbox row, and the outbox sender (bot/jobs/outbox.py) calls
`build` just before sending, in a session of its own and the recipient's language. So no
workbook, chart, QR code or PDF is ever made inside an update's transaction (on SQLite that
would hold the write lock, and every other chat, for as long as the build takes), and a file
reflects what was committed.

A builder takes (session, core, params, translator) and returns a `Built`: the file name, its
bytes and the caption in the reader's language. Access was checked by the service that asked
for the file; the params say exactly what it allowed (units, program, user).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator

if TYPE_CHECKING:
    from bot.core import Core


class Built(NamedTuple):
    name: str
    data: bytes
    caption: str | None = None


Builder = Callable[[AsyncSession, "Core", dict[str, Any], Translator], Awaitable[Built]]
BUILDERS: dict[str, Builder] = {}
# kind -> what to record once Telegram has the file: (session, params, the sent message), in
# the commit that marks the row sent.
AfterSent = Callable[[AsyncSession, dict[str, Any], Any], Awaitable[None]]
AFTER_SENT: dict[str, AfterSent] = {}


class UnknownKind(LookupError):
    pass


def builder(kind: str) -> Callable[[Builder], Builder]:
    def register(function: Builder) -> Builder:
        BUILDERS[kind] = function
        return function

    return register


async def build(core: Core, request: dict[str, Any]) -> Built:
    """Builds the file a row's payload asks for, reading in a session of its own."""
    kind = str(request.get("kind"))
    function = BUILDERS.get(kind)
    if function is None:
        raise UnknownKind(kind)
    t = core.texts.for_language(request.get("language"))
    async with core.db.session() as session:
        return await function(session, core, dict(request.get("params") or {}), t)


async def after_sent(session: AsyncSession, request: dict[str, Any], message: Any) -> None:
    """Records what the file's kind keeps once it was sent (most keep nothing)."""
    function = AFTER_SENT.get(str(request.get("kind")))
    if function is not None:
        await function(session, dict(request.get("params") or {}), message)


# -- the builders -------------------------------------------------------------------------------


@builder("complaints_xlsx")
async def complaints_xlsx(
    session: AsyncSession, core: Core, params: dict[str, Any], t: Translator
) -> Built:
    from bot.reports.export import complaint_rows, complaints_workbook

    units = params.get("unit_ids")
    rows = await complaint_rows(
        session, since=None, unit_ids=units, tz=core.settings.tz, today=core.moment().today
    )
    today = core.moment().today
    return Built(
        t("reports.file_complaints", date=today.isoformat()),
        complaints_workbook(rows, t),
        t("organizer.export_caption", count=len(rows)),
    )


@builder("program_answers_xlsx")
async def program_answers_xlsx(
    session: AsyncSession, core: Core, params: dict[str, Any], t: Translator
) -> Built:
    from bot.reports.feedback_export import program_workbook
    from bot.storage.programs import Program

    program = await session.get(Program, int(params["program_id"]))
    if program is None or program.id is None:
        raise LookupError("program gone")
    workbook, count = await program_workbook(
        session, tz=core.settings.tz, program_id=program.id, t=t
    )
    return Built(
        t("reports.file_answers", code=program.code),
        workbook,
        t(
            "program.export_caption",
            count=count,
            code=program.code,
            minimum=core.settings.feedback_min_responses,
        ),
    )


@builder("program_qr_png")
async def program_qr_png(
    session: AsyncSession, core: Core, params: dict[str, Any], t: Translator
) -> Built:
    from bot.render import shorten
    from bot.reports.qr import qr_png
    from bot.storage.programs import Program

    program = await session.get(Program, int(params["program_id"]))
    if program is None:
        raise LookupError("program gone")
    link = str(params["link"])
    caption = t(
        "program.qr_caption", title=shorten(program.title, 200), code=program.code, link=link
    )
    return Built(f"gabung-{program.code}.png", qr_png(link), caption)


@builder("audit_xlsx")
async def audit_xlsx(
    session: AsyncSession, core: Core, params: dict[str, Any], t: Translator
) -> Built:
    from bot.reports.audit_text import audit_workbook

    data, count = await audit_workbook(session, t, limit=int(params.get("limit", 10_000)))
    return Built(t("reports.file_audit"), data, t("audit.export_caption", count=count))


@builder("personal_data_json")
async def personal_data_json(
    session: AsyncSession, core: Core, params: dict[str, Any], t: Translator
) -> Built:
    from bot.services import privacy

    data = await privacy.export(session, int(params["user_id"]))
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    return Built("data-saya-suara.json", body, t("privacy.export_caption"))


async def _skm_report(
    session: AsyncSession, core: Core, params: dict[str, Any], t: Translator, suffix: str
) -> Built:
    """The unit's SKM report for the period, as `suffix` ("xlsx" or "pdf")."""
    from bot.reports import skm_files
    from bot.services import skm_report

    report = await skm_report.compute(
        session, core, unit_id=int(params["unit_id"]), period=str(params["period"]), t=t
    )
    render = skm_files.report_xlsx if suffix == "xlsx" else skm_files.report_pdf
    return Built(
        skm_files.file_name(report, suffix),
        render(report, t),
        t("reports.skm_caption", unit=report.unit, period=report.period_label),
    )


@builder("skm_report_xlsx")
async def skm_report_xlsx(
    session: AsyncSession, core: Core, params: dict[str, Any], t: Translator
) -> Built:
    return await _skm_report(session, core, params, t, "xlsx")


@builder("skm_report_pdf")
async def skm_report_pdf(
    session: AsyncSession, core: Core, params: dict[str, Any], t: Translator
) -> Built:
    return await _skm_report(session, core, params, t, "pdf")


@builder("complaint_upload")
async def complaint_upload(
    session: AsyncSession, core: Core, params: dict[str, Any], t: Translator
) -> Built:
    """A file an organizer uploaded with a response (bot/services/uploads.py), as uploaded."""
    from bot.storage import websec

    upload = await websec.get_upload(session, int(params["upload_id"]))
    if upload is None:
        raise LookupError("upload gone")
    return Built(upload.file_name, upload.data)


async def _upload_sent(session: AsyncSession, params: dict[str, Any], message: Any) -> None:
    from bot.services import uploads

    photos = getattr(message, "photo", None) or ()
    document = getattr(message, "document", None)
    file_id = photos[-1].file_id if photos else (document.file_id if document else None)
    await uploads.sent(session, upload_id=int(params["upload_id"]), file_id=file_id)


AFTER_SENT["complaint_upload"] = _upload_sent


@builder("certificate_pdf")
async def certificate_pdf(
    session: AsyncSession, core: Core, params: dict[str, Any], t: Translator
) -> Built:
    from bot.reports.certificate_pdf import certificate_pdf as render
    from bot.reports.certificate_pdf import file_name
    from bot.reports.certificate_pdf import plain as _plain_text
    from bot.reports.certificate_sign import sign_pdf, signing_of
    from bot.services import certificates

    view = await certificates.printed(
        session, int(params["certificate_id"]), base_url=core.settings.web_base_url
    )
    if view is None:
        raise LookupError("certificate gone")
    caption = t("certificates.caption", title=view.program, number=view.number)
    # Read, the transaction ends (on SQLite it holds the write lock, which every chat's
    # update waits for); then drawn in a thread, so the chat's replies go on meanwhile.
    await session.rollback()
    signing = signing_of(core.settings)

    def drawn() -> bytes:
        data = render(view, t)
        if signing is None:
            return data
        reason = _plain_text(t("certificates.pdf_title")) + " " + view.number
        return sign_pdf(data, signing, reason=reason)

    return Built(file_name(view.number), await asyncio.to_thread(drawn), caption)


@builder("certificates_zip")
async def certificates_zip(
    session: AsyncSession, core: Core, params: dict[str, Any], t: Translator
) -> Built:
    from bot.reports.certificate_files import program_zip

    name, data, count = await program_zip(
        session, int(params["program_id"]), t, base_url=core.settings.web_base_url
    )
    return Built(name, data, t("certificates.zip_caption", count=count))


@builder("siasn_xlsx")
async def siasn_xlsx(
    session: AsyncSession, core: Core, params: dict[str, Any], t: Translator
) -> Built:
    from bot.reports.certificate_files import siasn_workbook
    from bot.services import certificate_records
    from bot.services.access import Access

    # The service that asked checked the caller; the builder reads as the server does.
    rows = await certificate_records.siasn_rows(
        session, Access.command_line(), int(params["program_id"]), tz=core.settings.tz
    )
    code = str(params.get("code", ""))
    caption = t("certificates.siasn_caption", count=len(rows))
    return Built(f"siasn-{code}.xlsx", siasn_workbook(rows, t), caption)
