"""A user's flows are read once per transaction (the gate reads the flow that takes an
update, then stores its step): what is read again within it is what the session holds, and a
commit, a rollback or a delete makes the next call read the table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.storage import flows
from bot.storage.db import Database

SITI = 8101


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)


async def test_the_flow_read_for_an_update_is_not_read_again_to_store_its_step(
    db: Database,
) -> None:
    async with db.session() as session:
        await flows.set_flow(session, user_id=SITI, flow="complaint", step="cat", draft={})
        await flows.set_flow(session, user_id=SITI, flow="feedback", step="q1", draft={})
        await session.commit()

    with statements(db) as selects:
        async with db.session() as session:
            active = await flows.get_flow(session, SITI)
            assert active is not None and active.flow == "feedback"
            kept = await flows.get_flow(session, SITI, "complaint")
            assert kept is not None and not kept.active
            aside = await flows.set_flow(
                session, user_id=SITI, flow="complaint", step="place", draft={"a": 1}
            )
            assert aside == ["feedback"]
            assert len(selects) == 1  # one read of the user's flows served the three calls
            await session.commit()

    async with db.session() as session:
        active = await flows.get_flow(session, SITI)
        waiting = await flows.waiting_flows(session, SITI)
    assert active is not None and (active.flow, active.step) == ("complaint", "place")
    assert active.draft == {"a": 1}
    assert [state.flow for state in waiting] == ["feedback"]


async def test_a_flow_cleared_or_rolled_back_is_read_again(db: Database) -> None:
    async with db.session() as session:
        await flows.set_flow(session, user_id=SITI, flow="complaint", step="cat", draft={})
        await session.commit()

    async with db.session() as session:
        assert await flows.get_flow(session, SITI) is not None
        assert await flows.clear_flow(session, SITI, "complaint")
        assert await flows.get_flow(session, SITI) is None
        assert await flows.get_flow(session, SITI, "complaint") is None
        # A new flow after the clear is created, not taken for the deleted one.
        await flows.set_flow(session, user_id=SITI, flow="complaint", step="desc", draft={})
        await session.rollback()  # the handler failed: nothing of it stays
        state = await flows.get_flow(session, SITI, "complaint")
        assert state is not None and state.step == "cat"
        await flows.set_flow(session, user_id=SITI, flow="feedback", step="q1", draft={})
        await session.commit()
        with statements(db) as selects:
            # After the commit the table is read again.
            assert (await flows.get_flow(session, SITI, "feedback")) is not None
        assert len(selects) == 1

    async with db.session() as session:
        complaint = await flows.get_flow(session, SITI, "complaint")
        assert complaint is not None and not complaint.active and complaint.step == "cat"
