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

from sqlalchemy import and_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator
from bot.reports.export import Row, table_csv, table_xlsx
from bot.services import questionnaires, releases
from bot.storage.programs import Program
from bot.storage.questionnaires import (
    FOLLOWUP_SUBJECT,
    PROGRAM_SUBJECT,
    RESPONSE_SUBMITTED,
    SUPERVISOR_SUBJECT,
    Answer,
    Response,
)

FIXED = ("program", "title", "released")
SHEETS = (
    (PROGRAM_SUBJECT, "Umpan balik"),
    (FOLLOWUP_SUBJECT, "Pasca pelatihan"),
    (SUPERVISOR_SUBJECT, "Atasan"),
)
TEXT_COLUMNS = ("sulit", "saran", "rencana", "title", "contoh", "dukungan", "catatan")


def column_of(question: str, instructor_name: str) -> str:
    return f"{question}: {instructor_name}" if instructor_name else question


async def feedback_rows(
    session: AsyncSession,
    *,
    tz: ZoneInfo,
    program_ids: list[int] | None = None,
    since: dt.date | None = None,
    kind: str = PROGRAM_SUBJECT,
    labels: dict[str, tuple[str, str]] | None = None,
    language: str = "id",
) -> tuple[list[str], list[Row]]:
    """The columns and rows of the released questionnaires of these programs (None: all):
    the evaluation, or with `kind` the alumni's follow-ups or their supervisors' answers."""
    program_of = releases.program_column(kind)
    query = (
        select(Response.id, program_of, Response.released_at, Response.template_id)
        .where(
            col(Response.subject_kind) == kind,
            col(Response.status) == RESPONSE_SUBMITTED,
            col(Response.released_at).is_not(None),
        )
        .order_by(program_of, col(Response.released_at))
    )
    if kind == SUPERVISOR_SUBJECT:
        query = releases.to_supervised(query)
    if program_ids is not None:
        query = query.where(program_of.in_(program_ids))
    if since is not None:
        query = query.where(col(Response.released_at) >= dt.datetime.combine(since, dt.time(), tz))
    responses = (await session.exec(query)).all()
    # A score of an item not everyone answers waits for its item's block, as on the page.
    blocks = releases.ItemBlocks()
    if kind == PROGRAM_SUBJECT and responses:
        programs_of = sorted({program_id for _, program_id, _, _ in responses})
        blocks = await releases.item_blocks(
            session,
            and_(
                col(Response.subject_kind) == PROGRAM_SUBJECT,
                col(Response.subject_id).in_(programs_of),
                col(Response.status) == RESPONSE_SUBMITTED,
                *releases.released(),
            ),
        )
    answers: dict[int, list[Answer]] = defaultdict(list)
    ids = [response_id for response_id, _, _, _ in responses if response_id is not None]
    for start in range(0, len(ids), 900):  # stays under SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        for answer in (
            await session.exec(select(Answer).where(col(Answer.response_id).in_(chunk)))
        ).all():
            answers[answer.response_id].append(answer)

    columns: list[str] = list(FIXED)
    programs: dict[int, Program | None] = {}
    names_of: dict[tuple[int, int], dict[tuple[str, int], str]] = {}
    rows: list[Row] = []
    for response_id, program_id, released_at, template_id in responses:
        if program_id not in programs:
            programs[program_id] = await session.get(Program, program_id)
        program = programs[program_id]
        if program is None:
            continue
        key = (program_id, template_id)
        if key not in names_of:
            template = await questionnaires.template_of(session, template_id)
            asked = program.instructors if kind == PROGRAM_SUBJECT else []
            names: dict[tuple[str, int], str] = {}
            for item in questionnaires.items(template, asked):
                name = column_of(item.question.code, item.instructor_name)
                names[(item.question.code, item.instructor)] = name
                if labels is not None and name not in labels:
                    text = item.question.text(language)
                    if item.instructor_name:
                        text = f"{text} ({item.instructor_name})"
                    question = item.question
                    if question.kind == "scale":
                        # A score is read against its own scale: "(1-4)", "(0-10)".
                        text = f"{text} ({question.min}-{question.max})"
                    labels[name] = (text, question.kind)
                if name not in columns:
                    columns.append(name)
            names_of[key] = names
        names = names_of[key]
        row: Row = {
            "program": program.code,
            "title": program.title,
            "released": released_at.astimezone(tz).date() if released_at else None,
        }
        for answer in answers.get(response_id or 0, []):
            column = names.get((answer.question, answer.instructor))
            answered = (int(program_id), answer.question, answer.instructor)
            if answer.score is not None and not blocks.shows(answered, released_at):
                continue
            if column is not None:
                value = answer.score if answer.score is not None else answer.choice or answer.text
                row[column] = value
        rows.append(row)
    # Within a program's block the order says nothing about who answered when.
    rows.sort(key=lambda r: (str(r["program"]), str(r["released"]), _content_key(columns, r)))
    return columns, rows


def _content_key(columns: list[str], row: Row) -> tuple[str, ...]:
    return tuple(str(row.get(column, "")) for column in columns)


SHEET_KEYS = {
    PROGRAM_SUBJECT: "reports.sheet_answers",
    FOLLOWUP_SUBJECT: "reports.sheet_followup",
    SUPERVISOR_SUBJECT: "reports.sheet_supervisors",
}


async def program_workbook(
    session: AsyncSession, *, tz: ZoneInfo, program_id: int, t: Translator
) -> tuple[bytes, int]:
    """A program's export: the evaluation, the follow-up and the supervisors' answers, a sheet
    each, released answers only; with the number of evaluation rows. Headers are the
    questions in the reader's language, the release day a date cell, scores numbers."""
    from bot.reports.sheets import Column, Sheet, workbook

    sheets = []
    evaluations = 0
    for kind, _title in SHEETS:
        labels: dict[str, tuple[str, str]] = {}
        columns, rows = await feedback_rows(
            session,
            tz=tz,
            program_ids=[program_id],
            kind=kind,
            labels=labels,
            language=t.language,
        )
        if kind == PROGRAM_SUBJECT:
            evaluations = len(rows)
        specs = [Column("program"), Column("title"), Column("released", "date")]
        for name in columns[len(FIXED) :]:
            text, question_kind = labels.get(name, (name, "text"))
            specs.append(Column(name, "int" if question_kind == "scale" else "wide", label=text))
        sheets.append(Sheet(t(SHEET_KEYS[kind]), specs, rows))
    return workbook(t, sheets), evaluations


def to_csv(columns: list[str], rows: list[Row]) -> bytes:
    return table_csv(columns, rows)


def to_xlsx(columns: list[str], rows: list[Row]) -> bytes:
    return table_xlsx(columns, rows, title=SHEETS[0][1], wide=_wide(columns))


def _wide(columns: list[str]) -> list[str]:
    return [c for c in columns if c in TEXT_COLUMNS]
