"""A third catalog folder in locales/ is a language: offered by /bahasa, in the command menu,
chosen from Telegram's language code, and used once chosen."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import i18n
from bot.buttons import Language
from bot.sandbox.harness import Harness
from tests.e2e.helpers import onboard, say, tap, text_of
from tests.test_locales import _third_language


async def test_a_third_language_is_offered_registered_and_used(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(i18n, "LOCALES_DIR", _third_language(tmp_path / "locales"))
    async with Harness(
        database_url, FLOOD_MESSAGES_PER_MINUTE="10000", DIGEST_SCHEDULE="off"
    ) as h:
        emu = h.emulator
        malay = {c["command"]: c["description"] for c in emu.commands["ms"]}
        assert malay["bahasa"] == "Tukar bahasa"
        assert set(malay) == {c["command"] for c in emu.commands[None]}
        siti = emu.user(301, "Siti", "id")
        await onboard(emu, siti)
        offered = await say(emu, siti, "/bahasa")
        buttons = offered[-1].message.buttons
        assert ("Bahasa Indonesia", Language("id").pack()) in buttons
        assert ("English", Language("en").pack()) in buttons
        assert ("Bahasa Melayu", Language("ms").pack()) in buttons
        chosen = await tap(emu, siti, Language("ms").pack())
        assert "Bahasa ditukar kepada Bahasa Melayu." in text_of(chosen)
        # A Malay Telegram app gets Malay from the first message.
        aminah = emu.user(302, "Aminah", "ms")
        assert "Welcome to Suara" in text_of(await say(emu, aminah, "/start"))  # copied English
        assert h.runner is not None
        assert h.runner.application.bot_data.texts.choose(None, "ms") == "ms"


async def test_a_language_button_for_a_language_without_catalogs_is_stale(
    harness: Harness,
) -> None:
    emu = harness.emulator
    siti = emu.user(303, "Siti", "id")
    await onboard(emu, siti)
    offered = (await say(emu, siti, "/bahasa"))[-1].message
    await emu.wait_acknowledged(emu.press_data(siti, offered, Language("ms").pack()))
    assert emu.callback_answers[-1].show_alert
    assert "Pilih bahasa" in text_of(await say(emu, siti, "/bahasa"))  # still Indonesian
