"""The audit log: every organizer and admin action, who did it, when, on what."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.types import UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    actor_role: str = Field(max_length=16)  # organizer | admin
    action: str = Field(max_length=32)
    subject_kind: str = Field(max_length=16)  # complaint | program | user | unit | block
    subject_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


def record(
    session: AsyncSession,
    *,
    actor_id: int,
    actor_role: str,
    action: str,
    subject_kind: str,
    subject_id: int | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            actor_id=actor_id,
            actor_role=actor_role,
            action=action,
            subject_kind=subject_kind,
            subject_id=subject_id,
            detail=detail[:500] if detail else None,
        )
    )


async def recent(session: AsyncSession, *, limit: int = 30) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    return list((await session.exec(query)).all())


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page narrows the log to; None is "any". Times are UTC bounds, the end
    excluded."""

    action: str | None = None
    kind: str | None = None
    actor_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _where(query: Any, wanted: AuditFilter) -> Any:
    if wanted.action:
        query = query.where(col(AuditEntry.action) == wanted.action)
    if wanted.kind:
        query = query.where(col(AuditEntry.subject_kind) == wanted.kind)
    if wanted.actor_id is not None:
        query = query.where(col(AuditEntry.actor_id) == wanted.actor_id)
    if wanted.since is not None:
        query = query.where(col(AuditEntry.at) >= wanted.since)
    if wanted.until is not None:
        query = query.where(col(AuditEntry.at) < wanted.until)
    return query


async def search(
    session: AsyncSession, wanted: AuditFilter, *, offset: int = 0, limit: int = 30
) -> list[AuditEntry]:
    """The entries the filter keeps, newest first (by id: the order they were written)."""
    query = _where(select(AuditEntry), wanted).order_by(col(AuditEntry.id).desc())
    return list((await session.exec(query.offset(offset).limit(limit))).all())


async def count(session: AsyncSession, wanted: AuditFilter) -> int:
    query = _where(select(func.count()).select_from(AuditEntry), wanted)
    return int((await session.exec(query)).one())


async def choices(session: AsyncSession) -> tuple[list[str], list[str], list[int]]:
    """The actions, subject kinds and actors the log holds, for the page's filters."""
    # One pass over the log: the combinations are few (a handful of actions per actor).
    query = select(AuditEntry.action, AuditEntry.subject_kind, AuditEntry.actor_id).distinct()
    rows = (await session.exec(query)).all()
    return (
        sorted({action for action, _, _ in rows}),
        sorted({kind for _, kind, _ in rows}),
        sorted({int(actor) for _, _, actor in rows}),
    )
