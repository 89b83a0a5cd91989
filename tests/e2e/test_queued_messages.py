"""A queued message is checked again when it is sent: what it depends on may have changed
while it waited (an answer given, the window closed, the evening come)."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlmodel import col, select

from bot.jobs.feedback import run_due
from bot.sandbox.emulator import Persona
from bot.sandbox.harness import Harness
from bot.storage.models import OutboxMessage
from bot.storage.programs import Program
from tests.e2e.helpers import choose, say, tap
from tests.e2e.test_feedback import INVITATION, NAVIGATION, REMINDER, SUBMIT, _count
from tests.e2e.test_flows import FILL, _invited


def _state(harness: Harness):  # type: ignore[no-untyped-def]
    assert harness.runner is not None
    return harness.runner.application.bot_data


async def _rows(harness: Harness, who: Persona, prefix: str) -> list[OutboxMessage]:
    async with _state(harness).db.session() as session:
        rows = await session.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.chat_id) == who.id,
                col(OutboxMessage.dedupe_key).startswith(prefix),
            )
        )
        return list(rows.all())


async def _settled(harness: Harness, who: Persona, prefix: str) -> list[OutboxMessage]:
    """The rows once the sender has looked at them (sent, not sent, or postponed)."""
    for _ in range(200):
        rows = await _rows(harness, who, prefix)
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        if rows and all(r.status != "pending" or r.not_before > later for r in rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"rows {prefix} not settled")


async def test_a_reminder_to_someone_who_answered_meanwhile_is_not_sent(harness: Harness) -> None:
    emu = harness.emulator
    andi, clock = await _invited(harness, 5401)
    await tap(emu, andi, FILL)
    for _ in range(40):
        labels = [label for label, _ in emu.last_with_buttons(andi).buttons]
        if SUBMIT in labels:
            break
        options = [label for label in labels if label not in NAVIGATION]
        if any(label[:1].isdigit() for label in options):
            await choose(emu, andi, 4)
        elif "Lewati" in labels:
            await tap(emu, andi, "Lewati")
        else:
            await say(emu, andi, "Menerapkan SOP pelayanan.")
    # The reminder falls due and is queued; before the outbox gets to it, Andi sends.
    state = _state(harness)
    state.outbox.pause(3.0)
    clock.now += dt.timedelta(hours=25)
    await run_due(state)
    assert len(await _rows(harness, andi, "remind:")) == 1
    await tap(emu, andi, SUBMIT)
    [row] = await _settled(harness, andi, "remind:")
    assert row.status == "not sent" and row.last_error == "already answered"
    assert _count(emu, andi, REMINDER) == 0


async def test_an_invitation_due_after_the_window_closed_is_not_sent(harness: Harness) -> None:
    emu = harness.emulator
    andi, clock = await _invited(harness, 5402, dispatch=False)
    state = _state(harness)
    state.outbox.pause(3.0)
    await run_due(state)
    async with state.db.session() as session:
        program = (await session.exec(select(Program))).one()
    clock.now = program.closes_at + dt.timedelta(minutes=1)
    [row] = await _settled(harness, andi, "invite:")
    assert row.status == "not sent" and row.last_error == "questionnaire closed"
    assert _count(emu, andi, INVITATION) == 0


async def test_an_invitation_left_past_the_sending_hours_by_a_restart_waits_for_morning(
    harness: Harness,
) -> None:
    emu = harness.emulator
    # The training ends at 19:00 WIB; the invitation is queued at 19:01, within the hours.
    andi, clock = await _invited(harness, 5403, ended_at=19, dispatch=False)
    state = _state(harness)
    state.outbox.pause(3.0)
    await run_due(state)
    # The bot stops before sending and is back at 21:30.
    clock.now += dt.timedelta(hours=2, minutes=29)
    harness.clock = clock
    await harness.restart(crash=True)
    [row] = await _settled(harness, andi, "invite:")
    assert row.status == "pending"
    # Due again at 08:00 WIB, ten and a half hours after the bot's 21:30.
    wait = row.not_before - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=10) < wait <= dt.timedelta(hours=10, minutes=31)
    await asyncio.sleep(0.3)
    assert _count(emu, andi, INVITATION) == 0
