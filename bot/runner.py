"""Runs the bot in polling mode: the application, the gate and the poller together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING, Protocol

from bot.app import SuaraApplication, build_application, prepare, shutdown
from bot.config import Settings
from bot.updates import Poller, UpdateGate

if TYPE_CHECKING:
    from bot.web.server import WebServer

log = logging.getLogger(__name__)


class BotRunner:
    """Start, stop, and start again on the same database: what a deployment and tests do."""

    def __init__(self, settings: Settings, application: SuaraApplication | None = None) -> None:
        self.settings = settings
        self.application = application or build_application(settings)
        state = self.application.bot_data
        self.gate = UpdateGate(self.application, on_durable=state.outbox.nudge_async)
        self.poller = Poller(self.application, self.gate)
        self._task: asyncio.Task[None] | None = None
        # The organizers' workspace, on its own port when WEB_LISTEN is set.
        self.web: WebServer | None = None
        address = settings.web_address
        if address is not None:
            # Starlette, Jinja2 and uvicorn load only for a workspace that is served.
            from bot.web.server import WebServer, web_door

            self.web = WebServer(web_door(self.application), *address)

    async def start(self) -> None:
        await prepare(self.application)
        # getUpdates is refused while a webhook is set (a deployment moving back from
        # webhook workers to one polling process); updates waiting there are kept.
        await self.application.bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self.poller.run(), name="suara-poller")
        if self.web is not None:
            await self.web.start()
        log.info("Suara is polling for updates")

    async def stop(self, *, acknowledge: bool = True) -> None:
        """Stops polling; without acknowledge it stops as a crash would, leaving the last
        batch for Telegram to send again."""
        if self.web is not None:
            await self.web.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if acknowledge:
            await self.poller.acknowledge()
        await shutdown(self.application)


class Service(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def run_until_signal(service: Service) -> None:
    """Starts the polling runner or a webhook worker; on SIGTERM or SIGINT stops it cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await service.start()
    except BaseException:
        # What was opened before the failure (the database, Telegram's connections) closes;
        # the failure itself is what the caller reports.
        with contextlib.suppress(Exception):
            await service.stop()
        raise
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        await service.stop()
