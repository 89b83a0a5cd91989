"""Flow state: where each user is in each multi-step conversation they have begun.

A user may have several flows at once (a complaint draft and a questionnaire), one row each.
One of them is *active*: it takes the user's messages. Starting or continuing another flow puts
the active one aside (waiting), whole, until the user goes back to it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, inspect
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import FlowState
from bot.storage.types import utcnow

# session.info key: each user's flows as one read found them, and the transaction it was in.
_LOADED = "suara_flows"


async def _flows_of(session: AsyncSession, user_id: int) -> list[FlowState]:
    """Every flow of the user, read once per transaction: an update reads the flow that
    takes it and then stores the step in it (`set_flow`), and the second read would be a
    round trip and a result load more on every answer. A read is kept only within its
    transaction (a commit or rollback ends it) and while each state is still a live one of
    the session (an ORM delete of flow states, as `clear_flow`'s, marks them deleted)."""
    kept: tuple[object, dict[int, list[FlowState]]] | None = session.info.get(_LOADED)
    if kept is not None and kept[0] is session.sync_session.get_transaction():
        states: list[FlowState] | None = kept[1].get(user_id)
        if states is not None and all(_live(state) for state in states):
            return states
    states = list(
        (await session.exec(select(FlowState).where(col(FlowState.user_id) == user_id))).all()
    )
    transaction = session.sync_session.get_transaction()  # the read began one if none was
    if transaction is not None:
        if kept is None or kept[0] is not transaction:
            kept = session.info[_LOADED] = (transaction, {})
        kept[1][user_id] = states
    return states


def _live(state: FlowState) -> bool:
    known = inspect(state)
    return (known.persistent or known.pending) and not known.expired


def _forget(session: AsyncSession, user_id: int) -> None:
    kept = session.info.get(_LOADED)
    if kept is not None:
        kept[1].pop(user_id, None)


async def get_flow(
    session: AsyncSession, user_id: int, flow: str | None = None
) -> FlowState | None:
    """The user's state in `flow` (active or waiting); without `flow`, the active one."""
    for state in await _flows_of(session, user_id):
        if (state.flow == flow) if flow is not None else state.active:
            return state
    return None


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

    A user has a handful of flows at most: one statement reads them all (or none, when
    `get_flow` read them in this transaction), the active one to put aside and the one to
    move, where a query for each would be a round trip more on every answer."""
    states = await _flows_of(session, user_id)
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
        states.append(state)
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
    _forget(session, user_id)
    return bool(result.rowcount)
