"""A program's class list: the people it expected, matched to those who joined by NIP.

The list gives organizers the real denominator (listed, joined, answered) and names who has
completed the evaluation, which they need for certificates and attendance; it never says what
anyone answered. Each action takes the caller and the program's id, refuses, audits and
returns what happened, whichever door (chat, workspace, command line) called it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import feedback
from bot.services.access import Access
from bot.services.errors import Refused
from bot.services.nip import NipError, check_nip
from bot.services.notices import Notice
from bot.services.programs import Done, managed
from bot.services.text import clean_text
from bot.storage import outbox
from bot.storage.certificates import NAME_MAX, PHONE_MAX, ClassListEntry
from bot.storage.programs import PROGRAM_OPEN, Participant, Program
from bot.storage.questionnaires import (
    PROGRAM_SUBJECT,
    RESPONSE_OPEN,
    RESPONSE_SUBMITTED,
    Response,
)

ENTRIES_MAX = 2000  # people on one program's list
WORK_UNIT_MAX = 200
_PHONE_CHARS = set("+0123456789 -")


class ClassListError(Refused):
    """A row of the list is wrong; `problems` holds (row, text key, values) for each."""

    def __init__(
        self, key: str, problems: list[tuple[int, str, dict[str, object]]], **values: object
    ) -> None:
        super().__init__(key, **values)
        self.problems = problems


@dataclass(frozen=True)
class ListedPerson:
    """A row as read from a file: name, NIP, unit kerja, optional phone."""

    name: str
    nip: str
    work_unit: str | None = None
    phone: str | None = None


def check_person(person: ListedPerson) -> ListedPerson:
    """The row cleaned, or Refused naming what is wrong."""
    name = clean_text(person.name)
    if not 2 <= len(name) <= NAME_MAX:
        raise Refused("classlist.name_invalid", maximum=NAME_MAX)
    try:
        nip = check_nip(person.nip)
    except NipError as exc:
        raise Refused(exc.key) from None
    work_unit = clean_text(person.work_unit or "")[:WORK_UNIT_MAX] or None
    phone = clean_text(person.phone or "") or None
    if phone is not None and (len(phone) > PHONE_MAX or not set(phone) <= _PHONE_CHARS):
        raise Refused("classlist.phone_invalid")
    return ListedPerson(name, nip, work_unit, phone)


async def import_list(
    session: AsyncSession,
    caller: Access,
    program_id: int,
    rows: Iterable[tuple[int, ListedPerson]],
) -> Done:
    """Adds the people of `rows` (row number, person) to the program's list; a NIP already
    listed is updated. Every row is checked first and nothing is stored unless all are right
    (ClassListError lists each wrong row). Participants who joined with a listed NIP are
    matched at once."""
    program = await managed(session, caller, program_id)
    assert program.id is not None
    checked: dict[str, ListedPerson] = {}
    problems: list[tuple[int, str, dict[str, object]]] = []
    for number, person in rows:
        try:
            clean = check_person(person)
        except Refused as exc:
            problems.append((number, exc.key, exc.values))
            continue
        if clean.nip in checked:
            problems.append((number, "classlist.nip_twice", {"nip": clean.nip}))
            continue
        checked[clean.nip] = clean
    if problems:
        raise ClassListError("classlist.rows_wrong", problems, count=len(problems))
    if not checked:
        raise Refused("classlist.empty")
    existing = {entry.nip: entry for entry in await entries(session, program.id)}
    if len(existing.keys() | checked.keys()) > ENTRIES_MAX:
        raise Refused("classlist.too_many", maximum=ENTRIES_MAX)
    added = updated = 0
    for nip, person in checked.items():
        entry = existing.get(nip)
        if entry is None:
            entry = ClassListEntry(program_id=program.id, name=person.name, nip=nip)
            added += 1
        else:
            updated += 1
        entry.name, entry.work_unit, entry.phone = person.name, person.work_unit, person.phone
        session.add(entry)
    await session.flush()
    matched = await _match_all(session, program.id)
    caller.audit(session, "classlist_import", "program", program.id, f"{added}+{updated}")
    return Done(
        program, "classlist.imported", {"added": added, "updated": updated, "matched": matched}
    )


async def from_joined(session: AsyncSession, caller: Access, program_id: int) -> Done:
    """Lists every participant who gave a NIP and is not listed yet, matched already. The bot
    keeps no names of participants: such an entry has none until a file names it, and a
    certificate is issued only to a named entry."""
    program = await managed(session, caller, program_id)
    assert program.id is not None
    listed = {entry.nip for entry in await entries(session, program.id)}
    query = select(Participant).where(
        col(Participant.program_id) == program.id, col(Participant.nip).is_not(None)
    )
    added = 0
    for participant in (await session.exec(query.order_by(col(Participant.id)))).all():
        assert participant.nip is not None
        if participant.nip in listed:
            continue
        listed.add(participant.nip)
        session.add(
            ClassListEntry(
                program_id=program.id,
                name="",
                nip=participant.nip,
                work_unit=participant.work_unit,
                user_id=participant.user_id,
            )
        )
        added += 1
    await session.flush()
    caller.audit(session, "classlist_from_joined", "program", program.id, str(added))
    return Done(program, "classlist.from_joined", {"added": added})


async def entries(session: AsyncSession, program_id: int) -> list[ClassListEntry]:
    query = select(ClassListEntry).where(col(ClassListEntry.program_id) == program_id)
    return list((await session.exec(query.order_by(col(ClassListEntry.id)))).all())


async def match(session: AsyncSession, participant: Participant) -> ClassListEntry | None:
    """Links the participant to the entry with their NIP on the program's list, if any and
    not someone else's already (a NIP typed by a second account does not take the first's)."""
    if participant.nip is None:
        return None
    query = select(ClassListEntry).where(
        col(ClassListEntry.program_id) == participant.program_id,
        col(ClassListEntry.nip) == participant.nip,
    )
    entry = (await session.exec(query)).first()
    if entry is None or entry.user_id not in (None, participant.user_id):
        return None
    entry.user_id = participant.user_id
    session.add(entry)
    return entry


async def _match_all(session: AsyncSession, program_id: int) -> int:
    query = select(Participant).where(
        col(Participant.program_id) == program_id, col(Participant.nip).is_not(None)
    )
    matched = 0
    for participant in (await session.exec(query)).all():
        if await match(session, participant) is not None:
            matched += 1
    return matched


async def entry_of(session: AsyncSession, program_id: int, user_id: int) -> ClassListEntry | None:
    """The listed entry this participant was matched to."""
    query = select(ClassListEntry).where(
        col(ClassListEntry.program_id) == program_id, col(ClassListEntry.user_id) == user_id
    )
    return (await session.exec(query)).first()


# -- what organizers see ----------------------------------------------------------------------


@dataclass(frozen=True)
class Roll:
    """The denominator: people listed, joined (listed or not), answered (submitted the
    evaluation), and the listed people who answered, against the list."""

    listed: int
    joined: int
    answered: int
    listed_answered: int

    @property
    def rate(self) -> float:
        return self.listed_answered / self.listed if self.listed else 0.0


def _respondents(program_id: int) -> Any:
    """Who submitted the program's evaluation (to count and mark people, never to read
    answers)."""
    return select(Response.respondent_id).where(
        col(Response.subject_kind) == PROGRAM_SUBJECT,
        col(Response.subject_id) == program_id,
        col(Response.status) == RESPONSE_SUBMITTED,
    )


async def roll(session: AsyncSession, caller: Access, program_id: int) -> Roll:
    """The program's figures against its list (counts of people, not of answers: no answer
    is read)."""
    program = await managed(session, caller, program_id)
    return await roll_of(session, program)


async def roll_of(session: AsyncSession, program: Program) -> Roll:
    assert program.id is not None
    of_list = col(ClassListEntry.program_id) == program.id
    listed = (await session.exec(select(func.count()).where(of_list))).one()
    joined = (
        await session.exec(select(func.count()).where(col(Participant.program_id) == program.id))
    ).one()
    answered = (
        await session.exec(
            select(func.count()).where(
                col(Response.subject_kind) == PROGRAM_SUBJECT,
                col(Response.subject_id) == program.id,
                col(Response.status) == RESPONSE_SUBMITTED,
            )
        )
    ).one()
    listed_answered = (
        await session.exec(
            select(func.count()).where(
                of_list, col(ClassListEntry.user_id).in_(_respondents(program.id))
            )
        )
    ).one()
    return Roll(int(listed), int(joined), int(answered), int(listed_answered))


@dataclass(frozen=True)
class RollLine:
    """One listed person for the organizer: whether they joined and completed, nothing of
    what they answered."""

    name: str
    nip: str
    work_unit: str | None
    joined: bool
    completed: bool


async def roll_lines(
    session: AsyncSession, caller: Access, program_id: int, *, offset: int = 0, limit: int = 50
) -> tuple[list[RollLine], Roll]:
    """A page of the list, in the order it was imported, and the list's figures."""
    program = await managed(session, caller, program_id)
    assert program.id is not None
    done = set((await session.exec(_respondents(program.id))).all())
    query = (
        select(ClassListEntry)
        .where(col(ClassListEntry.program_id) == program.id)
        .order_by(col(ClassListEntry.id))
        .offset(max(0, offset))
        .limit(max(1, min(limit, 200)))
    )
    lines = [
        RollLine(
            entry.name,
            entry.nip,
            entry.work_unit,
            joined=entry.user_id is not None,
            completed=entry.user_id is not None and entry.user_id in done,
        )
        for entry in (await session.exec(query)).all()
    ]
    return lines, await roll_of(session, program)


async def remind_now(
    session: AsyncSession,
    caller: Access,
    program_id: int,
    *,
    now: dt.datetime,
    rules: feedback.Rules,
) -> tuple[Done, list[Notice]]:
    """The reminder, now, to every participant whose questionnaire is still open: with the
    limits of the scheduled ones (only while the window is open, within the sending hours
    where the program is, checked again when sent) and at most once a day each."""
    program = await managed(session, caller, program_id)
    assert program.id is not None
    if program.status != PROGRAM_OPEN or now >= program.closes_at:
        raise Refused("classlist.remind_not_open")
    tz = await feedback.program_tz(session, program, rules)
    send_at = feedback.in_daytime(now, tz, rules.sending_hours)
    if send_at >= program.closes_at:
        raise Refused("classlist.remind_not_open")
    query = select(Response).where(
        col(Response.subject_kind) == PROGRAM_SUBJECT,
        col(Response.subject_id) == program.id,
        col(Response.status) == RESPONSE_OPEN,
    )
    day = send_at.astimezone(tz).date().isoformat()
    notices = [
        feedback.reminder_notice(
            program, response, tz, rules, send_at, dedupe_key=f"remind:{response.id}:now:{day}"
        )
        for response in (await session.exec(query.order_by(col(Response.id)))).all()
    ]
    # Once a day each: those reminded today already are not counted again.
    sent = await outbox.existing_keys(session, {n.dedupe_key for n in notices if n.dedupe_key})
    notices = [notice for notice in notices if notice.dedupe_key not in sent]
    caller.audit(session, "classlist_remind", "program", program.id, str(len(notices)))
    return Done(program, "classlist.reminded", {"count": len(notices)}), notices
