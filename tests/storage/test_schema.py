"""The migrations build exactly the schema the models describe (a forgotten migration fails)."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

import bot.storage.tables  # noqa: F401
from bot.storage.complaints import (
    UNREFLECTED_WARNINGS,
    is_expression_index,
    is_search_object,
)
from bot.storage.db import MIGRATION_LOCK, Database, SchemaBehind


async def test_migrations_match_the_models(db: Database) -> None:
    def differences(connection: Any) -> list[Any]:
        def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
            return not (type_ in ("table", "index") and is_search_object(name))

        def include_object(
            object_: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
        ) -> bool:
            return not (type_ == "index" and is_expression_index(name))

        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": include_name,
                "include_object": include_object,
            },
        )
        with warnings.catch_warnings():
            for message in UNREFLECTED_WARNINGS:
                warnings.filterwarnings("ignore", message)
            return list(compare_metadata(context, SQLModel.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(differences)
    assert diffs == []


def test_the_head_the_bot_checks_at_start_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from bot.storage.db import HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


async def test_processes_migrating_together_do_not_race(database_url: str) -> None:
    """Several workers (or deploy steps) started at once on a new database: one migrates, the
    others wait for its lock and find the schema done; seeding likewise happens once."""
    from bot.services.questionnaires import seed_templates
    from bot.storage.db import HEAD
    from bot.storage.places import Place, seed_places

    databases = [Database(database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(db.migrate() for db in databases))
        assert {await db.schema_version() for db in databases} == {HEAD}

        async def seed(db: Database) -> None:
            async with db.session() as session:
                await db.take_turn(session, MIGRATION_LOCK)
                await seed_places(session)
                await seed_templates(session)
                await session.commit()

        await asyncio.gather(*(seed(db) for db in databases))
        async with databases[0].session() as session:
            codes = (await session.exec(select(Place.code))).all()
        assert len(codes) == len(set(codes)) > 0
    finally:
        for db in databases:
            await db.dispose()


async def test_a_worker_that_does_not_migrate_refuses_an_older_schema(database_url: str) -> None:
    db = Database(database_url)
    try:
        with pytest.raises(SchemaBehind, match="empty"):
            await db.require_head()
        await db.migrate()
        await db.require_head()
    finally:
        await db.dispose()
