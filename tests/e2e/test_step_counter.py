"""The complaint flow's "Langkah n dari total" comes from its own steps: every question in
order, a step the draft already answers left out, a change from the summary shown in place."""

from __future__ import annotations

import re

from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from tests.e2e.helpers import onboard, say, send, step, tap, text_of

DESCRIPTION = (
    "Pembuatan KTP elektronik saya sudah tiga bulan belum selesai, padahal petugas "
    "di loket bilang dua minggu. Setiap datang selalu disuruh kembali minggu depan."
)
UNIT = "Dinas Kependudukan dan Pencatatan Sipil · Kab. Lampung Selatan"
_COUNTER = re.compile(r"(?:Langkah|Step) (\d+) (?:dari|of) (\d+)\.")


def counters(events: list) -> list[tuple[int, int]]:  # type: ignore[type-arg]
    return [(int(n), int(total)) for n, total in _COUNTER.findall(text_of(events))]


async def _to_place(emu: BotApiEmulator, who: Persona) -> list[tuple[int, int]]:
    seen = counters(await tap(emu, who, "Administrasi Kependudukan"))
    seen += counters(await say(emu, who, "lampung selatan"))  # searching the units
    return seen


async def test_every_question_is_counted_in_order(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(6101, "Siti", "id")
    await onboard(emu, siti)
    seen = counters(await say(emu, siti, "/lapor"))
    seen += await _to_place(emu, siti)  # the place question, searched: still step 2
    seen += counters(await tap(emu, siti, UNIT))
    seen += counters(await say(emu, siti, DESCRIPTION))
    seen += counters(await send(emu, siti, lambda: emu.send_photo(siti)))
    seen += counters(await tap(emu, siti, step("c", "files", "done")))
    seen += counters(await tap(emu, siti, step("c", "loc", "skip")))
    seen += counters(await tap(emu, siti, step("c", "date", "skip")))
    summary = await tap(emu, siti, step("c", "priv", "rahasia"))
    assert seen == [(1, 7), (2, 7), (2, 7), (3, 7), (4, 7), (5, 7), (6, 7), (7, 7)]
    assert counters(summary) == []  # the summary is not a numbered question
    # Changing a field from the summary: that question, in its place among all seven.
    await tap(emu, siti, step("c", "sum", "edit"))
    assert counters(await tap(emu, siti, step("c", "edit", "date"))) == [(6, 7)]
    # English: the same count in the English text.
    budi = emu.user(6102, "Budi", "en")
    await onboard(emu, budi)
    assert "Step 1 of 7. Choose the complaint category" in text_of(await say(emu, budi, "/lapor"))


async def test_a_description_given_first_is_not_a_step(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(6103, "Siti", "id")
    await onboard(emu, siti)
    await say(emu, siti, DESCRIPTION)  # offered as a complaint
    seen = counters(await tap(emu, siti, step("c", "offer", "yes")))
    seen += await _to_place(emu, siti)
    seen += counters(await tap(emu, siti, UNIT))
    # The count survives a restart: it is kept with the flow's state.
    await harness.restart()
    seen += counters(await tap(emu, siti, step("c", "files", "done")))
    seen += counters(await tap(emu, siti, step("c", "loc", "skip")))
    seen += counters(await tap(emu, siti, step("c", "date", "skip")))
    assert seen == [(1, 6), (2, 6), (2, 6), (3, 6), (4, 6), (5, 6), (6, 6)]
