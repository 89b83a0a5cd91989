"""Handling a complaint after it is filed (issue 17, items 8-11): forwarding by choosing the
unit, the citizen's check when it is closed, officers' attachments, and cheap-phone habits."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.buttons import ComplaintAction, Handled, Rate
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.services import complaints as service
from bot.services.access import Access
from bot.services.deadlines import FOLLOW_UP_DAYS, Clock, WorkingCalendar
from bot.services.errors import NotFound
from bot.storage.complaints import Attachment, Complaint, ComplaintEvent
from bot.storage.places import Place, place_by_code
from tests.conftest import ADMIN_ID
from tests.e2e.helpers import onboard, say, send, step, tap, text_of
from tests.e2e.test_complaints import (
    DESCRIPTION,
    _db,
    _file,
    _file_until_description,
    _setup_organizers,
    _wait_text,
)

HEALTH_ORGANIZER = 7004  # an organizer of LSL-DINKES, the unit complaints are forwarded to


async def _complaint(harness: Harness, ticket: str) -> Complaint:
    async with _db(harness).session() as session:
        return (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()


async def _open(emu: BotApiEmulator, organizer: Persona, ticket: str) -> None:
    await say(emu, organizer, "/aduan")
    await tap(emu, organizer, ticket)


async def _close(emu: BotApiEmulator, rina: Persona, complaint: Complaint, note: str) -> None:
    await _open(emu, rina, complaint.ticket or "")
    await tap(emu, rina, ComplaintAction(complaint.id or 0, "close").pack())
    await say(emu, rina, note)
    await tap(emu, rina, step("ca", "confirm", "send", complaint.id or 0))


def _today(harness: Harness) -> Clock:
    assert harness.runner is not None
    return harness.runner.application.bot_data.core.moment()


async def test_forward_by_choosing_the_unit_from_a_paged_searchable_list(
    harness: Harness,
) -> None:
    emu = harness.emulator
    admin, rina, _dedi = await _setup_organizers(emu)
    health = emu.user(HEALTH_ORGANIZER, "Hana", "id")
    await onboard(emu, health, "asn")
    await say(emu, admin, f"/penyelenggara {HEALTH_ORGANIZER} LSL-DINKES")
    async with _db(harness).session() as session:
        region = await place_by_code(session, "LSL")
        assert region is not None
        for n in range(10):
            session.add(
                Place(code=f"LSL-UPTD-{n}", name=f"UPTD Puskesmas {n}", level="unit",
                      parent_id=region.id)
            )  # fmt: skip
        await session.commit()
    siti = emu.user(401, "Siti", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, photos=0)
    complaint = await _complaint(harness, ticket)
    await _wait_text(emu, rina, ticket)

    await _open(emu, rina, ticket)
    await tap(emu, rina, ComplaintAction(complaint.id or 0, "verify").pack())
    await _open(emu, rina, ticket)
    asked = text_of(await tap(emu, rina, ComplaintAction(complaint.id or 0, "forward").pack()))
    # Buttons of the units of the same region, paged; no codes to type.
    assert "halaman 1 dari 3" in asked and "LSL-" not in asked
    labels = [label for label, _ in emu.last_with_buttons(rina).buttons]
    assert "Dinas Kependudukan dan Pencatatan Sipil" not in labels  # its own unit
    assert not any("Lhokseumawe" in label for label in labels)
    second = text_of(await tap(emu, rina, step("ca", "unit", "p1", complaint.id or 0)))
    assert "halaman 2 dari 3" in second
    # Typing part of a name searches.
    found = text_of(await say(emu, rina, "kesehatan"))
    assert "kesehatan" in found
    labels = [label for label, _ in emu.last_with_buttons(rina).buttons]
    assert "Dinas Kesehatan" in labels and not any("UPTD" in label for label in labels)
    assert "Tidak ada unit" in text_of(await say(emu, rina, "xyzzy"))
    await say(emu, rina, "Kesehatan")
    await tap(emu, rina, "Dinas Kesehatan")
    confirm = text_of(await say(emu, rina, "Menyangkut layanan puskesmas, bukan kewenangan kami."))
    assert "Dinas Kesehatan" in confirm and "Menyangkut layanan puskesmas" in confirm
    before = len(emu.events(health))
    await tap(emu, rina, step("ca", "confirm", "send", complaint.id or 0))

    # The receiving unit's organizers are told, with the reason and their new deadline.
    told = await _wait_text(emu, health, "diteruskan ke unit Anda", before)
    assert "bukan kewenangan kami" in told
    await _wait_text(emu, siti, "diteruskan")
    moved = await _complaint(harness, ticket)
    clock = _today(harness)
    async with _db(harness).session() as session:
        unit = await place_by_code(session, "LSL-DINKES")
        forward = (
            await session.exec(
                select(ComplaintEvent).where(
                    ComplaintEvent.complaint_id == complaint.id,
                    ComplaintEvent.action == "forward",
                )
            )
        ).one()
    assert unit is not None and moved.unit_id == unit.id and moved.state == "diverifikasi"
    assert moved.followup_due == clock.calendar.add_working_days(clock.today, FOLLOW_UP_DAYS)
    assert forward.target_unit_id == unit.id and forward.actor_id == rina.id
    # The audit log says where it went, as the admin's /audit reads it.
    said = text_of(await say(emu, admin, "/audit"))
    line = next(line for line in said.splitlines() if "meneruskan" in line)
    assert complaint.ticket in line and "Dinas Kesehatan" in line
    # Rina no longer handles it; Hana does.
    await _open(emu, health, ticket)
    assert "Teruskan" in " ".join(label for label, _ in emu.last_with_buttons(health).buttons)


async def test_closure_is_checked_by_the_citizen_and_reopens(harness: Harness) -> None:
    emu = harness.emulator
    admin, rina, _dedi = await _setup_organizers(emu)
    siti = emu.user(411, "Siti", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, photos=0)
    complaint = await _complaint(harness, ticket)
    cid = complaint.id or 0
    await _wait_text(emu, rina, ticket)
    await _open(emu, rina, ticket)
    await tap(emu, rina, ComplaintAction(cid, "verify").pack())

    # Closed: asked whether it was handled. "Belum", with a comment and a photo.
    await _close(emu, rina, complaint, "KTP sudah dicetak.")
    asked = await _wait_text(emu, siti, "Apakah masalah Anda sudah ditangani")
    assert "KTP sudah dicetak" in asked
    await tap(emu, siti, Handled(cid, "belum").pack())
    await say(emu, siti, "KTP belum saya terima, loket tutup.")
    await send(emu, siti, lambda: emu.send_photo(siti, caption="Loket tutup"))
    before_rina = len(emu.events(rina))
    done = text_of(await tap(emu, siti, step("ro", "why", "send", cid)))
    assert "dibuka kembali" in done
    told = await _wait_text(emu, rina, "dibuka kembali", before_rina)
    assert "loket tutup" in told and "Belum" in told
    await emu.wait_until(lambda: emu.messages(rina)[-1].kind == "photo")
    reopened = await _complaint(harness, ticket)
    clock = _today(harness)
    assert reopened.state == "diverifikasi" and reopened.unit_id == complaint.unit_id
    assert reopened.reopen_count == 1 and reopened.closed_at is None
    assert reopened.followup_due == clock.calendar.add_working_days(clock.today, FOLLOW_UP_DAYS)
    # A rating button of the first closing no longer works.
    menu = emu.last_with_buttons(siti)
    await emu.wait_acknowledged(emu.press_data(siti, menu, Rate(cid, 5).pack()))

    # Closed again, "Sebagian" without a comment: the second reopening reaches the admins.
    await _close(emu, rina, complaint, "Sudah kami antar ke rumah.")
    await _wait_text(emu, siti, "Sudah kami antar")
    await tap(emu, siti, Handled(cid, "sebagian").pack())
    before_admin = len(emu.events(admin))
    await tap(emu, siti, step("ro", "why", "send", cid))
    escalated = await _wait_text(emu, admin, ticket, before_admin)
    assert "ke-2" in escalated
    assert (await _complaint(harness, ticket)).reopen_count == 2

    # Closed a third time, "Sudah": the rating; a low one's comment reaches the unit.
    await _close(emu, rina, complaint, "KTP sudah diterima pelapor.")
    await _wait_text(emu, siti, "sudah diterima pelapor")
    rate = text_of(await tap(emu, siti, Handled(cid, "sudah").pack()))
    assert "penilaian" in rate
    await tap(emu, siti, Rate(cid, 1).pack())
    before_rina = len(emu.events(rina))
    await say(emu, siti, "Tiga kali bolak-balik baru selesai.")
    low = await _wait_text(emu, rina, "Penilaian rendah", before_rina)
    assert "Tiga kali bolak-balik" in low and "Siti" not in low
    # The SKM survey is still offered after the comment.
    assert step("rt", "skm", "go", cid) in [d for _, d in emu.last_with_buttons(siti).buttons]
    final = await _complaint(harness, ticket)
    assert final.state == "selesai" and final.handled == "sudah" and final.rating == 1
    # Answering twice is refused.
    menu = emu.last_with_buttons(siti)
    await emu.wait_acknowledged(emu.press_data(siti, menu, Handled(cid, "belum").pack()))
    assert "sudah Anda jawab" in (emu.callback_answers[-1].text or "")
    history = text_of(await say(emu, siti, f"/status {ticket}"))
    assert "dibuka kembali oleh pelapor" in history


async def test_officer_attachments_reach_the_citizen_and_an_answer_restores_the_state(
    harness: Harness,
) -> None:
    emu = harness.emulator
    _admin, rina, _dedi = await _setup_organizers(emu)
    siti = emu.user(421, "Siti", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, photos=0)
    complaint = await _complaint(harness, ticket)
    cid = complaint.id or 0
    await _wait_text(emu, rina, ticket)

    # Asked while still new, with a document: the answer makes it new again, not verified.
    await _open(emu, rina, ticket)
    await tap(emu, rina, ComplaintAction(cid, "ask").pack())
    await say(emu, rina, "Mohon isi formulir terlampir.")
    await send(emu, rina, lambda: emu.send_document(rina, "formulir.pdf"))
    await tap(emu, rina, step("ca", "files", "done", cid))
    await tap(emu, rina, step("ca", "confirm", "send", cid))
    await _wait_text(emu, siti, "membutuhkan informasi tambahan")
    await emu.wait_until(lambda: emu.messages(siti)[-1].kind == "document")
    await say(emu, siti, "Formulir sudah saya isi, nomor antrean B-12.")
    assert (await _complaint(harness, ticket)).state == "baru"

    # A reply with two photos and a document: all reach the citizen through the outbox.
    await _open(emu, rina, ticket)
    await tap(emu, rina, ComplaintAction(cid, "verify").pack())
    await _open(emu, rina, ticket)
    await tap(emu, rina, ComplaintAction(cid, "reply").pack())
    await say(emu, rina, "Berikut bukti pencetakan dan jadwal pengambilan.")
    await send(emu, rina, lambda: emu.send_photo(rina))
    await send(emu, rina, lambda: emu.send_photo(rina))
    received = text_of(await send(emu, rina, lambda: emu.send_document(rina, "jadwal.pdf")))
    assert "3 dari 5" in received
    confirm = text_of(await tap(emu, rina, step("ca", "files", "done", cid)))
    assert "Lampiran: 3" in confirm and "bukti pencetakan" in confirm
    before = len(emu.events(siti))
    await tap(emu, rina, step("ca", "confirm", "send", cid))
    await _wait_text(emu, siti, "Tanggapan petugas", before)
    await emu.wait_until(
        lambda: len([m for m in emu.messages(siti)[-3:] if m.kind != "text"]) == 3
    )
    kinds = [m.kind for m in emu.messages(siti)[-3:]]
    assert kinds == ["photo", "photo", "document"]
    async with _db(harness).session() as session:
        files = (
            await session.exec(
                select(Attachment).where(
                    Attachment.complaint_id == cid,
                    Attachment.from_reporter.is_(False),  # type: ignore[attr-defined]
                )
            )
        ).all()
    assert sorted(a.kind for a in files) == ["document", "document", "photo", "photo"]
    assert all(a.event_id is not None for a in files)
    assert (await _complaint(harness, ticket)).state == "ditindaklanjuti"


async def test_cheap_phone_habits(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(431, "Siti", "id")
    await onboard(emu, siti)
    # A photo with a caption is the description, and the photo is kept.
    await _file_until_description(emu, siti)
    answer = text_of(await send(emu, siti, lambda: emu.send_photo(siti, caption=DESCRIPTION)))
    assert "Keterangan foto dipakai" in answer
    await tap(emu, siti, step("c", "files", "done"))
    await tap(emu, siti, step("c", "loc", "skip"))
    await tap(emu, siti, step("c", "date", "skip"))
    summary = text_of(await tap(emu, siti, step("c", "priv", "rahasia")))
    assert DESCRIPTION[:40] in summary and "Berkas: 1" in summary
    await tap(emu, siti, step("c", "sum", "send"))
    ticket = (await _wait_text(emu, siti, "Nomor tiket")).split("Nomor tiket: ")[1].split()[0]

    # A voice note is kept, and a short written summary is asked for.
    await say(emu, siti, "/batal")
    await _file_until_description(emu, siti)
    asked = text_of(await send(emu, siti, lambda: emu.send_voice(siti)))
    assert "Pesan suara Anda disimpan" in asked
    await say(emu, siti, "Jalan berlubang di depan pasar Kalianda.")
    await tap(emu, siti, step("c", "files", "done"))
    await tap(emu, siti, step("c", "loc", "skip"))
    await tap(emu, siti, step("c", "date", "skip"))
    await tap(emu, siti, step("c", "priv", "rahasia"))
    before = len(emu.events(siti))
    await tap(emu, siti, step("c", "sum", "send"))
    second = (await _wait_text(emu, siti, "Nomor tiket", before)).split("Nomor tiket: ")[1]
    async with _db(harness).session() as session:
        kinds = (await session.exec(select(Attachment.kind).order_by(Attachment.id))).all()
    assert list(kinds) == ["photo", "voice"]

    # /status with the number alone, with or without the zeros.
    number = ticket.rsplit("-", 1)[1]
    assert not second.startswith(ticket)
    for written in (str(int(number)), number):
        shown = text_of(await say(emu, siti, f"/status {written}"))
        assert ticket in shown and "Riwayat" in shown, written
    budi = emu.user(432, "Budi", "id")
    await onboard(emu, budi)
    assert "tidak ditemukan" in text_of(await say(emu, budi, f"/status {int(number)}"))
    assert "tidak ditemukan" in text_of(await say(emu, budi, "/status 99999999999999"))


async def test_an_organizer_of_another_unit_is_refused_by_the_service(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(441, "Siti", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, photos=0)
    complaint = await _complaint(harness, ticket)
    clock = Clock(_today(harness).tz, WorkingCalendar(), _today(harness).now)
    async with _db(harness).session() as session:
        other = await place_by_code(session, "LSM-DINKES")
        assert other is not None and other.id is not None
        stranger = Access(user_id=7002, units=frozenset({other.id}))
        for action in ("verify", "forward", "reply"):
            with pytest.raises(NotFound):
                await service.act(
                    session,
                    clock,
                    caller=stranger,
                    complaint_id=complaint.id or 0,
                    action=action,
                    note="Bukan urusan saya.",
                    target_unit_id=other.id,
                )
        with pytest.raises(NotFound):
            await service.forward_targets(session, stranger, complaint.id or 0)
        with pytest.raises(NotFound):
            await service.answer_closure(
                session,
                clock,
                caller=stranger,
                complaint_id=complaint.id or 0,
                answer="belum",
                settings=harness.runner.application.bot_data.settings,  # type: ignore[union-attr]
            )
        # The admin may; and nothing the stranger tried was stored.
        admin = Access(user_id=ADMIN_ID, admin=True)
        done, _ = await service.act(
            session, clock, caller=admin, complaint_id=complaint.id or 0, action="verify"
        )
        assert done.state == "diverifikasi"
        events = (
            await session.exec(
                select(ComplaintEvent.actor_id).where(ComplaintEvent.complaint_id == complaint.id)
            )
        ).all()
        assert 7002 not in events
