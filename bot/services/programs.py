"""Training programs: creating them, joining them, and the numbers organizers see.

A program gets a short join code (`/gabung KODE`, the deep link `ikut_KODE`, its QR code) and,
when created, its scheduled work: the questionnaire at the end time, the window's close and the
follow-up (bot/services/feedback.py does that work). No Telegram here.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, delete, or_, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import questionnaires, releases
from bot.services.access import Access, Need
from bot.services.errors import NotFound, Refused
from bot.services.nip import check_nip
from bot.services.text import clean_text
from bot.services.units import UnitError, open_unit
from bot.storage import audit
from bot.storage import programs as store
from bot.storage.certificates import CertificateSettings, ClassListEntry
from bot.storage.programs import (
    MODES,
    PROGRAM_CLOSED,
    PROGRAM_OPEN,
    PROGRAM_SCHEDULED,
    DueItem,
    Participant,
    Program,
    TrainingProposal,
)
from bot.storage.questionnaires import (
    FOLLOWUP_SUBJECT,
    PROGRAM_SUBJECT,
    RESPONSE_OPEN,
    RESPONSE_SUBMITTED,
    Answer,
    QuestionnaireTemplate,
    Response,
)

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
    # The questionnaire's code: its latest version becomes the program's, kept once anyone
    # answered. None: the shipped training evaluation at creation, the program's own at edit.
    questionnaire: str | None = None
    # Which of the questionnaire's languages it is asked in (None: all the form has).
    languages: list[str] | None = None


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


def other_kinds_forms() -> set[str]:
    """The questionnaires asked for their own purpose (the SKM, the follow-ups, knowledge
    tests), which no program may be given as its evaluation."""
    from bot.services import kinds

    return {kind.template for kind in kinds.KINDS.values() if kind is not kinds.TRAINING}


@dataclass(frozen=True)
class Evaluation:
    """A questionnaire a program may be given: the latest published version of its code."""

    code: str
    version: int
    title: questionnaires.Localized
    unit_id: int | None  # the owning unit; None: shared
    languages: tuple[str, ...]  # the languages every item has, Indonesian first


def unit_may_use(row: QuestionnaireTemplate, unit_ids: set[int] | None) -> bool:
    """Whether programs of `unit_ids` (None: any unit) may be given the form: a shared one,
    or one of their unit's own. The one check for evaluations and knowledge tests alike."""
    return row.unit_id is None or unit_ids is None or row.unit_id in unit_ids


async def _evaluation(
    session: AsyncSession, row: QuestionnaireTemplate, unit_ids: set[int] | None
) -> Evaluation | None:
    """The version as an evaluation programs of `unit_ids` (None: any unit) may be given, or
    None: another unit's form, a form another kind asks, a knowledge test."""
    from bot.services.knowledge import scored

    if row.code in other_kinds_forms():
        return None
    if not unit_may_use(row, unit_ids):
        return None
    assert row.id is not None
    template = await questionnaires.template_of(session, row.id)
    if template.questions and len(scored(template)) == len(template.questions):
        return None  # every question has a right answer: a test, given apart
    return Evaluation(row.code, row.version, template.title, row.unit_id, template.offered)


async def evaluations(
    session: AsyncSession, caller: Access, unit_id: int | None = None
) -> list[Evaluation]:
    """The evaluations the caller may give a program of `unit_id` (None: of any unit they
    organize), for both doors: the shared ones and the unit's own, the latest published
    version of each (drafts are never versions), the shipped training evaluation first. The
    choice is checked again when it is saved (`create_program`, `edit_program`)."""
    caller.require(Need.ORGANIZER)
    if unit_id is not None and not caller.handles(unit_id):
        raise NotFound()
    scope = caller.unit_scope()
    units = {unit_id} if unit_id is not None else (set(scope) if scope is not None else None)
    found: list[Evaluation] = []
    for row in await questionnaires.latest_versions(session):
        evaluation = await _evaluation(session, row, units)
        if evaluation is not None:
            found.append(evaluation)
    return sorted(found, key=lambda e: (e.code != TRAINING_TEMPLATE, e.unit_id is None, e.code))


async def _questionnaire(session: AsyncSession, code: str, unit_id: int) -> int:
    """The id of the latest version of the questionnaire `code` (an imported XLSForm, a
    shipped one, or one the unit's organizers published); refused when there is none, when
    it is no evaluation (`evaluations`), or when it belongs to another unit (as if it did not
    exist)."""
    try:
        row = await questionnaires.latest(session, code)
    except LookupError:
        raise ProgramError("program.questionnaire_unknown", code=code) from None
    if await _evaluation(session, row, {unit_id}) is None:
        raise ProgramError("program.questionnaire_unknown", code=code)
    assert row.id is not None
    return row.id


async def evaluation(session: AsyncSession, caller: Access, unit_id: int, code: str) -> Evaluation:
    """The evaluation `code` as a program of `unit_id` would be given it now (its latest
    version); refused as `create_program` refuses it: another unit's form, a form another
    kind asks, a knowledge test, a code with no published version (a draft)."""
    caller.require(Need.ORGANIZER)
    if not caller.handles(unit_id):
        raise ProgramError("program.unit_not_yours")
    row = await session.get(QuestionnaireTemplate, await _questionnaire(session, code, unit_id))
    assert row is not None
    found = await _evaluation(session, row, {unit_id})
    assert found is not None
    return found


async def given_evaluation(session: AsyncSession, program: Program) -> Evaluation:
    """The version the program was given (it keeps it), with its languages."""
    row = await session.get(QuestionnaireTemplate, program.template_id)
    assert row is not None
    template = await questionnaires.template_of(session, program.template_id)
    return Evaluation(row.code, row.version, template.title, row.unit_id, template.offered)


async def _languages(
    session: AsyncSession, template_id: int, chosen: list[str] | None
) -> list[str] | None:
    """The languages to store for the program (None: all the form has); refused: a language
    the form has no words in, or none at all."""
    if chosen is None:
        return None
    template = await questionnaires.template_of(session, template_id)
    if not chosen or any(code not in template.offered for code in chosen):
        raise ProgramError(
            "questionnaire_choice.languages_invalid", languages=", ".join(template.offered)
        )
    kept = [code for code in template.offered if code in chosen]
    return None if len(kept) == len(template.offered) else kept


async def languages_of(session: AsyncSession, program: Program) -> tuple[str, ...]:
    """The languages the program's questionnaire is asked in, Indonesian first."""
    template = await questionnaires.template_of(session, program.template_id)
    return questionnaires.chosen_languages(template, program.languages)


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
    template_id = await _questionnaire(
        session, spec.questionnaire or TRAINING_TEMPLATE, spec.unit_id
    )
    languages = await _languages(session, template_id, spec.languages)
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
        template_id=template_id,
        languages=languages,
        closes_at=closes_at.astimezone(dt.UTC),
        followup_at=(spec.ends_at + dt.timedelta(weeks=spec.followup_weeks)).astimezone(dt.UTC),
        created_by=caller.user_id if caller is not None and not caller.system else None,
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
    work unit if given). A closed program takes nobody. A NIP on the program's class list
    matches the participant to it."""
    from bot.services import classlists

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
        await classlists.match(session, existing)
        return Joined(existing, new=False)
    participant = Participant(program_id=program.id, user_id=user_id, nip=nip, work_unit=work_unit)
    session.add(participant)
    await session.flush()
    await classlists.match(session, participant)
    return Joined(participant, new=True)


@dataclass(frozen=True)
class ItemFigure:
    question: str
    instructor: int
    mean: float
    answers: int
    # Released answers "did not attend this session": apart from the scores, never low.
    not_attended: int = 0


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


async def figures(session: AsyncSession, program: Program) -> ProgramFigures:
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
    scores = await releases.item_scores(session, and_(*released))
    # "Did not attend": a count of people, like the respondents, shown as released.
    absent_query = (
        select(Answer.question, Answer.instructor, func.count())
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(*released, col(Answer.choice) == questionnaires.NOT_ATTENDED)
        .group_by(col(Answer.question), col(Answer.instructor))
    )
    absent = {(str(q), int(i)): int(n) for q, i, n in (await session.exec(absent_query)).all()}
    items = tuple(
        ItemFigure(
            question,
            instructor,
            sum(score * n for score, n in per_score.items()) / sum(per_score.values()),
            sum(per_score.values()),
            absent.get((question, instructor), 0),
        )
        # An item's answers count in blocks of its own: none below the minimum (each
        # breakdown, an instructor's items too, is withheld), and never one answer more.
        for (_, question, instructor), per_score in sorted(scores.items())
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


# -- what organizers do to a program after creating it ---------------------------------------
#
# Each takes the caller (None: the operator's command line on the server) and the program's id,
# refuses with a text key, writes its audit event and returns what to tell the caller.


@dataclass(frozen=True)
class Done:
    """What happened, for the caller: `key` and `values` make the text that says it."""

    program: Program
    key: str
    values: dict[str, object] = field(default_factory=dict)


async def managed(session: AsyncSession, caller: Access | None, program_id: int) -> Program:
    """The program if the caller manages it (an organizer of its unit, or an admin); NotFound
    for a program that does not exist and for one of another unit alike."""
    program = await session.get(Program, program_id)
    if program is None or (caller is not None and not caller.handles(program.unit_id)):
        raise NotFound()
    return program


def _audit(session: AsyncSession, caller: Access | None, action: str, program: Program) -> None:
    if caller is None:
        return
    audit.record(
        session,
        actor_id=caller.user_id,
        actor_role=caller.actor_role,
        action=action,
        subject_kind="program",
        subject_id=program.id,
        detail=program.code,
    )


_SUBJECTS = (PROGRAM_SUBJECT, FOLLOWUP_SUBJECT)


def _responses_of(program_id: int) -> list[Any]:
    return [
        col(Response.subject_kind).in_(_SUBJECTS),
        col(Response.subject_id) == program_id,
    ]


async def has_answers(session: AsyncSession, program_id: int) -> bool:
    """Whether anyone has answered anything about this program (one answer is enough: from
    then on, what they were asked about stays as it was)."""
    query = (
        select(Answer.id)
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(*_responses_of(program_id))
        .limit(1)
    )
    if (await session.exec(query)).first() is not None:
        return True
    submitted = select(Response.id).where(
        *_responses_of(program_id), col(Response.status) == RESPONSE_SUBMITTED
    )
    return (await session.exec(submitted.limit(1))).first() is not None


async def sent_out(session: AsyncSession, program_id: int) -> bool:
    """Whether any questionnaire of the program's evaluation exists, open or submitted: each
    was opened on the program's template and instructor list (`feedback.dispatch` stores
    both on the response), so from then on the questionnaire, the instructors and the
    languages stay as they were, or answers would land on another form or another name."""
    query = select(Response.id).where(
        col(Response.subject_kind) == PROGRAM_SUBJECT, col(Response.subject_id) == program_id
    )
    return (await session.exec(query.limit(1))).first() is not None


async def _keeps_what_was_sent(session: AsyncSession, program: Program, spec: ProgramSpec) -> None:
    """Refuses, once the questionnaire went out (`sent_out`), a spec that gives the program
    another questionnaire, other instructors or other languages."""
    assert program.id is not None
    if not await sent_out(session, program.id):
        return
    changed = list(spec.instructors) != list(program.instructors)
    if spec.questionnaire is not None:
        template_id = await _questionnaire(session, spec.questionnaire, program.unit_id)
        changed = changed or template_id != program.template_id
    if spec.languages is not None:
        languages = await _languages(session, program.template_id, spec.languages)
        changed = changed or languages != program.languages
    if changed:
        raise ProgramError("programs.edit_sent", title=program.title)


async def send_now(
    session: AsyncSession, caller: Access | None, program_id: int, *, now: dt.datetime
) -> Done:
    """The questionnaire goes to every participant at once (the due job sends it). Refused:
    sent already, closed, or nobody has joined yet (then nothing is sent, nothing changes)."""
    program = await managed(session, caller, program_id)
    assert program.id is not None
    if program.status == PROGRAM_CLOSED:
        raise ProgramError("programs.send_closed")
    if program.status != PROGRAM_SCHEDULED:
        raise ProgramError("programs.send_already")
    count = await store.count_participants(session, program.id)
    if count == 0:
        raise ProgramError("programs.send_nobody")
    await store.reschedule(session, key=f"dispatch:{program.id}", due_at=now)
    _audit(session, caller, "program_send", program)
    return Done(program, "programs.sent", {"count": count})


async def close_window(
    session: AsyncSession, caller: Access | None, program_id: int, *, now: dt.datetime
) -> Done:
    """Ends the answer window now: questionnaires not submitted are no longer taken (until it
    is reopened)."""
    from bot.services import feedback

    program = await managed(session, caller, program_id)
    assert program.id is not None
    if program.status == PROGRAM_CLOSED:
        raise ProgramError("programs.close_already")
    participants = await store.count_participants(session, program.id)
    respondents = await _submitted(session, program.id)
    await feedback.close_now(session, program, now=now)
    _audit(session, caller, "program_close", program)
    return Done(
        program, "programs.closed", {"participants": participants, "respondents": respondents}
    )


async def _submitted(session: AsyncSession, program_id: int) -> int:
    query = select(func.count()).where(
        col(Response.subject_kind) == PROGRAM_SUBJECT,
        col(Response.subject_id) == program_id,
        col(Response.status) == RESPONSE_SUBMITTED,
    )
    return int((await session.exec(query)).one())


async def reopen_window(
    session: AsyncSession,
    caller: Access | None,
    program_id: int,
    *,
    now: dt.datetime,
    days: int,
) -> Done:
    """A closed window opens again for `days` days: the questionnaires the close stopped can
    be finished, and a questionnaire never sent goes out at the end as planned."""
    from bot.services import feedback

    program = await managed(session, caller, program_id)
    assert program.id is not None
    if program.status != PROGRAM_CLOSED:
        raise ProgramError("programs.reopen_open")
    program.closes_at = max(now, program.ends_at) + dt.timedelta(days=days)
    program.status = PROGRAM_OPEN if program.sent_at is not None else PROGRAM_SCHEDULED
    session.add(program)
    await session.exec(
        update(Response)
        .where(
            col(Response.subject_kind) == PROGRAM_SUBJECT,
            col(Response.subject_id) == program.id,
            col(Response.status) == feedback.RESPONSE_EXPIRED,
        )
        .values(status=RESPONSE_OPEN)
    )
    await store.repend(session, key=f"close:{program.id}", due_at=program.closes_at)
    if program.sent_at is None:
        await store.repend(session, key=f"dispatch:{program.id}", due_at=max(now, program.ends_at))
    _audit(session, caller, "program_reopen", program)
    return Done(program, "programs.reopened", {"closes": program.closes_at})


WEEK = dt.timedelta(weeks=1)


def spec_of(program: Program) -> ProgramSpec:
    """The program as a spec, to change some of it (the window in whole days)."""
    window = program.closes_at - program.ends_at
    return ProgramSpec(
        title=program.title,
        unit_id=program.unit_id,
        starts_at=program.starts_at,
        ends_at=program.ends_at,
        provider=program.provider,
        mode=program.mode,
        instructors=list(program.instructors),
        window_days=max(1, round(window / dt.timedelta(days=1))),
        followup_weeks=max(1, round((program.followup_at - program.ends_at) / WEEK)),
        languages=list(program.languages) if program.languages is not None else None,
    )


def same_as(program: Program, spec: ProgramSpec) -> bool:
    """Whether saving `spec` would change nothing."""
    stored = spec_of(program)
    return (
        stored.title == spec.title
        and stored.starts_at == spec.starts_at.astimezone(dt.UTC)
        and stored.ends_at == spec.ends_at.astimezone(dt.UTC)
        and (stored.provider or None) == (spec.provider or None)
        and stored.mode == spec.mode
        and stored.instructors == spec.instructors
        and stored.window_days == spec.window_days
        and spec.questionnaire is None
        and (spec.languages is None or stored.languages == spec.languages)
    )


async def edit_program(
    session: AsyncSession,
    caller: Access | None,
    program_id: int,
    *,
    spec: ProgramSpec,
    now: dt.datetime,
) -> Done:
    """Changes the title, provider, times, mode, instructors, window, questionnaire and its
    languages (the unit stays). Refused once anyone has answered: they answered about the
    program as it was; and the questionnaire, instructors and languages once the
    questionnaire went out (`sent_out`): open questionnaires ask about them as they were."""
    program = await managed(session, caller, program_id)
    assert program.id is not None
    if await has_answers(session, program.id):
        raise ProgramError("programs.edit_answered", title=program.title)
    spec.unit_id = program.unit_id
    spec.followup_weeks = spec_of(program).followup_weeks  # the follow-up keeps its distance
    check_spec(spec, now=now if program.status != PROGRAM_CLOSED else None)
    await _keeps_what_was_sent(session, program, spec)
    program.title = spec.title.strip()
    program.provider = (spec.provider or "").strip() or None
    program.mode = spec.mode
    if spec.questionnaire is not None:
        program.template_id = await _questionnaire(session, spec.questionnaire, program.unit_id)
    if spec.languages is not None or spec.questionnaire is not None:
        # Named: those (all of them, listed, is None); with another form and none named, all.
        program.languages = await _languages(session, program.template_id, spec.languages)
    program.instructors = list(spec.instructors)
    program.starts_at = spec.starts_at.astimezone(dt.UTC)
    program.ends_at = spec.ends_at.astimezone(dt.UTC)
    program.closes_at = (spec.ends_at + dt.timedelta(days=spec.window_days)).astimezone(dt.UTC)
    program.followup_at = (spec.ends_at + dt.timedelta(weeks=spec.followup_weeks)).astimezone(
        dt.UTC
    )
    session.add(program)
    if program.status == PROGRAM_SCHEDULED:
        await store.reschedule(session, key=f"dispatch:{program.id}", due_at=program.ends_at)
    if program.status != PROGRAM_CLOSED:
        await store.reschedule(session, key=f"close:{program.id}", due_at=program.closes_at)
    await store.reschedule(session, key=f"followup:{program.id}", due_at=program.followup_at)
    _audit(session, caller, "program_edit", program)
    return Done(program, "programs.edited", {"title": program.title, "code": program.code})


async def delete_program(session: AsyncSession, caller: Access | None, program_id: int) -> Done:
    """Removes a program nobody has answered about, with its participants, its unanswered
    questionnaires and its scheduled work (their queued messages then go nowhere)."""
    program = await managed(session, caller, program_id)
    assert program.id is not None
    if await has_answers(session, program.id):
        raise ProgramError("programs.delete_answered", title=program.title)
    _audit(session, caller, "program_delete", program)
    await session.exec(delete(Response).where(*_responses_of(program.id)))
    await session.exec(delete(DueItem).where(col(DueItem.program_id) == program.id))
    await session.exec(delete(Participant).where(col(Participant.program_id) == program.id))
    # Its class list and certificate settings (no certificate exists: nobody answered).
    await session.exec(delete(ClassListEntry).where(col(ClassListEntry.program_id) == program.id))
    await session.exec(
        delete(CertificateSettings).where(col(CertificateSettings.program_id) == program.id)
    )
    await session.exec(delete(Program).where(col(Program.id) == program.id))
    return Done(program, "programs.deleted", {"title": program.title, "code": program.code})


async def same_program(session: AsyncSession, spec: ProgramSpec) -> Program | None:
    """The program of the same unit, title and start (an imported calendar row seen again)."""
    query = select(Program).where(
        col(Program.unit_id) == spec.unit_id,
        col(Program.title) == spec.title.strip(),
        col(Program.starts_at) == spec.starts_at.astimezone(dt.UTC),
    )
    return (await session.exec(query.order_by(col(Program.id)))).first()


async def editable(session: AsyncSession, caller: Access | None, program_id: int) -> Program:
    """The program, if the caller may still change it (nobody has answered yet)."""
    program = await managed(session, caller, program_id)
    assert program.id is not None
    if await has_answers(session, program.id):
        raise ProgramError("programs.edit_answered", title=program.title)
    return program


async def extend_window(
    session: AsyncSession, caller: Access, program_id: int, *, days: int
) -> Program:
    """A running program's answering time, `days` longer; refused once it is closed."""
    program = await managed(session, caller, program_id)
    if program.status == PROGRAM_CLOSED:
        raise ProgramError("program.is_closed")
    from bot.services import feedback

    await feedback.extend(session, program, days=days)
    _audit(session, caller, "program_extend", program)
    return program
