"""The migrations build exactly the schema the models describe (a forgotten migration fails)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import bot.storage.tables  # noqa: F401
from bot.storage.db import Database


async def test_migrations_match_the_models(db: Database) -> None:
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(differences)
    assert diffs == []
