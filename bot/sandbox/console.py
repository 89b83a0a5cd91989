"""The sandbox in a terminal: a person plays a citizen, an ASN or an organizer."""

from __future__ import annotations

import asyncio
import shlex
import textwrap
from dataclasses import dataclass

from bot.sandbox.emulator import BotApiEmulator, Event, Persona
from bot.sandbox.harness import Harness

ORGANIZER_ID = 3001


@dataclass(frozen=True)
class Role:
    key: str
    user_id: int
    name: str
    language: str


ROLES = (
    Role("warga", 1001, "Siti (warga)", "id"),
    Role("asn", 2001, "Budi (ASN)", "id"),
    Role("penyelenggara", ORGANIZER_ID, "Rina (penyelenggara)", "id"),
    Role("citizen", 1002, "Alex (citizen, English)", "en"),
)

HELP = """Perintah sandbox (selain itu, ketik pesan seperti di Telegram):
  !as warga|asn|penyelenggara|citizen   ganti persona
  1, 2, ...                             tekan tombol bernomor pada pesan terakhir
  !foto [keterangan]   !dokumen   !lokasi LAT LON   !stiker
  !blokir              persona ini memblokir bot
  !keluar              selesai"""


def render(event: Event, who: str) -> str:
    """One bot event as terminal text, buttons numbered."""
    head = "✎ (diubah)" if event.kind == "edit" else "←"
    body = event.text
    if event.message.kind in ("photo", "document"):
        body = f"[{event.message.kind}: {event.message.file_name or event.message.file_id}] {body}"
    lines = [f"{who} {head} Suara:", textwrap.indent(body, "    ")]
    for number, (label, _) in enumerate(event.message.buttons, start=1):
        lines.append(f"    [{number}] {label}")
    return "\n".join(lines)


def personas(emulator: BotApiEmulator) -> dict[str, Persona]:
    return {r.key: emulator.user(r.user_id, r.name, r.language) for r in ROLES}


def act(emulator: BotApiEmulator, persona: Persona, line: str) -> int | None:
    """Turns one typed line into an update; returns its id, or None if it was not one."""
    if line.isdigit():
        message = emulator.last_with_buttons(persona)
        index = int(line) - 1
        if not 0 <= index < len(message.buttons):
            raise LookupError(f"tidak ada tombol nomor {line}")
        return emulator.press_data(persona, message, message.buttons[index][1])
    if line.startswith("\\"):
        return emulator.send_text(persona, line[1:])
    if not line.startswith("!"):
        return emulator.send_text(persona, line)
    word, *args = shlex.split(line[1:])
    if word == "foto":
        return emulator.send_photo(persona, " ".join(args) or None)
    if word == "dokumen":
        return emulator.send_document(persona)
    if word == "lokasi" and len(args) == 2:
        return emulator.send_location(persona, float(args[0]), float(args[1]))
    if word == "stiker":
        return emulator.send_sticker(persona)
    if word == "blokir":
        return emulator.block_bot(persona)
    raise LookupError(f"perintah sandbox tidak dikenal: !{word}")


async def run_console(database_url: str) -> None:
    harness = Harness(database_url, BOT_ADMIN_IDS=str(ORGANIZER_ID))
    await harness.emulator.start()
    people = personas(harness.emulator)
    names = {p.id: key for key, p in people.items()}
    harness.emulator.listeners.append(
        lambda event: print("\n" + render(event, f"[{names.get(event.message.chat_id, '?')}]"))
    )
    await harness.start()
    current = "warga"
    print(HELP)
    print("\nAnda sekarang: warga. Ketik /start untuk mulai.")
    try:
        while True:
            try:
                line = (await asyncio.to_thread(input, f"[{current}] > ")).strip()
            except EOFError:
                break
            if not line:
                continue
            if line in ("!keluar", "!quit"):
                break
            if line.startswith("!as"):
                choice = line[3:].strip()
                if choice in people:
                    current = choice
                    print(f"Anda sekarang: {current}")
                else:
                    print("Pilihan: " + ", ".join(people))
                continue
            if line in ("!bantuan", "!help"):
                print(HELP)
                continue
            try:
                update_id = act(harness.emulator, people[current], line)
            except (LookupError, ValueError) as exc:
                print(f"(sandbox) {exc}")
                continue
            if update_id is not None:
                await harness.emulator.wait_acknowledged(update_id, timeout=30)
                await asyncio.sleep(0.2)
    finally:
        await harness.close()
