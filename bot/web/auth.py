"""Who a web request is: Telegram Mini App launch data checked as Telegram specifies, and the
signed session cookie (with its CSRF token) that follows.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app:
secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token); the hash is the hex
HMAC_SHA256(key=secret_key, msg=data_check_string), where data_check_string is every received
field but `hash` as `key=value`, sorted by key, joined with line feeds. Nothing else the client
sends is trusted.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

# A few minutes of clock difference between Telegram and this server are tolerated.
FUTURE_SKEW = 300
MAX_LAUNCH_DATA = 8192


class InvalidLaunch(Exception):
    """The launch data is not Telegram's, not for this bot, or too old."""


@dataclass(frozen=True)
class LaunchUser:
    user_id: int
    language_code: str | None
    auth_date: int


def launch_secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign_launch_data(fields: dict[str, str], bot_token: str) -> str:
    """The hash Telegram puts in launch data with these fields (tests and the sandbox sign)."""
    return hmac.new(
        launch_secret(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()


def check_launch_data(init_data: str, bot_token: str, *, now: float, max_age: int) -> LaunchUser:
    """The user Telegram vouches for in `init_data`, or InvalidLaunch."""
    if not init_data or len(init_data) > MAX_LAUNCH_DATA:
        raise InvalidLaunch("empty or too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InvalidLaunch("not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidLaunch("a field given twice")
    given = fields.get("hash", "")
    expected = sign_launch_data(fields, bot_token)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InvalidLaunch("hash does not match")
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InvalidLaunch("no user or auth_date") from None
    if now - auth_date > max_age:
        raise InvalidLaunch("too old")
    if auth_date - now > FUTURE_SKEW:
        raise InvalidLaunch("from the future")
    language = user.get("language_code")
    return LaunchUser(user_id, language if isinstance(language, str) else None, auth_date)


# -- the session cookie -----------------------------------------------------------------------


@dataclass(frozen=True)
class WebSession:
    user_id: int  # 0: not logged in (a visitor with a CSRF token for the login forms)
    csrf: str
    expires: int

    @classmethod
    def new(cls, user_id: int, *, now: float, seconds: int) -> WebSession:
        return cls(user_id, secrets.token_urlsafe(24), int(now) + seconds)


class SessionSigner:
    """Signs the session cookie with a key derived from the bot token (HMAC-SHA256)."""

    def __init__(self, bot_token: str) -> None:
        self._key = hmac.new(b"SuaraWebSession", bot_token.encode(), hashlib.sha256).digest()

    def _mac(self, body: bytes) -> str:
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()

    def dump(self, session: WebSession) -> str:
        payload = json.dumps({"u": session.user_id, "c": session.csrf, "e": session.expires})
        body = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=")
        return f"{body.decode()}.{self._mac(body)}"

    def load(self, value: str | None, *, now: float) -> WebSession | None:
        """The session in a cookie this server signed and that has not expired, else None."""
        if not value or len(value) > 1024 or "." not in value:
            return None
        body, _, mac = value.rpartition(".")
        if not hmac.compare_digest(mac.encode(), self._mac(body.encode()).encode()):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            session = WebSession(int(data["u"]), str(data["c"]), int(data["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > now else None


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


Page = Callable[[Any, "Request", WebSession], Awaitable["Response"]]


def signed_in(route: Page) -> Callable[[Any, Request], Awaitable[Response]]:
    """A workspace route for people who signed in: a visitor (no session, or a visitor's one)
    is sent to the start page, and the route is given the session. On the door's own routes
    the owner is the door; on its modules' the owner holds it as `door`."""

    @functools.wraps(route)
    async def page(owner: Any, request: Request) -> Response:
        door = getattr(owner, "door", owner)
        session = door.session_of(request)
        if session is None or not session.user_id:
            response: Response = door.to_login(request)
            return response
        return await route(owner, request, session)

    return page
