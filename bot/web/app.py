"""The web door: routes parse the request, call one service with the caller, and render.

Every route loads the caller afresh (`access.load` for the session's Telegram user), so what a
page may show or do is decided by the services exactly as in the chat: a removed organizer is
refused at once, another unit's complaint is "not found", an anonymous reporter stays unnamed.
Actions go through `complaints.act` and their notices through `notify.deliver`, in the same
transaction, then the outbox is woken.
"""

from __future__ import annotations

import logging
import mimetypes
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive
from telegram import Bot
from telegram.error import TelegramError

from bot.core import Core
from bot.i18n import Translator
from bot.notify import deliver
from bot.services import access
from bot.services import complaints as complaint_service
from bot.services import inbox as inbox_service
from bot.services import public as public_service
from bot.services import web as web_service
from bot.services.access import Access, Need
from bot.services.complaints import MAX_ATTACHMENTS
from bot.services.errors import NotFound, Refused
from bot.services.notices import Key
from bot.services.skm_report import Period
from bot.services.uploads import MAX_UPLOAD_BYTES, Upload
from bot.storage.places import LEVEL_UNIT, place_by_code
from bot.storage.users import get_user
from bot.web import questionnaires
from bot.web.admin import AdminPages
from bot.web.auth import (
    InvalidLaunch,
    LaunchUser,
    SessionSigner,
    WebSession,
    check_launch_data,
    same_token,
    signed_in,
)
from bot.web.certificates import verification_route
from bot.web.programs import ProgramPages
from bot.web.questionnaire_editor import EditorPages
from bot.web.reports import ReportPages

log = logging.getLogger(__name__)
# The caller the current request loaded (each request runs in a context of its own).
_request_caller: ContextVar[Access | None] = ContextVar("web_request_caller", default=None)

HERE = Path(__file__).resolve().parent
COOKIE = "suara_session"
VISITOR_SECONDS = 3600
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'; frame-ancestors https://web.telegram.org https://*.telegram.org"
)
FILE_TYPES = {"photo": "image/jpeg", "voice": "audio/ogg"}
MAX_FORM = 64 * 1024
# The respond action's multipart body: its files at their largest, and the fields.
MAX_UPLOAD_BODY = MAX_ATTACHMENTS * MAX_UPLOAD_BYTES + MAX_FORM


class _BodyTooLarge(Exception):
    """The request body went past the route's limit while it was read."""


class SecurityHeaders(BaseHTTPMiddleware):
    """Every response: only this origin's scripts, styles and images; framed by Telegram only."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        _request_caller.set(None)  # nothing of an earlier request on this connection
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if "cache-control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response


class WebDoor:
    """The workspace on a core; `bot` fetches attachments, `nudge` wakes the outbox sender."""

    def __init__(
        self,
        core: Core,
        bot: Bot,
        nudge: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.core = core
        self.settings = core.settings
        self.bot = bot
        self.nudge = nudge
        token = self.settings.telegram_bot_token
        assert token is not None, "the workspace needs the bot token"
        self._token = token.get_secret_value()
        self.signer = SessionSigner(self._token)
        base = self.settings.web_url or ""
        self.secure = urlsplit(base).scheme == "https"
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.app = Starlette(routes=self.routes(), middleware=[Middleware(SecurityHeaders)])

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.index, methods=["GET"]),
            Route("/masuk/telegram", self.launch_login, methods=["POST"]),
            Route("/masuk/{token}", self.link_page, methods=["GET"]),
            Route("/masuk/{token}", self.link_login, methods=["POST"]),
            Route("/keluar", self.logout, methods=["POST"]),
            Route("/aduan", self.inbox, methods=["GET"]),
            Route("/aduan/{complaint_id:int}", self.complaint, methods=["GET"]),
            Route("/aduan/{complaint_id:int}/tindakan", self.act, methods=["POST"]),
            Route(
                "/aduan/{complaint_id:int}/berkas/{attachment_id:int}",
                self.attachment,
                methods=["GET"],
            ),
            *ProgramPages(self).routes(),
            Route("/status", self.status_page, methods=["GET"]),
            Route("/status", self.status_lookup, methods=["POST"]),
            Route("/statistik/{code}", self.unit_statistics, methods=["GET"]),
            *ReportPages(self).routes(),
            *AdminPages(self).routes(),
            verification_route(self),
            *EditorPages(self).routes(),
            Route("/kuesioner", partial(questionnaires.page, self), methods=["GET"]),
            Route("/kuesioner", partial(questionnaires.upload, self), methods=["POST"]),
            Route(
                "/kuesioner/{code}/xlsform",
                partial(questionnaires.download, self),
                methods=["GET"],
            ),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]

    # -- sessions ---------------------------------------------------------------------------

    def session_of(self, request: Request) -> WebSession | None:
        return self.signer.load(request.cookies.get(COOKIE), now=time.time())

    def visitor(self, request: Request) -> WebSession:
        """The request's session, or a new visitor's one (for the CSRF token of login forms)."""
        return self.session_of(request) or WebSession.new(
            0, now=time.time(), seconds=VISITOR_SECONDS
        )

    def keep(self, response: Response, session: WebSession) -> Response:
        response.set_cookie(
            COOKIE,
            self.signer.dump(session),
            max_age=max(0, session.expires - int(time.time())),
            path="/",
            httponly=True,
            secure=self.secure,
            samesite="none" if self.secure else "lax",
        )
        return self._partitioned(response)

    def forget(self, response: Response) -> Response:
        """Deletes the cookie with the attributes it was set with (a partitioned cookie is
        deleted only from its own partition)."""
        response.delete_cookie(
            COOKIE,
            path="/",
            httponly=True,
            secure=self.secure,
            samesite="none" if self.secure else "lax",
        )
        return self._partitioned(response)

    def _partitioned(self, response: Response) -> Response:
        """Over https the cookie must reach the workspace inside Telegram Web's cross-site
        frame: `SameSite=None` lets the browser send it there, `Partitioned` (CHIPS) keeps it
        in that frame's own jar where third-party cookies are otherwise blocked, and both need
        `Secure`. Forged cross-site posts still fail on the CSRF token every form carries.
        Over plain http (development) browsers refuse `SameSite=None`: Lax. (Starlette writes
        `Partitioned` only on Python 3.14+, so it is added to the header here.)"""
        if self.secure:
            name, value = response.raw_headers[-1]
            assert name == b"set-cookie"
            response.raw_headers[-1] = (name, value + b"; Partitioned")
        return response

    def logged_in(self, caller: Access) -> WebSession:
        return WebSession.new(
            caller.user_id, now=time.time(), seconds=self.settings.web_session_hours * 3600
        )

    async def caller_of(self, db: AsyncSession, session: WebSession) -> tuple[Access, Translator]:
        user = await get_user(db, session.user_id)
        caller = await access.load(db, self.settings, session.user_id, user)
        # The page this request renders offers the links this caller may use (`render`).
        _request_caller.set(caller)
        texts = self.core.texts
        t = (
            texts.for_user(user.language, user.telegram_language)
            if user
            else texts.for_user(None, None)
        )
        return caller, t

    def visitor_language(self, request: Request) -> Translator:
        header = request.headers.get("accept-language", "")
        first = header.split(",")[0].split(";")[0].strip() or None
        return self.core.texts.for_user(None, first)

    def public_language(self, request: Request, form: FormData | None = None) -> Translator:
        """A public page's language: ?lang= (or the form's), else Accept-Language, else the
        default (Indonesian)."""
        chosen = request.query_params.get("lang") or (str(form.get("lang") or "") if form else "")
        if chosen and chosen[:12] in self.core.texts.languages:
            return self.core.texts.for_language(chosen[:12])
        return self.visitor_language(request)

    async def form(self, request: Request) -> FormData:
        """The posted fields; an empty form for a body over MAX_FORM (declared or not)."""
        return await _bounded_form(request, MAX_FORM) or FormData()

    async def upload_form(self, request: Request) -> tuple[FormData, list[Upload]] | None:
        """The respond action's fields and files (multipart), read within MAX_UPLOAD_BODY:
        None when the body is larger. Each file is read to one byte over the service's size
        limit, so that the service can still tell it is too big."""
        # More files than the service allows get through to it, which says how many may go.
        form = await _bounded_form(request, MAX_UPLOAD_BODY, max_files=MAX_ATTACHMENTS * 4)
        if form is None:
            return None
        files: list[Upload] = []
        for item in form.getlist("files"):
            if isinstance(item, UploadFile) and (item.filename or item.size):
                files.append(Upload(item.filename or "", await item.read(MAX_UPLOAD_BYTES + 1)))
        await form.close()
        return form, files

    # -- rendering --------------------------------------------------------------------------

    def render(
        self,
        name: str,
        t: Translator,
        session: WebSession | None,
        *,
        status: int = 200,
        caller: Access | None = None,
        **values: Any,
    ) -> HTMLResponse:
        """A page; `caller` (else the one this request loaded) decides which links the bar
        offers."""
        caller = caller or _request_caller.get()

        def text(key: str, **args: object) -> Markup:
            # Catalog texts are trusted markup; every value in them is escaped by the translator.
            return Markup(t(key, **args))

        def plural(key: str, n: int, **args: object) -> Markup:
            return Markup(t.plural(key, n, **args))

        page = self.templates.get_template(name).render(
            t=text,
            p=plural,
            tr=t,
            language=t.language,
            csrf=session.csrf if session else "",
            logged_in=bool(session and session.user_id),
            admin_link=caller is not None and caller.allows(Need.ADMIN),
            **values,
        )
        return HTMLResponse(page, status_code=status)

    def refusal(self, t: Translator, session: WebSession | None, refusal: Refused) -> HTMLResponse:
        status = 404 if isinstance(refusal, NotFound) else 403
        if refusal.key.startswith("websec.too_many"):
            status = 429
        return self.render(
            "message.html",
            t,
            session,
            status=status,
            message=Markup(t(refusal.key, **refusal.values)),
        )

    def csrf_refused(self, t: Translator, session: WebSession | None) -> HTMLResponse:
        """A form posted without this session's CSRF token: refused, nothing done."""
        return self.render("message.html", t, session, status=403, message=t("web.csrf_invalid"))

    def to_login(self, request: Request) -> Response:
        return RedirectResponse("/", status_code=303)

    # -- getting in -------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        """The Mini App's page (and a browser's start page): reads the launch data from the URL
        fragment in a few lines of JS and posts it; a logged-in organizer goes to the inbox."""
        session = self.session_of(request)
        if session and session.user_id:
            return RedirectResponse("/aduan", status_code=303)
        session = self.visitor(request)
        response = self.render("launch.html", self.visitor_language(request), session)
        return self.keep(response, session)

    async def launch_login(self, request: Request) -> Response:
        session = self.session_of(request)
        form = await self.form(request)
        if session is None or not same_token(str(form.get("csrf") or ""), session.csrf):
            return JSONResponse({"ok": False, "reason": "csrf"}, status_code=403)
        try:
            launch: LaunchUser | None = check_launch_data(
                str(form.get("init_data") or ""),
                self._token,
                now=self.core.clock().timestamp(),
                max_age=self.settings.web_launch_max_age,
            )
        except InvalidLaunch as exc:
            log.info("Mini App launch data refused: %s", exc)
            launch = None
        async with self.core.db.session() as db:
            try:
                caller = await web_service.launch_login(
                    db,
                    self.settings,
                    user_id=launch.user_id if launch else None,
                    now=self.core.clock(),
                    address=_address(request),
                )
            except Refused as exc:
                # A failed attempt is counted in this transaction: kept for the limit.
                await db.commit()
                user = await get_user(db, launch.user_id) if launch else None
                t = (
                    self.core.texts.for_user(user.language if user else None, launch.language_code)
                    if launch
                    else self.visitor_language(request)
                )
                status = 429 if exc.key.startswith("websec.too_many") else 403
                return JSONResponse(
                    {"ok": False, "message": t(exc.key, **exc.values)}, status_code=status
                )
            await db.commit()
        return self.keep(JSONResponse({"ok": True, "next": "/aduan"}), self.logged_in(caller))

    async def link_page(self, request: Request) -> Response:
        """The login link's page: a button that posts it (a link preview's GET uses nothing)."""
        session = self.visitor(request)
        response = self.render(
            "login.html",
            self.visitor_language(request),
            session,
            token=request.path_params["token"],
        )
        return self.keep(response, session)

    async def link_login(self, request: Request) -> Response:
        session = self.session_of(request)
        t = self.visitor_language(request)
        form = await self.form(request)
        if session is None or not same_token(str(form.get("csrf") or ""), session.csrf):
            return self.csrf_refused(t, session)
        async with self.core.db.session() as db:
            try:
                caller = await web_service.redeem_login(
                    db,
                    self.settings,
                    token=request.path_params["token"],
                    now=self.core.clock(),
                    address=_address(request),
                )
            except Refused as exc:
                # A refused person's link is spent too: the refusal is committed with it.
                await db.commit()
                return self.refusal(t, session, exc)
            await db.commit()
        return self.keep(RedirectResponse("/aduan", status_code=303), self.logged_in(caller))

    async def logout(self, request: Request) -> Response:
        session = self.session_of(request)
        form = await self.form(request)
        if session is None or not same_token(str(form.get("csrf") or ""), session.csrf):
            return self.render(
                "message.html",
                self.visitor_language(request),
                session,
                status=403,
                message=self.visitor_language(request)("web.csrf_invalid"),
            )
        response = RedirectResponse("/", status_code=303)
        return self.forget(response)

    # -- the inbox and a complaint ----------------------------------------------------------

    @signed_in
    async def inbox(self, request: Request, session: WebSession) -> Response:
        params = request.query_params
        query = inbox_service.InboxQuery(
            state=params.get("state") or "open",
            category=params.get("category") or None,
            unit_id=_int(params.get("unit")),
            overdue=params.get("overdue") == "1",
            search=params.get("q") or None,
            page=max(0, (_int(params.get("page")) or 1) - 1),
        )
        async with self.core.db.reading() as db:
            caller, t = await self.caller_of(db, session)
            try:
                page = await inbox_service.inbox(
                    db, self.core.moment(), caller=caller, query=query
                )
            except Refused as exc:
                return self.refusal(t, session, exc)

        def link(**changes: object) -> str:
            current: dict[str, object] = {
                "state": query.state,
                "category": query.category or "",
                "unit": query.unit_id or "",
                "overdue": "1" if query.overdue else "",
                "q": query.search or "",
                "page": "",
            }
            current.update({key: "" if v is None else v for key, v in changes.items()})
            shown = {k: str(v) for k, v in current.items() if v not in ("", 0)}
            return "/aduan?" + urlencode(shown)

        return self.render(
            "inbox.html",
            t,
            session,
            caller=caller,
            forwarded=params.get("done") == "forward",
            page=page,
            query=query,
            states=list(inbox_service.STATE_FILTERS),
            unit_labels=page.unit_labels,
            link=link,
        )

    @signed_in
    async def complaint(self, request: Request, session: WebSession) -> Response:
        done = request.query_params.get("done")
        return await self._complaint_page(
            session, request.path_params["complaint_id"], done=done if done else None
        )

    async def _complaint_page(
        self,
        session: WebSession,
        complaint_id: int,
        *,
        done: str | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        async with self.core.db.reading() as db:
            caller, t = await self.caller_of(db, session)
            try:
                page = await inbox_service.complaint_page(
                    db, self.core.moment(), caller=caller, complaint_id=complaint_id
                )
            except Refused as exc:
                return self.refusal(t, session, exc)
        reporter = t(page.reporter.key) if isinstance(page.reporter, Key) else page.reporter
        return self.render(
            "complaint.html",
            t,
            session,
            caller=caller,
            status=status,
            page=page,
            c=page.complaint,
            reporter=reporter,
            done=done in complaint_service.ACTIONS if done else False,
            error=Markup(error) if error else None,
            notes=complaint_service.ACTIONS_WITH_NOTE,
            with_files=complaint_service.ACTIONS_WITH_FILES,
            max_files=MAX_ATTACHMENTS,
            max_megabytes=MAX_UPLOAD_BYTES // (1024 * 1024),
        )

    @signed_in
    async def act(self, request: Request, session: WebSession) -> Response:
        """An action on a complaint, through `complaints.act`: the same rules and notices as
        the chat."""
        complaint_id = request.path_params["complaint_id"]
        uploads: list[Upload] = []
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            received = await self.upload_form(request)
            if received is None:
                async with self.core.db.session() as db:
                    _caller, t = await self.caller_of(db, session)
                megabytes = MAX_UPLOAD_BODY // (1024 * 1024)
                error = t("websec.upload_body_too_big", megabytes=megabytes)
                return await self._complaint_page(session, complaint_id, error=error, status=413)
            form, uploads = received
        else:
            form = await self.form(request)
        async with self.core.db.session() as db:
            caller, t = await self.caller_of(db, session)
            if not same_token(str(form.get("csrf") or ""), session.csrf):
                return self.csrf_refused(t, session)
            action = str(form.get("action") or "")
            try:
                complaint, notices = await complaint_service.act(
                    db,
                    self.core.moment(),
                    caller=caller,
                    complaint_id=complaint_id,
                    action=action,
                    note=str(form.get("note") or "") or None,
                    target_unit_id=_int(str(form.get("target_unit") or "")),
                    uploads=uploads,
                )
            except NotFound as exc:
                return self.refusal(t, session, exc)
            except Refused as exc:
                await db.rollback()
                error = t(exc.key, **exc.values)
                failed = True
            else:
                await deliver(db, self.core.texts, notices)
                await db.commit()
                failed = False
                still_ours = caller.handles(complaint.unit_id)
        if failed:
            return await self._complaint_page(session, complaint_id, error=error, status=400)
        if self.nudge is not None:
            await self.nudge()
        if not still_ours:
            # Forwarded to a unit the caller does not handle: back to their inbox.
            return RedirectResponse("/aduan?done=forward", status_code=303)
        return RedirectResponse(f"/aduan/{complaint_id}?done={action}", status_code=303)

    @signed_in
    async def attachment(self, request: Request, session: WebSession) -> Response:
        """A complaint's file, fetched through the bot (getFile) and streamed; the token, which
        is part of Telegram's file URL, never leaves this server."""
        async with self.core.db.session() as db:
            caller, t = await self.caller_of(db, session)
            try:
                found = await inbox_service.attachment(
                    db,
                    caller=caller,
                    complaint_id=request.path_params["complaint_id"],
                    attachment_id=request.path_params["attachment_id"],
                )
            except Refused as exc:
                return self.refusal(t, session, exc)
        try:
            file = await self.bot.get_file(found.file_id)
        except TelegramError as exc:
            log.warning("attachment %s: getFile failed (%s)", found.id, type(exc).__name__)
            return self.render(
                "message.html", t, session, status=502, message=t("web.file_unavailable")
            )
        url = file.file_path or ""
        if not url.startswith(("http://", "https://")):
            url = f"{self.settings.telegram_api_base_url}/file/bot{self._token}/{url}"
        name = f"{found.kind}-{found.id}{Path(urlsplit(url).path).suffix}"
        kind = FILE_TYPES.get(found.kind) or (
            mimetypes.guess_type(name)[0] or "application/octet-stream"
        )
        client = httpx.AsyncClient(timeout=30)
        try:
            upstream = await client.send(client.build_request("GET", url), stream=True)
        except httpx.HTTPError as exc:
            await client.aclose()
            log.warning("attachment %s: download failed (%s)", found.id, type(exc).__name__)
            return self.render(
                "message.html", t, session, status=502, message=t("web.file_unavailable")
            )
        if upstream.status_code != 200:
            await upstream.aclose()
            await client.aclose()
            log.warning("attachment %s: download answered %s", found.id, upstream.status_code)
            return self.render(
                "message.html", t, session, status=502, message=t("web.file_unavailable")
            )

        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in upstream.aiter_bytes():
                    yield chunk
            finally:
                await upstream.aclose()
                await client.aclose()

        inline = found.kind in FILE_TYPES
        disposition = "inline" if inline else "attachment"
        return StreamingResponse(
            body(),
            media_type=kind,
            headers={
                "Content-Disposition": f'{disposition}; filename="{name}"',
                "Cache-Control": "private, max-age=300",
            },
        )

    # -- public pages (no login) -------------------------------------------------------------

    async def status_page(self, request: Request) -> Response:
        """A complaint's status by its number and PIN: the form (posted, so that the PIN is in
        no URL, log or history)."""
        session = self.visitor(request)
        t = self.public_language(request)
        response = self.render("status.html", t, session, number="", found=None, refused=None)
        return self.keep(response, session)

    async def status_lookup(self, request: Request) -> Response:
        """The state and dates only; a wrong PIN, an unknown number and too many guesses give
        the same answer, and the guess is committed with it."""
        session = self.session_of(request)
        form = await self.form(request)
        t = self.public_language(request, form)
        number = str(form.get("number") or "")[:40]
        if session is None or not same_token(str(form.get("csrf") or ""), session.csrf):
            session = self.visitor(request)
            response = self.render(
                "status.html",
                t,
                session,
                status=403,
                number=number,
                found=None,
                refused=Markup(t("web.csrf_invalid")),
            )
            return self.keep(response, session)
        found: public_service.PublicStatus | None = None
        refused: Markup | None = None
        async with self.core.db.session() as db:
            try:
                found = await public_service.complaint_status(
                    db, self.core, number, str(form.get("pin") or "")
                )
            except NotFound as exc:
                refused = Markup(t(exc.key, **exc.values))
            # A wrong guess is counted in this transaction: kept for the limit.
            await db.commit()
        return self.render(
            "status.html",
            t,
            session,
            number=number if found is None else "",
            found=found,
            refused=refused,
        )

    async def unit_statistics(self, request: Request) -> Response:
        """A unit's public figures for a month, half-year or year (default: the last finished
        half-year); a withheld figure is shown as an empty one."""
        session = self.session_of(request)
        t = self.public_language(request)
        today = self.core.moment().today
        offered = public_service.recent_periods(today)
        default = offered[0]
        given = request.query_params.get("period")
        try:
            period = Period.parse(given, months=True) if given else default
        except Refused as exc:
            return self.render(
                "message.html", t, session, status=400, message=Markup(t(exc.key, **exc.values))
            )
        code = request.path_params["code"][:40]
        async with self.core.db.reading() as db:
            place = await place_by_code(db, code)
            if place is None or place.id is None or place.level != LEVEL_UNIT or not place.active:
                return self.refusal(t, session, NotFound("public.unknown_unit"))
            try:
                figures = await public_service.unit_statistics(db, self.core, place.id, period)
            except NotFound as exc:
                return self.refusal(t, session, exc)
            label = await complaint_service.unit_label(db, place.id)
        return self.render(
            "statistics.html",
            t,
            session,
            unit_label=label,
            figures=figures,
            period=period,
            period_label=period.label(t),
            periods=[period, *(p for p in offered if p != period)],
            lang=request.query_params.get("lang", "")[:12],
        )


async def _bounded_form(request: Request, limit: int, *, max_files: int = 0) -> FormData | None:
    """The form, or None when the body is over `limit` bytes: refused by its Content-Length
    before anything is read, and counted while it is read (a body sent in chunks declares
    none), so that no route reads an unbounded body."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    bounded = Request(request.scope, _bounded_receive(request.receive, limit))
    try:
        return await bounded.form(max_files=max_files, max_fields=50, max_part_size=limit)
    except (_BodyTooLarge, HTTPException):
        return None


def _bounded_receive(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def bounded() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise _BodyTooLarge
        return message

    return bounded


def _address(request: Request) -> str | None:
    """The client's address: behind nginx, uvicorn takes it from X-Forwarded-For (it trusts
    that header from 127.0.0.1 only, FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else None


def _int(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit() or len(value.strip()) > 12:
        return None
    return int(value.strip())
