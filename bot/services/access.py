"""Who may do what: self-declared roles, organizers of units, and admins from settings."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.storage.models import User
from bot.storage.places import units_of_organizer

ADMIN = "admin"
ORGANIZER = "organizer"


def is_admin(settings: Settings, user_id: int) -> bool:
    return user_id in settings.bot_admin_ids


async def roles_of(session: AsyncSession, settings: Settings, user: User | None) -> set[str]:
    if user is None:
        return set()
    roles = {user.role} if user.role else set()
    if is_admin(settings, user.id):
        roles.add(ADMIN)
    if await units_of(session, user.id):
        roles.add(ORGANIZER)
    return roles


async def units_of(session: AsyncSession, user_id: int) -> list[int]:
    return await units_of_organizer(session, user_id)


async def scope_of(session: AsyncSession, settings: Settings, user_id: int) -> list[int] | None:
    """The units whose complaints this user handles; None means all (admin)."""
    if is_admin(settings, user_id):
        return None
    return await units_of(session, user_id)
