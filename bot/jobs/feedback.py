"""JobQueue work for training feedback: claims due items and does each once.

Runs every half minute and once at start-up, so a process that was down catches up on what fell
due meanwhile; any number of processes may run it (items are leased in the database).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.context import AppState
from bot.notify import deliver
from bot.services import feedback
from bot.storage import programs as store

log = logging.getLogger(__name__)


async def run_due(state: AppState) -> int:
    """Does every item due now; returns how many were finished."""
    rules = feedback.Rules.from_settings(state.settings)
    finished = 0
    while True:
        async with state.db.session() as session:
            items = await store.claim_due(session, now=state.clock())
            await session.commit()
        if not items:
            break
        for item in items:
            assert item.id is not None
            async with state.db.session() as session:
                try:
                    now = state.clock()
                    notices, done = await feedback.run(session, item, now=now, rules=rules)
                    await deliver(session, state.texts, notices)
                    if done:
                        await store.mark_done(session, item.id, now=now)
                    elif item.due_at <= now:
                        await store.release(session, item.id)  # more to do: claim it again
                    await session.commit()
                except Exception:
                    # Left leased: another try when the lease runs out. No user data in the log.
                    log.exception("due item %s (%s) failed", item.id, item.kind)
                    await session.rollback()
                    continue
            finished += done
        state.outbox.nudge()
    return finished


async def due_job(context: Any) -> None:
    await run_due(context.application.bot_data)
