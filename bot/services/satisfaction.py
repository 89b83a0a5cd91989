"""After a complaint is closed: the citizen's rating, comment and SKM answers (PermenPANRB
14/2017, nine elements scored 1-4, asked through the questionnaire engine), and the IKM."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.buttons import OpenComplaint
from bot.services import questionnaires, releases
from bot.services.complaints import NOTE_MAX, ComplaintError, Sentiment, record_event
from bot.services.notices import Notice
from bot.services.text import clean_text
from bot.storage.complaints import SELESAI, Complaint
from bot.storage.places import organizers_of_unit
from bot.storage.questionnaires import RESPONSE_SUBMITTED, SKM_SUBJECT, Answer, Response

SKM_TEMPLATE = "skm"  # bot/storage/templates/skm.json: elements u1-u9, each 1-4
SKM_ELEMENTS = 9
# Lower bounds of the grades on the 25-100 value (PermenPANRB 14/2017).
# Ratings (1-5 stars) whose comment the unit's organizers are sent.
LOW_RATING = 2
GRADES = ((88.31, "A"), (76.61, "B"), (65.0, "C"), (0.0, "D"))


async def rate(
    session: AsyncSession, *, complaint: Complaint, reporter_id: int, rating: int
) -> None:
    if complaint.reporter_id != reporter_id:
        raise ComplaintError("status.not_found")
    if complaint.state != SELESAI:
        raise ComplaintError("rating.not_closed")
    if not 1 <= rating <= 5:
        raise ComplaintError("button.stale")
    if complaint.rating is not None:
        raise ComplaintError("rating.already")
    complaint.rating = rating
    session.add(complaint)
    record_event(
        session, complaint, actor_id=reporter_id, role="reporter", action="rated", note=str(rating)
    )


async def comment_rating(
    session: AsyncSession,
    *,
    complaint: Complaint,
    reporter_id: int,
    text: str,
    sentiment: Sentiment | None = None,
) -> list[Notice]:
    """Keeps the rating's comment; the comment of a low rating goes to the unit's organizers
    (never who wrote it)."""
    if complaint.reporter_id != reporter_id or complaint.rating is None:
        raise ComplaintError("status.not_found")
    comment = clean_text(text)
    if not comment:
        raise ComplaintError("citizen.info_empty")
    if len(comment) > NOTE_MAX:
        raise ComplaintError("organizer.note_long")
    complaint.rating_comment = comment
    if sentiment is not None:
        complaint.rating_sentiment_label, complaint.rating_sentiment_polarity = sentiment(comment)
    session.add(complaint)
    if complaint.rating > LOW_RATING or complaint.id is None:
        return []
    return [
        Notice(
            organizer,
            "complaints.low_rating_comment",
            {"ticket": complaint.ticket, "stars": "★" * complaint.rating, "comment": comment},
            ((("organizer.open", OpenComplaint(complaint=complaint.id)),),),
            dedupe_key=f"lowrating:{complaint.id}:{organizer}",
        )
        for organizer in await organizers_of_unit(session, complaint.unit_id)
    ]


async def open_skm(session: AsyncSession, *, complaint: Complaint, reporter_id: int) -> Response:
    """The reporter's SKM response about this complaint (one per complaint)."""
    if complaint.reporter_id != reporter_id or complaint.id is None:
        raise ComplaintError("status.not_found")
    template = await questionnaires.latest(session, SKM_TEMPLATE)
    assert template.id is not None
    return await questionnaires.open_response(
        session,
        template_id=template.id,
        subject_kind=SKM_SUBJECT,
        subject_id=complaint.id,
        respondent_id=reporter_id,
    )


@dataclass(frozen=True)
class Ikm:
    """The IKM of a set of submitted SKM responses (PermenPANRB 14/2017)."""

    value: float  # 25-100
    grade: str  # A-D
    responses: int
    nrr: dict[str, float]  # per element, 1-4


def ikm_of(nrr: dict[str, float], responses: int) -> Ikm | None:
    """IKM = the mean of the nine NRR x 25, computed with exactly 1/9 (not the regulation's
    rounded 0.111, which would cap the index at 99.9); graded on the value rounded to 2 places."""
    if len(nrr) != SKM_ELEMENTS or responses == 0:
        return None
    value = round(sum(nrr.values()) / SKM_ELEMENTS * 25, 2)
    grade = next(g for limit, g in GRADES if value >= limit)
    return Ikm(value=value, grade=grade, responses=responses, nrr=nrr)


async def ikm(
    session: AsyncSession,
    *,
    unit_ids: list[int] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Ikm | None:
    """The IKM of the SKM answers about complaints of these units (None: all) released before
    `until` (and from `since`), aggregated in the database: ratings join in blocks of the
    minimum per unit (bot/services/releases.py), so no two IKM figures differ by one person."""
    conditions = [
        col(Response.subject_kind) == SKM_SUBJECT,
        col(Response.status) == RESPONSE_SUBMITTED,
        col(Answer.score).is_not(None),
    ]
    if unit_ids is not None:
        conditions.append(col(Complaint.unit_id).in_(unit_ids))
    conditions.extend(releases.released(until, since))
    query = (
        select(Answer.question, func.avg(Answer.score), func.count(func.distinct(Response.id)))
        .join(Response, col(Response.id) == col(Answer.response_id))
        .join(Complaint, col(Complaint.id) == col(Response.subject_id))
        .where(*conditions)
        .group_by(col(Answer.question))
    )
    rows = (await session.exec(query)).all()
    nrr = {str(question): float(mean) for question, mean, _ in rows}
    return ikm_of(nrr, max((int(n) for _, _, n in rows), default=0))
