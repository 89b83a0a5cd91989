"""What happens when a handler fails: the log gets the details, the user a short apology."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application

from bot.context import SuaraContext, current_scope

log = logging.getLogger(__name__)


async def on_error(update: object, context: SuaraContext) -> None:
    """Logs the failure (never message text or user id: anonymity holds in logs) and apologises."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "handler failed on update %s: %s",
        update_id,
        type(context.error).__name__,
        exc_info=context.error,
    )
    try:
        scope = current_scope()
    except RuntimeError:
        return  # an error outside an update (a job): logged is all we can do
    scope.failed = True
    scope.replies.clear()
    scope.answered = False
    scope.durable_added = False
    if isinstance(update, Update) and update.effective_chat is not None:
        if update.callback_query is not None:
            context.answer(update)
        context.reply(update, scope.t("error.apology"))


def register(application: Application) -> None:
    application.add_error_handler(on_error)
