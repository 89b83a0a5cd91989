"""Sends the outbox within Telegram's limits, after the replies to people who are chatting.

Telegram takes about 30 messages a second from one bot and about one a second per chat. The
gate's replies (someone is waiting for them) and the outbox share one `SendBudget`: a reply
waits only when the last second holds 28 messages already, and the outbox sends only while
the messages of the last second, both kinds together, are under `OUTBOX_MESSAGES_PER_SECOND`
(25 by default) and no reply waits, so a broadcast of thousands
of questionnaires takes what the chatting users leave and never queues in front of them. The
outbox keeps a second between two of its messages to one chat, and a 429 pauses the whole
sender for Telegram's retry_after. A row is marked sent in its own commit right after the
call, so a restart resends at most the one message that was in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InputFile
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.calls import ApiCall, message_calls, perform
from bot.context import AppState
from bot.jobs import turns
from bot.notify import BUILD
from bot.reports import builders
from bot.services import conditions
from bot.storage import outbox
from bot.storage.models import OutboxMessage
from bot.storage.types import utcnow
from bot.storage.users import set_reachable

log = logging.getLogger(__name__)

SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
PER_CHAT_GAP = 1.0  # seconds between two outbox messages to one chat
WINDOW = 1.0
TELEGRAM_PER_SECOND = 30  # messages a second Telegram takes from one bot, all chats together
# Kept free under it: this process counts a send when the call starts, Telegram when it
# arrives, and a loaded event loop can bring calls started apart to Telegram together.
HEADROOM = 2
SENDER = "outbox"  # the job lease of the one worker sending at a time
RENEW_EVERY = 20.0  # seconds; the lease lasts turns.LEASE (60 s)
BUSY_RETRY = 1.0  # seconds before a worker that found another sending looks again
NEAR = 60.0  # seconds: a row due this soon wakes the sender itself


class SendBudget:
    """The messages this process sent in the last second, replies and outbox together, kept
    under Telegram's 30 a second for the bot. Replies go first: a reply waits only while the
    last second already holds `ceiling` messages (a pile of replies is spread out instead of
    sent in one burst that Telegram answers 429), and the outbox sends only while the last
    second holds fewer than `per_second` and no reply is waiting for room.

    A message counts from the moment its call starts until a second after Telegram answered:
    Telegram counts it when it arrives, somewhere in between, so however late calls arrive (a
    loaded event loop, new connections) no second of Telegram's holds more than `ceiling`."""

    def __init__(self, per_second: int, ceiling: int = TELEGRAM_PER_SECOND - HEADROOM) -> None:
        self.ceiling = ceiling
        self.per_second = min(per_second, ceiling)
        self._answered: deque[float] = deque()  # when Telegram answered, oldest first
        self._in_flight = 0
        self._replies_waiting = 0

    @contextlib.asynccontextmanager
    async def send(self, method: str, *, reply: bool = False) -> AsyncIterator[None]:
        """Around one call: waits for room (a reply ahead of the outbox) and counts it;
        calls that are not messages (edits, button answers) pass uncounted."""
        if method not in SENDS:
            yield
            return
        await (self._reply_room() if reply else self._outbox_room())
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._answered.append(time.monotonic())

    def _wait(self, count: int) -> float:
        """0 when the last second holds fewer than `count` messages, else how long to wait."""
        now = time.monotonic()
        while self._answered and now - self._answered[0] >= WINDOW:
            self._answered.popleft()
        over = self._in_flight + len(self._answered) - count
        if over < 0:
            return 0.0
        if over >= len(self._answered):
            return 0.005  # the calls in flight must be answered first
        return max(0.005, WINDOW - (now - self._answered[over]))

    async def _reply_room(self) -> None:
        self._replies_waiting += 1
        try:
            while True:
                wait = self._wait(self.ceiling)
                if not wait:
                    return
                await asyncio.sleep(wait)
        finally:
            self._replies_waiting -= 1

    async def _outbox_room(self) -> None:
        while True:
            wait = self._wait(self.per_second)
            if not wait and not self._replies_waiting:
                return
            await asyncio.sleep(wait or 0.005)


class OutboxSender:
    """Drains due rows; one drain at a time per process, any number of processes."""

    def __init__(self, state: AppState, bot: ExtBot[Any], budget: SendBudget) -> None:
        self.state = state
        self.bot = bot
        self.budget = budget
        self._lock = asyncio.Lock()
        self._again = False
        self._tasks: set[asyncio.Task[int]] = set()
        self._paused_until = 0.0
        self._last_to_chat: dict[int, float] = {}
        self._stopping = False
        self._renewed = 0.0
        self._retry: asyncio.TimerHandle | None = None

    def pause(self, seconds: float) -> None:
        """Sends nothing for `seconds` (Telegram answered 429, to the outbox or a reply)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def nudge(self) -> None:
        """Drains soon, without holding up the caller."""
        if self._lock.locked():
            self._again = True
            return
        task = asyncio.get_running_loop().create_task(self.drain())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _look_again_soon(self, after: float = BUSY_RETRY) -> None:
        if self._stopping or (self._retry is not None and not self._retry.cancelled()):
            return
        loop = asyncio.get_running_loop()

        def again() -> None:
            self._retry = None
            if not self._stopping:
                self.nudge()

        self._retry = loop.call_later(after, again)

    async def nudge_async(self) -> None:
        self.nudge()

    async def close(self) -> None:
        """Lets a drain in progress finish the row it is sending, gives the rest of its batch
        back (so the next process need not wait for the lease), then stops."""
        self._stopping = True
        if self._retry is not None:
            self._retry.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def drain(self) -> int:
        """Sends until nothing is due. Only one worker drains at a time (Telegram's limit is
        per bot): it holds the "outbox" job lease meanwhile and gives it back when done, so
        the next nudge in any worker can take it; a worker that died leaves it after a
        minute."""
        sent = 0
        async with self._lock:
            if not await turns.take(self.state, SENDER):
                # Another worker is sending; it may be finishing just as this worker's new
                # rows were committed, so look again in a second rather than at the next tick.
                self._look_again_soon()
                return 0
            self._renewed = time.monotonic()
            try:
                while not self._stopping:
                    self._again = False
                    batch = await self._send_batch()
                    sent += batch
                    if batch == 0 and not self._again:
                        await self._wake_for_next()
                        break
                    if not await self._renew():
                        break
            finally:
                await turns.give_back(self.state, SENDER)
        return sent

    async def _wake_for_next(self) -> None:
        """A row due within the next minute (a 429's wait, a retry) is sent when it is due,
        not at the job's next tick."""
        async with self.state.db.session() as session:
            due = await outbox.next_due(session)
        if due is None:
            return
        wait = (due - utcnow()).total_seconds()
        if wait <= NEAR:
            self._look_again_soon(max(0.05, wait))

    async def _renew(self, holding: list[OutboxMessage] | None = None) -> bool:
        """Keeps the sender's lease, and the leases of the rows it still holds, while a long
        broadcast goes on; False if the sender's lease was lost."""
        if time.monotonic() - self._renewed < RENEW_EVERY:
            return True
        self._renewed = time.monotonic()
        if not await turns.take(self.state, SENDER):
            return False
        if holding:
            async with self.state.db.session() as session:
                await outbox.extend(session, message_ids=[r.id for r in holding if r.id])
                await session.commit()
        return True

    async def _wait_out_pause(self, holding: list[OutboxMessage]) -> bool:
        """Sleeps through Telegram's retry_after, renewing the leases meanwhile."""
        while (pause := self._paused_until - time.monotonic()) > 0:
            await asyncio.sleep(min(pause, RENEW_EVERY))
            if not await self._renew(holding):
                return False
        return True

    async def _send_batch(self) -> int:
        async with self.state.db.session() as session:
            rows = await outbox.claim_due(session)
            await session.commit()
        waiting = list(rows)
        while waiting:
            if self._stopping:
                await self._give_back(waiting)
                break
            if not await self._wait_out_pause(waiting) or not await self._renew(waiting):
                await self._give_back(waiting)
                break
            row = await self._next(waiting)
            waiting.remove(row)
            wait = await self._send(row)
            if wait is not None:
                # The chat's later rows must not overtake the one that has to wait.
                later = [r for r in waiting if r.chat_id == row.chat_id]
                waiting = [r for r in waiting if r.chat_id != row.chat_id]
                async with self.state.db.session() as session:
                    await outbox.release(
                        session, message_ids=[r.id for r in later if r.id], delay=wait
                    )
                    await session.commit()
        return len(rows)

    async def _give_back(self, rows: list[OutboxMessage]) -> None:
        """Releases rows claimed but not sent, so the next sender need not wait for their
        lease."""
        async with self.state.db.session() as session:
            ids = [r.id for r in rows if r.id is not None]
            await outbox.release(session, message_ids=ids, delay=dt.timedelta(0))
            await session.commit()

    async def _next(self, waiting: list[OutboxMessage]) -> OutboxMessage:
        """The first row (in order) whose chat may get a message now; waits if none may."""
        while True:
            now = time.monotonic()
            held: set[int] = set()
            soonest = now + PER_CHAT_GAP
            for row in waiting:
                if row.chat_id in held:
                    continue  # an earlier row of this chat goes first
                ready_at = self._last_to_chat.get(row.chat_id, 0.0) + PER_CHAT_GAP
                if row.method not in SENDS or ready_at <= now:
                    return row
                held.add(row.chat_id)
                soonest = min(soonest, ready_at)
            await asyncio.sleep(max(0.005, soonest - now))

    async def _send(self, row: OutboxMessage) -> dt.timedelta | None:
        """Sends one row; returns how long its chat must wait when Telegram said 429."""
        assert row.id is not None
        wait = None
        pause = self._paused_until - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        async with self.state.db.session() as session:
            if row.condition:
                held = await self._recheck(session, row)
                if held is not None:
                    await session.commit()
                    return held if held.total_seconds() > 0 else None
            call = _call_of(row)
            if BUILD in row.payload:
                # A file notice: built now, after the update committed, in its own session.
                built = await self._build(session, row)
                if built is None:
                    await session.commit()
                    return None
                call = built
            try:
                # Counted around the call (the session starts no transaction until the first
                # write), so the count matches what reaches Telegram.
                async with self.budget.send(row.method):
                    if row.method in SENDS:
                        self._last_to_chat[row.chat_id] = time.monotonic()
                    answer = await perform(self.bot, call)
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
                # Telegram says the bot sends too much: everything waits, this row included,
                # and the wait is not held against the row as a failed attempt.
                delay = wait = _as_delta(exc.retry_after)
                self.pause(delay.total_seconds())
                log.warning("outbox paused %.0f s by Telegram (429)", delay.total_seconds())
                await outbox.mark_retry(
                    session,
                    message_id=row.id,
                    attempts=row.attempts,
                    error=str(exc),
                    delay=delay,
                    count=False,
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
                if row.dedupe_key and row.dedupe_key.startswith(outbox.REPLY_KEY):
                    # A reply that met a 429 is kept only until it is sent: what the user was
                    # answered (a PIN, say) is not stored beyond that.
                    await outbox.forget(session, row.id)
                else:
                    await outbox.mark_sent(session, row.id)
                if BUILD in row.payload:
                    # In the same commit: what the file's kind keeps once Telegram has it.
                    await builders.after_sent(session, row.payload[BUILD], answer)
            await session.commit()
        return wait

    async def _build(self, session: AsyncSession, row: OutboxMessage) -> ApiCall | None:
        """The call with its file built from the row's build request; None when the build
        failed: the row is marked failed with the reason and the recipient told politely."""
        assert row.id is not None
        request = row.payload[BUILD]
        try:
            built = await builders.build(self.state.core, request)
        except Exception as exc:  # any builder bug must not stop the outbox
            reason = f"build {request.get('kind')} failed: {type(exc).__name__}"
            log.error("outbox %s: %s", row.id, reason, exc_info=exc)
            await outbox.mark_failed(session, message_id=row.id, error=reason)
            t = self.state.core.texts.for_language(request.get("language"))
            for call in message_calls(row.chat_id, t("reports.build_failed")):
                outbox.add(session, chat_id=row.chat_id, method=call.method, payload=call.params)
            self.nudge()
            return None
        field = "photo" if row.method == "sendPhoto" else "document"
        params = {k: v for k, v in row.payload.items() if k != BUILD}
        params[field] = InputFile(built.data, filename=built.name)
        if built.caption:
            params.setdefault("caption", built.caption)
            params.setdefault("parse_mode", "HTML")
        return ApiCall(row.method, params)

    async def _recheck(self, session: AsyncSession, row: OutboxMessage) -> dt.timedelta | None:
        """None when the row may go now; else it is marked not sent (returns zero) or
        postponed to the next sending hours (returns how long its chat waits)."""
        assert row.id is not None and row.condition is not None
        now = self.state.clock()
        verdict = await conditions.recheck(session, row.condition, now)
        if verdict.reason is not None:
            log.info("outbox %s not sent: %s", row.id, verdict.reason)
            await outbox.mark_not_sent(session, message_id=row.id, reason=verdict.reason)
            return dt.timedelta(0)
        if verdict.wait_until is not None:
            # The bot's clock may run apart from the database's (tests): the row is due again
            # after the same wait on either.
            wait = verdict.wait_until - now
            await outbox.postpone(session, message_id=row.id, until=utcnow() + wait)
            return wait
        return None


def _call_of(row: OutboxMessage) -> ApiCall:
    if row.file_data is None:
        return ApiCall(row.method, row.payload)
    field = "photo" if row.method == "sendPhoto" else "document"
    document = InputFile(row.file_data, filename=row.file_name or field)
    return ApiCall(row.method, {**row.payload, field: document})


def _as_delta(value: object) -> dt.timedelta:
    if isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(seconds=float(value))  # type: ignore[arg-type]


async def outbox_job(context: Any) -> None:
    """JobQueue callback: catches up on rows left by a crash or a failed send."""
    sender: OutboxSender = context.application.bot_data.outbox
    sender.nudge()
