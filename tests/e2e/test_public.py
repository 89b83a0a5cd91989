"""The tracking PIN as the citizen meets it: given at filing, shown again in /status, made on
request for an older complaint; and the public status it opens tells no identity."""

from __future__ import annotations

import re

from sqlmodel import select

from bot.buttons import MakePin
from bot.sandbox.harness import Harness
from bot.services import public
from bot.storage.complaints import Complaint
from bot.storage.models import OutboxMessage
from tests.e2e.helpers import onboard, say, tap, text_of
from tests.e2e.test_complaints import DESCRIPTION, _db, _file

PIN_LINE = re.compile(r"PIN pelacakan ADU-\d{4}-\d{6,9}: (\d{6})")


def _core(harness: Harness):  # type: ignore[no-untyped-def]
    assert harness.runner is not None
    return harness.runner.application.bot_data.core


async def test_the_pin_is_given_at_filing_shown_in_status_and_stored_nowhere(
    harness: Harness,
) -> None:
    emu = harness.emulator
    siti = emu.user(311, "Siti Aminah", "id")
    await onboard(emu, siti)
    before = len(emu.events(siti))
    ticket = await _file(emu, siti)
    # The filing confirmation: the tracking number with its PIN.
    confirmation = next(t for t in emu.texts(siti, before) if "PIN pelacakan ADU-" in t)
    assert ticket in confirmation
    match = PIN_LINE.search(confirmation)
    assert match is not None
    pin = match.group(1)

    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
        outbox = (await session.exec(select(OutboxMessage))).all()
    # Not in the complaint's row, not in any queued or sent message.
    assert complaint.pin_seed is not None and pin not in repr(complaint)
    assert outbox and not any(pin in repr(row.payload) for row in outbox)
    assert public.pin_of(_core(harness).settings, complaint) == pin

    # /status shows it to its reporter (and only there).
    detail = text_of(await say(emu, siti, f"/status {ticket}"))
    assert f"PIN pelacakan:</b> {pin}" in detail or f"PIN pelacakan: {pin}" in detail

    # With number and PIN anyone sees the state and dates, nothing of Siti or her text.
    async with _db(harness).session() as session:
        status = await public.complaint_status(session, _core(harness), ticket, pin)
    assert status.state == "baru" and status.deadline == complaint.verify_due
    for secret in ("Siti", "311", DESCRIPTION[:20], "Kependudukan"):
        assert secret not in repr(status)


async def test_an_older_complaint_gets_its_pin_in_status(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(312, "Siti Aminah", "id")
    budi = emu.user(313, "Budi", "id")
    await onboard(emu, siti)
    await onboard(emu, budi)
    ticket = await _file(emu, siti, photos=0)
    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
        complaint.pin_seed = None  # as if filed before PINs
        session.add(complaint)
        await session.commit()
    assert complaint.id is not None

    detail = text_of(await say(emu, siti, f"/status {ticket}"))
    assert "belum punya PIN pelacakan" in detail
    # Someone else pressing the same button learns nothing and makes nothing.
    menu = emu.last_with_buttons(siti)
    await emu.wait_acknowledged(emu.press_data(budi, menu, MakePin(complaint.id).pack()))
    assert "tidak ditemukan" in (emu.callback_answers[-1].text or "")
    async with _db(harness).session() as session:
        assert (await session.get(Complaint, complaint.id)).pin_seed is None  # type: ignore[union-attr]

    made = text_of(await tap(emu, siti, "🔑 Buat PIN pelacakan"))
    match = re.search(r"\b(\d{6})\b", made.split(ticket, 1)[1])  # after the ticket
    assert match is not None
    pin = match.group(1)
    detail = text_of(await say(emu, siti, f"/status {ticket}"))
    assert pin in detail and "belum punya PIN" not in detail
    async with _db(harness).session() as session:
        status = await public.complaint_status(session, _core(harness), ticket, pin)
    assert status.ticket == ticket
