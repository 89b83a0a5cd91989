"""Training programs, their participants, training-need proposals, and scheduled work.

Scheduled work (sending the questionnaire when a program ends, reminders, closing the window,
the follow-up) is a row in `due_items`, claimed with a lease the way outbox rows are: a process
that was down finds what fell due meanwhile, and two processes never do the same item twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    update,
)
from sqlmodel import Field, SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage import leases
from bot.storage.types import UTCDateTime, utcnow

MODES = ("klasikal", "elearning", "blended")  # classroom, e-learning, blended
PROGRAM_SCHEDULED = "scheduled"  # questionnaire not sent yet
PROGRAM_OPEN = "open"  # questionnaire sent, window open
PROGRAM_CLOSED = "closed"

DUE_PENDING = "pending"
DUE_DONE = "done"
DUE_LEASE = dt.timedelta(seconds=60)  # a dead worker's item is taken over after this


class Program(SQLModel, table=True):
    __tablename__ = "programs"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(12), unique=True, nullable=False))
    title: str = Field(max_length=200)
    unit_id: int = Field(sa_column=Column(Integer, ForeignKey("places.id"), nullable=False))
    provider: str | None = Field(default=None, max_length=200)
    mode: str = Field(default=MODES[0], max_length=16)
    instructors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    starts_at: dt.datetime = Field(sa_type=UTCDateTime)
    ends_at: dt.datetime = Field(sa_type=UTCDateTime)
    template_id: int = Field(
        sa_column=Column(Integer, ForeignKey("questionnaire_templates.id"), nullable=False)
    )
    # The knowledge test taken before and after the training (bot/services/knowledge.py).
    test_template_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("questionnaire_templates.id"), nullable=True),
    )
    # The questionnaire's languages the program is asked in, Indonesian first (None: every
    # language its version has; bot/services/questionnaires.py `asked_in`).
    languages: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    closes_at: dt.datetime = Field(sa_type=UTCDateTime)  # end of the response window
    followup_at: dt.datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=PROGRAM_SCHEDULED, max_length=16)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Participant(SQLModel, table=True):
    __tablename__ = "program_participants"
    __table_args__ = (UniqueConstraint("program_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programs.id"), nullable=False, index=True)
    )
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    nip: str | None = Field(default=None, max_length=18)
    work_unit: str | None = Field(default=None, max_length=200)
    joined_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TrainingProposal(SQLModel, table=True):
    """A training topic an ASN proposes (/usul), for the organizers of a unit."""

    __tablename__ = "training_proposals"
    __table_args__ = (Index("ix_training_proposals_created", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(
        sa_column=Column(Integer, ForeignKey("places.id"), nullable=False, index=True)
    )
    # Kept to limit how many one person files; never shown to organizers.
    proposer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    # Set only when the proposer erased their identity, while the day's limit still counts it.
    proposer_key: str | None = Field(default=None, max_length=64)
    topic: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DueItem(SQLModel, table=True):
    """A piece of scheduled work: `kind` for `program` (and `user`) at `due_at`, done once."""

    __tablename__ = "due_items"
    __table_args__ = (Index("ix_due_items_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(96), unique=True, nullable=False))
    kind: str = Field(max_length=16)  # dispatch | remind | close | followup
    program_id: int = Field(sa_column=Column(Integer, ForeignKey("programs.id"), nullable=False))
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    number: int = 0  # which reminder
    due_at: dt.datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=DUE_PENDING, max_length=16)
    lease_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    done_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


async def program_by_code(session: AsyncSession, code: str) -> Program | None:
    query = select(Program).where(col(Program.code) == code.strip().upper())
    return (await session.exec(query)).first()


async def programs_of_units(
    session: AsyncSession, unit_ids: list[int] | None, *, limit: int = 50
) -> list[Program]:
    query = select(Program).order_by(col(Program.starts_at).desc()).limit(limit)
    if unit_ids is not None:
        query = query.where(col(Program.unit_id).in_(unit_ids))
    return list((await session.exec(query)).all())


def _calendar_order(now: dt.datetime) -> list[Any]:
    """Running programs first, then those coming (soonest first), then past ones (latest
    first): after importing a year of programs, today's is still on the first page."""
    bucket = case(
        (and_(col(Program.starts_at) <= now, col(Program.ends_at) >= now), 0),
        (col(Program.starts_at) > now, 1),
        else_=2,
    )
    upcoming = case((col(Program.ends_at) >= now, col(Program.starts_at)), else_=None)
    return [bucket, upcoming.asc(), col(Program.starts_at).desc(), col(Program.id)]


CALENDAR_GROUPS = ("running", "coming", "past")


def _in_group(group: str | None, now: dt.datetime) -> list[Any]:
    """The condition of a calendar group: running (started, not ended), coming, past."""
    if group == "running":
        return [col(Program.starts_at) <= now, col(Program.ends_at) >= now]
    if group == "coming":
        return [col(Program.starts_at) > now]
    if group == "past":
        return [col(Program.ends_at) < now]
    return []


async def program_calendar(
    session: AsyncSession,
    unit_ids: list[int] | None,
    *,
    now: dt.datetime,
    offset: int,
    limit: int,
    group: str | None = None,
) -> tuple[list[Program], int]:
    """One page of the programs of these units (None: all) in calendar order, and how many
    there are in all; with `group` ("running", "coming", "past"), of that group only."""
    scope = [] if unit_ids is None else [col(Program.unit_id).in_(unit_ids)]
    scope += _in_group(group, now)
    query = select(Program).where(*scope).order_by(*_calendar_order(now))
    found = list((await session.exec(query.offset(offset).limit(limit))).all())
    total = (await session.exec(select(func.count()).select_from(Program).where(*scope))).one()
    return found, int(total)


async def participant(session: AsyncSession, program_id: int, user_id: int) -> Participant | None:
    query = select(Participant).where(
        col(Participant.program_id) == program_id, col(Participant.user_id) == user_id
    )
    return (await session.exec(query)).first()


async def participants_of(session: AsyncSession, program_id: int) -> list[Participant]:
    query = (
        select(Participant)
        .where(col(Participant.program_id) == program_id)
        .order_by(col(Participant.id))
    )
    return list((await session.exec(query)).all())


async def count_participants(session: AsyncSession, program_id: int) -> int:
    query = select(func.count()).where(col(Participant.program_id) == program_id)
    return int((await session.exec(query)).one())


async def programs_of_participant(session: AsyncSession, user_id: int) -> list[Program]:
    query = (
        select(Program)
        .join(Participant, col(Participant.program_id) == col(Program.id))
        .where(col(Participant.user_id) == user_id)
        .order_by(col(Program.starts_at).desc())
        .limit(20)
    )
    return list((await session.exec(query)).all())


async def schedule(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    program_id: int,
    due_at: dt.datetime,
    user_id: int | None = None,
    number: int = 0,
) -> bool:
    """Adds the item unless one with this key exists (then it is left as it is)."""
    exists = await session.exec(select(DueItem.id).where(col(DueItem.key) == key))
    if exists.first() is not None:
        return False
    session.add(
        DueItem(
            key=key,
            kind=kind,
            program_id=program_id,
            user_id=user_id,
            number=number,
            due_at=due_at,
        )
    )
    return True


async def reschedule(session: AsyncSession, *, key: str, due_at: dt.datetime) -> None:
    """Moves a pending item (a window extended, a questionnaire sent early)."""
    await session.exec(
        update(DueItem)
        .where(and_(col(DueItem.key) == key, col(DueItem.status) == DUE_PENDING))
        .values(due_at=due_at)
    )


async def repend(session: AsyncSession, *, key: str, due_at: dt.datetime) -> None:
    """Makes an item due again at `due_at`, done or not (a closed window reopened)."""
    await session.exec(
        update(DueItem)
        .where(col(DueItem.key) == key)
        .values(due_at=due_at, status=DUE_PENDING, done_at=None, lease_until=None)
    )


async def claim_due(session: AsyncSession, *, now: dt.datetime, limit: int = 100) -> list[DueItem]:
    """Leases up to `limit` due items to this caller; commit to make the lease visible."""
    due = and_(col(DueItem.status) == DUE_PENDING, col(DueItem.due_at) <= now)
    return await leases.claim(
        session,
        DueItem,
        due=due,
        order=(col(DueItem.due_at), col(DueItem.id)),
        now=now,
        lease=DUE_LEASE,
        limit=limit,
    )


async def release(session: AsyncSession, item_id: int) -> None:
    """Gives a claimed item back at once (it has more to do), for the next claim."""
    await session.exec(update(DueItem).where(col(DueItem.id) == item_id).values(lease_until=None))


async def mark_done(session: AsyncSession, item_id: int, *, now: dt.datetime) -> None:
    await session.exec(
        update(DueItem)
        .where(col(DueItem.id) == item_id)
        .values(status=DUE_DONE, done_at=now, lease_until=None)
    )


async def proposals_of_units(
    session: AsyncSession, unit_ids: list[int] | None, *, limit: int = 30
) -> tuple[list[TrainingProposal], int]:
    conditions = [] if unit_ids is None else [col(TrainingProposal.unit_id).in_(unit_ids)]
    query = (
        select(TrainingProposal)
        .where(*conditions)
        .order_by(col(TrainingProposal.created_at).desc())
        .limit(limit)
    )
    total = (
        await session.exec(select(func.count()).select_from(TrainingProposal).where(*conditions))
    ).one()
    return list((await session.exec(query)).all()), int(total)
