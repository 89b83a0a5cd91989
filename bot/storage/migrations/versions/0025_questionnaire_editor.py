"""The workspace's questionnaire editor: a form's owning unit (None: shared, published by an
admin) and the drafts being edited, one per form code, apart from the published versions.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questionnaire_templates") as batch:
        batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_questionnaire_templates_unit", "places", ["unit_id"], ["id"])
    op.create_table(
        "questionnaire_drafts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("places.id"), nullable=True),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("questionnaire_drafts")
    with op.batch_alter_table("questionnaire_templates") as batch:
        batch.drop_constraint("fk_questionnaire_templates_unit", type_="foreignkey")
        batch.drop_column("unit_id")
