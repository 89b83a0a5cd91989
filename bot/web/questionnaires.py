"""The workspace's questionnaire pages: the list, an XLSForm upload, a download.

Organizers see the shared forms and their units' own (and make new ones, in the editor:
bot/web/questionnaire_editor.py); admins see every form and import workbooks.

Thin as every route: each loads the caller afresh, calls one service of bot/services/xlsform.py
(which refuses the caller itself) and renders. An upload's refusals are the same "row N:
reason" lines as the command line's, and nothing is stored when there is any.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from bot.i18n import Safe, Translator
from bot.services import questionnaire_editor, xlsform
from bot.services.errors import Refused
from bot.web.auth import same_token

if TYPE_CHECKING:
    from bot.web.app import WebDoor

UPLOAD_MAX = 2 * 1024 * 1024  # a questionnaire workbook is a few dozen kilobytes
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def page(door: WebDoor, request: Request) -> Response:
    """The questionnaires with their latest version, and the upload form."""
    return await _page(door, request)


async def _page(
    door: WebDoor,
    request: Request,
    *,
    problems: list[str] | None = None,
    stored: str = "",
    status: int = 200,
) -> Response:
    session = door.session_of(request)
    if session is None or not session.user_id:
        return door.to_login(request)
    async with door.core.db.session() as db:
        caller, t = await door.caller_of(db, session)
        try:
            seen = await questionnaire_editor.overview(db, caller)
        except Refused as exc:
            return door.refusal(t, session, exc)
    return door.render(
        "questionnaires.html",
        t,
        session,
        status=status,
        seen=seen,
        problems=problems or [],
        stored=stored,
    )


async def upload(door: WebDoor, request: Request) -> Response:
    """An XLSForm workbook stored as a new version, or its problems by row."""
    session = door.session_of(request)
    if session is None or not session.user_id:
        return door.to_login(request)
    too_big = int(request.headers.get("content-length") or 0) > UPLOAD_MAX
    form = None if too_big else await request.form(max_files=1, max_fields=4)
    lines: list[str] = []
    stored = ""
    async with door.core.db.session() as db:
        caller, t = await door.caller_of(db, session)
        if form is None or not same_token(str(form.get("csrf") or ""), session.csrf):
            key = "xlsform.web_too_big" if too_big else "web.csrf_invalid"
            return door.render("message.html", t, session, status=403, message=t(key))
        sent = form.get("form")
        data = await sent.read(UPLOAD_MAX + 1) if isinstance(sent, UploadFile) else b""
        try:
            # Too big is the same as none; the service refuses a caller before either.
            done = await xlsform.import_form(db, caller, b"" if len(data) > UPLOAD_MAX else data)
        except xlsform.FormRefused as refused:
            await db.rollback()
            lines = [_line(t, problem) for problem in refused.problems]
        except Refused as exc:
            return door.refusal(t, session, exc)
        else:
            await db.commit()
            row = done.template
            key = "xlsform.imported" if done.new else "xlsform.unchanged"
            questions = len(row.definition.get("questions", []))
            stored = t(key, code=row.code, version=row.version, questions=questions)
    # The page is read in a session of its own, once this one is over.
    if lines:
        return await _page(door, request, problems=lines, status=400)
    return await _page(door, request, stored=stored)


async def download(door: WebDoor, request: Request) -> Response:
    """The questionnaire's latest version as an XLSForm workbook."""
    session = door.session_of(request)
    if session is None or not session.user_id:
        return door.to_login(request)
    async with door.core.db.session() as db:
        caller, t = await door.caller_of(db, session)
        try:
            template, data = await xlsform.export_form(db, caller, request.path_params["code"])
        except Refused as exc:
            return door.refusal(t, session, exc)
    name = f"{template.code}-v{template.version}.xlsx"
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _line(t: Translator, problem: xlsform.Problem) -> str:
    """ "row 15: a location question ..." as the command line says it (values escaped once)."""
    message = Safe(t(problem.key, **problem.values))
    if problem.row:
        return t("xlsform.row", number=problem.row, message=message)
    return t("xlsform.whole", message=message)
