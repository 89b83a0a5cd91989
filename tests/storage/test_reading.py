"""A page that only reads does not queue behind the chat's writers (SQLite takes its write
lock at BEGIN for updates; a reader takes none and reads the last committed snapshot)."""

from __future__ import annotations

import asyncio

from sqlmodel import col, func, select

from bot.storage.db import Database
from bot.storage.places import Place, seed_places


async def _count(db: Database) -> int:
    async with db.reading() as session:
        return int((await session.exec(select(func.count()).select_from(Place))).one())


async def test_a_reader_reads_the_last_commit_while_a_writer_holds_its_transaction(
    db: Database,
) -> None:
    async with db.session() as session:
        await seed_places(session)
        await session.commit()
    before = await _count(db)
    async with db.session() as writer:
        place = (await writer.exec(select(Place).where(col(Place.level) == "unit"))).first()
        assert place is not None
        writer.add(
            Place(code="NEW-UNIT", name="Unit baru", level="unit", parent_id=place.parent_id)
        )
        await writer.flush()  # the writer holds its transaction (on SQLite: the write lock)
        # Were the reader to wait for the lock, it would wait for this very transaction:
        # the timeout would fire instead of an answer.
        assert await asyncio.wait_for(_count(db), timeout=20) == before
        await writer.commit()
    assert await _count(db) == before + 1
