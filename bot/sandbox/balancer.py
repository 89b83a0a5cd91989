"""A small round-robin load balancer, in place of nginx in tests and benchmarks of webhook
workers: each request goes to the next worker; a worker that refuses the connection (stopped,
restarting) is skipped for the next one, as nginx's `proxy_next_upstream error` does. Its
answer, 200 or not, goes back to the emulator unchanged."""

from __future__ import annotations

import itertools
import socket

import aiohttp
from aiohttp import web


def free_port() -> int:
    """A loopback port nobody listens on now, for a worker started as a process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Balancer:
    def __init__(self, upstreams: list[str]) -> None:
        self.upstreams = list(upstreams)
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.port = 0
        self.served: dict[str, int] = {}  # upstream -> requests it answered

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        return f"http://127.0.0.1:{self.port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()  # first stop taking requests
        if self._http is not None:
            await self._http.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        first = next(self._turn)
        for attempt in range(len(self.upstreams)):
            upstream = self.upstreams[(first + attempt) % len(self.upstreams)]
            try:
                async with self._http.request(
                    request.method, upstream + request.path_qs, data=body, headers=headers
                ) as answer:
                    data = await answer.read()
                    self.served[upstream] = self.served.get(upstream, 0) + 1
                    return web.Response(status=answer.status, body=data)
            except aiohttp.ClientConnectionError:
                continue
        return web.Response(status=502, text="no worker answered")
