"""Public pages without login: a tracking PIN for each complaint (only the seed it is derived
from with the deployment's secret is stored) and the wrong PIN guesses per tracking number.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("pin_seed", sa.String(32), nullable=True))
    op.create_table(
        "pin_guesses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket", sa.String(24), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pin_guesses_ticket_at", "pin_guesses", ["ticket", "at"])


def downgrade() -> None:
    op.drop_table("pin_guesses")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("pin_seed")
