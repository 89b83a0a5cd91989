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


def test_the_head_the_bot_checks_at_start_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from bot.storage.db import HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD
