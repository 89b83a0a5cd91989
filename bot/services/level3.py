"""Level 3 (behaviour) results of a program: what its alumni said in the follow-up, and what
their supervisors saw, apart. Made of released answers only (bot/services/releases.py): the
alumni's figures appear once a block of them answered, the supervisors' once a block of
supervisors did, each moving in whole blocks like the evaluation's figures.

Read by the program page, the weekly digest and the program's export, from a fixed number of
queries whatever the number of programs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import releases
from bot.storage.questionnaires import (
    FOLLOWUP_SUBJECT,
    RESPONSE_SUBMITTED,
    SUPERVISOR_SUBJECT,
    Answer,
    Response,
)

APPLIED_ITEM = "penerapan"  # the follow-up's "how far have you applied it" (1-5)
PLAN_ITEM = "rencana"  # the action plan's progress (a choice)
SUPPORT_ITEM = "dukungan"  # the support still needed (text)
PLAN_STEPS = ("belum", "jalan", "sebagian", "selesai")
SUPPORT_SHOWN = 3


@dataclass
class Level3:
    respondents: int = 0  # alumni whose follow-up is released
    applied: float | None = None  # mean of APPLIED_ITEM, 1-5
    applied_n: int = 0
    plan: dict[str, int] = field(default_factory=dict)  # progress -> alumni
    support: list[str] = field(default_factory=list)  # a few of the support needs written
    supervisors: int = 0  # supervisors whose answers are released
    supervisor_means: dict[str, float] = field(default_factory=dict)  # item -> mean 1-5

    @property
    def empty(self) -> bool:
        return not (self.respondents or self.supervisors)


async def results(
    session: AsyncSession, program_ids: Sequence[int], *, until: dt.datetime | None = None
) -> dict[int, Level3]:
    """Per program with any released follow-up or supervisor answer: its Level 3 figures."""
    found: dict[int, Level3] = {}
    if not program_ids:
        return found
    ids = list(program_ids)
    alumni = [
        col(Response.subject_kind) == FOLLOWUP_SUBJECT,
        col(Response.subject_id).in_(ids),
        col(Response.status) == RESPONSE_SUBMITTED,
        *releases.released(until),
    ]
    counted = select(Response.subject_id, func.count()).where(*alumni)
    for program_id, n in (await session.exec(counted.group_by(col(Response.subject_id)))).all():
        found.setdefault(int(program_id), Level3()).respondents = int(n)
    scores = (
        select(Response.subject_id, func.avg(Answer.score), func.count())
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(*alumni, col(Answer.question) == APPLIED_ITEM, col(Answer.score).is_not(None))
        .group_by(col(Response.subject_id))
    )
    for program_id, mean, n in (await session.exec(scores)).all():
        if program_id in found and mean is not None:
            found[program_id].applied, found[program_id].applied_n = float(mean), int(n)
    choices = (
        select(Response.subject_id, Answer.choice, func.count())
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(*alumni, col(Answer.question) == PLAN_ITEM, col(Answer.choice).is_not(None))
        .group_by(col(Response.subject_id), col(Answer.choice))
    )
    for program_id, choice, n in (await session.exec(choices)).all():
        if program_id in found and choice in PLAN_STEPS:
            found[program_id].plan[str(choice)] = int(n)
    texts = (
        select(Response.subject_id, Answer.text)
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(*alumni, col(Answer.question) == SUPPORT_ITEM, col(Answer.text).is_not(None))
        .order_by(col(Answer.id).desc())
        .limit(SUPPORT_SHOWN * len(ids) * 4)
    )
    for program_id, text in (await session.exec(texts)).all():
        shown = found[program_id].support if program_id in found else None
        if shown is not None and text and len(shown) < SUPPORT_SHOWN and text not in shown:
            shown.append(str(text))
    await _supervisors(session, ids, until, found)
    return found


async def _supervisors(
    session: AsyncSession,
    ids: list[int],
    until: dt.datetime | None,
    found: dict[int, Level3],
) -> None:
    program = releases.program_column(SUPERVISOR_SUBJECT)
    supervised = [
        col(Response.subject_kind) == SUPERVISOR_SUBJECT,
        col(Response.status) == RESPONSE_SUBMITTED,
        *releases.released(until),
        col(releases.SUPERVISED.subject_kind) == FOLLOWUP_SUBJECT,
        program.in_(ids),
    ]
    counted = (
        releases.to_supervised(select(program, func.count()).select_from(Response))
        .where(*supervised)
        .group_by(program)
    )
    for program_id, n in (await session.exec(counted)).all():
        found.setdefault(int(program_id), Level3()).supervisors = int(n)
    means = (
        releases.to_supervised(
            select(program, Answer.question, func.avg(Answer.score))
            .select_from(Answer)
            .join(Response, col(Response.id) == col(Answer.response_id))
        )
        .where(*supervised, col(Answer.score).is_not(None))
        .group_by(program, col(Answer.question))
    )
    for program_id, question, mean in (await session.exec(means)).all():
        if program_id in found and mean is not None:
            found[program_id].supervisor_means[str(question)] = float(mean)
