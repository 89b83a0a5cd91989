"""Weekly digest claims: one row per recipient and week decides who builds and sends it.

A process inserts the row before building (a unique key: two processes cannot both win), builds
outside any write transaction, then writes the messages to the outbox and marks the row sent in
one commit. A row claimed but never sent (the process died while building) can be taken over
once its claim is older than `STALE`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, String, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.types import UTCDateTime

# A build takes seconds (2.4 s for the admins on a million answers); a claim this old was
# left by a worker that died, and another takes it over.
STALE = dt.timedelta(minutes=1)


class DigestClaim(SQLModel, table=True):
    __tablename__ = "digest_claims"

    recipient_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    week: str = Field(sa_column=Column(String(8), primary_key=True))  # ISO week, 2026-W48
    claimed_at: dt.datetime = Field(sa_type=UTCDateTime)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


async def claim(session: AsyncSession, *, recipient_id: int, week: str, now: dt.datetime) -> bool:
    """True when this process now holds the recipient's digest of `week` (and must commit
    at once); False when it was sent, or is being built elsewhere."""
    existing = await session.get(DigestClaim, (recipient_id, week))
    if existing is None:
        session.add(DigestClaim(recipient_id=recipient_id, week=week, claimed_at=now))
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()
            return False
        return True
    if existing.sent_at is not None:
        return False
    taken = await session.exec(
        update(DigestClaim)
        .where(
            col(DigestClaim.recipient_id) == recipient_id,
            col(DigestClaim.week) == week,
            col(DigestClaim.sent_at).is_(None),
            col(DigestClaim.claimed_at) < now - STALE,
        )
        .values(claimed_at=now)
    )
    return bool(taken.rowcount)


async def mark_sent(
    session: AsyncSession, *, recipient_id: int, week: str, now: dt.datetime
) -> None:
    await session.exec(
        update(DigestClaim)
        .where(col(DigestClaim.recipient_id) == recipient_id, col(DigestClaim.week) == week)
        .values(sent_at=now)
    )


async def sent_weeks(session: AsyncSession, week: str) -> set[int]:
    """Recipients whose digest of `week` is sent."""
    query = select(DigestClaim.recipient_id).where(
        col(DigestClaim.week) == week, col(DigestClaim.sent_at).is_not(None)
    )
    return set((await session.exec(query)).all())
