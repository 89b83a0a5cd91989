"""The admin workspace's audit page at scale: a log of 100,000 entries, then the time the page's
service (count, one page of 20, the filters' choices, the names) takes with and without
filters. Reports; never asserts.

    python bench/audit_page.py [--database-url URL] [--entries 100000]

Without --database-url it runs on a SQLite file; with a PostgreSQL server URL it creates a
scratch database there and drops it after. Each figure is the median of 5 runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from bot.sandbox.databases import scratch_database
from bot.services import admin
from bot.services.access import Access
from bot.storage.audit import AuditEntry, AuditFilter
from bot.storage.db import Database

CHUNK = 4_000  # under PostgreSQL's 32,767 bound parameters per statement
ACTIONS = (
    ("verify", "complaint"),
    ("reply", "complaint"),
    ("close", "complaint"),
    ("unit_added", "unit"),
    ("ban", "user"),
    ("assign_organizer", "user"),
)
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


async def _fill(db: Database, entries: int) -> None:
    rows = [
        {
            "at": START + dt.timedelta(minutes=5 * i),
            "actor_id": 7000 + i % 40,
            "actor_role": "organizer",
            "action": ACTIONS[i % len(ACTIONS)][0],
            "subject_kind": ACTIONS[i % len(ACTIONS)][1],
            "subject_id": i,
        }
        for i in range(entries)
    ]
    async with db.session() as session:
        for start in range(0, len(rows), CHUNK):
            await session.execute(insert(AuditEntry), rows[start : start + CHUNK])
        await session.commit()


async def _measure(db: Database, wanted: AuditFilter, page: int) -> tuple[int, float]:
    caller = Access(user_id=1, admin=True, founding=True)
    times: list[float] = []
    total = 0
    for _ in range(5):
        async with db.session() as session:
            began = time.perf_counter()
            found = await admin.audit_page(session, caller, wanted, page=page)
            times.append(time.perf_counter() - began)
            total = found.entries.total
    return total, statistics.median(times)


async def main(server: str | None, entries: int) -> None:
    march = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    cases = {
        "no filter, first page": (AuditFilter(), 0),
        "no filter, last page": (AuditFilter(), 10**6),
        "one action": (AuditFilter(action="ban"), 0),
        "one actor in a month": (
            AuditFilter(actor_id=7003, since=march, until=march + dt.timedelta(days=31)),
            0,
        ),
    }
    with tempfile.TemporaryDirectory() as folder:
        async with scratch_database(server, Path(folder), "suara_bench") as url:
            db = Database(url)
            await db.migrate()
            await _fill(db, entries)
            print(f"audit page, {entries:,} entries ({url.split(':')[0]}):")
            for name, (wanted, page) in cases.items():
                total, seconds = await _measure(db, wanted, page)
                print(f"  {name}: {total:,} match, {seconds * 1000:.0f} ms")
            await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main(args.database_url, args.entries))
