"""The admin part of the workspace: units, staff and invitations, limits and bans, the audit log.

Each route parses the request, calls one service with the caller loaded afresh and renders; the
services refuse anyone without admin power, so a page only shows what its service returned. A
POST carries the session's CSRF token and ends in a redirect to its page with `?done=` (PRG),
except a new invitation: its link is shown once, on the answer itself, and never put in a URL.
A refused action shows its page again with the reason; for someone who may not see the page,
that page's service refuses them instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.i18n import Translator
from bot.notify import deliver
from bot.reports.audit_text import action_label, audit_workbook, sentence
from bot.services import admin as admin_service
from bot.services import staff as staff_service
from bot.services import units as unit_service
from bot.services.access import Access
from bot.services.errors import NotFound, Refused
from bot.services.notices import Key, Notice
from bot.services.reports import AUDIT_EXPORT_ROWS
from bot.storage.audit import AuditFilter
from bot.web.auth import WebSession, same_token, signed_in

if TYPE_CHECKING:
    from bot.web.app import WebDoor

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INVITE_LINK_PREFIX = "staf"  # the chat's deep-link prefix for invitations (handlers/staff.py)
# What ?done= may say on each page; anything else says nothing.
DONE = {
    "unit": {"added", "renamed", "deactivated", "reactivated"},
    "staff": {"removed", "dismissed", "revoked"},
    "limits": {"lifted", "banned", "unbanned"},
}

# An action: (database, caller, form) -> (what ?done= says, notices for other people).
Action = Callable[[AsyncSession, Access, FormData], Awaitable[tuple[str, list[Notice]]]]
Page = Callable[[WebSession, QueryParams, str | None, int], Awaitable[Response]]


class AdminPages:
    """The admin routes on a WebDoor, using its sessions, rendering and refusals."""

    def __init__(self, door: WebDoor) -> None:
        self.door = door

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/admin/unit", self.units, methods=["GET"]),
            Route("/admin/unit", self.add_unit, methods=["POST"]),
            Route("/admin/unit/{unit_id:int}", self.change_unit, methods=["POST"]),
            Route("/admin/staf", self.staff, methods=["GET"]),
            Route("/admin/staf/undangan", self.invite, methods=["POST"]),
            Route("/admin/staf/undangan/{invite_id:int}", self.revoke_invite, methods=["POST"]),
            Route("/admin/staf/{user_id:int}", self.change_member, methods=["POST"]),
            Route("/admin/batasan", self.limits, methods=["GET"]),
            Route("/admin/batasan/{block_id:int}", self.lift_limit, methods=["POST"]),
            Route("/admin/blokir", self.ban, methods=["POST"]),
            Route("/admin/audit", self.audit, methods=["GET"]),
            Route("/admin/audit.xlsx", self.audit_download, methods=["GET"]),
        ]

    # -- the shape every page and action shares ---------------------------------------------

    async def _get(self, request: Request, page: Page) -> Response:
        session = self.door.session_of(request)
        if session is None or not session.user_id:
            return self.door.to_login(request)
        return await page(session, request.query_params, None, 200)

    async def _post(self, request: Request, action: Action, back: str, page: Page) -> Response:
        """CSRF, one service call in one transaction, its notices delivered, then PRG; a
        refusal shows the page again with the reason (or the page's own refusal)."""
        door = self.door
        session = door.session_of(request)
        if session is None or not session.user_id:
            return door.to_login(request)
        form = await door.form(request)
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            if not same_token(str(form.get("csrf") or ""), session.csrf):
                return door.csrf_refused(t, session)
            try:
                done, notices = await action(db, caller, form)
            except Refused as exc:
                await db.rollback()
                refused: Refused | None = exc
            else:
                refused = None
                await deliver(db, door.core.texts, notices)
                await db.commit()
        if refused is not None:
            status = 404 if isinstance(refused, NotFound) else 400
            return await page(
                session, request.query_params, t(refused.key, **refused.values), status
            )
        if door.nudge is not None and notices:
            await door.nudge()
        return RedirectResponse(f"{back}?done={done}", status_code=303)

    def _done(self, params: QueryParams, page: str) -> str | None:
        done = params.get("done")
        return done if done in DONE[page] else None

    # -- units -------------------------------------------------------------------------------

    async def units(self, request: Request) -> Response:
        return await self._get(request, self._units_page)

    async def _units_page(
        self, session: WebSession, params: QueryParams, error: str | None, status: int
    ) -> Response:
        door = self.door
        query = (params.get("q") or "").strip()[:80] or None
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            try:
                page = await admin_service.units_page(db, caller, query=query, page=_page(params))
            except Refused as exc:
                return door.refusal(t, session, exc)
        return door.render(
            "admin_units.html",
            t,
            session,
            status=status,
            caller=caller,
            section="unit",
            page=page,
            query=query or "",
            done=self._done(params, "unit"),
            error=Markup(error) if error else None,
            link=lambda n: (
                "/admin/unit?" + urlencode({k: v for k, v in (("q", query), ("page", n)) if v})
            ),
        )

    async def add_unit(self, request: Request) -> Response:
        async def add(
            db: AsyncSession, caller: Access, form: FormData
        ) -> tuple[str, list[Notice]]:
            row = unit_service.UnitRow(
                _text(form, "code"), _text(form, "name"), _text(form, "region")
            )
            await unit_service.add_unit(db, caller, row)
            return "added", []

        return await self._post(request, add, "/admin/unit", self._units_page)

    async def change_unit(self, request: Request) -> Response:
        unit_id = request.path_params["unit_id"]

        async def change(
            db: AsyncSession, caller: Access, form: FormData
        ) -> tuple[str, list[Notice]]:
            action = _text(form, "action")
            if action == "rename":
                notices = await unit_service.rename_unit(
                    db, caller, unit_id=unit_id, name=_text(form, "name")
                )
                return "renamed", notices
            if action in ("deactivate", "reactivate"):
                active = action == "reactivate"
                notices = await unit_service.set_active(db, caller, unit_id=unit_id, active=active)
                return ("reactivated" if active else "deactivated"), notices
            raise Refused("adminweb.unknown_action")

        return await self._post(request, change, "/admin/unit", self._units_page)

    # -- staff and invitations ---------------------------------------------------------------

    async def staff(self, request: Request) -> Response:
        return await self._get(request, self._staff_page)

    async def _staff_page(
        self,
        session: WebSession,
        params: QueryParams,
        error: str | None,
        status: int,
        *,
        made: tuple[str, str, str] | None = None,
    ) -> Response:
        door = self.door
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            try:
                page = await admin_service.staff_page(
                    db, door.settings, caller, page=_page(params), now=door.core.clock()
                )
            except Refused as exc:
                return door.refusal(t, session, exc)
        return door.render(
            "admin_staff.html",
            t,
            session,
            status=status,
            caller=caller,
            section="staff",
            page=page,
            role=lambda role: _role(t, role),
            made=made,
            done=self._done(params, "staff"),
            error=Markup(error) if error else None,
            link=lambda n: f"/admin/staf?page={n}",
        )

    @signed_in
    async def invite(self, request: Request, session: WebSession) -> Response:
        """A new invitation; the answer shows its t.me link once (as the chat's /undang does)."""
        door = self.door
        form = await door.form(request)
        wanted = _text(form, "unit")
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            if not same_token(str(form.get("csrf") or ""), session.csrf):
                return door.csrf_refused(t, session)
            username = self._bot_username()
            try:
                if username is None:
                    raise Refused("program.qr_no_username")
                unit_id = None if wanted == "admin" else _number(wanted)
                if unit_id is None and wanted != "admin":
                    raise Refused("adminweb.choose_role")
                made = await staff_service.invite(
                    db, door.settings, caller=caller, unit_id=unit_id, now=door.core.clock()
                )
            except Refused as exc:
                await db.rollback()
                error: str | None = t(exc.key, **exc.values)
            else:
                error = None
                await db.commit()
        if error is not None:
            return await self._staff_page(session, request.query_params, error, 400)
        link = f"https://t.me/{username}?start={INVITE_LINK_PREFIX}_{made.token}"
        shown = (_role(t, made.role), link, t.datetime(made.invite.expires_at))
        return await self._staff_page(session, request.query_params, None, 200, made=shown)

    def _bot_username(self) -> str | None:
        try:
            return self.door.bot.username or None
        except RuntimeError:  # the bot has not fetched getMe yet
            return None

    async def revoke_invite(self, request: Request) -> Response:
        invite_id = request.path_params["invite_id"]

        async def revoke(
            db: AsyncSession, caller: Access, form: FormData
        ) -> tuple[str, list[Notice]]:
            await admin_service.revoke_invite(
                db, caller=caller, invite_id=invite_id, now=self.door.core.clock()
            )
            return "revoked", []

        return await self._post(request, revoke, "/admin/staf", self._staff_page)

    async def change_member(self, request: Request) -> Response:
        user_id = request.path_params["user_id"]
        door = self.door

        async def change(
            db: AsyncSession, caller: Access, form: FormData
        ) -> tuple[str, list[Notice]]:
            action, now = _text(form, "action"), door.core.clock()
            if action == "remove":
                notices = await staff_service.remove_from_unit(
                    db,
                    door.settings,
                    caller=caller,
                    user_id=user_id,
                    unit_id=_number(_text(form, "unit")) or 0,
                    now=now,
                )
                return "removed", notices
            if action == "dismiss":
                notices = await staff_service.dismiss_admin(
                    db, door.settings, caller=caller, user_id=user_id, now=now
                )
                return "dismissed", notices
            raise Refused("adminweb.unknown_action")

        return await self._post(request, change, "/admin/staf", self._staff_page)

    # -- limits on reporters and bans --------------------------------------------------------

    async def limits(self, request: Request) -> Response:
        return await self._get(request, self._limits_page)

    async def _limits_page(
        self, session: WebSession, params: QueryParams, error: str | None, status: int
    ) -> Response:
        door = self.door
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            try:
                page = await admin_service.limits_page(db, caller, page=_page(params))
            except Refused as exc:
                return door.refusal(t, session, exc)
        return door.render(
            "admin_limits.html",
            t,
            session,
            status=status,
            caller=caller,
            section="limits",
            page=page,
            done=self._done(params, "limits"),
            error=Markup(error) if error else None,
            link=lambda n: f"/admin/batasan?page={n}",
        )

    async def lift_limit(self, request: Request) -> Response:
        block_id = request.path_params["block_id"]

        async def lift(
            db: AsyncSession, caller: Access, form: FormData
        ) -> tuple[str, list[Notice]]:
            await admin_service.lift_limit(db, caller=caller, block_id=block_id)
            return "lifted", []

        return await self._post(request, lift, "/admin/batasan", self._limits_page)

    async def ban(self, request: Request) -> Response:
        """Bans or unbans by Telegram id, as the chat's /blokir and /bukablokir."""
        door = self.door

        async def set_ban(
            db: AsyncSession, caller: Access, form: FormData
        ) -> tuple[str, list[Notice]]:
            action, user_id = _text(form, "action"), _number(_text(form, "user"))
            if action not in ("ban", "unban"):
                raise Refused("adminweb.unknown_action")
            if user_id is None:
                raise Refused("adminweb.bad_user")
            banned = action == "ban"
            await staff_service.set_banned(
                db, door.settings, caller=caller, user_id=user_id, banned=banned
            )
            return ("banned" if banned else "unbanned"), []

        return await self._post(request, set_ban, "/admin/batasan", self._limits_page)

    # -- the audit log -----------------------------------------------------------------------

    async def audit(self, request: Request) -> Response:
        return await self._get(request, self._audit_page)

    async def _audit_page(
        self, session: WebSession, params: QueryParams, error: str | None, status: int
    ) -> Response:
        door = self.door
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            wanted, bad = _filter(params, t)
            try:
                page = await admin_service.audit_page(db, caller, wanted, page=_page(params))
            except Refused as exc:
                return door.refusal(t, session, exc)
        lines = [Markup(sentence(t, page.names, entry)) for entry in page.entries.rows]
        shown = _shown(params)

        def link(**changes: object) -> str:
            values = {**shown, **{k: str(v) for k, v in changes.items()}}
            return "?" + urlencode({k: v for k, v in values.items() if v})

        if bad and error is None:
            error, status = t("adminweb.bad_date"), 400
        return door.render(
            "admin_audit.html",
            t,
            session,
            status=status,
            caller=caller,
            section="audit",
            page=page,
            lines=lines,
            shown=shown,
            actions=[(a, action_label(t, a)) for a in page.actions],
            kind_label=lambda k: t(f"adminweb.kind_{k}") if t.has(f"adminweb.kind_{k}") else k,
            link=link,
            error=Markup(error) if error else None,
        )

    @signed_in
    async def audit_download(self, request: Request, session: WebSession) -> Response:
        """The filtered log as the chat's audit workbook, built in the response (a download
        needs no outbox); the download itself is audited by the service."""
        door = self.door
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            wanted, bad = _filter(request.query_params, t)
            if bad:
                return await self._audit_page(session, request.query_params, None, 400)
            try:
                await admin_service.export_audit(db, caller, wanted)
            except Refused as exc:
                return door.refusal(t, session, exc)
            data, _count = await audit_workbook(db, t, limit=AUDIT_EXPORT_ROWS, wanted=wanted)
            await db.commit()
        return Response(
            data,
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{t("reports.file_audit")}"'},
        )


# -- parsing ----------------------------------------------------------------------------------


def _text(form: FormData, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _number(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value.isdigit() or len(value) > 15:
        return None
    return int(value)


def _page(params: QueryParams) -> int:
    return max(0, (_number(params.get("page")) or 1) - 1)


def _role(t: Translator, role: str | Key) -> str:
    return t(role.key) if isinstance(role, Key) else role


def _shown(params: QueryParams) -> dict[str, str]:
    """The audit filters as given (trimmed), to fill the form and the pager's links."""
    return {
        "action": (params.get("action") or "")[:32],
        "kind": (params.get("kind") or "")[:16],
        "actor": (params.get("actor") or "")[:15],
        "from": (params.get("from") or "")[:10],
        "to": (params.get("to") or "")[:10],
    }


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filter(params: QueryParams, t: Translator) -> tuple[AuditFilter, bool]:
    """The filter from the query, dates read as whole days in the deployment's time zone;
    and whether a date could not be read (that bound is then left open)."""
    shown = _shown(params)
    since, until = _day(shown["from"]), _day(shown["to"])
    bad = bool(shown["from"] and since is None) or bool(shown["to"] and until is None)

    def start(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), t.tz).astimezone(dt.UTC)

    return (
        AuditFilter(
            action=shown["action"] or None,
            kind=shown["kind"] or None,
            actor_id=_number(shown["actor"]),
            since=start(since) if since else None,
            until=start(until + dt.timedelta(days=1)) if until else None,
        ),
        bad,
    )
