"""Updates of one chat are applied in order; a slow chat does not hold up the others."""

from __future__ import annotations

import asyncio
import random

from telegram import Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot.context import SuaraContext
from bot.sandbox.harness import Harness


async def test_one_chat_in_order_many_chats_at_once(harness: Harness) -> None:
    seen: dict[int, list[str]] = {}

    async def record(update: Update, context: SuaraContext) -> None:
        await asyncio.sleep(random.uniform(0, 0.01))
        assert update.effective_chat and update.message and update.message.text
        seen.setdefault(update.effective_chat.id, []).append(update.message.text)
        context.reply(update, update.message.text)
        raise ApplicationHandlerStop

    assert harness.runner is not None
    harness.runner.application.add_handler(
        MessageHandler(filters.Regex(r"^urut "), record), group=-2
    )
    emu = harness.emulator
    emu.latency = 0.05
    people = [emu.user(500 + i, f"U{i}", "id") for i in range(6)]
    last = 0
    for n in range(8):
        for person in people:
            last = emu.send_text(person, f"urut {n}")
    # Replies over Telegram's 30 a second come later from the outbox, a second apart per chat.
    await emu.wait_acknowledged(last, timeout=40)
    for person in people:
        assert seen[person.id] == [f"urut {n}" for n in range(8)]
        assert emu.texts(person) == [f"urut {n}" for n in range(8)]
    # getUpdates plus replies to several chats at once.
    assert emu.max_in_flight > 2, "replies to different chats waited for each other"
