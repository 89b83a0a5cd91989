"""Training programs, participants, training-need proposals, scheduled work (due items), and
the time zone of a place.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("places") as batch:
        batch.add_column(sa.Column("timezone", sa.String(40), nullable=True))
    op.create_table(
        "programs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(200), nullable=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("instructors", sa.JSON(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("closes_at", UTCDateTime(), nullable=False),
        sa.Column("followup_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["places.id"]),
        sa.ForeignKeyConstraint(["template_id"], ["questionnaire_templates.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "program_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("nip", sa.String(18), nullable=True),
        sa.Column("work_unit", sa.String(200), nullable=True),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("program_id", "user_id"),
    )
    op.create_index("ix_program_participants_program_id", "program_participants", ["program_id"])
    op.create_index("ix_program_participants_user_id", "program_participants", ["user_id"])
    op.create_table(
        "training_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("proposer_id", sa.BigInteger(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["places.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_training_proposals_unit_id", "training_proposals", ["unit_id"])
    op.create_table(
        "due_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_due_items_due", "due_items", ["status", "due_at"])


def downgrade() -> None:
    op.drop_table("due_items")
    op.drop_table("training_proposals")
    op.drop_table("program_participants")
    op.drop_table("programs")
    with op.batch_alter_table("places") as batch:
        batch.drop_column("timezone")
