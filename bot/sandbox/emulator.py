"""A local Bot API server: the bot talks HTTP to it as to Telegram; code plays the users.

It speaks the subset of the Bot API that Suara uses, checks requests the way Telegram does
(text length, HTML entities, button data size, blocked users) and records everything the bot
sends. Tests, the interactive sandbox, the scripted demo and the benchmarks all use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import math
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.web_request import FileField

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
_JSON_FIELDS = {
    "reply_markup",
    "link_preview_options",
    "commands",
    "scope",
    "allowed_updates",
    "entities",
    "caption_entities",
    "reply_parameters",
    "media",
    "menu_button",
}
_ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}


_SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass
class Persona:
    """A Telegram user played by code (or by a person in the sandbox)."""

    id: int
    first_name: str
    language_code: str | None = "id"
    username: str | None = None
    blocked_bot: bool = False

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            data["language_code"] = self.language_code
        if self.username:
            data["username"] = self.username
        return data

    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


@dataclass
class BotMessage:
    """A message the bot sent, as it stands now (edits change it in place)."""

    chat_id: int
    message_id: int
    text: str = ""
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    kind: str = "text"
    file_id: str | None = None
    file_name: str | None = None
    file_bytes: bytes | None = None
    edits: int = 0

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    @property
    def plain(self) -> str:
        """The text as the user reads it: tags removed, entities decoded."""
        return _strip_html(self.text) if self.parse_mode == "HTML" else self.text

    def as_dict(self, bot: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": bot,
        }
        if self.kind == "text":
            data["text"] = self.plain
        elif self.kind == "photo":
            data["photo"] = [_photo_size(self.file_id or "")]
            data["caption"] = self.plain
        elif self.kind == "document":
            data["document"] = {
                "file_id": self.file_id,
                "file_unique_id": f"u{self.file_id}",
                "file_name": self.file_name,
            }
        elif self.kind == "voice":
            data["voice"] = {
                "file_id": self.file_id,
                "file_unique_id": f"u{self.file_id}",
                "duration": 1,
            }
        if self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data


@dataclass
class Event:
    """Something the bot did in a chat, in order: a new message or an edit."""

    kind: str  # "send" | "edit"
    message: BotMessage
    text: str


@dataclass
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool


@dataclass
class _Chat:
    persona: Persona
    messages: dict[int, BotMessage] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    next_message_id: int = 1


class BotApiEmulator:
    """The server and the remote control for the users."""

    def __init__(self, token: str = "123456:SANDBOX-token", bot_username: str = "suara_bot"):
        self.token = token
        self.bot_user = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Suara",
            "username": bot_username,
        }
        self._chats: dict[int, _Chat] = {}
        self._pending: list[dict[str, Any]] = []
        self._sent_updates: dict[int, dict[str, Any]] = {}
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self.acknowledged = 0
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.commands: dict[str | None, list[dict[str, Any]]] = {}
        # setChatMenuButton: chat id (None: the default) -> the menu button as sent.
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        # getFile: file id -> its bytes (files users sent; others get a few bytes of their own).
        self.files: dict[str, bytes] = {}
        self.downloads: list[str] = []
        self.listeners: list[Callable[[Event], None]] = []
        self._runner: web.AppRunner | None = None
        self._poll_generation = 0
        self._in_flight = 0
        # Seconds each call but getUpdates takes, as a slow network would; and the most calls
        # that were ever in progress at once (getUpdates included).
        self.latency = 0.0
        self.max_in_flight = 0
        self._closing = False
        self.port = 0
        # Telegram's flood limits for messages the bot sends (not edits or button answers):
        # about 30 a second overall, and about one a second per chat with short bursts
        # tolerated (a bucket of `chat_burst`, refilled at `chat_per_second`). Over them the
        # call is answered 429 with retry_after, as Telegram does.
        self.global_per_second = 30
        self.chat_burst = 20
        self.chat_per_second = 1.0
        self.rate_limited = 0  # 429s answered
        self.rejected: list[tuple[str, str]] = []  # (method, reason) of every 400 answered
        self.send_times: dict[int, list[float]] = {}  # chat -> monotonic times of sends
        self._recent_sends: deque[float] = deque()
        self._chat_buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)
        self._forced_429: list[int] = []  # retry_after of the next sends, forced by a test
        self._forced_429_to: dict[int, list[int]] = {}  # the same, for one chat
        self._lost: dict[str, int] = {}  # method -> how many of its next calls never arrive
        # Sends answered 429 and not yet made again: chat -> fingerprint -> how many. The bot
        # owes these messages; a chat is settled when it owes none.
        self._owed: dict[int, Counter[str]] = {}
        # Set by whoever runs the bot: True once the bot has no refused reply left to send.
        self.settle: Callable[[], Awaitable[bool]] | None = None
        # Webhook mode (setWebhook): updates are posted to the URL instead of waiting for
        # getUpdates; one chat's updates one at a time and in order, several chats at once (up
        # to max_connections); an answer other than 200 is retried after `webhook_retry`
        # seconds, as Telegram retries (it waits longer).
        self.webhook: _Webhook | None = None
        self.webhook_retry = 1.0
        self.webhook_posts: list[tuple[int, int]] = []  # (update_id, HTTP status or 0)
        self._delivered: set[int] = set()
        self._delivery: asyncio.Task[None] | None = None

    # -- server -------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def close(self) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        await self._stop_delivery()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await _read_params(request)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                status=404,
            )
        self.calls.append((method, params))
        if self._lost.get(method):
            # The process stopped before the call went out: nothing happens in the chat.
            self._lost[method] -= 1
            return web.json_response(
                {"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502
            )
        if method in _SENDS:
            limited = self._over_limit(params)
            owed = _fingerprint(method, params)
            if limited is not None:
                self.rate_limited += 1
                if owed is not None:
                    self._owed.setdefault(owed[0], Counter())[owed[1]] += 1
                limited_body: dict[str, Any] = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {limited}",
                    "parameters": {"retry_after": limited},
                }
                return web.json_response(limited_body, status=429)
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self.latency and method != "getUpdates":
                await asyncio.sleep(self.latency)
            result = await handler(params)
        except ApiError as exc:
            if exc.code == 400:
                # A request Telegram would refuse: tests assert there are none.
                self.rejected.append((method, exc.description))
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            return web.json_response(body, status=exc.code)
        finally:
            self._in_flight -= 1
        if method in _SENDS and owed is not None:
            waiting = self._owed.get(owed[0])
            if waiting and waiting[owed[1]]:
                waiting[owed[1]] -= 1
                if not +waiting:
                    del self._owed[owed[0]]
        return web.json_response({"ok": True, "result": result})

    def force_429(self, count: int, retry_after: int = 1, *, chat_id: int | None = None) -> None:
        """The next `count` sends (to `chat_id`, if given) are refused with 429 and this
        retry_after."""
        if chat_id is None:
            self._forced_429.extend([retry_after] * count)
        else:
            self._forced_429_to.setdefault(chat_id, []).extend([retry_after] * count)

    def lose(self, method: str, count: int = 1) -> None:
        """The next `count` calls of `method` are lost, as when the bot stops after
        committing an update and before its replies go out."""
        self._lost[method] = self._lost.get(method, 0) + count

    def max_sends_in_a_second(self) -> int:
        """The most messages sent within any one second, all chats together."""
        times = sorted(t for chat in self.send_times.values() for t in chat)
        most, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most

    def _over_limit(self, params: dict[str, Any]) -> int | None:
        """The retry_after to answer with, or None when this send is within the limits."""
        if self._forced_429:
            return self._forced_429.pop(0)
        forced_here = self._forced_429_to.get(_int_or_none(params.get("chat_id")) or 0)
        if forced_here:
            return forced_here.pop(0)
        now = time.monotonic()
        while self._recent_sends and now - self._recent_sends[0] >= 1.0:
            self._recent_sends.popleft()
        if len(self._recent_sends) >= self.global_per_second:
            return 1
        try:
            chat_id = int(params.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None  # the method itself answers 400
        tokens, at = self._chat_buckets.get(chat_id, (float(self.chat_burst), now))
        tokens = min(float(self.chat_burst), tokens + (now - at) * self.chat_per_second)
        if tokens < 1.0:
            self._chat_buckets[chat_id] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.chat_per_second))
        self._chat_buckets[chat_id] = (tokens - 1.0, now)
        self._recent_sends.append(now)
        self.send_times.setdefault(chat_id, []).append(now)
        return None

    # -- Bot API methods ----------------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**self.bot_user, "can_join_groups": False, "supports_inline_queries": False}

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._api_deleteWebhook(params)
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        max_connections = int(params.get("max_connections") or 40)
        if not 1 <= max_connections <= 100:
            raise ApiError(400, "Bad Request: bad webhook: max_connections must be 1-100")
        hook = _Webhook(url, str(secret) if secret else None, max_connections)
        if self.webhook != hook:
            await self._stop_delivery()
            self.webhook = hook
            self._delivery = asyncio.get_running_loop().create_task(self._deliver(hook))
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        await self._stop_delivery()
        self.webhook = None
        if str(params.get("drop_pending_updates")).lower() == "true":
            self._pending.clear()
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        hook = self.webhook
        return {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
            **({"max_connections": hook.max_connections} if hook else {}),
        }

    async def _stop_delivery(self) -> None:
        task, self._delivery = self._delivery, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver(self, hook: _Webhook) -> None:
        """Posts pending updates to the webhook until it is changed or deleted."""
        busy: set[object] = set()  # chats with an update in flight or waiting for a retry
        running: set[asyncio.Task[None]] = set()
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            try:
                while not self._closing:
                    for update in list(self._pending):
                        if len(running) >= hook.max_connections:
                            break
                        chat = _chat_of(update)
                        if chat in busy:
                            continue  # the chat's earlier update goes first
                        busy.add(chat)
                        task = asyncio.create_task(self._post(http, hook, update, chat, busy))
                        running.add(task)
                        task.add_done_callback(running.discard)
                    async with self._changed:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._changed.wait(), 0.2)
            finally:
                for task in running:
                    task.cancel()
                await asyncio.gather(*running, return_exceptions=True)

    async def _post(
        self,
        http: aiohttp.ClientSession,
        hook: _Webhook,
        update: dict[str, Any],
        chat: object,
        busy: set[object],
    ) -> None:
        update_id = update["update_id"]
        headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret} if hook.secret else {}
        try:
            async with http.post(hook.url, json=update, headers=headers) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        self.webhook_posts.append((update_id, status))
        if status == 200:
            if update in self._pending:
                self._pending.remove(update)
            self._delivered.add(update_id)
            while self.acknowledged + 1 in self._delivered:
                self.acknowledged += 1
        else:
            await asyncio.sleep(self.webhook_retry)
        busy.discard(chat)
        async with self._changed:
            self._changed.notify_all()

    async def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if not 1 <= len(command.get("command", "")) <= 32:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[params.get("language_code") or None] = commands
        return True

    async def _api_setChatMenuButton(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise ApiError(400, "Bad Request: unsupported menu button type")
        if button["type"] == "web_app":
            url = str((button.get("web_app") or {}).get("url") or "")
            if not url.startswith("https://"):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID (a Web App needs https)")
            if not str(button.get("text") or ""):
                raise ApiError(400, "Bad Request: the menu button needs a text")
        chat_id = _int_or_none(params.get("chat_id"))
        self.menu_buttons[chat_id] = button
        return True

    async def _api_getChatMenuButton(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _int_or_none(params.get("chat_id"))
        return (
            self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "commands"}
        )

    def file_bytes(self, file_id: str) -> bytes:
        return self.files.get(file_id) or f"file {file_id}\n".encode()

    async def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        if not file_id:
            raise ApiError(400, "Bad Request: file_id is empty")
        folder = {"P": "photos", "V": "voice"}.get(file_id[:1], "documents")
        data = self.file_bytes(file_id)
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(data),
            "file_path": f"{folder}/{file_id}.bin",
        }

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        path = request.match_info["path"]
        file_id = path.rsplit("/", 1)[-1].removesuffix(".bin")
        self.downloads.append(file_id)
        return web.Response(body=self.file_bytes(file_id), content_type="application/octet-stream")

    async def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(params.get("language_code") or None, [])

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        async with self._changed:
            # A newer getUpdates ends an older one, as on Telegram (one consumer per token).
            self._poll_generation += 1
            generation = self._poll_generation
            if offset > 0:
                self.acknowledged = max(self.acknowledged, offset - 1)
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            self._changed.notify_all()
            deadline = time.monotonic() + timeout
            while not self._pending:
                if self._closing or generation != self._poll_generation:
                    return []
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    break
            return self._pending[:limit]

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_for_send(params)
        text = str(params.get("text") or "")
        parse_mode = params.get("parse_mode")
        _check_text(text, parse_mode, MAX_TEXT)
        markup = _check_markup(params.get("reply_markup"))
        return await self._record_send(
            chat, BotMessage(chat.persona.id, 0, text, parse_mode, markup)
        )

    async def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "photo")

    async def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "document")

    async def _api_sendVoice(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "voice")

    async def _send_file(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        chat = self._chat_for_send(params)
        caption = str(params.get("caption") or "")
        parse_mode = params.get("parse_mode")
        _check_text(caption, parse_mode, MAX_CAPTION, allow_empty=True)
        upload = params.get(kind)
        message = BotMessage(
            chat.persona.id,
            0,
            caption,
            parse_mode,
            _check_markup(params.get("reply_markup")),
            kind=kind,
        )
        if isinstance(upload, _Upload):
            message.file_id = f"F{next(self._file_ids)}"
            message.file_name = upload.filename
            message.file_bytes = upload.data
            self.files[message.file_id] = upload.data  # getFile serves what was uploaded
        elif isinstance(upload, str) and upload:
            message.file_id = upload
        else:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        return await self._record_send(chat, message)

    async def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_for_send(params)
        message = chat.messages.get(int(params.get("message_id") or 0))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        text = str(params.get("text") or "")
        parse_mode = params.get("parse_mode")
        _check_text(text, parse_mode, MAX_TEXT)
        markup = _check_markup(params.get("reply_markup"))
        if text == message.text and markup == message.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message.text, message.parse_mode, message.reply_markup = text, parse_mode, markup
        message.edits += 1
        await self._record_event(chat, Event("edit", message, message.plain))
        return message.as_dict(self.bot_user, chat.persona.chat())

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_for_send(params)
        message = chat.messages.get(int(params.get("message_id") or 0))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        message.reply_markup = _check_markup(params.get("reply_markup"))
        message.edits += 1
        await self._record_event(chat, Event("edit", message, message.plain))
        return message.as_dict(self.bot_user, chat.persona.chat())

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers.append(
            CallbackAnswer(
                str(params.get("callback_query_id")),
                str(text) if text is not None else None,
                str(params.get("show_alert")).lower() == "true",
            )
        )
        async with self._changed:
            self._changed.notify_all()
        return True

    async def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._chat_for_send(params)
        return True

    async def _api_deleteMessage(self, params: dict[str, Any]) -> bool:
        chat = self._chat_for_send(params)
        return chat.messages.pop(int(params.get("message_id") or 0), None) is not None

    def _chat_for_send(self, params: dict[str, Any]) -> _Chat:
        try:
            chat_id = int(params.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat_id is empty") from None
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.persona.blocked_bot:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    async def _record_send(self, chat: _Chat, message: BotMessage) -> dict[str, Any]:
        message.message_id = chat.next_message_id
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        await self._record_event(chat, Event("send", message, message.plain))
        return message.as_dict(self.bot_user, chat.persona.chat())

    async def _record_event(self, chat: _Chat, event: Event) -> None:
        chat.events.append(event)
        for listener in self.listeners:
            listener(event)
        async with self._changed:
            self._changed.notify_all()

    # -- playing users ------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Warga",
        language_code: str | None = "id",
        username: str | None = None,
    ) -> Persona:
        chat = self._chats.get(user_id)
        if chat is None:
            chat = _Chat(Persona(user_id, first_name, language_code, username))
            self._chats[user_id] = chat
        return chat.persona

    def _message_base(self, persona: Persona) -> dict[str, Any]:
        chat = self._chats[persona.id]
        message_id = chat.next_message_id
        chat.next_message_id += 1
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": persona.chat(),
            "from": persona.as_dict(),
        }

    def _push(self, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **payload}
        self._sent_updates[update_id] = update
        self._pending.append(update)
        self._notify_soon()
        return update_id

    def _notify_soon(self) -> None:
        async def _notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.create_task(_notify())  # noqa: RUF006

    def send_text(self, persona: Persona, text: str) -> int:
        """The user writes a message; a leading /command gets its entity as Telegram adds it."""
        message = self._message_base(persona)
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._push({"message": message})

    def edit_text(self, persona: Persona, text: str, *, message_id: int | None = None) -> int:
        """The user edits a message they sent earlier (Telegram sends edited_message): the
        one with `message_id` (see `message_id_of`), or one the bot never saw."""
        message = self._message_base(persona)
        if message_id is not None:
            message["message_id"] = message_id
        message["text"] = text
        message["edit_date"] = int(time.time())
        return self._push({"edited_message": message})

    def message_id_of(self, update_id: int) -> int:
        """The id of the message the user sent in this update."""
        return int(self._sent_updates[update_id]["message"]["message_id"])

    def send_voice(self, persona: Persona, seconds: int = 7) -> int:
        message = self._message_base(persona)
        file_id = f"V{next(self._file_ids)}"
        message["voice"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "duration": seconds,
            "mime_type": "audio/ogg",
        }
        return self._push({"message": message})

    def send_channel_post(self, channel_id: int, text: str) -> int:
        """A post in a channel the bot was added to: no user at all."""
        post = {
            "message_id": next(self._update_ids) + 100_000,
            "date": int(time.time()),
            "chat": {"id": channel_id, "type": "channel", "title": "Kanal Dinas"},
            "text": text,
        }
        return self._push({"channel_post": post})

    def forward_text(self, persona: Persona, origin: Persona | None, text: str) -> int:
        """The user forwards a message written by `origin` (None: an account that hides
        itself when forwarded)."""
        message = self._message_base(persona)
        message["text"] = text
        if origin is None:
            message["forward_origin"] = {
                "type": "hidden_user", "sender_user_name": "Seseorang", "date": int(time.time()),
            }  # fmt: skip
        else:
            message["forward_origin"] = {
                "type": "user", "sender_user": origin.as_dict(), "date": int(time.time()),
            }  # fmt: skip
        return self._push({"message": message})

    def send_group_text(self, persona: Persona, group_id: int, text: str) -> int:
        """The user writes in a group the bot was added to."""
        message = self._message_base(persona)
        message["chat"] = {"id": group_id, "type": "group", "title": "Grup Dinas"}
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._push({"message": message})

    def send_photo(self, persona: Persona, caption: str | None = None) -> int:
        message = self._message_base(persona)
        file_id = f"P{next(self._file_ids)}"
        message["photo"] = [_photo_size(file_id)]
        if caption:
            message["caption"] = caption
        return self._push({"message": message})

    def send_document(
        self, persona: Persona, file_name: str = "berkas.pdf", mime_type: str = "application/pdf"
    ) -> int:
        message = self._message_base(persona)
        file_id = f"D{next(self._file_ids)}"
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": 2048,
        }
        return self._push({"message": message})

    def send_location(self, persona: Persona, latitude: float, longitude: float) -> int:
        message = self._message_base(persona)
        message["location"] = {"latitude": latitude, "longitude": longitude}
        return self._push({"message": message})

    def send_sticker(self, persona: Persona) -> int:
        message = self._message_base(persona)
        file_id = f"S{next(self._file_ids)}"
        message["sticker"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._push({"message": message})

    def press(self, persona: Persona, message: BotMessage, button: str) -> int:
        """The user taps a button, named by its label or its callback data."""
        data = next((d for label, d in message.buttons if button in (label, d)), None)
        if data is None:
            raise LookupError(f"no button {button!r} in {message.buttons}")
        return self.press_data(persona, message, data)

    def press_data(self, persona: Persona, message: BotMessage, data: str) -> int:
        """Sends a callback with any data at all, as a forged client could."""
        return self._push(
            {
                "callback_query": {
                    "id": str(next(self._callback_ids)),
                    "from": persona.as_dict(),
                    "chat_instance": str(persona.id),
                    "data": data,
                    "message": message.as_dict(self.bot_user, persona.chat()),
                }
            }
        )

    def block_bot(self, persona: Persona) -> int:
        """The user blocks the bot: sends fail with 403 and the bot gets my_chat_member."""
        persona.blocked_bot = True
        return self._push(
            {
                "my_chat_member": {
                    "chat": persona.chat(),
                    "from": persona.as_dict(),
                    "date": int(time.time()),
                    "old_chat_member": {"status": "member", "user": self.bot_user},
                    "new_chat_member": {
                        "status": "kicked",
                        "user": self.bot_user,
                        "until_date": 0,
                    },
                }
            }
        )

    def redeliver(self, update_id: int) -> None:
        """Telegram sends an update again (as after a lost acknowledgement)."""
        self._pending.append(self._sent_updates[update_id])
        self._pending.sort(key=lambda u: u["update_id"])
        self._notify_soon()

    # -- observing ----------------------------------------------------------------------------

    def events(self, persona: Persona | int) -> list[Event]:
        chat_id = persona if isinstance(persona, int) else persona.id
        chat = self._chats.get(chat_id)
        return list(chat.events) if chat else []

    def messages(self, persona: Persona | int) -> list[BotMessage]:
        chat_id = persona if isinstance(persona, int) else persona.id
        chat = self._chats.get(chat_id)
        return list(chat.messages.values()) if chat else []

    def last_message(self, persona: Persona | int) -> BotMessage:
        messages = self.messages(persona)
        if not messages:
            raise LookupError("the bot sent nothing to this chat")
        return messages[-1]

    def last_with_buttons(self, persona: Persona | int) -> BotMessage:
        for message in reversed(self.messages(persona)):
            if message.buttons:
                return message
        raise LookupError("no message with buttons in this chat")

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the bot did not do what was expected in time")
                try:
                    await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))
                except TimeoutError:
                    continue

    async def wait_acknowledged(self, update_id: int, timeout: float = 10.0) -> None:
        """Waits until the bot confirmed the update (asked for updates after it) and, with
        `settle` set, until it says it has sent every reply Telegram refused at first (those
        are sent later, from the outbox, when Telegram allows)."""
        deadline = time.monotonic() + timeout
        await self.wait_until(lambda: self.acknowledged >= update_id, timeout)
        while self.settle is not None and not await self.settle():
            if time.monotonic() > deadline:
                raise TimeoutError("the bot did not send its refused replies in time")
            await asyncio.sleep(0.05)

    def owes(self, chat: int | None) -> bool:
        """Whether a send to this chat was answered 429 and not made again yet."""
        return chat is not None and bool(self._owed.get(chat))

    def texts(self, persona: Persona | int, after: int = 0) -> list[str]:
        return [event.text for event in self.events(persona)[after:]]


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class _Webhook:
    url: str
    secret: str | None
    max_connections: int


def _fingerprint(method: str, params: dict[str, Any]) -> tuple[int, str] | None:
    """A send's chat and what identifies it when it is made again."""
    chat = _int_or_none(params.get("chat_id"))
    if chat is None:
        return None
    body = params.get("text") or params.get("caption") or ""
    return chat, f"{method}:{body}"


def _chat_of(update: dict[str, Any]) -> object:
    """The chat an update belongs to (its sender when it has no chat)."""
    for value in update.values():
        if isinstance(value, dict):
            chat = value.get("chat") or (value.get("message") or {}).get("chat")
            person = chat or value.get("from")
            if isinstance(person, dict):
                return person.get("id")
    return None


@dataclass
class _Upload:
    filename: str
    data: bytes


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        params.update(body or {})
        return params
    if request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, FileField):
                params[key] = _Upload(value.filename, value.file.read())
            elif key in _JSON_FIELDS and isinstance(value, str):
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    raise web.HTTPBadRequest(text=f"field {key} is not JSON") from None
            else:
                params[key] = value
    return params


def _photo_size(file_id: str) -> dict[str, Any]:
    return {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800, "height": 600}


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def _parse_html(text: str) -> tuple[str, str | None]:
    """Telegram's HTML mode: known tags, properly nested, every other < > & escaped.

    Returns the visible text and an error (as Telegram words it) or None.
    """
    stack: list[str] = []
    pieces: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        pieces.append(text[position : match.start()])
        position = match.end()
        closing, tag = match.group(1), match.group(2).lower()
        if tag not in _ALLOWED_TAGS:
            return "", f'unsupported start tag "{tag}"'
        if closing:
            if not stack or stack[-1] != tag:
                return "", f'unexpected end tag "{tag}"'
            stack.pop()
        else:
            stack.append(tag)
    pieces.append(text[position:])
    raw = "".join(pieces)
    if stack:
        return "", f'can\'t find end tag corresponding to start tag "{stack[-1]}"'
    if "<" in raw or ">" in raw:
        return "", "unsupported start tag"
    if "&" in _ENTITY.sub("", raw):
        return "", "unsupported HTML entity"
    return html.unescape(raw), None


def _strip_html(text: str) -> str:
    return _parse_html(text)[0]


def _check_text(text: str, parse_mode: Any, limit: int, *, allow_empty: bool = False) -> None:
    visible = text
    if parse_mode == "HTML":
        visible, error = _parse_html(text)
        if error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}")
    if not visible.strip() and not allow_empty:
        raise ApiError(400, "Bad Request: message text is empty")
    # Telegram counts UTF-16 code units: an emoji counts twice.
    if len(visible.encode("utf-16-le")) // 2 > limit:
        raise ApiError(400, "Bad Request: message is too long")


def _check_markup(markup: Any) -> dict[str, Any] | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not str(button.get("text", "")).strip():
                raise ApiError(400, "Bad Request: BUTTON_TEXT_EMPTY")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup
