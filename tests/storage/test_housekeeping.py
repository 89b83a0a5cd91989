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


async def test_clean_forgets_old_login_attempts_and_unsent_uploads(db: Database) -> None:
    from bot.storage.complaints import Complaint
    from bot.storage.places import Place
    from bot.storage.websec import WebAttempt, WebUpload

    now = utcnow()
    async with db.session() as session:
        unit = Place(code="T-UNIT", name="Unit Uji", level="unit")
        session.add(unit)
        await session.flush()
        assert unit.id is not None
        complaint = Complaint(
            reporter_id=1,
            category="Lainnya",
            unit_id=unit.id,
            description="x" * 30,
            ticket="T-1",
            verify_due=dt.date(2026, 12, 31),
        )
        session.add(complaint)
        await session.flush()
        assert complaint.id is not None
        for minutes in (11, 2):
            session.add(
                WebAttempt(kind="token", subject="s", at=now - dt.timedelta(minutes=minutes))
            )
        for days in (8, 1):
            session.add(
                WebUpload(
                    complaint_id=complaint.id,
                    kind="document",
                    file_name=f"{days}.pdf",
                    data=b"%PDF-",
                    created_at=now - dt.timedelta(days=days),
                )
            )
        await session.commit()
    await clean(_State(db))  # type: ignore[arg-type]
    async with db.session() as session:
        attempts = (await session.exec(select(WebAttempt))).all()
        uploads = (await session.exec(select(WebUpload.file_name))).all()
    assert [a.at > now - dt.timedelta(minutes=10) for a in attempts] == [True]
    assert list(uploads) == ["1.pdf"]
