"""Questionnaire tables: templates (questions as data), responses, and one row per answer.

A template is stored whole as JSON under (code, version): a program keeps the version it was
given even after the template is revised. A response belongs to one person and one subject (a
training program, a complaint's SKM survey, a follow-up), at most one per pair, so a second
submission cannot exist. Answers are rows, one per question (and per instructor where the
question is asked about each instructor), written as they are given.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    delete,
)
from sqlmodel import Field, SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.types import UTCDateTime, utcnow

RESPONSE_OPEN = "open"
RESPONSE_SUBMITTED = "submitted"
# What a response is about (its subject_kind): a training program, a program's follow-up, a
# supervisor's view of a follow-up; a complaint's SKM survey is "complaint".
PROGRAM_SUBJECT = "program"
FOLLOWUP_SUBJECT = "followup"
SUPERVISOR_SUBJECT = "supervisor"
SKM_SUBJECT = "complaint"
# A program's knowledge test (Level 2), taken before and after the training.
PRETEST_SUBJECT = "pretest"
POSTTEST_SUBJECT = "posttest"
NO_INSTRUCTOR = -1  # the `instructor` of an answer to a question not asked per instructor


class QuestionnaireTemplate(SQLModel, table=True):
    __tablename__ = "questionnaire_templates"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, index=True)
    version: int
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The unit whose organizers own the form (None: shared, published by an admin).
    unit_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("places.id"), nullable=True)
    )


class QuestionnaireDraft(SQLModel, table=True):
    """A form being edited in the workspace: a copy of a version's definition, one per code.
    It lives in a table of its own so that nothing that gives programs a template (which
    reads questionnaire_templates only) can ever hand out a draft."""

    __tablename__ = "questionnaire_drafts"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    unit_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("places.id"), nullable=True)
    )
    # The version the draft was copied from (None: a new form, or a copy of another code).
    base_version: int | None = None
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Response(SQLModel, table=True):
    """One person's answers to one questionnaire about one subject."""

    __tablename__ = "questionnaire_responses"
    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_id", "respondent_id"),
        # The weekly digest: what was submitted in a period.
        Index("ix_responses_submitted", "subject_kind", "status", "submitted_at"),
        # What a program's figures are made of: its released answers (bot/services/releases.py).
        Index("ix_responses_released", "subject_kind", "subject_id", "released_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(
        sa_column=Column(Integer, ForeignKey("questionnaire_templates.id"), nullable=False)
    )
    subject_kind: str = Field(max_length=16)  # program | followup | supervisor | complaint
    subject_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    # Used to resume, to refuse a second submission and to decide reminders; never shown to
    # organizers, never exported.
    respondent_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    # Names asked about per instructor, fixed when the response is opened.
    instructors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=RESPONSE_OPEN, max_length=16)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the block of respondents this one belongs to filled up; until then no figure,
    # comment or export includes it (None: not released yet).
    released_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Answer(SQLModel, table=True):
    __tablename__ = "questionnaire_answers"
    __table_args__ = (UniqueConstraint("response_id", "question", "instructor"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("questionnaire_responses.id"), nullable=False, index=True
        )
    )
    question: str = Field(max_length=32)
    instructor: int = Field(default=NO_INSTRUCTOR, sa_column=Column(SmallInteger, nullable=False))
    score: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    choice: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sentiment_label: str | None = Field(default=None, max_length=16)
    sentiment_polarity: float | None = None
    answered_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def latest_template(session: AsyncSession, code: str) -> QuestionnaireTemplate | None:
    query = (
        select(QuestionnaireTemplate)
        .where(col(QuestionnaireTemplate.code) == code)
        .order_by(col(QuestionnaireTemplate.version).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def template_ids(session: AsyncSession, code: str) -> list[int]:
    """Every stored version of the template `code`, oldest first."""
    query = (
        select(QuestionnaireTemplate.id)
        .where(col(QuestionnaireTemplate.code) == code)
        .order_by(col(QuestionnaireTemplate.version))
    )
    return [int(i) for i in (await session.exec(query)).all() if i is not None]


async def template_version(
    session: AsyncSession, code: str, version: int
) -> QuestionnaireTemplate | None:
    query = select(QuestionnaireTemplate).where(
        col(QuestionnaireTemplate.code) == code, col(QuestionnaireTemplate.version) == version
    )
    return (await session.exec(query)).first()


async def response_for(
    session: AsyncSession, *, subject_kind: str, subject_id: int, respondent_id: int
) -> Response | None:
    query = select(Response).where(
        col(Response.subject_kind) == subject_kind,
        col(Response.subject_id) == subject_id,
        col(Response.respondent_id) == respondent_id,
    )
    return (await session.exec(query)).first()


async def answers_of(session: AsyncSession, response_id: int) -> list[Answer]:
    query = select(Answer).where(col(Answer.response_id) == response_id)
    return list((await session.exec(query)).all())


async def answer_row(
    session: AsyncSession, *, response_id: int, question: str, instructor: int
) -> Answer | None:
    query = select(Answer).where(
        col(Answer.response_id) == response_id,
        col(Answer.question) == question,
        col(Answer.instructor) == instructor,
    )
    return (await session.exec(query)).first()


async def remove_answer(
    session: AsyncSession, *, response_id: int, question: str, instructor: int
) -> None:
    await session.exec(
        delete(Answer).where(
            col(Answer.response_id) == response_id,
            col(Answer.question) == question,
            col(Answer.instructor) == instructor,
        )
    )


async def count_submitted(session: AsyncSession, *, subject_kind: str, subject_id: int) -> int:
    query = select(func.count()).where(
        col(Response.subject_kind) == subject_kind,
        col(Response.subject_id) == subject_id,
        col(Response.status) == RESPONSE_SUBMITTED,
    )
    return int((await session.exec(query)).one())


async def all_templates(session: AsyncSession) -> list[QuestionnaireTemplate]:
    """Every stored template version (a few dozen rows: one per code and version)."""
    query = select(QuestionnaireTemplate).order_by(
        col(QuestionnaireTemplate.code), col(QuestionnaireTemplate.version)
    )
    return list((await session.exec(query)).all())


async def draft_of(session: AsyncSession, code: str) -> QuestionnaireDraft | None:
    query = select(QuestionnaireDraft).where(col(QuestionnaireDraft.code) == code)
    return (await session.exec(query)).first()


async def all_drafts(session: AsyncSession) -> list[QuestionnaireDraft]:
    """Every draft (a few: one per form being edited)."""
    query = select(QuestionnaireDraft).order_by(col(QuestionnaireDraft.code))
    return list((await session.exec(query)).all())
