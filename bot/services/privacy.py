"""Personal-data rights (UU 27/2022): a copy of everything held about a person, erasing their
identity on request, and removing it by retention once complaints are long closed.

Erasing keeps what statistics need and nothing that points at the person: a complaint keeps
its category, unit, text and dates, an answer its score; the Telegram id, the name, the NIP
and the work unit go. A number that must stay unique (a response per person and program)
becomes the negative of its own row id, which names nobody.

Limits outlive erasure (a ban, a unit's limit, the day's complaints and proposals): they are
kept by `person_key`, a keyed hash of the Telegram id with the deployment's secret, from which
the id cannot be read back; the day's counts keep it only until the day is over (housekeeping).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.services import certificate_records
from bot.services.feedback import FOLLOWUP_SUBJECT, SUPERVISOR_SUBJECT
from bot.services.programs import PROGRAM_SUBJECT
from bot.storage.complaints import OPEN_STATES, Complaint, ComplaintEvent, UnitBlock
from bot.storage.models import FlowState, KeptBan, OutboxMessage, ProcessedUpdate, User
from bot.storage.programs import DueItem, Participant, Program, TrainingProposal
from bot.storage.questionnaires import POSTTEST_SUBJECT, PRETEST_SUBJECT, Answer, Response

# Questionnaires about a program answered by its participants (a supervisor's is about a
# participant's follow-up response).
_PROGRAM_SUBJECTS = (PROGRAM_SUBJECT, FOLLOWUP_SUBJECT, PRETEST_SUBJECT, POSTTEST_SUBJECT)

# How long the day's complaint count keeps an erased reporter's key: the day it counts.
DAILY_KEY_KEPT = dt.timedelta(days=1)


def person_key(settings: Settings, user_id: int) -> str:
    """The keyed hash that limits are kept by once the person erased their identity."""
    message = f"telegram-user:{user_id}".encode()
    return hmac.new(settings.limit_secret, message, hashlib.sha256).hexdigest()


async def kept_ban(session: AsyncSession, settings: Settings, user_id: int) -> bool:
    """Whether this person was banned before they erased their identity."""
    return await session.get(KeptBan, person_key(settings, user_id)) is not None


async def forget_kept_ban(session: AsyncSession, settings: Settings, user_id: int) -> bool:
    """Lifts a ban kept after erasure (an admin unbans the id); False when there was none."""
    ban = await session.get(KeptBan, person_key(settings, user_id))
    if ban is None:
        return False
    await session.delete(ban)
    return True


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export(session: AsyncSession, user_id: int) -> dict[str, Any]:
    """Everything held about the user, as plain data for a JSON file."""
    user = await session.get(User, user_id)
    complaints = (
        await session.exec(select(Complaint).where(col(Complaint.reporter_id) == user_id))
    ).all()
    events: dict[int, list[ComplaintEvent]] = {}
    if complaints:
        query = (
            select(ComplaintEvent)
            .where(col(ComplaintEvent.complaint_id).in_([c.id for c in complaints]))
            .order_by(col(ComplaintEvent.id))
        )
        for event in (await session.exec(query)).all():
            events.setdefault(event.complaint_id, []).append(event)
    data: dict[str, Any] = {
        "telegram_id": user_id,
        "profile": None
        if user is None
        else {
            "language": user.language,
            "telegram_language": user.telegram_language,
            "role": user.role,
            "consent_at": _iso(user.consent_at),
            "first_seen": _iso(user.first_seen),
            "staff_name": user.staff_name,
            "banned": user.banned,
        },
        "complaints": [
            {
                "ticket": c.ticket,
                "filed": _iso(c.created_at),
                "category": c.category,
                "state": c.state,
                "privacy": c.privacy,
                "name_kept": c.reporter_name,
                "description": c.description,
                "address": c.address,
                "location": [c.latitude, c.longitude] if c.latitude is not None else None,
                "incident_date": _iso(c.incident_date),
                "rating": c.rating,
                "rating_comment": c.rating_comment,
                "resolution": c.resolution,
                # What the unit asked them and what they added (with their files, by kind).
                "questions_to_you": [
                    {"at": _iso(e.at), "question": e.note}
                    for e in events.get(c.id or 0, [])
                    if e.action == "ask"
                ],
                "information_you_added": [
                    {"at": _iso(e.at), "text": e.note}
                    for e in events.get(c.id or 0, [])
                    if e.action == "info" and e.actor_role == "reporter"
                ],
            }
            for c in complaints
        ],
        "trainings": [],
        "questionnaires": [],
        "training_proposals": [],
        "limits_at_units": [],
    }
    for participant in (
        await session.exec(select(Participant).where(col(Participant.user_id) == user_id))
    ).all():
        program = await session.get(Program, participant.program_id)
        data["trainings"].append(
            {
                "program": program.title if program else None,
                "joined": _iso(participant.joined_at),
                "nip": participant.nip,
                "work_unit": participant.work_unit,
            }
        )
    data["class_lists"] = await certificate_records.class_list_entries_of(session, user_id)
    data["certificates"] = await certificate_records.certificates_of(session, user_id)
    for response in (
        await session.exec(select(Response).where(col(Response.respondent_id) == user_id))
    ).all():
        answers = (
            await session.exec(select(Answer).where(col(Answer.response_id) == response.id))
        ).all()
        data["questionnaires"].append(
            {
                "about": f"{response.subject_kind} {response.subject_id}",
                "status": response.status,
                "answers": {
                    f"{a.question}" + (f"/{a.instructor}" if a.instructor >= 0 else ""): (
                        a.score if a.score is not None else a.choice or a.text
                    )
                    for a in answers
                },
            }
        )
    proposals = await session.exec(
        select(TrainingProposal).where(col(TrainingProposal.proposer_id) == user_id)
    )
    data["training_proposals"] = [
        {"topic": p.topic, "made": _iso(p.created_at)} for p in proposals.all()
    ]
    blocks = await session.exec(select(UnitBlock).where(col(UnitBlock.user_id) == user_id))
    data["limits_at_units"] = [
        {"since": _iso(b.blocked_at), "reason": b.reason, "lifted": _iso(b.lifted_at)}
        for b in blocks.all()
    ]
    return data


@dataclass
class Erased:
    """What erasing left, for telling the user exactly."""

    complaints: int = 0  # kept without identity
    open_complaints: int = 0  # of those, still being handled (now without a way to reply)
    answers: int = 0  # questionnaires kept without identity
    trainings: int = 0  # registrations removed
    proposals: int = 0  # kept without identity

    def as_values(self) -> dict[str, int]:
        return asdict(self)


async def erase(
    session: AsyncSession, settings: Settings, user_id: int, *, now: dt.datetime
) -> Erased:
    """Removes the user's identity everywhere; contents stay only anonymised, and the limits
    on them stay, kept by `person_key` instead of the id."""
    result = Erased()
    key = person_key(settings, user_id)
    complaints = (
        await session.exec(select(Complaint).where(col(Complaint.reporter_id) == user_id))
    ).all()
    for complaint in complaints:
        result.complaints += 1
        result.open_complaints += complaint.state in OPEN_STATES
        if complaint.created_at >= now - DAILY_KEY_KEPT:
            complaint.reporter_key = key  # still counted by today's limit
        await _anonymise_complaint(session, complaint, user_id)
    responses = (
        await session.exec(select(Response).where(col(Response.respondent_id) == user_id))
    ).all()
    for response in responses:
        assert response.id is not None
        response.respondent_id = -response.id
        session.add(response)
        result.answers += 1
    # A certificate stays verifiable with the name it was issued to; the account goes.
    await certificate_records.unlink(session, user_ids=[user_id])
    removed = await session.exec(delete(Participant).where(col(Participant.user_id) == user_id))
    result.trainings = int(removed.rowcount or 0)
    await session.exec(
        update(TrainingProposal)
        .where(
            col(TrainingProposal.proposer_id) == user_id,
            col(TrainingProposal.created_at) >= now - DAILY_KEY_KEPT,
        )
        .values(proposer_key=key)  # still counted by the day's limit
    )
    proposals = await session.exec(
        update(TrainingProposal)
        .where(col(TrainingProposal.proposer_id) == user_id)
        .values(proposer_id=-col(TrainingProposal.id))
    )
    result.proposals = int(proposals.rowcount or 0)
    await session.exec(
        update(UnitBlock)
        .where(col(UnitBlock.user_id) == user_id, col(UnitBlock.lifted_at).is_(None))
        .values(user_key=key)
    )
    await session.exec(
        update(UnitBlock)
        .where(col(UnitBlock.user_id) == user_id)
        .values(user_id=-col(UnitBlock.id))
    )
    await session.exec(delete(FlowState).where(col(FlowState.user_id) == user_id))
    # Messages to them, sent or not: a sent one names its ticket for a month otherwise.
    await session.exec(delete(OutboxMessage).where(col(OutboxMessage.chat_id) == user_id))
    # Their reminders, done or due: each names a program they were in.
    await session.exec(delete(DueItem).where(col(DueItem.user_id) == user_id))
    await session.exec(
        update(ProcessedUpdate).where(col(ProcessedUpdate.user_id) == user_id).values(user_id=None)
    )
    user = await session.get(User, user_id)
    if user is not None:
        if user.banned and await session.get(KeptBan, key) is None:
            session.add(KeptBan(person_key=key, banned_at=now))
        await session.delete(user)
    return result


async def forget_daily_keys(session: AsyncSession, *, now: dt.datetime) -> int:
    """Erased people's keys on complaints and proposals older than the day's limits count:
    no longer needed, so no longer kept."""
    before = now - 2 * DAILY_KEY_KEPT
    complaints = await session.exec(
        update(Complaint)
        .where(col(Complaint.reporter_key).is_not(None), col(Complaint.created_at) < before)
        .values(reporter_key=None)
    )
    proposals = await session.exec(
        update(TrainingProposal)
        .where(
            col(TrainingProposal.proposer_key).is_not(None),
            col(TrainingProposal.created_at) < before,
        )
        .values(proposer_key=None)
    )
    return int(complaints.rowcount or 0) + int(proposals.rowcount or 0)


async def _anonymise_complaint(session: AsyncSession, complaint: Complaint, user_id: int) -> None:
    assert complaint.id is not None
    complaint.reporter_id = -complaint.id
    complaint.reporter_name = None
    complaint.latitude = complaint.longitude = None
    complaint.address = None
    session.add(complaint)
    await session.exec(
        update(ComplaintEvent)
        .where(
            col(ComplaintEvent.complaint_id) == complaint.id,
            col(ComplaintEvent.actor_id) == user_id,
        )
        .values(actor_id=None)
    )


async def apply_retention(session: AsyncSession, *, days: int, now: dt.datetime) -> int:
    """RETENTION_DAYS after a complaint is closed, or after a training program's last
    questionnaire (its window and its follow-up), the people in it lose their identity there:
    the same period the privacy notice names. Returns how many complaints and programs."""
    cutoff = now - dt.timedelta(days=days)
    query = select(Complaint).where(
        col(Complaint.closed_at) < cutoff,
        col(Complaint.reporter_id) > 0,
    )
    done = 0
    for complaint in (await session.exec(query)).all():
        await _anonymise_complaint(session, complaint, complaint.reporter_id)
        done += 1
    old_programs = select(Program.id).where(
        col(Program.closes_at) < cutoff, col(Program.followup_at) < cutoff
    )
    program_ids = [p for p in (await session.exec(old_programs)).all() if p is not None]
    for start in range(0, len(program_ids), 500):
        done += await _retire_programs(session, program_ids[start : start + 500])
    return done


async def _retire_programs(session: AsyncSession, program_ids: list[int]) -> int:
    """Participants (NIP, work unit) go, answers stay without identity, reminders go."""
    named = (
        await session.exec(
            select(func.count())
            .select_from(Participant)
            .where(col(Participant.program_id).in_(program_ids))
        )
    ).one()
    answered = (
        await session.exec(
            select(func.count())
            .select_from(Response)
            .where(
                col(Response.subject_kind).in_(_PROGRAM_SUBJECTS),
                col(Response.subject_id).in_(program_ids),
                col(Response.respondent_id) > 0,
            )
        )
    ).one()
    if not named and not answered:
        return 0
    followups = select(Response.id).where(
        col(Response.subject_kind) == FOLLOWUP_SUBJECT, col(Response.subject_id).in_(program_ids)
    )
    for condition in (
        (
            col(Response.subject_kind).in_(_PROGRAM_SUBJECTS),
            col(Response.subject_id).in_(program_ids),
        ),
        (
            col(Response.subject_kind) == SUPERVISOR_SUBJECT,
            col(Response.subject_id).in_(followups),
        ),
    ):
        await session.exec(
            update(Response)
            .where(*condition, col(Response.respondent_id) > 0)
            .values(respondent_id=-col(Response.id))
        )
    await certificate_records.unlink(session, program_ids=program_ids)
    await session.exec(delete(Participant).where(col(Participant.program_id).in_(program_ids)))
    await session.exec(
        delete(DueItem).where(
            col(DueItem.program_id).in_(program_ids), col(DueItem.user_id).is_not(None)
        )
    )
    return len(program_ids)
