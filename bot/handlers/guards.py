"""Runs before every handler: blocked users and message floods stop here."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.buttons import FlowStep
from bot.context import SuaraContext
from bot.services import privacy
from bot.storage.types import utcnow
from bot.storage.updates import FLOOD_WINDOW, count_since

WINDOW = FLOOD_WINDOW


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
    if await _banned(update, context, tg_user.id) and not _open_to_banned(update, context):
        if update.callback_query is not None:
            context.answer(update)
        context.reply(update, context.t("guard.banned"))
        raise ApplicationHandlerStop
    if update.my_chat_member is not None:
        return
    # Counted from the processed updates, so every worker sees the same minute whichever of
    # them got the user's earlier updates; the gate read it with the account.
    recent = context.scope.recent
    if recent is None:
        recent = await count_since(context.db, tg_user.id, utcnow() - WINDOW)
    verdict = flood_verdict(recent, context.settings.flood_messages_per_minute)
    if verdict == "ok":
        return
    if verdict == "warn":
        context.reply(update, context.t("guard.flood"))
    if update.callback_query is not None:
        context.answer(update)
    raise ApplicationHandlerStop


async def _banned(update: Update, context: SuaraContext, user_id: int) -> bool:
    user = context.user
    if user is not None:
        return user.banned and (await context.access()).banned
    # No account: perhaps one that was banned and then erased, kept by a keyed hash.
    return await privacy.kept_ban(context.db, context.settings, user_id)


def _open_to_banned(update: Update, context: SuaraContext) -> bool:
    """A command or flow button a banned user may still use (their rights over their data)."""
    message = update.message
    if message is not None and message.text and message.text.startswith("/"):
        name = message.text[1:].split(maxsplit=1)[0].partition("@")[0].lower()
        return name in context.bot_data.open_to_banned
    query = update.callback_query
    pressed = FlowStep.parse(query.data if query else None)
    return pressed is not None and pressed.flow in context.bot_data.open_flows_to_banned


def open_to_banned(
    application: Application, *, commands: Sequence[str], flows: Sequence[str] = ()
) -> None:
    """Lets banned users through the guard to these commands and flow buttons."""
    application.bot_data.open_to_banned.update(name.lower() for name in commands)
    application.bot_data.open_flows_to_banned.update(flows)


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, guard), group=-1)
