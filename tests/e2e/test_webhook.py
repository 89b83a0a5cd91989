"""Webhook workers: two of them behind a load balancer on one database, fed by the emulator as
Telegram feeds a webhook. Nothing lost, nothing doubled, flows and flood counts shared, jobs done
once, the secret checked, 200 only after commit, and a SIGTERM in a burst loses nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import event, func
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState, Session
from sqlmodel import select

from bot.config import Settings
from bot.sandbox.balancer import Balancer, free_port
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import replies_settled
from bot.services.programs import ProgramSpec, create_program
from bot.storage.complaints import Complaint
from bot.storage.db import Database, SchemaBehind
from bot.storage.models import OutboxMessage, ProcessedUpdate
from bot.storage.places import place_by_code
from bot.storage.programs import DueItem, Participant
from bot.webhook import SECRET_HEADER, WebhookWorker
from tests.e2e.helpers import onboard, say, send, step, tap

SECRET = "test-secret-0123456789abcdef"
PATH = "/telegram/suara"


class Pair:
    """The emulator, a balancer and two workers, as a deployment with two machines."""

    def __init__(self, database_url: str, **settings: Any) -> None:
        self.emulator = BotApiEmulator()
        self.emulator.webhook_retry = 0.2
        self.balancer = Balancer([])
        self.database_url = database_url
        self.extra = settings
        self.workers: list[WebhookWorker] = []

    def settings(self, public_url: str) -> Settings:
        values: dict[str, Any] = {
            "BOT_ADMIN_IDS": "9001",
            "FLOOD_MESSAGES_PER_MINUTE": "10000",
            "DIGEST_SCHEDULE": "off",
            **self.extra,
        }
        return Settings(
            TELEGRAM_BOT_TOKEN=SecretStr(self.emulator.token),
            TELEGRAM_API_BASE_URL=self.emulator.base_url,
            DATABASE_URL=self.database_url,
            WEBHOOK_URL=public_url + PATH,
            WEBHOOK_SECRET=SecretStr(SECRET),
            WEBHOOK_LISTEN="127.0.0.1:0",
            **values,
        )

    async def start(self) -> None:
        await self.emulator.start()
        public = await self.balancer.start()
        for _ in range(2):
            worker = WebhookWorker(self.settings(public))
            await worker.start(register=False)
            self.workers.append(worker)
        self.balancer.upstreams = [f"http://127.0.0.1:{w.port}" for w in self.workers]
        await self.workers[0].register()
        db = self.db
        self.emulator.settle = lambda: replies_settled(db)

    async def close(self) -> None:
        for worker in self.workers:
            await worker.stop()
        await self.balancer.close()
        await self.emulator.close()

    @property
    def db(self) -> Database:
        return self.workers[0].application.bot_data.db


@pytest.fixture
async def pair(database_url: str) -> AsyncIterator[Pair]:
    running = Pair(database_url)
    await running.start()
    try:
        yield running
    finally:
        await running.close()


async def _file(emu: BotApiEmulator, citizen: Persona) -> str:
    """A whole complaint, step by step; returns its tracking number."""
    await say(emu, citizen, "/lapor")
    await tap(emu, citizen, "Administrasi Kependudukan")
    await say(emu, citizen, "kependudukan lampung selatan")
    await tap(emu, citizen, "Dinas Kependudukan dan Pencatatan Sipil · Kab. Lampung Selatan")
    await say(emu, citizen, "KTP elektronik saya sudah tiga bulan belum selesai dibuat di loket.")
    await send(emu, citizen, lambda: emu.send_photo(citizen))
    await tap(emu, citizen, step("c", "files", "done"))
    await send(emu, citizen, lambda: emu.send_location(citizen, -5.7256, 105.5923))
    await tap(emu, citizen, step("c", "date", "0"))
    await tap(emu, citizen, step("c", "priv", "rahasia"))
    before = len(emu.events(citizen))
    await tap(emu, citizen, step("c", "sum", "send"))
    # The tracking number comes through the outbox, sent by whichever worker holds it.
    await emu.wait_until(lambda: "Nomor tiket" in " ".join(emu.texts(citizen, before)))
    answer = next(t for t in emu.texts(citizen, before) if "Nomor tiket" in t)
    return answer.split("Nomor tiket: ")[1].split()[0]


async def test_two_workers_share_flows_and_apply_every_update_once(pair: Pair) -> None:
    emu = pair.emulator
    # One citizen alone: the balancer alternates, so each step of her complaint is taken by
    # the other worker than the step before, which reads where she is from the database.
    siti = emu.user(701, "Siti", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti)
    assert all(count > 5 for count in pair.balancer.served.values())
    assert len(pair.balancer.served) == 2

    # Eight citizens at once, their updates interleaved across both workers.
    crowd = [emu.user(710 + n, f"Warga {n}", "id") for n in range(8)]

    async def one(citizen: Persona) -> str:
        await onboard(emu, citizen)
        return await _file(emu, citizen)

    tickets = await asyncio.gather(*(one(citizen) for citizen in crowd))
    assert len(set([ticket, *tickets])) == 9

    async with pair.db.session() as session:
        complaints = (await session.exec(select(func.count()).select_from(Complaint))).one()
        processed = (await session.exec(select(func.count()).select_from(ProcessedUpdate))).one()
    assert complaints == 9
    # Every update was answered 200 once and recorded once; none needed a second try.
    statuses = Counter(status for _, status in emu.webhook_posts)
    assert statuses == {200: processed}
    assert len({update_id for update_id, _ in emu.webhook_posts}) == processed
    for citizen in [siti, *crowd]:
        assert sum("Nomor tiket" in t for t in emu.texts(citizen)) == 1
    assert emu.rejected == []


async def test_a_flood_is_counted_across_workers(database_url: str) -> None:
    pair = Pair(database_url, FLOOD_MESSAGES_PER_MINUTE="5")
    await pair.start()
    try:
        emu = pair.emulator
        siti = emu.user(720, "Siti", "id")
        ids = [emu.send_text(siti, "/bantuan") for _ in range(12)]
        await emu.wait_acknowledged(ids[-1], timeout=30)
        texts = emu.texts(siti)
        # Twelve messages shared by two workers: five answers and one warning in all, as
        # one process would give.
        assert sum("terlalu banyak" in t for t in texts) == 1
        assert sum("/lapor" in t for t in texts) == 5
        assert len(pair.balancer.served) == 2
    finally:
        await pair.close()


async def test_scheduled_work_is_done_once(pair: Pair) -> None:
    emu = pair.emulator
    # A training that ended at 09:00 WIB on a Wednesday; both workers' clocks say 10:00.
    ended = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
    people = [emu.user(730 + n, f"Peserta {n}", "id") for n in range(20)]
    # The clocks first: a worker's own due-work job (every 30 s) must never see the program
    # by today's real date, long after its window closed.
    for worker in pair.workers:
        worker.application.bot_data.clock = lambda: ended + dt.timedelta(hours=1)
    async with pair.db.session() as session:
        unit = await place_by_code(session, "LPG-PROV-BPSDM")
        assert unit is not None and unit.id is not None
        program = await create_program(
            session,
            spec=ProgramSpec(
                title="Pelatihan Pelayanan Prima",
                unit_id=unit.id,
                starts_at=ended - dt.timedelta(days=2),
                ends_at=ended,
            ),
            caller=None,
            now=ended - dt.timedelta(days=3),
        )
        session.add_all(Participant(program_id=program.id or 0, user_id=p.id) for p in people)
        await session.commit()
    # Both workers run the due-work and outbox jobs, and both are nudged at once.
    from bot.jobs.feedback import run_due

    await asyncio.gather(*(run_due(w.application.bot_data) for w in pair.workers))
    await asyncio.gather(*(w.application.bot_data.outbox.drain() for w in pair.workers))
    await emu.wait_until(lambda: all(emu.events(p) for p in people), timeout=30)
    await asyncio.sleep(1.5)  # time for any second copy to arrive
    for person in people:
        assert len(emu.events(person)) == 1, person.id
        assert "Pelatihan Pelayanan Prima" in emu.events(person)[0].text
    async with pair.db.session() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
        dispatch = (await session.exec(select(DueItem).where(DueItem.kind == "dispatch"))).one()
    assert len(rows) == 20 and all(row.status == "sent" and row.attempts == 1 for row in rows)
    assert dispatch.done_at is not None


async def test_only_telegram_may_post(pair: Pair) -> None:
    url = pair.balancer.upstreams[0] + PATH
    pair.emulator.user(740, "Mallory", "id")
    update = {
        "update_id": 99_001,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 740, "type": "private"},
            "from": {"id": 740, "is_bot": False, "first_name": "Mallory"},
            "text": "/start",
        },
    }
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}):
            async with http.post(url, json=update, headers=headers) as answer:
                assert answer.status == 403
        oversized = b'{"update_id": 1, "padding": "' + b"<&>" * 400_000 + b'"}'
        async with http.post(
            url, data=io.BytesIO(oversized), headers={SECRET_HEADER: SECRET}
        ) as answer:
            assert answer.status == 413
        for body in (b"{not json", b"null", b"[1]", b'{"message": {}}'):
            async with http.post(url, data=body, headers={SECRET_HEADER: SECRET}) as answer:
                assert answer.status == 400, body
        async with http.get(pair.balancer.upstreams[0] + "/healthz") as answer:
            assert answer.status == 200
        async with http.get(pair.balancer.upstreams[0] + "/readyz") as answer:
            assert answer.status == 200
        # The same update, signed: applied (a reply goes out) and recorded.
        async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as answer:
            assert answer.status == 200
    assert pair.emulator.events(740)
    async with pair.db.session() as session:
        assert await session.get(ProcessedUpdate, 99_001) is not None
        assert await session.get(ProcessedUpdate, 99_002) is None


@contextmanager
def commit_fails_once(user_id: int) -> Iterator[list[int]]:
    """The database fails the commit of this user's next update once, as a dropped connection
    would."""
    failed: list[int] = []

    def recorded(execution: ORMExecuteState) -> None:
        # The gate records an update with a Core insert into processed_updates.
        table = getattr(execution.statement, "table", None)
        params = execution.parameters
        if getattr(table, "name", "") == "processed_updates" and isinstance(params, dict):
            if params.get("user_id") == user_id:
                execution.session.info["recorded_update"] = params["update_id"]

    def before_commit(session: Session) -> None:
        update_id = session.info.pop("recorded_update", None)
        if failed or update_id is None:
            return
        failed.append(update_id)
        raise OperationalError("COMMIT", {}, ConnectionError("connection lost"))

    event.listen(Session, "do_orm_execute", recorded)
    event.listen(Session, "before_commit", before_commit)
    try:
        yield failed
    finally:
        event.remove(Session, "before_commit", before_commit)
        event.remove(Session, "do_orm_execute", recorded)


async def test_a_failed_update_is_answered_500_and_applied_once_when_sent_again(
    pair: Pair,
) -> None:
    emu = pair.emulator
    siti = emu.user(750, "Siti", "id")
    await onboard(emu, siti)
    await say(emu, siti, "/lapor")
    before = len(emu.events(siti))
    message = emu.last_with_buttons(siti)
    with commit_fails_once(siti.id) as failed:
        update_id = emu.press(siti, message, "Administrasi Kependudukan")
        await emu.wait_acknowledged(update_id, timeout=30)
    assert failed == [update_id]
    assert [status for uid, status in emu.webhook_posts if uid == update_id] == [500, 200]
    # The step was applied once: one question about the province, not two.
    asked = [t for t in emu.texts(siti, before) if "Langkah 2 dari 7" in t]
    assert len(asked) == 1, emu.texts(siti, before)


async def test_a_worker_refuses_an_older_schema(database_url: str) -> None:
    emu = BotApiEmulator()
    await emu.start()
    try:
        settings = Settings(
            TELEGRAM_BOT_TOKEN=SecretStr(emu.token),
            TELEGRAM_API_BASE_URL=emu.base_url,
            DATABASE_URL=database_url,
            WEBHOOK_URL="https://suara.example.go.id" + PATH,
            WEBHOOK_SECRET=SecretStr(SECRET),
            WEBHOOK_LISTEN="127.0.0.1:0",
            AUTO_MIGRATE="false",
        )
        worker = WebhookWorker(settings)
        with pytest.raises(SchemaBehind, match="python -m bot migrate"):
            await worker.start()
        await worker.application.bot_data.db.dispose()
        assert emu.webhook is None  # nothing registered
    finally:
        await emu.close()


async def _ready(ports: list[int], timeout: float = 60) -> None:
    """Waits until every worker says it is ready (as a balancer's health check would)."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiohttp.ClientSession() as http:
        for port in ports:
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as answer:
                        if answer.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                assert asyncio.get_running_loop().time() < deadline, "worker not ready"
                await asyncio.sleep(0.1)


async def test_sigterm_during_a_burst_loses_nothing(database_url: str) -> None:
    emu = BotApiEmulator()
    emu.webhook_retry = 0.2
    await emu.start()
    ports = [free_port(), free_port()]
    balancer = Balancer([f"http://127.0.0.1:{port}" for port in ports])
    public = await balancer.start()
    db = Database(database_url)
    await db.migrate()  # the deploy step; the workers only check the schema

    def start(port: int) -> Any:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": emu.token,
            "TELEGRAM_API_BASE_URL": emu.base_url,
            "DATABASE_URL": database_url,
            "WEBHOOK_URL": public + PATH,
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            "AUTO_MIGRATE": "false",
            "DIGEST_SCHEDULE": "off",
            "FLOOD_MESSAGES_PER_MINUTE": "10000",
            "LOG_LEVEL": "INFO",
        }
        return asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip

    first, second = await start(ports[0]), await start(ports[1])
    try:
        try:
            await _ready(ports)
        except AssertionError:
            for process in (first, second):
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                _, err = await asyncio.wait_for(process.communicate(), 60)
                print(err.decode()[-3000:])
            raise
        await emu.wait_until(lambda: emu.webhook is not None, timeout=10)
        people = [emu.user(760 + n, f"Warga {n}", "id") for n in range(20)]
        emu.settle = lambda: replies_settled(db)
        ids: list[int] = []
        for round_ in range(10):
            ids += [emu.send_text(person, "/bantuan") for person in people]
            if round_ == 3:
                await emu.wait_until(lambda n=ids[30]: emu.acknowledged >= n, timeout=30)
                first.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.05)
        await emu.wait_acknowledged(ids[-1], timeout=60)
        _, stderr = await asyncio.wait_for(first.communicate(), 60)
        assert first.returncode == 0, stderr.decode()[-2000:]
        assert "finishing" in stderr.decode()
        for person in people:
            answers = [t for t in emu.texts(person) if "/lapor" in t]
            assert len(answers) == 10, (person.id, len(answers))
        async with db.session() as session:
            processed = (
                await session.exec(select(func.count()).select_from(ProcessedUpdate))
            ).one()
        assert processed == 200
    finally:
        for process in (first, second):
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.communicate(), 60)
        await balancer.close()
        await db.dispose()
        await emu.close()
