"""A person's rights over their data: a copy of everything, erasure that keeps only anonymous
contents, and retention that removes reporters' identity once complaints are long closed."""

from __future__ import annotations

import datetime as dt
import json

from sqlmodel import select

from bot.buttons import ComplaintAction
from bot.sandbox.harness import Harness
from bot.services.privacy import apply_retention
from bot.storage.complaints import Complaint
from bot.storage.models import User
from tests.e2e.helpers import onboard, say, step, tap, text_of
from tests.e2e.test_complaints import _db, _file, _setup_organizers, _wait_text


async def test_a_citizen_downloads_their_data_then_erases_their_identity(harness: Harness) -> None:
    emu = harness.emulator
    _admin, rina, _ = await _setup_organizers(emu)
    siti = emu.user(391, "Siti Aminah", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, photos=0)
    await _wait_text(emu, rina, ticket)

    assert "/hapusdata" in text_of(await say(emu, siti, "/privasi"))
    await say(emu, siti, "/datasaya")
    exported = emu.last_message(siti)
    assert exported.kind == "document" and exported.file_bytes is not None
    data = json.loads(exported.file_bytes)
    assert data["telegram_id"] == siti.id
    assert [c["ticket"] for c in data["complaints"]] == [ticket]
    assert data["complaints"][0]["name_kept"] == "Siti Aminah"

    await say(emu, siti, "/hapusdata")
    erased = text_of(await tap(emu, siti, step("x", "confirm", "yes")))
    assert "1 pengaduan (di antaranya 1 masih ditangani)" in erased
    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
        user = await session.get(User, siti.id)
    assert user is None
    assert complaint.reporter_id < 0 and complaint.reporter_name is None
    assert complaint.latitude is None and "KTP elektronik" in complaint.description

    # The unit still handles the complaint; nobody is notified, nothing fails.
    before = len(emu.events(siti))
    await say(emu, rina, "/aduan")
    await tap(emu, rina, ticket)
    done = await tap(emu, rina, ComplaintAction(complaint.id or 0, "verify").pack())
    assert "Diverifikasi" in text_of(done) or "diverifikasi" in text_of(done)
    assert len(emu.events(siti)) == before
    # Her /datasaya is now empty of identity.
    await say(emu, siti, "/datasaya")
    again = json.loads(emu.last_message(siti).file_bytes or b"{}")
    assert again["profile"] is None and again["complaints"] == []


async def test_retention_removes_identity_of_long_closed_complaints_only(
    harness: Harness,
) -> None:
    emu = harness.emulator
    siti = emu.user(392, "Siti", "id")
    await onboard(emu, siti)
    old_ticket = await _file(emu, siti, photos=0)
    new_ticket = await _file(emu, siti, photos=0)
    now = dt.datetime.now(dt.UTC)
    async with _db(harness).session() as session:
        for ticket, days in ((old_ticket, 400), (new_ticket, 10)):
            complaint = (
                await session.exec(select(Complaint).where(Complaint.ticket == ticket))
            ).one()
            complaint.state, complaint.closed_at = "selesai", now - dt.timedelta(days=days)
            session.add(complaint)
        await session.commit()
        assert await apply_retention(session, days=365, now=now) == 1
        await session.commit()
        kept = {
            c.ticket: (c.reporter_id, c.reporter_name)
            for c in (await session.exec(select(Complaint))).all()
        }
    assert kept[old_ticket][0] < 0 and kept[old_ticket][1] is None
    assert kept[new_ticket] == (siti.id, "Siti")
