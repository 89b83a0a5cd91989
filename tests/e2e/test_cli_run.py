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


async def _run_failing(**settings: str) -> tuple[int, list[str]]:
    """`python -m bot run` that cannot start: its exit status and the lines on stderr."""
    env = {**os.environ, "LOG_LEVEL": "WARNING", **settings}
    env.pop("WEBHOOK_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 90)
    assert process.returncode is not None
    return process.returncode, stderr.decode().splitlines()


async def test_an_unreachable_database_is_one_line_and_status_3() -> None:
    emu = BotApiEmulator()
    await emu.start()
    try:
        for url, where in (
            ("postgresql://suara:geheim@127.0.0.1:9/suara", "postgresql+asyncpg://suara:***@"),
            ("sqlite:////proc/no-such-place/suara.db", "sqlite+aiosqlite:////proc/no-such"),
        ):
            status, lines = await _run_failing(
                TELEGRAM_BOT_TOKEN=emu.token,
                TELEGRAM_API_BASE_URL=emu.base_url,
                DATABASE_URL=url,
            )
            assert status == 3, lines
            assert len(lines) == 1, lines
            assert lines[0].startswith(f"Suara: cannot reach the database at {where}"), lines
            assert "geheim" not in lines[0]
        assert not emu.commands  # Telegram was never asked
    finally:
        await emu.close()


async def test_a_bad_token_or_no_telegram_is_one_line_and_status_3(database_url: str) -> None:
    emu = BotApiEmulator()
    await emu.start()
    try:
        status, lines = await _run_failing(
            TELEGRAM_BOT_TOKEN="999999:not-the-bots-token",
            TELEGRAM_API_BASE_URL=emu.base_url,
            DATABASE_URL=database_url,
        )
        assert status == 3, lines
        assert lines == [
            "Suara: Telegram refused the bot token (TELEGRAM_BOT_TOKEN); copy it again from "
            "@BotFather"
        ]
        status, lines = await _run_failing(
            TELEGRAM_BOT_TOKEN=emu.token,
            TELEGRAM_API_BASE_URL="http://127.0.0.1:9",
            DATABASE_URL=database_url,
        )
        assert status == 3, lines
        assert len(lines) == 1 and lines[0].startswith(
            "Suara: cannot reach Telegram at http://127.0.0.1:9: "
        ), lines
        assert emu.token not in lines[0]
    finally:
        await emu.close()
