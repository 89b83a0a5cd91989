"""The workspace in a real headless Chromium against the running bot and the Bot API emulator:
an organizer opens the Mini App with launch data signed as Telegram signs it, forwards a new
complaint by picking a unit, the receiving unit's organizer (logged in by a /masuk link)
responds, and the citizen is told in the chat. Forged or stale launch data, a used login link
and another unit's organizer are refused.

Skipped, with the reason, where Playwright or Chromium (/usr/bin/chromium) is missing.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.sandbox.emulator import Persona
from bot.sandbox.harness import Harness
from tests.e2e.helpers import onboard, say, text_of
from tests.e2e.test_complaints import _file, _setup_organizers, _wait_text
from tests.web.helpers import base_url, door, launch_data, web_harness

CHROMIUM = os.environ.get("SUARA_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM} (apt-get install -y chromium) for the browser tests",
        allow_module_level=True,
    )
playwright = pytest.importorskip(
    "playwright.async_api", reason="Playwright is not installed (pip install playwright)"
)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "workspace.png"
RECEIVER = 7003  # organizer of Dinas Kesehatan, Kab. Lampung Selatan (the same region)
THEME = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    async with playwright.async_playwright() as driver:
        chromium = await driver.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def open_mini_app(page: object, harness: Harness, data: str) -> None:
    await page.goto("about:blank")  # type: ignore[attr-defined]  # a fresh load, not a hash change
    await page.goto(mini_app_url(harness, data))  # type: ignore[attr-defined]


def mini_app_url(harness: Harness, data: str) -> str:
    """What Telegram opens: the page with the launch data and theme in the URL fragment."""
    theme = quote(json.dumps(THEME))
    fragment = f"tgWebAppData={quote(data)}&tgWebAppVersion=8.0&tgWebAppThemeParams={theme}"
    return f"{base_url(harness)}/#{fragment}"


async def phone(browser: object) -> object:
    """A fresh browser profile the size of a small phone (360 px wide)."""
    return await browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 360, "height": 780}, device_scale_factor=2, locale="id-ID"
    )


async def login_link(harness: Harness, who: Persona) -> str:
    said = text_of(await say(harness.emulator, who, "/masuk"))
    token = re.search(r"/masuk/([A-Za-z0-9_-]+)", said)
    assert token is not None, said
    return f"{base_url(harness)}/masuk/{token.group(1)}"


async def test_an_organizer_forwards_in_the_mini_app_and_the_receiver_responds(
    database_url: str, browser: object
) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        admin, rina, _dedi = await _setup_organizers(emu)
        wati = emu.user(RECEIVER, "Wati", "id")
        await onboard(emu, wati, "asn")
        await say(emu, admin, f"/penyelenggara {RECEIVER} LSL-DINKES")
        siti = emu.user(301, "Siti Aminah", "id")
        await onboard(emu, siti)
        ticket = await _file(emu, siti, photos=1)
        token = door(harness)._token

        # Rina opens the workspace from the bot's menu button: Telegram's launch data.
        context = await phone(browser)
        page = await context.new_page()
        await page.goto(mini_app_url(harness, launch_data(token, rina.id)))
        await page.wait_for_url("**/aduan")
        assert ticket in await page.inner_text("#rows")
        assert await page.inner_text(".count[data-state=baru]") == "1"
        # Inside Telegram the page takes Telegram's theme colours.
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(23, 33, 43)"
        # Readable at 360 px: nothing wider than the screen.
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        SCREENSHOT.parent.mkdir(exist_ok=True)
        await page.screenshot(path=str(SCREENSHOT), full_page=True)

        # The complaint's page: the map link, the photo through the bot, the actions.
        await page.click(f"text={ticket}")
        await page.wait_for_selector("#ticket")
        assert "openstreetmap.org" in (await page.get_attribute("#map", "href") or "")
        assert "Siti Aminah" in await page.inner_text("#reporter")
        photo = page.locator("#files a").first
        answer = await page.request.get(
            base_url(harness) + (await photo.get_attribute("href") or "")
        )
        assert answer.ok and answer.body is not None
        assert token not in json.dumps(dict(answer.headers))

        # Forward by picking the unit (the same region's units, from forward_targets).
        await page.click("#action-forward summary")
        await page.select_option("#action-forward select", label="Dinas Kesehatan")
        await page.fill("#action-forward textarea", "Ini urusan fasilitas kesehatan.")
        await page.click("#action-forward button")
        await page.wait_for_selector("#done")
        assert ticket not in await page.inner_text("#rows")
        await context.close()

        # The receiving unit's organizer is told in the chat, logs in with /masuk in a
        # browser, sees it and responds.
        await _wait_text(emu, wati, ticket)
        context = await phone(browser)
        page = await context.new_page()
        await page.goto(await login_link(harness, wati))
        await page.click("#login")
        await page.wait_for_url("**/aduan")
        await page.click(f"text={ticket}")
        await page.wait_for_selector("#ticket")
        assert "Dinas Kesehatan" in await page.inner_text("#unit")
        await page.click("#action-reply summary")
        await page.fill("#action-reply textarea", "Petugas kami akan datang hari Senin.")
        await page.click("#action-reply button")
        await page.wait_for_selector("#done")
        assert await page.inner_text("#state") == "Ditindaklanjuti"
        assert "Petugas kami akan datang hari Senin." in await page.inner_text("#history")
        await context.close()

        # The citizen hears of both in the chat, through the outbox.
        await _wait_text(emu, siti, "Dinas Kesehatan")
        await _wait_text(emu, siti, "Petugas kami akan datang hari Senin.")


async def test_forged_stale_used_and_foreign_entries_are_refused(
    database_url: str, browser: object
) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, dedi = await _setup_organizers(emu)
        siti = emu.user(301, "Siti Aminah", "id")
        await onboard(emu, siti)
        ticket = await _file(emu, siti, photos=0)
        token = door(harness)._token
        context = await phone(browser)
        page = await context.new_page()

        # Launch data signed with another bot's token, or for another user, or too old.
        forged = launch_data("654321:another-bot-token", rina.id)
        other_user = launch_data(token, rina.id).replace(str(rina.id), str(dedi.id))
        stale = launch_data(token, rina.id, auth_date=int(time.time()) - 3700)
        for data in (forged, other_user, stale):
            await open_mini_app(page, harness, data)
            await page.wait_for_selector("#launch-error:not([hidden])")
            assert "tidak sah" in await page.inner_text("#launch-error")
            await page.goto(f"{base_url(harness)}/aduan")
            assert page.url.rstrip("/") == base_url(harness)  # no session: the start page

        # A citizen's genuine launch data: not an organizer.
        await open_mini_app(page, harness, launch_data(token, siti.id))
        await page.wait_for_selector("#launch-error:not([hidden])")
        assert "tidak tersedia" in await page.inner_text("#launch-error")

        # A login link works once: a second browser opening it is refused.
        link = await login_link(harness, rina)
        await page.goto(link)
        await page.click("#login")
        await page.wait_for_url("**/aduan")
        assert ticket in await page.inner_text("#rows")
        other = await phone(browser)
        second = await other.new_page()
        await second.goto(link)
        await second.click("#login")
        await second.wait_for_selector("[role=alert]")
        assert "tidak berlaku" in await second.inner_text("[role=alert]")
        await second.goto(f"{base_url(harness)}/aduan")
        assert second.url.rstrip("/") == base_url(harness)
        await other.close()

        # Another unit's organizer: not in their inbox, and "not found" by its address.
        complaint_url = f"{base_url(harness)}/aduan/1"
        other = await phone(browser)
        foreign = await other.new_page()
        await foreign.goto(mini_app_url(harness, launch_data(token, dedi.id)))
        await foreign.wait_for_url("**/aduan")
        assert ticket not in await foreign.inner_text("main")
        answer = await foreign.goto(complaint_url)
        assert answer is not None and answer.status == 404
        assert "tidak tersedia" in await foreign.inner_text("[role=alert]")
        await other.close()
        await context.close()


async def test_the_questionnaire_editor_works_without_script_at_360_px(
    database_url: str, browser: object
) -> None:
    async with web_harness(database_url) as harness:
        _admin, rina, _dedi = await _setup_organizers(harness.emulator)
        context = await phone(browser)
        page = await context.new_page()  # type: ignore[attr-defined]
        await page.goto(await login_link(harness, rina))
        await page.click("#login")
        await page.wait_for_url("**/aduan")
        await page.goto(f"{base_url(harness)}/kuesioner")
        await page.fill("#new-form input[name=code]", "layanan_a")
        await page.click("#new-form button")
        await page.wait_for_url("**/kuesioner/layanan_a/ubah?done=new")
        await page.select_option("#add select[name=kind]", "scale")
        await page.fill("#add textarea[name=text_id]", "Seberapa puas Anda?")
        await page.fill("#add textarea[name=text_en]", "How satisfied are you?")
        await page.fill("#add textarea[name=words_id]", "Tidak puas\nCukup\nPuas")
        await page.fill("#add textarea[name=words_en]", "Unhappy\nFair\nHappy")
        await page.click("#add button")
        await page.wait_for_selector("#done")
        assert "Seberapa puas Anda?" in await page.inner_text("#items")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await page.click("#preview-link")
        labels = await page.locator(".chat-button").all_inner_texts()
        assert labels == ["3 Puas", "2 Cukup", "1 Tidak puas"]
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await context.close()
