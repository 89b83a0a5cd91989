"""Job leases: which worker does a piece of scheduled work, decided in the database.

Every worker runs the same JobQueue. A job that must run in one place at a time (the outbox
sender, because Telegram's 30 messages a second are per bot, not per worker) or once per period
(the day's deadline pass, housekeeping) first takes its lease: one conditional UPDATE on the
job's row, so of several workers asking at once exactly one gets it. A worker that dies keeps
the lease only until `lease_until`; the next worker to ask after that takes over.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from typing import Any

from sqlalchemy import String, and_, or_, update
from sqlalchemy.dialects import sqlite
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.types import UTCDateTime


def new_holder() -> str:
    """A worker's name in the table: host, pid, and a random part (a restarted process with
    the same pid, or a second application in one process, is someone else)."""
    return f"{socket.gethostname()[:48]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobLease(SQLModel, table=True):
    __tablename__ = "job_leases"

    name: str = Field(sa_type=String(32), primary_key=True)
    holder: str | None = Field(default=None, max_length=96)
    lease_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The period (a date, a week) whose once-only work is done, for jobs that have one.
    done_for: str | None = Field(default=None, max_length=16)


async def take(
    session: AsyncSession,
    name: str,
    *,
    now: dt.datetime,
    ttl: dt.timedelta,
    period: str | None = None,
    holder: str,
) -> bool:
    """Takes (or renews) the lease of `name` until now + ttl; False when another worker holds
    it, or when `period` is given and its work is done already. Commit at once after True."""
    free = or_(
        col(JobLease.lease_until).is_(None),
        col(JobLease.lease_until) < now,
        col(JobLease.holder) == holder,
    )
    condition = and_(col(JobLease.name) == name, free)
    if period is not None:
        condition = and_(condition, col(JobLease.done_for).is_distinct_from(period))
    take_it = update(JobLease).where(condition).values(holder=holder, lease_until=now + ttl)
    if (await session.exec(take_it)).rowcount:
        return True
    # Held by another worker, done for the period, or never taken yet: only the last needs
    # the row, created free (two workers creating it at once: one insert is a no-op).
    if session.get_bind().dialect.name == "postgresql":
        # Loaded here, on PostgreSQL only: an SQLite process is 2 MB smaller without it.
        from sqlalchemy.dialects import postgresql

        insert: Any = postgresql.insert(JobLease)
    else:
        insert = sqlite.insert(JobLease)
    created = await session.exec(insert.values(name=name).on_conflict_do_nothing())
    return bool(created.rowcount) and bool((await session.exec(take_it)).rowcount)


async def give_back(
    session: AsyncSession, name: str, *, holder: str, done_for: str | None = None
) -> None:
    """Ends this worker's lease of `name` (recording the period done, if any)."""
    values: dict[str, object] = {"lease_until": None}
    if done_for is not None:
        values["done_for"] = done_for
    await session.exec(
        update(JobLease)
        .where(col(JobLease.name) == name, col(JobLease.holder) == holder)
        .values(**values)
    )
