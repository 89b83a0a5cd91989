"""`python -m bot run` as a deployment starts it: migrates, polls, answers, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from bot.sandbox.emulator import BotApiEmulator
from tests.e2e.helpers import say, text_of


async def test_the_run_command_serves_and_stops_cleanly(database_url: str) -> None:
    emu = BotApiEmulator()
    await emu.start()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emu.token,
        "TELEGRAM_API_BASE_URL": emu.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await emu.wait_until(lambda: bool(emu.commands), timeout=60)
        siti = emu.user(801, "Siti", "en")
        assert "Welcome to Suara" in text_of(await say(emu, siti, "/start"))
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
        await emu.close()
    assert process.returncode == 0, stderr.decode()[-2000:]
    log = stderr.decode()
    assert "Suara is polling for updates" in log
    assert emu.token not in log  # the token never reaches the log
