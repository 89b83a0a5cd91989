"""The editor's condition controls in a real headless Chromium with JavaScript off, at 360 px:
an organizer says an item is asked only after one answer to an earlier choice, then only in
e-learning programs, with radio buttons and lists, and reads the condition in words; the page
is never wider than the phone. Skipped, with the reason, where Playwright or Chromium is
missing (as tests/web/test_browser.py)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.services import questionnaires as engine
from tests.e2e.helpers import say, text_of
from tests.e2e.test_complaints import _setup_organizers
from tests.web.helpers import base_url, web_harness

CHROMIUM = os.environ.get("SUARA_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM} (apt-get install -y chromium) for the browser tests",
        allow_module_level=True,
    )
playwright = pytest.importorskip(
    "playwright.async_api", reason="Playwright is not installed (pip install playwright)"
)


async def test_conditions_are_set_without_script_at_360_px(database_url: str) -> None:
    engine.forget_parsed()
    async with web_harness(database_url) as harness, playwright.async_playwright() as driver:
        _admin, rina, _dedi = await _setup_organizers(harness.emulator)
        said = text_of(await say(harness.emulator, rina, "/masuk"))
        token = re.search(r"/masuk/([A-Za-z0-9_-]+)", said)
        assert token is not None, said
        chromium = await driver.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = await chromium.new_context(
                viewport={"width": 360, "height": 780},
                device_scale_factor=2,
                locale="id-ID",
                java_script_enabled=False,
            )
            page = await context.new_page()
            await page.goto(f"{base_url(harness)}/masuk/{token.group(1)}")
            await page.click("#login")
            await page.wait_for_url("**/aduan")
            await page.goto(f"{base_url(harness)}/kuesioner")
            await page.fill("#new-form input[name=code]", "syarat_b")
            await page.click("#new-form button")
            await page.wait_for_url("**/kuesioner/syarat_b/ubah?done=new")
            for kind, text_id, text_en, words in (
                ("choice", "Anda hadir langsung?", "Present in person?", "Ya\nTidak"),
                ("text", "Mengapa tidak?", "Why not?", ""),
            ):
                await page.select_option("#add select[name=kind]", kind)
                await page.fill("#add textarea[name=text_id]", text_id)
                await page.fill("#add textarea[name=text_en]", text_en)
                await page.fill("#add textarea[name=words_id]", words)
                await page.fill("#add textarea[name=words_en]", words)
                await page.click("#add button")
                await page.wait_for_selector("#done")
            assert await page.inner_text("#when-1") == "Selalu ditanyakan."

            await page.click("#item-1 .condition-control summary")
            form = "#condition-1"
            await page.check(f"{form} input[name=when][value=answer]")
            await page.select_option(f"{form} select[name=answer]", "p1:o2")
            assert await page.evaluate("document.documentElement.scrollWidth") <= 360
            await page.click(f"{form} button")
            await page.wait_for_url("**/kuesioner/syarat_b/ubah?done=condition")
            words = await page.inner_text("#when-1")
            assert (
                words
                == "Hanya ditanyakan bila jawaban butir 1 (“Anda hadir langsung?”) adalah “Tidak”."
            )

            await page.click("#item-1 .condition-control summary")
            await page.check(f"{form} input[name=when][value=mode]")
            await page.select_option(f"{form} select[name=mode]", "elearning")
            await page.click(f"{form} button")
            await page.wait_for_url("**/kuesioner/syarat_b/ubah?done=condition")
            assert await page.inner_text("#when-1") == (
                "Hanya ditanyakan bila moda program E-learning."
            )
            # The first item offers no earlier answer, in words.
            await page.click("#item-0 .condition-control summary")
            assert "Belum ada butir pilihan" in await page.inner_text("#condition-0")
            assert await page.evaluate("document.documentElement.scrollWidth") <= 360
            await context.close()
        finally:
            await chromium.close()
