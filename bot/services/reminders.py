"""The daily deadline pass over open complaints (Perpres 76/2013 working-day deadlines)."""

from __future__ import annotations

import datetime as dt
import zlib

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.buttons import Inbox
from bot.services.complaints import Clock, due_date, is_overdue, record_event, unit_label
from bot.services.deadlines import WAITING_CLOSE_DAYS
from bot.services.notices import Key, Lines, Notice
from bot.storage import complaints as store
from bot.storage.complaints import MENUNGGU, SELESAI
from bot.storage.places import organizers_of_unit


async def run_deadlines(session: AsyncSession, *, clock: Clock, admins: list[int]) -> list[Notice]:
    """Daily: close complaints left waiting too long, remind units of overdue ones (once a
    working day, one message per organizer) and escalate each overdue complaint to the admins
    once."""
    notices: list[Notice] = []
    reminders: dict[int, list[tuple[int, dict[str, object]]]] = {}
    escalations: dict[int, list[tuple[int, dict[str, object]]]] = {}
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
        item: dict[str, object] = {
            "ticket": complaint.ticket,
            "state": Key(f"state.{complaint.state}"),
            "due": due_date(complaint),
            "unit": await unit_label(session, complaint.unit_id),
        }
        assert complaint.id is not None
        for organizer in await organizers_of_unit(session, complaint.unit_id):
            reminders.setdefault(organizer, []).append((complaint.id, item))
        if complaint.escalated_at is None:
            complaint.escalated_at = clock.now
            for admin in admins:
                escalations.setdefault(admin, []).append((complaint.id, item))
    notices += _digests(reminders, "organizer.overdue_digest", "organizer.overdue_item", today)
    notices += _digests(escalations, "admin.escalation_digest", "admin.escalation_item", today)
    return notices


def _digests(
    per_person: dict[int, list[tuple[int, dict[str, object]]]],
    key: str,
    item_key: str,
    today: dt.date,
) -> list[Notice]:
    """One message per person listing their complaints: a busy organizer gets one reminder a
    day, not one per complaint. The dedupe key names the complaints, so a second pass (another
    process, a catch-up run) adds nothing, while complaints that fell overdue later still go."""
    notices = []
    for person, items in per_person.items():
        ids = ",".join(str(complaint_id) for complaint_id, _ in items)
        digest = zlib.crc32(ids.encode())
        notices.append(
            Notice(
                person,
                key,
                {"count": len(items), "items": Lines(tuple((item_key, v) for _, v in items))},
                ((("organizer.open_inbox", Inbox()),),),
                dedupe_key=f"{key}:{person}:{today}:{len(items)}:{digest:08x}",
            )
        )
    return notices
