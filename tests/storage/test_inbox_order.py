"""The inbox's order is read off its index (migration 0027), on both databases: the index's
expressions are the query's, constants and all, or the planner would sort every complaint
again. Alembic cannot compare an index on expressions, so this is its check."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlmodel import select

from bot.storage.complaints import (
    BARU,
    DIVERIFIKASI,
    INBOX_ORDER_INDEX,
    MENUNGGU,
    SELESAI,
    Complaint,
    _inbox_order,
    search_for_units,
)
from bot.storage.db import Database
from bot.storage.places import seed_places

TODAY = dt.date(2026, 12, 4)


async def _plan(db: Database, backwards: bool) -> str:
    keys = _inbox_order()
    if backwards:
        keys = [key.desc() for key in keys]
    query = select(Complaint.id).order_by(*keys).offset(40).limit(20)
    async with db.engine.connect() as conn:
        if db.is_postgresql:
            # Its plans for a statement's first runs see the parameters' values (as constants);
            # an empty table is cheaper to sort: ask whether the index CAN give the order.
            sql = str(query.compile(conn.sync_connection, compile_kwargs={"literal_binds": True}))
            await conn.execute(text("SET enable_sort = off"))
            await conn.execute(text("SET enable_seqscan = off"))
            rows = await conn.exec_driver_sql(f"EXPLAIN {sql}")
        else:
            # As the inbox sends it, with its bound parameters: SQLite never looks into one,
            # so a constant of the index sent as a parameter would leave it unused.
            compiled = query.compile(conn.sync_connection)
            params = tuple(compiled.params[name] for name in compiled.positiontup or ())
            rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
        return "\n".join(" ".join(str(v) for v in row) for row in rows.all())


async def test_a_page_of_all_complaints_is_read_in_the_index_order(db: Database) -> None:
    for backwards in (False, True):
        plan = await _plan(db, backwards)
        assert INBOX_ORDER_INDEX in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan.replace("Sort Key", ""), plan
        if db.is_postgresql:  # the page's ids from the index alone, no row read
            assert "Index Only Scan" in plan, plan


async def test_the_pages_keep_the_deadline_order(db: Database) -> None:
    """Nearest running deadline first, the waiting and closed last, by filing time, the id
    breaking ties; the same whichever end a page is read from."""
    async with db.session() as session:
        await seed_places(session)
        unit = 1
        created = dt.datetime(2026, 11, 1, 8, tzinfo=dt.UTC)
        rows = [
            # state, verify_due, followup_due, minutes after `created`
            (BARU, dt.date(2026, 12, 1), dt.date(2026, 12, 20), 0),  # runs: verify 12-01
            (DIVERIFIKASI, dt.date(2026, 11, 2), dt.date(2026, 12, 3), 1),  # followup 12-03
            (MENUNGGU, dt.date(2026, 11, 2), dt.date(2026, 11, 5), 2),  # waits: no deadline
            (SELESAI, dt.date(2026, 11, 2), dt.date(2026, 11, 5), 3),  # closed: none
            (BARU, dt.date(2026, 12, 3), None, 4),  # verify 12-03, filed after the 2nd
            (BARU, dt.date(2026, 11, 28), None, 5),  # the nearest
        ]
        for n, (state, verify, followup, minutes) in enumerate(rows, start=1):
            session.add(
                Complaint(
                    id=n, ticket=f"ADU-{n}", reporter_id=n, category="Kesehatan",
                    unit_id=unit, description="antrean", state=state,
                    created_at=created + dt.timedelta(minutes=minutes),
                    verify_due=verify, followup_due=followup,
                )
            )  # fmt: skip
        await session.commit()
        expected = [6, 1, 2, 5, 3, 4]
        pages = []
        for offset in range(0, 6, 2):
            found, total, _ = await search_for_units(
                session, unit_ids=None, states=None, category=None, overdue=False,
                search=None, today=TODAY, offset=offset, limit=2,
            )  # fmt: skip
            assert total == 6
            pages += [c.id for c in found]
        assert pages == expected
        ids = (await session.exec(select(Complaint.id).order_by(*_inbox_order()))).all()
        assert list(ids) == expected
        # States without a running deadline: by filing time, either end read.
        closed = []
        for offset in (0, 1):
            found, total, _ = await search_for_units(
                session, unit_ids=[unit], states=(SELESAI, MENUNGGU), category=None,
                overdue=False, search=None, today=TODAY, offset=offset, limit=1,
            )  # fmt: skip
            assert total == 2
            closed += [c.id for c in found]
        assert closed == [3, 4]
