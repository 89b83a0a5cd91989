"""What an organizer sees of their programs, for both doors: the calendar, a program's page
(its figures behind the small-n gate, its results per item and instructor, comments without
names, the actions open to it), its chart, and creating, changing and acting on one.

The gate is decided here once (`programs.figures`, released answers only): the chat's
/program page and the web workspace's program page print what this module gives them, so a
figure withheld in one door is withheld in the other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import classlists, digest, feedback, knowledge, level3, questionnaires, releases
from bot.services import programs as service
from bot.services.access import Access, Need
from bot.services.classlists import Roll
from bot.services.complaints import unit_label
from bot.services.errors import Refused
from bot.services.knowledge import Knowledge
from bot.services.level3 import Level3
from bot.services.notices import Notice
from bot.services.programs import Done, ProgramError, ProgramFigures, ProgramSpec
from bot.services.questionnaires import Item
from bot.storage import programs as store
from bot.storage.places import Place, all_units
from bot.storage.programs import (
    CALENDAR_GROUPS,
    MODES,
    PROGRAM_CLOSED,
    PROGRAM_OPEN,
    PROGRAM_SCHEDULED,
    Participant,
    Program,
)
from bot.storage.questionnaires import PROGRAM_SUBJECT, RESPONSE_SUBMITTED, Answer, Response

PAGE_SIZE = 20
EXTEND_DAYS = 7
WINDOW_MAX = 60
COMMENTS_SHOWN = 50  # per question; the export has them all
ACTIONS = ("send", "extend", "close", "reopen", "delete")


# -- the calendar ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarRow:
    program: Program
    zone: ZoneInfo  # where the program takes place: its times are shown there
    participants: int
    respondents: int
    group: str  # running, coming or past

    @property
    def rate(self) -> float:
        return self.respondents / self.participants if self.participants else 0.0


@dataclass(frozen=True)
class Calendar:
    rows: list[CalendarRow]
    group: str  # one of CALENDAR_GROUPS, or "all"
    page: int  # from 0
    pages: int
    total: int
    now: dt.datetime


def group_of(program: Program, now: dt.datetime) -> str:
    """Running, coming or past, as the calendar groups it."""
    if program.starts_at > now:
        return "coming"
    return "past" if program.ends_at < now else "running"


async def calendar(
    session: AsyncSession,
    caller: Access,
    *,
    group: str,
    page: int,
    now: dt.datetime,
    default_zone: ZoneInfo,
) -> Calendar:
    """A page of the programs the caller manages (an admin: all), running ones first, then
    coming (soonest first), then past (latest first); `group` keeps one of them."""
    caller.require(Need.ORGANIZER)
    chosen = group if group in CALENDAR_GROUPS else None
    scope = caller.unit_scope()
    page = max(0, min(page, 10_000))
    programs, total = await store.program_calendar(
        session, scope, now=now, offset=page * PAGE_SIZE, limit=PAGE_SIZE, group=chosen
    )
    pages = max(1, -(-total // PAGE_SIZE))
    if page >= pages:  # past the last page (an old link): the last one
        page = pages - 1
        programs, total = await store.program_calendar(
            session, scope, now=now, offset=page * PAGE_SIZE, limit=PAGE_SIZE, group=chosen
        )
    ids = [p.id for p in programs if p.id is not None]
    participants = await _counts(
        session,
        select(Participant.program_id, func.count())
        .where(col(Participant.program_id).in_(ids))
        .group_by(col(Participant.program_id)),
    )
    respondents = await _counts(
        session,
        select(Response.subject_id, func.count())
        .where(
            col(Response.subject_kind) == PROGRAM_SUBJECT,
            col(Response.subject_id).in_(ids),
            col(Response.status) == RESPONSE_SUBMITTED,
        )
        .group_by(col(Response.subject_id)),
    )
    zones: dict[int, ZoneInfo] = {}
    rows = []
    for program in programs:
        assert program.id is not None
        if program.unit_id not in zones:
            zones[program.unit_id] = await feedback.unit_zone(
                session, program.unit_id, default_zone
            )
        rows.append(
            CalendarRow(
                program,
                zones[program.unit_id],
                participants.get(program.id, 0),
                respondents.get(program.id, 0),
                group_of(program, now),
            )
        )
    return Calendar(rows, chosen or "all", page, pages, total, now)


async def _counts(session: AsyncSession, query: object) -> dict[int, int]:
    return {int(key): int(n) for key, n in (await session.exec(query)).all()}  # type: ignore[call-overload]


# -- a program's page ------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultLine:
    """One rated item (an instructor's item once per instructor) with its released mean."""

    item: Item
    mean: float
    high: int
    answers: int
    not_attended: int = 0  # "did not attend this session": counted apart, never a score

    def label(self, language: str) -> str:
        text = self.item.question.text(language)
        return text.replace("{instructor}", self.item.instructor_name)


@dataclass(frozen=True)
class Comments:
    """The released answers to one free-text question, in no order that follows anyone."""

    question: questionnaires.Question
    texts: list[str]
    total: int


@dataclass(frozen=True)
class ProgramView:
    program: Program
    unit_label: str
    zone: ZoneInfo
    minimum: int
    figures: ProgramFigures
    lines: list[ResultLine] = field(default_factory=list)  # empty when withheld
    instructors: list[tuple[str, float, int]] = field(default_factory=list)
    # Each instructor's scale: the form's when their items share one, else digest.INDEX.
    instructor_scales: list[tuple[int, int]] = field(default_factory=list)
    comments: list[Comments] = field(default_factory=list)
    followup: Level3 | None = None
    # The knowledge test's figures (Level 2), when the program has a test: "–" while withheld.
    knowledge: Knowledge | None = None
    answered: bool = False
    actions: tuple[str, ...] = ()
    roll: Roll | None = None  # against the class list, when the program has one
    # Its questionnaire: the version it was given, and the languages it is asked in.
    questionnaire: questionnaires.Template | None = None
    languages: tuple[str, ...] = ()

    @property
    def may_remind(self) -> bool:
        """The "remind now" action (classlists.remind_now decides again when used)."""
        return self.program.status == PROGRAM_OPEN

    @property
    def withheld(self) -> bool:
        return self.figures.withheld

    @property
    def editable(self) -> bool:
        return not self.answered


def actions_of(program: Program, answered: bool) -> tuple[str, ...]:
    """What may be done to the program now: send once (before it went out), extend or close
    while open, reopen once closed, edit and delete until someone has answered."""
    found: list[str] = []
    if program.status == PROGRAM_SCHEDULED:
        found.append("send")
    found += ["extend", "close"] if program.status != PROGRAM_CLOSED else ["reopen"]
    if not answered:
        found += ["edit", "delete"]
    return tuple(found)


async def view(
    session: AsyncSession,
    caller: Access,
    program_id: int,
    *,
    minimum: int,
    default_zone: ZoneInfo,
    now: dt.datetime,
    details: bool = True,
) -> ProgramView:
    """The program's page, if the caller manages it (NotFound otherwise, as for a missing
    one): below the minimum no figure at all, and no comment either (they are released with
    the scores)."""
    program = await service.managed(session, caller, program_id)
    assert program.id is not None
    figures = await service.figures(session, program)
    answered = await service.has_answers(session, program.id)
    template = await questionnaires.template_of(session, program.template_id)
    found = ProgramView(
        program=program,
        unit_label=await unit_label(session, program.unit_id),
        zone=await feedback.unit_zone(session, program.unit_id, default_zone),
        minimum=minimum,
        figures=figures,
        followup=(await level3.results(session, [program.id])).get(program.id),
        knowledge=await _knowledge(session, program, minimum),
        answered=answered,
        actions=actions_of(program, answered),
        questionnaire=template,
        languages=questionnaires.chosen_languages(template, program.languages),
    )
    roll = await classlists.roll_of(session, program)
    if roll.listed:
        found = replace(found, roll=roll)
    if figures.withheld:
        return found
    means = {(f.question, f.instructor): f for f in figures.items}
    for item in questionnaires.items(template, program.instructors):
        figure = means.get((item.question.code, item.instructor))
        if figure is not None:
            found.lines.append(
                ResultLine(
                    item, figure.mean, item.question.max, figure.answers, figure.not_attended
                )
            )
    if details:  # the chat's page is short: no instructors' means or comments
        results = await digest.program_results(session, program, until=now, min_responses=minimum)
        found.instructors.extend(results.instructors)
        found.instructor_scales.extend(results.instructor_scales)
        found.comments.extend(await _comments(session, program.id, template))
    return found


async def _knowledge(session: AsyncSession, program: Program, minimum: int) -> Knowledge | None:
    """The program's Level 2 figures (all withheld until a block is released); None without
    a test."""
    assert program.id is not None
    if program.test_template_id is None:
        return None
    found = await knowledge.results(session, [program.id], minimum=minimum)
    return found.get(program.id) or Knowledge()


async def _comments(
    session: AsyncSession, program_id: int, template: questionnaires.Template
) -> list[Comments]:
    """The released answers to the comment questions, each question's in alphabetical order
    (never in the order people answered, which would put one person's answers side by side)."""
    found = []
    for question in template.with_role(*digest.COMMENT_ROLES):
        of_question = [
            col(Response.subject_kind) == PROGRAM_SUBJECT,
            col(Response.subject_id) == program_id,
            col(Response.status) == RESPONSE_SUBMITTED,
            *releases.released(),
            col(Answer.question) == question.code,
            col(Answer.text).is_not(None),
            col(Answer.text) != "",
        ]
        joined = select(Answer.text).join(Response, col(Response.id) == col(Answer.response_id))
        texts = (
            await session.exec(
                joined.where(*of_question).order_by(col(Answer.text)).limit(COMMENTS_SHOWN)
            )
        ).all()
        total = (
            await session.exec(
                select(func.count())
                .select_from(Answer)
                .join(Response, col(Response.id) == col(Answer.response_id))
                .where(*of_question)
            )
        ).one()
        if texts:
            found.append(Comments(question, [str(text) for text in texts], int(total)))
    return found


async def chart(
    session: AsyncSession,
    caller: Access,
    program_id: int,
    *,
    minimum: int,
    now: dt.datetime,
    today: dt.date,
    bands: digest.Bands,
) -> digest.Digest:
    """The digest's chart for one program over its whole life: released answers only, and
    below the minimum the chart with no program in it (withheld looks like empty)."""
    program = await service.managed(session, caller, program_id)
    results = await digest.program_results(
        session, program, until=now, min_responses=minimum, bands=bands
    )
    return digest.Digest(
        period=digest.Period.containing(today),
        scope=[program.unit_id],
        programs=[results] if not results.withheld else [],
        proposals=[],
        complaints=digest.ComplaintDigest(),
        trend=[],
        min_responses=minimum,
    )


# -- creating and changing -------------------------------------------------------------------


@dataclass
class ProgramForm:
    """A program as a form gives it: times on the wall clock of where it takes place.
    `unreadable`: what the door could not read as a value, refused only once the caller
    was checked (so a stranger's bad form is "not found" like a good one)."""

    title: str
    unit_id: int | None
    starts_at: dt.datetime | None  # naive: local to the unit
    ends_at: dt.datetime | None
    provider: str | None = None
    mode: str = MODES[0]
    # None, editing: kept as they are (the page did not offer them: the questionnaire is out).
    instructors: list[str] | None = field(default_factory=list)
    window_days: int = 7
    questionnaire: str | None = None  # a code; None: the shipped evaluation (or, editing, kept)
    # The languages ticked; a form in one language has no choice (None: all the form has).
    languages: list[str] | None = None
    unreadable: Refused | None = None


async def questionnaire_choices(
    session: AsyncSession, caller: Access, unit_id: int | None = None
) -> list[service.Evaluation]:
    """The evaluations a program of the caller's (of `unit_id`, or of any of their units) may
    be given: `programs.evaluations`, the list the chat's creation offers too."""
    return await service.evaluations(session, caller, unit_id)


async def form_languages(
    session: AsyncSession, code: str | None, program: Program | None = None
) -> tuple[str, ...]:
    """The languages of the form `code` (None: the program's own, or the shipped
    evaluation); () for a code that is no form (the service refuses it when saved)."""
    if code is None and program is not None:
        template = await questionnaires.template_of(session, program.template_id)
        return template.offered
    try:
        row = await questionnaires.latest(session, code or service.TRAINING_TEMPLATE)
    except LookupError:
        return ()
    assert row.id is not None
    return (await questionnaires.template_of(session, row.id)).offered


async def current_questionnaire(session: AsyncSession, program: Program) -> str:
    """The code of the questionnaire the program was given."""
    template = await questionnaires.template_of(session, program.template_id)
    return template.code


async def units_for_new(session: AsyncSession, caller: Access) -> list[Place]:
    """The active units the caller may create a program for (refused: none at all)."""
    caller.require(Need.ORGANIZER)
    scope = caller.unit_scope()
    units = [
        unit
        for unit in await all_units(session, active_only=True)
        if unit.id is not None and (scope is None or unit.id in scope)
    ]
    if not units:
        raise Refused("access.denied")
    return units


async def editing(
    session: AsyncSession, caller: Access, program_id: int, *, default_zone: ZoneInfo
) -> tuple[Program, ZoneInfo]:
    """The program to change, if the caller may still (nobody has answered), with the zone
    its times are written in."""
    program = await service.editable(session, caller, program_id)
    return program, await feedback.unit_zone(session, program.unit_id, default_zone)


async def sent_out(session: AsyncSession, program: Program) -> bool:
    """Whether the program's questionnaire went out: then the page offers no change of the
    questionnaire, the instructors or the languages (`programs.edit_program` refuses it)."""
    assert program.id is not None
    return await service.sent_out(session, program.id)


async def _spec(
    session: AsyncSession,
    form: ProgramForm,
    unit_id: int,
    *,
    program: Program | None = None,
    now: dt.datetime,
    default_zone: ZoneInfo,
    followup_weeks: int,
) -> ProgramSpec:
    zone = await feedback.unit_zone(session, unit_id, default_zone)
    starts_at, ends_at = _check_form(form, now)
    languages = form.languages
    if languages is not None:
        offered = await form_languages(session, form.questionnaire or None, program)
        # The form offers the boxes when some form has two languages: one that has a single
        # language is asked in it, whatever was ticked.
        languages = None if len(offered) == 1 else [c for c in offered if c in languages]
    return ProgramSpec(
        title=form.title,
        unit_id=unit_id,
        starts_at=starts_at.replace(tzinfo=zone),
        ends_at=ends_at.replace(tzinfo=zone),
        provider=form.provider,
        mode=form.mode,
        instructors=list(
            form.instructors
            if form.instructors is not None
            else (program.instructors if program is not None else [])
        ),
        window_days=form.window_days,
        followup_weeks=followup_weeks,
        questionnaire=form.questionnaire or None,
        languages=languages,
    )


def _check_form(form: ProgramForm, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """What the chat's steps refuse before the review, refused here as well; the times."""
    if form.unreadable is not None:
        raise form.unreadable
    assert form.starts_at is not None and form.ends_at is not None
    service.check_moment(form.starts_at.replace(tzinfo=dt.UTC), now=now)
    service.check_moment(form.ends_at.replace(tzinfo=dt.UTC), now=now)
    if not 1 <= form.window_days <= WINDOW_MAX:
        raise ProgramError("programs.window_invalid", maximum=WINDOW_MAX)
    return form.starts_at, form.ends_at


async def create(
    session: AsyncSession,
    caller: Access,
    form: ProgramForm,
    *,
    now: dt.datetime,
    default_zone: ZoneInfo,
    followup_weeks: int,
) -> Program:
    """A new program from the form, by the chat's rules (`programs.create_program`)."""
    caller.require(Need.ORGANIZER)
    if form.unit_id is None or not caller.handles(form.unit_id):
        raise ProgramError("program.unit_not_yours")
    spec = await _spec(
        session,
        form,
        form.unit_id,
        now=now,
        default_zone=default_zone,
        followup_weeks=followup_weeks,
    )
    return await service.create_program(session, spec=spec, caller=caller, now=now)


async def edit(
    session: AsyncSession,
    caller: Access,
    program_id: int,
    form: ProgramForm,
    *,
    now: dt.datetime,
    default_zone: ZoneInfo,
) -> Done:
    """The program changed from the form, by the chat's rules (`programs.edit_program`);
    the unit stays."""
    program = await service.editable(session, caller, program_id)
    if form.questionnaire == await current_questionnaire(session, program):
        # The questionnaire it has: the version it was given stays (not the newest one).
        form = replace(form, questionnaire=None)
    spec = await _spec(
        session,
        form,
        program.unit_id,
        program=program,
        now=now,
        default_zone=default_zone,
        followup_weeks=1,
    )
    return await service.edit_program(session, caller, program_id, spec=spec, now=now)


async def act(
    session: AsyncSession,
    caller: Access,
    program_id: int,
    *,
    action: str,
    now: dt.datetime,
    rules: feedback.Rules,
) -> tuple[Done, list[Notice]]:
    """One of the page's actions, through the service the chat's button uses; the notices
    to deliver with it."""
    program = await service.managed(session, caller, program_id)
    if action == "remind":
        return await classlists.remind_now(session, caller, program_id, now=now, rules=rules)
    return await _act(session, caller, program, action=action, now=now), []


async def _act(
    session: AsyncSession, caller: Access, program: Program, *, action: str, now: dt.datetime
) -> Done:
    assert program.id is not None
    program_id = program.id
    if action == "send":
        return await service.send_now(session, caller, program_id, now=now)
    if action == "close":
        return await service.close_window(session, caller, program_id, now=now)
    if action == "reopen":
        return await service.reopen_window(session, caller, program_id, now=now, days=EXTEND_DAYS)
    if action == "extend":
        extended = await service.extend_window(session, caller, program_id, days=EXTEND_DAYS)
        return Done(extended, "program.extended", {"days": EXTEND_DAYS})
    if action == "delete":
        return await service.delete_program(session, caller, program_id)
    raise Refused("programsweb.unknown_action", title=program.title)
