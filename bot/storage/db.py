"""The database: async engine, sessions, and schema migrations with Alembic."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage import sqlite_driver

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration; tests/storage check it is Alembic's head. A database already there
# starts without loading Alembic at all.
HEAD = "0027"
# The turn (advisory lock on PostgreSQL) that migrating and start-up seeding take: a key no
# chat id can be (the gate takes turns by chat id).
MIGRATION_LOCK = -(2**62) - 1


class SchemaBehind(RuntimeError):
    """The database's schema is older than this code; `python -m bot migrate` brings it up."""

    def __init__(self, version: str | None) -> None:
        self.version = version
        found = f"at revision {version}" if version else "empty"
        super().__init__(
            f"The database schema is {found}; this code needs revision {HEAD}. "
            "Run `python -m bot migrate` (once, as the deploy step) before starting workers, "
            "or set AUTO_MIGRATE=true."
        )


READ_ONLY = "suara_read_only"  # an execution option: this connection's work only reads


class Database:
    """Owns the engine; hands out one session per unit of work."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.is_postgresql = url.startswith("postgresql")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            database = _ensure_parent_dir(url)
            if database is None:
                kwargs["connect_args"] = {"timeout": 30}
            else:
                # One trip to aiosqlite's thread per statement (bot/storage/sqlite_driver.py).
                kwargs["async_creator"] = sqlite_driver.connector(database, timeout=30)
        else:
            # At most 2 x pool_size connections per process (the pool, and as many again
            # for bursts); docs/operations.md sizes PostgreSQL's max_connections from it.
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _sqlite_write_transactions(self.engine)
        # What this process keeps for all its sessions (storage/places.py's offered units),
        # in each session's `info` under "suara_shared".
        self.shared: dict[str, Any] = {}
        self._sessions = async_sessionmaker(
            self.engine,
            class_=AsyncSession,
            expire_on_commit=False,
            info={"suara_shared": self.shared},
        )
        # Pages that only read: on SQLite a deferred BEGIN, so they neither take nor wait for
        # the write lock (WAL gives them a snapshot); elsewhere the same as `session`.
        self._readers = async_sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}),
            class_=AsyncSession,
            expire_on_commit=False,
            info={"suara_shared": self.shared},
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for a unit of work that writes nothing (a web page): it reads a snapshot
        beside the writers instead of queueing behind them. Writing in it may fail on SQLite
        ("database is locked") when another writer got in first: use `session` to write."""
        async with self._readers() as session:
            yield session

    async def migrate(self) -> None:
        """Brings the schema to the newest revision. Several processes may call it at once:
        on PostgreSQL they queue on an advisory lock (migrations run in one transaction
        there), on SQLite on the write lock that BEGIN IMMEDIATE takes; the later ones find
        the schema at HEAD and do nothing."""
        async with self.engine.begin() as conn:
            if self.is_postgresql:
                await conn.execute(_advisory_xact_lock(MIGRATION_LOCK))
            if await conn.run_sync(_at_head):
                return
            await conn.run_sync(_upgrade_to_head)

    async def take_turn(self, session: AsyncSession, key: int) -> None:
        """Makes transactions that name the same key run one after another, across processes:
        on PostgreSQL an advisory lock held until the session's transaction ends; SQLite's
        BEGIN IMMEDIATE already runs every writing transaction in turn."""
        if self.is_postgresql:
            await session.exec(_advisory_xact_lock(key))

    async def schema_version(self) -> str | None:
        """The revision the database is at (None for a new, empty one)."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(_version)

    async def require_head(self) -> None:
        """For workers that do not migrate themselves: refuses a schema older than the code."""
        version = await self.schema_version()
        if version != HEAD:
            raise SchemaBehind(version)

    async def optimize(self) -> None:
        """Keeps SQLite's query planner informed (table statistics, as PostgreSQL's autovacuum
        does by itself): without them it may pick an index that reads every questionnaire
        of a period to find one program's. Cheap when nothing changed much."""
        if self.engine.dialect.name != "sqlite":
            return
        async with self.engine.connect() as conn:
            # Samples about 1000 rows per index: milliseconds even on millions of rows.
            await conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()

    async def dispose(self) -> None:
        await self.engine.dispose()


def _ensure_parent_dir(url: str) -> str | None:
    """The database file's path, its folder made; None for an in-memory database."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    return database


def _sqlite_write_transactions(engine: AsyncEngine) -> None:
    """WAL, and BEGIN IMMEDIATE so concurrent updates queue for the write lock.

    A deferred transaction that reads and then writes fails at once with "database is locked"
    when another writer got in between; an immediate one waits its turn instead.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            # A new file that several processes open at once: the one switching it to WAL
            # holds it, SQLite answers the others "locked" without waiting, and WAL (kept in
            # the file) is what every connection then finds when it begins.
            if "locked" not in str(exc):
                raise
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        begin = (
            "BEGIN" if conn.get_execution_options().get(READ_ONLY, False) else "BEGIN IMMEDIATE"
        )
        driver = conn.connection.driver_connection
        if isinstance(driver, sqlite_driver.OneTripConnection):
            driver.begin_with_next(begin)  # no trip of its own
        else:
            conn.exec_driver_sql(begin)


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _advisory_xact_lock(key: int) -> Any:
    return select(func.pg_advisory_xact_lock(key))


def _version(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None  # a new database
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _at_head(connection: Connection) -> bool:
    return _version(connection) == HEAD


def _upgrade_to_head(connection: Connection) -> None:
    from alembic import command  # only when there is something to migrate

    command.upgrade(alembic_config(connection), "head")
