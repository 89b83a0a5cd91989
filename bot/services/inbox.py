"""The organizer's complaint inbox and one complaint's page, for the web workspace.

The chat's /aduan shows the same complaints with the same rules: a caller sees the complaints
of the units they handle (an admin every unit), a complaint of another unit is "not found",
and an anonymous reporter is never named. Actions go through `complaints.act`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import complaints as complaint_service
from bot.services.access import Access, Need
from bot.services.complaints import ACTIONS, due_date, handled_complaint, is_overdue
from bot.services.deadlines import Clock
from bot.services.errors import NotFound
from bot.services.notices import Key
from bot.services.text import clean_text
from bot.storage import complaints as store
from bot.storage import websec
from bot.storage.complaints import (
    OPEN_STATES,
    SELESAI,
    STATES,
    Attachment,
    Complaint,
    ComplaintEvent,
)
from bot.storage.places import Place, all_units, get_place, paths_below_root

PAGE_SIZE = 20
SEARCH_MAX = 80
# The state filter: "open" (the default), "all", "closed", or one state.
STATE_FILTERS: dict[str, tuple[str, ...] | None] = {
    "open": OPEN_STATES,
    **{state: (state,) for state in STATES},
    "closed": (SELESAI, "ditolak"),
    "all": None,
}


@dataclass(frozen=True)
class InboxQuery:
    state: str = "open"
    category: str | None = None
    unit_id: int | None = None
    overdue: bool = False
    search: str | None = None
    page: int = 0


@dataclass(frozen=True)
class InboxRow:
    complaint: Complaint
    unit: Place | None
    due: dt.date | None
    # Working days left until the deadline (0: due today); negative: working days overdue.
    days_left: int | None
    overdue: bool


@dataclass
class InboxPage:
    query: InboxQuery
    rows: list[InboxRow]
    total: int
    pages: int
    counts: dict[str, int]
    units: list[Place]
    categories: list[str]
    # Each unit's name with its region, for the unit filter (offered when there are several).
    unit_labels: dict[int, str] = field(default_factory=dict)


@dataclass
class ComplaintPage:
    complaint: Complaint
    unit_label: str
    reporter: Key | str
    due: dt.date | None
    days_left: int | None
    overdue: bool
    events: list[ComplaintEvent]
    attachments: list[Attachment]
    actions: list[str]
    forward_targets: list[Place] = field(default_factory=list)
    unit_labels: dict[int, str] = field(default_factory=dict)
    # Names of files uploaded with a response that the outbox has not sent yet.
    sending: list[str] = field(default_factory=list)


def working_days_left(clock: Clock, due: dt.date | None) -> int | None:
    if due is None:
        return None
    today = clock.today
    if due >= today:
        return clock.calendar.working_days_between(today, due)
    return -clock.calendar.working_days_between(due, today)


async def inbox(
    session: AsyncSession, clock: Clock, *, caller: Access, query: InboxQuery
) -> InboxPage:
    """A page of the caller's complaints under the filters, nearest deadline first."""
    caller.require(Need.ORGANIZER)
    if query.state not in STATE_FILTERS:
        query = InboxQuery(**{**query.__dict__, "state": "open"})
    scope = caller.unit_scope()
    if query.unit_id is not None:
        if not caller.handles(query.unit_id):
            raise NotFound()
        scope = [query.unit_id]
    search = clean_text(query.search or "")[:SEARCH_MAX] or None
    page = max(0, query.page)
    complaints, total, counts = await store.search_for_units(
        session,
        unit_ids=scope,
        states=STATE_FILTERS[query.state],
        category=query.category or None,
        overdue=query.overdue,
        search=search,
        today=clock.today,
        offset=page * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    units = [
        unit
        for unit in await all_units(session)
        if unit.id is not None and caller.handles(unit.id)
    ]
    by_id = {unit.id: unit for unit in units}
    rows = []
    for complaint in complaints:
        due = due_date(complaint)
        rows.append(
            InboxRow(
                complaint=complaint,
                unit=by_id.get(complaint.unit_id) or await get_place(session, complaint.unit_id),
                due=due,
                days_left=working_days_left(clock, due),
                overdue=is_overdue(complaint, clock.today),
            )
        )
    return InboxPage(
        query=query,
        rows=rows,
        total=total,
        pages=max(1, -(-total // PAGE_SIZE)),
        counts=counts,
        units=units,
        categories=await store.categories_in_use(session, caller.unit_scope()),
        unit_labels=(
            await paths_below_root(session, [u.id for u in units if u.id is not None])
            if len(units) > 1
            else {}
        ),
    )


async def complaint_page(
    session: AsyncSession, clock: Clock, *, caller: Access, complaint_id: int
) -> ComplaintPage:
    """One complaint as its handlers see it: its history, files, and the actions its state
    allows (with the units it may be forwarded to)."""
    caller.require(Need.ORGANIZER)
    complaint = await handled_complaint(session, caller, complaint_id)
    assert complaint.id is not None
    due = due_date(complaint)
    actions = [action for action, states in ACTIONS.items() if complaint.state in states]
    targets: list[Place] = []
    if "forward" in actions:
        targets = await complaint_service.forward_targets(session, caller, complaint.id)
    events = await store.events_of(session, complaint.id)
    labels: dict[int, str] = {}
    for event in events:
        if event.target_unit_id is not None and event.target_unit_id not in labels:
            labels[event.target_unit_id] = await complaint_service.unit_label(
                session, event.target_unit_id
            )
    return ComplaintPage(
        complaint=complaint,
        unit_label=await complaint_service.unit_label(session, complaint.unit_id),
        reporter=await complaint_service.reporter_label(session, complaint),
        due=due,
        days_left=working_days_left(clock, due),
        overdue=is_overdue(complaint, clock.today),
        events=events,
        attachments=await store.attachments_of(session, complaint.id),
        actions=actions,
        forward_targets=targets,
        unit_labels=labels,
        sending=await websec.pending_names(session, complaint.id),
    )


async def attachment(
    session: AsyncSession, *, caller: Access, complaint_id: int, attachment_id: int
) -> Attachment:
    """One file of a complaint the caller handles; anything else is "not found"."""
    caller.require(Need.ORGANIZER)
    complaint = await handled_complaint(session, caller, complaint_id)
    found = await session.get(Attachment, attachment_id)
    if found is None or found.complaint_id != complaint.id:
        raise NotFound()
    return found
