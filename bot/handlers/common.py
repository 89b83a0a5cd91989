"""Commands every user has: /bantuan, /bahasa, /batal; stale buttons; users who blocked the bot."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)

from bot.buttons import Language
from bot.context import SuaraContext
from bot.handlers.buttons import on_button
from bot.handlers.flow import tell_kept
from bot.handlers.requires import command, requires
from bot.handlers.start import show_menu
from bot.keyboards import columns, keyboard
from bot.services.access import Need
from bot.storage import flows
from bot.storage.users import get_or_create_user, set_reachable

log = logging.getLogger(__name__)


@requires(Need.ANYONE)
async def help_command(update: Update, context: SuaraContext) -> None:
    """Explains what the bot does and lists the commands for this user's roles."""
    t = context.t
    you = await context.access()
    parts = [t("help.intro"), t("help.commands")]
    if you.organizer:
        parts.append(t("help.organizer"))
    if you.admin:
        parts.append(t("help.admin"))
    context.answer(update)
    context.reply(update, "\n\n".join(parts))


@requires(Need.ANYONE)
async def language_command(update: Update, context: SuaraContext) -> None:
    """Offers every language with catalogs in locales/, each by its own name."""
    t, texts = context.t, context.texts
    names = [
        (texts.for_language(code)("language.self"), Language(code)) for code in texts.languages
    ]
    context.answer(update)
    context.reply(update, t("language.choose"), keyboard(columns(names, 2)))


@requires(Need.ANYONE)
async def language_button(update: Update, context: SuaraContext, chosen: Language) -> None:
    """Stores the chosen language; it holds across restarts and devices."""
    tg_user = update.effective_user
    if tg_user is None:
        return
    code = chosen.code
    if code not in context.texts.languages:
        context.answer(update, context.t("button.stale"), alert=True)
        return
    user = await get_or_create_user(context.db, tg_user.id)
    user.language = code
    context.db.add(user)
    context.scope.user = user
    context.scope.t = context.texts.for_language(code)
    context.answer(update)
    context.edit(update, context.t("language.set"))


@requires(Need.ANYONE)
async def cancel_command(update: Update, context: SuaraContext) -> None:
    """Leaves the current flow, dropping its draft."""
    tg_user = update.effective_user
    if tg_user is None:
        return
    had_flow = await flows.clear_flow(context.db, tg_user.id)
    context.answer(update)
    context.reply(update, context.t("cancel.done" if had_flow else "cancel.nothing"))
    await tell_kept(update, context)
    if context.user is not None and context.user.consent_at is not None:
        await show_menu(update, context)


async def stale_button(update: Update, context: SuaraContext) -> None:
    """Any button no handler recognised: old, or forged."""
    context.answer(update, context.t("button.stale"), alert=True)


async def unknown_command(update: Update, context: SuaraContext) -> None:
    context.reply(update, context.t("command.unknown"))


async def route_message(update: Update, context: SuaraContext) -> None:
    """A message that is not a command: the user's current flow takes it, if they are in one."""
    tg_user = update.effective_user
    if tg_user is None or update.message is None:
        return
    state = await flows.get_flow(context.db, tg_user.id)
    if state is not None:
        handler = context.bot_data.flow_inputs.get(state.flow)
        if handler is not None:
            await handler(update, context, state)
            return
    if context.user is None or context.user.consent_at is None:
        context.reply(update, context.t("start.please_start"))
        return
    if update.message.text and context.bot_data.free_text is not None:
        await context.bot_data.free_text(update, context)
        return
    if update.message.text:
        context.reply(update, context.t("message.use_menu"))
        await show_menu(update, context)
        return
    context.reply(update, context.t("message.unsupported"))


async def chat_member_changed(update: Update, context: SuaraContext) -> None:
    """A user who blocks the bot is marked unreachable and not written to again."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    status = change.new_chat_member.status
    reachable = status not in (ChatMember.BANNED, ChatMember.LEFT)
    await set_reachable(context.db, user_id=change.chat.id, reachable=reachable)


def register(application: Application) -> None:
    application.add_handler(command(["bantuan", "help"], help_command))
    application.add_handler(command(["bahasa", "language"], language_command))
    application.add_handler(command(["batal", "cancel"], cancel_command))
    application.bot_data.menu_items.update(bantuan=help_command, bahasa=language_command)
    application.add_handler(on_button(Language, language_button))
    application.add_handler(
        ChatMemberHandler(chat_member_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )


def register_fallbacks(application: Application) -> None:
    """Last in line: whatever no feature claimed."""
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(~filters.COMMAND, route_message))
