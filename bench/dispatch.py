"""How long sending a program's questionnaire takes the database: N participants invited
(responses opened, reminders scheduled, invitations written to the outbox) on SQLite or on
DATABASE_URL, in batches of 200 per transaction. Reports; never asserts.

    python bench/dispatch.py [--participants 5000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.i18n import Texts
from bot.notify import deliver
from bot.services import feedback
from bot.services.programs import ProgramSpec, create_program
from bot.services.questionnaires import seed_templates
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from bot.storage.programs import DueItem, Participant

WIB = ZoneInfo("Asia/Jakarta")


async def main(participants: int, url: str) -> None:
    db = Database(url)
    await db.migrate()
    texts = Texts("id", WIB)
    rules = feedback.Rules(
        reminder_hours=(24, 72), sending_hours=(dt.time(8), dt.time(20)), default_tz=WIB
    )
    ended = dt.datetime(2026, 11, 20, 15, 0, tzinfo=WIB)
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        unit = await place_by_code(session, "LPG-PROV-BPSDM")
        assert unit is not None and unit.id is not None
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
        session.add_all(
            Participant(program_id=program.id or 0, user_id=10**9 + n) for n in range(participants)
        )
        await session.commit()
    batches: list[float] = []
    started = time.perf_counter()
    while True:
        began = time.perf_counter()
        async with db.session() as session:
            item = (await session.exec(select(DueItem).where(DueItem.kind == "dispatch"))).one()
            notices, done = await feedback.run(
                session, item, now=ended + dt.timedelta(minutes=1), rules=rules
            )
            await deliver(session, texts, notices)
            await session.commit()
        batches.append(time.perf_counter() - began)
        if done:
            break
    total = time.perf_counter() - started
    print(f"participants invited            {participants:>8}")
    print(f"transactions                    {len(batches):>8}")
    print(f"longest transaction (write lock) {max(batches) * 1000:>7.0f} ms")
    rate = participants / total
    print(f"total                           {total:>8.2f} s  ({rate:,.0f} invitations/s)")
    minutes = participants / 25 / 60
    print(f"sending them at 25/s takes      {minutes:>8.1f} min (Telegram's ceiling)")
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=5000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(main(args.participants, url))
