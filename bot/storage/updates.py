"""Processed update ids: the record that makes a redelivered update a no-op, and (by who sent
them) each user's recent updates, the flood count every worker reads alike."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import ProcessedUpdate


async def was_processed(session: AsyncSession, update_id: int) -> bool:
    return await session.get(ProcessedUpdate, update_id) is not None


def mark_processed(session: AsyncSession, update_id: int, user_id: int | None = None) -> None:
    session.add(ProcessedUpdate(update_id=update_id, user_id=user_id))


async def count_since(session: AsyncSession, user_id: int, since: dt.datetime) -> int:
    """How many of this user's updates were applied after `since` (by any worker)."""
    result = await session.exec(
        select(func.count())
        .select_from(ProcessedUpdate)
        .where(col(ProcessedUpdate.user_id) == user_id, col(ProcessedUpdate.processed_at) > since)
    )
    return int(result.one())
