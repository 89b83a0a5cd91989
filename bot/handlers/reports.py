"""/laporanskm [UNIT] [2026-S2|2026]: the SKM report of a unit (PermenPANRB 14/2017) as XLSX
and PDF, for the unit's organizers and admins; the files are built and sent by the outbox
after this update commits."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import SuaraContext
from bot.handlers.requires import command, requires
from bot.services import skm_report
from bot.services.access import Need
from bot.services.errors import Refused


@requires(Need.ORGANIZER)
async def skm_command(update: Update, context: SuaraContext) -> None:
    """/laporanskm [UNIT] [PERIOD]: the arguments in either order; without a unit, the
    organizer's only one; without a period, the current semester."""
    unit: str | None = None
    period: str | None = None
    for argument in (context.args or [])[:2]:
        if argument[:4].isdigit():  # a year first: a period (checked by the service)
            period = argument
        else:
            unit = argument
    try:
        notices = await skm_report.request(
            context.db, context.core, await context.access(), unit_code=unit, period=period
        )
    except Refused as exc:
        context.reply(update, context.t(exc.key, **exc.values))
        return
    await context.notify(notices)


def register(application: Application) -> None:
    application.add_handler(command(["laporanskm", "skmreport"], skm_command))
