"""Scratch databases for tests and benchmarks: a new SQLite file, or a new database on a
PostgreSQL server, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine


@asynccontextmanager
async def scratch_database(
    server_url: str | None, folder: Path, prefix: str = "suara_scratch"
) -> AsyncIterator[str]:
    """Yields the URL of an empty database: a file in `folder`, or, when `server_url` names a
    PostgreSQL server, a database created there (and dropped, connections and all, after)."""
    suffix = uuid.uuid4().hex[:12]
    if not server_url:
        yield f"sqlite+aiosqlite:///{folder / f'{prefix}-{suffix}.db'}"
        return
    base = make_url(server_url).set(drivername="postgresql+asyncpg")
    name = f"{prefix}_{suffix}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()
