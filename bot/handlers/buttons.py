"""Binds a button kind (bot/buttons.py) to its handler: the data is parsed once, here, and the
handler receives the typed button; data that does not parse is answered "no longer valid".
The handler declares what it requires (bot/handlers/requires.py); one that does not is refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.buttons import ButtonData
from bot.context import SuaraContext
from bot.handlers.requires import declared, need_of

B = TypeVar("B", bound=ButtonData)


def on_button(
    kind: type[B], callback: Callable[[Update, SuaraContext, B], Awaitable[None]]
) -> CallbackQueryHandler[SuaraContext, None]:
    declared(callback, f"button {kind.__name__}")

    async def handle(update: Update, context: SuaraContext) -> None:
        query = update.callback_query
        data = kind.parse(query.data if query else None)
        if data is None:
            context.answer(update, context.t("button.stale"), alert=True)
            return
        await callback(update, context, data)

    handle.__doc__ = callback.__doc__
    handle.need = need_of(callback)  # type: ignore[attr-defined]
    handle.kind = kind  # type: ignore[attr-defined]
    return CallbackQueryHandler(handle, pattern=kind.pattern())
