"""A program's knowledge test (Level 2): the questionnaire template its participants take
before the training and again after it (None: the program has no test).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("test_template_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_programs_test_template", "questionnaire_templates", ["test_template_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.drop_constraint("fk_programs_test_template", type_="foreignkey")
        batch.drop_column("test_template_id")
