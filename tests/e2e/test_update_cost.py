"""What an update costs the database, guarded: the statements a known user's free text and a
flow button send, and (on SQLite) one trip to the database thread per statement. Counted are
the statements of the gate's tasks only: scheduled jobs run beside them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiosqlite
from sqlalchemy import event

from bot.buttons import FlowStep
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.harness import Harness
from tests.e2e.helpers import onboard, say

# Beside these, PostgreSQL takes the chat's turn (an advisory lock) first.
TURN = "pg_advisory_xact_lock"


def in_gate() -> bool:
    """Whether the running task is the gate applying updates (not a scheduled job)."""
    task = asyncio.current_task()
    coro = task.get_coro() if task is not None else None
    return getattr(coro, "__qualname__", "") == "UpdateGate._process_group"


@contextmanager
def counting(harness: Harness) -> Iterator[tuple[list[str], list[int]]]:
    """The statements the bot sends and the trips to aiosqlite's thread, while open."""
    assert harness.runner is not None
    engine = harness.runner.application.bot_data.db.engine.sync_engine
    statements: list[str] = []
    trips = [0]

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if in_gate() and statement != "BEGIN IMMEDIATE" and TURN not in statement:
            statements.append(statement)

    queue_call = aiosqlite.Connection._execute

    async def trip(connection: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips[0] += in_gate()
        return await queue_call(connection, fn, *args, **kwargs)

    event.listen(engine, "before_cursor_execute", seen)
    aiosqlite.Connection._execute = trip  # type: ignore[method-assign]
    try:
        yield statements, trips
    finally:
        aiosqlite.Connection._execute = queue_call  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", seen)


def quiet(harness: Harness) -> BotApiEmulator:
    """The emulator's own outbox look-up off: it runs in the test's task, not the gate's."""
    emu = harness.emulator
    emu.settle = None
    return emu


async def test_free_text_and_a_flow_button_cost_few_statements(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(8801, "Siti", "id")
    await onboard(emu, siti)
    await say(emu, siti, "/batal")
    quiet(harness)
    sqlite = harness.database_url.startswith("sqlite")

    with counting(harness) as (statements, trips):
        await emu.wait_acknowledged(emu.send_text(siti, "Jalan di depan rumah saya rusak"))
    # The arrival (dedupe, account, flood count), the user's flows (read once for the active
    # one and to store the new one), the new flow state, the processed update.
    assert 0 < len(statements) <= 4, statements
    if sqlite:
        assert trips[0] <= len(statements) + 1  # and the COMMIT; BEGIN rides with the first

    await say(emu, siti, "/lapor")
    with counting(harness) as (statements, trips):
        category = FlowStep("c", "cat", "0").pack()
        await emu.wait_acknowledged(emu.press_data(siti, emu.last_message(siti), category))
    # The arrival, the user's flows, the step stored, the processed update; and the places
    # of the next question when this process has not read them in the last 30 s (here the
    # first picker it shows).
    assert 0 < len(statements) <= 6, statements
    if sqlite:
        assert trips[0] <= len(statements) + 1
    # The answer was taken: the next question's buttons are of another step.
    asked = FlowStep.parse(emu.last_with_buttons(siti).buttons[0][1])
    assert asked is not None and asked.step != "cat"

    # The next citizen's picker is shown from the places this process read just now.
    budi = emu.user(8802, "Budi", "id")
    await onboard(emu, budi)
    await say(emu, budi, "/lapor")
    with counting(harness) as (statements, trips):
        await emu.wait_acknowledged(emu.press_data(budi, emu.last_message(budi), category))
    assert 0 < len(statements) <= 4, statements
    assert not any("FROM places" in statement for statement in statements)
    asked = FlowStep.parse(emu.last_with_buttons(budi).buttons[0][1])
    assert asked is not None and asked.step != "cat"
