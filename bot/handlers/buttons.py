"""Binds a button kind (bot/buttons.py) to its handler: the data is parsed once, here, and the
handler receives the typed button; data that does not parse is answered "no longer valid"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.buttons import ButtonData
from bot.context import SuaraContext

B = TypeVar("B", bound=ButtonData)


def on_button(
    kind: type[B], callback: Callable[[Update, SuaraContext, B], Awaitable[None]]
) -> CallbackQueryHandler[SuaraContext, None]:
    async def handle(update: Update, context: SuaraContext) -> None:
        query = update.callback_query
        data = kind.parse(query.data if query else None)
        if data is None:
            context.answer(update, context.t("button.stale"), alert=True)
            return
        await callback(update, context, data)

    handle.__doc__ = callback.__doc__
    return CallbackQueryHandler(handle, pattern=kind.pattern())
