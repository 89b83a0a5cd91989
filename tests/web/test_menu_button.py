"""The workspace in the chat's menu: organizers and admins get it as a Mini App button whichever
door gave them the role, and lose it when their role ends; nobody gets it where the workspace
is not served over https. A new complaint's notice opens the complaint in the workspace."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import col

from bot.jobs.menu import refresh
from bot.sandbox.harness import Harness
from bot.storage.places import OrganizerUnit
from tests.e2e.helpers import onboard
from tests.e2e.test_complaints import _db, _file, _setup_organizers, _wait_text
from tests.web.helpers import web_harness

HTTPS = "https://suara.example.go.id"


async def _refresh(harness: Harness) -> int:
    assert harness.runner is not None
    application = harness.runner.application
    return await refresh(application.bot_data, application.bot)


async def test_staff_get_the_workspace_in_their_menu_and_lose_it_with_their_role(
    database_url: str,
) -> None:
    async with web_harness(database_url, WEB_BASE_URL=HTTPS) as harness:
        emu = harness.emulator
        admin, rina, dedi = await _setup_organizers(emu)
        citizen = emu.user(301, "Siti Aminah", "id")
        await onboard(emu, citizen)
        await _refresh(harness)
        for person in (admin, rina, dedi):
            button = emu.menu_buttons[person.id]
            assert button["type"] == "web_app" and button["text"] == "Ruang kerja"
            assert button["web_app"]["url"] == HTTPS + "/"
        assert citizen.id not in emu.menu_buttons
        assert await _refresh(harness) == 0  # set once: nothing to do the next minute

        async with _db(harness).session() as session:
            await session.exec(delete(OrganizerUnit).where(col(OrganizerUnit.user_id) == rina.id))
            await session.commit()
        await _refresh(harness)  # (or the menu job, running beside the test, did it first)
        assert emu.menu_buttons[rina.id] == {"type": "default"}
        assert await _refresh(harness) == 0
        assert emu.menu_buttons[dedi.id]["type"] == "web_app"


async def test_without_https_nobody_is_given_the_workspace(database_url: str) -> None:
    async with web_harness(database_url) as harness:  # served on http://127.0.0.1 only
        _admin, rina, _dedi = await _setup_organizers(harness.emulator)
        assert await _refresh(harness) == 0
        assert rina.id not in harness.emulator.menu_buttons


async def test_a_new_complaints_notice_opens_it_in_the_workspace(database_url: str) -> None:
    async with web_harness(database_url, WEB_BASE_URL=HTTPS) as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        siti = emu.user(301, "Siti Aminah", "id")
        await onboard(emu, siti)
        await _file(emu, siti, photos=0)
        await _wait_text(emu, rina, "Pengaduan baru")
        notice = next(m for m in reversed(emu.messages(rina)) if "Pengaduan baru" in m.text)
        buttons = [b for row in (notice.reply_markup or {})["inline_keyboard"] for b in row]
        opened = [b for b in buttons if "web_app" in b]
        assert len(opened) == 1 and opened[0]["text"] == "🗂 Buka di ruang kerja"
        complaint_id = int(opened[0]["web_app"]["url"].rsplit("/", 1)[1])
        assert opened[0]["web_app"]["url"] == f"{HTTPS}/aduan/{complaint_id}"
        assert any("callback_data" in b for b in buttons)  # the chat's own button stays


async def test_without_https_a_notice_has_the_chats_button_only(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        siti = emu.user(301, "Siti Aminah", "id")
        await onboard(emu, siti)
        await _file(emu, siti, photos=0)
        await _wait_text(emu, rina, "Pengaduan baru")
        notice = next(m for m in reversed(emu.messages(rina)) if "Pengaduan baru" in m.text)
        buttons = [b for row in (notice.reply_markup or {})["inline_keyboard"] for b in row]
        assert buttons and all("web_app" not in b for b in buttons)
