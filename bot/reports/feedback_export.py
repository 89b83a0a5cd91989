"""Training feedback export: one row per released questionnaire, without names.

No respondent id, name or NIP is ever read into a row: a row has the program, the day its
block of respondents was released (shared by at least FEEDBACK_MIN_RESPONSES people, never the
day one person answered), each item's score (instructor items once per instructor) and the
written answers. Only released questionnaires are exported (bot/services/releases.py), so an
export waits for the minimum and two exports differ by whole blocks; within a block the rows
are in the order of their contents, not of who answered first. Columns follow the templates'
question order, so two exports of the same programs line up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.reports.export import Row, table_csv, table_xlsx
from bot.services import questionnaires
from bot.services.programs import PROGRAM_SUBJECT
from bot.storage.programs import Program
from bot.storage.questionnaires import RESPONSE_SUBMITTED, Answer, Response

FIXED = ("program", "title", "released")


def column_of(question: str, instructor_name: str) -> str:
    return f"{question}: {instructor_name}" if instructor_name else question


async def feedback_rows(
    session: AsyncSession,
    *,
    tz: ZoneInfo,
    program_ids: list[int] | None = None,
    since: dt.date | None = None,
) -> tuple[list[str], list[Row]]:
    """The columns and rows of the submitted questionnaires of these programs (None: all)."""
    query = (
        select(Response.id, Response.subject_id, Response.released_at)
        .where(
            col(Response.subject_kind) == PROGRAM_SUBJECT,
            col(Response.status) == RESPONSE_SUBMITTED,
            col(Response.released_at).is_not(None),
        )
        .order_by(col(Response.subject_id), col(Response.released_at))
    )
    if program_ids is not None:
        query = query.where(col(Response.subject_id).in_(program_ids))
    if since is not None:
        query = query.where(col(Response.released_at) >= dt.datetime.combine(since, dt.time(), tz))
    responses = (await session.exec(query)).all()
    answers: dict[int, list[Answer]] = defaultdict(list)
    ids = [response_id for response_id, _, _ in responses if response_id is not None]
    for start in range(0, len(ids), 900):  # stays under SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        for answer in (
            await session.exec(select(Answer).where(col(Answer.response_id).in_(chunk)))
        ).all():
            answers[answer.response_id].append(answer)

    columns: list[str] = list(FIXED)
    programs: dict[int, tuple[Program, dict[tuple[str, int], str]]] = {}
    rows: list[Row] = []
    for response_id, program_id, released_at in responses:
        if program_id not in programs:
            program = await session.get(Program, program_id)
            if program is None:
                continue
            template = await questionnaires.template_of(session, program.template_id)
            names: dict[tuple[str, int], str] = {}
            for item in questionnaires.items(template, program.instructors):
                name = column_of(item.question.code, item.instructor_name)
                names[(item.question.code, item.instructor)] = name
                if name not in columns:
                    columns.append(name)
            programs[program_id] = (program, names)
        program, names = programs[program_id]
        row: Row = {
            "program": program.code,
            "title": program.title,
            "released": released_at.astimezone(tz).date() if released_at else None,
        }
        for answer in answers.get(response_id or 0, []):
            column = names.get((answer.question, answer.instructor))
            if column is not None:
                value = answer.score if answer.score is not None else answer.choice or answer.text
                row[column] = value
        rows.append(row)
    # Within a program's block the order says nothing about who answered when.
    rows.sort(key=lambda r: (str(r["program"]), str(r["released"]), _content_key(columns, r)))
    return columns, rows


def _content_key(columns: list[str], row: Row) -> tuple[str, ...]:
    return tuple(str(row.get(column, "")) for column in columns)


def to_csv(columns: list[str], rows: list[Row]) -> bytes:
    return table_csv(columns, rows)


def to_xlsx(columns: list[str], rows: list[Row]) -> bytes:
    texts = [c for c in columns if c in ("sulit", "saran", "rencana", "title")]
    return table_xlsx(columns, rows, title="Umpan balik", wide=texts)
