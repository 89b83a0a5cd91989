"""The gate every update passes: applied once, in order per chat, acknowledged after commit.

PTB's own polling acknowledges an update (the next getUpdates offset) as soon as it is queued,
and a crash then loses it. Here the polling loop hands a whole batch to `UpdateGate`, which
commits each update's effects together with its `update_id`, and only then is the offset moved
on. A redelivered update finds its id recorded and is skipped. The webhook endpoint (later) uses
the same `UpdateGate.process_batch` and answers 200 after it returns.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InputFile, Update
from telegram.error import Conflict, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.calls import ApiCall, message_call, perform
from bot.context import AppState, UpdateScope, _current
from bot.storage import outbox
from bot.storage.models import OutboxMessage
from bot.storage.types import utcnow
from bot.storage.updates import FLOOD_WINDOW, arrival, mark_processed, was_processed
from bot.storage.users import get_user, set_reachable

log = logging.getLogger(__name__)

MAX_CONCURRENT_CHATS = 32


def chat_key(update: Update) -> int | None:
    """Updates with the same key are applied in order; different keys run concurrently."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


@dataclass
class _Turn:
    """One chat's lock, kept while any of its updates holds or waits for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class UpdateGate:
    """Applies updates through the Application inside one committed unit of work each."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        *,
        on_durable: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.application = application
        self.state: AppState = application.bot_data
        self._on_durable = on_durable
        self._limit = asyncio.Semaphore(MAX_CONCURRENT_CHATS)
        self._chat_turns: dict[int | None, _Turn] = {}
        # Chats whose replies wait in the outbox after a 429 (row ids), and until when.
        self._behind: dict[int, list[int]] = {}
        self._wait_until: dict[int, float] = {}

    async def process_batch(self, updates: Sequence[Update]) -> None:
        """Returns once every update is committed; raises if any could not be committed."""
        groups: OrderedDict[int | None, list[Update]] = OrderedDict()
        for update in sorted(updates, key=lambda u: u.update_id):
            groups.setdefault(chat_key(update), []).append(update)
        results = await asyncio.gather(
            *(self._process_group(group) for group in groups.values()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _process_group(self, updates: list[Update]) -> None:
        async with self._limit:
            for update in updates:
                await self.process_one(update)

    async def process_one(self, update: Update) -> None:
        """Applies one update; in webhook mode several may arrive at once, so one chat's
        updates take turns here, and across workers (PostgreSQL) on a lock in the database."""
        key = chat_key(update)
        turn = self._chat_turns.get(key)
        if turn is None:
            turn = self._chat_turns[key] = _Turn()
        turn.users += 1
        try:
            async with turn.lock:
                await self._apply(update, key)
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._chat_turns[key]

    async def _apply(self, update: Update, key: int | None) -> None:
        state = self.state
        async with state.db.session() as session:
            if key is not None:
                # Held until this update commits: the chat's next update, wherever it arrived,
                # reads the flow state this one leaves. Taken before the dedupe check, so a
                # redelivery racing the original finds it done.
                await state.db.take_turn(session, key)
            tg_user = update.effective_user
            # The dedupe check, the account and the flood count in one statement.
            arrived = await arrival(
                session,
                update.update_id,
                tg_user.id if tg_user is not None else None,
                since=utcnow() - FLOOD_WINDOW,
            )
            if arrived.applied:
                log.info("update %s already applied; skipped", update.update_id)
                return
            user = arrived.user
            language = state.texts.choose(
                user.language if user else None, tg_user.language_code if tg_user else None
            )
            scope = UpdateScope(
                session=session,
                update_id=update.update_id,
                t=state.texts.for_language(language),
                user=user,
                user_id=tg_user.id if tg_user is not None else None,
                recent=arrived.recent,
            )
            token = _current.set(scope)
            try:
                await self.application.process_update(update)
            finally:
                _current.reset(token)
            if scope.failed:
                # The handler's half-done changes go; the apology and the update id stay.
                await session.rollback()
            elif tg_user is not None:
                await _remember_app_language(session, tg_user.id, tg_user.language_code)
            try:
                await mark_processed(session, update.update_id, scope.user_id)
                await session.commit()
            except IntegrityError:
                await session.rollback()
                if await was_processed(session, update.update_id):
                    # Another worker applied this update first; its replies went out there.
                    log.info("update %s applied by another worker; skipped", update.update_id)
                    return
                # A constraint the handler broke: nothing of it is kept, the user is told.
                log.exception("update %s broke a constraint; rolled back", update.update_id)
                await mark_processed(session, update.update_id, scope.user_id)
                await session.commit()
                scope.replies = _apology(update, scope)
                scope.durable_added = False
        # Update ids only: anything about the user or their words stays out of the logs.
        log.debug("update %s applied, %d replies", update.update_id, len(scope.replies))
        await self._send_replies(scope.replies, update.update_id)
        if scope.durable_added and self._on_durable is not None:
            await self._on_durable()

    async def _send_replies(self, replies: list[ApiCall], update_id: int) -> None:
        """Sends the committed update's replies at once. A chat whose reply Telegram refuses
        (429) gets that reply and every later one through the outbox, in order, when
        Telegram allows: nobody else waits for it and nothing is dropped."""
        handed: dict[int, list[ApiCall]] = {}
        for call in replies:
            chat = _chat_of(call)
            if chat is not None and (chat in handed or await self._is_behind(chat)):
                handed.setdefault(chat, []).append(call)
                continue
            delay = await self._send_reply(call)
            if delay is not None and chat is not None:
                handed[chat] = [call]
                self._wait_until[chat] = time.monotonic() + delay
        if handed:
            await self._hand_over(handed, update_id)

    async def _is_behind(self, chat: int) -> bool:
        """True while replies handed to the outbox for this chat are not all sent."""
        waiting = self._behind.get(chat)
        if not waiting:
            return False
        async with self.state.db.session() as session:
            still = await outbox.pending_among(session, message_ids=waiting)
        if still:
            self._behind[chat] = still
            return True
        del self._behind[chat]
        self._wait_until.pop(chat, None)
        return False

    async def _hand_over(self, handed: dict[int, list[ApiCall]], update_id: int) -> None:
        now = time.monotonic()
        numbers = itertools.count()
        async with self.state.db.session() as session:
            rows = {
                chat: [
                    _outbox_row(
                        session,
                        call,
                        delay=max(0.0, self._wait_until.get(chat, now) - now),
                        key=f"{outbox.REPLY_KEY}{update_id}:{next(numbers)}",
                    )
                    for call in calls
                ]
                for chat, calls in handed.items()
            }
            await session.commit()
        for chat, added in rows.items():
            self._behind.setdefault(chat, []).extend(row.id for row in added if row.id)
        log.info("replies to %d chats handed to the outbox after a 429", len(handed))
        self.state.outbox.nudge()

    async def _send_reply(self, call: ApiCall) -> float | None:
        """Sends one reply; returns Telegram's retry_after when it answered 429."""
        try:
            # Counted with the outbox's messages; the outbox makes room for people who are
            # chatting, and a reply waits only when the last second is full (a pile of replies
            # goes out spread under Telegram's limit, not in one burst it refuses).
            async with self.state.outbox.budget.send(call.method, reply=True):
                await perform(self.application.bot, call)
        except RetryAfter as exc:
            # Telegram says the bot sends too much. This reply is not retried here (a wait
            # would hold the chat's turn, the poll batch and so everyone): the outbox sends
            # it after retry_after, and pauses as long, so the people chatting go first.
            delay = _seconds(exc.retry_after)
            log.warning("a reply was answered 429; outbox paused %.0f s", delay)
            self.state.outbox.pause(delay)
            return delay
        except Forbidden:
            await mark_unreachable(self.state, call.params.get("chat_id"))
        except TelegramError as exc:
            # The effects are committed; a reply that cannot be delivered is logged, and
            # the user sees the current state the next time they write.
            log.warning("reply %s failed: %s", call.method, exc)
        return None


def _chat_of(call: ApiCall) -> int | None:
    chat = call.params.get("chat_id")
    return chat if isinstance(chat, int) else None


def _outbox_row(session: AsyncSession, call: ApiCall, *, delay: float, key: str) -> OutboxMessage:
    """A reply as an outbox row: its JSON parameters, and its file as bytes."""
    params = dict(call.params)
    file = None
    for name in ("photo", "document"):
        value = params.get(name)
        if isinstance(value, InputFile):
            params.pop(name)
            content = value.input_file_content
            data = content if isinstance(content, bytes) else content.read()
            file = (value.filename or name, data)
    chat = _chat_of(call)
    assert chat is not None
    return outbox.add(
        session,
        chat_id=chat,
        method=call.method,
        payload=params,
        dedupe_key=key,
        not_before=utcnow() + dt.timedelta(seconds=delay),
        file=file,
    )


async def _remember_app_language(session: AsyncSession, user_id: int, code: str | None) -> None:
    """Keeps the Telegram app's language of a known user, so that messages sent to them
    later (notifications, reminders) are in their language too."""
    user = await get_user(session, user_id)
    if user is not None and code and user.telegram_language != code[:16]:
        user.telegram_language = code[:16]
        session.add(user)


def _apology(update: Update, scope: UpdateScope) -> list[ApiCall]:
    if update.effective_chat is None:
        return []
    return [message_call(update.effective_chat.id, scope.t("error.apology"))]


async def mark_unreachable(state: AppState, chat_id: object) -> None:
    if not isinstance(chat_id, int):
        return
    async with state.db.session() as session:
        await set_reachable(session, user_id=chat_id, reachable=False)
        await outbox.fail_pending_for_chat(session, chat_id=chat_id, error="blocked by user")
        await session.commit()


class Poller:
    """getUpdates in a loop; the offset moves past a batch only after the gate committed it."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], gate: UpdateGate):
        self.application = application
        self.gate = gate
        self.offset: int | None = None
        self.poll_timeout = 20

    async def run(self) -> None:
        bot = self.application.bot
        delay = 1.0
        while True:
            try:
                updates = await bot.get_updates(
                    offset=self.offset,
                    timeout=self.poll_timeout,
                    allowed_updates=Update.ALL_TYPES,
                )
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except Conflict:
                log.error("another process is polling with this token; retrying in 10 s")
                await asyncio.sleep(10)
                continue
            except (TimedOut, NetworkError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)
                continue
            delay = 1.0
            if not updates:
                continue
            try:
                await self.gate.process_batch(updates)
            except Exception:
                # Nothing is acknowledged: the batch comes again and what was committed is
                # skipped by its update id.
                log.exception("batch of %d updates not committed; will retry", len(updates))
                await asyncio.sleep(2)
                continue
            self.offset = updates[-1].update_id + 1

    async def acknowledge(self) -> None:
        """Tells Telegram the last committed batch is done (on a clean stop)."""
        if self.offset is None:
            return
        try:
            await self.application.bot.get_updates(offset=self.offset, timeout=0, limit=1)
        except TelegramError as exc:
            log.warning("final acknowledge failed: %s", exc)


def _seconds(value: object) -> float:
    if hasattr(value, "total_seconds"):
        return float(value.total_seconds())
    return float(value)  # type: ignore[arg-type]
