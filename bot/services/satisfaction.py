"""After a complaint is closed: the citizen's rating, comment and SKM answers (PermenPANRB
14/2017, nine elements scored 1-4), which feed the IKM of the digest."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.complaints import NOTE_MAX, ComplaintError, Sentiment, record_event
from bot.storage.complaints import SELESAI, Complaint, SkmResponse

SKM_ELEMENTS = 9


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
) -> None:
    if complaint.reporter_id != reporter_id or complaint.rating is None:
        raise ComplaintError("status.not_found")
    comment = text.strip()
    if not comment:
        raise ComplaintError("citizen.info_empty")
    if len(comment) > NOTE_MAX:
        raise ComplaintError("organizer.note_long")
    complaint.rating_comment = comment
    if sentiment is not None:
        complaint.rating_sentiment_label, complaint.rating_sentiment_polarity = sentiment(comment)
    session.add(complaint)


async def save_skm(
    session: AsyncSession, *, complaint: Complaint, reporter_id: int, answers: list[int]
) -> None:
    if complaint.reporter_id != reporter_id:
        raise ComplaintError("status.not_found")
    if len(answers) != SKM_ELEMENTS or not all(1 <= a <= 4 for a in answers):
        raise ComplaintError("button.stale")
    if await session.get(SkmResponse, complaint.id) is not None:
        raise ComplaintError("skm.already")
    assert complaint.id is not None
    u1, u2, u3, u4, u5, u6, u7, u8, u9 = answers
    session.add(
        SkmResponse(
            complaint_id=complaint.id,
            unit_id=complaint.unit_id,
            u1=u1,
            u2=u2,
            u3=u3,
            u4=u4,
            u5=u5,
            u6=u6,
            u7=u7,
            u8=u8,
            u9=u9,
        )
    )
