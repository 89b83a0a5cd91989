"""Answers released in blocks: a questionnaire counts in a program's figures only once the
block of respondents it belongs to is full (bot/services/releases.py). Responses submitted
before this revision are released by the start-up pass, in blocks, in the order they came.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questionnaire_responses") as batch:
        batch.add_column(sa.Column("released_at", UTCDateTime(), nullable=True))
    op.create_index(
        "ix_responses_released",
        "questionnaire_responses",
        ["subject_kind", "subject_id", "released_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_responses_released", "questionnaire_responses")
    with op.batch_alter_table("questionnaire_responses") as batch:
        batch.drop_column("released_at")
