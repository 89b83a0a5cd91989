"""Taking turns at scheduled work among workers: a thin layer over `storage.job_leases` that
opens its own short transaction, so a lease is visible to the others at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from bot.context import AppState
from bot.storage import job_leases
from bot.storage.types import utcnow

# A worker that dies holding a lease leaves the work to another after this.
LEASE = dt.timedelta(seconds=60)


async def take(
    state: AppState, name: str, *, period: str | None = None, ttl: dt.timedelta = LEASE
) -> bool:
    """Leases are timed by the real clock; `period` may come from the bot's clock (tests
    move that one)."""
    async with state.db.session() as session:
        taken = await job_leases.take(
            session, name, now=utcnow(), ttl=ttl, period=period, holder=state.holder
        )
        await session.commit()
    return taken


async def give_back(state: AppState, name: str, *, done_for: str | None = None) -> None:
    async with state.db.session() as session:
        await job_leases.give_back(session, name, done_for=done_for, holder=state.holder)
        await session.commit()


def daily_period(state: AppState, at: dt.time) -> str | None:
    """Today's date (deployment zone) once the day's moment `at` has passed, else None."""
    local = state.clock().astimezone(state.settings.tz)
    return local.date().isoformat() if local.time() >= at else None


async def once_a_day(
    state: AppState, name: str, at: dt.time, work: Callable[[], Awaitable[object]]
) -> None:
    """Called every minute by every worker: does `work` once a day, from `at` (or as soon as
    a worker is up after that), in whichever worker takes the day's turn. Work that fails
    keeps the day open: another worker takes it over when the lease runs out."""
    day = daily_period(state, at)
    if day is None or not await take(state, name, period=day):
        return
    await work()
    await give_back(state, name, done_for=day)
