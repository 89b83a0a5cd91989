"""The outbox: a row is claimed by one sender at a time, and sent rows are not claimed again."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import OUTBOX_FAILED, OUTBOX_SENT, OutboxMessage
from bot.storage.types import utcnow


async def _add(db: Database, count: int, chat_id: int = 1) -> None:
    async with db.session() as session:
        for n in range(count):
            await outbox.enqueue(
                session, chat_id=chat_id, method="sendMessage", payload={"text": str(n)}
            )
        await session.commit()


async def _claim(db: Database) -> list[int]:
    async with db.session() as session:
        rows = await outbox.claim_due(session, limit=10)
        await session.commit()
    return [row.id for row in rows if row.id is not None]


async def test_concurrent_senders_never_claim_the_same_row(db: Database) -> None:
    await _add(db, 30)
    flat: list[int] = []
    while True:
        claims = await asyncio.gather(*(_claim(db) for _ in range(5)))
        if not any(claims):
            break
        flat += [row_id for claim in claims for row_id in claim]
    assert len(flat) == len(set(flat)) == 30


async def test_sent_rows_stay_sent_and_expired_leases_come_back(db: Database) -> None:
    await _add(db, 2)
    first, second = await _claim(db)
    async with db.session() as session:
        await outbox.mark_sent(session, first)
        # The sender of `second` died: its lease runs out.
        row = await session.get(OutboxMessage, second)
        assert row is not None
        row.lease_until = utcnow() - dt.timedelta(seconds=1)
        session.add(row)
        await session.commit()
    assert await _claim(db) == [second]
    async with db.session() as session:
        row = await session.get(OutboxMessage, first)
        assert row is not None and row.status == OUTBOX_SENT and row.sent_at is not None


async def test_dedupe_key_adds_a_message_once(db: Database) -> None:
    async with db.session() as session:
        for _ in range(3):
            await outbox.enqueue(
                session, chat_id=1, method="sendMessage", payload={}, dedupe_key="digest:1:w47"
            )
            await session.flush()
        await session.commit()
    assert len(await _claim(db)) == 1


async def test_a_blocked_chat_gets_nothing_more(db: Database) -> None:
    await _add(db, 3, chat_id=7)
    await _add(db, 1, chat_id=8)
    async with db.session() as session:
        await outbox.fail_pending_for_chat(session, chat_id=7, error="blocked")
        await session.commit()
        failed = await session.get(OutboxMessage, 1)
    assert failed is not None and failed.status == OUTBOX_FAILED
    assert len(await _claim(db)) == 1


async def test_a_refused_row_holds_its_chats_later_rows_only(db: Database) -> None:
    await _add(db, 2, chat_id=1)
    await _add(db, 1, chat_id=2)
    first, second, other = await _claim(db)
    async with db.session() as session:
        # Telegram refused the first; the sender gave the other two back unsent.
        await outbox.mark_retry(
            session, message_id=first, attempts=1, error="429", delay=dt.timedelta(minutes=1)
        )
        await outbox.release(session, message_ids=[second, other], delay=dt.timedelta(0))
        # A message scheduled for later (not refused) holds nothing back.
        later = outbox.add(
            session,
            chat_id=2,
            method="sendMessage",
            payload={"text": "besok"},
            not_before=utcnow() + dt.timedelta(days=1),
        )
        await session.commit()
        assert later.id is not None
    await _add(db, 1, chat_id=2)
    claimed = await _claim(db)
    assert second not in claimed and first not in claimed
    assert other in claimed and len(claimed) == 2  # chat 2's two due rows
