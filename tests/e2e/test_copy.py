"""Moving a deployment: a SQLite database copied into an empty one (PostgreSQL when the suite
runs on it), checked by row counts; the bot then runs on the copy and keeps numbering."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.sandbox.harness import Harness
from tests.conftest import ADMIN_ID, fresh_database
from tests.e2e.helpers import onboard, say, text_of
from tests.e2e.test_complaints import _file


async def test_a_sqlite_deployment_is_copied_and_the_bot_continues_on_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    settings = {"BOT_ADMIN_IDS": str(ADMIN_ID), "DIGEST_SCHEDULE": "off"}
    async with Harness(source, **settings) as old:
        siti = old.emulator.user(801, "Siti", "id")
        await onboard(old.emulator, siti)
        first = await _file(old.emulator, siti, photos=1)

    (tmp_path / "target").mkdir()
    async with fresh_database(tmp_path / "target") as target:
        monkeypatch.setenv("DATABASE_URL", target)
        assert await asyncio.to_thread(main, ["migrate", "--copy-from", source]) == 0
        out = capsys.readouterr().out
        assert "complaints: 1 -> 1 ok" in out and "users: 1 -> 1 ok" in out
        assert "every table's rows match" in out
        # A second copy into the now full database is refused, nothing written.
        assert await asyncio.to_thread(main, ["migrate", "--copy-from", source]) == 2

        async with Harness(target, **settings) as new:
            emu = new.emulator
            # Telegram's update ids only grow; this new emulator would start again at 1, and
            # the copied record of applied updates would rightly skip those.
            emu._update_ids = itertools.count(100_000)
            siti = emu.user(801, "Siti", "id")
            assert first in text_of(await say(emu, siti, "/status"))
            # Known and consented on the copy: no privacy notice again; new rows get new ids.
            second = await _file(emu, siti, photos=1)
            assert second != first
            assert first in text_of(await say(emu, siti, "/status"))
