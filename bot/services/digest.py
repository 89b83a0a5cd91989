"""The weekly digest's numbers: aggregated in the database, returned as plain data.

`build(session, scope, period, ...)` reads; it never writes, so on SQLite it holds no write lock
while it works. Everything is counted with GROUP BY in SQL; only small results come back (a
score distribution per item, one column of durations for one week's complaints, one week's
comments for the themes). Renderers (bot/reports/digest_*.py) turn the result into text, a
PNG and an XLSX in the recipient's language.
"""

from __future__ import annotations

import datetime as dt
import functools
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
from bot.services import knowledge, level3, questionnaires, releases, satisfaction
from bot.services.kinds import SKM
from bot.services.knowledge import Knowledge
from bot.services.level3 import Level3
from bot.services.programs import PROGRAM_SUBJECT
from bot.services.questionnaires import NOT_ATTENDED, Localized
from bot.services.satisfaction import SKM_SUBJECT, Ikm
from bot.storage.complaints import (
    BARU,
    DITINDAKLANJUTI,
    DIVERIFIKASI,
    OPEN_STATES,
    Complaint,
)
from bot.storage.programs import Participant, Program, TrainingProposal
from bot.storage.questionnaires import (
    FOLLOWUP_SUBJECT,
    NO_INSTRUCTOR,
    RESPONSE_SUBMITTED,
    SUPERVISOR_SUBJECT,
    Answer,
    Response,
)

# What an item means comes from its template (each question's `role` and its scale), never
# from its code: a revised or local template with other codes is read the same way.
SCALE_MAX = 5  # the chart's and the workbook's columns: the training questionnaire's 1-5
Scale = tuple[int, int]  # a scale's lowest and highest point
REFERENCE: Scale = (1, 5)  # the shipped questionnaire's scale, on which the bands are set
# A figure over items of different scales (a form mixing 1-4 and 1-7, the trend across
# programs): the answers' position on each one's own scale, (score - low) / (high - low),
# as a 0-100 index (SKM's conversion to 25-100 is the same idea).
INDEX: Scale = (0, 100)
# A point is a low rating at or below 40% of its scale's range: 1-2 of 1-5, 1-2 of 1-4, 1-3
# of 1-7, 0-4 of 0-10, and on a 2- or 3-point scale its lowest point only.
LOW_PART = (2, 5)
LOW_SHARE_FLAG = 0.30  # an item is flagged when this share of answers is low
COMMENT_ROLES = ("hard", "suggestion")  # free-text items whose words make the themes
# Items whose answers are opinions: their sentiment is counted. "What was hard?" is asked
# for difficulties, so its answers feed the themes only: "banyak materi baru" is no
# complaint about the training, and "tidak ada kendala" is no opinion at all.
SENTIMENT_ROLES = frozenset({"suggestion", "comment"})
HARD_ROLE = "hard"
TEXT_ROLES = ("hard", "suggestion", "action_plan", "comment", "example", "support", "note")
# SKM elements whose weakness points to a training need of the service officers.
OFFICER_ROLES = ("competence", "conduct")  # kompetensi pelaksana, perilaku pelaksana
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
    counts: tuple[int, ...]  # answers scoring low..low + len(counts) - 1 (the item's scale)
    previous: float | None = None
    role: str = ""  # what the item means (its question's role in the template)
    low: int = 1  # the scale's lowest point
    # Who said they did not attend this instructor's session: counted apart, never a score.
    not_attended: int = 0
    text: Localized | None = None  # the question as the form words it
    # The scale's points in the form's words, by language ({"id": [...], "en": [...]}).
    labels: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return sum(self.counts)

    @property
    def high(self) -> int:
        return self.low + len(self.counts) - 1

    @property
    def mean(self) -> float:
        total = sum((self.low + i) * c for i, c in enumerate(self.counts))
        return total / self.n if self.n else 0.0

    @property
    def scale(self) -> Scale:
        return (self.low, self.high)

    @property
    def position(self) -> float:
        """The mean's place on the item's own scale, 0 (its lowest point) to 1 (its highest)."""
        return position(self.mean, self.scale)

    @property
    def low_points(self) -> int:
        """How many of the scale's lowest points are a low rating (`LOW_PART`)."""
        return low_points(self.scale)

    @property
    def low_top(self) -> int:
        """The highest point that is still a low rating ("2 or lower" on 1-5)."""
        return self.low + self.low_points - 1

    @property
    def low_share(self) -> float:
        return sum(self.counts[: self.low_points]) / self.n if self.n else 0.0

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
    # The overall's scale: the items' own when they all share one, else INDEX (0-100).
    scale: Scale = REFERENCE
    previous_overall: float | None = None  # on the same scale as `overall`, else None
    compared_with: str | None = None  # "run" (the previous run) or "period" (before this week)
    band: str | None = None
    # Items with many low ratings, an instructor item once per instructor: (code, instructor).
    flags: list[tuple[str, int]] = field(default_factory=list)
    instructors: list[tuple[str, float, int]] = field(default_factory=list)
    instructor_scales: list[Scale] = field(default_factory=list)  # each one's, as `scale`
    sentiment: dict[str, int] = field(default_factory=dict)
    theme_texts: list[str] = field(default_factory=list, repr=False)
    comments: list[str] = field(default_factory=list)
    level3: Level3 | None = None  # the follow-up's results, alumni and supervisors apart
    knowledge: Knowledge | None = None  # the knowledge test's (Level 2), with a test only

    @property
    def rate(self) -> float:
        return self.respondents / self.participants if self.participants else 0.0

    @property
    def position(self) -> float | None:
        """The overall's place on its scale (0-1): programs of different forms compared."""
        return None if self.overall is None else position(self.overall, self.scale)

    @functools.cached_property
    def themes(self) -> list[str]:
        """What participants found hard, computed when first shown (a week with many programs
        lists them in one line each and never needs it)."""
        return [t.phrase for t in themes(self.theme_texts, top=5)]


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
    trend_scale: Scale = REFERENCE  # the training means' scale: one form's, else INDEX

    @property
    def empty(self) -> bool:
        c = self.complaints
        return not (self.programs or self.proposals or c.new_total or c.closed_total)


def position(value: float, scale: Scale) -> float:
    """A value's place on a scale: 0 at its lowest point, 1 at its highest."""
    low, high = scale
    return (value - low) / (high - low) if high > low else 0.0


def low_points(scale: Scale) -> int:
    """How many of a scale's lowest points are a low rating: those at or below `LOW_PART` of
    its range, counted in whole numbers (no rounding at the border)."""
    low, high = scale
    part, whole = LOW_PART
    return max(1, (high - low) * part // whole + 1)


@dataclass(frozen=True)
class Bands:
    """Lower bounds of "sangat baik", "baik", "cukup" on the 1-5 mean; below: "kurang".
    Another scale (or the 0-100 index) is banded by position: a mean is "baik" where a 1-5
    mean at the same place on its scale would be (3.41 of 1-5 is 60.25% of the range)."""

    very_good: float = 4.21
    good: float = 3.41
    fair: float = 2.61

    def of(self, mean: float, scale: Scale = REFERENCE) -> str:
        if scale != REFERENCE:  # on 1-5 the bounds are compared as they are written
            mean = REFERENCE[0] + position(mean, scale) * (REFERENCE[1] - REFERENCE[0])
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
    answered = await _programs_answered(session, scope, start, end)
    programs = await _programs(session, answered, start, end, min_responses, bands)
    trend, trend_scale = await _trend(session, scope, period, tz)
    return Digest(
        period=period,
        scope=scope,
        programs=programs,
        proposals=await _proposals(session, scope, start, end),
        complaints=await _complaints(
            session, scope, start, end, today, min_responses, populations or {}
        ),
        trend=trend,
        min_responses=min_responses,
        trend_scale=trend_scale,
    )


# Before any program: a program's whole life is the blocks released between this and now.
_BEGINNING = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


async def program_results(
    session: AsyncSession,
    program: Program,
    *,
    until: dt.datetime,
    min_responses: int,
    bands: Bands | None = None,
) -> ProgramDigest:
    """One program's section over its whole life (every block released before `until`),
    made exactly as a week's digest makes it: the program page's results and its chart."""
    found = await _programs(session, [program], _BEGINNING, until, min_responses, bands or Bands())
    return found[0]


def _in_scope(column: Any, scope: list[int] | None) -> list[Any]:
    return [] if scope is None else [col(column).in_(scope)]


async def _programs_answered(
    session: AsyncSession, scope: list[int] | None, start: dt.datetime, end: dt.datetime
) -> list[Program]:
    """Programs with a questionnaire submitted in the period, or knowledge tests or follow-up
    results (alumni's or supervisors') released in it: months after the training, those are
    its news."""
    answered = select(col(Response.subject_id)).where(
        col(Response.subject_kind) == PROGRAM_SUBJECT,
        col(Response.status) == RESPONSE_SUBMITTED,
        col(Response.submitted_at) >= start,
        col(Response.submitted_at) < end,
    )
    tested = select(col(Response.subject_id)).where(
        col(Response.subject_kind).in_(knowledge.TEST_KINDS), *releases.released(end, start)
    )
    followed_up = select(col(Response.subject_id)).where(
        col(Response.subject_kind) == FOLLOWUP_SUBJECT, *releases.released(end, start)
    )
    supervised = releases.to_supervised(
        select(releases.program_column(SUPERVISOR_SUBJECT)).select_from(Response)
    ).where(col(Response.subject_kind) == SUPERVISOR_SUBJECT, *releases.released(end, start))
    query = (
        select(Program)
        .where(
            or_(
                col(Program.id).in_(answered.scalar_subquery()),
                col(Program.id).in_(followed_up.scalar_subquery()),
                col(Program.id).in_(supervised.scalar_subquery()),
                col(Program.id).in_(tested.scalar_subquery()),
            ),
            *_in_scope(Program.unit_id, scope),
        )
        # The id last: two programs of a unit starting together keep one order, on every
        # database and every reading (the page and the message must agree line for line).
        .order_by(col(Program.unit_id), col(Program.starts_at), col(Program.id))
    )
    return list((await session.exec(query)).all())


def _program_responses(
    ids: Sequence[int], until: dt.datetime, since: dt.datetime | None = None
) -> Any:
    """The submitted questionnaires of these programs, before `until` (and from `since`)."""
    conditions = [
        col(Response.subject_kind) == PROGRAM_SUBJECT,
        col(Response.subject_id).in_(ids),
        col(Response.status) == RESPONSE_SUBMITTED,
        col(Response.submitted_at) < until,
    ]
    if since is not None:
        conditions.append(col(Response.submitted_at) >= since)
    return and_(*conditions)


def _program_released(
    ids: Sequence[int], until: dt.datetime, since: dt.datetime | None = None
) -> Any:
    """The questionnaires of these programs released before `until` (and from `since`): what
    every figure is made of (bot/services/releases.py)."""
    return and_(
        col(Response.subject_kind) == PROGRAM_SUBJECT,
        col(Response.subject_id).in_(ids),
        col(Response.status) == RESPONSE_SUBMITTED,
        *releases.released(until, since),
    )


Distribution = dict[tuple[str, int], dict[int, int]]  # (item, instructor) -> score -> answers


async def _distributions(
    session: AsyncSession, ids: Sequence[int], until: dt.datetime
) -> tuple[dict[int, Distribution], dict[int, int]]:
    """Per program: the count of each score per (item, instructor) and the respondents, of
    the questionnaires released before `until`, each item's answers in blocks of its own
    (`releases.item_scores`)."""
    counts: dict[int, Distribution] = {}
    respondents: dict[int, int] = {}
    if not ids:
        return counts, respondents
    released = _program_released(ids, until)
    scores = await releases.item_scores(session, released)
    for (program_id, question, instructor), per_score in scores.items():
        counts.setdefault(program_id, {})[(question, instructor)] = per_score
    query_n = select(Response.subject_id, func.count()).where(released)
    for program_id, n in (await session.exec(query_n.group_by(col(Response.subject_id)))).all():
        respondents[int(program_id)] = int(n)
    return counts, respondents


async def _not_attended(
    session: AsyncSession, ids: Sequence[int], until: dt.datetime
) -> dict[int, dict[tuple[str, int], int]]:
    """Per program and (item, instructor): the released answers "did not attend". A count of
    people like the response rate, not an opinion: shown as released (releases.py)."""
    found: dict[int, dict[tuple[str, int], int]] = {}
    if not ids:
        return found
    query = (
        select(Response.subject_id, Answer.question, Answer.instructor, func.count())
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(_program_released(ids, until), col(Answer.choice) == NOT_ATTENDED)
        .group_by(col(Response.subject_id), col(Answer.question), col(Answer.instructor))
    )
    for program_id, question, instructor, n in (await session.exec(query)).all():
        found.setdefault(int(program_id), {})[(question, int(instructor))] = int(n)
    return found


def _means(counts: Distribution) -> dict[tuple[str, int], float]:
    return {
        k: sum(s * c for s, c in v.items()) / sum(v.values())
        for k, v in counts.items()
        if sum(v.values())
    }


def _scaled(question: Any, scores: dict[int, int]) -> tuple[int, ...]:
    """The answers to a scale item per point of its scale (points outside it are dropped)."""
    return tuple(scores.get(point, 0) for point in range(question.min, question.max + 1))


def combined(figures: Sequence[tuple[float, Scale]]) -> tuple[float, Scale] | None:
    """The mean of means, each on its scale: on that scale when they all share one ("3,2 of
    4"), else the mean of their positions as a 0-100 index (`INDEX`)."""
    if not figures:
        return None
    scales = {scale for _, scale in figures}
    if len(scales) == 1:
        return sum(value for value, _ in figures) / len(figures), scales.pop()
    places = [position(value, scale) for value, scale in figures]
    return sum(places) / len(places) * 100, INDEX


def _overall(items: Sequence[ItemStat]) -> tuple[float, Scale] | None:
    """The mean of the items' means (an item asked per instructor counts once per
    instructor), on their scale or as the index (`combined`)."""
    return combined([(item.mean, item.scale) for item in items if item.n])


async def _previous_runs(session: AsyncSession, programs: Sequence[Program]) -> dict[int, int]:
    """Program -> the previous run of the same program (same unit and title, ended before)."""
    units = {p.unit_id for p in programs}
    query = select(Program.id, Program.unit_id, Program.title, Program.ends_at).where(
        col(Program.unit_id).in_(units)
    )
    earlier: dict[tuple[int, str], list[tuple[dt.datetime, int]]] = {}
    for program_id, unit_id, title, ends_at in (await session.exec(query)).all():
        if program_id is not None:
            earlier.setdefault((unit_id, title.lower()), []).append((ends_at, program_id))
    found: dict[int, int] = {}
    for program in programs:
        before = [
            (ends, pid)
            for ends, pid in earlier.get((program.unit_id, program.title.lower()), [])
            if ends < program.starts_at
        ]
        if before and program.id is not None:
            found[program.id] = max(before)[1]
    return found


async def _grouped_counts(session: AsyncSession, query: Any) -> dict[int, int]:
    return {int(key): int(n) for key, n in (await session.exec(query)).all()}


async def _programs(
    session: AsyncSession,
    programs: Sequence[Program],
    start: dt.datetime,
    end: dt.datetime,
    min_responses: int,
    bands: Bands,
) -> list[ProgramDigest]:
    """Every program's section, from a fixed number of queries whatever their number."""
    ids = [p.id for p in programs if p.id is not None]
    if not ids:
        return []
    counts, released = await _distributions(session, ids, end)
    absent = await _not_attended(session, ids, end)
    respondents = await _grouped_counts(
        session,
        select(Response.subject_id, func.count())
        .where(_program_responses(ids, end))
        .group_by(col(Response.subject_id)),
    )
    participants = await _grouped_counts(
        session,
        select(Participant.program_id, func.count())
        .where(col(Participant.program_id).in_(ids))
        .group_by(col(Participant.program_id)),
    )
    in_period = await _grouped_counts(
        session,
        select(Response.subject_id, func.count())
        .where(_program_responses(ids, end, start))
        .group_by(col(Response.subject_id)),
    )
    previous_run = await _previous_runs(session, programs)
    run_counts, run_respondents = await _distributions(
        session, sorted(set(previous_run.values())), end
    )
    before_counts, before_respondents = await _distributions(session, ids, start)
    templates = {
        p.id: await questionnaires.template_of(session, p.template_id)
        for p in programs
        if p.id is not None
    }
    said = {
        program_id: {q.code: q.role for q in template.with_role(*COMMENT_ROLES)}
        for program_id, template in templates.items()
    }
    comments = await _comments(session, ids, start, end, said)
    followups = await level3.results(session, ids, until=end)
    tests = await knowledge.results(session, ids, minimum=min_responses, until=end)
    found = []
    for program in programs:
        assert program.id is not None
        digest = ProgramDigest(
            program_id=program.id,
            code=program.code,
            title=program.title,
            unit_id=program.unit_id,
            participants=participants.get(program.id, 0),
            respondents=respondents.get(program.id, 0),
            answered_in_period=in_period.get(program.id, 0),
            # Released answers come in whole blocks of the minimum: none, or enough.
            withheld=released.get(program.id, 0) < min_responses,
            instructor_names=list(program.instructors),
        )
        found.append(digest)
        digest.level3 = followups.get(program.id)
        if program.test_template_id is not None:
            digest.knowledge = tests.get(program.id) or Knowledge()
        if digest.withheld:
            continue
        # Compared with the previous run of the same program, else this one before the week.
        previous: dict[tuple[str, int], float] = {}
        run = previous_run.get(program.id)
        if run is not None and run_respondents.get(run, 0) >= min_responses:
            previous, digest.compared_with = _means(run_counts.get(run, {})), "run"
        elif before_respondents.get(program.id, 0) >= min_responses:
            previous = _means(before_counts.get(program.id, {}))
            digest.compared_with = "period"
        # The template's rated items in its order, an instructor's after each other, as asked.
        answered = counts.get(program.id, {})
        asked = questionnaires.items(templates[program.id], list(program.instructors))
        for asked_item in asked:
            question = asked_item.question
            key = (question.code, asked_item.instructor)
            if question.kind != "scale" or question.role in TEXT_ROLES or key not in answered:
                continue
            digest.items.append(
                ItemStat(
                    question.code,
                    asked_item.instructor,
                    _scaled(question, answered[key]),
                    previous.get(key),
                    role=question.role,
                    low=question.min,
                    not_attended=absent.get(program.id, {}).get(key, 0),
                    text=question.text,
                    labels=question.labels,
                )
            )
        overall = _overall(digest.items)
        if overall is not None:
            digest.overall, digest.scale = overall
            digest.band = bands.of(*overall)
        # The earlier answers on the scales this form gives their items; compared only when
        # they make a figure on the same scale (an item the form no longer has is left out).
        scales = {
            q.code: (q.min, q.max) for q in templates[program.id].questions if q.kind == "scale"
        }
        earlier = [(m, scales[code]) for (code, _), m in previous.items() if code in scales]
        before = combined(earlier)
        if before is not None and before[1] == digest.scale:
            digest.previous_overall = before[0]
        digest.flags = sorted(
            {
                (i.code, i.instructor)
                for i in digest.items
                if i.n >= min_responses and i.low_share >= LOW_SHARE_FLAG
            }
        )
        per_instructor: dict[int, list[ItemStat]] = {}
        for item in digest.items:
            if item.instructor != NO_INSTRUCTOR:
                per_instructor.setdefault(item.instructor, []).append(item)
        for index, stats in sorted(per_instructor.items()):
            if 0 <= index < len(program.instructors):
                n = max(s.n for s in stats)
                value, scale = _overall(stats) or (0.0, REFERENCE)
                digest.instructors.append((program.instructors[index], value, n))
                digest.instructor_scales.append(scale)
        sentiment, texts = comments.get(program.id, ({}, []))
        digest.sentiment = sentiment
        hard = [text for role, text, _ in texts if role == HARD_ROLE]
        digest.theme_texts = hard or [t for _, t, _ in texts]
        digest.comments = _representative([(t, p) for _, t, p in texts])
    return found


async def _comments(
    session: AsyncSession,
    ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    said: dict[int, dict[str, str]],
) -> dict[int, tuple[dict[str, int], list[tuple[str, str, float | None]]]]:
    """Per program: the comments' sentiment counts and the texts with their role (newest
    first, bounded), of the week's slice: the blocks released in it, never the week's
    respondents alone. `said`: per program, the codes of its comment items and their roles."""
    codes = sorted({code for per_program in said.values() for code in per_program})
    in_period = and_(
        _program_released(ids, end, start),
        col(Answer.question).in_(codes),
        col(Answer.text).is_not(None),
    )
    found: dict[int, tuple[dict[str, int], list[tuple[str, str, float | None]]]] = {
        program_id: ({}, []) for program_id in ids
    }
    labels = (
        select(Response.subject_id, Answer.sentiment_label, Answer.question, func.count())
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(in_period)
        .group_by(col(Response.subject_id), col(Answer.sentiment_label), col(Answer.question))
    )
    for program_id, label, question, n in (await session.exec(labels)).all():
        if said.get(int(program_id), {}).get(question) in SENTIMENT_ROLES:
            counted = found[int(program_id)][0]
            counted[str(label or "neutral")] = counted.get(str(label or "neutral"), 0) + int(n)
    texts = (
        select(Response.subject_id, Answer.question, Answer.text, Answer.sentiment_polarity)
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(in_period)
        .order_by(col(Answer.id).desc())
        .limit(TEXTS_MAX * 4)
    )
    for program_id, question, text, polarity in (await session.exec(texts)).all():
        kept = found[int(program_id)][1]
        role = said.get(int(program_id), {}).get(question)
        if text and role and len(kept) < TEXTS_MAX:
            kept.append((role, text, polarity))
    return found


def _representative(texts: list[tuple[str, float | None]]) -> list[str]:
    """Up to three comments: the most negative, the most positive, and a middle one, each
    of a readable length; the texts carry no names (the questionnaire asks for none)."""
    usable = [(t, p or 0.0) for t, p in texts if 15 <= len(t) <= 400]
    if not usable:
        return []
    ordered = sorted(usable, key=lambda tp: tp[1])
    chosen = [ordered[0][0], ordered[-1][0], ordered[len(ordered) // 2][0]]
    return list(dict.fromkeys(chosen))[:3]


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


async def _by_category_and_unit(
    session: AsyncSession, conditions: Sequence[Any], flag: Any = None
) -> list[tuple[str, int, bool, int]]:
    """The complaints under `conditions` counted per category, unit and (with `flag`) whether
    the flag holds: one read of them for the counts by category, by unit and flagged, where a
    query each read them three times. Ordered by category and unit, as the database orders
    them (its collation), so `_ranked` breaks ties as ORDER BY count DESC, name did."""
    keys: list[Any] = [col(Complaint.category), col(Complaint.unit_id)]
    if flag is not None:
        keys.append(case((flag, 1), else_=0))
    query = (
        select(*keys, func.count())  # type: ignore[call-overload]
        .where(*conditions)
        .group_by(*keys)
        .order_by(col(Complaint.category), col(Complaint.unit_id))
    )
    return [
        (str(row[0]), int(row[1]), bool(row[2]) if flag is not None else False, int(row[-1]))
        for row in (await session.exec(query)).all()
    ]


def _ranked(
    counts: Sequence[tuple[str, int, bool, int]],
) -> tuple[list[tuple[str, int]], list[tuple[int, int]]]:
    """Counts per category and per unit, the most first; ties in the order `counts` has them
    (the sort is stable)."""
    by_category: dict[str, int] = {}
    for category, _, _, n in counts:
        by_category[category] = by_category.get(category, 0) + n
    by_unit: dict[int, int] = {}
    for _, unit_id, _, n in sorted(counts, key=lambda row: row[1]):
        by_unit[unit_id] = by_unit.get(unit_id, 0) + n
    return (
        sorted(by_category.items(), key=lambda kv: -kv[1]),
        sorted(by_unit.items(), key=lambda kv: -kv[1]),
    )


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
    new_counts = await _by_category_and_unit(session, created)
    c.new_by_category, c.new_by_unit = _ranked(new_counts)
    c.new_total = sum(n for _, n in c.new_by_category)
    c.closed_total = int(
        (await session.exec(select(func.count()).select_from(Complaint).where(*closed))).one()
    )
    overdue = [*open_, _overdue_condition(today)]
    open_counts = await _by_category_and_unit(session, open_, overdue[-1])
    c.open_by_category, c.open_by_unit = _ranked(open_counts)
    c.open_total = sum(n for _, n in c.open_by_category)
    c.overdue_total = sum(n for _, _, late, n in open_counts if late)
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
    c.themes = [t.phrase for t in themes(texts.fetchmany(TEXTS_MAX // 2), top=5)]
    c.training_needs = await _training_needs(session, scope, end, min_responses)
    return c


async def _training_needs(
    session: AsyncSession, scope: list[int] | None, end: dt.datetime, min_responses: int
) -> list[tuple[int, str, float, int]]:
    """Units whose SKM answers on the officers' competence (u6) or conduct (u7) released over
    the last 12 weeks (whole blocks per unit, bot/services/releases.py) fall below grade B:
    (unit, element, value 25-100, answers). The elements are the SKM template's questions
    with those roles, in any of its stored versions."""
    elements = sorted(await questionnaires.codes_with_role(session, SKM.template, *OFFICER_ROLES))
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
            *releases.released(end, end - OFFICER_WINDOW),
            col(Answer.question).in_(elements),
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
) -> tuple[list[tuple[Period, int, float | None]], Scale]:
    """The last 8 weeks up to the period: new complaints and the mean of the training answers
    released in each week (a program below the minimum adds nothing to any week), with the
    means' scale: the forms' one when every answer of the 8 weeks is on one scale, else the
    0-100 index of every answer's position on its item's scale (`trend_means`). An item not
    everyone answers counts in the week its block joined the figures (releases.item_blocks),
    as on the page. Grouped queries over the 8 weeks, each row counted in its week."""
    weeks = [period.previous(back) for back in range(TREND_WEEKS - 1, -1, -1)]
    bounds = [week.bounds(tz) for week in weeks]
    first, last = bounds[0][0], bounds[-1][1]

    def week_of(column: Any) -> Any:
        """The index of the week a time falls in (the rows are within the 8 weeks)."""
        return case(
            *((column < end, index) for index, (_, end) in enumerate(bounds[:-1])),
            else_=len(bounds) - 1,
        )

    created = week_of(col(Complaint.created_at))
    new_query = (
        select(created, func.count())
        .where(
            col(Complaint.created_at) >= first,
            col(Complaint.created_at) < last,
            *_in_scope(Complaint.unit_id, scope),
        )
        .group_by(created)
    )
    new = {int(index): int(n) for index, n in (await session.exec(new_query)).all()}
    released = week_of(col(Response.released_at))
    query = (
        select(
            released,
            Response.subject_id,
            Answer.question,
            Answer.instructor,
            func.sum(Answer.score),
            func.count(),
        )  # type: ignore[call-overload]
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(
            col(Response.subject_kind) == PROGRAM_SUBJECT,
            col(Response.status) == RESPONSE_SUBMITTED,
            *releases.released(last, first),
            col(Answer.score).is_not(None),
        )
        .group_by(released, col(Response.subject_id), col(Answer.question), col(Answer.instructor))
    )
    if scope is not None:
        programs = select(Program.id).where(col(Program.unit_id).in_(scope))
        query = query.where(col(Response.subject_id).in_(programs.scalar_subquery()))
    rows = (await session.exec(query)).all()
    ids = sorted({int(program_id) for _, program_id, *_ in rows})
    blocks = (
        await releases.item_blocks(
            session,
            and_(
                col(Response.subject_kind) == PROGRAM_SUBJECT,
                col(Response.subject_id).in_(ids),
                col(Response.status) == RESPONSE_SUBMITTED,
                *releases.released(last),
            ),
        )
        if ids
        else releases.ItemBlocks()
    )
    sums: list[list[tuple[int, str, float, int]]] = [[] for _ in weeks]
    for index, program_id, question, instructor, total, n in rows:
        if (int(program_id), str(question), int(instructor)) not in blocks.ragged:
            sums[int(index)].append((int(program_id), str(question), float(total or 0), int(n)))
    for (program_id, question, _), joined in blocks.joined.items():
        for at, block in joined:
            if first <= at < last:
                index = next(i for i, (_, end) in enumerate(bounds) if at < end)
                total = sum(score * n for score, n in block.items())
                sums[index].append((program_id, question, float(total), sum(block.values())))
    scales = await scales_of(session, {program_id for week in sums for program_id, *_ in week})
    means, scale = trend_means(sums, scales)
    return [
        (week, new.get(index, 0), mean)
        for index, (week, mean) in enumerate(zip(weeks, means, strict=True))
    ], scale


async def scales_of(session: AsyncSession, ids: set[int]) -> dict[int, dict[str, Scale]]:
    """Per program: its form's scale items and their scales."""
    if not ids:
        return {}
    rows = await session.exec(
        select(Program.id, Program.template_id).where(col(Program.id).in_(sorted(ids)))
    )
    found: dict[int, dict[str, Scale]] = {}
    for program_id, template_id in rows.all():
        if program_id is None:
            continue
        template = await questionnaires.template_of(session, template_id)
        found[program_id] = {
            q.code: (q.min, q.max) for q in template.questions if q.kind == "scale"
        }
    return found


def trend_means(
    weeks: Sequence[Sequence[tuple[int, str, float, int]]], scales: dict[int, dict[str, Scale]]
) -> tuple[list[float | None], Scale]:
    """Each week's mean of its answers, from (program, item, sum of scores, answers): on the
    one scale every item of every week shares, else as the index of the answers' positions on
    their items' scales, so that a week of 1-4 answers and one of 1-7 answers are one line."""
    known = [
        [(total, n, scales[p][q]) for p, q, total, n in week if q in scales.get(p, {})]
        for week in weeks
    ]
    used = {scale for week in known for _, _, scale in week}
    scale = used.pop() if len(used) == 1 else INDEX if used else REFERENCE
    means: list[float | None] = []
    for week in known:
        answers = sum(n for _, n, _ in week)
        if not answers:
            means.append(None)
        elif scale != INDEX:
            means.append(sum(total for total, _, _ in week) / answers)
        else:
            places = sum((total - low * n) / (high - low or 1) for total, n, (low, high) in week)
            means.append(places / answers * 100)
    return means, scale
