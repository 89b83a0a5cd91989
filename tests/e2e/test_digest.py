"""The weekly digest reaches each organizer and admin once: a process down at the scheduled
time sends it when it starts, a restart does not send it again, and two processes on one
database send it once. /ringkasan and the command line build it on demand."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.__main__ import main
from bot.app import prepare, shutdown
from bot.jobs.digest import send_weekly
from bot.runner import BotRunner
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.services.digest import Period
from tests.conftest import ADMIN_ID
from tests.e2e.helpers import onboard, say, text_of
from tests.e2e.test_complaints import _file, _wait_text

TITLE = "Ringkasan mingguan"


def _digests(emu: BotApiEmulator, who: Persona) -> tuple[int, int, int]:
    """How many digest texts, charts and workbooks this person received."""
    messages = emu.messages(who)
    texts = sum(1 for m in messages if m.kind == "text" and TITLE in m.text)
    photos = sum(1 for m in messages if m.kind == "photo")
    documents = sum(1 for m in messages if m.kind == "document")
    return texts, photos, documents


async def _settle(emu: BotApiEmulator, who: Persona, expected: tuple[int, int, int]) -> None:
    await emu.wait_until(lambda: _digests(emu, who) == expected, timeout=20)


async def test_a_missed_digest_is_sent_at_start_once_even_with_two_processes(
    database_url: str,
) -> None:
    tz = dt.timezone(dt.timedelta(hours=7))  # Asia/Jakarta, the default BOT_TIMEZONE
    monday = Period.containing(dt.datetime.now(tz).date()).monday
    clock = [dt.datetime.combine(monday, dt.time(6, 0), tz)]  # before Monday 07:00
    harness = Harness(
        database_url,
        clock=lambda: clock[0],
        BOT_ADMIN_IDS=str(ADMIN_ID),
        FLOOD_MESSAGES_PER_MINUTE="10000",
        DIGEST_SCHEDULE="MON 07:00",
    )
    await harness.start()
    second: BotRunner | None = None
    try:
        emu = harness.emulator
        admin = emu.user(ADMIN_ID, "Admin", "id")
        rina = emu.user(7101, "Rina", "id")
        await onboard(emu, admin, "asn")
        await onboard(emu, rina, "asn")
        await say(emu, admin, "/penyelenggara 7101 LSL-DUKCAPIL")
        siti = emu.user(7102, "Siti", "id")
        await onboard(emu, siti)
        await _file(emu, siti, photos=0)
        await asyncio.sleep(2.5)  # the start-up check ran: too early, nothing is sent
        assert _digests(emu, rina) == (0, 0, 0)

        # The process is down at 07:00 and comes back at 09:00: it catches up.
        await harness.stop()
        clock[0] = dt.datetime.combine(monday, dt.time(9, 0), tz)
        await harness.start()
        await _settle(emu, rina, (1, 1, 1))
        await _settle(emu, admin, (1, 1, 1))
        organizer_digest = next(m for m in emu.messages(rina) if TITLE in m.text)
        assert "semua unit" not in organizer_digest.text and "Aduan" in organizer_digest.text
        assert any("semua unit" in m.text for m in emu.messages(admin))
        chart = next(m for m in emu.messages(rina) if m.kind == "photo")
        assert chart.file_bytes is not None
        assert Image.open(io.BytesIO(chart.file_bytes)).format == "PNG"
        book = next(m for m in emu.messages(rina) if m.kind == "document")
        assert book.file_bytes is not None
        assert "Aduan" in load_workbook(io.BytesIO(book.file_bytes)).sheetnames

        # A restart sends nothing again.
        await harness.restart()
        await asyncio.sleep(3)
        assert _digests(emu, rina) == (1, 1, 1) and _digests(emu, admin) == (1, 1, 1)

        # Two processes on one database, both checking at once: a new organizer of a unit
        # that had a complaint last week gets one; a new organizer of a quiet unit gets none
        # (an empty week is not anyone's first message from Suara).
        dedi = emu.user(7103, "Dedi", "id")
        await onboard(emu, dedi, "asn")
        await say(emu, admin, "/penyelenggara 7103 LSL-DUKCAPIL")
        eko = emu.user(7104, "Eko", "id")
        await onboard(emu, eko, "asn")
        await say(emu, admin, "/penyelenggara 7104 LSM-DINKES")
        second = BotRunner(harness.settings)
        second.application.bot_data.clock = lambda: clock[0]
        await prepare(second.application)
        assert harness.runner is not None
        first_state = harness.runner.application.bot_data
        results = await asyncio.gather(
            send_weekly(first_state.core, first_state.outbox.nudge),
            send_weekly(
                second.application.bot_data.core, second.application.bot_data.outbox.nudge
            ),
        )
        assert sorted(results) == [0, 1]
        await _settle(emu, dedi, (1, 1, 1))
        await asyncio.sleep(1)
        assert _digests(emu, dedi) == (1, 1, 1) and _digests(emu, rina) == (1, 1, 1)
        assert _digests(emu, eko) == (0, 0, 0)
        assert not any("Tidak ada kegiatan" in m.text for m in emu.messages(eko))

        # On demand: /ringkasan builds this week's so far, again whenever asked.
        await say(emu, rina, "/ringkasan")
        await _settle(emu, rina, (2, 2, 2))
        assert "tidak tersedia" in text_of(await say(emu, siti, "/ringkasan"))
    finally:
        if second is not None:
            await shutdown(second.application)
        await harness.close()


async def test_the_command_line_writes_the_files_without_sending(
    harness: Harness, tmp_path: Path, capsys: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", harness.database_url)
    monkeypatch.setenv("BOT_ADMIN_IDS", str(ADMIN_ID))
    emu = harness.emulator
    siti = emu.user(7201, "Siti", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, photos=0)
    await _wait_text(emu, siti, ticket)
    before = len(emu.messages(ADMIN_ID))
    status = await asyncio.to_thread(
        main,
        [
            "digest",
            "--period",
            "this-week",
            "--dry-run",
            "--output",
            str(tmp_path),
        ],
    )
    assert status == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "Ringkasan mingguan, semua unit" in out and "Baru 1" in out
    (png,) = await asyncio.to_thread(lambda: list(tmp_path.glob("*.png")))
    (xlsx,) = await asyncio.to_thread(lambda: list(tmp_path.glob("*.xlsx")))
    assert Image.open(png).size[0] >= 800
    rows = list(load_workbook(xlsx)["Aduan"].iter_rows(values_only=True))
    assert rows[0] == (
        "Tiket", "Dilaporkan", "Kategori", "Unit", "Status", "Kerahasiaan", "Terlambat", "Selesai",
    )  # fmt: skip
    # No column and no cell carries who reported it.
    assert rows[1][0] == ticket and not any("Siti" in str(v) for r in rows for v in r)
    assert len(emu.messages(ADMIN_ID)) == before  # a dry run sends nothing
    assert await asyncio.to_thread(main, ["digest", "--period", "2026-W99", "--dry-run"]) == 2
