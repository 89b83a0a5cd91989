"""The real bot wired to the emulator: used by tests, the sandbox, the demo and benchmarks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from bot.config import Settings
from bot.runner import BotRunner
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import outbox
from bot.storage.db import Database


async def replies_settled(db: Database) -> bool:
    """No reply refused by Telegram (429) still waits in the outbox: what a test reads after
    an update is acknowledged is all the bot will answer to it."""
    async with db.session() as session:
        return await outbox.replies_waiting(session) == 0


class Harness:
    """An emulator and a running bot on one database; restart() plays a process restart."""

    def __init__(
        self,
        database_url: str,
        clock: Callable[[], dt.datetime] | None = None,
        **settings: Any,
    ) -> None:
        self.emulator = BotApiEmulator()
        # What time the bot's scheduled work believes it is (tests of weekly work set it).
        self.clock = clock
        self.database_url = database_url
        self._settings = settings
        self.runner: BotRunner | None = None

    @property
    def settings(self) -> Settings:
        return Settings(
            TELEGRAM_BOT_TOKEN=SecretStr(self.emulator.token),
            TELEGRAM_API_BASE_URL=self.emulator.base_url,
            DATABASE_URL=self.database_url,
            **self._settings,
        )

    async def start(self) -> None:
        if not self.emulator.port:
            await self.emulator.start()
        self.runner = BotRunner(self.settings)
        if self.clock is not None:
            self.runner.application.bot_data.clock = self.clock
        await self.runner.start()
        db = self.runner.application.bot_data.db
        self.emulator.settle = lambda: replies_settled(db)

    async def stop(self, *, crash: bool = False) -> None:
        if self.runner is not None:
            await self.runner.stop(acknowledge=not crash)
            self.runner = None

    async def restart(self, *, crash: bool = False) -> None:
        """Stops the bot (as a crash would, if asked) and starts a new one on the same data."""
        await self.stop(crash=crash)
        await self.start()

    async def close(self) -> None:
        await self.stop()
        await self.emulator.close()

    async def __aenter__(self) -> Harness:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
