"""Sentiment of the citizen's rating comment.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("rating_sentiment_label", sa.String(16), nullable=True))
        batch.add_column(sa.Column("rating_sentiment_polarity", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("rating_sentiment_polarity")
        batch.drop_column("rating_sentiment_label")
