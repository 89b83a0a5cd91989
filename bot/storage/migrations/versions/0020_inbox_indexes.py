"""The web inbox on real sizes: indexes its counts and its ordered page read alone (state,
category, unit, the two deadlines, the filing time), one led by the state and one by the
category (the category filter, and the categories in use).

It follows 0019 (written at the same time, merged first).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

INBOX_COLUMNS = ["state", "category", "unit_id", "verify_due", "followup_due", "created_at"]
CATEGORY_COLUMNS = ["category", "state", "unit_id", "verify_due", "followup_due", "created_at"]


def upgrade() -> None:
    op.create_index("ix_complaints_inbox", "complaints", INBOX_COLUMNS)
    op.create_index("ix_complaints_category", "complaints", CATEGORY_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_complaints_category", table_name="complaints")
    op.drop_index("ix_complaints_inbox", table_name="complaints")
