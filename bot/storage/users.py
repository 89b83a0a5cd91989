"""Queries on users."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import User


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_users(session: AsyncSession, user_ids: set[int]) -> dict[int, User]:
    """The known users among these ids, by id."""
    found: dict[int, User] = {}
    ordered = sorted(user_ids)
    for start in range(0, len(ordered), 900):  # under SQLite's bound-parameter limit
        query = select(User).where(col(User.id).in_(ordered[start : start + 900]))
        found.update((user.id, user) for user in (await session.exec(query)).all())
    return found


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


async def banned_users(session: AsyncSession) -> list[int]:
    """The ids of everyone banned from the service, for the admins' list."""
    query = select(User.id).where(col(User.banned).is_(True)).order_by(col(User.id))
    return [int(user_id) for user_id in (await session.exec(query)).all()]
