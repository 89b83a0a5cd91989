"""The outbox: Bot API calls stored with the change that caused them, sent by a job.

Any number of processes may drain it: a row is claimed by setting a lease with a conditional
UPDATE, so two senders never send the same row at the same time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage import leases
from bot.storage.models import (
    OUTBOX_FAILED,
    OUTBOX_NOT_SENT,
    OUTBOX_PENDING,
    OUTBOX_SENT,
    OutboxMessage,
)
from bot.storage.types import utcnow

# A sender that died leaves its rows to another after this; a live sender extends the lease
# of the rows it still holds every 20 s (jobs/outbox.py), however long its batch takes.
LEASE = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 8
REPLY_KEY = "reply:"  # the dedupe key of a reply handed over after a 429: reply:<update>:<n>


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
    file: tuple[str, bytes] | None = None,
    condition: dict[str, Any] | None = None,
) -> OutboxMessage | None:
    """Adds a call; with a dedupe_key already present it adds nothing and returns None.
    `file` (name, bytes) goes with sendPhoto / sendDocument as the photo or document."""
    if dedupe_key is not None:
        existing = await session.exec(
            select(OutboxMessage.id).where(col(OutboxMessage.dedupe_key) == dedupe_key)
        )
        if existing.first() is not None:
            return None
    return add(
        session,
        chat_id=chat_id,
        method=method,
        payload=payload,
        dedupe_key=dedupe_key,
        not_before=not_before,
        file=file,
        condition=condition,
    )


def add(
    session: AsyncSession,
    *,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
    file: tuple[str, bytes] | None = None,
    condition: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Adds a call whose dedupe key the caller knows to be new."""
    message = OutboxMessage(
        chat_id=chat_id,
        method=method,
        payload=payload,
        dedupe_key=dedupe_key,
        not_before=not_before or utcnow(),
        file_name=file[0] if file else None,
        file_data=file[1] if file else None,
        condition=condition,
    )
    session.add(message)
    return message


async def existing_keys(session: AsyncSession, keys: set[str]) -> set[str]:
    """Which of these dedupe keys the outbox holds already."""
    found: set[str] = set()
    ordered = sorted(keys)
    for start in range(0, len(ordered), 900):  # under SQLite's bound-parameter limit
        chunk = ordered[start : start + 900]
        query = select(OutboxMessage.dedupe_key).where(col(OutboxMessage.dedupe_key).in_(chunk))
        found.update(key for key in (await session.exec(query)).all() if key is not None)
    return found


async def replies_waiting(session: AsyncSession) -> int:
    """Replies handed to the outbox after a 429 that are not sent yet."""
    query = select(func.count()).where(
        col(OutboxMessage.status) == OUTBOX_PENDING,
        col(OutboxMessage.dedupe_key).startswith(REPLY_KEY),
    )
    return int((await session.exec(query)).one())


async def pending_among(session: AsyncSession, *, message_ids: list[int]) -> list[int]:
    """Which of these rows are still waiting to be sent."""
    if not message_ids:
        return []
    query = select(OutboxMessage.id).where(
        col(OutboxMessage.id).in_(message_ids), col(OutboxMessage.status) == OUTBOX_PENDING
    )
    return sorted(i for i in (await session.exec(query)).all() if i is not None)


async def next_due(session: AsyncSession) -> dt.datetime | None:
    """When the earliest pending row is due (None when nothing is pending)."""
    query = select(func.min(OutboxMessage.not_before)).where(
        col(OutboxMessage.status) == OUTBOX_PENDING
    )
    due = (await session.exec(query)).one()
    if due is not None and due.tzinfo is None:
        due = due.replace(tzinfo=dt.UTC)
    return due


async def claim_due(session: AsyncSession, *, limit: int = 50) -> list[OutboxMessage]:
    """Leases up to `limit` due rows to this caller, oldest first; commit to make it visible."""
    now = utcnow()
    # A row Telegram refused (a 429, a failed try) holds its chat's later rows until it is
    # sent: a chat's messages arrive in the order they were written.
    earlier = aliased(OutboxMessage)
    held_back = exists().where(
        col(earlier.chat_id) == col(OutboxMessage.chat_id),
        col(earlier.id) < col(OutboxMessage.id),
        col(earlier.status) == OUTBOX_PENDING,
        col(earlier.last_error).is_not(None),
        col(earlier.not_before) > now,
    )
    due = and_(
        col(OutboxMessage.status) == OUTBOX_PENDING,
        col(OutboxMessage.not_before) <= now,
        ~held_back,
    )
    # Someone who chatted is waiting for a reply handed over after a 429: their chat's rows
    # go before a broadcast queued earlier (the chat's own rows stay in order).
    reply = aliased(OutboxMessage)
    answering = exists().where(
        col(reply.chat_id) == col(OutboxMessage.chat_id),
        col(reply.status) == OUTBOX_PENDING,
        col(reply.dedupe_key).startswith(REPLY_KEY),
    )
    return await leases.claim(
        session,
        OutboxMessage,
        due=due,
        order=(case((answering, 0), else_=1), col(OutboxMessage.id)),
        now=now,
        lease=LEASE,
        limit=limit,
    )


async def forget(session: AsyncSession, message_id: int) -> None:
    """Removes a sent row whose text need not be kept (a reply handed over after a 429)."""
    await session.exec(delete(OutboxMessage).where(col(OutboxMessage.id) == message_id))


async def mark_sent(session: AsyncSession, message_id: int) -> None:
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(status=OUTBOX_SENT, sent_at=utcnow(), lease_until=None)
    )


async def mark_retry(
    session: AsyncSession,
    *,
    message_id: int,
    attempts: int,
    error: str,
    delay: dt.timedelta,
    count: bool = True,
) -> None:
    """Due again after `delay`; given up after MAX_ATTEMPTS counted tries. A try that is not
    counted (Telegram asked the bot to wait) also gives its claim's attempt back."""
    final = count and attempts >= MAX_ATTEMPTS
    values: dict[str, object] = {
        "status": OUTBOX_FAILED if final else OUTBOX_PENDING,
        "last_error": error[:500],
        "lease_until": None,
        "not_before": utcnow() + delay,
    }
    if not count:
        values["attempts"] = col(OutboxMessage.attempts) - 1
    await session.exec(
        update(OutboxMessage).where(col(OutboxMessage.id) == message_id).values(**values)
    )


async def extend(session: AsyncSession, *, message_ids: list[int]) -> None:
    """Keeps the lease of rows this sender still holds."""
    if message_ids:
        await session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id).in_(message_ids),
                col(OutboxMessage.status) == OUTBOX_PENDING,
            )
            .values(lease_until=utcnow() + LEASE)
        )


async def release(session: AsyncSession, *, message_ids: list[int], delay: dt.timedelta) -> None:
    """Claimed rows given back unsent (their chat must wait), due again after `delay`."""
    if not message_ids:
        return
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(message_ids))
        .values(
            lease_until=None,
            not_before=utcnow() + delay,
            attempts=col(OutboxMessage.attempts) - 1,
        )
    )


async def mark_not_sent(session: AsyncSession, *, message_id: int, reason: str) -> None:
    """Its condition no longer holds: kept with the reason, never sent."""
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(status=OUTBOX_NOT_SENT, last_error=reason[:500], lease_until=None)
    )


async def postpone(session: AsyncSession, *, message_id: int, until: dt.datetime) -> None:
    """Due again at `until` (the next sending hours); the claim's attempt is given back."""
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(lease_until=None, not_before=until, attempts=col(OutboxMessage.attempts) - 1)
    )


async def mark_failed(session: AsyncSession, *, message_id: int, error: str) -> None:
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(status=OUTBOX_FAILED, last_error=error[:500], lease_until=None)
    )


async def fail_pending_for_chat(session: AsyncSession, *, chat_id: int, error: str) -> None:
    """A chat that blocked the bot gets nothing more: its pending rows are failed, not retried."""
    await session.exec(
        update(OutboxMessage)
        .where(
            and_(
                col(OutboxMessage.chat_id) == chat_id, col(OutboxMessage.status) == OUTBOX_PENDING
            )
        )
        .values(status=OUTBOX_FAILED, last_error=error[:500], lease_until=None)
    )
