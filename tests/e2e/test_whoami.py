"""/id answers anyone their Telegram id: before /start, during the privacy notice, after."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.sandbox.harness import Harness
from bot.storage.models import User
from tests.e2e.helpers import onboard, say, step, tap, text_of


async def test_id_answers_the_id_before_and_after_onboarding(harness: Harness) -> None:
    emu = harness.emulator
    stranger = emu.user(7771234, "Wayan", "id")
    assert "ID Telegram Anda: 7771234" in text_of(await say(emu, stranger, "/id"))
    await say(emu, stranger, "/start")  # the privacy notice waits for an answer
    assert "ID Telegram Anda: 7771234" in text_of(await say(emu, stranger, "/id"))
    await tap(emu, stranger, step("on", "privacy", "yes"))
    budi = emu.user(7771235, "Budi", "en")
    await onboard(emu, budi)
    assert "Your Telegram ID: 7771235" in text_of(await say(emu, budi, "/id"))
    # Someone who only asked keeps nothing stored.
    nobody = emu.user(7771236, "Nyoman", "id")
    await say(emu, nobody, "/id")
    assert harness.runner is not None
    async with harness.runner.application.bot_data.db.session() as session:
        kept = await session.scalar(
            select(func.count()).select_from(User).where(User.id == nobody.id)
        )
    assert kept == 0
