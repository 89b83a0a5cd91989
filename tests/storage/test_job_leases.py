"""Job leases: one holder at a time, taken over when it lapses, once per period."""

from __future__ import annotations

import datetime as dt

from bot.storage import job_leases
from bot.storage.db import Database

NOW = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


async def _take(db: Database, holder: str, *, at: dt.datetime, period: str | None = None) -> bool:
    async with db.session() as session:
        taken = await job_leases.take(
            session, "outbox", now=at, ttl=MINUTE, period=period, holder=holder
        )
        await session.commit()
    return taken


async def _give_back(db: Database, holder: str, done_for: str | None = None) -> None:
    async with db.session() as session:
        await job_leases.give_back(session, "outbox", done_for=done_for, holder=holder)
        await session.commit()


async def test_one_holder_at_a_time_and_takeover_after_it_lapses(db: Database) -> None:
    assert await _take(db, "a", at=NOW)
    assert not await _take(db, "b", at=NOW + dt.timedelta(seconds=30))
    # The holder renews its own lease.
    assert await _take(db, "a", at=NOW + dt.timedelta(seconds=50))
    assert not await _take(db, "b", at=NOW + dt.timedelta(seconds=100))
    # "a" died: its lease runs out and "b" takes over.
    assert await _take(db, "b", at=NOW + dt.timedelta(seconds=111))
    # Giving back frees it at once, and only the holder can give it back.
    await _give_back(db, "a")
    assert not await _take(db, "c", at=NOW + dt.timedelta(seconds=112))
    await _give_back(db, "b")
    assert await _take(db, "c", at=NOW + dt.timedelta(seconds=113))


async def test_once_per_period(db: Database) -> None:
    assert await _take(db, "a", at=NOW, period="2026-11-30")
    await _give_back(db, "a", done_for="2026-11-30")
    # Done for today: nobody does it again, the same worker included.
    assert not await _take(db, "b", at=NOW + MINUTE, period="2026-11-30")
    assert not await _take(db, "a", at=NOW + MINUTE, period="2026-11-30")
    # A worker that died mid-pass leaves the day undone: another does it after the lease.
    assert await _take(db, "b", at=NOW + MINUTE, period="2026-12-01")
    assert not await _take(db, "a", at=NOW + MINUTE * 1.5, period="2026-12-01")
    assert await _take(db, "a", at=NOW + MINUTE * 2.5, period="2026-12-01")
