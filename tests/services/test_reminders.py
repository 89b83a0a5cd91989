"""The daily deadline pass: reminders once a working day, escalation once, waiting ones closed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.i18n import Texts
from bot.notify import render
from bot.services.access import Access
from bot.services.complaints import Clock, Draft, act, file_complaint
from bot.services.deadlines import WorkingCalendar
from bot.services.reminders import run_deadlines
from bot.storage.complaints import Complaint
from bot.storage.db import Database
from bot.storage.places import assign_organizer, place_by_code, seed_places

JAKARTA = ZoneInfo("Asia/Jakarta")
ORGANIZER, ADMIN, CITIZEN = 71, 99, 55


def _clock(day: dt.date, hour: int = 9) -> Clock:
    moment = dt.datetime.combine(day, dt.time(hour), JAKARTA).astimezone(dt.UTC)
    return Clock(JAKARTA, WorkingCalendar(), moment)


async def _complaint(db: Database, filed: dt.date) -> int:
    async with db.session() as session:
        await seed_places(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        assert unit is not None and unit.id is not None
        await assign_organizer(session, user_id=ORGANIZER, unit_id=unit.id, added_by=ADMIN)
        complaint, notices = await file_complaint(
            session,
            reporter_id=CITIZEN,
            reporter_name="Siti",
            draft=Draft("Lainnya", unit.id, "x" * 30, "rahasia", []),
            clock=_clock(filed),
            daily_limit=5,
        )
        await session.commit()
    assert [n.user_id for n in notices] == [ORGANIZER]
    assert complaint.id is not None
    return complaint.id


async def _run(db: Database, day: dt.date) -> list[tuple[int, str]]:
    async with db.session() as session:
        notices = await run_deadlines(session, clock=_clock(day), admins=[ADMIN])
        await session.commit()
    return [(n.user_id, n.key) for n in notices]


async def test_overdue_reminders_and_one_escalation(db: Database) -> None:
    # Filed Thursday 26 Nov 2026: verification due 3 working days later, Tuesday 1 Dec.
    complaint_id = await _complaint(db, dt.date(2026, 11, 26))
    assert await _run(db, dt.date(2026, 12, 1)) == []  # due today: not late yet
    late = await _run(db, dt.date(2026, 12, 2))
    assert late == [(ORGANIZER, "organizer.overdue_digest"), (ADMIN, "admin.escalation_digest")]
    assert await _run(db, dt.date(2026, 12, 2)) == []  # once a working day
    assert await _run(db, dt.date(2026, 12, 5)) == []  # Saturday: no reminders
    assert await _run(db, dt.date(2026, 12, 7)) == [(ORGANIZER, "organizer.overdue_digest")]
    async with db.session() as session:
        complaint = await session.get(Complaint, complaint_id)
    assert complaint is not None and complaint.escalated_at is not None


async def test_a_complaint_waiting_ten_working_days_is_closed(db: Database) -> None:
    complaint_id = await _complaint(db, dt.date(2026, 12, 1))
    async with db.session() as session:
        complaint = await session.get(Complaint, complaint_id)
        assert complaint is not None
        await act(
            session,
            _clock(dt.date(2026, 12, 2)),
            caller=Access(ORGANIZER, units=frozenset({complaint.unit_id})),
            complaint_id=complaint_id,
            action="ask",
            note="Nomor antrean?",
        )
        await session.commit()
    # 10 working days after Wed 2 Dec, skipping weekends and 24-25 Dec: Wed 16 Dec.
    assert await _run(db, dt.date(2026, 12, 15)) == []
    assert await _run(db, dt.date(2026, 12, 16)) == [(CITIZEN, "citizen.auto_closed")]
    async with db.session() as session:
        complaint = await session.get(Complaint, complaint_id)
    assert complaint is not None and complaint.state == "selesai"


async def test_one_reminder_per_organizer_lists_every_overdue_complaint(db: Database) -> None:
    first = await _complaint(db, dt.date(2026, 11, 26))
    second = await _complaint(db, dt.date(2026, 11, 26))
    async with db.session() as session:
        notices = await run_deadlines(session, clock=_clock(dt.date(2026, 12, 2)), admins=[])
        await session.commit()
    assert [n.user_id for n in notices] == [ORGANIZER]
    texts = Texts("id", JAKARTA)
    text = render(texts.for_language("id"), notices[0])
    assert text.startswith("⚠️ 2 aduan melewati batas waktu")
    for complaint_id in (first, second):
        assert f"ADU-2026-{complaint_id:06d}" in text
    assert "batas 1 Des 2026" in text and "Dinas Kependudukan" in text
    english = render(texts.for_language("en"), notices[0])
    assert "Complaints past their deadline: 2" in english and "due 1 Dec 2026" in english
