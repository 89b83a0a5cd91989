"""Processed update ids: the record that makes a redelivered update a no-op."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import ProcessedUpdate


async def was_processed(session: AsyncSession, update_id: int) -> bool:
    return await session.get(ProcessedUpdate, update_id) is not None


def mark_processed(session: AsyncSession, update_id: int) -> None:
    session.add(ProcessedUpdate(update_id=update_id))
