"""Fixtures: a clean database per test (SQLite file, or PostgreSQL via TEST_DATABASE_URL), and
the real bot running against the local Bot API emulator."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from bot.sandbox.databases import scratch_database
from bot.sandbox.harness import Harness
from bot.services.questionnaires import forget_parsed
from bot.storage.db import Database

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ADMIN_ID = 9001


@pytest.fixture(autouse=True)
def _fresh_templates() -> Iterator[None]:
    """Parsed questionnaires are kept per process by template id, and every test has its own
    database, whose ids other tests' databases give other templates: each test starts and
    ends with none kept."""
    forget_parsed()
    yield
    forget_parsed()


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database of this test's own: a fresh SQLite file, or a new PostgreSQL database."""
    async with fresh_database(tmp_path) as url:
        yield url


def fresh_database(folder: Path) -> AbstractAsyncContextManager[str]:
    return scratch_database(TEST_DATABASE_URL or None, folder, "suara_test")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.migrate()
    yield database
    await database.dispose()


@asynccontextmanager
async def harness_with(database_url: str, **settings: str) -> AsyncIterator[Harness]:
    """The bot as the tests run it, with these settings besides."""
    # Tests tap far faster than people; the flood guard has a test of its own.
    # Weekly digests off: they would arrive in every test's chats on whatever day CI runs
    # (tests/e2e/test_digest.py turns them on with a clock of its own).
    running = Harness(
        database_url,
        BOT_ADMIN_IDS=str(ADMIN_ID),
        FLOOD_MESSAGES_PER_MINUTE="10000",
        DIGEST_SCHEDULE="off",
        **settings,
    )
    await running.start()
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    async with harness_with(database_url) as running:
        yield running
