"""The chat menu button: the workspace as a Mini App for organizers and admins, Telegram's
default for everyone else.

Who should have which follows the roles (`access`), so nothing that changes a role has to
remember the button: `due` compares each staff member's and former staff member's button with
their role, and the menu job (bot/jobs/menu.py) sets the ones that differ and records what it
set. Telegram opens Mini Apps from https only, so without an https WEB_BASE_URL nobody is given
the workspace (and anyone who had it gets the default back).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.services.access import all_admins
from bot.storage.models import User
from bot.storage.places import OrganizerUnit

WORKSPACE = "workspace"
DEFAULT = "default"


@dataclass(frozen=True)
class MenuChange:
    user_id: int
    button: str  # WORKSPACE or DEFAULT
    url: str | None  # the Mini App's address, for WORKSPACE
    language: str | None
    telegram_language: str | None


def workspace_url(settings: Settings) -> str | None:
    base = settings.web_base_url
    if not base or not base.startswith("https://"):
        return None
    return base.rstrip("/") + "/"


async def due(session: AsyncSession, settings: Settings, *, limit: int = 100) -> list[MenuChange]:
    """The users whose menu button differs from their role: staff without the workspace's,
    and people who had it and are staff no more (or the workspace is no longer served)."""
    url = workspace_url(settings)
    staff: set[int] = set()
    if url is not None:
        staff = set(await all_admins(session, settings))
        staff |= set((await session.exec(select(OrganizerUnit.user_id).distinct())).all())
    wanted = (
        col(User.id).in_(staff)
        & (col(User.menu_button).is_(None) | (col(User.menu_button) != WORKSPACE))
        if staff
        else col(User.id).is_(None)
    )
    had = col(User.menu_button) == WORKSPACE
    if staff:
        had = had & col(User.id).not_in(staff)
    rows = (
        await session.exec(select(User).where(wanted | had).order_by(col(User.id)).limit(limit))
    ).all()
    return [
        MenuChange(
            user_id=user.id,
            button=WORKSPACE if user.id in staff else DEFAULT,
            url=url if user.id in staff else None,
            language=user.language,
            telegram_language=user.telegram_language,
        )
        for user in rows
    ]


async def record(session: AsyncSession, user_id: int, button: str) -> None:
    """What was set (or what Telegram will never take: a chat that blocked the bot)."""
    user = await session.get(User, user_id)
    if user is not None:
        user.menu_button = button
        session.add(user)
