"""Powers and erasure: invitations revoked when their maker loses the power, and the limits
that outlive /hapusdata (a ban, a unit's limit, the day's complaint count) keyed by a keyed
hash of the Telegram id instead of the id itself.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.add_column(sa.Column("revoked_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("reporter_key", sa.String(64), nullable=True))
    op.create_index("ix_complaints_reporter_key", "complaints", ["reporter_key", "created_at"])
    with op.batch_alter_table("unit_blocks") as batch:
        batch.add_column(sa.Column("user_key", sa.String(64), nullable=True))
    op.create_index("ix_unit_blocks_key_unit", "unit_blocks", ["user_key", "unit_id"])
    with op.batch_alter_table("training_proposals") as batch:
        batch.add_column(sa.Column("proposer_key", sa.String(64), nullable=True))
    op.create_table(
        "kept_bans",
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("banned_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("person_key"),
    )


def downgrade() -> None:
    op.drop_table("kept_bans")
    with op.batch_alter_table("training_proposals") as batch:
        batch.drop_column("proposer_key")
    op.drop_index("ix_unit_blocks_key_unit", "unit_blocks")
    with op.batch_alter_table("unit_blocks") as batch:
        batch.drop_column("user_key")
    op.drop_index("ix_complaints_reporter_key", "complaints")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("reporter_key")
    with op.batch_alter_table("invites") as batch:
        batch.drop_column("revoked_at")
