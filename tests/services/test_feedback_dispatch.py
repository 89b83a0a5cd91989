"""Dispatching a big program: in batches, each participant once, reminders only while open."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import feedback
from bot.services.notices import Notice
from bot.services.programs import ProgramSpec, create_program
from bot.services.questionnaires import seed_templates
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from bot.storage.programs import DueItem, Participant, Program
from bot.storage.questionnaires import Response

WIB = ZoneInfo("Asia/Jakarta")
RULES = feedback.Rules(
    reminder_hours=(24, 72), sending_hours=(dt.time(8), dt.time(20)), default_tz=WIB
)


async def _program(session: AsyncSession, *, ended: dt.datetime, window_days: int = 7) -> Program:
    """A program of a Lampung unit that ended at `ended`, created the day before it did."""
    await seed_places(session)
    await seed_templates(session)
    unit = await place_by_code(session, "LPG-PROV-BPSDM")
    assert unit is not None and unit.id is not None
    return await create_program(
        session,
        spec=ProgramSpec(
            title="Pelatihan Dasar CPNS",
            unit_id=unit.id,
            starts_at=ended - dt.timedelta(hours=6),
            ends_at=ended,
            window_days=window_days,
        ),
        caller=None,
        now=ended - dt.timedelta(days=1),
    )


async def test_a_big_program_goes_out_in_batches_once_each(db: Database) -> None:
    ended = dt.datetime(2026, 11, 20, 21, 30, tzinfo=WIB)  # an evening end
    async with db.session() as session:
        program = await _program(session, ended=ended)
        session.add_all(
            Participant(program_id=program.id or 0, user_id=10_000 + n) for n in range(1_200)
        )
        await session.commit()

    sizes: list[int] = []
    first: list[Notice] = []
    now = ended + dt.timedelta(minutes=1)
    async with db.session() as session:
        item = (await session.exec(select(DueItem).where(DueItem.kind == "dispatch"))).one()
        for _ in range(10):
            notices, done = await feedback.run(session, item, now=now, rules=RULES)
            sizes.append(len(notices))
            first = first if sizes[1:] else notices
            if done:
                break
        await session.commit()
        responses = (await session.exec(select(func.count()).select_from(Response))).one()
        reminders = (
            await session.exec(select(func.count()).where(col(DueItem.kind) == "remind"))
        ).one()
        again, _ = await feedback.run(session, item, now=now, rules=RULES)
    assert sizes == [200] * 6 + [0]
    assert responses == 1_200 and reminders == 2_400 and again == []
    # Ended at 21:30 WIB: the questionnaire waits for 08:00 the next morning.
    assert first[0].not_before == dt.datetime(2026, 11, 21, 8, tzinfo=WIB)


async def test_no_reminder_after_the_window_or_after_closing(db: Database) -> None:
    ended = dt.datetime(2026, 11, 2, 15, 0, tzinfo=WIB)
    async with db.session() as session:
        program = await _program(session, ended=ended, window_days=2)
        session.add(Participant(program_id=program.id or 0, user_id=77))
        await session.flush()
        notices = await feedback.dispatch(
            session, program, now=ended + dt.timedelta(minutes=1), rules=RULES
        )
        assert len(notices) == 1
        second = (await session.exec(_reminder(2))).one()
        # The second reminder (72 h) would come after the 2-day window: not sent.
        late, _ = await feedback.run(session, second, now=second.due_at, rules=RULES)
        assert late == []
        await feedback.close(session, program)
        first = (await session.exec(_reminder(1))).one()
        after_close, _ = await feedback.run(session, first, now=first.due_at, rules=RULES)
        assert after_close == []


def _reminder(number: int):  # type: ignore[no-untyped-def]
    return select(DueItem).where(col(DueItem.kind) == "remind", col(DueItem.number) == number)
