"""Two processes on one database: the same update given to both is applied once, and a flow
begun in one continues in the other (what webhook workers will do)."""

from __future__ import annotations

import asyncio
import time

from telegram import Update

from bot.app import prepare, shutdown
from bot.runner import BotRunner
from bot.sandbox.harness import Harness
from tests.e2e.helpers import say, step, tap, text_of


def _update(runner: BotRunner, payload: dict[str, object]) -> Update:
    update = Update.de_json(payload, runner.application.bot)
    assert update is not None
    return update


async def test_a_second_worker_shares_flows_and_never_repeats_an_update(
    harness: Harness,
) -> None:
    emu = harness.emulator
    siti = emu.user(601, "Siti", "id")
    await say(emu, siti, "/start")
    await tap(emu, siti, step("on", "privacy", "yes"))

    second = BotRunner(harness.settings)
    await prepare(second.application)
    try:
        # The role answer arrives at the second worker: it knows the step from the database.
        privacy_message = emu.last_with_buttons(siti)
        payload = {
            "update_id": 10_000,
            "callback_query": {
                "id": "cq-10000",
                "from": siti.as_dict(),
                "chat_instance": "x",
                "data": step("on", "role", "citizen"),
                "message": privacy_message.as_dict(emu.bot_user, siti.chat()),
            },
        }
        before = len(emu.events(siti))
        await second.gate.process_batch([_update(second, payload)])
        assert "Anda terdaftar sebagai warga" in text_of(emu.events(siti)[before:])

        # One update delivered to both workers at once is applied by exactly one.
        text = {
            "update_id": 10_001,
            "message": {
                "message_id": 999,
                "date": int(time.time()),
                "chat": siti.chat(),
                "from": siti.as_dict(),
                "text": "/bantuan",
                "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
            },
        }
        assert harness.runner is not None
        before = len(emu.events(siti))
        await asyncio.gather(
            harness.runner.gate.process_batch([_update(harness.runner, text)]),
            second.gate.process_batch([_update(second, text)]),
        )
        answers = [e.text for e in emu.events(siti)[before:] if "/lapor" in e.text]
        assert len(answers) == 1
    finally:
        await shutdown(second.application)
