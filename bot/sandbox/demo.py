"""A scripted walk through Suara on the emulator, printed as a conversation."""

from __future__ import annotations

import asyncio

from bot.sandbox.console import ORGANIZER_ID, act, personas, render
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness

# (persona, what they do): text is typed; ("tap", label) presses the button whose label
# contains that text on the newest message with buttons.
Step = tuple[str, str | tuple[str, str]]

SCRIPT: tuple[Step, ...] = (
    ("warga", "/start"),
    ("warga", ("tap", "Saya setuju")),
    ("warga", ("tap", "warga")),
    ("citizen", "/start"),
    ("citizen", ("tap", "I agree")),
    ("citizen", ("tap", "Citizen")),
    ("citizen", "/bahasa"),
    ("citizen", ("tap", "Bahasa Indonesia")),
    ("citizen", "/bantuan"),
    # An organizer of the civil-registration office of Lampung Selatan.
    ("penyelenggara", "/start"),
    ("penyelenggara", ("tap", "Saya setuju")),
    ("penyelenggara", ("tap", "ASN")),
    ("penyelenggara", f"/penyelenggara {ORGANIZER_ID} LSL-DUKCAPIL"),
    # A citizen files a complaint in under a minute.
    ("warga", "/lapor"),
    ("warga", ("tap", "Administrasi Kependudukan")),
    ("warga", "kependudukan lampung selatan"),
    ("warga", ("tap", "Kependudukan")),
    (
        "warga",
        "Sudah tiga bulan KTP elektronik saya belum jadi. Petugas di loket selalu bilang "
        "blangko habis dan menyuruh kembali minggu depan.",
    ),
    ("warga", "!foto bukti pendaftaran"),
    ("warga", ("tap", "Lanjut")),
    ("warga", "!lokasi -5.7256 105.5923"),
    ("warga", ("tap", "Hari ini")),
    ("warga", ("tap", "Rahasia")),
    ("warga", ("tap", "Kirim laporan")),
    # The organizer handles it from the chat; the citizen hears of every step.
    ("penyelenggara", "/aduan"),
    ("penyelenggara", ("tap", "ADU-")),
    ("penyelenggara", ("tap", "Verifikasi")),
    ("penyelenggara", "/aduan"),
    ("penyelenggara", ("tap", "ADU-")),
    ("penyelenggara", ("tap", "Selesaikan")),
    ("penyelenggara", "Blangko sudah tersedia; KTP Anda dicetak hari ini di loket 2."),
    ("penyelenggara", ("tap", "Kirim")),
    ("warga", ("tap", "Sudah")),
    ("warga", ("tap", "5")),
    ("warga", "Terima kasih, cepat ditangani."),
    ("warga", ("tap", "Tidak")),
    ("warga", "/status"),
)


def _tap(emulator: BotApiEmulator, persona: Persona, label: str) -> int:
    message = emulator.last_with_buttons(persona)
    for text, data in message.buttons:
        if label.lower() in text.lower():
            return emulator.press_data(persona, message, data)
    raise LookupError(f"no button like {label!r}: {message.buttons}")


async def run_demo(database_url: str, script: tuple[Step, ...] = SCRIPT) -> None:
    harness = Harness(database_url, BOT_ADMIN_IDS=str(ORGANIZER_ID))
    await harness.emulator.start()
    people = personas(harness.emulator)
    names = {p.id: key for key, p in people.items()}
    harness.emulator.listeners.append(
        lambda event: print(render(event, f"[{names.get(event.message.chat_id, '?')}]"))
    )
    await harness.start()
    try:
        for who, action in script:
            persona = people[who]
            update_id: int | None
            if isinstance(action, tuple):
                print(f"\n[{who}] taps “{action[1]}”")
                update_id = _tap(harness.emulator, persona, action[1])
            else:
                print(f"\n[{who}] → {action}")
                update_id = act(harness.emulator, persona, action)
            if update_id is not None:
                await harness.emulator.wait_acknowledged(update_id, timeout=30)
                await asyncio.sleep(0.3)
    finally:
        await harness.close()
