"""aiosqlite with one trip to its thread per statement, where SQLAlchemy makes four.

aiosqlite runs each sqlite3 call on the connection's own thread, and SQLAlchemy's adapter calls
it four times per statement: make a cursor, execute, fetch the rows, close the cursor. Each trip
is a queue put, a thread wake-up, and a wake-up of the event loop through its self-pipe: about
as much CPU as the statement itself takes SQLite on the small indexed reads an update makes.
This connection does the four in one trip: the cursor is made, run, read and closed on the
thread, and what SQLAlchemy reads afterwards (the rows, the description, rowcount, lastrowid)
is kept. Statements, transactions and locking are SQLite's as before; only the number of hops
changes. SQLAlchemy takes it through `create_async_engine(async_creator=...)`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import aiosqlite

_NO_PARAMETERS: tuple[Any, ...] = ()


def _run(
    connection: sqlite3.Connection, begin: str | None, sql: str, parameters: Any, many: bool
) -> tuple[sqlite3.Cursor, list[Any]]:
    """On the connection's thread: the transaction's BEGIN if it waits, the statement, its
    rows, and the cursor closed."""
    cursor = connection.cursor()
    try:
        if begin is not None:
            cursor.execute(begin)
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
    finally:
        cursor.close()
    return cursor, rows


class OneTripCursor(aiosqlite.Cursor):
    """A cursor whose execute also fetches; the rows wait here for SQLAlchemy to take."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        # The sqlite3 cursor is made on the thread when the statement runs.
        super().__init__(connection, None)  # type: ignore[arg-type]
        self._rows: list[Any] = []

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> OneTripCursor:
        conn = self._conn
        assert isinstance(conn, OneTripConnection)
        self._cursor, self._rows = await conn._execute(
            _run, conn._conn, conn.take_begin(), sql, parameters or _NO_PARAMETERS, False
        )
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneTripCursor:
        conn = self._conn
        assert isinstance(conn, OneTripConnection)
        self._cursor, self._rows = await conn._execute(
            _run, conn._conn, conn.take_begin(), sql, parameters, True
        )
        return self

    async def fetchall(self) -> Sequence[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = self.arraysize if size is None else size
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def close(self) -> None:
        """Closed on the thread already, right after its statement."""
        self._rows = []

    @property
    def description(self) -> Any:
        return self._cursor.description if self._cursor is not None else None

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount if self._cursor is not None else -1

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid if self._cursor is not None else None


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors make one trip per statement, whose BEGIN
    travels with the transaction's first statement, and whose COMMIT or ROLLBACK outside
    a transaction (SQLAlchemy's reset when a connection goes back to the pool) makes none."""

    _begin: str | None = None

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        # No trip to make a cursor: SQLAlchemy enters it (`__aenter__` returns it) and runs
        # one statement on it.
        return OneTripCursor(self)

    def begin_with_next(self, statement: str) -> None:
        """Runs `statement` (BEGIN IMMEDIATE) on the thread just before the next one."""
        self._begin = statement

    def take_begin(self) -> str | None:
        begin, self._begin = self._begin, None
        return begin

    async def commit(self) -> None:
        self._begin = None  # a transaction that ran nothing has nothing to commit
        if self._conn.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        self._begin = None
        if self._conn.in_transaction:
            await super().rollback()


def connector(database: str, **kwargs: Any) -> Callable[[], aiosqlite.Connection]:
    """The `async_creator` for SQLAlchemy: opens `database` as aiosqlite.connect would."""

    def create() -> aiosqlite.Connection:
        # Only `in_transaction` is read from the event loop's thread, between statements,
        # when the connection's thread is idle; every call on the database stays there.
        connection = OneTripConnection(
            lambda: sqlite3.connect(database, check_same_thread=False, **kwargs), 64
        )
        # As SQLAlchemy does for aiosqlite's own: the thread never keeps the process alive.
        connection._thread.daemon = True
        return connection  # awaited by SQLAlchemy, which starts the thread and connects

    return create
