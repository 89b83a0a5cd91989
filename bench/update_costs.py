"""What one update costs the database, per kind of update: SQL statements and round trips.

Run through `python bench/updates.py --only profile [--sql] [--database-url URL]`. The bot runs
in this process against the emulator (bot/sandbox/harness.py), so SQLAlchemy's cursor events
see every statement the gate and the handlers send (see `Counted` for what a statement and
a round trip are). Each kind is measured over several users, one update at a time
(each acknowledged before the next is sent), so a statement belongs to the update it served
(the scheduled jobs are paused while they run).
The CPU this process spent per update is printed too; it includes the emulator's share, which
`--only cost` leaves out: compare kinds with it, not with the floor.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite
import updates
from sqlalchemy import event
from sqlmodel import select

from bot.buttons import FlowStep
from bot.config import load_settings
from bot.i18n import Texts
from bot.notify import deliver
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.services import feedback
from bot.services.programs import ProgramSpec, create_program
from bot.storage.db import Database
from bot.storage.places import place_by_code
from bot.storage.programs import DueItem, Participant

WIB = ZoneInfo("Asia/Jakarta")
FIRST = 700_000


def _in_gate() -> bool:
    """Whether the running task is the gate applying updates (not a job, not the emulator)."""
    task = asyncio.current_task()
    coro = task.get_coro() if task is not None else None
    return getattr(coro, "__qualname__", "") == "UpdateGate._process_group"


@dataclass
class Counted:
    """The statements the database ran, and the trips to it, while the counter is on.

    A statement is one the cursor events see, or a BEGIN, COMMIT or ROLLBACK (seen by the
    engine's events: bot/storage/sqlite_driver.py sends the BEGIN with the transaction's first
    statement, so no cursor event sees it there). A trip on SQLite is a call run on
    aiosqlite's thread (counted where aiosqlite queues it); on PostgreSQL each statement is
    one exchange with the server."""

    statements: list[str] = field(default_factory=list)
    trips: int = 0
    on: bool = False
    sqlite: bool = False

    def listen(self, engine: Any) -> None:
        @event.listens_for(engine, "before_cursor_execute")
        def _statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if self.on and _in_gate() and statement != "BEGIN IMMEDIATE":
                self.statements.append(" ".join(statement.split()))

        for name in ("begin", "commit", "rollback"):
            event.listen(engine, name, self._marker(name.upper()))
        if engine.dialect.name == "sqlite":
            self.sqlite = True
            self._count_trips()

    def _marker(self, word: str) -> Callable[[Any], None]:
        def mark(_conn: Any) -> None:
            if self.on and _in_gate():
                self.statements.append(word)

        return mark

    def _count_trips(self) -> None:
        queue_call = aiosqlite.Connection._execute

        async def counted(connection: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            if self.on and _in_gate():
                self.trips += 1
            return await queue_call(connection, fn, *args, **kwargs)

        aiosqlite.Connection._execute = counted  # type: ignore[method-assign]

    def reset(self) -> None:
        self.statements.clear()
        self.trips = 0

    @property
    def round_trips(self) -> int:
        """On SQLite the trips to aiosqlite's thread; elsewhere one per statement."""
        return self.trips if self.sqlite else len(self.statements)


@dataclass
class KindCost:
    kind: str
    updates: int
    statements: float
    round_trips: float
    cpu_ms: float
    sample: list[str]


async def _seed(url: str, users: range) -> None:
    """Consented civil servants (bench/updates.py's seeding), and a training program they
    took part in, ended an hour ago, whose questionnaire was sent to them (the invitations
    wait in the outbox)."""
    await updates.seed(url, users, role="asn")
    db = Database(load_settings(DATABASE_URL=url).database_url)
    now = dt.datetime.now(dt.UTC)
    async with db.session() as session:
        unit = await place_by_code(session, "LPG-PROV-BPSDM")
        assert unit is not None and unit.id is not None
        ended = now - dt.timedelta(hours=1)
        program = await create_program(
            session,
            spec=ProgramSpec(
                title="Bench",
                unit_id=unit.id,
                starts_at=ended - dt.timedelta(days=1),
                ends_at=ended,
            ),
            caller=None,
            now=ended - dt.timedelta(days=2),
        )
        session.add_all(Participant(program_id=program.id or 0, user_id=u) for u in users)
        await session.commit()
        rules = feedback.Rules(
            reminder_hours=(72,), sending_hours=(dt.time(0), dt.time(23, 59)), default_tz=WIB
        )
        done = False
        while not done:
            item = (await session.exec(select(DueItem).where(DueItem.kind == "dispatch"))).one()
            notices, done = await feedback.run(session, item, now=now, rules=rules)
            await deliver(session, Texts("id", WIB), notices)
            await session.commit()
    await db.dispose()


async def _measure(
    emu: BotApiEmulator,
    counter: Counted,
    kind: str,
    users: list[Persona],
    push: Callable[[Persona], int],
    before: Callable[[Persona], Awaitable[None]] | None = None,
) -> KindCost:
    """Each user's update in turn; the counter runs only while the measured update does."""
    statements = trips = 0
    cpu = 0.0
    sample: list[str] = []
    for n, who in enumerate(users):
        if before is not None:
            await before(who)
        counter.reset()
        counter.on = True
        started = time.process_time()
        await emu.wait_acknowledged(push(who), timeout=30)
        cpu += time.process_time() - started
        counter.on = False
        statements += len(counter.statements)
        trips += counter.round_trips
        if n == len(users) - 1:
            sample = list(counter.statements)
    count = len(users)
    return KindCost(kind, count, statements / count, trips / count, cpu / count * 1000, sample)


async def profile(url: str, users_n: int = 20) -> list[KindCost]:
    """Statements and round trips per update, for the kinds the issue names."""
    await _seed(url, range(FIRST, FIRST + users_n))
    harness = Harness(
        url,
        FLOOD_MESSAGES_PER_MINUTE="10000",
        DIGEST_SCHEDULE="off",
        SENDING_HOURS="00:00-23:59",
        TELEGRAM_RATE_LIMITER="off",
    )
    emu = harness.emulator
    users = [emu.user(FIRST + n, f"U{n}", "id") for n in range(users_n)]
    counter = Counted()
    await harness.start()
    try:
        assert harness.runner is not None
        application = harness.runner.application
        counter.listen(application.bot_data.db.engine.sync_engine)
        # No 429s and no outbox look-ups while waiting: only the bot's own statements count.
        emu.global_per_second = emu.chat_burst = 10**9
        emu.settle = None
        # The questionnaire's invitations go out from the outbox first; then the scheduled
        # jobs (outbox, due items, digests) pause, so their statements are not counted.
        await emu.wait_until(lambda: all(emu.messages(u) for u in users), timeout=60)
        assert application.job_queue is not None
        application.job_queue.scheduler.pause()
        warm = users[0]
        await emu.wait_acknowledged(emu.send_text(warm, "/bantuan"), timeout=30)

        async def say(who: Persona, text: str) -> None:
            await emu.wait_acknowledged(emu.send_text(who, text), timeout=30)

        async def fill(who: Persona) -> None:
            invitation = emu.last_with_buttons(who)
            await emu.wait_acknowledged(
                emu.press_data(who, invitation, invitation.buttons[0][1]), timeout=30
            )

        def rate(who: Persona) -> int:
            question = emu.last_with_buttons(who)
            return emu.press_data(who, question, question.buttons[0][1])

        text = "Jalan di depan rumah saya rusak"
        category = FlowStep("c", "cat", "0").pack()

        def bantuan(who: Persona) -> int:
            return emu.send_text(who, "/bantuan")

        def write(who: Persona) -> int:
            return emu.send_text(who, text)

        def pick(who: Persona) -> int:
            return emu.press_data(who, emu.last_message(who), category)

        async def cancel(who: Persona) -> None:
            await say(who, "/batal")

        async def report(who: Persona) -> None:
            await say(who, "/lapor")

        kinds: list[tuple[str, Callable[[Persona], int], Any]] = [
            ("command /bantuan", bantuan, None),
            ("questionnaire answer (a rating)", rate, fill),
            ("free text, no flow (offered as a complaint; most of bench (a))", write, cancel),
            ("free text at the offer", write, None),
            ("flow button: complaint category (bench (b))", pick, report),
        ]
        costs = [await _measure(emu, counter, k, users, p, b) for k, p, b in kinds]
        return costs
    finally:
        await harness.close()


def report(costs: list[KindCost], *, sql: bool) -> None:
    for cost in costs:
        print(
            f"profile {cost.kind}: {cost.statements:.1f} statements, "
            f"{cost.round_trips:.1f} round trips per update ({cost.updates} updates); "
            f"CPU here {cost.cpu_ms:.1f} ms per update, emulator included",
            flush=True,
        )
        if sql:
            shapes = collections.Counter(_shape(s) for s in cost.sample)
            for statement, times in shapes.items():
                print(f"    {times} x {statement}")


def _shape(statement: str, width: int = 150) -> str:
    return statement if len(statement) <= width else statement[: width - 1] + "…"


async def transaction_floor(url: str, rounds: int = 2000) -> dict[str, float]:
    """CPU ms per committed transaction of the gate's minimum (read the update's arrival,
    record it as processed, commit), through the layers in turn: the ORM session as the
    gate uses it, a poll batch's updates in one transaction with a savepoint each,
    SQLAlchemy Core on an async connection, and the sqlite3 module alone (what the same
    work costs without the event loop's thread hops)."""
    import sqlite3

    from sqlalchemy import text

    from bot.storage.types import utcnow
    from bot.storage.updates import FLOOD_WINDOW, arrival, mark_processed

    db = Database(load_settings(DATABASE_URL=url).database_url)
    await db.migrate()
    figures: dict[str, float] = {}
    base = 10**9

    async def gate_minimum(sessions: Callable[[], Any], first: int) -> float:
        started = time.process_time()
        for n in range(first, first + rounds):
            async with sessions() as session:
                await arrival(session, n, FIRST, since=utcnow() - FLOOD_WINDOW)
                await mark_processed(session, n, FIRST)
                await session.commit()
        return (time.process_time() - started) / rounds * 1000

    figures["orm session"] = await gate_minimum(db.session, base)

    async def batch_minimum(first: int, batch: int) -> float:
        """The same work for a poll batch in one transaction, each update in a savepoint
        of its own (so a failed one would roll back alone), one COMMIT for the batch."""
        started = time.process_time()
        for start in range(first, first + rounds, batch):
            async with db.session() as session:
                for n in range(start, start + batch):
                    async with session.begin_nested():
                        await arrival(session, n, FIRST, since=utcnow() - FLOOD_WINDOW)
                        await mark_processed(session, n, FIRST)
                await session.commit()
        return (time.process_time() - started) / rounds * 1000

    for batch in (10, 100):
        figures[f"orm session, batch of {batch} with a savepoint each"] = await batch_minimum(
            base + batch * rounds, batch
        )
    if url.startswith("sqlite"):
        # The same through aiosqlite as SQLAlchemy drives it by itself (four trips a
        # statement), for comparison with bot/storage/sqlite_driver.py.
        from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
        from sqlmodel.ext.asyncio.session import AsyncSession

        from bot.storage.db import _sqlite_write_transactions

        stock = create_async_engine(db.url, connect_args={"timeout": 30})
        _sqlite_write_transactions(stock)
        shipped = async_sessionmaker(stock, class_=AsyncSession, expire_on_commit=False)
        figures["orm session on aiosqlite as shipped"] = await gate_minimum(shipped, base * 2)
        await stock.dispose()

    insert_sql = text(
        "INSERT INTO processed_updates (update_id, processed_at, user_id) VALUES (:u, :at, :who)"
    )
    started = time.process_time()
    for n in range(rounds):
        async with db.engine.begin() as conn:
            await conn.execute(
                text("SELECT 1 FROM processed_updates WHERE update_id = :u"), {"u": n}
            )
            await conn.execute(insert_sql, {"u": base + rounds + n, "at": utcnow(), "who": FIRST})
    figures["core connection"] = (time.process_time() - started) / rounds * 1000
    await db.dispose()

    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        started = time.process_time()
        for n in range(rounds):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("SELECT 1 FROM processed_updates WHERE update_id = ?", (n,)).fetchall()
            conn.execute(
                "INSERT INTO processed_updates (update_id, processed_at, user_id)"
                " VALUES (?, ?, ?)",
                (base + 2 * rounds + n, utcnow().isoformat(), FIRST),
            )
            conn.execute("COMMIT")
        figures["sqlite3 alone"] = (time.process_time() - started) / rounds * 1000
        conn.close()
    return figures
