"""aiosqlite with one trip to its thread per statement, where SQLAlchemy makes four.

aiosqlite runs each sqlite3 call on the connection's own thread, and SQLAlchemy's adapter calls
it four times per statement: make a cursor, execute, fetch the rows, close the cursor. Each trip
is a queue put, a thread wake-up, and a wake-up of the event loop through its self-pipe: about
as much CPU as the statement itself takes SQLite on the small indexed reads an update makes.
This connection does the four in one trip: the cursor is made, run, read and closed on the
thread, and what SQLAlchemy reads afterwards (the rows, the description, rowcount, lastrowid)
is kept. Statements, transactions and locking are SQLite's as before; only the number of hops
changes. SQLAlchemy takes it through `create_async_engine(async_creator=...)`.

A write transaction may also run on the event loop's own thread, with no trip at all
(`begin_with_next(..., inline=True)`: the gate's updates, whose statements are small indexed
ones): its BEGIN IMMEDIATE is tried there without waiting, and once it holds the write lock
no statement of the transaction waits for another connection (WAL: readers never block it),
so each runs in the microseconds SQLite needs. When another connection holds the lock, the
BEGIN waits for it on the thread as before, and that transaction goes on there.
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
        return await self._statement(sql, parameters or _NO_PARAMETERS, False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneTripCursor:
        return await self._statement(sql, parameters, True)

    async def _statement(self, sql: str, parameters: Any, many: bool) -> OneTripCursor:
        conn = self._conn
        assert isinstance(conn, OneTripConnection)
        begin = conn.take_begin()
        if conn.inline or (begin is not None and conn.begin_here(begin)):
            if not conn._conn.in_transaction:
                # SQLite ended the transaction itself (an I/O error, a full disk): nothing
                # more of it may run, least of all as statements committed one by one.
                raise sqlite3.OperationalError("the transaction was rolled back by SQLite")
            self._cursor, self._rows = _run(conn._conn, None, sql, parameters, many)
        else:
            self._cursor, self._rows = await conn._execute(
                _run, conn._conn, begin, sql, parameters, many
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
    _try_here = False  # the pending BEGIN may run on the event loop's thread
    inline = False  # the open transaction runs on the event loop's thread
    busy_ms = 30_000  # how long a BEGIN waits for the write lock (on the thread)

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        # No trip to make a cursor: SQLAlchemy enters it (`__aenter__` returns it) and runs
        # one statement on it.
        return OneTripCursor(self)

    def begin_with_next(self, statement: str, *, inline: bool = False) -> None:
        """Runs `statement` (BEGIN IMMEDIATE) just before the next one: on the thread, or
        with `inline` on the event loop's thread when the write lock is free at once."""
        self._begin = statement
        self._try_here = inline

    def take_begin(self) -> str | None:
        begin, self._begin = self._begin, None
        return begin

    def begin_here(self, begin: str) -> bool:
        """Tries the transaction's BEGIN IMMEDIATE on this thread without waiting; True when
        it holds the write lock (the transaction then runs here), False when another
        connection holds it (the BEGIN waits on the thread)."""
        if not self._try_here:
            return False
        self._try_here = False
        raw = self._conn
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            raw.execute(begin)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):  # SQLITE_BUSY: another connection writes
                raise
            return False
        finally:
            raw.execute(f"PRAGMA busy_timeout = {self.busy_ms}")
        self.inline = True
        return True

    async def commit(self) -> None:
        self._begin = None  # a transaction that ran nothing has nothing to commit
        if self.inline:
            self.inline = False
            self._conn.commit()
        elif self._conn.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        self._begin = None
        if self.inline:
            self.inline = False
            self._conn.rollback()
        elif self._conn.in_transaction:
            await super().rollback()


def connector(database: str, **kwargs: Any) -> Callable[[], aiosqlite.Connection]:
    """The `async_creator` for SQLAlchemy: opens `database` as aiosqlite.connect would."""

    def create() -> aiosqlite.Connection:
        # Only `in_transaction` is read from the event loop's thread, between statements,
        # when the connection's thread is idle; every call on the database stays there.
        connection = OneTripConnection(
            lambda: sqlite3.connect(database, check_same_thread=False, **kwargs), 64
        )
        connection.busy_ms = int(kwargs.get("timeout", 5.0) * 1000)
        # As SQLAlchemy does for aiosqlite's own: the thread never keeps the process alive.
        connection._thread.daemon = True
        return connection  # awaited by SQLAlchemy, which starts the thread and connects

    return create
