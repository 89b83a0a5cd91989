"""Keeps each user's chat menu button as their role says (bot/services/menu.py): once a
minute, and at once after a start. Setting a button twice is harmless, so every worker may run
it; each change is recorded in its own short transaction after Telegram took it."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, MenuButtonDefault, MenuButtonWebApp, WebAppInfo
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import AppState
from bot.services import menu

log = logging.getLogger(__name__)


async def menu_job(context: Any) -> None:
    await refresh(context.application.bot_data, context.bot)


async def refresh(state: AppState, bot: Bot) -> int:
    """Sets the buttons that differ from their owners' roles; how many were set."""
    async with state.db.reading() as session:
        changes = await menu.due(session, state.settings)
    done = 0
    for change in changes:
        t = state.texts.for_user(change.language, change.telegram_language)
        button: MenuButtonDefault | MenuButtonWebApp = MenuButtonDefault()
        if change.button == menu.WORKSPACE and change.url is not None:
            button = MenuButtonWebApp(t("web.menu_button"), WebAppInfo(url=change.url))
        try:
            await bot.set_chat_menu_button(chat_id=change.user_id, menu_button=button)
        except (Forbidden, BadRequest) as exc:
            # A chat that blocked the bot, or was never opened: nothing to put right later.
            log.info("menu button for a user: %s", type(exc).__name__)
        except TelegramError as exc:
            log.warning(
                "menu button not set now (%s): tried again in a minute", type(exc).__name__
            )
            continue
        async with state.db.session() as session:
            await menu.record(session, change.user_id, change.button)
            await session.commit()
        done += 1
    return done
