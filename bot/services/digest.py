"""The weekly digest's numbers: aggregated in the database, returned as plain data.

`build(session, scope, period, ...)` reads; it never writes, so on SQLite it holds no write lock
while it works. Everything is counted with GROUP BY in SQL; only small results come back (a
score distribution per item, one column of durations for one week's complaints, one week's
comments for the themes). Renderers (bot/reports/digest_*.py) turn the result into text, a
PNG and an XLSX in the recipient's language.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.analysis.themes import themes
from bot.services import satisfaction
from bot.services.feedback import FOLLOWUP_SUBJECT
from bot.services.programs import PROGRAM_SUBJECT
from bot.services.satisfaction import SKM_SUBJECT, Ikm
from bot.storage.complaints import (
    BARU,
    DITINDAKLANJUTI,
    DIVERIFIKASI,
    OPEN_STATES,
    Complaint,
)
from bot.storage.programs import Participant, Program, TrainingProposal
from bot.storage.questionnaires import NO_INSTRUCTOR, RESPONSE_SUBMITTED, Answer, Response

SCALE_MAX = 5  # the training questionnaire's scale (bot/storage/templates/pelatihan.json)
LOW_SCORE = 2  # "2 or lower" is a low rating
LOW_SHARE_FLAG = 0.30  # an item is flagged when this share of answers is low
COMMENT_ITEMS = ("sulit", "saran")  # free-text items whose words make the themes
HARD_ITEM = "sulit"
FOLLOWUP_ITEM = "penerapan"
# SKM elements whose weakness points to a training need of the service officers.
OFFICER_ELEMENTS = ("u6", "u7")  # kompetensi pelaksana, perilaku pelaksana
OFFICER_WINDOW = dt.timedelta(weeks=12)
GRADE_B = 76.61  # below this (grade C or D) an element is weak (PermenPANRB 14/2017)
TREND_WEEKS = 8
TEXTS_MAX = 2000  # comments or descriptions read for themes, newest first
OVERDUE_SHOWN = 10
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


# -- the period ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A Monday-to-Sunday week in the deployment's time zone."""

    monday: dt.date

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    def bounds(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(self.monday, dt.time(), tz)
        return start.astimezone(dt.UTC), (start + dt.timedelta(days=7)).astimezone(dt.UTC)

    def previous(self, weeks: int = 1) -> Period:
        return Period(self.monday - dt.timedelta(weeks=weeks))

    @classmethod
    def containing(cls, day: dt.date) -> Period:
        return cls(day - dt.timedelta(days=day.weekday()))


def parse_period(text: str, today: dt.date) -> Period:
    """ "last-week", "this-week" or an ISO week "2026-W47"; ValueError otherwise."""
    if text == "this-week":
        return Period.containing(today)
    if text == "last-week":
        return Period.containing(today).previous()
    match = _WEEK.match(text)
    if match:
        return Period(dt.date.fromisocalendar(int(match[1]), int(match[2]), 1))
    raise ValueError(f"period {text!r}: use last-week, this-week or YYYY-Www")


# -- what the digest holds --------------------------------------------------------------------


@dataclass
class ItemStat:
    code: str
    instructor: int  # NO_INSTRUCTOR, or the index into the program's instructors
    counts: tuple[int, ...]  # answers scoring 1..SCALE_MAX
    previous: float | None = None

    @property
    def n(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float:
        return sum((i + 1) * c for i, c in enumerate(self.counts)) / self.n if self.n else 0.0

    @property
    def low_share(self) -> float:
        return sum(self.counts[:LOW_SCORE]) / self.n if self.n else 0.0

    @property
    def change(self) -> float | None:
        return None if self.previous is None else self.mean - self.previous


@dataclass
class ProgramDigest:
    program_id: int
    code: str
    title: str
    unit_id: int
    participants: int
    respondents: int
    answered_in_period: int
    withheld: bool
    instructor_names: list[str] = field(default_factory=list)
    items: list[ItemStat] = field(default_factory=list)
    overall: float | None = None
    previous_overall: float | None = None
    compared_with: str | None = None  # "run" (the previous run) or "period" (before this week)
    band: str | None = None
    flags: list[str] = field(default_factory=list)  # item codes with many low ratings
    instructors: list[tuple[str, float, int]] = field(default_factory=list)
    sentiment: dict[str, int] = field(default_factory=dict)
    themes: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    followup: tuple[float, int] | None = None  # mean of "applied at work", answers

    @property
    def rate(self) -> float:
        return self.respondents / self.participants if self.participants else 0.0


@dataclass
class Overdue:
    ticket: str
    unit_id: int
    due: dt.date
    days: int  # calendar days past the deadline


@dataclass
class ComplaintDigest:
    new_total: int = 0
    closed_total: int = 0
    open_total: int = 0
    new_by_category: list[tuple[str, int]] = field(default_factory=list)
    new_by_unit: list[tuple[int, int]] = field(default_factory=list)
    open_by_category: list[tuple[str, int]] = field(default_factory=list)
    open_by_unit: list[tuple[int, int]] = field(default_factory=list)
    overdue_total: int = 0
    overdue: list[Overdue] = field(default_factory=list)
    median_first_response_hours: float | None = None
    median_close_days: float | None = None
    rating: tuple[float, int] | None = None  # mean stars, ratings
    ikm: Ikm | None = None
    ikm_minimum: int | None = None  # Krejcie-Morgan, when the population is configured
    population: int | None = None
    themes: list[str] = field(default_factory=list)
    training_needs: list[tuple[int, str, float, int]] = field(default_factory=list)


@dataclass
class Digest:
    period: Period
    scope: list[int] | None  # units; None: everything (admins)
    programs: list[ProgramDigest]
    proposals: list[tuple[str, int]]
    complaints: ComplaintDigest
    trend: list[tuple[Period, int, float | None]]  # week, new complaints, training mean
    min_responses: int

    @property
    def empty(self) -> bool:
        c = self.complaints
        return not (self.programs or self.proposals or c.new_total or c.closed_total)


@dataclass(frozen=True)
class Bands:
    """Lower bounds of "sangat baik", "baik", "cukup" on the 1-5 mean; below: "kurang"."""

    very_good: float = 4.21
    good: float = 3.41
    fair: float = 2.61

    def of(self, mean: float) -> str:
        if mean >= self.very_good:
            return "very_good"
        if mean >= self.good:
            return "good"
        if mean >= self.fair:
            return "fair"
        return "poor"


def krejcie_morgan(population: int) -> int:
    """The minimum sample for a population (Krejcie & Morgan 1970, 95%, p = 0.5, d = 0.05)."""
    s = 3.841 * population * 0.25 / (0.0025 * (population - 1) + 3.841 * 0.25)
    return math.floor(s + 0.5)  # rounded half up, as the published table is


# -- building ---------------------------------------------------------------------------------


async def build(
    session: AsyncSession,
    *,
    scope: list[int] | None,
    period: Period,
    tz: ZoneInfo,
    today: dt.date,
    min_responses: int,
    bands: Bands | None = None,
    populations: dict[int, int] | None = None,
) -> Digest:
    bands = bands or Bands()
    start, end = period.bounds(tz)
    programs = [
        await _program(session, program, start, end, min_responses, bands)
        for program in await _programs_answered(session, scope, start, end)
    ]
    return Digest(
        period=period,
        scope=scope,
        programs=programs,
        proposals=await _proposals(session, scope, start, end),
        complaints=await _complaints(
            session, scope, start, end, today, min_responses, populations or {}
        ),
        trend=await _trend(session, scope, period, tz),
        min_responses=min_responses,
    )


def _in_scope(column: Any, scope: list[int] | None) -> list[Any]:
    return [] if scope is None else [col(column).in_(scope)]


async def _programs_answered(
    session: AsyncSession, scope: list[int] | None, start: dt.datetime, end: dt.datetime
) -> list[Program]:
    answered = (
        select(col(Response.subject_id))
        .where(
            col(Response.subject_kind) == PROGRAM_SUBJECT,
            col(Response.status) == RESPONSE_SUBMITTED,
            col(Response.submitted_at) >= start,
            col(Response.submitted_at) < end,
        )
        .scalar_subquery()
    )
    query = (
        select(Program)
        .where(col(Program.id).in_(answered), *_in_scope(Program.unit_id, scope))
        .order_by(col(Program.unit_id), col(Program.starts_at))
    )
    return list((await session.exec(query)).all())


async def _distribution(
    session: AsyncSession, program_id: int, until: dt.datetime
) -> tuple[dict[tuple[str, int], list[int]], int]:
    """Scores per (item, instructor) of the program's responses submitted before `until`."""
    submitted = and_(
        col(Response.subject_kind) == PROGRAM_SUBJECT,
        col(Response.subject_id) == program_id,
        col(Response.status) == RESPONSE_SUBMITTED,
        col(Response.submitted_at) < until,
    )
    query = (
        select(Answer.question, Answer.instructor, Answer.score, func.count())
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(submitted, col(Answer.score).is_not(None))
        .group_by(col(Answer.question), col(Answer.instructor), col(Answer.score))
    )
    counts: dict[tuple[str, int], list[int]] = {}
    for question, instructor, score, n in (await session.exec(query)).all():
        if score is not None and 1 <= score <= SCALE_MAX:
            counts.setdefault((question, instructor), [0] * SCALE_MAX)[score - 1] += n
    respondents = (
        await session.exec(select(func.count()).select_from(Response).where(submitted))
    ).one()
    return counts, int(respondents)


def _means(counts: dict[tuple[str, int], list[int]]) -> dict[tuple[str, int], float]:
    return {k: ItemStat(k[0], k[1], tuple(v)).mean for k, v in counts.items() if sum(v)}


def _overall(items: Sequence[ItemStat]) -> float | None:
    """The mean of the items' means (an item asked per instructor counts once per instructor)."""
    means = [item.mean for item in items if item.n]
    return sum(means) / len(means) if means else None


async def _previous_run(session: AsyncSession, program: Program) -> Program | None:
    query = (
        select(Program)
        .where(
            col(Program.unit_id) == program.unit_id,
            func.lower(Program.title) == program.title.lower(),
            col(Program.ends_at) < program.starts_at,
        )
        .order_by(col(Program.ends_at).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def _program(
    session: AsyncSession,
    program: Program,
    start: dt.datetime,
    end: dt.datetime,
    min_responses: int,
    bands: Bands,
) -> ProgramDigest:
    assert program.id is not None
    counts, respondents = await _distribution(session, program.id, end)
    participants = (
        await session.exec(
            select(func.count())
            .select_from(Participant)
            .where(col(Participant.program_id) == program.id)
        )
    ).one()
    in_period = (
        await session.exec(
            select(func.count())
            .select_from(Response)
            .where(
                col(Response.subject_kind) == PROGRAM_SUBJECT,
                col(Response.subject_id) == program.id,
                col(Response.status) == RESPONSE_SUBMITTED,
                col(Response.submitted_at) >= start,
                col(Response.submitted_at) < end,
            )
        )
    ).one()
    digest = ProgramDigest(
        program_id=program.id,
        code=program.code,
        title=program.title,
        unit_id=program.unit_id,
        participants=int(participants),
        respondents=respondents,
        answered_in_period=int(in_period),
        withheld=respondents < min_responses,
        instructor_names=list(program.instructors),
    )
    if digest.withheld:
        return digest
    # What to compare with: the previous run of the same program, else this one before the week.
    previous: dict[tuple[str, int], float] = {}
    earlier = await _previous_run(session, program)
    if earlier is not None and earlier.id is not None:
        before, n_before = await _distribution(session, earlier.id, end)
        if n_before >= min_responses:
            previous, digest.compared_with = _means(before), "run"
    if not previous:
        before, n_before = await _distribution(session, program.id, start)
        if n_before >= min_responses:
            previous, digest.compared_with = _means(before), "period"
    for (code, instructor), scores in sorted(counts.items(), key=lambda kv: kv[0][1]):
        digest.items.append(
            ItemStat(code, instructor, tuple(scores), previous.get((code, instructor)))
        )
    digest.overall = _overall(digest.items)
    if previous:
        digest.previous_overall = sum(previous.values()) / len(previous)
    digest.band = bands.of(digest.overall) if digest.overall is not None else None
    digest.flags = sorted(
        {i.code for i in digest.items if i.n >= min_responses and i.low_share >= LOW_SHARE_FLAG}
    )
    per_instructor: dict[int, list[ItemStat]] = {}
    for item in digest.items:
        if item.instructor != NO_INSTRUCTOR:
            per_instructor.setdefault(item.instructor, []).append(item)
    for index, stats in sorted(per_instructor.items()):
        if 0 <= index < len(program.instructors):
            n = max(s.n for s in stats)
            digest.instructors.append((program.instructors[index], _overall(stats) or 0.0, n))
    await _comments(session, digest, start, end)
    digest.followup = await _followup(session, program.id, end, min_responses)
    return digest


async def _comments(
    session: AsyncSession, digest: ProgramDigest, start: dt.datetime, end: dt.datetime
) -> None:
    in_period = and_(
        col(Response.subject_kind) == PROGRAM_SUBJECT,
        col(Response.subject_id) == digest.program_id,
        col(Response.status) == RESPONSE_SUBMITTED,
        col(Response.submitted_at) >= start,
        col(Response.submitted_at) < end,
        col(Answer.question).in_(COMMENT_ITEMS),
        col(Answer.text).is_not(None),
    )
    joined = select(Answer.sentiment_label, func.count()).join(
        Response, col(Response.id) == col(Answer.response_id)
    )
    rows = await session.exec(joined.where(in_period).group_by(col(Answer.sentiment_label)))
    digest.sentiment = {str(label or "neutral"): int(n) for label, n in rows.all()}
    texts = (
        await session.exec(
            select(Answer.question, Answer.text, Answer.sentiment_polarity)
            .join(Response, col(Response.id) == col(Answer.response_id))
            .where(in_period)
            .order_by(col(Answer.id).desc())
            .limit(TEXTS_MAX)
        )
    ).all()
    hard = [text for question, text, _ in texts if question == HARD_ITEM and text]
    digest.themes = [t.phrase for t in themes(hard or [t for _, t, _ in texts if t], top=5)]
    digest.comments = _representative([(t, p) for _, t, p in texts if t])


def _representative(texts: list[tuple[str, float | None]]) -> list[str]:
    """Up to three comments: the most negative, the most positive, and a middle one, each
    of a readable length; the texts carry no names (the questionnaire asks for none)."""
    usable = [(t, p or 0.0) for t, p in texts if 15 <= len(t) <= 400]
    if not usable:
        return []
    ordered = sorted(usable, key=lambda tp: tp[1])
    chosen = [ordered[0][0], ordered[-1][0], ordered[len(ordered) // 2][0]]
    return list(dict.fromkeys(chosen))[:3]


async def _followup(
    session: AsyncSession, program_id: int, end: dt.datetime, min_responses: int
) -> tuple[float, int] | None:
    query = (
        select(func.avg(Answer.score), func.count())
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(
            col(Response.subject_kind) == FOLLOWUP_SUBJECT,
            col(Response.subject_id) == program_id,
            col(Response.status) == RESPONSE_SUBMITTED,
            col(Response.submitted_at) < end,
            col(Answer.question) == FOLLOWUP_ITEM,
            col(Answer.score).is_not(None),
        )
    )
    mean, n = (await session.exec(query)).one()
    return (float(mean), int(n)) if n and n >= min_responses and mean is not None else None


async def _proposals(
    session: AsyncSession, scope: list[int] | None, start: dt.datetime, end: dt.datetime
) -> list[tuple[str, int]]:
    topic = func.lower(func.trim(TrainingProposal.topic))
    query = (
        select(func.min(TrainingProposal.topic), func.count())
        .where(
            col(TrainingProposal.created_at) >= start,
            col(TrainingProposal.created_at) < end,
            *_in_scope(TrainingProposal.unit_id, scope),
        )
        .group_by(topic)
        .order_by(func.count().desc(), topic)
        .limit(5)
    )
    return [(str(t), int(n)) for t, n in (await session.exec(query)).all()]


async def _grouped(session: AsyncSession, column: Any, *conditions: Any) -> list[Any]:
    query = (
        select(column, func.count())
        .where(*conditions)
        .group_by(column)
        .order_by(func.count().desc(), column)
    )
    return [(key, int(n)) for key, n in (await session.exec(query)).all()]


def _overdue_condition(today: dt.date) -> Any:
    return or_(
        and_(col(Complaint.state) == BARU, col(Complaint.verify_due) < today),
        and_(
            col(Complaint.state).in_((DIVERIFIKASI, DITINDAKLANJUTI)),
            col(Complaint.followup_due) < today,
        ),
    )


async def _complaints(
    session: AsyncSession,
    scope: list[int] | None,
    start: dt.datetime,
    end: dt.datetime,
    today: dt.date,
    min_responses: int,
    populations: dict[int, int],
) -> ComplaintDigest:
    units = _in_scope(Complaint.unit_id, scope)
    created = [col(Complaint.created_at) >= start, col(Complaint.created_at) < end, *units]
    closed = [col(Complaint.closed_at) >= start, col(Complaint.closed_at) < end, *units]
    open_ = [col(Complaint.state).in_(OPEN_STATES), *units]
    c = ComplaintDigest()
    c.new_by_category = await _grouped(session, Complaint.category, *created)
    c.new_by_unit = await _grouped(session, Complaint.unit_id, *created)
    c.new_total = sum(n for _, n in c.new_by_category)
    c.closed_total = int(
        (await session.exec(select(func.count()).select_from(Complaint).where(*closed))).one()
    )
    c.open_by_category = await _grouped(session, Complaint.category, *open_)
    c.open_by_unit = await _grouped(session, Complaint.unit_id, *open_)
    c.open_total = sum(n for _, n in c.open_by_category)
    overdue = [*open_, _overdue_condition(today)]
    c.overdue_total = int(
        (await session.exec(select(func.count()).select_from(Complaint).where(*overdue))).one()
    )
    deadline = case(
        (col(Complaint.state) == BARU, col(Complaint.verify_due)),
        else_=func.coalesce(col(Complaint.followup_due), col(Complaint.verify_due)),
    )
    late = await session.exec(
        select(col(Complaint.ticket), col(Complaint.unit_id), deadline)
        .where(*overdue)
        .order_by(deadline, col(Complaint.id))
        .limit(OVERDUE_SHOWN)
    )
    for ticket, unit_id, due in late.all():
        due_date = due if isinstance(due, dt.date) else dt.date.fromisoformat(str(due))
        c.overdue.append(Overdue(str(ticket), int(unit_id), due_date, (today - due_date).days))
    c.overdue.sort(key=lambda o: o.due)
    # Durations of one week's complaints: one column each, medians computed here.
    responded = await session.exec(
        select(Complaint.created_at, Complaint.first_response_at).where(
            *created, col(Complaint.first_response_at).is_not(None)
        )
    )
    hours = [(r - c0).total_seconds() / 3600 for c0, r in responded.all() if r is not None]
    c.median_first_response_hours = statistics.median(hours) if hours else None
    finished = await session.exec(select(Complaint.created_at, Complaint.closed_at).where(*closed))
    days = [(f - c0).total_seconds() / 86400 for c0, f in finished.all() if f is not None]
    c.median_close_days = statistics.median(days) if days else None
    mean, n = (
        await session.exec(
            select(func.avg(col(Complaint.rating)), func.count(col(Complaint.rating))).where(
                *closed
            )
        )
    ).one()
    c.rating = (float(mean), int(n)) if n else None
    c.ikm = await satisfaction.ikm(session, unit_ids=scope, since=start, until=end)
    scoped_population = [
        populations.get(u) for u in (scope if scope is not None else list(populations))
    ]
    if scoped_population and all(p for p in scoped_population):
        c.population = sum(p for p in scoped_population if p)
        c.ikm_minimum = krejcie_morgan(c.population)
    texts = await session.exec(
        select(Complaint.description).where(*created).order_by(col(Complaint.id).desc())
    )
    c.themes = [t.phrase for t in themes(texts.fetchmany(TEXTS_MAX), top=5)]
    c.training_needs = await _training_needs(session, scope, end, min_responses)
    return c


async def _training_needs(
    session: AsyncSession, scope: list[int] | None, end: dt.datetime, min_responses: int
) -> list[tuple[int, str, float, int]]:
    """Units whose SKM answers on the officers' competence (u6) or conduct (u7) over the last
    12 weeks fall below grade B: (unit, element, value 25-100, answers)."""
    query = (
        select(
            Complaint.unit_id,
            Answer.question,
            func.avg(Answer.score),
            func.count(),
        )
        .join(Response, col(Response.id) == col(Answer.response_id))
        .join(Complaint, col(Complaint.id) == col(Response.subject_id))
        .where(
            col(Response.subject_kind) == SKM_SUBJECT,
            col(Response.status) == RESPONSE_SUBMITTED,
            col(Response.submitted_at) >= end - OFFICER_WINDOW,
            col(Response.submitted_at) < end,
            col(Answer.question).in_(OFFICER_ELEMENTS),
            col(Answer.score).is_not(None),
            *_in_scope(Complaint.unit_id, scope),
        )
        .group_by(col(Complaint.unit_id), col(Answer.question))
        .order_by(col(Complaint.unit_id), col(Answer.question))
    )
    needs = []
    for unit_id, element, mean, n in (await session.exec(query)).all():
        value = round(float(mean) * 25, 2)
        if n >= min_responses and value < GRADE_B:
            needs.append((int(unit_id), str(element), value, int(n)))
    return needs


async def _trend(
    session: AsyncSession, scope: list[int] | None, period: Period, tz: ZoneInfo
) -> list[tuple[Period, int, float | None]]:
    """The last 8 weeks up to the period: new complaints and the training answers' mean."""
    weeks = []
    for back in range(TREND_WEEKS - 1, -1, -1):
        week = period.previous(back)
        start, end = week.bounds(tz)
        new = (
            await session.exec(
                select(func.count())
                .select_from(Complaint)
                .where(
                    col(Complaint.created_at) >= start,
                    col(Complaint.created_at) < end,
                    *_in_scope(Complaint.unit_id, scope),
                )
            )
        ).one()
        query = (
            select(func.avg(Answer.score))
            .join(Response, col(Response.id) == col(Answer.response_id))
            .where(
                col(Response.subject_kind) == PROGRAM_SUBJECT,
                col(Response.status) == RESPONSE_SUBMITTED,
                col(Response.submitted_at) >= start,
                col(Response.submitted_at) < end,
                col(Answer.score).is_not(None),
            )
        )
        if scope is not None:
            programs = select(Program.id).where(col(Program.unit_id).in_(scope))
            query = query.where(col(Response.subject_id).in_(programs.scalar_subquery()))
        mean = (await session.exec(query)).one()
        weeks.append((week, int(new), float(mean) if mean is not None else None))
    return weeks
