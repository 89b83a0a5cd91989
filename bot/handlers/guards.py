"""Runs before every handler: blocked users and message floods stop here."""

from __future__ import annotations

import time
from collections import deque

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import SuaraContext

WINDOW_SECONDS = 60.0
PRUNE_EVERY = 1000


class FloodGuard:
    """Counts a user's updates in a sliding minute; past the limit they get one polite word.

    Kept in memory: each process guards what it receives, which is what a flood costs it.
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()
        self._checks = 0

    def _prune(self, now: float) -> None:
        """Forgets users quiet for a whole window, so a long-running process does not keep a
        queue for everyone it ever heard from."""
        for user_id in [
            u for u, seen in self._seen.items() if not seen or now - seen[-1] > WINDOW_SECONDS
        ]:
            del self._seen[user_id]
            self._warned.discard(user_id)

    def check(self, user_id: int, now: float | None = None) -> str:
        """Returns "ok", "warn" (first update over the limit) or "drop"."""
        now = time.monotonic() if now is None else now
        self._checks += 1
        if self._checks % PRUNE_EVERY == 0:
            self._prune(now)
        seen = self._seen.setdefault(user_id, deque())
        while seen and now - seen[0] > WINDOW_SECONDS:
            seen.popleft()
        if len(seen) < self.per_minute:
            seen.append(now)
            self._warned.discard(user_id)
            return "ok"
        if user_id in self._warned:
            return "drop"
        self._warned.add(user_id)
        return "warn"


async def guard(update: Update, context: SuaraContext) -> None:
    """Stops updates from banned users and floods before any feature sees them."""
    tg_user = update.effective_user
    if tg_user is None:
        return
    chat = update.effective_chat
    if chat is not None and chat.type != "private" and update.my_chat_member is None:
        # Complaints and questionnaires are personal: the bot works in private chats only.
        raise ApplicationHandlerStop
    user = context.user
    if user is not None and user.banned and (await context.access()).banned:
        if update.callback_query is not None:
            context.answer(update)
        context.reply(update, context.t("guard.banned"))
        raise ApplicationHandlerStop
    if update.my_chat_member is not None:
        return
    verdict = context.bot_data.flood.check(tg_user.id)
    if verdict == "ok":
        return
    if verdict == "warn":
        context.reply(update, context.t("guard.flood"))
    if update.callback_query is not None:
        context.answer(update)
    raise ApplicationHandlerStop


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, guard), group=-1)
