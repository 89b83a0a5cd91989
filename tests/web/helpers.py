"""The workspace in tests: the real bot and its web door on the emulator, launch data signed
as Telegram signs it, and sessions for each kind of person."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.sandbox.harness import Harness
from bot.web.app import COOKIE, WebDoor
from bot.web.auth import WebSession, sign_launch_data
from tests.conftest import ADMIN_ID

WEB_SETTINGS: dict[str, Any] = {
    "BOT_ADMIN_IDS": str(ADMIN_ID),
    "FLOOD_MESSAGES_PER_MINUTE": "10000",
    "DIGEST_SCHEDULE": "off",
    "WEB_LISTEN": "127.0.0.1:0",
}


@asynccontextmanager
async def web_harness(database_url: str, **settings: Any) -> AsyncIterator[Harness]:
    running = Harness(database_url, **{**WEB_SETTINGS, **settings})
    await running.start()
    try:
        yield running
    finally:
        await running.close()


def door(harness: Harness) -> WebDoor:
    assert harness.runner is not None and harness.runner.web is not None
    return harness.runner.web.door


def base_url(harness: Harness) -> str:
    assert harness.runner is not None and harness.runner.web is not None
    return f"http://127.0.0.1:{harness.runner.web.port}"


def launch_data(
    bot_token: str,
    user_id: int,
    *,
    auth_date: int | None = None,
    first_name: str = "Rina",
    language: str = "id",
) -> str:
    """Mini App launch data (initData) for this user, signed as Telegram signs it."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(
            {"id": user_id, "first_name": first_name, "language_code": language},
            separators=(",", ":"),
        ),
        "auth_date": str(auth_date if auth_date is not None else int(time.time())),
    }
    fields["hash"] = sign_launch_data(fields, bot_token)
    return urlencode(fields)


def session_cookie(harness: Harness, user_id: int) -> dict[str, str]:
    """The cookie of a logged-in session of `user_id`, as the server signs it."""
    session = WebSession.new(user_id, now=time.time(), seconds=3600)
    return {COOKIE: door(harness).signer.dump(session)}


def csrf_of(harness: Harness, cookies: dict[str, str]) -> str:
    session = door(harness).signer.load(cookies[COOKIE], now=time.time())
    assert session is not None
    return session.csrf


def client(harness: Harness, cookies: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url(harness), cookies=cookies or {}, follow_redirects=False, timeout=20
    )
