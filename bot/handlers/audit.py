"""/audit for admins: the latest organizer and admin actions, or all of them as XLSX."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import Application

from bot.context import SuaraContext
from bot.handlers.requires import command, requires
from bot.reports.export import table_xlsx
from bot.services.access import Need
from bot.storage import audit

COLUMNS = ("at", "actor_id", "actor_role", "action", "subject_kind", "subject_id", "detail")
EXPORT_ROWS = 10_000


@requires(Need.ADMIN)
async def audit_command(update: Update, context: SuaraContext) -> None:
    """/audit: the last 30 actions; /audit xlsx: the last 10,000 as a spreadsheet."""
    t = context.t
    if context.args and context.args[0].lower() == "xlsx" and update.effective_chat:
        entries = await audit.recent(context.db, limit=EXPORT_ROWS)
        rows = [
            {
                **entry.model_dump(),
                "at": entry.at.astimezone(context.settings.tz).replace(tzinfo=None),
            }
            for entry in entries
        ]
        context.call(
            "sendDocument",
            chat_id=update.effective_chat.id,
            document=InputFile(table_xlsx(COLUMNS, rows, title="Audit"), filename="audit.xlsx"),
            caption=t("audit.export_caption", count=len(rows)),
        )
        return
    entries = await audit.recent(context.db)
    if not entries:
        context.reply(update, t("audit.none"))
        return
    lines = [t("audit.title")]
    for entry in entries:
        lines.append(
            t(
                "audit.line",
                when=t.datetime(entry.at),
                actor=entry.actor_id,
                role=entry.actor_role,
                action=entry.action,
                subject=f"{entry.subject_kind} {entry.subject_id or ''}".strip(),
                detail=entry.detail or "",
            )
        )
    context.reply(update, "\n".join(lines))


def register(application: Application) -> None:
    application.add_handler(command("audit", audit_command))
