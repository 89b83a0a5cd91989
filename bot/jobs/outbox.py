"""Sends the outbox: durable messages, at least once, in order, respecting Telegram's limits."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.calls import ApiCall, perform
from bot.context import AppState
from bot.storage import outbox
from bot.storage.users import set_reachable

log = logging.getLogger(__name__)


class OutboxSender:
    """Drains due rows; one drain at a time per process, any number of processes."""

    def __init__(self, state: AppState, bot: ExtBot[Any]) -> None:
        self.state = state
        self.bot = bot
        self._lock = asyncio.Lock()
        self._again = False
        self._tasks: set[asyncio.Task[int]] = set()

    def nudge(self) -> None:
        """Drains soon, without holding up the caller."""
        if self._lock.locked():
            self._again = True
            return
        task = asyncio.get_running_loop().create_task(self.drain())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def nudge_async(self) -> None:
        self.nudge()

    async def close(self) -> None:
        """Lets a drain in progress finish its row (it may be mid-send), then stops."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def drain(self) -> int:
        sent = 0
        async with self._lock:
            while True:
                self._again = False
                batch = await self._send_batch()
                sent += batch
                if batch == 0 and not self._again:
                    return sent

    async def _send_batch(self) -> int:
        db = self.state.db
        async with db.session() as session:
            rows = await outbox.claim_due(session)
            await session.commit()
        sent = 0
        for row in rows:
            assert row.id is not None
            async with db.session() as session:
                try:
                    await perform(self.bot, ApiCall(row.method, row.payload))
                except Forbidden as exc:
                    await outbox.mark_failed(session, message_id=row.id, error=str(exc))
                    await set_reachable(session, user_id=row.chat_id, reachable=False)
                    await outbox.fail_pending_for_chat(
                        session, chat_id=row.chat_id, error="blocked by user"
                    )
                except BadRequest as exc:
                    # The request itself is wrong: retrying cannot help.
                    log.error("outbox %s rejected: %s", row.id, exc)
                    await outbox.mark_failed(session, message_id=row.id, error=str(exc))
                except RetryAfter as exc:
                    await outbox.mark_retry(
                        session,
                        message_id=row.id,
                        attempts=row.attempts,
                        error=str(exc),
                        delay=_as_delta(exc.retry_after),
                    )
                except TelegramError as exc:
                    log.warning("outbox %s failed (attempt %s): %s", row.id, row.attempts, exc)
                    await outbox.mark_retry(
                        session,
                        message_id=row.id,
                        attempts=row.attempts,
                        error=str(exc),
                        delay=dt.timedelta(seconds=min(2**row.attempts, 600)),
                    )
                else:
                    await outbox.mark_sent(session, row.id)
                    sent += 1
                await session.commit()
        return len(rows)


def _as_delta(value: object) -> dt.timedelta:
    if isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(seconds=float(value))  # type: ignore[arg-type]


async def outbox_job(context: Any) -> None:
    """JobQueue callback: catches up on rows left by a crash or a failed send."""
    sender: OutboxSender = context.application.bot_data.outbox
    await sender.drain()
