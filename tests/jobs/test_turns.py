"""Daily work among several workers: from its hour, once a day, whoever takes the turn."""

from __future__ import annotations

import datetime as dt

from bot.config import load_settings
from bot.context import AppState
from bot.core import build_core
from bot.jobs import turns
from bot.storage.db import Database

WIB = dt.timezone(dt.timedelta(hours=7))


def _worker(db: Database, now: list[dt.datetime]) -> AppState:
    state = AppState()
    state.core = build_core(load_settings(BOT_TIMEZONE="Asia/Jakarta"), db=db, analyzer=False)
    state.clock = lambda: now[0]
    return state


async def test_once_a_day_from_its_hour_in_one_worker(db: Database) -> None:
    now = [dt.datetime(2026, 12, 1, 7, 59, tzinfo=WIB)]
    first, second = _worker(db, now), _worker(db, now)
    done: list[str] = []

    async def minute() -> None:
        for worker in (first, second):

            async def work(worker: AppState = worker) -> None:
                done.append(worker.holder)

            await turns.once_a_day(worker, "daily", dt.time(8, 0), work)

    await minute()
    assert done == []  # before 08:00
    now[0] = now[0].replace(hour=8, minute=0)
    await minute()
    await minute()
    assert done == [first.holder]
    now[0] += dt.timedelta(days=1)
    await minute()
    assert len(done) == 2
