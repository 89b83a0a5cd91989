"""Flows side by side, answers changed and taps repeated, edited messages: as people meet them."""

from __future__ import annotations

import datetime as dt

from bot.jobs.feedback import run_due
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from tests.e2e.helpers import choose, onboard, say, tap, text_of
from tests.e2e.test_feedback import (
    INVITATION,
    WIB,
    Clock,
    _count,
    _create_in_chat,
    _organizer,
)

FILL = "📝 Isi kuesioner"
ASK_DESCRIPTION = "Tuliskan uraian pengaduan Anda"
DESCRIPTION = (
    "Antrean di loket Disdukcapil sangat panjang dan petugas baru datang pukul sepuluh, "
    "padahal jadwal pelayanan dimulai pukul delapan pagi."
)


async def _invited(harness: Harness, person_id: int = 5301) -> tuple[Persona, Clock]:
    """A participant of a training that has just ended, with the questionnaire's invitation."""
    emu = harness.emulator
    assert harness.runner is not None
    state = harness.runner.application.bot_data
    now = dt.datetime.now(dt.UTC)
    ended = (now - dt.timedelta(days=3)).astimezone(WIB).replace(hour=15, minute=0, second=0)
    clock = Clock(ended - dt.timedelta(days=3))
    state.clock = clock
    rina = await _organizer(emu)
    code = await _create_in_chat(
        emu,
        rina,
        (ended - dt.timedelta(days=1)).strftime("%d-%m-%Y %H:%M"),
        ended.strftime("%d-%m-%Y %H:%M"),
    )
    person = emu.user(person_id, "Andi", "id")
    await onboard(emu, person, "asn")
    await say(emu, person, f"/gabung {code}")
    clock.now = ended + dt.timedelta(minutes=1)
    await run_due(state)
    await emu.wait_until(lambda: _count(emu, person, INVITATION) == 1)
    return person, clock


async def _complaint_until_description(emu: BotApiEmulator, who: Persona) -> None:
    await say(emu, who, "/lapor")
    await tap(emu, who, "Administrasi Kependudukan")
    await tap(emu, who, "Provinsi Lampung")
    await tap(emu, who, "Kabupaten Lampung Selatan")
    await tap(emu, who, "Dinas Kependudukan dan Pencatatan Sipil")


async def test_a_questionnaire_opened_mid_complaint_keeps_the_draft_and_both_continue(
    harness: Harness,
) -> None:
    emu = harness.emulator
    andi, _clock = await _invited(harness)
    await _complaint_until_description(emu, andi)

    # The invitation's button opens the questionnaire; the complaint draft waits, and he is
    # told how to get back to it.
    opened = text_of(await tap(emu, andi, FILL))
    assert "Draf laporan Anda tetap tersimpan" in opened and "/lapor" in opened
    assert "Pertanyaan 1 dari" in opened
    await choose(emu, andi, 4)

    # /lapor continues the draft where it stopped; the questionnaire now waits, with a button.
    back = await say(emu, andi, "/lapor")
    assert ASK_DESCRIPTION in text_of(back)
    assert "Kuesioner Anda yang belum selesai tetap tersimpan" in text_of(back)
    assert "Langkah 1" not in text_of(back)
    filed = text_of(await say(emu, andi, DESCRIPTION))
    assert "Langkah 4" in filed

    # The questionnaire's button continues it at its second question, its first answer kept.
    again = text_of(await tap(emu, andi, "📝 Lanjutkan kuesioner"))
    assert "Draf laporan Anda tetap tersimpan" in again
    assert "Pertanyaan 2 dari" in again
