"""Training programs: creating them, joining them, and the numbers organizers see.

A program gets a short join code (`/gabung KODE`, the deep link `ikut_KODE`, its QR code) and,
when created, its scheduled work: the questionnaire at the end time, the window's close and the
follow-up (bot/services/feedback.py does that work). No Telegram here.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from sqlalchemy import or_
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import questionnaires
from bot.services.access import Access
from bot.services.errors import Refused
from bot.services.nip import check_nip
from bot.services.text import clean_text
from bot.services.units import UnitError, open_unit
from bot.storage import audit
from bot.storage import programs as store
from bot.storage.programs import (
    MODES,
    PROGRAM_CLOSED,
    Participant,
    Program,
    TrainingProposal,
)
from bot.storage.questionnaires import PROGRAM_SUBJECT, RESPONSE_SUBMITTED, Answer, Response

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud at a venue
CODE_LENGTH = 6
DEEP_LINK_PREFIX = "ikut"
TITLE_MAX, PROVIDER_MAX, INSTRUCTOR_MAX, INSTRUCTORS_MAX = 200, 200, 80, 8
WORK_UNIT_MAX = 200
TOPIC_MIN, TOPIC_MAX = 5, 500
PROPOSALS_PER_DAY = 5
TRAINING_TEMPLATE = "pelatihan"


class ProgramError(Refused):
    """A rule of programs said no."""


@dataclass
class ProgramSpec:
    """What an organizer (or the CSV of a training calendar) gives to create a program."""

    title: str
    unit_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    provider: str | None = None
    mode: str = MODES[0]
    instructors: list[str] = field(default_factory=list)
    window_days: int = 7
    followup_weeks: int = 12


def parse_instructors(text: str) -> list[str]:
    """ "Dr. Sari; Budi Santoso" -> two names (commas stay: titles like "S.Kom., M.T.")."""
    return [name.strip() for name in text.split(";") if name.strip()]


YEARS_AHEAD = 5  # a program is planned at most this far ahead
EARLIEST_YEAR = 2000  # older programs are not imported


def check_moment(moment: dt.datetime, *, now: dt.datetime | None = None) -> None:
    """Refuses a start or an end no program has (year 9999, a slip of the keyboard) before any
    arithmetic on it can overflow."""
    latest = (now or dt.datetime.now(dt.UTC)).year + YEARS_AHEAD
    if not EARLIEST_YEAR <= moment.year <= latest:
        raise ProgramError("program.moment_range", earliest=EARLIEST_YEAR, latest=latest)


def check_spec(spec: ProgramSpec, *, now: dt.datetime | None = None) -> None:
    """Raises ProgramError (a text key naming what is wrong) for an unusable program; with
    `now`, also for one whose answering time is over already."""
    spec.title = clean_text(spec.title)
    spec.provider = clean_text(spec.provider) or None if spec.provider is not None else None
    spec.instructors = [clean_text(name) for name in spec.instructors if clean_text(name)]
    title = spec.title
    if not 3 <= len(title) <= TITLE_MAX:
        raise ProgramError("program.title_invalid", maximum=TITLE_MAX)
    if spec.provider is not None and len(spec.provider.strip()) > PROVIDER_MAX:
        raise ProgramError("program.provider_invalid", maximum=PROVIDER_MAX)
    if spec.mode not in MODES:
        raise ProgramError("program.mode_invalid", modes=", ".join(MODES))
    if spec.starts_at.tzinfo is None or spec.ends_at.tzinfo is None:
        raise ValueError("program times must be timezone-aware")
    check_moment(spec.starts_at, now=now)
    check_moment(spec.ends_at, now=now)
    if spec.ends_at <= spec.starts_at:
        raise ProgramError("program.end_before_start")
    if spec.ends_at - spec.starts_at > dt.timedelta(days=366):
        raise ProgramError("program.too_long")
    if len(spec.instructors) > INSTRUCTORS_MAX or any(
        not 2 <= len(name) <= INSTRUCTOR_MAX for name in spec.instructors
    ):
        raise ProgramError(
            "program.instructors_invalid", count=INSTRUCTORS_MAX, maximum=INSTRUCTOR_MAX
        )
    if not 1 <= spec.window_days <= 60 or not 1 <= spec.followup_weeks <= 52:
        raise ProgramError("program.window_invalid")
    if now is not None and spec.ends_at + dt.timedelta(days=spec.window_days) <= now:
        raise ProgramError("program.window_over", days=spec.window_days)


async def _new_code(session: AsyncSession) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if await store.program_by_code(session, code) is None:
            return code


async def _open(session: AsyncSession, unit_id: int) -> None:
    """Refuses a unit that is gone or deactivated, in the words of programs."""
    try:
        await open_unit(session, unit_id)
    except UnitError as exc:
        raise ProgramError(exc.key, **exc.values) from None


async def create_program(
    session: AsyncSession, *, spec: ProgramSpec, caller: Access | None, now: dt.datetime
) -> Program:
    """Stores the program with its scheduled work (send, close, follow-up), audited as the
    caller's. Refused: a unit the caller does not handle at this moment (None is the
    operator's CLI on the server), and a program whose answering time is already over (its
    questionnaire could never be sent)."""
    if caller is not None and not caller.handles(spec.unit_id):
        raise ProgramError("program.unit_not_yours")
    await _open(session, spec.unit_id)
    check_spec(spec, now=now)
    template = await questionnaires.latest(session, TRAINING_TEMPLATE)
    assert template.id is not None
    closes_at = spec.ends_at + dt.timedelta(days=spec.window_days)
    program = Program(
        code=await _new_code(session),
        title=spec.title.strip(),
        unit_id=spec.unit_id,
        provider=(spec.provider or "").strip() or None,
        mode=spec.mode,
        instructors=list(spec.instructors),
        starts_at=spec.starts_at.astimezone(dt.UTC),
        ends_at=spec.ends_at.astimezone(dt.UTC),
        template_id=template.id,
        closes_at=closes_at.astimezone(dt.UTC),
        followup_at=(spec.ends_at + dt.timedelta(weeks=spec.followup_weeks)).astimezone(dt.UTC),
        created_by=caller.user_id if caller is not None else None,
    )
    session.add(program)
    await session.flush()
    assert program.id is not None
    if caller is not None:
        audit.record(
            session,
            actor_id=caller.user_id,
            actor_role=caller.actor_role,
            action="program_create",
            subject_kind="program",
            subject_id=program.id,
            detail=program.code,
        )
    for kind, due in (
        ("dispatch", program.ends_at),
        ("close", program.closes_at),
        ("followup", program.followup_at),
    ):
        await store.schedule(
            session, key=f"{kind}:{program.id}", kind=kind, program_id=program.id, due_at=due
        )
    return program


def deep_link_payload(program: Program) -> str:
    return f"{DEEP_LINK_PREFIX}_{program.code}"


def join_link(program: Program, bot_username: str) -> str:
    return f"https://t.me/{bot_username}?start={deep_link_payload(program)}"


@dataclass
class Joined:
    participant: Participant
    new: bool


async def join(
    session: AsyncSession,
    *,
    program: Program,
    user_id: int,
    nip: str | None = None,
    work_unit: str | None = None,
) -> Joined:
    """Registers the ASN; joining again keeps the first registration (and updates the NIP and
    work unit if given). A closed program takes nobody."""
    assert program.id is not None
    if program.status == PROGRAM_CLOSED:
        raise ProgramError("join.closed", title=program.title)
    if nip is not None:
        nip = check_nip(nip)
    if work_unit is not None:
        work_unit = clean_text(work_unit)[:WORK_UNIT_MAX] or None
    existing = await store.participant(session, program.id, user_id)
    if existing is not None:
        existing.nip = nip or existing.nip
        existing.work_unit = work_unit or existing.work_unit
        session.add(existing)
        return Joined(existing, new=False)
    participant = Participant(program_id=program.id, user_id=user_id, nip=nip, work_unit=work_unit)
    session.add(participant)
    await session.flush()
    return Joined(participant, new=True)


@dataclass(frozen=True)
class ItemFigure:
    question: str
    instructor: int
    mean: float
    answers: int


@dataclass(frozen=True)
class ProgramFigures:
    participants: int
    respondents: int
    # Empty below the minimum number of respondents: a withheld figure looks like no figure.
    items: tuple[ItemFigure, ...]
    withheld: bool

    @property
    def rate(self) -> float:
        return self.respondents / self.participants if self.participants else 0.0


async def figures(session: AsyncSession, program: Program, *, minimum: int) -> ProgramFigures:
    """Participants, respondents and the mean of each rated item, made of the released
    questionnaires only (bot/services/releases.py): two refreshes on either side of one more
    answer show the same figures."""
    assert program.id is not None
    participants = await store.count_participants(session, program.id)
    submitted = [
        col(Response.subject_kind) == PROGRAM_SUBJECT,
        col(Response.subject_id) == program.id,
        col(Response.status) == RESPONSE_SUBMITTED,
    ]
    respondents = int(
        (await session.exec(select(func.count()).select_from(Response).where(*submitted))).one()
    )
    released = [*submitted, col(Response.released_at).is_not(None)]
    query = (
        select(Answer.question, Answer.instructor, func.avg(Answer.score), func.count())
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(*released, col(Answer.score).is_not(None))
        .group_by(col(Answer.question), col(Answer.instructor))
    )
    rows = (await session.exec(query)).all()
    items = tuple(
        ItemFigure(str(question), int(instructor), float(mean), int(count))
        for question, instructor, mean, count in rows
        # Each breakdown (an instructor's items) is withheld below the minimum as well.
        if int(count) >= minimum
    )
    return ProgramFigures(participants, respondents, items, withheld=not items)


async def propose(
    session: AsyncSession,
    *,
    unit_id: int,
    proposer_id: int,
    topic: str,
    now: dt.datetime,
    proposer_key: str | None = None,
) -> TrainingProposal:
    """Stores the proposal; the day's limit counts, given `proposer_key` (privacy.person_key),
    what the proposer made before erasing their identity too."""
    await _open(session, unit_id)
    text = clean_text(topic)
    if not TOPIC_MIN <= len(text) <= TOPIC_MAX:
        raise ProgramError("proposal.invalid", minimum=TOPIC_MIN, maximum=TOPIC_MAX)
    since = now - dt.timedelta(days=1)
    who = col(TrainingProposal.proposer_id) == proposer_id
    if proposer_key is not None:
        who = or_(who, col(TrainingProposal.proposer_key) == proposer_key)
    count = (
        await session.exec(
            select(func.count()).where(who, col(TrainingProposal.created_at) >= since)
        )
    ).one()
    if int(count) >= PROPOSALS_PER_DAY:
        raise ProgramError("proposal.daily_limit", limit=PROPOSALS_PER_DAY)
    proposal = TrainingProposal(unit_id=unit_id, proposer_id=proposer_id, topic=text)
    session.add(proposal)
    return proposal
