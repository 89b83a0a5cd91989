"""Questionnaires as data: templates, responses, one row per answer; the SKM survey moves onto
them (its nine elements become answers u1-u9 of the `skm` template) and `skm_responses` goes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SKM_TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "skm.json"


def upgrade() -> None:
    templates = op.create_table(
        "questionnaire_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", "version"),
    )
    op.create_index("ix_questionnaire_templates_code", "questionnaire_templates", ["code"])
    op.create_table(
        "questionnaire_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("respondent_id", sa.BigInteger(), nullable=False),
        sa.Column("instructors", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["template_id"], ["questionnaire_templates.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject_kind", "subject_id", "respondent_id"),
    )
    op.create_index(
        "ix_questionnaire_responses_respondent_id", "questionnaire_responses", ["respondent_id"]
    )
    op.create_table(
        "questionnaire_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(32), nullable=False),
        sa.Column("instructor", sa.SmallInteger(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("choice", sa.String(32), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("sentiment_label", sa.String(16), nullable=True),
        sa.Column("sentiment_polarity", sa.Float(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["questionnaire_responses.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id", "question", "instructor"),
    )
    op.create_index(
        "ix_questionnaire_answers_response_id", "questionnaire_answers", ["response_id"]
    )
    _move_skm(templates)
    op.drop_table("skm_responses")


def _move_skm(templates: sa.Table) -> None:
    """Each stored SKM row becomes a submitted response with nine answers."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT s.complaint_id, c.reporter_id, s.created_at, "
            "s.u1, s.u2, s.u3, s.u4, s.u5, s.u6, s.u7, s.u8, s.u9 "
            "FROM skm_responses s JOIN complaints c ON c.id = s.complaint_id"
        )
    ).all()
    if not rows:
        return  # the template itself is seeded at start-up, like the others
    definition = json.loads(SKM_TEMPLATE.read_text("utf-8"))
    template_id = bind.execute(
        sa.insert(templates)
        .values(
            code=definition["code"],
            version=definition["version"],
            definition=definition,
            created_at=rows[0].created_at,
        )
        .returning(templates.c.id)
    ).scalar_one()
    for row in rows:
        response_id = bind.execute(
            sa.text(
                "INSERT INTO questionnaire_responses (template_id, subject_kind, subject_id, "
                "respondent_id, instructors, status, created_at, submitted_at) VALUES "
                "(:template, 'complaint', :complaint, :reporter, '[]', 'submitted', :at, :at) "
                "RETURNING id"
            ),
            {
                "template": template_id,
                "complaint": row.complaint_id,
                "reporter": row.reporter_id,
                "at": row.created_at,
            },
        ).scalar_one()
        for number in range(1, 10):
            bind.execute(
                sa.text(
                    "INSERT INTO questionnaire_answers (response_id, question, instructor, "
                    "score, answered_at) VALUES (:response, :question, -1, :score, :at)"
                ),
                {
                    "response": response_id,
                    "question": f"u{number}",
                    "score": getattr(row, f"u{number}"),
                    "at": row.created_at,
                },
            )


def downgrade() -> None:
    op.create_table(
        "skm_responses",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        *(sa.Column(f"u{n}", sa.Integer(), nullable=False) for n in range(1, 10)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["places.id"]),
        sa.PrimaryKeyConstraint("complaint_id"),
    )
    op.drop_table("questionnaire_answers")
    op.drop_table("questionnaire_responses")
    op.drop_table("questionnaire_templates")
