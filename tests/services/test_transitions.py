"""Every state a complaint can reach keeps the deadline LAPOR! gives it, whatever the path."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.services.access import Access
from bot.services.complaints import Clock, Draft, act, add_information, due_date, file_complaint
from bot.services.deadlines import WorkingCalendar
from bot.storage.complaints import MENUNGGU, OPEN_STATES, Complaint
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places

JAKARTA = ZoneInfo("Asia/Jakarta")
CITIZEN, ORGANIZER = 55, 71
MONDAY = dt.date(2026, 11, 2)
# Each path: organizer actions, with "info" standing for the citizen's answer.
PATHS = [
    ["verify", "reply", "close"],
    ["ask", "info", "reply"],  # asked before verifying: the defect of the hostile trial
    ["ask", "info", "verify", "close"],  # an answer before verifying leaves it new
    ["reply", "ask", "info", "close"],
    ["verify", "ask", "info", "ask", "info", "reply"],
    ["forward", "ask", "info", "reject"],
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: "-".join(p))
async def test_every_open_state_has_its_deadline(db: Database, path: list[str]) -> None:
    clock = Clock(JAKARTA, WorkingCalendar(), dt.datetime.combine(MONDAY, dt.time(9), JAKARTA))
    async with db.session() as session:
        await seed_places(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        other = await place_by_code(session, "LSL-DINKES")
        assert unit is not None and unit.id is not None and other is not None
        complaint, _ = await file_complaint(
            session,
            reporter_id=CITIZEN,
            reporter_name="Siti",
            draft=Draft("Lainnya", unit.id, "x" * 30, "rahasia", []),
            clock=clock,
            daily_limit=5,
        )
        assert due_date(complaint) == dt.date(2026, 11, 5)  # 3 working days
        for action in path:
            if action == "info":
                await add_information(
                    session,
                    complaint=complaint,
                    reporter_id=CITIZEN,
                    text="Nomor antrean B-117",
                    attachment=None,
                    clock=clock,
                )
            else:
                await act(
                    session,
                    clock,
                    caller=Access(ORGANIZER, units=frozenset({unit.id, other.id})),
                    complaint_id=complaint.id or 0,
                    action=action,
                    note="Catatan petugas untuk warga.",
                    target_unit_id=other.id if action == "forward" else None,
                )
            _check(complaint)
        await session.commit()


def _check(complaint: Complaint) -> None:
    if complaint.state == MENUNGGU:
        # Waiting for the reporter: closed after 10 working days without an answer.
        assert complaint.waiting_since is not None
    elif complaint.state in OPEN_STATES:
        assert due_date(complaint) is not None, complaint.state
    else:
        assert complaint.closed_at is not None
