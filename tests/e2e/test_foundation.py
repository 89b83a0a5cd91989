"""The foundation as a user meets it: start, language, help, cancel, restarts, repeats, errors."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from telegram.ext import CommandHandler

from bot.buttons import Language, Menu
from bot.sandbox.harness import Harness
from bot.storage.models import FlowState, ProcessedUpdate, User
from tests.e2e.helpers import onboard, say, step, tap, text_of


async def test_start_speaks_indonesian_to_an_indonesian_user(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(101, "Siti", "id")
    events = await say(emu, siti, "/start")
    text = text_of(events)
    assert "Selamat datang" in text
    assert "Pemberitahuan pelindungan data pribadi" in text
    assert [label for label, _ in events[-1].message.buttons] == ["Saya setuju", "Tidak setuju"]


async def test_start_speaks_english_to_an_english_user(harness: Harness) -> None:
    emu = harness.emulator
    alex = emu.user(102, "Alex", "en-GB")
    text = text_of(await say(emu, alex, "/start"))
    assert "Welcome to Suara" in text
    assert "Personal data notice" in text


async def test_unknown_language_gets_the_default(harness: Harness) -> None:
    emu = harness.emulator
    text = text_of(await say(emu, emu.user(103, "Jean", "fr"), "/start"))
    assert "Selamat datang" in text


async def test_nothing_beyond_id_and_language_is_kept_before_consent(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(104, "Siti", "id")
    await say(emu, siti, "/start")
    async with harness.runner.application.bot_data.db.session() as session:  # type: ignore[union-attr]
        user = await session.get(User, 104)
    assert user is not None and user.role is None and user.consent_at is None
    events = await tap(emu, siti, step("on", "privacy", "no"))
    assert "tidak ada data Anda yang kami simpan" in text_of(events)
    async with harness.runner.application.bot_data.db.session() as session:  # type: ignore[union-attr]
        assert await session.get(User, 104) is None
        assert (
            await session.exec(select(FlowState).where(FlowState.user_id == 104))
        ).first() is None


async def test_onboarding_ends_with_a_menu_for_the_role(harness: Harness) -> None:
    emu = harness.emulator
    budi = emu.user(105, "Budi", "id")
    await say(emu, budi, "/start")
    await tap(emu, budi, step("on", "privacy", "yes"))
    events = await tap(emu, budi, step("on", "role", "asn"))
    assert "Anda terdaftar sebagai ASN" in text_of(events)
    menu = events[-1].message
    assert ("🎓 Pelatihan saya", Menu("pelatihan").pack()) in menu.buttons
    # A returning user goes straight to the menu.
    again = await say(emu, budi, "/start")
    assert len(again) == 1 and again[0].message.buttons == menu.buttons


async def test_commands_are_registered_in_both_languages(harness: Harness) -> None:
    commands = harness.emulator.commands
    default = {c["command"]: c["description"] for c in commands[None]}
    english = {c["command"]: c["description"] for c in commands["en"]}
    assert set(default) == set(english) >= {"start", "bantuan", "bahasa", "batal", "lapor"}
    assert default["bahasa"] == "Ganti bahasa" and english["bahasa"] == "Change language"


async def test_language_choice_survives_a_restart(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(106, "Siti", "id")
    await onboard(emu, siti)
    await say(emu, siti, "/bahasa")
    events = await tap(emu, siti, Language("en").pack())
    assert "Language changed to English" in text_of(events)
    await harness.restart()
    assert "Main menu" not in text_of(await say(emu, siti, "/bantuan"))
    assert "file a new complaint" in text_of(await say(emu, siti, "/bantuan"))


async def test_an_update_delivered_twice_is_applied_once(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(107, "Siti", "id")
    await onboard(emu, siti)
    before = len(emu.events(siti))
    first = emu.send_text(siti, "/bahasa")
    await emu.wait_acknowledged(first)
    emu.redeliver(first)
    # A later update shows the bot has moved past the repeat.
    marker = emu.send_text(siti, "/bantuan")
    await emu.wait_acknowledged(marker)
    texts = emu.texts(siti, after=before)
    assert sum("Pilih bahasa" in t for t in texts) == 1
    async with harness.runner.application.bot_data.db.session() as session:  # type: ignore[union-attr]
        count = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    assert count >= 2


async def test_an_update_sent_again_after_a_restart_is_not_applied_twice(
    harness: Harness,
) -> None:
    emu = harness.emulator
    siti = emu.user(108, "Siti", "id")
    start = emu.send_text(siti, "/start")
    await emu.wait_acknowledged(start)
    await harness.restart(crash=True)
    before = len(emu.events(siti))
    # The acknowledgement was lost: Telegram sends /start again to the new process.
    emu.redeliver(start)
    update_id = emu.send_text(siti, "/bantuan")
    await emu.wait_acknowledged(update_id)
    assert not any("Selamat datang" in t for t in emu.texts(siti, after=before))


async def test_an_update_is_acknowledged_only_after_its_commit(harness: Harness) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(update: object, context: object) -> None:
        started.set()
        await release.wait()  # the process dies while this handler runs

    assert harness.runner is not None
    harness.runner.application.add_handler(CommandHandler("bantuan", slow), group=-2)
    emu = harness.emulator
    siti = emu.user(118, "Siti", "id")
    update_id = emu.send_text(siti, "/bantuan")
    await asyncio.wait_for(started.wait(), 10)
    assert emu.acknowledged < update_id  # not acknowledged while being handled
    await harness.restart(crash=True)
    # Nothing was lost: the new process gets the same update and answers it, once.
    await emu.wait_acknowledged(update_id)
    assert sum("/lapor" in t for t in emu.texts(siti)) == 1


async def test_a_flow_continues_after_restart_at_the_same_step(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(109, "Siti", "id")
    await say(emu, siti, "/start")
    await tap(emu, siti, step("on", "privacy", "yes"))
    await harness.restart(crash=True)
    events = await tap(emu, siti, step("on", "role", "citizen"))
    assert "Anda terdaftar sebagai warga" in text_of(events)


async def test_an_old_button_gets_a_clear_message(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(110, "Siti", "id")
    await say(emu, siti, "/start")
    notice = emu.last_with_buttons(siti)
    assert ("Saya setuju", step("on", "privacy", "yes")) in notice.buttons
    await tap(emu, siti, step("on", "privacy", "yes"))
    await tap(emu, siti, step("on", "role", "citizen"))
    update_id = emu.press_data(siti, notice, step("on", "privacy", "yes"))
    await emu.wait_acknowledged(update_id)
    assert (
        emu.callback_answers[-1].text
        == "Tombol ini sudah tidak berlaku. Silakan gunakan pesan terbaru."
    )


async def test_forged_button_data_is_refused_politely(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(111, "Siti", "id")
    await onboard(emu, siti)
    menu = emu.last_with_buttons(siti)
    for data in ("lang:xx", step("on", "role", "admin"), "zz:1:2", "m:../../etc", "x" * 64):
        update_id = emu.press_data(siti, menu, data)
        await emu.wait_acknowledged(update_id)
        assert emu.callback_answers[-1].text and "tidak berlaku" in emu.callback_answers[-1].text
    # And the bot still works.
    assert "/lapor" in text_of(await say(emu, siti, "/bantuan"))


async def test_cancel_leaves_the_flow(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(112, "Siti", "id")
    await say(emu, siti, "/start")
    assert "Langkah dibatalkan" in text_of(await say(emu, siti, "/batal"))
    assert "Tidak ada langkah" in text_of(await say(emu, siti, "/batal"))


async def test_a_handler_error_gets_an_apology_and_the_bot_goes_on(harness: Harness) -> None:
    async def broken(update: object, context: object) -> None:
        raise RuntimeError("boom")

    assert harness.runner is not None
    harness.runner.application.add_handler(CommandHandler("rusak", broken), group=-2)
    emu = harness.emulator
    siti = emu.user(113, "Siti", "id")
    assert "Mohon maaf, terjadi kesalahan" in text_of(await say(emu, siti, "/rusak"))
    assert "Selamat datang" in text_of(await say(emu, siti, "/start"))


async def test_unsupported_messages_and_unknown_commands(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(114, "Siti", "id")
    await onboard(emu, siti)
    assert "Perintah tidak dikenal" in text_of(await say(emu, siti, "/entahlah"))
    before = len(emu.events(siti))
    update_id = emu.send_sticker(siti)
    await emu.wait_acknowledged(update_id)
    assert "belum dapat kami proses" in text_of(emu.events(siti)[before:])


async def test_a_flood_gets_one_polite_word(database_url: str) -> None:
    async with Harness(
        database_url, FLOOD_MESSAGES_PER_MINUTE="5", DIGEST_SCHEDULE="off"
    ) as harness:
        emu = harness.emulator
        siti = emu.user(115, "Siti", "id")
        ids = [emu.send_text(siti, "/bantuan") for _ in range(12)]
        await emu.wait_acknowledged(ids[-1])
        texts = emu.texts(siti)
        assert sum("terlalu banyak" in t for t in texts) == 1
        assert sum("/lapor" in t for t in texts) == 5


async def test_a_user_who_blocks_the_bot_is_marked_unreachable(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(116, "Siti", "id")
    await onboard(emu, siti)
    update_id = emu.block_bot(siti)
    await emu.wait_acknowledged(update_id)
    async with harness.runner.application.bot_data.db.session() as session:  # type: ignore[union-attr]
        user = await session.get(User, 116)
    assert user is not None and user.reachable is False


async def test_messages_in_groups_are_ignored(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(117, "Siti", "id")
    calls_before = len(emu.calls)
    for text in ("/start", "/lapor", "KTP saya belum jadi sudah tiga bulan lamanya"):
        await emu.wait_acknowledged(emu.send_group_text(siti, -100123, text))
    sent = [method for method, _ in emu.calls[calls_before:] if method != "getUpdates"]
    assert sent == []
    # In private, the same person is answered as usual.
    assert "Selamat datang" in text_of(await say(emu, siti, "/start"))
