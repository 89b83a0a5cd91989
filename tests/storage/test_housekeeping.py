"""Old update ids and old sent messages are forgotten; recent ones and pending ones stay."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from bot.jobs.housekeeping import clean
from bot.storage.db import Database
from bot.storage.models import OUTBOX_PENDING, OUTBOX_SENT, OutboxMessage, ProcessedUpdate
from bot.storage.types import utcnow


class _State:
    def __init__(self, db: Database) -> None:
        self.db = db


async def test_clean(db: Database) -> None:
    old = utcnow() - dt.timedelta(days=40)
    async with db.session() as session:
        session.add(ProcessedUpdate(update_id=1, processed_at=old))
        session.add(ProcessedUpdate(update_id=2))
        for status, sent_at in (
            (OUTBOX_SENT, old),
            (OUTBOX_SENT, utcnow()),
            (OUTBOX_PENDING, None),
        ):
            session.add(
                OutboxMessage(
                    chat_id=1, method="sendMessage", payload={}, status=status, sent_at=sent_at,
                    created_at=old,
                )
            )  # fmt: skip
        await session.commit()
    assert await clean(_State(db)) == (1, 1)  # type: ignore[arg-type]
    async with db.session() as session:
        ids = (await session.exec(select(ProcessedUpdate.update_id))).all()
        statuses = sorted((await session.exec(select(OutboxMessage.status))).all())
    assert list(ids) == [2]
    assert statuses == [OUTBOX_PENDING, OUTBOX_SENT]
