"""Staff: admins appointed in the bot, and single-use invitations to become staff.

Admins named in BOT_ADMIN_IDS are admins whatever this table says; the table holds the ones
appointed by other admins. Organizers of a unit are `places.OrganizerUnit` rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, delete, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.types import UTCDateTime, utcnow

INVITE_ORGANIZER = "organizer"
INVITE_ADMIN = "admin"


class Admin(SQLModel, table=True):
    """An admin appointed by another admin."""

    __tablename__ = "admins"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    added_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    added_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    """A deep link that makes whoever opens it first an organizer of a unit (or an admin).

    Only a hash of the token is stored: a copy of the database does not hand out invitations.
    """

    __tablename__ = "invites"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)  # organizer | admin
    unit_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("places.id"), nullable=True)
    )
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    used_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When its maker lost the power to make it (dismissed, removed): it no longer works.
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def is_appointed_admin(session: AsyncSession, user_id: int) -> bool:
    return await session.get(Admin, user_id) is not None


async def appointed_admins(session: AsyncSession) -> list[Admin]:
    return list((await session.exec(select(Admin).order_by(col(Admin.added_at)))).all())


async def appoint_admin(session: AsyncSession, *, user_id: int, added_by: int) -> bool:
    """Returns False when the user already is an appointed admin."""
    if await session.get(Admin, user_id) is not None:
        return False
    session.add(Admin(user_id=user_id, added_by=added_by))
    return True


async def dismiss_admin(session: AsyncSession, user_id: int) -> bool:
    result = await session.exec(delete(Admin).where(col(Admin.user_id) == user_id))
    return bool(result.rowcount)


async def create_invite(
    session: AsyncSession,
    *,
    role: str,
    unit_id: int | None,
    created_by: int,
    now: dt.datetime,
    valid_for: dt.timedelta,
) -> tuple[str, Invite]:
    """A new invitation and its token (shown once, to the admin who asked)."""
    token = secrets.token_urlsafe(18)  # 24 characters of [A-Za-z0-9_-], fits a /start payload
    invite = Invite(
        token_hash=_hash(token),
        role=role,
        unit_id=unit_id,
        created_by=created_by,
        created_at=now,
        expires_at=now + valid_for,
    )
    session.add(invite)
    await session.flush()
    return token, invite


async def pending_invite(session: AsyncSession, token: str, *, now: dt.datetime) -> Invite | None:
    """The invitation of this token if it may still be used: not used, revoked or expired."""
    query = select(Invite).where(
        col(Invite.token_hash) == _hash(token),
        col(Invite.used_by).is_(None),
        col(Invite.revoked_at).is_(None),
        col(Invite.expires_at) > now,
    )
    return (await session.exec(query)).first()


async def redeem_invite(
    session: AsyncSession, token: str, *, user_id: int, now: dt.datetime
) -> Invite | None:
    """Marks the invitation used by `user_id`; None when unknown, used, revoked or expired.

    One conditional UPDATE decides: two people opening the same link at once cannot both win.
    """
    claimed = await session.exec(
        update(Invite)
        .where(
            col(Invite.token_hash) == _hash(token),
            col(Invite.used_by).is_(None),
            col(Invite.revoked_at).is_(None),
            col(Invite.expires_at) > now,
        )
        .values(used_by=user_id, used_at=now)
    )
    if not claimed.rowcount:
        return None
    query = select(Invite).where(col(Invite.token_hash) == _hash(token))
    return (await session.exec(query)).one()


async def open_invites_by(
    session: AsyncSession, created_by: int, *, now: dt.datetime
) -> list[Invite]:
    """The invitations this person made that could still be used."""
    query = select(Invite).where(
        col(Invite.created_by) == created_by,
        col(Invite.used_by).is_(None),
        col(Invite.revoked_at).is_(None),
        col(Invite.expires_at) > now,
    )
    return list((await session.exec(query)).all())


def revoke(session: AsyncSession, invite: Invite, *, now: dt.datetime) -> None:
    invite.revoked_at = now
    session.add(invite)


async def open_invites(session: AsyncSession, *, now: dt.datetime) -> list[Invite]:
    """Every invitation that could still be used, the soonest to expire first."""
    query = (
        select(Invite)
        .where(
            col(Invite.used_by).is_(None),
            col(Invite.revoked_at).is_(None),
            col(Invite.expires_at) > now,
        )
        .order_by(col(Invite.expires_at))
    )
    return list((await session.exec(query)).all())
