"""Complaint tables and queries: the complaint, its attachments, its audit trail."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    and_,
    case,
    column,
    func,
    literal_column,
    or_,
    table,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.places import Place
from bot.storage.types import UTCDateTime, utcnow

# States, as LAPOR! names them.
BARU = "baru"
DIVERIFIKASI = "diverifikasi"
DITINDAKLANJUTI = "ditindaklanjuti"
MENUNGGU = "menunggu"
SELESAI = "selesai"
DITOLAK = "ditolak"
STATES = (BARU, DIVERIFIKASI, DITINDAKLANJUTI, MENUNGGU, SELESAI, DITOLAK)
OPEN_STATES = (BARU, DIVERIFIKASI, DITINDAKLANJUTI, MENUNGGU)

# The citizen's answer when a complaint is closed: was it handled?
HANDLED_YES = "sudah"
HANDLED_PARTLY = "sebagian"
HANDLED_NO = "belum"
HANDLED = (HANDLED_YES, HANDLED_PARTLY, HANDLED_NO)

PRIVACY_CONFIDENTIAL = "rahasia"
PRIVACY_ANONYMOUS = "anonim"


class Complaint(SQLModel, table=True):
    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_unit_state", "unit_id", "state"),
        Index("ix_complaints_reporter", "reporter_id", "created_at"),
        # The weekly digest counts by period.
        Index("ix_complaints_created", "created_at"),
        Index("ix_complaints_closed", "closed_at"),
        Index("ix_complaints_reporter_key", "reporter_key", "created_at"),
        # The web inbox (search_for_units): its counts and its ordered page read this index
        # alone, never the wide rows, on 100,000 complaints (bench/web.py).
        Index(
            "ix_complaints_inbox",
            "state",
            "category",
            "unit_id",
            "verify_due",
            "followup_due",
            "created_at",
        ),
        # The same led by category: the category filter, and the categories it offers. Narrower
        # would mislead SQLite's planner into reading rows through it.
        Index(
            "ix_complaints_category",
            "category",
            "state",
            "unit_id",
            "verify_due",
            "followup_due",
            "created_at",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket: str | None = Field(default=None, sa_column=Column(String(24), unique=True))
    # Kept for anonymous complaints too, so the reporter can follow and be answered; never
    # shown to organizers, never exported when privacy is anonymous.
    reporter_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    reporter_name: str | None = Field(default=None, max_length=200)
    # Set only when the reporter erased their identity, on the complaints the day's limit
    # still counts (bot/services/privacy.py person_key); cleared once the day is over.
    reporter_key: str | None = Field(default=None, max_length=64)
    privacy: str = Field(default=PRIVACY_CONFIDENTIAL, max_length=16)
    category: str = Field(max_length=80)
    unit_id: int = Field(sa_column=Column(Integer, ForeignKey("places.id"), nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))
    incident_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = Field(default=None, max_length=500)
    state: str = Field(default=BARU, max_length=16)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    verify_due: dt.date = Field(sa_column=Column(Date, nullable=False))
    followup_due: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    waiting_since: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    state_before_waiting: str | None = Field(default=None, max_length=16)
    first_response_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    rating: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    rating_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sentiment_label: str | None = Field(default=None, max_length=16)
    sentiment_polarity: float | None = None
    rating_sentiment_label: str | None = Field(default=None, max_length=16)
    rating_sentiment_polarity: float | None = None
    last_reminded_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    escalated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The citizen's word on a closed complaint (HANDLED_*); None until asked and answered.
    handled: str | None = Field(default=None, max_length=16)
    reopen_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    # What the tracking PIN is derived from with the deployment's secret
    # (bot/services/public.py): the PIN itself is stored nowhere, so the database alone cannot
    # print it. None for complaints filed before PINs (the citizen makes one in /status).
    pin_seed: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))


class Attachment(SQLModel, table=True):
    __tablename__ = "complaint_attachments"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(
        sa_column=Column(Integer, ForeignKey("complaints.id"), nullable=False, index=True)
    )
    kind: str = Field(max_length=16)  # photo | document | voice
    file_id: str = Field(max_length=200)
    from_reporter: bool = True
    # The event it came with (an officer's reply or question, a reopening); None: filed with it.
    event_id: int | None = None
    added_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ComplaintEvent(SQLModel, table=True):
    """The audit trail: who did what, when, and how the state moved."""

    __tablename__ = "complaint_events"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(
        sa_column=Column(Integer, ForeignKey("complaints.id"), nullable=False, index=True)
    )
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    actor_role: str = Field(max_length=16)  # reporter | organizer | admin | system
    action: str = Field(max_length=24)
    from_state: str | None = Field(default=None, max_length=16)
    to_state: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    target_unit_id: int | None = None


class UnitBlock(SQLModel, table=True):
    """A reporter stopped from filing to one unit, by its organizer, with the reason; an
    admin may lift it. The organizer never learns who the reporter is."""

    __tablename__ = "unit_blocks"
    __table_args__ = (
        Index("ix_unit_blocks_user_unit", "user_id", "unit_id"),
        Index("ix_unit_blocks_key_unit", "user_key", "unit_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(sa_column=Column(Integer, ForeignKey("places.id"), nullable=False))
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    # After the reporter erased their identity: the keyed hash that still names the limit.
    user_key: str | None = Field(default=None, max_length=64)
    complaint_id: int = Field(
        sa_column=Column(Integer, ForeignKey("complaints.id"), nullable=False)
    )
    reason: str = Field(sa_column=Column(Text, nullable=False))
    blocked_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    blocked_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lifted_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    lifted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


async def active_block(
    session: AsyncSession, *, user_id: int, unit_id: int, user_key: str | None = None
) -> UnitBlock | None:
    """The unit's limit on this person: by their id, or by the key it kept after erasure."""
    who = col(UnitBlock.user_id) == user_id
    if user_key is not None:
        who = or_(who, col(UnitBlock.user_key) == user_key)
    query = select(UnitBlock).where(
        who, col(UnitBlock.unit_id) == unit_id, col(UnitBlock.lifted_at).is_(None)
    )
    return (await session.exec(query)).first()


async def active_blocks(session: AsyncSession, *, limit: int = 30) -> list[UnitBlock]:
    query = (
        select(UnitBlock)
        .where(col(UnitBlock.lifted_at).is_(None))
        .order_by(col(UnitBlock.blocked_at).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


def ticket_for(complaint: Complaint) -> str:
    assert complaint.id is not None
    return f"ADU-{complaint.created_at.year}-{complaint.id:06d}"


async def get_complaint(session: AsyncSession, complaint_id: int) -> Complaint | None:
    return await session.get(Complaint, complaint_id)


async def complaint_by_ticket(session: AsyncSession, ticket: str) -> Complaint | None:
    query = select(Complaint).where(col(Complaint.ticket) == ticket.strip().upper())
    return (await session.exec(query)).first()


async def complaints_of_reporter(
    session: AsyncSession, reporter_id: int, *, limit: int = 10
) -> list[Complaint]:
    query = (
        select(Complaint)
        .where(col(Complaint.reporter_id) == reporter_id)
        .order_by(col(Complaint.created_at).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def count_since(
    session: AsyncSession,
    *,
    reporter_id: int,
    since: dt.datetime,
    reporter_key: str | None = None,
) -> int:
    """Complaints this person filed since then, those filed before an erasure included."""
    who = col(Complaint.reporter_id) == reporter_id
    if reporter_key is not None:
        who = or_(who, col(Complaint.reporter_key) == reporter_key)
    query = select(func.count()).where(who, col(Complaint.created_at) >= since)
    return int((await session.exec(query)).one())


async def recent_descriptions(
    session: AsyncSession, *, reporter_id: int, since: dt.datetime
) -> list[tuple[str, str]]:
    query = select(Complaint.ticket, Complaint.description).where(
        col(Complaint.reporter_id) == reporter_id, col(Complaint.created_at) >= since
    )
    return [(ticket or "", text) for ticket, text in (await session.exec(query)).all()]


def _due_date() -> ColumnElement[dt.date]:
    """The deadline that applies in the complaint's present state."""
    return case(
        (col(Complaint.state) == BARU, col(Complaint.verify_due)),
        else_=col(Complaint.followup_due),
    )


async def list_for_units(
    session: AsyncSession,
    *,
    unit_ids: Sequence[int] | None,
    states: Sequence[str],
    offset: int,
    limit: int,
    today: dt.date,
) -> tuple[list[Complaint], int]:
    """Complaints of these units (None: all) in these states, overdue first, then oldest."""
    conditions = [col(Complaint.state).in_(states)]
    if unit_ids is not None:
        conditions.append(col(Complaint.unit_id).in_(unit_ids))
    due = _due_date()
    overdue_first = case((due < today, 0), else_=1)
    query = (
        select(Complaint)
        .where(*conditions)
        .order_by(overdue_first, due, col(Complaint.created_at))
        .offset(offset)
        .limit(limit)
    )
    total = (await session.exec(select(func.count()).where(*conditions))).one()
    return list((await session.exec(query)).all()), int(total)


async def open_complaints(session: AsyncSession) -> list[Complaint]:
    query = select(Complaint).where(col(Complaint.state).in_(OPEN_STATES))
    return list((await session.exec(query)).all())


async def attachments_of(session: AsyncSession, complaint_id: int) -> list[Attachment]:
    query = (
        select(Attachment)
        .where(col(Attachment.complaint_id) == complaint_id)
        .order_by(col(Attachment.id))
    )
    return list((await session.exec(query)).all())


async def events_of(session: AsyncSession, complaint_id: int) -> list[ComplaintEvent]:
    query = (
        select(ComplaintEvent)
        .where(col(ComplaintEvent.complaint_id) == complaint_id)
        .order_by(col(ComplaintEvent.id))
    )
    return list((await session.exec(query)).all())


async def complaints_since(
    session: AsyncSession,
    *,
    since: dt.datetime | None,
    unit_ids: Sequence[int] | None,
    until: dt.datetime | None = None,
) -> list[Complaint]:
    query = select(Complaint).order_by(col(Complaint.id))
    if since is not None:
        query = query.where(col(Complaint.created_at) >= since)
    if until is not None:
        query = query.where(col(Complaint.created_at) < until)
    if unit_ids is not None:
        query = query.where(col(Complaint.unit_id).in_(unit_ids))
    return list((await session.exec(query)).all())


async def forward_candidates(
    session: AsyncSession, *, unit_id: int, search: str | None = None
) -> list[Place]:
    """The units a complaint of `unit_id` may be forwarded to: those of the same region and
    level, by name, `search` (part of a name) narrowing them."""
    unit = await session.get(Place, unit_id)
    if unit is None:
        return []
    conditions = [
        col(Place.level) == unit.level,
        col(Place.id) != unit_id,
        col(Place.active),  # a deactivated unit takes no new complaints
        col(Place.parent_id) == unit.parent_id
        if unit.parent_id is not None
        else col(Place.parent_id).is_(None),
    ]
    if search:
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(func.lower(col(Place.name)).like(f"%{escaped}%", escape="\\"))
    query = select(Place).where(*conditions).order_by(col(Place.name))
    return list((await session.exec(query)).all())


# States whose deadline runs (menunggu waits for the citizen; closed ones have none).
_DEADLINE_STATES = (BARU, DIVERIFIKASI, DITINDAKLANJUTI)


def _state(name: str) -> ColumnElement[str]:
    """A state as a constant in the SQL text, not a bound parameter: the planners match an
    index on an expression only to the same expression with the same constants (SQLite never
    looks into a parameter), so the inbox's order and its index are written alike."""
    assert name.isalpha(), name
    return literal_column(f"'{name}'")


def _running_due() -> ColumnElement[dt.date]:
    """The deadline that runs now, NULL for a complaint that waits or is closed."""
    return case(
        (col(Complaint.state) == _state(BARU), col(Complaint.verify_due)),
        (
            col(Complaint.state).in_([_state(s) for s in _DEADLINE_STATES]),
            col(Complaint.followup_due),
        ),
        else_=None,
    )


def _inbox_order() -> list[Any]:
    """The inbox's order: the nearest running deadline first, those without one last, then
    the filing time; the id breaks ties."""
    due = _running_due()
    last = case((due.is_(None), literal_column("1")), else_=literal_column("0"))  # constants too
    return [last, due, col(Complaint.created_at), col(Complaint.id)]


# The inbox's order as an index (migration 0027): a page of all 100,000 complaints, the middle
# one too, is read off it in order instead of sorting every complaint's keys (PostgreSQL
# spilled that sort to disk: 244 ms for an admin's middle page in bench/web.py; the id query
# of that page now reads 50,000 index entries, 18 ms).
INBOX_ORDER_INDEX = "ix_complaints_inbox_order"
# PostgreSQL reads the page's ids from the index alone only when it also holds the columns the
# expressions are made of (its planner does not take them from an expression's entries).
Index(
    INBOX_ORDER_INDEX, *_inbox_order(), postgresql_include=["state", "verify_due", "followup_due"]
)
# What SQLAlchemy and Alembic say of that index when they cannot read it back from SQLite.
UNREFLECTED_WARNINGS = (
    "Skipped unsupported reflection of expression-based index",
    "autogenerate skipping metadata-specified expression-based index",
)


def is_expression_index(name: str | None) -> bool:
    """The inbox's order index, on expressions: Alembic cannot compare it (SQLite's is not
    read back, PostgreSQL's comes back rewritten), so the schema comparison and autogenerate
    leave it alone; tests/storage/test_inbox_order.py checks that the planners use it."""
    return name == INBOX_ORDER_INDEX


# Outside the models, made by migration 0021: the trigram full-text table (SQLite, with its
# shadow tables) and the trigram index (PostgreSQL) behind the inbox's word search.
SEARCH_TABLE = "complaint_search"
SEARCH_INDEX = "ix_complaints_description_trgm"
_search_table = table(SEARCH_TABLE, column("rowid", Integer), column("description", Text))
_NUMBER = re.compile(r"(?:ADU-\d{4}-)?(\d{1,9})")


def is_search_object(name: str | None) -> bool:
    """Whether a table or index is the word search's, which the schema comparison and
    autogenerate leave alone."""
    return bool(name) and (name == SEARCH_INDEX or str(name).startswith(SEARCH_TABLE))


def _search_conditions(search: str, dialect: str) -> list[ColumnElement[bool]]:
    """A number (ADU-2026-000123, 000123, 123) finds that complaint (a bare number also finds
    descriptions holding it); words find descriptions holding every one of them, in any case,
    through the trigram index (SQLite's FTS5 table, PostgreSQL's pg_trgm)."""
    typed = search.strip().upper()
    number = _NUMBER.fullmatch(typed)
    if number and typed.startswith("ADU-"):
        return [col(Complaint.id) == int(number.group(1))]
    # LIKE's wildcards and its escape are no part of a word: they separate words.
    words = [w for w in re.split(r"[\s%_\\]+", search.lower()) if w]
    by_words: list[ColumnElement[bool]] = []
    if dialect == "sqlite":
        # One MATCH of every word of three letters or more, each a quoted phrase (a substring
        # for the trigram tokenizer, in any case): one read of the index for all of them,
        # where a LIKE per word would walk the index once per word. Shorter words have no
        # trigram: SQLite's LIKE (case-blind for ASCII) reads them off the rows.
        indexed = [w for w in words if len(w) >= 3]
        if indexed:
            phrases = " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed)
            found = select(_search_table.c.rowid).where(
                literal_column(SEARCH_TABLE).op("MATCH")(phrases)
            )
            by_words.append(col(Complaint.id).in_(found))
        by_words += [col(Complaint.description).like(f"%{w}%") for w in words if len(w) < 3]
    else:
        by_words += [col(Complaint.description).ilike(f"%{w}%") for w in words]
    if number:
        return [or_(col(Complaint.id) == int(number.group(1)), and_(*by_words))]
    return by_words


async def search_for_units(
    session: AsyncSession,
    *,
    unit_ids: Sequence[int] | None,
    states: Sequence[str] | None,
    category: str | None,
    overdue: bool,
    search: str | None,
    today: dt.date,
    offset: int,
    limit: int,
) -> tuple[list[Complaint], int, dict[str, int]]:
    """The web inbox: complaints of these units (None: all) by state, category, overdue and
    search, the nearest deadline first (those without one last), a page of them, how many in
    all, and how many in each state under the same filters."""
    conditions: list[ColumnElement[bool]] = []
    if unit_ids is not None:
        conditions.append(col(Complaint.unit_id).in_(unit_ids))
    if category:
        conditions.append(col(Complaint.category) == category)
    due = _running_due()
    if overdue:
        conditions.append(due < today)
    if search:
        conditions.extend(_search_conditions(search, session.get_bind().dialect.name))
    counts_query = (
        select(Complaint.state, func.count()).where(*conditions).group_by(col(Complaint.state))
    )
    counts = {state: int(n) for state, n in (await session.exec(counts_query)).all()}
    # The counts by state are under the same filters: the total is theirs, without a query.
    total = sum(n for state, n in counts.items() if states is None or state in states)
    if states is not None:
        conditions.append(col(Complaint.state).in_(states))
    # The page's ids first, sorted on the index's narrow entries; then those rows alone. Sorting
    # whole rows to skip a deep page's offset read every description of every complaint. A
    # page past the middle is read from the end in the reverse order (the total is known), so
    # no page sorts more than half the list; the id breaks ties so both ways agree.
    keys = _inbox_order()
    if states is not None and not set(states) & set(_DEADLINE_STATES):
        # No deadline runs in these states (closed, waiting): the order is the filing time's.
        # Said so, the planner sorts the few rows of those states; else it walks the order's
        # index past every open complaint to reach them, at the end (50 ms for an organizer).
        keys = keys[2:]
    backwards = offset + limit > total - offset
    if backwards:
        keys = [key.desc() for key in keys]
        offset, limit = max(0, total - offset - limit), min(limit, max(0, total - offset))
    page_ids = select(Complaint.id).where(*conditions).order_by(*keys).offset(offset).limit(limit)
    ids = list((await session.exec(page_ids)).all())
    if backwards:
        ids.reverse()
    if not ids:
        return [], total, counts
    rows = await session.exec(select(Complaint).where(col(Complaint.id).in_(ids)))
    by_id = {complaint.id: complaint for complaint in rows.all()}
    return [by_id[i] for i in ids if i in by_id], total, counts


async def categories_in_use(session: AsyncSession, unit_ids: Sequence[int] | None) -> list[str]:
    query = select(Complaint.category).distinct().order_by(col(Complaint.category))
    if unit_ids is not None:
        query = query.where(col(Complaint.unit_id).in_(unit_ids))
    return [str(name) for name in (await session.exec(query)).all()]
