"""Several workers on one database: who sent each update (flood counts read the processed
updates instead of a process's memory) and job leases (which worker does a piece of
scheduled work).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("processed_updates") as batch:
        batch.add_column(sa.Column("user_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_processed_updates_user", "processed_updates", ["user_id", "processed_at"])
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("holder", sa.String(96), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("done_for", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("job_leases")
    op.drop_index("ix_processed_updates_user", "processed_updates")
    with op.batch_alter_table("processed_updates") as batch:
        batch.drop_column("user_id")
