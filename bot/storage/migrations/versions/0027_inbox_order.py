"""The web inbox's order as an index: the nearest running deadline first (NULL, a complaint
that waits or is closed, last), then the filing time and the id. A page of "all" was the
sort of every complaint's keys; on 100,000 complaints PostgreSQL spilled it to disk (an
admin's middle page 244 ms in bench/web.py). Read off this index in order, a page skips to
its offset without sorting.

The expressions are those of `bot.storage.complaints._inbox_order`, the states written as
constants there too (a planner matches an index on an expression only to the same one), and
the model declares the index from them. Both databases. Alembic cannot compare an index on
expressions, so the schema test skips it by name and tests/storage/test_inbox_order.py checks
that both planners read the order off it.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

RUNNING_DUE = (
    "CASE WHEN (state = 'baru') THEN verify_due "
    "WHEN (state IN ('baru', 'diverifikasi', 'ditindaklanjuti')) THEN followup_due END"
)


def upgrade() -> None:
    op.create_index(
        "ix_complaints_inbox_order",
        "complaints",
        [
            sa.text(f"(CASE WHEN ({RUNNING_DUE} IS NULL) THEN 1 ELSE 0 END)"),
            sa.text(f"({RUNNING_DUE})"),
            "created_at",
            "id",
        ],
        # PostgreSQL reads an index alone (no row) only when it holds the columns its
        # expressions are made of: the middle page of 100,000 then reads 50,000 entries and
        # no row (18 ms; 127 ms fetching the rows). SQLite ignores it (and needs none).
        postgresql_include=["state", "verify_due", "followup_due"],
    )


def downgrade() -> None:
    op.drop_index("ix_complaints_inbox_order", table_name="complaints")
