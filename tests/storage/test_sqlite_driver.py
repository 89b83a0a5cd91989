"""The one-trip SQLite connection: the same results as aiosqlite's, one trip per statement, and
the write lock taken with a transaction's first statement, as BEGIN IMMEDIATE took it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.storage.db import Database
from bot.storage.sqlite_driver import OneTripConnection


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> Any:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'one-trip.db'}")
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    yield database
    await database.dispose()


async def test_rows_counts_and_ids_come_back_as_from_aiosqlite(sqlite_db: Database) -> None:
    async with sqlite_db.engine.begin() as conn:
        first = await conn.execute(text("INSERT INTO notes (body) VALUES ('a')"))
        assert first.lastrowid == 1
        await conn.execute(
            text("INSERT INTO notes (body) VALUES (:body)"), [{"body": "b"}, {"body": "c"}]
        )
        changed = await conn.execute(text("UPDATE notes SET body = 'z' WHERE id > 1"))
        assert changed.rowcount == 2
        rows = (await conn.execute(text("SELECT id, body FROM notes ORDER BY id"))).all()
        assert [tuple(row) for row in rows] == [(1, "a"), (2, "z"), (3, "z")]
        one = await conn.execute(text("SELECT body FROM notes WHERE id = 3"))
        assert one.scalar_one() == "z"
        assert (await conn.execute(text("SELECT body FROM notes WHERE id = 9"))).first() is None


async def test_one_trip_per_statement_and_begin_travels_with_the_first(
    sqlite_db: Database,
) -> None:
    async with sqlite_db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, OneTripConnection)
        trips: list[str] = []
        queue = driver._execute

        async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
            trips.append(getattr(fn, "__name__", "?"))
            return await queue(fn, *args, **kwargs)

        driver._execute = counted  # type: ignore[method-assign]
        await conn.execute(text("SELECT count(*) FROM notes"))
        await conn.execute(text("INSERT INTO notes (body) VALUES ('x')"))
        await conn.commit()
        # BEGIN IMMEDIATE and the SELECT in one trip, the INSERT in one, the COMMIT in one.
        assert trips == ["_run", "_run", "commit"]
        trips.clear()
        await conn.rollback()  # nothing open: no trip at all
        assert trips == []


async def test_the_first_statement_takes_the_write_lock(
    sqlite_db: Database, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "one-trip.db", timeout=0, isolation_level=None)
    try:
        async with sqlite_db.engine.connect() as conn:
            await conn.execute(text("SELECT count(*) FROM notes"))  # a read, first
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            await conn.rollback()
        other.execute("BEGIN IMMEDIATE")  # free again once the transaction ended
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_a_failed_statement_rolls_back_its_whole_transaction(sqlite_db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with sqlite_db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO notes (id, body) VALUES (1, 'kept?')"))
            await conn.execute(text("INSERT INTO notes (id, body) VALUES (1, 'twice')"))
    async with sqlite_db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 0
