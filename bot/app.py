"""build_application(settings): the one place that wires everything, for every entry point."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeDefault
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot.config import Settings
from bot.context import AppState, SuaraContext
from bot.core import Core, build_core
from bot.handlers import register_all
from bot.jobs.deadlines import deadlines_job
from bot.jobs.digest import CHECK_EVERY, digest_job
from bot.jobs.feedback import due_job
from bot.jobs.housekeeping import housekeeping_job
from bot.jobs.menu import menu_job
from bot.jobs.outbox import OutboxSender, SendBudget, outbox_job
from bot.logging_setup import quiet_libraries
from bot.services import releases
from bot.services.questionnaires import seed_templates
from bot.storage.db import MIGRATION_LOCK
from bot.storage.places import seed_places

log = logging.getLogger(__name__)

DAILY_CHECK = dt.timedelta(minutes=1)

SuaraApplication = Application[Any, SuaraContext, Any, Any, AppState, Any]

# (command, text key) in menu order; the same commands in every language.
COMMANDS = (
    ("start", "command.start"),
    ("lapor", "command.lapor"),
    ("status", "command.status"),
    ("pelatihan", "command.pelatihan"),
    ("gabung", "command.gabung"),
    ("usul", "command.usul"),
    ("bantuan", "command.bantuan"),
    ("bahasa", "command.bahasa"),
    ("privasi", "command.privasi"),
    ("batal", "command.batal"),
)


def build_application(
    settings: Settings, *, token: str | None = None, core: Core | None = None
) -> SuaraApplication:
    """The chat door: the Application on the core (built here unless given), with its
    handlers; nothing runs yet."""
    secret = token or (
        settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
    )
    if not secret:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    quiet_libraries()
    builder = (
        ApplicationBuilder()
        .token(secret)
        .base_url(f"{settings.telegram_api_base_url}/bot")
        .base_file_url(f"{settings.telegram_api_base_url}/file/bot")
        .context_types(ContextTypes(context=SuaraContext, bot_data=AppState))
        .connection_pool_size(64)
        .updater(None)
    )
    if settings.telegram_rate_limiter == "on":
        # Keeps to 30 requests a second; no retries of its own, because a retry there holds
        # every request of the process until retry_after is over. The gate retries the one
        # reply, the outbox pauses itself.
        builder.rate_limiter(AIORateLimiter(max_retries=0))
    application = builder.build()
    state: AppState = application.bot_data
    state.core = core or build_core(settings)
    state.outbox = OutboxSender(
        state, application.bot, SendBudget(settings.outbox_messages_per_second)
    )
    register_all(application)
    return application


async def prepare(application: SuaraApplication) -> None:
    """Migrates, connects to Telegram, registers the command menu, starts the jobs."""
    state = application.bot_data
    if state.settings.auto_migrate:
        await state.db.migrate()
    else:
        await state.db.require_head()  # raises SchemaBehind with what to do
    await state.db.optimize()
    async with state.db.session() as session:
        # Workers starting together seed one after another: the later ones find it done.
        await state.db.take_turn(session, MIGRATION_LOCK)
        await seed_places(session, state.settings.places_file)
        await seed_templates(session)
        # Answers submitted before blocks existed, or waiting for a minimum that was lowered.
        await releases.catch_up(session, minimum=state.settings.feedback_min_responses)
        await session.commit()
    await application.initialize()
    await register_commands(application)
    await application.start()
    job_queue = application.job_queue
    if job_queue is not None:
        # Runs at once too: catches up on what waited in the outbox while the bot was down.
        job_queue.run_repeating(outbox_job, interval=dt.timedelta(seconds=5), first=0)
        # The day's deadline pass (from 08:00) and housekeeping (from 03:00): every worker
        # checks each minute, and at once after a start; one of them takes the day's turn.
        job_queue.run_repeating(deadlines_job, interval=DAILY_CHECK, first=1, name="deadlines")
        # Questionnaires, reminders, windows closing, follow-ups: at once, then twice a minute.
        job_queue.run_repeating(due_job, interval=dt.timedelta(seconds=30), first=1)
        # Weekly digests: checked at once (a missed one is sent at start-up), then every 5 min.
        job_queue.run_repeating(digest_job, interval=CHECK_EVERY, first=2, name="digest")
        job_queue.run_repeating(
            housekeeping_job, interval=DAILY_CHECK, first=3, name="housekeeping"
        )
        # The workspace in the menu of organizers and admins, and gone when a role ends.
        job_queue.run_repeating(menu_job, interval=dt.timedelta(minutes=1), first=4, name="menu")


async def shutdown(application: SuaraApplication) -> None:
    if application.running:
        await application.stop()
    await application.bot_data.outbox.close()
    await application.shutdown()
    await application.bot_data.db.dispose()


async def register_commands(application: SuaraApplication) -> None:
    texts = application.bot_data.texts
    for language in texts.languages:
        t = texts.for_language(language)
        commands = [BotCommand(name, t(key)) for name, key in COMMANDS]
        # Telegram takes a two-letter code: pt_BR's menu is for every pt user.
        code = None if language == texts.default_language else language.split("_")[0]
        await application.bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=code
        )
