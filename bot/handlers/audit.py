"""/audit for admins: the latest organizer and admin actions as sentences, or (/audit xlsx)
all of them as a workbook, built and sent by the outbox after this update commits."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import SuaraContext
from bot.handlers.requires import command, requires
from bot.reports.audit_text import audit_lines
from bot.services import reports
from bot.services.access import Need


@requires(Need.ADMIN)
async def audit_command(update: Update, context: SuaraContext) -> None:
    """/audit: the last 30 actions; /audit xlsx: the last 10,000 as a spreadsheet."""
    t = context.t
    if context.args and context.args[0].lower() == "xlsx":
        await context.notify(await reports.audit_export(context.db, await context.access()))
        return
    lines = await audit_lines(context.db, t)
    if not lines:
        context.reply(update, t("audit.none"))
        return
    context.reply(update, "\n".join([t("audit.title"), *(f"• {line}" for line in lines)]))


def register(application: Application) -> None:
    application.add_handler(command("audit", audit_command))
