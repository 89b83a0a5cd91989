"""The daily deadline pass over open complaints (Perpres 76/2013 working-day deadlines)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.complaints import Clock, due_date, is_overdue, record_event, unit_label
from bot.services.deadlines import WAITING_CLOSE_DAYS
from bot.services.notices import Key, Notice
from bot.storage import complaints as store
from bot.storage.complaints import MENUNGGU, SELESAI
from bot.storage.places import organizers_of_unit


async def run_deadlines(session: AsyncSession, *, clock: Clock, admins: list[int]) -> list[Notice]:
    """Daily: close complaints left waiting too long, remind units of overdue ones (once a
    working day) and escalate each overdue complaint to the admins once."""
    notices: list[Notice] = []
    today = clock.today
    if not clock.calendar.is_working_day(today):
        return notices
    for complaint in await store.open_complaints(session):
        if complaint.state == MENUNGGU and complaint.waiting_since is not None:
            waited = clock.calendar.working_days_between(complaint.waiting_since, today)
            if waited >= WAITING_CLOSE_DAYS:
                previous = complaint.state
                complaint.state = SELESAI
                complaint.closed_at = clock.now
                complaint.resolution = None
                record_event(
                    session,
                    complaint,
                    actor_id=None,
                    role="system",
                    action="auto_close",
                    previous=previous,
                    to=SELESAI,
                )
                session.add(complaint)
                notices.append(
                    Notice(
                        complaint.reporter_id,
                        "citizen.auto_closed",
                        {"ticket": complaint.ticket, "days": WAITING_CLOSE_DAYS},
                        dedupe_key=f"autoclose:{complaint.id}",
                    )
                )
            continue
        if not is_overdue(complaint, today) or complaint.last_reminded_on == today:
            continue
        complaint.last_reminded_on = today
        session.add(complaint)
        values: dict[str, object] = {
            "ticket": complaint.ticket,
            "state": Key(f"state.{complaint.state}"),
            "due": due_date(complaint),
        }
        button = ((("organizer.open", f"a:o:{complaint.id}"),),)
        for organizer in await organizers_of_unit(session, complaint.unit_id):
            notices.append(
                Notice(
                    organizer,
                    "organizer.overdue_reminder",
                    values,
                    button,
                    dedupe_key=f"remind:{complaint.id}:{today}:{organizer}",
                )
            )
        if complaint.escalated_at is None:
            complaint.escalated_at = clock.now
            values = {**values, "unit": await unit_label(session, complaint.unit_id)}
            for admin in admins:
                notices.append(
                    Notice(
                        admin,
                        "admin.escalation",
                        values,
                        button,
                        dedupe_key=f"escalate:{complaint.id}:{admin}",
                    )
                )
    return notices
