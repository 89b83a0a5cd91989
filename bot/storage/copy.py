"""Moving a deployment from SQLite to PostgreSQL (or between any two databases Suara uses).

    DATABASE_URL=postgresql://suara@db/suara python -m bot migrate --copy-from sqlite:///data/suara.db

The target is brought to the newest schema and must be empty; the source must be at the same
schema (start the bot on it once, or run `python -m bot migrate` against it, first). Tables are
copied parent before child in chunks, PostgreSQL's id sequences are moved past the copied ids,
and every table's row count is compared at the end. Stop the bot before copying: rows written
meanwhile would be missing from the copy.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, func, select, text
from sqlmodel import SQLModel

import bot.storage.tables  # noqa: F401  (every table registered)
from bot.storage.db import HEAD, Database

CHUNK = 2000


class CopyError(Exception):
    """Why the copy did not start; nothing was written."""


@dataclass
class Copied:
    table: str
    source: int
    target: int


async def _count(db: Database, table: Table) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar() or 0)


async def copy_database(source_url: str, target_url: str) -> list[Copied]:
    source, target = Database(source_url), Database(target_url)
    try:
        if await source.schema_version() != HEAD:
            raise CopyError(
                "the source database is not at the newest schema: run `python -m bot migrate` "
                "with DATABASE_URL set to it first"
            )
        await target.migrate()
        tables = [t for t in SQLModel.metadata.sorted_tables]
        for table in tables:
            if await _count(target, table):
                raise CopyError(f"the target database is not empty (table {table.name})")
        for table in tables:
            await _copy_table(source, target, table)
        if target.engine.dialect.name == "postgresql":
            await _move_sequences(target, tables)
        return [
            Copied(table.name, await _count(source, table), await _count(target, table))
            for table in tables
        ]
    finally:
        await source.dispose()
        await target.dispose()


async def _copy_table(source: Database, target: Database, table: Table) -> None:
    order = list(table.primary_key.columns) or list(table.columns)
    async with source.engine.connect() as reader, target.engine.begin() as writer:
        result = await reader.stream(select(table).order_by(*order))
        async for chunk in result.mappings().partitions(CHUNK):
            await writer.execute(table.insert(), [dict(row) for row in chunk])


async def _move_sequences(target: Database, tables: list[Table]) -> None:
    async with target.engine.begin() as conn:
        for table in tables:
            for column in table.primary_key.columns:
                if column.autoincrement is True or (
                    column.autoincrement == "auto" and column.type.python_type is int
                ):
                    sequence = (
                        await conn.execute(
                            text("SELECT pg_get_serial_sequence(:t, :c)"),
                            {"t": table.name, "c": column.name},
                        )
                    ).scalar()
                    if sequence:
                        await conn.execute(
                            text(
                                f"SELECT setval('{sequence}', "
                                f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, "
                                "false)"
                            )
                        )
