"""Citizen complaints: filing, the LAPOR! state machine, deadlines, ratings and SKM answers.

Plain async functions on a session; what other people must be told comes back as `Notice`s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.buttons import AddInformation, Handled, HandledAnswer, OpenComplaint
from bot.config import Settings
from bot.keyboards import WebAppLink
from bot.services import access
from bot.services import uploads as upload_service
from bot.services.access import Access
from bot.services.deadlines import (
    FOLLOW_UP_DAYS,
    VERIFY_DAYS,
    WAITING_CLOSE_DAYS,
    Clock,
)
from bot.services.errors import NotFound, Refused
from bot.services.notices import Category, Key, Notice
from bot.services.text import clean_text
from bot.services.units import UnitError, open_unit
from bot.storage import audit
from bot.storage import complaints as store
from bot.storage.complaints import (
    BARU,
    DITINDAKLANJUTI,
    DITOLAK,
    DIVERIFIKASI,
    HANDLED,
    HANDLED_YES,
    MENUNGGU,
    OPEN_STATES,
    PRIVACY_ANONYMOUS,
    SELESAI,
    Attachment,
    Complaint,
    ComplaintEvent,
    UnitBlock,
)
from bot.storage.places import LEVEL_UNIT, Place, get_place, organizers_of_unit, place_path
from bot.storage.types import utcnow
from bot.storage.users import get_user

DESCRIPTION_MIN = 20
DESCRIPTION_MAX = 4000
NOTE_MAX = 2000
MAX_ATTACHMENTS = 5
SIMILAR_RATIO = 0.9

Sentiment = Callable[[str], tuple[str, float]]

# action -> states it may start from
ACTIONS: dict[str, tuple[str, ...]] = {
    "verify": (BARU,),
    "forward": (BARU, DIVERIFIKASI),
    "ask": (BARU, DIVERIFIKASI, DITINDAKLANJUTI),
    "reply": (BARU, DIVERIFIKASI, DITINDAKLANJUTI),
    "close": (DIVERIFIKASI, DITINDAKLANJUTI, MENUNGGU),
    "reject": (BARU, DIVERIFIKASI),
}
ACTIONS_WITH_NOTE = ("forward", "ask", "reply", "close", "reject")
# Actions an officer may send photos and documents with (delivered to the citizen).
ACTIONS_WITH_FILES = ("ask", "reply")
FILE_KINDS = ("photo", "document", "voice")
SEARCH_MAX = 60
# The reopening that brings a complaint to the admins too.
REOPENS_TO_ADMINS = 2
HANDLED_ANSWERS: tuple[HandledAnswer, ...] = ("sudah", "sebagian", "belum")


class ComplaintError(Refused):
    """A complaint rule said no; `key` is the text that tells the user why."""


@dataclass
class Draft:
    """What the citizen has answered so far (kept in the flow state as JSON)."""

    category: str
    unit_id: int
    description: str
    privacy: str
    attachments: list[tuple[str, str]]
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    incident_date: dt.date | None = None


def check_description(text: str) -> str:
    """Returns the cleaned description or raises with the reason."""
    cleaned = clean_text(text)
    if len(cleaned) < DESCRIPTION_MIN:
        raise ComplaintError("complaint.description_short")
    if len(cleaned) > DESCRIPTION_MAX:
        raise ComplaintError("complaint.description_long")
    return cleaned


def check_note(text: str) -> str:
    cleaned = clean_text(text)
    if not cleaned:
        raise ComplaintError("organizer.note_empty")
    if len(cleaned) > NOTE_MAX:
        raise ComplaintError("organizer.note_long")
    return cleaned


async def filed_today(
    session: AsyncSession, *, reporter_id: int, clock: Clock, reporter_key: str | None = None
) -> int:
    """Complaints filed today by this person: with `reporter_key` (privacy.person_key), those
    filed before they erased their identity count too."""
    midnight = dt.datetime.combine(clock.today, dt.time(), clock.tz)
    return await store.count_since(
        session, reporter_id=reporter_id, since=midnight, reporter_key=reporter_key
    )


async def blocked_at_unit(
    session: AsyncSession, *, reporter_id: int, unit_id: int, reporter_key: str | None = None
) -> bool:
    """Whether the unit limited this person (before an erasure too, given `reporter_key`)."""
    block = await store.active_block(
        session, user_id=reporter_id, unit_id=unit_id, user_key=reporter_key
    )
    return block is not None


async def similar_recent(
    session: AsyncSession, *, reporter_id: int, description: str, clock: Clock
) -> str | None:
    """The ticket of a near-identical complaint from the last 24 hours, if any."""
    since = clock.now - dt.timedelta(hours=24)
    text = " ".join(description.lower().split())
    for ticket, other in await store.recent_descriptions(
        session, reporter_id=reporter_id, since=since
    ):
        if SequenceMatcher(None, text, " ".join(other.lower().split())).ratio() >= SIMILAR_RATIO:
            return ticket
    return None


async def file_complaint(
    session: AsyncSession,
    *,
    reporter_id: int,
    reporter_name: str | None,
    draft: Draft,
    clock: Clock,
    daily_limit: int,
    sentiment: Sentiment | None = None,
    reporter_key: str | None = None,
) -> tuple[Complaint, list[Notice]]:
    """Stores the complaint; `reporter_key` (privacy.person_key) makes the day's limit and the
    units' limits count what the reporter did before erasing their identity."""
    filed = await filed_today(
        session, reporter_id=reporter_id, clock=clock, reporter_key=reporter_key
    )
    if filed >= daily_limit:
        raise ComplaintError("complaint.daily_limit")
    if await blocked_at_unit(
        session, reporter_id=reporter_id, unit_id=draft.unit_id, reporter_key=reporter_key
    ):
        raise ComplaintError("complaint.unit_blocked")
    try:
        unit = await open_unit(session, draft.unit_id)
    except UnitError as exc:
        raise ComplaintError(exc.key, **exc.values) from None
    from bot.services.public import new_pin_seed  # public reads complaints' figures

    anonymous = draft.privacy == PRIVACY_ANONYMOUS
    complaint = Complaint(
        reporter_id=reporter_id,
        reporter_name=None if anonymous else reporter_name,
        privacy=draft.privacy,
        category=draft.category,
        unit_id=draft.unit_id,
        description=check_description(draft.description),
        incident_date=draft.incident_date,
        latitude=draft.latitude,
        longitude=draft.longitude,
        address=draft.address,
        created_at=clock.now,
        verify_due=clock.calendar.add_working_days(clock.today, VERIFY_DAYS),
        # The tracking PIN is derived from it (bot/services/public.py pin_of).
        pin_seed=new_pin_seed(),
    )
    if sentiment is not None:
        complaint.sentiment_label, complaint.sentiment_polarity = sentiment(complaint.description)
    session.add(complaint)
    await session.flush()
    complaint.ticket = store.ticket_for(complaint)
    assert complaint.id is not None
    for kind, file_id in draft.attachments[:MAX_ATTACHMENTS]:
        session.add(Attachment(complaint_id=complaint.id, kind=kind, file_id=file_id))
    record_event(
        session, complaint, actor_id=reporter_id, role="reporter", action="filed", to=BARU
    )
    notices = [
        Notice(
            organizer,
            "organizer.new_complaint",
            {
                "ticket": complaint.ticket,
                "category": Category(complaint.category),
                "unit": await unit_label(session, unit.id or 0),
                "due": complaint.verify_due,
            },
            (
                (("organizer.open", OpenComplaint(complaint=_id(complaint))),),
                (("menu.open_complaint", WebAppLink(f"/aduan/{_id(complaint)}")),),
            ),
            dedupe_key=f"new:{complaint.id}:{organizer}",
        )
        for organizer in await organizers_of_unit(session, complaint.unit_id)
    ]
    return complaint, notices


def record_event(
    session: AsyncSession,
    complaint: Complaint,
    *,
    actor_id: int | None,
    role: str,
    action: str,
    to: str | None = None,
    previous: str | None = None,
    note: str | None = None,
    target_unit_id: int | None = None,
    detail: str | None = None,
) -> ComplaintEvent:
    assert complaint.id is not None
    if role in ("organizer", "admin") and actor_id is not None:
        audit.record(
            session,
            actor_id=actor_id,
            actor_role=role,
            action=action,
            subject_kind="complaint",
            subject_id=complaint.id,
            detail=detail,
        )
    event = ComplaintEvent(
        complaint_id=complaint.id,
        actor_id=actor_id,
        actor_role=role,
        action=action,
        from_state=previous,
        to_state=to,
        note=note,
        target_unit_id=target_unit_id,
    )
    session.add(event)
    return event


async def handled_complaint(session: AsyncSession, caller: Access, complaint_id: int) -> Complaint:
    """The complaint, if the caller handles its unit; the same refusal for missing and not
    theirs, so that ids cannot be probed."""
    complaint = await store.get_complaint(session, complaint_id)
    if complaint is None or not caller.handles(complaint.unit_id):
        raise NotFound()
    return complaint


async def own_complaint(session: AsyncSession, caller: Access, complaint_id: int) -> Complaint:
    """The reporter's own complaint; anyone else's is "not found"."""
    complaint = await store.get_complaint(session, complaint_id)
    if complaint is None or complaint.reporter_id != caller.user_id:
        raise NotFound("status.not_found")
    return complaint


async def forward_targets(
    session: AsyncSession, caller: Access, complaint_id: int, *, search: str | None = None
) -> list[Place]:
    """The units the caller may forward this complaint to: the same region and level."""
    complaint = await handled_complaint(session, caller, complaint_id)
    search = clean_text(search or "")[:SEARCH_MAX] or None
    return await store.forward_candidates(session, unit_id=complaint.unit_id, search=search)


def check_files(action: str, files: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    if files and action not in ACTIONS_WITH_FILES:
        raise ComplaintError("button.stale")
    if len(files) > MAX_ATTACHMENTS:
        raise ComplaintError("complaints.files_full", maximum=MAX_ATTACHMENTS)
    if any(kind not in FILE_KINDS for kind, _ in files):
        raise ComplaintError("button.stale")
    return list(files)


async def act(
    session: AsyncSession,
    clock: Clock,
    *,
    caller: Access,
    complaint_id: int,
    action: str,
    note: str | None = None,
    target_unit_id: int | None = None,
    files: Sequence[tuple[str, str]] = (),
    uploads: Sequence[upload_service.Upload] = (),
) -> tuple[Complaint, list[Notice]]:
    """An organizer's action: checks the caller handles the complaint and that the action is
    allowed now, moves the state, records the event (and the audit entry), keeps the files
    the officer sent with it (Telegram file ids from the chat, or `uploads` from the web,
    sent to the citizen after the commit), and says who must be told."""
    complaint = await handled_complaint(session, caller, complaint_id)
    allowed_from = ACTIONS.get(action)
    if allowed_from is None:
        raise ComplaintError("button.stale")
    if complaint.state not in allowed_from:
        raise ComplaintError("organizer.not_in_this_state")
    if action in ACTIONS_WITH_NOTE:
        note = check_note(note or "")
    files = check_files(action, files)
    if uploads and action not in ACTIONS_WITH_FILES:
        raise ComplaintError("websec.upload_not_here")
    if len(files) + len(uploads) > MAX_ATTACHMENTS:
        raise ComplaintError("websec.too_many_files", maximum=MAX_ATTACHMENTS)
    checked = upload_service.check(uploads)
    previous = complaint.state
    ticket = complaint.ticket
    reporter = complaint.reporter_id
    notices: list[Notice] = []
    if complaint.first_response_at is None:
        complaint.first_response_at = clock.now
    if action in ("verify", "forward") or complaint.followup_due is None:
        # Leaving "baru" by any action starts the follow-up time (a forward starts it anew
        # for the receiving unit); asking first is no way around it.
        complaint.followup_due = clock.calendar.add_working_days(clock.today, FOLLOW_UP_DAYS)
    if action == "verify":
        complaint.state = DIVERIFIKASI
        notices.append(_status_notice(complaint, "citizen.status_verified"))
    elif action == "forward":
        target = await get_place(session, target_unit_id or 0)
        if target is None or target.id == complaint.unit_id or target.level != LEVEL_UNIT:
            raise ComplaintError("organizer.forward_invalid")
        if not target.active:
            raise ComplaintError("units.inactive", unit=target.name)
        complaint.unit_id = target.id  # type: ignore[assignment]
        if previous == BARU:
            # Not verified yet: the receiving unit verifies, in its own three working days.
            complaint.verify_due = clock.calendar.add_working_days(clock.today, VERIFY_DAYS)
        complaint.last_reminded_on = None
        complaint.escalated_at = None
        notices.append(
            Notice(
                reporter,
                "citizen.status_forwarded",
                {"ticket": ticket, "unit": await unit_label(session, target.id or 0)},
            )
        )
        for organizer in await organizers_of_unit(session, target.id or 0):
            notices.append(
                Notice(
                    organizer,
                    "complaints.forwarded_to_you",
                    {
                        "ticket": ticket,
                        "reason": note,
                        "due": due_date(complaint),
                    },
                    ((("organizer.open", OpenComplaint(complaint=_id(complaint))),),),
                )
            )
    elif action == "ask":
        # Back to where it was when the citizen answers: a complaint nobody verified is
        # still new then.
        complaint.state_before_waiting = previous
        complaint.state = MENUNGGU
        complaint.waiting_since = clock.today
        notices.append(
            Notice(
                reporter,
                "citizen.question",
                {
                    "ticket": ticket,
                    "question": note,
                    "days": WAITING_CLOSE_DAYS,
                },
                ((("citizen.answer_button", AddInformation(complaint=_id(complaint))),),),
                attachments=tuple(files),
            )
        )
    elif action == "reply":
        complaint.state = DITINDAKLANJUTI
        notices.append(
            Notice(
                reporter,
                "citizen.reply",
                {"ticket": ticket, "reply": note},
                attachments=tuple(files),
            )
        )
    elif action in ("close", "reject"):
        complaint.state = SELESAI if action == "close" else DITOLAK
        complaint.closed_at = clock.now
        complaint.resolution = note
        complaint.handled = None
        if action == "close":
            # The citizen says first whether it was handled; "sudah" leads to the rating.
            notices.append(
                Notice(
                    reporter,
                    "complaints.closed_ask_handled",
                    {"ticket": ticket, "resolution": note},
                    (
                        tuple(
                            (f"complaints.handled_{answer}", Handled(_id(complaint), answer))
                            for answer in HANDLED_ANSWERS
                        ),
                    ),
                )
            )
        else:
            notices.append(
                Notice(reporter, "citizen.rejected", {"ticket": ticket, "reason": note})
            )
    event = record_event(
        session,
        complaint,
        actor_id=caller.user_id,
        role=caller.actor_role,
        action=action,
        previous=previous,
        to=complaint.state,
        note=note,
        target_unit_id=target_unit_id if action == "forward" else None,
        # The audit log says where it went ("... ke Dinas PU · Kab. Lampung Selatan").
        detail=await unit_label(session, complaint.unit_id) if action == "forward" else None,
    )
    await _keep_files(session, complaint, event, files, from_reporter=False)
    if checked:
        await session.flush()
        requests = await upload_service.keep(
            session, complaint_id=_id(complaint), event_id=event.id, uploads=checked
        )
        # The citizen's question or reply carries them (the only notice of these actions).
        notices = [replace(n, files=requests) if n.user_id == reporter else n for n in notices]
    session.add(complaint)
    return complaint, notices


async def _keep_files(
    session: AsyncSession,
    complaint: Complaint,
    event: ComplaintEvent,
    files: Sequence[tuple[str, str]],
    *,
    from_reporter: bool,
) -> None:
    if not files:
        return
    await session.flush()
    for kind, file_id in files:
        session.add(
            Attachment(
                complaint_id=_id(complaint),
                kind=kind,
                file_id=file_id,
                from_reporter=from_reporter,
                event_id=event.id,
            )
        )


async def awaiting_closure_answer(
    session: AsyncSession, caller: Access, complaint_id: int
) -> Complaint:
    """The caller's closed complaint whose "was it handled?" is still to be answered."""
    complaint = await own_complaint(session, caller, complaint_id)
    if complaint.state != SELESAI or complaint.handled is not None:
        raise ComplaintError("complaints.closure_answered")
    return complaint


async def answer_closure(
    session: AsyncSession,
    clock: Clock,
    *,
    caller: Access,
    complaint_id: int,
    answer: str,
    settings: Settings,
    comment: str | None = None,
    files: Sequence[tuple[str, str]] = (),
) -> tuple[Complaint, list[Notice]]:
    """The citizen's word on a closed complaint. "Sudah" keeps it closed (the rating comes
    next); "sebagian" or "belum" reopens it at the same unit with a new follow-up deadline,
    and a complaint reopened a second time goes to the admins as well."""
    if answer not in HANDLED:
        raise ComplaintError("button.stale")
    complaint = await awaiting_closure_answer(session, caller, complaint_id)
    if answer == HANDLED_YES:
        complaint.handled = answer
        session.add(complaint)
        record_event(
            session, complaint, actor_id=caller.user_id, role="reporter", action="handled"
        )
        return complaint, []
    if comment is not None:
        comment = clean_text(comment)[:NOTE_MAX] or None
    if len(files) > MAX_ATTACHMENTS or any(kind not in FILE_KINDS for kind, _ in files):
        raise ComplaintError("complaints.files_full", maximum=MAX_ATTACHMENTS)
    previous = complaint.state
    complaint.state = DIVERIFIKASI
    complaint.reopen_count += 1
    complaint.closed_at = None
    complaint.resolution = None
    complaint.followup_due = clock.calendar.add_working_days(clock.today, FOLLOW_UP_DAYS)
    complaint.last_reminded_on = None
    complaint.escalated_at = clock.now if complaint.reopen_count >= REOPENS_TO_ADMINS else None
    session.add(complaint)
    event = record_event(
        session,
        complaint,
        actor_id=caller.user_id,
        role="reporter",
        action="reopen",
        previous=previous,
        to=complaint.state,
        note=comment,
    )
    await _keep_files(session, complaint, event, files, from_reporter=True)
    values: dict[str, object] = {
        "ticket": complaint.ticket,
        "answer": Key(f"complaints.handled_{answer}"),
        "comment": comment,
        "due": complaint.followup_due,
        "count": complaint.reopen_count,
        "unit": await unit_label(session, complaint.unit_id),
    }
    open_button = ((("organizer.open", OpenComplaint(complaint=_id(complaint))),),)
    stamp = f"{complaint.id}:{complaint.reopen_count}"
    notices = [
        Notice(
            organizer,
            "complaints.reopened_to_unit",
            values,
            open_button,
            dedupe_key=f"reopen:{stamp}:{organizer}",
            attachments=tuple(files),
        )
        for organizer in await organizers_of_unit(session, complaint.unit_id)
    ]
    if complaint.reopen_count >= REOPENS_TO_ADMINS:
        notices += [
            Notice(
                admin,
                "complaints.reopened_to_admins",
                values,
                open_button,
                dedupe_key=f"reopen-admin:{stamp}:{admin}",
                attachments=tuple(files),
            )
            for admin in await access.all_admins(session, settings)
        ]
    return complaint, notices


def _status_notice(complaint: Complaint, key: str) -> Notice:
    return Notice(
        complaint.reporter_id,
        key,
        {"ticket": complaint.ticket, "due": complaint.followup_due},
    )


async def add_information(
    session: AsyncSession,
    *,
    complaint: Complaint,
    reporter_id: int,
    text: str | None,
    attachment: tuple[str, str] | None,
    clock: Clock,
) -> list[Notice]:
    """The reporter adds to an open complaint; an awaited answer reopens it."""
    if complaint.reporter_id != reporter_id:
        raise ComplaintError("status.not_found")
    if complaint.state not in OPEN_STATES:
        raise ComplaintError("citizen.closed_no_more_info")
    note = None
    if text is not None:
        note = clean_text(text)
        if not note:
            raise ComplaintError("citizen.info_empty")
        if len(note) > DESCRIPTION_MAX:
            raise ComplaintError("complaint.description_long")
    assert complaint.id is not None
    if attachment is not None:
        count = len(await store.attachments_of(session, complaint.id))
        if count >= MAX_ATTACHMENTS * 2:
            raise ComplaintError("complaint.too_many_files")
        session.add(
            Attachment(complaint_id=complaint.id, kind=attachment[0], file_id=attachment[1])
        )
    previous = complaint.state
    if previous == MENUNGGU:
        # Where it was before the question (a complaint asked about while new is new again).
        complaint.state = complaint.state_before_waiting or BARU
        complaint.waiting_since = None
        complaint.state_before_waiting = None
        if complaint.followup_due is None:
            complaint.followup_due = clock.calendar.add_working_days(clock.today, FOLLOW_UP_DAYS)
        session.add(complaint)
    record_event(
        session,
        complaint,
        actor_id=reporter_id,
        role="reporter",
        action="info",
        previous=previous,
        to=complaint.state,
        note=note or (f"[{attachment[0]}]" if attachment else None),
    )
    return [
        Notice(
            organizer,
            "organizer.info_added",
            {"ticket": complaint.ticket},
            ((("organizer.open", OpenComplaint(complaint=_id(complaint))),),),
        )
        for organizer in await organizers_of_unit(session, complaint.unit_id)
    ]


async def recompute_sentiment(session: AsyncSession, sentiment: Sentiment) -> int:
    """After the model changed: every stored description and rating comment, scored again."""
    changed = 0
    for complaint in await store.complaints_since(session, since=None, unit_ids=None):
        complaint.sentiment_label, complaint.sentiment_polarity = sentiment(complaint.description)
        if complaint.rating_comment:
            complaint.rating_sentiment_label, complaint.rating_sentiment_polarity = sentiment(
                complaint.rating_comment
            )
        session.add(complaint)
        changed += 1
    return changed


def due_date(complaint: Complaint) -> dt.date | None:
    """The deadline that applies now: verification while new, follow-up after."""
    if complaint.state == BARU:
        return complaint.verify_due
    if complaint.state in (DIVERIFIKASI, DITINDAKLANJUTI):
        return complaint.followup_due
    return None


def is_overdue(complaint: Complaint, today: dt.date) -> bool:
    due = due_date(complaint)
    return due is not None and today > due


async def unit_label(session: AsyncSession, unit_id: int) -> str:
    """ "Kabupaten Lampung Selatan › Dinas Kesehatan" """
    return " › ".join(place.name for place in (await place_path(session, unit_id))[1:])


async def reporter_label(session: AsyncSession, complaint: Complaint) -> Key | str:
    """What an organizer may see of the reporter: nothing at all when anonymous."""
    if complaint.privacy == PRIVACY_ANONYMOUS:
        return Key("organizer.reporter_anonymous")
    user = await get_user(session, complaint.reporter_id)
    name = complaint.reporter_name or "-"
    return f"{name} (ID {user.id if user else complaint.reporter_id})"


async def block_for_unit(
    session: AsyncSession,
    *,
    complaint: Complaint,
    actor_id: int,
    actor_role: str,
    reason: str,
    settings: Settings,
) -> None:
    """The organizer's limit on a reporter: no more complaints to this unit. Not a ban from
    the service (an admin power), never on an admin, audited, and reversible by an admin."""
    reason = check_note(reason)
    if await access.is_admin(session, settings, complaint.reporter_id):
        raise ComplaintError("unitblock.not_possible")
    if await store.active_block(session, user_id=complaint.reporter_id, unit_id=complaint.unit_id):
        raise ComplaintError("unitblock.already")
    assert complaint.id is not None
    session.add(
        UnitBlock(
            unit_id=complaint.unit_id,
            user_id=complaint.reporter_id,
            complaint_id=complaint.id,
            reason=reason,
            blocked_by=actor_id,
        )
    )
    record_event(
        session, complaint, actor_id=actor_id, role=actor_role, action="block_unit", note=reason
    )


async def lift_block(session: AsyncSession, *, block: UnitBlock, admin_id: int) -> None:
    block.lifted_by, block.lifted_at = admin_id, utcnow()
    session.add(block)
    complaint = await store.get_complaint(session, block.complaint_id)
    if complaint is not None:
        record_event(session, complaint, actor_id=admin_id, role="admin", action="unblock_unit")


def _id(complaint: Complaint) -> int:
    assert complaint.id is not None, "a stored complaint has an id"
    return complaint.id
