"""Weekly digests: claims per recipient and week, files carried by the outbox, and the
indexes the digest's period queries need.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_claims",
        sa.Column("recipient_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("recipient_id", "week"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("file_name", sa.String(128), nullable=True))
        batch.add_column(sa.Column("file_data", sa.LargeBinary(), nullable=True))
    op.create_index("ix_complaints_created", "complaints", ["created_at"])
    op.create_index("ix_complaints_closed", "complaints", ["closed_at"])
    op.create_index(
        "ix_responses_submitted",
        "questionnaire_responses",
        ["subject_kind", "status", "submitted_at"],
    )
    op.create_index("ix_training_proposals_created", "training_proposals", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_training_proposals_created", "training_proposals")
    op.drop_index("ix_responses_submitted", "questionnaire_responses")
    op.drop_index("ix_complaints_closed", "complaints")
    op.drop_index("ix_complaints_created", "complaints")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("file_data")
        batch.drop_column("file_name")
    op.drop_table("digest_claims")
