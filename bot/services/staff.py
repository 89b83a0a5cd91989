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
from bot.services.access import Access, Need
from bot.services.complaints import unit_label
from bot.services.errors import NotFound, Refused
from bot.services.notices import Key, Notice
from bot.storage import audit
from bot.storage import staff as store
from bot.storage.places import LEVEL_UNIT, Place, assign_organizer, get_place, remove_organizer
from bot.storage.staff import Invite
from bot.storage.users import get_or_create_user, get_user


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
        caller.audit(session, "invite_revoked", "user", maker, f"invite {invite.id}")
        revoked += 1
    return revoked


async def dismiss_admin(
    session: AsyncSession, settings: Settings, *, caller: Access, user_id: int, now: dt.datetime
) -> list[Notice]:
    """Takes an appointed admin's power away, with the invitations they made."""
    caller.require(Need.ADMIN)
    if access.is_founding_admin(settings, user_id):
        raise StaffError("staff.cannot_dismiss_founding")
    if not await store.dismiss_admin(session, user_id):
        raise StaffError("button.stale")
    caller.audit(session, "dismiss_admin", "user", user_id)
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
    caller.require(Need.ADMIN)
    if not await remove_organizer(session, user_id=user_id, unit_id=unit_id):
        raise StaffError("button.stale")
    place = await get_place(session, unit_id)
    caller.audit(session, "remove_organizer", "user", user_id, place.code if place else None)
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


async def unit_for_staff(session: AsyncSession, unit_id: int) -> Place:
    """The unit an organizer is invited to or appointed in."""
    unit = await get_place(session, unit_id)
    if unit is None or unit.level != LEVEL_UNIT or unit.id is None:
        raise NotFound("button.stale")
    if not unit.active:
        raise Refused("units.inactive", unit=unit.name)
    return unit


@dataclass
class NewInvite:
    token: str  # shown once, to the admin who asked
    invite: Invite
    role: str | Key  # the unit's label, or the admin role


async def invite(
    session: AsyncSession,
    settings: Settings,
    *,
    caller: Access,
    unit_id: int | None,
    now: dt.datetime,
) -> NewInvite:
    """A single-use invitation to organize a unit (or, with no unit, to be an admin)."""
    caller.require(Need.ADMIN)
    unit = await unit_for_staff(session, unit_id) if unit_id else None
    token, made = await store.create_invite(
        session,
        role=store.INVITE_ORGANIZER if unit else store.INVITE_ADMIN,
        unit_id=unit.id if unit else None,
        created_by=caller.user_id,
        now=now,
        valid_for=dt.timedelta(hours=settings.invite_hours),
    )
    caller.audit(
        session,
        "invite_created",
        "unit" if unit else "user",
        unit.id if unit else None,
        f"invite {made.id}",
    )
    role: str | Key = (
        await unit_label(session, unit.id) if unit and unit.id else Key("staff.role_admin")
    )
    return NewInvite(token, made, role)


@dataclass
class Appointed:
    added: bool  # False: they already organized the unit
    unit: str  # the unit's label
    notices: list[Notice] = field(default_factory=list)


async def appoint_organizer(
    session: AsyncSession, *, caller: Access, user_id: int, unit_id: int
) -> Appointed:
    """Makes someone an organizer of a unit; they are told."""
    caller.require(Need.ADMIN)
    unit = await unit_for_staff(session, unit_id)
    assert unit.id is not None
    await get_or_create_user(session, user_id)
    added = await assign_organizer(
        session, user_id=user_id, unit_id=unit.id, added_by=caller.user_id
    )
    label = await unit_label(session, unit.id)
    if not added:
        return Appointed(False, label)
    caller.audit(session, "assign_organizer", "user", user_id, unit.code)
    return Appointed(
        True, label, [Notice(user_id, "organizer.you_were_assigned", {"unit": label})]
    )


async def set_banned(
    session: AsyncSession, settings: Settings, *, caller: Access, user_id: int, banned: bool
) -> None:
    """Bans or unbans someone; admins cannot be banned. An erased user's ban is kept as a
    keyed hash of their id (bot/services/privacy.py), and unbanning lifts that too."""
    from bot.services import privacy

    caller.require(Need.ADMIN)
    if banned and await access.is_admin(session, settings, user_id):
        raise Refused("admin.cannot_ban_admin", user=user_id)
    user = await get_user(session, user_id)
    if user is None:
        if not banned and await privacy.forget_kept_ban(session, settings, user_id):
            caller.audit(session, "unban", "user", user_id)
            return
        raise Refused("admin.unknown_user", user=user_id)
    user.banned = banned
    session.add(user)
    caller.audit(session, "ban" if banned else "unban", "user", user.id)
