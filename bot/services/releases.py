"""The small-n gate, against arithmetic as well as against reading.

A gate that hides a program's figures below k respondents is not enough: a mean at 5
answers and at 6 gives the sixth person's answer, and a cumulative figure beside the same
figure "before this week" gives the week's respondents. So answers are *released* in blocks:
a submitted questionnaire joins its program's figures only when k questionnaires are waiting,
and then all k join at once, stamped with the moment the block filled (`released_at`).

Every output reads only released answers: the program page, the digest's text, chart and
workbook, the trend, the exports (and the web pages to come). A figure "up to a moment" is made
of the blocks released before it; a week's slice is the blocks released in that week. Any two
such sets differ by whole blocks, so no two figures ever differ by fewer than k respondents,
whatever is subtracted from what. A block, once released, stays released (a later change of
FEEDBACK_MIN_RESPONSES makes later blocks bigger or smaller, never reopens earlier ones).

Blocks are formed per group the figures describe. For training, per program: its
questionnaires; its knowledge pre-tests and post-tests; its follow-ups; its supervisors'
answers (grouped by the program their follow-up belongs to), each kind apart. For the
citizens' SKM ratings, per unit (every IKM is about a unit): a rating joins no IKM until k
ratings of the unit's complaints wait. An IKM of a period is then made of the blocks released
in it, so a running half-year grows by k ratings at a time and two requests a day apart never
give one citizen's rating.

Blocks of respondents are not enough for an item that not everyone answers: an optional
item, or an instructor's item a participant "did not attend". Five respondents released with
one answer to such an item would move its figures by that one answer. So each item's answers
count in blocks of their own as well (`item_blocks`): release by release, an item's answers
join its figures once as many of them wait as the release had respondents (k, as k was
then), so its figures move by none of its answers or by k and more, and a later change of k
re-forms nothing. An item everyone answers keeps the respondents' blocks. Counts of who did
not attend an instructor's session are, like counts of who answered, not opinions: they are
shown as released, beside the item.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.complaints import Complaint
from bot.storage.questionnaires import (
    FOLLOWUP_SUBJECT,
    POSTTEST_SUBJECT,
    PRETEST_SUBJECT,
    PROGRAM_SUBJECT,
    RESPONSE_SUBMITTED,
    SKM_SUBJECT,
    SUPERVISOR_SUBJECT,
    Answer,
    Response,
)

GATED_KINDS = (
    PROGRAM_SUBJECT,
    FOLLOWUP_SUBJECT,
    SUPERVISOR_SUBJECT,
    SKM_SUBJECT,
    PRETEST_SUBJECT,
    POSTTEST_SUBJECT,
)
_LOCK_BASE = 0x5E1EA5E << 20  # advisory-lock keys of their own (chats use Telegram ids)

# A supervisor's answers are about a participant's follow-up, and the follow-up's subject is
# the program: the one way every query names that program (join it with `to_supervised`).
SUPERVISED = aliased(Response, name="supervised_followup")


def to_supervised(query: Any) -> Any:
    """`query` (of supervisors' responses) joined to the follow-ups they are about."""
    return query.join(SUPERVISED, col(SUPERVISED.id) == col(Response.subject_id))


def program_column(kind: str) -> Any:
    """The column naming a response's program: its subject, or for a supervisor's answers
    the subject of the follow-up they are about (the query joined by `to_supervised`)."""
    return col(SUPERVISED.subject_id) if kind == SUPERVISOR_SUBJECT else col(Response.subject_id)


def of_program(kind: str, program_ids: Any) -> Any:
    """The responses of `kind` that belong to these programs (a list or a subquery)."""
    if kind == SUPERVISOR_SUBJECT:
        followup = aliased(Response)
        followups = select(followup.id).where(
            followup.subject_kind == FOLLOWUP_SUBJECT, col(followup.subject_id).in_(program_ids)
        )
        return (col(Response.subject_kind) == SUPERVISOR_SUBJECT) & col(Response.subject_id).in_(
            followups.scalar_subquery()
        )
    return (col(Response.subject_kind) == kind) & col(Response.subject_id).in_(program_ids)


def of_unit(unit_ids: Any) -> Any:
    """The SKM ratings about complaints of these units (a list or a subquery)."""
    complaints = select(Complaint.id).where(col(Complaint.unit_id).in_(unit_ids))
    return (col(Response.subject_kind) == SKM_SUBJECT) & col(Response.subject_id).in_(
        complaints.scalar_subquery()
    )


def of_group(kind: str, group_ids: Any) -> Any:
    """The responses of `kind` in these groups: units for SKM ratings, else programs."""
    return of_unit(group_ids) if kind == SKM_SUBJECT else of_program(kind, group_ids)


def released(until: dt.datetime | None = None, since: dt.datetime | None = None) -> list[Any]:
    """Conditions for the released responses: all, those released before `until`, or those
    released in [since, until) (a period's slice)."""
    conditions: list[Any] = [col(Response.released_at).is_not(None)]
    if until is not None:
        conditions.append(col(Response.released_at) < until)
    if since is not None:
        conditions.append(col(Response.released_at) >= since)
    return conditions


ItemKey = tuple[int, str, int]  # (subject id, item code, instructor index)


@dataclass
class ItemBlocks:
    """What the released responses give each item: the count of each score shown, and for
    an item not answered in every response, the last release its shown answers come from."""

    scores: dict[ItemKey, dict[int, int]] = field(default_factory=dict)
    shown_until: dict[ItemKey, dt.datetime] = field(default_factory=dict)
    ragged: set[ItemKey] = field(default_factory=set)
    # Of those items: each moment a block of their answers joined the figures, and its scores.
    joined: dict[ItemKey, list[tuple[dt.datetime, dict[int, int]]]] = field(default_factory=dict)

    def shows(self, key: ItemKey, released_at: dt.datetime | None) -> bool:
        """Whether an answer to `key` in a response released at `released_at` is shown."""
        if key not in self.ragged:
            return True
        until = self.shown_until.get(key)
        return until is not None and released_at is not None and released_at <= until


async def item_scores(session: AsyncSession, condition: Any) -> dict[ItemKey, dict[int, int]]:
    """Per (subject, item, instructor): the count of each score shown (`item_blocks`)."""
    return (await item_blocks(session, condition)).scores


async def item_blocks(session: AsyncSession, condition: Any) -> ItemBlocks:
    """Per (subject, item, instructor) of the released responses that `condition` selects:
    the scores shown, in blocks of the item's own answers (`in_item_blocks`).

    One grouped query; an item answered in every released response needs nothing more (its
    answers come in the respondents' blocks). Only the few that are not (optional items, an
    instructor's session not attended) are read again release by release."""
    grouped = (
        select(Response.subject_id, Answer.question, Answer.instructor, Answer.score, func.count())  # type: ignore[call-overload]
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(condition, col(Answer.score).is_not(None))
        .group_by(
            col(Response.subject_id),
            col(Answer.question),
            col(Answer.instructor),
            col(Answer.score),
        )
    )
    found = ItemBlocks()
    for subject_id, question, instructor, score, n in (await session.exec(grouped)).all():
        scores = found.scores.setdefault((int(subject_id), str(question), int(instructor)), {})
        scores[int(score)] = scores.get(int(score), 0) + int(n)
    respondents = dict(
        (
            await session.exec(
                select(Response.subject_id, func.count())
                .where(condition)
                .group_by(col(Response.subject_id))
            )
        ).all()
    )
    found.ragged = {
        key for key, v in found.scores.items() if sum(v.values()) != respondents.get(key[0])
    }
    if not found.ragged:
        return found
    subjects = sorted({key[0] for key in found.ragged})
    # Each release's size: the minimum as it was when the release was made (a release is
    # one or more whole blocks), so a later change of the minimum re-forms nothing.
    sizes = {
        (int(subject_id), at): int(n)
        for subject_id, at, n in (
            await session.exec(
                select(Response.subject_id, Response.released_at, func.count())
                .where(condition, col(Response.subject_id).in_(subjects))
                .group_by(col(Response.subject_id), col(Response.released_at))
            )
        ).all()
    }
    per_release = (
        select(
            Response.subject_id,
            Answer.question,
            Answer.instructor,
            Response.released_at,
            Answer.score,
            func.count(),
        )  # type: ignore[call-overload]
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(
            condition,
            col(Answer.score).is_not(None),
            col(Response.subject_id).in_(subjects),
            col(Answer.question).in_(sorted({key[1] for key in found.ragged})),
        )
        .group_by(
            col(Response.subject_id),
            col(Answer.question),
            col(Answer.instructor),
            col(Response.released_at),
            col(Answer.score),
        )
    )
    rows = []
    for s, q, i, at, score, n in (await session.exec(per_release)).all():
        key = (int(s), str(q), int(i))
        if key in found.ragged:
            rows.append((key, at, sizes.get((key[0], at), 1), int(score), int(n)))
    for key in found.ragged:
        del found.scores[key]
    found.joined = in_item_blocks(rows)
    for key, joined in found.joined.items():
        found.shown_until[key] = joined[-1][0]
        total = found.scores.setdefault(key, {})
        for _, block in joined:
            for value, n in block.items():
                total[value] = total.get(value, 0) + n
    return found


def in_item_blocks(
    rows: list[tuple[ItemKey, dt.datetime, int, int, int]],
) -> dict[ItemKey, list[tuple[dt.datetime, dict[int, int]]]]:
    """When an item's answers join its figures, from (item, release moment, the release's
    size, value, count) rows: release by release, they join once at least as many of them
    wait as that release had respondents (the minimum then, or more), and then all at once.
    Any two figures of an item so differ by none of its answers or by at least the minimum."""
    blocks: dict[tuple[ItemKey, dt.datetime], tuple[int, dict[int, int]]] = {}
    for key, at, size, value, n in rows:
        _, block = blocks.setdefault((key, at), (size, {}))
        block[value] = block.get(value, 0) + n
    waiting: dict[ItemKey, dict[int, int]] = {}
    joined: dict[ItemKey, list[tuple[dt.datetime, dict[int, int]]]] = {}
    for (key, at), (size, block) in sorted(blocks.items()):
        pending = waiting.setdefault(key, {})
        for value, n in block.items():
            pending[value] = pending.get(value, 0) + n
        if sum(pending.values()) >= size:
            joined.setdefault(key, []).append((at, dict(pending)))
            pending.clear()
    return joined


async def program_of(session: AsyncSession, response: Response) -> int | None:
    """The program whose figures this response counts in (None: not a gated kind)."""
    if response.subject_kind in (
        PROGRAM_SUBJECT,
        FOLLOWUP_SUBJECT,
        PRETEST_SUBJECT,
        POSTTEST_SUBJECT,
    ):
        return response.subject_id
    if response.subject_kind == SUPERVISOR_SUBJECT:
        followup = await session.get(Response, response.subject_id)
        return followup.subject_id if followup is not None else None
    return None


async def group_of(session: AsyncSession, response: Response) -> int | None:
    """The group whose figures this response counts in: the unit of an SKM rating's
    complaint, the program of a training answer (None: not a gated kind, or no unit)."""
    if response.subject_kind == SKM_SUBJECT:
        complaint = await session.get(Complaint, response.subject_id)
        return complaint.unit_id if complaint is not None else None
    return await program_of(session, response)


async def after_submit(session: AsyncSession, response: Response, *, minimum: int) -> int:
    """Releases what the submission of `response` completes; returns how many were released."""
    group_id = await group_of(session, response)
    if group_id is None:
        return 0
    return await release(session, kind=response.subject_kind, group_id=group_id, minimum=minimum)


async def release(session: AsyncSession, *, kind: str, group_id: int, minimum: int) -> int:
    """Releases the group's waiting responses of `kind` (a program's, or a unit's SKM
    ratings) in whole blocks of `minimum`, in the order they were submitted; the rest wait.
    Two submissions at once take turns here, so a block is never split between two
    transactions."""
    await _take_turn(session, kind, group_id)
    waiting = (
        await session.exec(
            select(Response.id, Response.submitted_at)
            .where(
                of_group(kind, [group_id]),
                col(Response.status) == RESPONSE_SUBMITTED,
                col(Response.released_at).is_(None),
            )
            .order_by(col(Response.submitted_at), col(Response.id))
        )
    ).all()
    whole = len(waiting) // minimum * minimum
    for start in range(0, whole, minimum):
        block = waiting[start : start + minimum]
        moment = max(submitted for _, submitted in block if submitted is not None)
        await session.exec(
            update(Response)
            .where(col(Response.id).in_([response_id for response_id, _ in block]))
            .values(released_at=moment)
        )
    return whole


async def catch_up(session: AsyncSession, *, minimum: int) -> int:
    """Releases every group's full blocks (after an upgrade, or a change of the minimum):
    one grouped count per kind, then a release only where a block is full. Answers and
    ratings submitted before blocks existed are released in the order they were submitted."""
    total = 0
    for kind in GATED_KINDS:
        for group_id, n in await _waiting_per_group(session, kind):
            if n >= minimum:
                total += await release(session, kind=kind, group_id=group_id, minimum=minimum)
    return total


async def _waiting_per_group(session: AsyncSession, kind: str) -> list[tuple[int, int]]:
    """(group, how many wait) for the responses of `kind` not yet released, by group id."""
    group: Any = col(Response.subject_id)
    query: Any = select(Response.subject_id, func.count())
    if kind == SUPERVISOR_SUBJECT:
        group = program_column(kind)
        query = to_supervised(select(group, func.count()).select_from(Response))
    elif kind == SKM_SUBJECT:
        group = col(Complaint.unit_id)
        query = (
            select(Complaint.unit_id, func.count())
            .select_from(Response)
            .join(Complaint, col(Complaint.id) == col(Response.subject_id))
        )
    query = query.where(
        col(Response.subject_kind) == kind,
        col(Response.status) == RESPONSE_SUBMITTED,
        col(Response.released_at).is_(None),
        group.is_not(None),
    ).group_by(group)
    rows = (await session.exec(query)).all()
    return sorted((int(group_id), int(n)) for group_id, n in rows)


async def _take_turn(session: AsyncSession, kind: str, group_id: int) -> None:
    # SQLite runs every writing transaction in turn already (BEGIN IMMEDIATE).
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        key = _LOCK_BASE + (zlib.crc32(f"{kind}:{group_id}".encode()) & 0xFFFFF)
        await session.exec(select(func.pg_advisory_xact_lock(key)))
