"""Small steps that read like what a user does."""

from __future__ import annotations

from collections.abc import Callable

from bot.buttons import FlowStep
from bot.sandbox.emulator import BotApiEmulator, Event, Persona


def step(flow: str, name: str, value: str, ref: int = 0) -> str:
    """The data of a flow button, built by the same codec the bot uses."""
    return FlowStep(flow=flow, step=name, value=value, ref=ref).pack()


async def say(emu: BotApiEmulator, who: Persona, text: str) -> list[Event]:
    """The user writes; returns what the bot did in that chat in answer."""
    before = len(emu.events(who))
    update_id = emu.send_text(who, text)
    await emu.wait_acknowledged(update_id)
    return emu.events(who)[before:]


async def tap(emu: BotApiEmulator, who: Persona, label: str) -> list[Event]:
    """The user taps the button (by label or data) on the newest message that has it."""
    before = len(emu.events(who))
    for message in reversed(emu.messages(who)):
        if any(label in (text, data) for text, data in message.buttons):
            update_id = emu.press(who, message, label)
            break
    else:
        raise LookupError(f"no button {label!r} in this chat")
    await emu.wait_acknowledged(update_id)
    return emu.events(who)[before:]


async def send(emu: BotApiEmulator, who: Persona, push: Callable[[], int]) -> list[Event]:
    """The user sends something else (photo, location, ...); returns the bot's answer."""
    before = len(emu.events(who))
    await emu.wait_acknowledged(push())
    return emu.events(who)[before:]


def text_of(events: list[Event]) -> str:
    return "\n".join(event.text for event in events)


async def onboard(emu: BotApiEmulator, who: Persona, role: str = "citizen") -> None:
    """/start, agree to the privacy notice, pick the role."""
    await say(emu, who, "/start")
    await tap(emu, who, step("on", "privacy", "yes"))
    await tap(emu, who, step("on", "role", role))


async def choose(emu: BotApiEmulator, who: Persona, number: int) -> list[Event]:
    """Taps the rating `number` ("4 Baik") on the newest question."""
    message = emu.last_with_buttons(who)
    for label, _data in message.buttons:
        if label.split(" ", 1)[0] == str(number):
            before = len(emu.events(who))
            await emu.wait_acknowledged(emu.press(who, message, label))
            return emu.events(who)[before:]
    raise LookupError(f"no rating {number} on the newest question")
