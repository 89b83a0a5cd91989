"""The workspace's safety: failed login attempts per address, uploads waiting to be sent.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_web_attempts_kind_subject_at", "web_attempts", ["kind", "subject", "at"])
    op.create_table(
        "web_uploads",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaints.id"), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file_name", sa.String(128), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_web_uploads_complaint_id", "web_uploads", ["complaint_id"])


def downgrade() -> None:
    op.drop_index("ix_web_uploads_complaint_id", table_name="web_uploads")
    op.drop_table("web_uploads")
    op.drop_index("ix_web_attempts_kind_subject_at", table_name="web_attempts")
    op.drop_table("web_attempts")
