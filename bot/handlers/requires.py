"""What each command and button requires, declared where it is defined and checked when it runs.

    @requires(Need.ORGANIZER)
    async def inbox_command(update, context): ...

The check reads the update's `Access` (bot/services/access.py) at the moment the handler runs,
so a button sent to someone whose role was removed later does nothing but say so. Commands and
buttons are registered through `command` and `on_button`, which refuse a handler that declares
nothing: a new power cannot be added without saying who holds it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import SuaraContext
from bot.services.access import Need

F = TypeVar("F", bound=Callable[..., Awaitable[None]])


def requires(need: Need) -> Callable[[F], F]:
    def wrap(handler: F) -> F:
        @functools.wraps(handler)
        async def checked(update: Update, context: SuaraContext, *args: Any) -> None:
            if need is not Need.ANYONE and not (await context.access()).allows(need):
                context.deny(update)
                return
            await handler(update, context, *args)

        checked.need = need  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return wrap


def need_of(handler: object) -> Need | None:
    need = getattr(handler, "need", None)
    return need if isinstance(need, Need) else None


def declared(handler: F, what: str) -> F:
    if need_of(handler) is None:
        raise ValueError(f"{what}: declare what it requires with @requires(Need...)")
    return handler


def command(
    names: str | Sequence[str],
    handler: Callable[[Update, SuaraContext], Coroutine[Any, Any, None]],
) -> CommandHandler[SuaraContext, None]:
    # Commands come in new messages only: an edit into a command is not one (handlers/edits.py).
    return CommandHandler(
        names, declared(handler, f"command {names}"), filters=filters.UpdateType.MESSAGE
    )
