"""What the admin pages of the workspace show, and the admin actions that had no service yet.

The units, staff and audit rules stay in their own services (units.py, staff.py, reports.py);
this module gathers what a page lists (paged here, on the server) and adds the two actions the
chat did inside its handlers: revoking an invitation and lifting a limit on a reporter. Every
function refuses a caller without admin power itself, so a door only renders what it returns.
A limited reporter is named by the complaint's ticket, never by who they are.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.reports.audit_text import Names
from bot.services import access
from bot.services import complaints as complaint_service
from bot.services import units as unit_service
from bot.services.access import Access, Need
from bot.services.errors import NotFound
from bot.services.notices import Key
from bot.storage import audit
from bot.storage import complaints as complaint_store
from bot.storage import staff as staff_store
from bot.storage.audit import AuditEntry, AuditFilter
from bot.storage.complaints import UnitBlock
from bot.storage.places import Place, UnitChoice, regions, unit_choices, units_by_organizer
from bot.storage.staff import Invite
from bot.storage.users import banned_users, get_users

PER_PAGE = 20
BLOCKS_MAX = 10_000  # more than any deployment keeps at once; the page shows PER_PAGE

T = TypeVar("T")


@dataclass
class Paged(Generic[T]):
    """One page of a list: its rows, which page (from 0), how many pages and rows in all."""

    rows: list[T]
    page: int
    pages: int
    total: int


def paged(items: list[T], page: int, size: int = PER_PAGE) -> Paged[T]:
    """The page asked for, clamped to the pages there are (a forged ?page= shows the last)."""
    pages = max(1, -(-len(items) // size))
    page = max(0, min(page, pages - 1))
    return Paged(items[page * size : (page + 1) * size], page, pages, len(items))


# -- units ------------------------------------------------------------------------------------


@dataclass
class UnitLine:
    unit: UnitChoice
    organizers: int


@dataclass
class UnitsPage:
    units: Paged[UnitLine]
    regions: list[Place]  # for the form that adds a unit


async def units_page(
    session: AsyncSession, caller: Access, *, query: str | None, page: int
) -> UnitsPage:
    """Every unit (deactivated ones too) with its region and how many organizers it has."""
    units = await unit_service.list_units(session, caller, query=query)  # refuses non-admins
    counts = Counter(u for ids in (await units_by_organizer(session)).values() for u in ids)
    lines = [UnitLine(unit, counts.get(unit.id, 0)) for unit in units]
    return UnitsPage(paged(lines, page), await regions(session))


# -- staff and invitations --------------------------------------------------------------------


@dataclass
class Member:
    user_id: int
    name: str | None  # the name they gave Telegram when they joined as staff
    founding: bool
    appointed: bool
    units: list[tuple[int, str]] = field(default_factory=list)  # (unit id, label)


@dataclass
class OpenInvite:
    invite: Invite
    role: str | Key  # the unit's label, or the admin role
    maker: str | None


@dataclass
class StaffPage:
    people: Paged[Member]
    invites: list[OpenInvite]
    units: list[UnitChoice]  # the active units an invitation may be for


async def staff_page(
    session: AsyncSession, settings: Settings, caller: Access, *, page: int, now: dt.datetime
) -> StaffPage:
    """Admins first, then organizers by id, each with their units; and the open invitations."""
    caller.require(Need.ADMIN)
    by_user = await units_by_organizer(session)
    admins = await access.all_admins(session, settings)
    order = [*admins, *sorted(u for u in by_user if u not in admins)]
    shown = paged(order, page)
    invites = await staff_store.open_invites(session, now=now)
    users = await get_users(session, {*shown.rows, *(i.created_by for i in invites)})
    labels = await unit_labels_of(session, {u for ids in by_user.values() for u in ids})
    appointed = set(admins) - set(settings.bot_admin_ids)
    people = [
        Member(
            user_id=user_id,
            name=users[user_id].staff_name if user_id in users else None,
            founding=access.is_founding_admin(settings, user_id),
            appointed=user_id in appointed,
            units=[(u, labels[u]) for u in by_user.get(user_id, [])],
        )
        for user_id in shown.rows
    ]
    open_invites = [
        OpenInvite(
            invite,
            await complaint_service.unit_label(session, invite.unit_id)
            if invite.unit_id
            else Key("staff.role_admin"),
            users[invite.created_by].staff_name if invite.created_by in users else None,
        )
        for invite in invites
    ]
    return StaffPage(
        Paged(people, shown.page, shown.pages, shown.total),
        open_invites,
        await unit_choices(session),
    )


async def unit_labels_of(session: AsyncSession, unit_ids: set[int]) -> dict[int, str]:
    return {u: await complaint_service.unit_label(session, u) for u in sorted(unit_ids)}


async def revoke_invite(
    session: AsyncSession, *, caller: Access, invite_id: int, now: dt.datetime
) -> None:
    """Withdraws an invitation nobody has used yet; it is audited like one revoked because its
    maker lost the power to make it."""
    caller.require(Need.ADMIN)
    invite = await session.get(Invite, invite_id)
    if (
        invite is None
        or invite.used_by is not None
        or invite.revoked_at is not None
        or invite.expires_at <= now
    ):
        raise NotFound("adminweb.invite_gone")
    staff_store.revoke(session, invite, now=now)
    caller.audit(session, "invite_revoked", "user", invite.created_by, f"invite {invite.id}")


# -- limits on reporters and bans -------------------------------------------------------------


@dataclass
class Limit:
    block: UnitBlock
    ticket: str  # the reporter is named by the complaint only
    unit: str


@dataclass
class LimitsPage:
    limits: Paged[Limit]
    banned: list[int]


async def limits_page(session: AsyncSession, caller: Access, *, page: int) -> LimitsPage:
    """The limits organizers put on reporters (newest first), and who is banned."""
    caller.require(Need.ADMIN)
    blocks = paged(await complaint_store.active_blocks(session, limit=BLOCKS_MAX), page)
    rows: list[Limit] = []
    for block in blocks.rows:
        complaint = await complaint_store.get_complaint(session, block.complaint_id)
        ticket = complaint.ticket if complaint and complaint.ticket else "?"
        rows.append(
            Limit(block, ticket, await complaint_service.unit_label(session, block.unit_id))
        )
    return LimitsPage(
        Paged(rows, blocks.page, blocks.pages, blocks.total), await banned_users(session)
    )


async def lift_limit(session: AsyncSession, *, caller: Access, block_id: int) -> str:
    """Lifts a limit on a reporter (audited on its complaint); returns the complaint's ticket."""
    caller.require(Need.ADMIN)
    block = await session.get(UnitBlock, block_id)
    if block is None or block.lifted_at is not None:
        raise NotFound("adminweb.limit_gone")
    await complaint_service.lift_block(session, block=block, admin_id=caller.user_id)
    complaint = await complaint_store.get_complaint(session, block.complaint_id)
    return complaint.ticket if complaint and complaint.ticket else "?"


# -- the audit log ----------------------------------------------------------------------------


@dataclass
class AuditPage:
    entries: Paged[AuditEntry]
    names: Names  # who and what the entries name, as the chat names them
    actions: list[str]
    kinds: list[str]
    actors: list[tuple[int, str | None]]  # (id, staff name) of everyone in the log


async def audit_page(
    session: AsyncSession, caller: Access, wanted: AuditFilter, *, page: int
) -> AuditPage:
    """The entries the filter keeps, newest first, one page of them counted on the server."""
    caller.require(Need.ADMIN)
    total = await audit.count(session, wanted)
    pages = max(1, -(-total // PER_PAGE))
    page = max(0, min(page, pages - 1))
    entries = await audit.search(session, wanted, offset=page * PER_PAGE, limit=PER_PAGE)
    actions, kinds, actor_ids = await audit.choices(session)
    people = await get_users(session, set(actor_ids))
    return AuditPage(
        Paged(entries, page, pages, total),
        await Names.of(session, entries),
        actions,
        kinds,
        [(a, people[a].staff_name if a in people else None) for a in actor_ids],
    )


async def export_audit(session: AsyncSession, caller: Access, wanted: AuditFilter) -> None:
    """Allows and records a download of the filtered log (the chat's /audit xlsx rule)."""
    caller.require(Need.ADMIN)
    shown = [
        f"{name}={value}"
        for name, value in (
            ("action", wanted.action),
            ("kind", wanted.kind),
            ("actor", wanted.actor_id),
            ("since", wanted.since.isoformat() if wanted.since else None),
            ("until", wanted.until.isoformat() if wanted.until else None),
        )
        if value is not None and value != ""
    ]
    caller.audit(session, "export_audit", "audit", None, " ".join(shown) or None)
