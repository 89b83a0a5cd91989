"""The workspace's programs: the calendar, a program's page with its chart, export and QR
code, creating and changing one, and its actions.

Each route parses the request, loads the caller afresh and calls one service in
bot/services/program_pages.py (or bot/services/reports.py for a file), exactly as the chat's
/program does: what is withheld, refused or not found is decided there, never here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.notify import deliver
from bot.reports import builders, knowledge_text, level3_text
from bot.reports.digest_files import chart_png
from bot.services import feedback, reports
from bot.services import program_pages as pages
from bot.services import programs as program_service
from bot.services.digest import Bands, Digest
from bot.services.errors import NotFound, Refused
from bot.services.programs import Evaluation
from bot.services.questionnaires import LANGUAGES
from bot.storage.places import Place
from bot.storage.programs import CALENDAR_GROUPS, MODES
from bot.web.auth import WebSession, same_token, signed_in

if TYPE_CHECKING:
    from bot.i18n import Translator
    from bot.web.app import WebDoor

GROUPS = (*CALENDAR_GROUPS, "all")
_FORM_MOMENTS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")
CHARTS_KEPT = 64
ID_MAX = 2**31 - 1  # PostgreSQL's integer
FIELD_MAX = 1000
# The chat's button texts for the same actions.
ACTION_LABELS = {
    "send": "program.action_send",
    "extend": "program.action_extend",
    "close": "program.action_close",
    "reopen": "programs.action_reopen",
    "delete": "programs.action_delete",
}  # longer than any field the rules take: the rules then refuse it politely


class ProgramPages:
    """The programs part of the workspace, on the door's sessions, rendering and CSRF."""

    def __init__(self, door: WebDoor) -> None:
        self.door = door
        # pyplot keeps global state: one chart is drawn at a time, off the event loop.
        self._drawing = threading.Lock()
        # Drawn charts by what they show: figures change only when a block is released, so a
        # page opened again (or by a colleague) costs no drawing.
        self._charts: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def routes(self) -> list[BaseRoute]:
        one = "/program/{program_id:int}"
        return [
            Route("/program", self.calendar, methods=["GET"]),
            Route("/program/baru", self.new_form, methods=["GET"]),
            Route("/program/baru", self.create, methods=["POST"]),
            Route(one, self.page, methods=["GET"]),
            Route(f"{one}/ubah", self.edit_form, methods=["GET"]),
            Route(f"{one}/ubah", self.edit, methods=["POST"]),
            Route(f"{one}/tindakan", self.act, methods=["POST"]),
            Route(f"{one}/grafik.png", self.chart, methods=["GET"]),
            Route(f"{one}/ekspor", self.export, methods=["GET"]),
            Route(f"{one}/qr.png", self.qr, methods=["GET"]),
        ]

    # -- reading ----------------------------------------------------------------------------

    @signed_in
    async def calendar(self, request: Request, session: WebSession) -> Response:
        """The programs the caller manages, a page at a time, running ones first."""
        door = self.door
        group = request.query_params.get("group") or "all"
        group = group if group in GROUPS else "all"
        page = max(0, (_int(request.query_params.get("page")) or 1) - 1)
        async with door.core.db.reading() as db:
            caller, t = await door.caller_of(db, session)
            try:
                found = await pages.calendar(
                    db,
                    caller,
                    group=group,
                    page=page,
                    now=door.core.clock(),
                    default_zone=door.settings.tz,
                )
            except Refused as exc:
                return door.refusal(t, session, exc)

        def link(**changes: object) -> str:
            current: dict[str, object] = {"group": found.group, "page": ""}
            current.update(changes)
            shown = {k: str(v) for k, v in current.items() if v not in ("", 0, "all")}
            return "/program" + ("?" + urlencode(shown) if shown else "")

        return door.render(
            "programs.html",
            t,
            session,
            calendar=found,
            groups=GROUPS,
            link=link,
            deleted=request.query_params.get("done") == "delete",
        )

    @signed_in
    async def page(self, request: Request, session: WebSession) -> Response:
        done = request.query_params.get("done") or ""
        return await self._page(
            session,
            _program_id(request),
            done=done if done in (*pages.ACTIONS, "edit", "create") else None,
        )

    async def _page(
        self,
        session: WebSession,
        program_id: int,
        *,
        done: str | None = None,
        error: str | None = None,
        said: str | None = None,
        status: int = 200,
    ) -> Response:
        door = self.door
        async with door.core.db.reading() as db:
            caller, t = await door.caller_of(db, session)
            try:
                shown = await pages.view(
                    db,
                    caller,
                    program_id,
                    minimum=door.settings.feedback_min_responses,
                    default_zone=door.settings.tz,
                    now=door.core.clock(),
                )
            except Refused as exc:
                return door.refusal(t, session, exc)
        username = self._username()
        return door.render(
            "program.html",
            t,
            session,
            status=status,
            v=shown,
            program=shown.program,
            followup=[Markup(line) for line in level3_text.lines(t, shown.followup)]
            if shown.followup is not None and not shown.followup.empty
            else [],
            knowledge=[Markup(line) for line in knowledge_text.lines(t, shown.knowledge)],
            labels=ACTION_LABELS,
            zone=shown.zone,
            link=program_service.join_link(shown.program, username) if username else None,
            done=done,
            error=Markup(error) if error else None,
            said=Markup(said) if said else None,
            extend_days=pages.EXTEND_DAYS,
        )

    @signed_in
    async def chart(self, request: Request, session: WebSession) -> Response:
        """The digest's chart of this program (released answers only; below the minimum the
        chart with no program in it), drawn off the event loop."""
        door = self.door
        async with door.core.db.reading() as db:
            caller, t = await door.caller_of(db, session)
            moment = door.core.moment()
            try:
                digest = await pages.chart(
                    db,
                    caller,
                    _program_id(request),
                    minimum=door.settings.feedback_min_responses,
                    now=moment.now,
                    today=moment.today,
                    bands=Bands(*door.settings.digest_bands),
                )
            except Refused as exc:
                return door.refusal(t, session, exc)

        key = (t.language, _drawn(digest))

        def draw() -> bytes:
            with self._drawing:
                if key not in self._charts:
                    self._charts[key] = chart_png(digest, t)
                    while len(self._charts) > CHARTS_KEPT:
                        self._charts.popitem(last=False)
                self._charts.move_to_end(key)
                return self._charts[key]

        data = await asyncio.to_thread(draw)
        return Response(data, media_type="image/png", headers=_private())

    @signed_in
    async def export(self, request: Request, session: WebSession) -> Response:
        """The answers workbook, from the chat's export (the same check, audit and builder)."""
        door = self.door
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            try:
                notices = await reports.program_answers(db, caller, _program_id(request))
            except Refused as exc:
                return door.refusal(t, session, exc)
            await db.commit()  # the audit event, before the file is built
        return await self._file(notices[0].files[0].kind, notices[0].files[0].params, t)

    @signed_in
    async def qr(self, request: Request, session: WebSession) -> Response:
        """The join link's QR code, from the chat's builder (audited as the chat's is)."""
        door = self.door
        username = self._username()
        program_id = _program_id(request)
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            try:
                if username is None:
                    await program_service.managed(db, caller, program_id)  # not found first
                    return door.render(
                        "message.html",
                        t,
                        session,
                        status=400,
                        message=Markup(t("program.qr_no_username")),
                    )
                notices = await reports.program_qr(db, caller, program_id, bot_username=username)
            except Refused as exc:
                return door.refusal(t, session, exc)
            await db.commit()
        return await self._file(notices[0].files[0].kind, notices[0].files[0].params, t)

    async def _file(self, kind: str, params: dict[str, object], t: Translator) -> Response:
        built = await builders.build(
            self.door.core, {"kind": kind, "params": params, "language": t.language}
        )
        media = (
            "image/png"
            if built.name.endswith(".png")
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        disposition = "inline" if media == "image/png" else "attachment"
        headers = {**_private(), "Content-Disposition": f'{disposition}; filename="{built.name}"'}
        return Response(built.data, media_type=media, headers=headers)

    def _username(self) -> str | None:
        try:
            return self.door.bot.username or None
        except RuntimeError:  # the bot has not asked Telegram who it is (yet)
            return None

    # -- creating and changing --------------------------------------------------------------

    @signed_in
    async def new_form(self, request: Request, session: WebSession) -> Response:
        door = self.door
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            try:
                units = await pages.units_for_new(db, caller)
                forms = await pages.questionnaire_choices(db, caller)
            except Refused as exc:
                return door.refusal(t, session, exc)
        values: dict[str, Any] = {
            "window": str(door.settings.feedback_window_days),
            "mode": MODES[0],
            "unit": str(units[0].id) if len(units) == 1 else "",
            "questionnaire": "",
            "languages": list(LANGUAGES),
        }
        return self._form(t, session, None, values, units=_choices(units), forms=forms)

    @signed_in
    async def create(self, request: Request, session: WebSession) -> Response:
        door = self.door
        form = await door.form(request)
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            if not same_token(str(form.get("csrf") or ""), session.csrf):
                return door.csrf_refused(t, session)
            values = _values(form)
            forms: list[Evaluation] = []
            try:
                units = _choices(await pages.units_for_new(db, caller))
                forms = await pages.questionnaire_choices(db, caller)
                program = await pages.create(
                    db,
                    caller,
                    _parsed(values, form, unit=_int(values["unit"])),
                    now=door.core.clock(),
                    default_zone=door.settings.tz,
                    followup_weeks=door.settings.followup_weeks,
                )
            except NotFound as exc:
                return door.refusal(t, session, exc)
            except Refused as exc:
                if exc.key == "access.denied":
                    return door.refusal(t, session, exc)
                await db.rollback()
                error = t(exc.key, **exc.values)
                return self._form(t, session, None, values, units=units, forms=forms, error=error)
            created = program.id
            await db.commit()
        return RedirectResponse(f"/program/{created}?done=create", status_code=303)

    @signed_in
    async def edit_form(self, request: Request, session: WebSession) -> Response:
        door = self.door
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            try:
                program, zone = await pages.editing(
                    db, caller, _program_id(request), default_zone=door.settings.tz
                )
                forms = await pages.questionnaire_choices(db, caller)
                given = await pages.current_questionnaire(db, program)
                sent = await pages.sent_out(db, program)
            except Refused as exc:
                return door.refusal(t, session, exc)
        spec = program_service.spec_of(program)
        chosen = await program_service.languages_of(db, program)
        values: dict[str, Any] = {
            "title": program.title,
            "provider": program.provider or "",
            "start": program.starts_at.astimezone(zone).strftime(_FORM_MOMENTS[0]),
            "end": program.ends_at.astimezone(zone).strftime(_FORM_MOMENTS[0]),
            "mode": program.mode,
            "instructors": "; ".join(program.instructors),
            "window": str(spec.window_days),
            "questionnaire": given,
            "languages": list(chosen),
        }
        return self._form(t, session, program.id, values, forms=forms, sent=sent)

    @signed_in
    async def edit(self, request: Request, session: WebSession) -> Response:
        door = self.door
        program_id = _program_id(request)
        form = await door.form(request)
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            if not same_token(str(form.get("csrf") or ""), session.csrf):
                return door.csrf_refused(t, session)
            values = _values(form)
            forms: list[Evaluation] = []
            try:
                forms = await pages.questionnaire_choices(db, caller)
                await pages.edit(
                    db,
                    caller,
                    program_id,
                    _parsed(values, form, unit=None),
                    now=door.core.clock(),
                    default_zone=door.settings.tz,
                )
            except NotFound as exc:
                return door.refusal(t, session, exc)
            except Refused as exc:
                await db.rollback()
                if exc.key in ("access.denied", "programs.edit_answered"):
                    return door.refusal(t, session, exc)
                error = t(exc.key, **exc.values)
                sent = await program_service.sent_out(db, program_id)
                return self._form(
                    t, session, program_id, values, forms=forms, error=error, sent=sent
                )
            await db.commit()
        return RedirectResponse(f"/program/{program_id}?done=edit", status_code=303)

    def _form(
        self,
        t: Translator,
        session: WebSession,
        program_id: int | None,
        values: dict[str, Any],
        *,
        units: list[tuple[int, str]] | None = None,
        forms: list[Evaluation] | None = None,
        error: str | None = None,
        sent: bool = False,
    ) -> Response:
        return self.door.render(
            "program_form.html",
            t,
            session,
            status=400 if error else 200,
            program_id=program_id,
            values=values,
            units=units or [],
            forms=forms or [],
            # The languages are chosen only where a form has more than one.
            language_choice=any(len(f.languages) > 1 for f in forms or []),
            all_languages=LANGUAGES,
            modes=MODES,
            error=Markup(error) if error else None,
            window_max=pages.WINDOW_MAX,
            sent=sent,
        )

    # -- actions ----------------------------------------------------------------------------

    @signed_in
    async def act(self, request: Request, session: WebSession) -> Response:
        """Send now, extend, close, reopen or delete, through the chat's services."""
        door = self.door
        program_id = _program_id(request)
        form = await door.form(request)
        action = str(form.get("action") or "")[:20]
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            if not same_token(str(form.get("csrf") or ""), session.csrf):
                return door.csrf_refused(t, session)
            try:
                done, notices = await pages.act(
                    db,
                    caller,
                    program_id,
                    action=action,
                    now=door.core.clock(),
                    rules=feedback.Rules.from_settings(door.settings),
                )
                await deliver(db, door.core.texts, notices)
            except NotFound as exc:
                return door.refusal(t, session, exc)
            except Refused as exc:
                await db.rollback()
                error = t(exc.key, **exc.values)
                failed = True
            else:
                await db.commit()
                failed = False
        if failed:
            return await self._page(session, program_id, error=error, status=400)
        if door.nudge is not None:
            await door.nudge()
        if action == "delete":
            return RedirectResponse("/program?done=delete", status_code=303)
        if action == "remind":
            # The count is said once, on this answer; a reload of the page repeats nothing.
            return await self._page(session, program_id, said=t(done.key, **done.values))
        # What happened is said from the page's own figures (a reload repeats nothing).
        return RedirectResponse(f"/program/{program_id}?done={done_key(action)}", status_code=303)


def _program_id(request: Request) -> int:
    """The path's program id; one no database column can hold is no program (0), so it is
    "not found" like any other, never an overflow in the driver."""
    value = int(request.path_params["program_id"])
    return value if 0 < value <= ID_MAX else 0


def _choices(units: list[Place]) -> list[tuple[int, str]]:
    """The units as the form offers them (plain values: they outlive the session)."""
    return [(unit.id, f"{unit.name} ({unit.code})") for unit in units if unit.id is not None]


def _values(form: FormData) -> dict[str, Any]:
    names = (
        "title", "unit", "provider", "start", "end", "mode", "instructors", "window",
        "questionnaire",
    )  # fmt: skip
    values: dict[str, Any] = {
        name: str(form.get(name) or "").strip()[:FIELD_MAX] for name in names
    }
    values["languages"] = [str(code)[:8] for code in form.getlist("languages")[:4]]
    return values


def _moment(text: str) -> dt.datetime:
    for pattern in _FORM_MOMENTS:
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise Refused("programsweb.moment_invalid")


def _parsed(values: dict[str, Any], posted: FormData, *, unit: int | None) -> pages.ProgramForm:
    """The form's fields as values; a field that is no value at all is refused politely
    (by the service, once it has checked the caller). The languages count where the page
    offered them."""
    form = pages.ProgramForm(
        title=values["title"],
        unit_id=unit,
        starts_at=None,
        ends_at=None,
        provider=values["provider"] or None,
        mode=values["mode"],
        # Not offered once the questionnaire went out: kept as they are.
        instructors=program_service.parse_instructors(values["instructors"])
        if "instructors" in posted
        else None,
        window_days=_int(values["window"]) or 0,
        questionnaire=values["questionnaire"][:32] or None,
        languages=list(values["languages"]) if posted.get("languages_offered") else None,
    )
    try:
        if not values["title"]:
            raise Refused("programsweb.title_missing")
        form.starts_at, form.ends_at = _moment(values["start"]), _moment(values["end"])
        if _int(values["window"]) is None:
            raise Refused("programs.window_invalid", maximum=pages.WINDOW_MAX)
        if values["mode"] not in MODES:
            raise Refused("program.mode_invalid", modes=", ".join(MODES))
    except Refused as exc:
        form.unreadable = exc
    return form


def _drawn(digest: Digest) -> str:
    """Everything the chart draws of a program, as a key: the same figures, the same PNG."""
    return repr(
        [
            (p.code, p.title, p.instructor_names,
             [(i.code, i.instructor, i.counts, i.low, i.labels) for i in p.items])
            for p in digest.programs
        ]
    )  # fmt: skip


def done_key(action: str) -> str:
    """The ?done= of the page after an action (the action's name: the page says it)."""
    return action if action in pages.ACTIONS else ""


def _private() -> dict[str, str]:
    return {"Cache-Control": "private, no-store"}


def _int(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit() or len(value.strip()) > 12:
        return None
    return int(value.strip())
