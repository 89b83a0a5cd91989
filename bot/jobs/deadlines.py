"""Daily deadlines: auto-close complaints left waiting, remind units of overdue ones, escalate."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.context import AppState
from bot.jobs import turns
from bot.notify import deliver
from bot.services.access import all_admins
from bot.services.reminders import run_deadlines

log = logging.getLogger(__name__)

# Reminders go out at the start of the working day.
DAILY_AT = dt.time(8, 0)


async def check_deadlines(state: AppState) -> int:
    """One pass; returns how many notices were queued. Safe to run in several processes:
    reminders carry dedupe keys, so a second pass the same day adds nothing."""
    async with state.db.session() as session:
        admins = await all_admins(session, state.settings)
        notices = await run_deadlines(session, clock=state.core.moment(), admins=admins)
        written = await deliver(session, state.texts, notices)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            log.info("deadline pass raced another process; it did the work")
            return 0
    if written:
        state.outbox.nudge()
    return written


async def deadlines_job(context: Any) -> None:
    state: AppState = context.application.bot_data
    await turns.once_a_day(state, "deadlines", DAILY_AT, lambda: check_deadlines(state))
