"""Serving the workspace: beside the webhook route in webhook mode (bot/webhook.py mounts
`web_door(application).app`), on its own uvicorn server in polling mode when WEB_LISTEN is set."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn

from bot.web.app import WebDoor

if TYPE_CHECKING:
    from bot.app import SuaraApplication

log = logging.getLogger(__name__)


def web_door(application: SuaraApplication) -> WebDoor:
    """The workspace on the application's core, its bot (for files) and its outbox."""
    state = application.bot_data
    return WebDoor(state.core, application.bot, nudge=state.outbox.nudge_async)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the runner decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebServer:
    """The workspace on WEB_LISTEN, in the polling process."""

    def __init__(self, door: WebDoor, host: str, port: int) -> None:
        self.door = door
        self._config = uvicorn.Config(
            door.app, host=host, port=port, lifespan="off", log_config=None, access_log=False
        )
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The port actually listened on (WEB_LISTEN may say 0 in tests)."""
        assert self._server is not None and self._server.servers
        return int(self._server.servers[0].sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = _Server(self._config)
        self._task = asyncio.create_task(self._server.serve(), name="suara-web")
        while not self._server.started:
            if self._task.done():
                await self._task  # raises why it could not listen
                raise RuntimeError("the workspace could not listen")
            await asyncio.sleep(0.01)
        log.info("the workspace is served on port %d", self.port)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._server = None
        self._task = None
