"""Class lists and certificates: the people a program expected, its certificate settings (JP,
signatory) and the certificates it issued, each with a unique number.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "class_list_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("program_id", sa.Integer(), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("nip", sa.String(18), nullable=False),
        sa.Column("work_unit", sa.String(200), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("program_id", "nip"),
    )
    op.create_index("ix_class_list_entries_program_id", "class_list_entries", ["program_id"])
    op.create_table(
        "certificate_settings",
        sa.Column("program_id", sa.Integer(), sa.ForeignKey("programs.id"), primary_key=True),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("signatory_name", sa.String(200), nullable=False),
        sa.Column("signatory_title", sa.String(200), nullable=False),
        sa.Column("signatory_nip", sa.String(18), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(120), nullable=False, unique=True),
        sa.Column("program_id", sa.Integer(), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("class_list_entries.id"), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("nip", sa.String(18), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("program_id", "sequence"),
    )
    op.create_index("ix_certificates_program_id", "certificates", ["program_id"])
    op.create_index("ix_certificates_user_id", "certificates", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_certificates_user_id", table_name="certificates")
    op.drop_index("ix_certificates_program_id", table_name="certificates")
    op.drop_table("certificates")
    op.drop_table("certificate_settings")
    op.drop_index("ix_class_list_entries_program_id", table_name="class_list_entries")
    op.drop_table("class_list_entries")
