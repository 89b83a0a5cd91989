"""The web workspace's single-use login links (`/masuk` in the chat).

Only a hash of the token is stored: a copy of the database does not hand out logins. A link is
taken with one conditional UPDATE, so two browsers opening it at once cannot both get in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import BigInteger, Column, func, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.types import UTCDateTime, utcnow


class WebLogin(SQLModel, table=True):
    __tablename__ = "web_logins"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_login(
    session: AsyncSession, *, user_id: int, now: dt.datetime, valid_for: dt.timedelta
) -> str:
    """A new login link's token (shown once, in the chat of the person who asked)."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebLogin(
            token_hash=token_hash(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    await session.flush()
    return token


async def redeem_login(session: AsyncSession, token: str, *, now: dt.datetime) -> int | None:
    """The user the link was made for, marking it used; None if unknown, used or expired."""
    if not token or len(token) > 100:
        return None
    digest = token_hash(token)
    claimed = await session.exec(
        update(WebLogin)
        .where(
            col(WebLogin.token_hash) == digest,
            col(WebLogin.used_at).is_(None),
            col(WebLogin.expires_at) > now,
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        return None
    row = (await session.exec(select(WebLogin).where(col(WebLogin.token_hash) == digest))).one()
    return row.user_id


async def logins_since(session: AsyncSession, *, user_id: int, since: dt.datetime) -> int:
    """Login links made for this user since then (used or not): the links' own limit."""
    query = select(func.count()).where(
        col(WebLogin.user_id) == user_id, col(WebLogin.created_at) >= since
    )
    return int((await session.exec(query)).one())
