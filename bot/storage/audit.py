"""The audit log: every organizer and admin action, who did it, when, on what."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel, col, select
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
