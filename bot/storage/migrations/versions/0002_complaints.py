"""Complaints: places, organizers of units, complaints, attachments, audit events, SKM.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["places.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket", sa.String(length=24), nullable=True),
        sa.Column("reporter_id", sa.BigInteger(), nullable=False),
        sa.Column("reporter_name", sa.String(200), nullable=True),
        sa.Column("privacy", sa.String(16), nullable=False),
        sa.Column("category", sa.String(80), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("incident_date", sa.Date(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("verify_due", sa.Date(), nullable=False),
        sa.Column("followup_due", sa.Date(), nullable=True),
        sa.Column("waiting_since", sa.Date(), nullable=True),
        sa.Column("state_before_waiting", sa.String(16), nullable=True),
        sa.Column("first_response_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("sentiment_label", sa.String(16), nullable=True),
        sa.Column("sentiment_polarity", sa.Float(), nullable=True),
        sa.Column("last_reminded_on", sa.Date(), nullable=True),
        sa.Column("escalated_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["places.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket"),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaints_reporter", ["reporter_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_complaints_unit_state", ["unit_id", "state"], unique=False)

    op.create_table(
        "organizer_units",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["places.id"],
        ),
        sa.PrimaryKeyConstraint("user_id", "unit_id"),
    )
    op.create_table(
        "complaint_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file_id", sa.String(200), nullable=False),
        sa.Column("from_reporter", sa.Boolean(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("complaint_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_attachments_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "complaint_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("target_unit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_events_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "skm_responses",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("u1", sa.Integer(), nullable=False),
        sa.Column("u2", sa.Integer(), nullable=False),
        sa.Column("u3", sa.Integer(), nullable=False),
        sa.Column("u4", sa.Integer(), nullable=False),
        sa.Column("u5", sa.Integer(), nullable=False),
        sa.Column("u6", sa.Integer(), nullable=False),
        sa.Column("u7", sa.Integer(), nullable=False),
        sa.Column("u8", sa.Integer(), nullable=False),
        sa.Column("u9", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["places.id"],
        ),
        sa.PrimaryKeyConstraint("complaint_id"),
    )


def downgrade() -> None:
    op.drop_table("skm_responses")
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_events_complaint_id"))

    op.drop_table("complaint_events")
    with op.batch_alter_table("complaint_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_attachments_complaint_id"))

    op.drop_table("complaint_attachments")
    op.drop_table("organizer_units")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_unit_state")
        batch_op.drop_index("ix_complaints_reporter")

    op.drop_table("complaints")
    op.drop_table("places")
