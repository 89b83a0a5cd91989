"""Flow state: where each user is in a multi-step conversation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import FlowState
from bot.storage.types import utcnow


async def get_flow(session: AsyncSession, user_id: int) -> FlowState | None:
    return await session.get(FlowState, user_id)


async def set_flow(
    session: AsyncSession, *, user_id: int, flow: str, step: str, draft: dict[str, Any]
) -> FlowState:
    """Creates or moves the user's flow; the caller's commit makes it durable."""
    state = await session.get(FlowState, user_id)
    if state is None:
        state = FlowState(user_id=user_id, flow=flow, step=step, draft=dict(draft))
    else:
        state.flow, state.step = flow, step
        # A new dict, so SQLAlchemy sees the JSON column change.
        state.draft = dict(draft)
        state.updated_at = utcnow()
    session.add(state)
    await session.flush()
    return state


async def clear_flow(session: AsyncSession, user_id: int) -> bool:
    result = await session.exec(delete(FlowState).where(col(FlowState.user_id) == user_id))
    return bool(result.rowcount)
