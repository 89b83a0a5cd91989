"""Flow state: where each user is in each multi-step conversation they have begun.

A user may have several flows at once (a complaint draft and a questionnaire), one row each.
One of them is *active*: it takes the user's messages. Starting or continuing another flow puts
the active one aside (waiting), whole, until the user goes back to it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import FlowState
from bot.storage.types import utcnow


async def get_flow(
    session: AsyncSession, user_id: int, flow: str | None = None
) -> FlowState | None:
    """The user's state in `flow` (active or waiting); without `flow`, the active one."""
    if flow is not None:
        return await session.get(FlowState, (user_id, flow))
    query = select(FlowState).where(
        col(FlowState.user_id) == user_id, col(FlowState.active).is_(True)
    )
    return (await session.exec(query)).first()


async def waiting_flows(session: AsyncSession, user_id: int) -> list[FlowState]:
    """The user's flows put aside, the most recent first."""
    query = (
        select(FlowState)
        .where(col(FlowState.user_id) == user_id, col(FlowState.active).is_(False))
        .order_by(col(FlowState.updated_at).desc())
    )
    return list((await session.exec(query)).all())


async def set_flow(
    session: AsyncSession, *, user_id: int, flow: str, step: str, draft: dict[str, Any]
) -> list[str]:
    """Creates or moves the user's state in `flow` and makes it the active one; returns the
    flows this put aside (they wait, unchanged). The caller's commit makes it durable.

    A user has a handful of flows at most: one statement reads them all, the active one to
    put aside and the one to move, where a query for each would be a round trip more on
    every answer."""
    states = (await session.exec(select(FlowState).where(col(FlowState.user_id) == user_id))).all()
    state = None
    aside = []
    for each in states:
        if each.flow == flow:
            state = each
        elif each.active:
            each.active = False
            session.add(each)
            aside.append(each.flow)
    if state is None:
        state = FlowState(user_id=user_id, flow=flow, step=step, draft=dict(draft))
    else:
        state.step = step
        # A new dict, so SQLAlchemy sees the JSON column change.
        state.draft = dict(draft)
    state.active = True
    state.updated_at = utcnow()
    session.add(state)
    await session.flush()
    return aside


async def clear_flow(session: AsyncSession, user_id: int, flow: str | None = None) -> bool:
    """Ends the user's `flow` (without `flow`: the active one); the others keep waiting."""
    query = delete(FlowState).where(col(FlowState.user_id) == user_id)
    if flow is None:
        query = query.where(col(FlowState.active).is_(True))
    else:
        query = query.where(col(FlowState.flow) == flow)
    result = await session.exec(query)
    return bool(result.rowcount)
