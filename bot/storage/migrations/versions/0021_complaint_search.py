"""Searching complaints by words with an index: the inbox's "words anywhere in the
description" read every description of the caller's units (100,000 on a real deployment) for
every search.

SQLite: an FTS5 table with the trigram tokenizer over `complaints.description` (external
content, kept in step by triggers), which answers `LIKE '%word%'` from its index for words of
three letters or more. PostgreSQL: pg_trgm's GIN index on the description, which `ILIKE
'%word%'` uses; where the extension cannot be created (a managed server that does not allow
it), the search still works, by reading the descriptions as before.

Both are outside the models (`bot.storage.complaints.SEARCH_OBJECTS`), so the schema test and
autogenerate leave them alone.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from __future__ import annotations

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

SQLITE_UP = [
    "CREATE VIRTUAL TABLE complaint_search USING fts5("
    "description, content='complaints', content_rowid='id', tokenize='trigram')",
    "INSERT INTO complaint_search(complaint_search) VALUES ('rebuild')",
    "CREATE TRIGGER complaint_search_insert AFTER INSERT ON complaints BEGIN "
    "INSERT INTO complaint_search(rowid, description) VALUES (new.id, new.description); END",
    "CREATE TRIGGER complaint_search_delete AFTER DELETE ON complaints BEGIN "
    "INSERT INTO complaint_search(complaint_search, rowid, description) "
    "VALUES ('delete', old.id, old.description); END",
    "CREATE TRIGGER complaint_search_update AFTER UPDATE OF description ON complaints BEGIN "
    "INSERT INTO complaint_search(complaint_search, rowid, description) "
    "VALUES ('delete', old.id, old.description); "
    "INSERT INTO complaint_search(rowid, description) VALUES (new.id, new.description); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS complaint_search_update",
    "DROP TRIGGER IF EXISTS complaint_search_delete",
    "DROP TRIGGER IF EXISTS complaint_search_insert",
    "DROP TABLE IF EXISTS complaint_search",
]
POSTGRESQL_INDEX = (
    "CREATE INDEX ix_complaints_description_trgm ON complaints "
    "USING gin (description gin_trgm_ops)"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                bind.exec_driver_sql(POSTGRESQL_INDEX)
        except DBAPIError as exc:
            log.warning("pg_trgm is not available (%s): complaint search reads descriptions", exc)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_complaints_description_trgm")
