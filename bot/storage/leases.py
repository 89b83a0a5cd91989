"""Claiming rows of work with a lease: the way the outbox and the due items share out work
among any number of processes.

A row is due when its own condition holds and it has no lease, or its lease ran out. Claiming
sets the lease with a conditional UPDATE per row, so of two processes that read the same row
only one gets it; on PostgreSQL the first read also skips rows another claimer holds locked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from sqlalchemy import and_, or_, update
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T", bound=SQLModel)


def unleased(model: Any, now: dt.datetime) -> Any:
    return or_(col(model.lease_until).is_(None), col(model.lease_until) < now)


async def claim(
    session: AsyncSession,
    model: type[T],
    *,
    due: Any,
    order: tuple[Any, ...],
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int,
) -> list[T]:
    """Leases up to `limit` rows of `model` meeting `due` (and unleased), counting an attempt
    on each; commit to make the leases visible to the others."""
    table: Any = model
    condition = and_(due, unleased(table, now))
    ids = (
        await session.exec(
            select(table.id)
            .where(condition)
            .order_by(*order)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    claimed: list[int] = []
    for row_id in ids:
        result = await session.exec(
            update(table)
            .where(and_(col(table.id) == row_id, condition))
            .values(lease_until=now + lease, attempts=col(table.attempts) + 1)
        )
        if result.rowcount and row_id is not None:
            claimed.append(row_id)
    if not claimed:
        return []
    rows = await session.exec(select(table).where(col(table.id).in_(claimed)).order_by(*order))
    return list(rows.all())
