"""Complaints closed with the citizen's word: whether it was handled (sudah / sebagian / belum)
and how often a complaint was reopened; attachments an officer sent with an answer.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An organizer's pending note of the old one-message action: the action is now a flow of
    # its own (complaint_action); the old state would take the organizer's next message.
    op.execute("DELETE FROM flow_states WHERE flow = 'organizer'")
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("handled", sa.String(16), nullable=True))
        batch.add_column(
            sa.Column("reopen_count", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("complaint_attachments") as batch:
        batch.add_column(sa.Column("event_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaint_attachments") as batch:
        batch.drop_column("event_id")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("reopen_count")
        batch.drop_column("handled")
