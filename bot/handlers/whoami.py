"""/id: anyone learns their Telegram id (for BOT_ADMIN_IDS, or to be given a role), also
before the privacy notice is agreed to: nothing is stored for it."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import SuaraContext
from bot.handlers.requires import command, requires
from bot.services.access import Need


@requires(Need.ANYONE)
async def id_command(update: Update, context: SuaraContext) -> None:
    tg_user = update.effective_user
    if tg_user is None:
        return
    context.reply(update, context.t("id.yours", user=tg_user.id))


def register(application: Application) -> None:
    application.add_handler(command("id", id_command))
