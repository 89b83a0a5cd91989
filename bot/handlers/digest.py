"""/ringkasan: the digest on demand, for this week so far or (/ringkasan lalu) last week.

The numbers are read after this update commits, by a job with its own session: building them
inside the update would hold SQLite's write lock and stall every other chat meanwhile.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import SuaraContext
from bot.handlers.requires import command, requires
from bot.jobs.digest import on_demand_job
from bot.services.access import Need
from bot.services.digest import Period

LAST_WEEK = {"lalu", "last", "kemarin"}


@requires(Need.ORGANIZER)
async def digest_command(update: Update, context: SuaraContext) -> None:
    """/ringkasan [lalu]: this week so far, or last week, sent as soon as it is built."""
    you = await context.access()
    today = context.bot_data.clock().astimezone(context.settings.tz).date()
    period = Period.containing(today)
    if context.args and context.args[0].lower() in LAST_WEEK:
        period = period.previous()
    context.reply(update, context.t("digest.preparing", week=period.label))
    if context.job_queue is not None:
        data = (you.user_id, you.unit_scope(), period.monday)
        context.job_queue.run_once(on_demand_job, when=0.5, data=data)


def register(application: Application) -> None:
    application.add_handler(command(["ringkasan", "digest"], digest_command))
