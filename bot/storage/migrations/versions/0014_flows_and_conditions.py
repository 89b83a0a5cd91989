"""A user may keep several flows at once (a complaint draft beside a questionnaire): flow state
is keyed by user and flow, and one of a user's flows is the active one. A queued message may
carry a condition the outbox checks again just before sending it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _flow_table(name: str, *, by_flow: bool) -> None:
    columns: list[sa.Column[object]] = [
        sa.Column("user_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("flow", sa.String(32), nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
    ]
    if by_flow:
        columns.append(sa.Column("active", sa.Boolean(), nullable=False))
    op.create_table(
        name,
        *columns,
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "flow")
        if by_flow
        else sa.PrimaryKeyConstraint("user_id"),
    )


def upgrade() -> None:
    # The primary key changes: a new table, the rows copied (each the user's active flow).
    _flow_table("flow_states_new", by_flow=True)
    op.execute(
        "INSERT INTO flow_states_new (user_id, flow, step, active, draft, updated_at) "
        "SELECT user_id, flow, step, TRUE, draft, updated_at FROM flow_states"
    )
    op.drop_table("flow_states")
    op.rename_table("flow_states_new", "flow_states")
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("condition", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("condition")
    # One flow per user again: the active one stays, waiting drafts go.
    _flow_table("flow_states_old", by_flow=False)
    op.execute(
        "INSERT INTO flow_states_old (user_id, flow, step, draft, updated_at) "
        "SELECT user_id, flow, step, draft, updated_at FROM flow_states WHERE active"
    )
    op.drop_table("flow_states")
    op.rename_table("flow_states_old", "flow_states")
