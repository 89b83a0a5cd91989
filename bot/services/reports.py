"""Files people ask for in the chat (exports, QR codes, their own data): who may have which,
audited here, returned as file notices that the outbox sender builds after the commit
(bot/reports/builders.py), in the asker's language."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import Access
from bot.services.errors import NotFound, Refused
from bot.services.notices import FileRequest, Notice
from bot.services.programs import join_link
from bot.storage.programs import Program

AUDIT_EXPORT_ROWS = 10_000


def _files(caller: Access, *requests: FileRequest) -> list[Notice]:
    return [Notice(user_id=caller.user_id, key="", files=requests)]


async def complaints_export(session: AsyncSession, caller: Access) -> list[Notice]:
    """/ekspor: the complaints of the caller's units (an admin's: all) as a workbook."""
    if not caller.organizer:
        raise Refused("access.denied")
    scope = caller.unit_scope()
    caller.audit(
        session,
        action="export_complaints",
        subject_kind="unit",
        detail=None if scope is None else ",".join(str(u) for u in scope),
    )
    return _files(caller, FileRequest("complaints_xlsx", {"unit_ids": scope}))


async def _program(session: AsyncSession, caller: Access, program_id: int) -> Program:
    program = await session.get(Program, program_id)
    if program is None or program.id is None or not caller.handles(program.unit_id):
        raise NotFound()
    return program


async def program_answers(session: AsyncSession, caller: Access, program_id: int) -> list[Notice]:
    """A program's released answers as a workbook."""
    program = await _program(session, caller, program_id)
    caller.audit(session, "program_export", "program", program.id, program.code)
    return _files(caller, FileRequest("program_answers_xlsx", {"program_id": program.id}))


async def program_qr(
    session: AsyncSession,
    caller: Access,
    program_id: int,
    *,
    bot_username: str,
    asked: bool = True,
) -> list[Notice]:
    """The QR code of a program's join link, as a photo; audited when asked for (the one
    sent with a new program is part of its creation)."""
    program = await _program(session, caller, program_id)
    if asked:
        caller.audit(session, "program_qr", "program", program.id, program.code)
    link = join_link(program, bot_username)
    return _files(
        caller,
        FileRequest("program_qr_png", {"program_id": program.id, "link": link}, photo=True),
    )


async def audit_export(session: AsyncSession, caller: Access) -> list[Notice]:
    if not caller.admin:
        raise Refused("access.denied")
    caller.audit(
        session,
        action="export_audit",
        subject_kind="audit",
    )
    return _files(caller, FileRequest("audit_xlsx", {"limit": AUDIT_EXPORT_ROWS}))


def personal_data(caller: Access) -> list[Notice]:
    """/datasaya: everything held about the caller, as JSON (built after the commit)."""
    if caller.user_id <= 0:
        raise Refused("access.denied")
    return _files(caller, FileRequest("personal_data_json", {"user_id": caller.user_id}))
