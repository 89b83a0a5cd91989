"""The web workspace at scale: the database of bench/digest.py (1,000,000 questionnaire answers
and 100,000 complaints over a year), then each page's time through the real Starlette app, for
an organizer of the busiest unit and for an admin. Reports wall p50, p95 and max per page beside
the target, the CPU each request cost (this process's, and on PostgreSQL its backends') and the
SQL statements it sent; never asserts. CPU time is what to compare on a machine busy with other
work, where wall time mostly measures the wait for a core.

    python bench/web.py [--database-url URL] [--requests 40] [--reuse]

Target (issue 18 item 10 / issue 21 item 5): the inbox and a program page answer in under
150 ms at p95. The requests go through httpx.ASGITransport into the app WebDoor builds (its
middleware, routes, services and templates, on the real database), in this process, one at a
time: the figures are the server's own work without a network hop or a socket. The program
page `/program/{id}` is timed when the workspace has that route; the services the chat's
/program page calls are timed on the same data either way.

Without --database-url the database is a temporary SQLite file, removed afterwards. With a
PostgreSQL URL the bench fills THAT database (it must be empty, or built by an earlier run
for --reuse) and leaves it filled for --reuse: drop it afterwards (`dropdb NAME`). --reuse
applies newer migrations first and, on PostgreSQL, vacuums and analyzes as autovacuum would.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx
from sqlalchemy import event, text
from sqlmodel import col, func, select
from starlette.routing import Match
from telegram import Bot

from bot.config import load_settings
from bot.core import Core, build_core
from bot.services import level3
from bot.services import programs as program_service
from bot.services.complaints import unit_label
from bot.services.inbox import PAGE_SIZE, STATE_FILTERS
from bot.services.questionnaires import items, template_of
from bot.storage.complaints import BARU, Complaint
from bot.storage.db import Database
from bot.storage.places import OrganizerUnit
from bot.storage.programs import Participant, Program
from bot.storage.questionnaires import Answer, Response
from bot.web.app import COOKIE, WebDoor
from bot.web.auth import WebSession

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digest import CATEGORIES, FUNCTION_WORDS, NOW, WORDS, build_database, server_cpu

TARGET_MS = 150.0
ADMIN_ID = 1
ORGANIZER_ID = 4_000_001
TOKEN = "123456:web-bench-token"
WARM_UP = 3

# The pages timed, for each person: a name and a path whose {fields} come from the data
# (`Sample`). A path whose route the workspace lacks is skipped with a line saying so.
PAGES: tuple[tuple[str, str], ...] = (
    ("inbox, default filter (open)", "/aduan"),
    *((f"inbox, state={name}", f"/aduan?state={name}") for name in STATE_FILTERS),
    ("inbox, overdue", "/aduan?overdue=1"),
    ("inbox, a category", "/aduan?category={category}"),
    ("inbox, search by number", "/aduan?state=all&q={ticket}"),
    ("inbox, search by words", "/aduan?state=all&q={words}"),
    ("inbox, search by a common word", "/aduan?state=all&q={common}"),
    ("inbox, all, page 1", "/aduan?state=all&page=1"),
    ("inbox, all, middle page", "/aduan?state=all&page={middle}"),
    ("inbox, all, last page", "/aduan?state=all&page={last}"),
    ("complaint page", "/aduan/{complaint}"),
    ("program page", "/program/{program}"),
)
PEOPLE = {"organizer": ORGANIZER_ID, "admin": ADMIN_ID}


@dataclass(frozen=True)
class Sample:
    """The records the pages name, from the database as filled."""

    unit_id: int
    complaint_id: int
    ticket: str
    program_id: int
    last: dict[str, int]  # the last page of "all" for each person

    def fields(self, who: str) -> dict[str, str]:
        last = self.last[who]
        return {
            "category": quote_plus(CATEGORIES[1]),
            "ticket": quote_plus(self.ticket),
            # Two of the domain's words (about 1% of descriptions hold both), and a function
            # word in about a third of them: the search's usual case and its worst.
            "words": quote_plus(f"{WORDS[7]} {WORDS[8]}"),
            "common": quote_plus(FUNCTION_WORDS[4]),
            "middle": str(max(1, last // 2)),
            "last": str(last),
            "complaint": str(self.complaint_id),
            "program": str(self.program_id),
        }


@dataclass(frozen=True)
class Figures:
    name: str
    who: str
    times_ms: list[float]  # wall time per request
    cpu_ms: list[float]  # this process's CPU per request (the app, and SQLite's work)
    server_cpu_ms: float | None  # PostgreSQL's backends, per request on average
    statements: int

    @property
    def p95(self) -> float:
        return _percentile(sorted(self.times_ms), 0.95)

    def line(self) -> str:
        ordered = sorted(self.times_ms)
        cpu = sorted(self.cpu_ms)
        server = "" if self.server_cpu_ms is None else f" + server {self.server_cpu_ms:5.1f}"
        verdict = "met" if self.p95 < TARGET_MS else "NOT met"
        return (
            f"{self.who:9} {self.name:34} p50 {statistics.median(ordered):6.1f} ms  "
            f"p95 {self.p95:6.1f} ms  max {ordered[-1]:6.1f} ms  "
            f"CPU p50 {statistics.median(cpu):5.1f} p95 {_percentile(cpu, 0.95):5.1f}{server} ms"
            f"  {self.statements:3} SQL  (target p95 < {TARGET_MS:.0f} ms: {verdict})"
        )


def _percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def sample(core: Core) -> Sample:
    """The busiest unit (its organizer is the bench's), one of its new complaints and one of
    its programs, and where each person's list of every complaint ends."""
    async with core.db.session() as session:
        busiest = (
            await session.exec(
                select(Complaint.unit_id, func.count())
                .group_by(col(Complaint.unit_id))
                .order_by(func.count().desc())
                .limit(1)
            )
        ).first()
        assert busiest is not None, "the database has no complaints"
        unit_id, in_unit = int(busiest[0]), int(busiest[1])
        complaint = (
            await session.exec(
                select(Complaint)
                .where(col(Complaint.unit_id) == unit_id, col(Complaint.state) == BARU)
                .order_by(col(Complaint.id))
                .limit(1)
            )
        ).first()
        program = (
            await session.exec(
                select(Program).where(col(Program.unit_id) == unit_id).order_by(col(Program.id))
            )
        ).first()
        assert complaint is not None and complaint.id is not None and complaint.ticket
        assert program is not None and program.id is not None, "the unit has no program"
        total = int((await session.exec(select(func.count()).select_from(Complaint))).one())
        if await session.get(OrganizerUnit, (ORGANIZER_ID, unit_id)) is None:
            session.add(OrganizerUnit(user_id=ORGANIZER_ID, unit_id=unit_id, added_by=ADMIN_ID))
            await session.commit()
    return Sample(
        unit_id=unit_id,
        complaint_id=complaint.id,
        ticket=complaint.ticket,
        program_id=program.id,
        last={"organizer": _pages(in_unit), "admin": _pages(total)},
    )


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


async def row_counts(core: Core) -> dict[str, int]:
    tables: dict[str, Any] = {
        "complaints": Complaint,
        "answers": Answer,
        "responses": Response,
        "programs": Program,
        "participants": Participant,
    }
    async with core.db.session() as session:
        return {
            name: int((await session.exec(select(func.count()).select_from(table))).one())
            for name, table in tables.items()
        }


def has_route(door: WebDoor, path: str) -> bool:
    scope = {"type": "http", "method": "GET", "path": path.split("?")[0]}
    return any(route.matches(scope)[0] is Match.FULL for route in door.app.routes)


class Timer:
    """Times one page or call: wall and CPU time per request, the SQL statements of one
    request, and on PostgreSQL the CPU its backends spent (read from /proc: the server runs on
    this machine), so that a machine busy with other work still shows what a page costs."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.statements = 0
        event.listen(core.db.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: object) -> None:
        self.statements += 1

    async def run(
        self, name: str, who: str, call: Callable[[], Awaitable[object]], requests: int
    ) -> Figures:
        for _ in range(WARM_UP):
            await call()
        before = self.statements
        await call()
        statements = self.statements - before
        server_before = await server_cpu(self.core.db)
        times, cpu = [], []
        for _ in range(requests):
            started, started_cpu = time.perf_counter(), time.process_time()
            await call()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        server_after = await server_cpu(self.core.db)
        server: float | None = None
        if server_before is not None and server_after is not None:
            spent = sum(t - server_before.get(pid, 0.0) for pid, t in server_after.items())
            server = spent * 1000 / requests
        return Figures(name, who, times, cpu, server, statements)


def _getter(client: httpx.AsyncClient, path: str) -> Callable[[], Awaitable[object]]:
    async def get() -> httpx.Response:
        response = await client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        return response

    return get


async def chat_program_page(core: Core, program_id: int) -> None:
    """What the chat's program page (bot/handlers/programs.py `_page`) asks of the services,
    in one session as the handler's update has."""
    async with core.db.session() as session:
        program = await program_service.managed(session, None, program_id)
        assert program.id is not None
        found = await program_service.figures(session, program)
        await unit_label(session, program.unit_id)
        if not found.withheld:
            items(await template_of(session, program.template_id), program.instructors)
        await level3.results(session, [program.id])
        await program_service.has_answers(session, program.id)


async def program_figures(core: Core, program_id: int) -> None:
    async with core.db.session() as session:
        program = await program_service.managed(session, None, program_id)
        await program_service.figures(session, program)


async def measure(url: str, requests: int) -> list[Figures]:
    settings = load_settings(
        DATABASE_URL=url, BOT_ADMIN_IDS=str(ADMIN_ID), TELEGRAM_BOT_TOKEN=TOKEN
    )
    core = build_core(settings, analyzer=False)
    core.clock = lambda: NOW
    # The pages never reach Telegram (only the attachment route does), so the bot is offline.
    door = WebDoor(core, Bot(TOKEN))
    found = await sample(core)
    counts = await row_counts(core)
    timer = Timer(core)
    print(
        "rows: "
        + ", ".join(f"{name} {n:,}" for name, n in counts.items())
        + f"; the organizer's unit {found.unit_id} has {found.last['organizer'] * PAGE_SIZE:,}"
        " complaints at most",
        flush=True,
    )
    results: list[Figures] = []
    transport = httpx.ASGITransport(app=door.app)
    for who, user_id in PEOPLE.items():
        cookie = door.signer.dump(WebSession.new(user_id, now=time.time(), seconds=86_400))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", cookies={COOKIE: cookie}
        ) as client:
            for name, template in PAGES:
                path = template.format(**found.fields(who))
                if not has_route(door, path):
                    print(f"{who:9} {name:34} skipped: the workspace has no route {template}")
                    continue
                status = (await client.get(path)).status_code
                if status != 200:
                    print(f"{who:9} {name:34} skipped: {path} answered {status}")
                    continue
                results.append(await timer.run(name, who, _getter(client, path), requests))
                print(results[-1].line(), flush=True)
    for name, call in (
        ("chat /program page (services)", lambda: chat_program_page(core, found.program_id)),
        ("programs.figures alone", lambda: program_figures(core, found.program_id)),
    ):
        results.append(await timer.run(name, "service", call, requests))
        print(results[-1].line(), flush=True)
    await core.close()
    return results


async def catch_up(url: str) -> None:
    """A database built by an earlier run gets the newer migrations (indexes, say); on
    PostgreSQL the complaints are vacuumed and analyzed, as autovacuum does soon after a load
    this size (its visibility map lets the inbox's counts read the index alone)."""
    db = Database(url)
    await db.migrate()
    if db.is_postgresql:
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE complaints"))
    await db.optimize()
    await db.dispose()


async def versions(url: str) -> str:
    parts = [
        f"{os.cpu_count()} cores",
        platform.machine(),
        f"Linux {platform.release()}",
        f"Python {platform.python_version()}",
    ]
    if url.startswith("postgresql"):
        core = build_core(load_settings(DATABASE_URL=url), analyzer=False)
        async with core.db.engine.connect() as conn:
            server = (await conn.execute(text("SHOW server_version"))).scalar_one()
        await core.close()
        parts.append(f"PostgreSQL {server}")
    else:
        parts.append(f"SQLite {sqlite3.sqlite_version}")
    for package in ("sqlalchemy", "sqlmodel", "starlette", "jinja2", "httpx"):
        parts.append(f"{package} {metadata.version(package)}")
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="measure a database built before")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'web-bench.db'}"
        url = load_settings(DATABASE_URL=url).database_url
        if not args.reuse:
            started = time.perf_counter()
            asyncio.run(build_database(url, args.answers, args.complaints))
            print(f"database built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        asyncio.run(catch_up(url))
        print(asyncio.run(versions(url)))
        engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"web {engine}, {args.requests} timed requests per page after {WARM_UP} warm-ups")
        results = asyncio.run(measure(url, args.requests))
        over = [f for f in results if f.p95 >= TARGET_MS]
        print(f"web {engine}: {len(results) - len(over)} of {len(results)} under the target")


if __name__ == "__main__":
    main()
