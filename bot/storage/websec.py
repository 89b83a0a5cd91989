"""What the workspace keeps for its own safety: failed login attempts per client address, and
files an organizer uploaded with a response until the outbox has sent them to the citizen.

Attempts are counted in the database, not in a process, so every webhook worker applies the
same limit. An address is kept only as a keyed hash (the service makes it): a copy of the
table does not list who tried.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, String, delete, func
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.types import UTCDateTime, utcnow


class WebAttempt(SQLModel, table=True):
    """One failed attempt to get in (a bad login token, launch data that did not check)."""

    __tablename__ = "web_attempts"
    __table_args__ = (Index("ix_web_attempts_kind_subject_at", "kind", "subject", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    subject: str = Field(sa_column=Column(String(64), nullable=False))
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebUpload(SQLModel, table=True):
    """A file uploaded with an organizer's response, written in the action's transaction and
    dropped once Telegram has it (its file id then becomes the complaint's attachment)."""

    __tablename__ = "web_uploads"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(
        sa_column=Column(Integer, ForeignKey("complaints.id"), nullable=False, index=True)
    )
    event_id: int | None = None
    kind: str = Field(max_length=16)  # photo | document
    file_name: str = Field(max_length=128)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def attempts_since(
    session: AsyncSession, *, kind: str, subject: str, since: dt.datetime
) -> int:
    query = select(func.count()).where(
        col(WebAttempt.kind) == kind,
        col(WebAttempt.subject) == subject,
        col(WebAttempt.at) >= since,
    )
    return int((await session.exec(query)).one())


def record_attempt(session: AsyncSession, *, kind: str, subject: str, at: dt.datetime) -> None:
    session.add(WebAttempt(kind=kind, subject=subject, at=at))


async def forget_attempts_before(session: AsyncSession, before: dt.datetime) -> int:
    """Housekeeping: attempts older than every window count for nothing."""
    result = await session.exec(delete(WebAttempt).where(col(WebAttempt.at) < before))
    return int(result.rowcount or 0)


async def forget_uploads_before(session: AsyncSession, before: dt.datetime) -> int:
    """Housekeeping: uploads the outbox could not send (the citizen blocked the bot or erased
    their identity) are not kept for ever."""
    result = await session.exec(delete(WebUpload).where(col(WebUpload.created_at) < before))
    return int(result.rowcount or 0)


async def add_upload(
    session: AsyncSession,
    *,
    complaint_id: int,
    event_id: int | None,
    kind: str,
    file_name: str,
    data: bytes,
) -> int:
    upload = WebUpload(
        complaint_id=complaint_id, event_id=event_id, kind=kind, file_name=file_name, data=data
    )
    session.add(upload)
    await session.flush()
    assert upload.id is not None
    return upload.id


async def get_upload(session: AsyncSession, upload_id: int) -> WebUpload | None:
    return await session.get(WebUpload, upload_id)


async def pending_names(session: AsyncSession, complaint_id: int) -> list[str]:
    """The names of a complaint's uploads still waiting to be sent (not their bytes)."""
    query = (
        select(WebUpload.file_name)
        .where(col(WebUpload.complaint_id) == complaint_id)
        .order_by(col(WebUpload.id))
    )
    return list((await session.exec(query)).all())


async def drop_upload(session: AsyncSession, upload_id: int) -> None:
    await session.exec(delete(WebUpload).where(col(WebUpload.id) == upload_id))
