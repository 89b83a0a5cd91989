"""Runs before every handler: blocked users and message floods stop here."""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import SuaraContext
from bot.storage.types import utcnow
from bot.storage.updates import count_since

WINDOW = dt.timedelta(seconds=60)


def flood_verdict(recent: int, per_minute: int) -> str:
    """From how many updates the user sent in the last minute before this one: "ok", "warn"
    (the first one over the limit gets one polite word) or "drop" (silence until they slow
    down: dropped updates count too, so a flood that goes on stays quiet)."""
    if recent < per_minute:
        return "ok"
    return "warn" if recent == per_minute else "drop"


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
    # Counted from the processed updates, so every worker sees the same minute whichever of
    # them got the user's earlier updates.
    recent = await count_since(context.db, tg_user.id, utcnow() - WINDOW)
    verdict = flood_verdict(recent, context.settings.flood_messages_per_minute)
    if verdict == "ok":
        return
    if verdict == "warn":
        context.reply(update, context.t("guard.flood"))
    if update.callback_query is not None:
        context.answer(update)
    raise ApplicationHandlerStop


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, guard), group=-1)
