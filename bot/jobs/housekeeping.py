"""Daily housekeeping: forget old update ids and old sent outbox rows, and remove the identity
of reporters whose complaints were closed longer ago than RETENTION_DAYS.

Telegram keeps undelivered updates for about 24 hours, so an update id older than a few days
can never come again; sent messages are kept a month for support questions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete
from sqlmodel import col

from bot.context import AppState
from bot.jobs import turns
from bot.services import privacy
from bot.services.public import GUESS_WINDOW
from bot.services.uploads import KEEP_UNSENT
from bot.services.web import ATTEMPT_WINDOW
from bot.storage import public as public_store
from bot.storage import websec
from bot.storage.models import OUTBOX_SENT, OutboxMessage, ProcessedUpdate
from bot.storage.types import utcnow

KEEP_UPDATE_IDS = dt.timedelta(days=3)
KEEP_SENT = dt.timedelta(days=30)
DAILY_AT = dt.time(3, 0)


async def clean(state: AppState) -> tuple[int, int]:
    now = utcnow()
    async with state.db.session() as session:
        updates = await session.exec(
            delete(ProcessedUpdate).where(
                col(ProcessedUpdate.processed_at) < now - KEEP_UPDATE_IDS
            )
        )
        sent = await session.exec(
            delete(OutboxMessage).where(
                col(OutboxMessage.status) == OUTBOX_SENT,
                col(OutboxMessage.sent_at) < now - KEEP_SENT,
            )
        )
        await privacy.forget_daily_keys(session, now=now)
        await public_store.forget_guesses_before(session, now - GUESS_WINDOW)
        await websec.forget_attempts_before(session, now - ATTEMPT_WINDOW)
        await websec.forget_uploads_before(session, now - KEEP_UNSENT)
        await session.commit()
    return int(updates.rowcount or 0), int(sent.rowcount or 0)


async def retention(state: AppState) -> int:
    """Complaints closed longer ago than RETENTION_DAYS lose their reporter's identity."""
    async with state.db.session() as session:
        done = await privacy.apply_retention(
            session, days=state.settings.retention_days, now=utcnow()
        )
        await session.commit()
    return done


async def housekeeping_job(context: Any) -> None:
    state: AppState = context.application.bot_data
    await turns.once_a_day(state, "housekeeping", DAILY_AT, lambda: daily_cleaning(state))


async def daily_cleaning(state: AppState) -> None:
    await clean(state)
    await retention(state)
    await state.db.optimize()
