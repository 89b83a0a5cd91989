"""Staff powers: who may invite, redeeming an invitation, and taking a role away.

An invitation carries its maker's power, so it is worth only what the maker can still do: it
is revoked when they lose the power to make it (dismissed as admin, removed from units), and
redeeming checks that power again at that moment. Functions take the caller, check, write the
audit event and return the notices for other people; no Telegram here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.render import shorten
from bot.services import access
from bot.services.access import Access
from bot.services.complaints import unit_label
from bot.services.errors import Refused
from bot.services.notices import Key, Notice
from bot.storage import audit
from bot.storage import staff as store
from bot.storage.places import assign_organizer, get_place, remove_organizer
from bot.storage.staff import Invite
from bot.storage.users import get_or_create_user


class StaffError(Refused):
    """A staff rule said no; `key` is the text that tells the caller why."""


async def may_invite(
    session: AsyncSession, settings: Settings, user_id: int, *, unit_id: int | None
) -> bool:
    """Whether this person may (still) make an invitation for the unit (None: for an admin).
    Only admins make invitations, for any unit."""
    return await access.is_admin(session, settings, user_id)


async def revoke_lost_invitations(
    session: AsyncSession, settings: Settings, *, caller: Access, maker: int, now: dt.datetime
) -> int:
    """Revokes the open invitations of `maker` that they no longer have the power to make."""
    revoked = 0
    for invite in await store.open_invites_by(session, maker, now=now):
        if await may_invite(session, settings, maker, unit_id=invite.unit_id):
            continue
        store.revoke(session, invite, now=now)
        audit.record(
            session,
            actor_id=caller.user_id,
            actor_role=caller.actor_role,
            action="invite_revoked",
            subject_kind="user",
            subject_id=maker,
            detail=f"invite {invite.id}",
        )
        revoked += 1
    return revoked


async def dismiss_admin(
    session: AsyncSession, settings: Settings, *, caller: Access, user_id: int, now: dt.datetime
) -> list[Notice]:
    """Takes an appointed admin's power away, with the invitations they made."""
    if access.is_founding_admin(settings, user_id):
        raise StaffError("staff.cannot_dismiss_founding")
    if not await store.dismiss_admin(session, user_id):
        raise StaffError("button.stale")
    audit.record(
        session,
        actor_id=caller.user_id,
        actor_role=caller.actor_role,
        action="dismiss_admin",
        subject_kind="user",
        subject_id=user_id,
    )
    await revoke_lost_invitations(session, settings, caller=caller, maker=user_id, now=now)
    return [Notice(user_id, "staff.you_were_dismissed")]


async def remove_from_unit(
    session: AsyncSession,
    settings: Settings,
    *,
    caller: Access,
    user_id: int,
    unit_id: int,
    now: dt.datetime,
) -> list[Notice]:
    """Removes an organizer from a unit, with the invitations they may no longer make."""
    if not await remove_organizer(session, user_id=user_id, unit_id=unit_id):
        raise StaffError("button.stale")
    place = await get_place(session, unit_id)
    audit.record(
        session,
        actor_id=caller.user_id,
        actor_role=caller.actor_role,
        action="remove_organizer",
        subject_kind="user",
        subject_id=user_id,
        detail=place.code if place else None,
    )
    await revoke_lost_invitations(session, settings, caller=caller, maker=user_id, now=now)
    label = await unit_label(session, unit_id)
    return [Notice(user_id, "staff.you_were_removed", {"unit": label})]


@dataclass
class Redeemed:
    invite: Invite
    notices: list[Notice] = field(default_factory=list)


async def redeem(
    session: AsyncSession,
    settings: Settings,
    *,
    token: str,
    user_id: int,
    name: str,
    now: dt.datetime,
) -> Redeemed | None:
    """Gives the opener the invitation's role; None when it is unknown, used, expired,
    revoked, or its maker no longer has the power to make it."""
    invite = await store.pending_invite(session, token, now=now)
    if invite is None or not await may_invite(
        session, settings, invite.created_by, unit_id=invite.unit_id
    ):
        return None
    invite = await store.redeem_invite(session, token, user_id=user_id, now=now)
    if invite is None:
        return None  # someone else opened it at the same moment
    user = await get_or_create_user(session, user_id)
    user.staff_name = name[:64] or None
    session.add(user)
    if invite.unit_id is not None:
        await assign_organizer(
            session, user_id=user_id, unit_id=invite.unit_id, added_by=invite.created_by
        )
        place = await get_place(session, invite.unit_id)
        action, detail = "assign_organizer", place.code if place else None
        role: str | Key = await unit_label(session, invite.unit_id)
    else:
        await store.appoint_admin(session, user_id=user_id, added_by=invite.created_by)
        action, detail, role = "appoint_admin", None, Key("staff.role_admin")
    audit.record(
        session,
        actor_id=invite.created_by,
        actor_role=access.ADMIN,
        action=action,
        subject_kind="user",
        subject_id=user_id,
        detail=f"{detail or 'admin'} by invite {invite.id}",
    )
    shown = f"{shorten(name, 40)} ({user_id})" if name else str(user_id)
    used = Notice(invite.created_by, "staff.invite_used", {"name": shown, "role": role})
    return Redeemed(invite, [used])
