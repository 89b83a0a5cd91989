"""What the public pages (no login) keep: wrong PIN guesses, counted per tracking number in
the database so that every worker applies the same limit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, String, delete, func
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.types import UTCDateTime, utcnow


class PinGuess(SQLModel, table=True):
    """One wrong PIN (or a PIN for a number that does not exist: the same to the guesser)."""

    __tablename__ = "pin_guesses"
    __table_args__ = (Index("ix_pin_guesses_ticket_at", "ticket", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket: str = Field(sa_column=Column(String(24), nullable=False))
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def wrong_guesses_since(session: AsyncSession, ticket: str, since: dt.datetime) -> int:
    query = select(func.count()).where(col(PinGuess.ticket) == ticket, col(PinGuess.at) >= since)
    return int((await session.exec(query)).one())


def record_wrong_guess(session: AsyncSession, ticket: str, at: dt.datetime) -> None:
    session.add(PinGuess(ticket=ticket, at=at))


async def forget_guesses_before(session: AsyncSession, before: dt.datetime) -> int:
    """Housekeeping: guesses older than the window count for nothing."""
    result = await session.exec(delete(PinGuess).where(col(PinGuess.at) < before))
    return int(result.rowcount or 0)
