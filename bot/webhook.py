"""Webhook mode: Telegram posts each update to this worker; it answers 200 only once the
update's effects are committed.

Any number of workers may run behind a load balancer on one PostgreSQL database. Each POST goes
through the same `UpdateGate` as polling: the update id recorded with the effects (a redelivery
is a no-op), one chat's updates taking turns on a lock in the database. A failure answers 500,
and Telegram sends the update again later, to this worker or another. Telegram signs every
request with the secret given to setWebhook; anything else gets 403.

On SIGTERM the worker says it is not ready (so the balancer stops choosing it), stops accepting
connections, finishes the updates in flight and answers them, then stops its jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Iterator

import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from telegram import Update

from bot.app import SuaraApplication, build_application, prepare, shutdown
from bot.config import Settings
from bot.updates import UpdateGate
from bot.web.server import web_door

log = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"
# Telegram's updates are a few kilobytes; anything far larger is not from Telegram.
MAX_BODY = 1024 * 1024
# How long a stopping worker waits for the updates in flight before it gives up on them (they
# are then not acknowledged, and Telegram sends them again).
GRACE_SECONDS = 30
READY_TIMEOUT = 2.0


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the worker decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebhookWorker:
    """One worker: the ASGI app, its uvicorn server, the application and its jobs."""

    def __init__(self, settings: Settings, application: SuaraApplication | None = None) -> None:
        if not settings.webhook_url or settings.webhook_secret is None:
            raise ValueError("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET")
        self.settings = settings
        self.application = application or build_application(settings)
        state = self.application.bot_data
        self.gate = UpdateGate(self.application, on_durable=state.outbox.nudge_async)
        self._secret = settings.webhook_secret.get_secret_value().encode()
        self.ready = False
        self.in_flight = 0
        self._server: _Server | None = None
        self._serving: asyncio.Task[None] | None = None
        routes: list[BaseRoute] = [
            Route(settings.webhook_path, self.receive, methods=["POST"]),
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/readyz", self.readyz, methods=["GET"]),
        ]
        if settings.web_base_url:
            # The organizers' workspace, beside the webhook route on the same port.
            routes.append(Mount("/", app=web_door(self.application).app))
        self.asgi = Starlette(routes=routes)

    # -- endpoints ------------------------------------------------------------------------------

    async def receive(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return PlainTextResponse("forbidden", status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("too large", status_code=413)
        try:
            update = Update.de_json(json.loads(body), self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            update = None
        if update is None:
            log.warning("webhook body is not an update; answered 400")
            return PlainTextResponse("not an update", status_code=400)
        self.in_flight += 1
        try:
            await self.gate.process_batch([update])
        except Exception:
            # Nothing of it is committed: Telegram sends it again, here or to another worker.
            log.exception("update %s not committed; answered 500", update.update_id)
            return PlainTextResponse("not applied", status_code=500)
        finally:
            self.in_flight -= 1
        return PlainTextResponse("ok")

    async def healthz(self, request: Request) -> Response:
        """The process is alive (a supervisor restarts it otherwise)."""
        return PlainTextResponse("ok")

    async def readyz(self, request: Request) -> Response:
        """Send updates here: started, not stopping, and the database answers."""
        if not self.ready:
            return PlainTextResponse("not ready", status_code=503)
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                async with self.application.bot_data.db.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("readiness check: database unreachable (%s)", type(exc).__name__)
            return PlainTextResponse("database unreachable", status_code=503)
        return PlainTextResponse("ok")

    # -- life cycle -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port actually listened on (WEBHOOK_LISTEN may say 0 in tests)."""
        assert self._server is not None and self._server.servers
        return int(self._server.servers[0].sockets[0].getsockname()[1])

    async def start(self, *, register: bool = True) -> None:
        """Prepares the application (schema, jobs), listens, and registers the webhook."""
        await prepare(self.application)
        host, port = self.settings.webhook_address
        config = uvicorn.Config(
            self.asgi,
            host=host,
            port=port,
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=GRACE_SECONDS,
            # Telegram's requests carry the update; keep the connection for the next one.
            timeout_keep_alive=65,
        )
        self._server = _Server(config)
        self._serving = asyncio.create_task(self._server.serve(), name="suara-webhook")
        while not self._server.started:
            if self._serving.done():
                await self._serving  # raises why it could not listen
                raise RuntimeError(f"could not listen on {self.settings.webhook_listen}")
            await asyncio.sleep(0.01)
        self.ready = True
        if register:
            await self.register()
        log.info(
            "Suara takes webhook updates on %s, path %s",
            self.settings.webhook_listen,
            self.settings.webhook_path,
        )

    async def register(self) -> None:
        """setWebhook: the same call from every worker, so any of them may make it."""
        assert self.settings.webhook_url and self.settings.webhook_secret
        await self.application.bot.set_webhook(
            url=self.settings.webhook_url,
            secret_token=self.settings.webhook_secret.get_secret_value(),
            max_connections=self.settings.webhook_max_connections,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )

    async def stop(self) -> None:
        """Stops taking updates, answers those in flight, then stops the jobs. The webhook
        stays registered: the other workers (or this one, restarted) take the next updates."""
        self.ready = False
        log.info("finishing %d updates in flight", self.in_flight)
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._serving
            self._server = None
            self._serving = None
        await shutdown(self.application)
