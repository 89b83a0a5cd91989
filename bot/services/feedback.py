"""The scheduled side of training feedback: the questionnaire at the end of a program,
reminders to those who have not answered, closing the window, and the follow-up.

Each piece is a due item (bot/storage/programs.py) done once; each returns the notices to send,
which go through the outbox in the same transaction. Messages are timed into the recipient's
day (08:00-20:00 where the program takes place, by default): one that falls at night waits
for the morning, and one that would arrive after the window closed is not sent at all.
Whether a person answered is used here, to decide reminders, and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.buttons import FillQuestionnaire
from bot.config import Settings
from bot.services import questionnaires
from bot.services.conditions import Condition, next_in_hours
from bot.services.notices import Notice
from bot.services.programs import PROGRAM_SUBJECT
from bot.storage import programs as store
from bot.storage.places import timezone_of
from bot.storage.programs import (
    PROGRAM_CLOSED,
    PROGRAM_OPEN,
    PROGRAM_SCHEDULED,
    DueItem,
    Participant,
    Program,
)
from bot.storage.questionnaires import (
    FOLLOWUP_SUBJECT,
    RESPONSE_OPEN,
    RESPONSE_SUBMITTED,
    SUPERVISOR_SUBJECT,
    Answer,
    Response,
    response_for,
)

FOLLOWUP_TEMPLATE = "pasca"
SUPERVISOR_TEMPLATE = "atasan"
SUPERVISOR_LINK_PREFIX = "atasan"
INVITATION = "feedback.invitation"
RESPONSE_EXPIRED = "expired"  # the window closed before it was submitted
DISPATCH_BATCH = 200  # participants invited per transaction (keeps the SQLite write lock short)


@dataclass(frozen=True)
class Rules:
    reminder_hours: tuple[int, ...]
    sending_hours: tuple[dt.time, dt.time]
    default_tz: ZoneInfo

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(
            reminder_hours=tuple(settings.feedback_reminder_hours),
            sending_hours=settings.sending_window,
            default_tz=settings.tz,
        )


def in_daytime(moment: dt.datetime, tz: ZoneInfo, hours: tuple[dt.time, dt.time]) -> dt.datetime:
    """`moment` if it falls within the sending hours where the recipient is, else the next
    start of them (the same morning, or the next)."""
    return next_in_hours(moment, tz, hours)


def _still(
    response: Response, tz: ZoneInfo, rules: Rules, *, until: dt.datetime | None
) -> Condition:
    """What a questionnaire message depends on when the outbox sends it: the response still
    open, the window not closed, the recipient's sending hours."""
    return Condition(
        response_open=response.id, until=until, hours=rules.sending_hours, zone=tz.key
    )


async def program_tz(session: AsyncSession, program: Program, rules: Rules) -> ZoneInfo:
    return await unit_zone(session, program.unit_id, rules.default_tz)


async def unit_zone(session: AsyncSession, unit_id: int, default: ZoneInfo) -> ZoneInfo:
    """Where the unit is (its region's zone), else `default`: a program's times are shown
    and its messages timed there."""
    name = await timezone_of(session, unit_id)
    return ZoneInfo(name) if name else default


async def run(
    session: AsyncSession, item: DueItem, *, now: dt.datetime, rules: Rules
) -> tuple[list[Notice], bool]:
    """Does one due item; returns the notices and whether the item is finished (a dispatch
    with more participants to go, or a close whose window was extended, is not)."""
    program = await session.get(Program, item.program_id)
    if program is None:
        return [], True
    if item.kind == "dispatch":
        notices = await dispatch(session, program, now=now, rules=rules)
        invited = sum(notice.key == INVITATION for notice in notices)
        return notices, invited < DISPATCH_BATCH
    if item.kind == "remind":
        return await remind(session, program, item, now=now, rules=rules), True
    if item.kind == "close":
        if program.closes_at > now:
            await store.reschedule(session, key=item.key, due_at=program.closes_at)
            return [], False
        await close(session, program)
        return [], True
    if item.kind == "followup":
        return await followup(session, program, now=now, rules=rules), True
    raise ValueError(f"unknown due item kind {item.kind!r}")


async def dispatch(
    session: AsyncSession, program: Program, *, now: dt.datetime, rules: Rules
) -> list[Notice]:
    """The questionnaire to up to DISPATCH_BATCH participants who have none yet (a big program
    goes out in several short transactions, so other writers are not held up); the window is
    open from the first."""
    if program.status == PROGRAM_CLOSED:
        return []
    if program.status == PROGRAM_SCHEDULED:
        program.status = PROGRAM_OPEN
        program.sent_at = now
        session.add(program)
    assert program.id is not None
    invited = select(Response.respondent_id).where(
        col(Response.subject_kind) == PROGRAM_SUBJECT, col(Response.subject_id) == program.id
    )
    waiting = (
        await session.exec(
            select(Participant)
            .where(
                col(Participant.program_id) == program.id,
                col(Participant.user_id).not_in(invited),
            )
            .order_by(col(Participant.id))
            .limit(DISPATCH_BATCH)
        )
    ).all()
    tz = await program_tz(session, program, rules)
    send_at = in_daytime(now, tz, rules.sending_hours)
    # All of the batch's responses in one flush (their ids go on the buttons).
    responses = [
        Response(
            template_id=program.template_id,
            subject_kind=PROGRAM_SUBJECT,
            subject_id=program.id,
            respondent_id=participant.user_id,
            instructors=list(program.instructors),
        )
        for participant in waiting
    ]
    session.add_all(responses)
    await session.flush()
    notices = [
        _invitation(session, program, response, send_at, tz, rules) for response in responses
    ]
    return notices + await _posttests(session, program, [p.user_id for p in waiting], send_at)


async def _posttests(
    session: AsyncSession, program: Program, user_ids: list[int], send_at: dt.datetime
) -> list[Notice]:
    """The knowledge post-test beside the evaluation, where the program has a test."""
    from bot.services import knowledge

    found = [
        await knowledge.posttest(session, program, user_id, send_at=send_at)
        for user_id in user_ids
    ]
    return [notice for notice in found if notice is not None]


def _invitation(
    session: AsyncSession,
    program: Program,
    response: Response,
    send_at: dt.datetime,
    tz: ZoneInfo,
    rules: Rules,
) -> Notice:
    """The invitation to a response just opened, with its reminders scheduled (the keys are
    new with the response, so nothing needs looking up)."""
    assert program.id is not None and response.id is not None
    user_id = response.respondent_id
    for number, hours in enumerate(rules.reminder_hours, start=1):
        session.add(
            DueItem(
                key=f"remind:{program.id}:{user_id}:{number}",
                kind="remind",
                program_id=program.id,
                user_id=user_id,
                number=number,
                due_at=send_at + dt.timedelta(hours=hours),
            )
        )
    return Notice(
        user_id,
        INVITATION,
        {"title": program.title, "closes": program.closes_at.astimezone(tz)},
        ((("feedback.fill", FillQuestionnaire(response.id)),),),
        dedupe_key=f"invite:{response.id}",
        not_before=send_at,
        condition=_still(response, tz, rules, until=program.closes_at),
    )


async def invite(
    session: AsyncSession,
    program: Program,
    participant: Participant,
    *,
    now: dt.datetime,
    rules: Rules,
) -> Notice | None:
    """Opens the participant's response and invites them (someone who joins while the
    questionnaire is out); nothing when they have one already or the window is over."""
    assert program.id is not None
    if program.status != PROGRAM_OPEN or now >= program.closes_at:
        return None
    if await _response(session, program, participant.user_id) is not None:
        return None
    response = await questionnaires.open_response(
        session,
        template_id=program.template_id,
        subject_kind=PROGRAM_SUBJECT,
        subject_id=program.id,
        respondent_id=participant.user_id,
        instructors=program.instructors,
    )
    tz = await program_tz(session, program, rules)
    send_at = in_daytime(now, tz, rules.sending_hours)
    return _invitation(session, program, response, send_at, tz, rules)


async def welcome(
    session: AsyncSession,
    program: Program,
    participant: Participant,
    *,
    now: dt.datetime,
    rules: Rules,
) -> list[Notice]:
    """What someone who just joined is sent: the knowledge pre-test before the training
    ends; the questionnaire (and post-test) if it is out already (`invite`)."""
    from bot.services import knowledge

    found = [await knowledge.pretest(session, program, participant.user_id, now=now)]
    invitation = await invite(session, program, participant, now=now, rules=rules)
    if invitation is not None:
        found.append(invitation)
        assert invitation.not_before is not None
        found += await _posttests(session, program, [participant.user_id], invitation.not_before)
    return [notice for notice in found if notice is not None]


async def _response(session: AsyncSession, program: Program, user_id: int) -> Response | None:
    assert program.id is not None
    return await response_for(
        session, subject_kind=PROGRAM_SUBJECT, subject_id=program.id, respondent_id=user_id
    )


async def remind(
    session: AsyncSession, program: Program, item: DueItem, *, now: dt.datetime, rules: Rules
) -> list[Notice]:
    """A reminder, only to someone who has not submitted, only while the window is open."""
    if item.user_id is None or program.status != PROGRAM_OPEN:
        return []
    response = await _response(session, program, item.user_id)
    if response is None or response.status != RESPONSE_OPEN or response.id is None:
        return []
    tz = await program_tz(session, program, rules)
    send_at = in_daytime(now, tz, rules.sending_hours)
    if send_at >= program.closes_at:
        return []
    key = f"remind:{response.id}:{item.number}"
    return [reminder_notice(program, response, tz, rules, send_at, dedupe_key=key)]


def reminder_notice(
    program: Program,
    response: Response,
    tz: ZoneInfo,
    rules: Rules,
    send_at: dt.datetime,
    *,
    dedupe_key: str,
) -> Notice:
    """The reminder of an open questionnaire, scheduled or asked for by an organizer: the
    same text and the same conditions (still open, window not closed, sending hours)."""
    assert response.id is not None
    return Notice(
        response.respondent_id,
        "feedback.reminder",
        {"title": program.title, "closes": program.closes_at.astimezone(tz)},
        ((("feedback.fill", FillQuestionnaire(response.id)),),),
        dedupe_key=dedupe_key,
        not_before=send_at,
        condition=_still(response, tz, rules, until=program.closes_at),
    )


async def close(session: AsyncSession, program: Program) -> None:
    """The window is over: answers not submitted by now are not taken any more."""
    program.status = PROGRAM_CLOSED
    session.add(program)
    await session.exec(
        update(Response)
        .where(
            col(Response.subject_kind) == PROGRAM_SUBJECT,
            col(Response.subject_id) == program.id,
            col(Response.status) == RESPONSE_OPEN,
        )
        .values(status=RESPONSE_EXPIRED)
    )


async def followup(
    session: AsyncSession, program: Program, *, now: dt.datetime, rules: Rules
) -> list[Notice]:
    """Level 3: those who answered the questionnaire are asked how they applied it."""
    assert program.id is not None
    template = await questionnaires.latest(session, FOLLOWUP_TEMPLATE)
    assert template.id is not None
    tz = await program_tz(session, program, rules)
    send_at = in_daytime(now, tz, rules.sending_hours)
    answered = await session.exec(
        select(Response.respondent_id).where(
            col(Response.subject_kind) == PROGRAM_SUBJECT,
            col(Response.subject_id) == program.id,
            col(Response.status) == RESPONSE_SUBMITTED,
        )
    )
    notices = []
    for user_id in answered.all():
        response = await questionnaires.open_response(
            session,
            template_id=template.id,
            subject_kind=FOLLOWUP_SUBJECT,
            subject_id=program.id,
            respondent_id=user_id,
        )
        assert response.id is not None
        notices.append(
            Notice(
                user_id,
                "feedback.followup_invitation",
                {"title": program.title},
                ((("feedback.fill", FillQuestionnaire(response.id)),),),
                dedupe_key=f"followup:{response.id}",
                not_before=send_at,
                condition=_still(response, tz, rules, until=None),
            )
        )
    return notices


async def action_plan(session: AsyncSession, program_id: int, user_id: int) -> str | None:
    """The participant's own action plan from their questionnaire (the answer to the question
    whose role is "action_plan" in the program's template), for the follow-up."""
    program = await session.get(Program, program_id)
    if program is None:
        return None
    template = await questionnaires.template_of(session, program.template_id)
    codes = [q.code for q in template.with_role("action_plan")]
    query = (
        select(Answer.text)
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(
            col(Response.subject_kind) == PROGRAM_SUBJECT,
            col(Response.subject_id) == program_id,
            col(Response.respondent_id) == user_id,
            col(Answer.question).in_(codes),
        )
    )
    return (await session.exec(query)).first()


async def send_now(session: AsyncSession, program: Program, *, now: dt.datetime) -> bool:
    """The organizer's "send now": the dispatch item falls due at once (the job sends it)."""
    if program.status != PROGRAM_SCHEDULED:
        return False
    await store.reschedule(session, key=f"dispatch:{program.id}", due_at=now)
    return True


async def extend(session: AsyncSession, program: Program, *, days: int) -> None:
    if program.status == PROGRAM_CLOSED:
        raise ValueError("a closed window is not reopened")
    program.closes_at = program.closes_at + dt.timedelta(days=days)
    session.add(program)
    await store.reschedule(session, key=f"close:{program.id}", due_at=program.closes_at)


async def close_now(session: AsyncSession, program: Program, *, now: dt.datetime) -> None:
    program.closes_at = min(program.closes_at, now)
    await close(session, program)
    await store.reschedule(session, key=f"close:{program.id}", due_at=now)


def supervisor_payload(followup_response_id: int, secret: str) -> str:
    """The deep-link payload a participant passes to their supervisor: it names the follow-up,
    signed so that nobody can answer about someone else's by changing the number."""
    signature = _signature(followup_response_id, secret)
    return f"{SUPERVISOR_LINK_PREFIX}_{followup_response_id}_{signature}"


def supervisor_link_target(payload: str, secret: str) -> int | None:
    """The follow-up response a supervisor link is about, or None for a forged one."""
    _, number, signature = [*payload.split("_"), "", ""][:3]
    if not number.isdigit() or len(number) > 12:
        return None
    if not hmac.compare_digest(signature, _signature(int(number), secret)):
        return None
    return int(number)


def _signature(followup_response_id: int, secret: str) -> str:
    message = f"supervisor:{followup_response_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:16]


class SupervisorLinkUsed(Exception):
    """Another account has already answered (or begun answering) through this link."""


async def open_supervisor_response(
    session: AsyncSession, *, followup: Response, supervisor_id: int
) -> Response:
    """The supervisor's questionnaire about one follow-up. A link is for one supervisor: the
    first account that opens it keeps it, and any other is refused (SupervisorLinkUsed)."""
    template = await questionnaires.latest(session, SUPERVISOR_TEMPLATE)
    assert template.id is not None and followup.id is not None
    # Two accounts opening the link at once take turns on the follow-up's row.
    await session.exec(
        select(Response.id).where(col(Response.id) == followup.id).with_for_update()
    )
    taken = (
        await session.exec(
            select(Response.respondent_id).where(
                col(Response.subject_kind) == SUPERVISOR_SUBJECT,
                col(Response.subject_id) == followup.id,
                col(Response.respondent_id) != supervisor_id,
            )
        )
    ).first()
    if taken is not None:
        raise SupervisorLinkUsed
    return await questionnaires.open_response(
        session,
        template_id=template.id,
        subject_kind=SUPERVISOR_SUBJECT,
        subject_id=followup.id,
        respondent_id=supervisor_id,
    )
