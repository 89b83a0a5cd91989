"""Processed update ids: the record that makes a redelivered update a no-op, and (by who sent
them) each user's recent updates, the flood count every worker reads alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, func, insert, literal_column
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import ProcessedUpdate, User
from bot.storage.types import utcnow

# The flood guard counts a user's updates over this window (bot/handlers/guards.py).
FLOOD_WINDOW = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Arrival:
    """What the gate reads of an update before any handler sees it."""

    applied: bool  # its effects are committed already (a redelivery)
    user: User | None  # the sender's account, in the session
    recent: int  # the sender's updates applied since the flood window began


async def arrival(
    session: AsyncSession, update_id: int, user_id: int | None, *, since: dt.datetime
) -> Arrival:
    """The dedupe check, the sender's account and their flood count in one statement: the
    three are read for every update, and each statement costs a round trip and its share of
    the ORM's work."""
    applied = exists().where(col(ProcessedUpdate.update_id) == update_id)
    if user_id is None:
        done = (await session.exec(select(applied))).one()
        return Arrival(applied=bool(done), user=None, recent=0)
    recent = (
        select(func.count())
        .select_from(ProcessedUpdate)
        .where(col(ProcessedUpdate.user_id) == user_id, col(ProcessedUpdate.processed_at) > since)
        .scalar_subquery()
    )
    # One row whether or not the account exists: the account is outer-joined to it.
    one_row = select(literal_column("1").label("one")).subquery()
    query = (
        select(applied.label("applied"), recent.label("recent"), User)
        .select_from(one_row)
        .outerjoin(User, col(User.id) == user_id)
    )
    applied_now, recent_count, user = (await session.exec(query)).one()
    return Arrival(applied=bool(applied_now), user=user, recent=int(recent_count))


async def was_processed(session: AsyncSession, update_id: int) -> bool:
    return await session.get(ProcessedUpdate, update_id) is not None


# One statement built once: an ORM object here would cost its construction, validation and
# the unit of work's flush on every update, for a row nothing reads back.
_RECORD = insert(ProcessedUpdate.__table__)  # type: ignore[attr-defined]


async def mark_processed(
    session: AsyncSession, update_id: int, user_id: int | None = None
) -> None:
    """Records the update as applied, in the session's transaction: the caller's commit makes
    it durable with the update's effects. Raises IntegrityError (here, not at the commit)
    when the id is recorded already, or when a change the handler left pending breaks a
    constraint (it is flushed first)."""
    await session.exec(
        _RECORD,
        params={"update_id": update_id, "processed_at": utcnow(), "user_id": user_id},
    )


async def count_since(session: AsyncSession, user_id: int, since: dt.datetime) -> int:
    """How many of this user's updates were applied after `since` (by any worker)."""
    result = await session.exec(
        select(func.count())
        .select_from(ProcessedUpdate)
        .where(col(ProcessedUpdate.user_id) == user_id, col(ProcessedUpdate.processed_at) > since)
    )
    return int(result.one())
