"""Queries on users."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import User


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_or_create_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id)
        session.add(user)
        await session.flush()
    return user


async def record_consent(session: AsyncSession, *, user: User, role: str, at: dt.datetime) -> None:
    user.role = role
    user.consent_at = at
    session.add(user)


async def set_reachable(session: AsyncSession, *, user_id: int, reachable: bool) -> None:
    await session.exec(update(User).where(col(User.id) == user_id).values(reachable=reachable))
