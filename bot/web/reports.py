"""The workspace's reports: a week's digest as a page, the IKM per unit and period, and the
year's course, with the files the chat sends for them.

Each route loads the caller afresh and calls one service: `digest_week.for_caller` (the
numbers the weekly digest message is made of, rendered by the same `digest_text.parts`) or
`ikm.page` / `ikm.file_params` (the SKM report's figures and the public month withholding).
The files are built in the response by the chat's own builders (`digest_files`, the SKM
report's `builders.BUILDERS`), in a thread where drawing or laying out takes time.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.i18n import Translator
from bot.reports import digest_text
from bot.reports.builders import BUILDERS
from bot.reports.digest_files import chart_png, workbook_xlsx
from bot.reports.export import week_rows
from bot.reports.trend_chart import trend_png
from bot.services import digest_week
from bot.services import ikm as ikm_service
from bot.services.digest_week import Week
from bot.services.errors import NotFound, Refused
from bot.services.ikm import IkmPage
from bot.web.auth import WebSession

if TYPE_CHECKING:
    from bot.web.app import WebDoor

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = {"png": "image/png", "xlsx": XLSX, "pdf": "application/pdf"}
# Refusals that mean "the caller may not": anything else refused here is bad input (400).
_DENIED = {"access.denied"}


class ReportPages:
    """The routes of the Reports part, on the door's sessions, callers and templates."""

    def __init__(self, door: WebDoor) -> None:
        self.door = door
        self.core = door.core
        # pyplot keeps its figures in one registry: charts are drawn one at a time.
        self._drawing = asyncio.Lock()

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/laporan", self.week, methods=["GET"]),
            Route("/laporan/grafik.png", self.week_chart, methods=["GET"]),
            Route("/laporan/ringkasan.xlsx", self.week_workbook, methods=["GET"]),
            Route("/laporan/ikm", self.ikm, methods=["GET"]),
            Route("/laporan/ikm/tren.png", self.ikm_chart, methods=["GET"]),
            Route("/laporan/ikm/skm.xlsx", self.skm_xlsx, methods=["GET"]),
            Route("/laporan/ikm/skm.pdf", self.skm_pdf, methods=["GET"]),
        ]

    def _refused(self, t: Translator, session: WebSession, exc: Refused) -> Response:
        if isinstance(exc, NotFound) or exc.key in _DENIED:
            return self.door.refusal(t, session, exc)
        return self.door.render(
            "message.html", t, session, status=400, message=Markup(t(exc.key, **exc.values))
        )

    # -- a week's digest ----------------------------------------------------------------------

    async def _week(self, request: Request) -> tuple[WebSession, Translator, Week] | Response:
        """The session, the caller's language and the week asked for, or the answer to give."""
        session = self.door.session_of(request)
        if session is None or not session.user_id:
            return self.door.to_login(request)
        async with self.core.db.session() as db:
            caller, t = await self.door.caller_of(db, session)
            try:
                week = await digest_week.for_caller(
                    db, self.core, caller=caller, week=request.query_params.get("minggu")
                )
            except Refused as exc:
                return self._refused(t, session, exc)
        return session, t, week

    async def week(self, request: Request) -> Response:
        """A week's digest as a page: the message's lines, then its tables."""
        found = await self._week(request)
        if isinstance(found, Response):
            return found
        session, t, week = found
        parts = _marked(digest_text.parts(week.digest, t, week.units))
        today = self.core.moment().today
        return self.door.render(
            "report_week.html",
            t,
            session,
            week=week,
            d=week.digest,
            parts=parts,
            lines=_lines,
            weeks=digest_week.recent(today),
            nav="week",
        )

    async def week_chart(self, request: Request) -> Response:
        """The week's chart, the digest's PNG."""
        found = await self._week(request)
        if isinstance(found, Response):
            return found
        _session, t, week = found
        async with self._drawing:
            data = await asyncio.to_thread(chart_png, week.digest, t)
        return _file(data, f"{digest_week.file_stem(week.digest.period)}.png", inline=True)

    async def week_workbook(self, request: Request) -> Response:
        """The week's workbook, the digest's XLSX (its complaints without who reported)."""
        found = await self._week(request)
        if isinstance(found, Response):
            return found
        _session, t, week = found
        digest = week.digest
        async with self.core.db.session() as db:
            rows = await week_rows(
                db,
                monday=digest.period.monday,
                unit_ids=digest.scope,
                tz=self.core.settings.tz,
                today=self.core.moment().today,
                labels=week.units,
            )
        data = await asyncio.to_thread(workbook_xlsx, digest, t, week.units, rows)
        return _file(data, f"{digest_week.file_stem(digest.period)}.xlsx")

    # -- the IKM ------------------------------------------------------------------------------

    async def _ikm(self, request: Request) -> tuple[WebSession, Translator, IkmPage] | Response:
        session = self.door.session_of(request)
        if session is None or not session.user_id:
            return self.door.to_login(request)
        params = request.query_params
        async with self.core.db.session() as db:
            caller, t = await self.door.caller_of(db, session)
            try:
                page = await ikm_service.page(
                    db,
                    self.core,
                    caller=caller,
                    unit_code=params.get("unit"),
                    period=params.get("period"),
                    t=t,
                )
            except Refused as exc:
                return self._refused(t, session, exc)
        return session, t, page

    async def ikm(self, request: Request) -> Response:
        """The unit's IKM for a finished period, and the last twelve months."""
        found = await self._ikm(request)
        if isinstance(found, Response):
            return found
        session, t, page = found
        return self.door.render(
            "report_ikm.html",
            t,
            session,
            page=page,
            r=page.report,
            quality=lambda grade: t(f"digest.grade_{grade}"),
            nav="ikm",
        )

    async def ikm_chart(self, request: Request) -> Response:
        """The twelve months as a chart; a withheld month is a gap."""
        found = await self._ikm(request)
        if isinstance(found, Response):
            return found
        _session, t, page = found
        async with self._drawing:
            data = await asyncio.to_thread(trend_png, page.months, t, page.scale)
        return _file(data, f"tren-{page.unit_code.lower()}.png", inline=True)

    async def skm_xlsx(self, request: Request) -> Response:
        return await self._skm_file(request, "xlsx")

    async def skm_pdf(self, request: Request) -> Response:
        return await self._skm_file(request, "pdf")

    async def _skm_file(self, request: Request, suffix: str) -> Response:
        """The SKM report file, by the builder that makes the chat's /laporanskm files; the
        download is audited as the chat's request is."""
        session = self.door.session_of(request)
        if session is None or not session.user_id:
            return self.door.to_login(request)
        params = request.query_params
        async with self.core.db.session() as db:
            caller, t = await self.door.caller_of(db, session)
            try:
                kind, build = await ikm_service.file_params(
                    db,
                    self.core,
                    caller=caller,
                    unit_code=params.get("unit"),
                    period=params.get("period"),
                    suffix=suffix,
                )
            except Refused as exc:
                return self._refused(t, session, exc)
            built = await BUILDERS[kind](db, self.core, build, t)
            await db.commit()
        return _file(built.data, built.name)


def _marked(parts: digest_text.Parts) -> digest_text.Parts:
    """The parts as markup: the translator made them, escaping every value in them."""
    return dataclasses.replace(
        parts,
        title=Markup(parts.title),
        nothing=Markup(parts.nothing),
        training=[Markup(block) for block in parts.training],
        complaints=[Markup(line) for line in parts.complaints],
    )


def _lines(block: str) -> list[Markup]:
    """A block of the digest's text as lines; its values were escaped by the translator."""
    return [Markup(line) for line in block.split("\n") if line]


def _file(data: bytes, name: str, *, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(
        data,
        media_type=TYPES[name.rsplit(".", 1)[-1]],
        headers={
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )
