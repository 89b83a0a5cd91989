"""Edited messages: a correction where a flow waits for text, otherwise a word that edits are
not read. Never a command: an edit into /lapor does not start or restart anything."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bot.context import SuaraContext
from bot.handlers.flow import Flow, as_message
from bot.handlers.requires import requires
from bot.services.access import Need
from bot.storage import flows


@requires(Need.ANYONE)
async def edited_message(update: Update, context: SuaraContext) -> None:
    """Hands an edit to the user's active flow; says so when nothing takes it."""
    edited = update.edited_message
    tg_user = update.effective_user
    if edited is None or tg_user is None:
        return
    text = edited.text
    if text is not None and not text.startswith("/"):
        state = await flows.get_flow(context.db, tg_user.id)
        if state is not None:
            flow = next((f for f in context.bot_data.flows.values() if f.name == state.flow), None)
            if isinstance(flow, Flow):
                if await flow.on_edit(update, context, state, edited):
                    return
            elif (handler := context.bot_data.flow_inputs.get(state.flow)) is not None:
                # A flow of a single written answer (a note, added information): the edit is it.
                await handler(as_message(update, edited), context, state)
                return
    context.reply(update, context.t("flows.edit_not_read"))


def register(application: Application) -> None:
    # Before every command and message handler: an edit reaches none of them.
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited_message))
