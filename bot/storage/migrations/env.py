"""Alembic environment: runs on the connection the bot hands over, or on DATABASE_URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import bot.storage.tables  # noqa: F401  (registers every table on the metadata)

target_metadata = SQLModel.metadata


def _include_name(name, type_, parent_names) -> bool:
    # The word search's full-text table and trigram index are made by hand (0021).
    from bot.storage.complaints import is_search_object

    return not (type_ in ("table", "index") and is_search_object(name))


def _include_object(object_, name, type_, reflected, compare_to) -> bool:
    # The inbox's order index is on expressions, which Alembic cannot compare (0027).
    from bot.storage.complaints import is_expression_index

    return not (type_ == "index" and is_expression_index(name))


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_include_name,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_settings() -> None:
    from bot.config import load_settings

    engine = create_async_engine(load_settings().database_url)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_from_settings())
