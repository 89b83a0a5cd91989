"""A person's rights over their data: a copy of everything, erasure that keeps only anonymous
contents, and retention that removes reporters' identity once complaints are long closed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlmodel import select

from bot.buttons import BlockReporter, ComplaintAction
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.services.privacy import apply_retention, forget_daily_keys
from bot.services.programs import PROPOSALS_PER_DAY, ProgramSpec, create_program, join
from bot.storage.complaints import Complaint, UnitBlock
from bot.storage.models import OutboxMessage, ProcessedUpdate, User
from bot.storage.places import place_by_code
from bot.storage.programs import DueItem, Participant, schedule
from tests.e2e.helpers import onboard, say, step, tap, text_of
from tests.e2e.test_complaints import (
    _db,
    _file,
    _file_until_description,
    _setup_organizers,
    _wait_text,
)

NIP = "198503122010011002"


async def test_a_citizen_downloads_their_data_then_erases_their_identity(harness: Harness) -> None:
    emu = harness.emulator
    _admin, rina, _ = await _setup_organizers(emu)
    siti = emu.user(391, "Siti Aminah", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, photos=0)
    await _wait_text(emu, rina, ticket)

    shown = text_of(await say(emu, siti, "/privasi"))
    # The notice again, without a consent question nobody can answer (no buttons there).
    assert "/hapusdata" in shown and "Pemberitahuan pelindungan data" in shown
    assert "Apakah Anda setuju" not in shown and not emu.last_message(siti).buttons
    # Cancelling an erasure says nothing was erased.
    await say(emu, siti, "/hapusdata")
    kept = text_of(await tap(emu, siti, step("x", "confirm", "no")))
    assert "tidak ada yang dihapus" in kept and "sudah dihapus" not in kept
    await say(emu, siti, "/datasaya")
    # Built by the outbox after the update committed, then sent.
    await emu.wait_until(lambda: emu.last_message(siti).kind == "document")
    exported = emu.last_message(siti)
    assert exported.file_bytes is not None
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
    documents = len([m for m in emu.messages(siti) if m.kind == "document"])
    await say(emu, siti, "/datasaya")
    await emu.wait_until(
        lambda: len([m for m in emu.messages(siti) if m.kind == "document"]) > documents
    )
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


async def _erase(emu: BotApiEmulator, who: Persona) -> str:
    await say(emu, who, "/hapusdata")
    return text_of(await tap(emu, who, step("x", "confirm", "yes")))


async def test_a_units_limit_on_a_reporter_survives_their_erasure(harness: Harness) -> None:
    emu = harness.emulator
    _admin, rina, _ = await _setup_organizers(emu)
    spammer = emu.user(393, "Spam", "id")
    await onboard(emu, spammer)
    ticket = await _file(emu, spammer, photos=0)
    await _wait_text(emu, rina, ticket)
    await say(emu, rina, "/aduan")
    await tap(emu, rina, ticket)
    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
    await tap(emu, rina, BlockReporter(complaint.id or 0).pack())
    await say(emu, rina, "Mengirim 40 laporan palsu dalam sehari.")
    await tap(emu, rina, step("ub", "confirm", "yes", complaint.id or 0))

    assert "Identitas Anda sudah dihapus" in await _erase(emu, spammer)
    async with _db(harness).session() as session:
        block = (await session.exec(select(UnitBlock))).one()
    assert block.user_id < 0 and str(spammer.id) not in (block.user_key or "")

    # Back as a new account with the same Telegram id: Rina's unit still refuses them.
    await onboard(emu, spammer)
    await _file_until_description(emu, spammer)
    assert "tidak dapat mengirim pengaduan ke unit ini" in (emu.callback_answers[-1].text or "")


async def test_the_daily_complaint_limit_survives_erasure(harness: Harness) -> None:
    emu = harness.emulator
    assert harness.runner is not None
    harness.runner.application.bot_data.settings.complaints_per_day = 1
    siti = emu.user(394, "Siti", "id")
    await onboard(emu, siti)
    await _file(emu, siti, photos=0)
    assert "batas harian" in text_of(await say(emu, siti, "/lapor"))

    await _erase(emu, siti)
    await onboard(emu, siti)
    assert "batas harian" in text_of(await say(emu, siti, "/lapor"))
    # The key is kept only while the day's limit needs it.
    async with _db(harness).session() as session:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
        assert await forget_daily_keys(session, now=later) == 1
        await session.commit()
        kept = (await session.exec(select(Complaint.reporter_key))).all()
    assert kept == [None]


async def test_a_banned_user_can_still_get_and_erase_their_data_and_stays_banned(
    harness: Harness,
) -> None:
    emu = harness.emulator
    admin, rina, _ = await _setup_organizers(emu)
    budi = emu.user(395, "Budi", "id")
    await onboard(emu, budi)
    ticket = await _file(emu, budi, photos=0)
    await _wait_text(emu, rina, ticket)
    assert "diblokir" in text_of(await say(emu, admin, f"/blokir {budi.id}"))
    assert "dibatasi oleh admin" in text_of(await say(emu, budi, "/lapor"))

    assert [c["ticket"] for c in (await _my_data(emu, budi))["complaints"]] == [ticket]
    assert "Identitas Anda sudah dihapus" in await _erase(emu, budi)

    # The ban outlives the account: a fresh /start is still refused, /datasaya still works.
    assert "dibatasi oleh admin" in text_of(await say(emu, budi, "/start"))
    assert (await _my_data(emu, budi))["complaints"] == []
    # An admin can lift it by the id, though no account is left.
    assert "dibuka" in text_of(await say(emu, admin, f"/bukablokir {budi.id}")).lower()
    assert "dibatasi oleh admin" not in text_of(await say(emu, budi, "/start"))


async def test_my_data_has_the_questions_put_to_me_and_what_i_added(harness: Harness) -> None:
    emu = harness.emulator
    _admin, rina, _ = await _setup_organizers(emu)
    siti = emu.user(396, "Siti", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, photos=0)
    await _wait_text(emu, rina, ticket)
    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
    await say(emu, rina, "/aduan")
    await tap(emu, rina, ticket)
    await tap(emu, rina, ComplaintAction(complaint.id or 0, "ask").pack())
    await say(emu, rina, "Mohon kirim nomor antrean Anda.")
    await tap(emu, rina, step("ca", "files", "done", complaint.id or 0))
    await tap(emu, rina, step("ca", "confirm", "send", complaint.id or 0))
    await _wait_text(emu, siti, "nomor antrean")
    await say(emu, siti, "Nomor antrean saya B-117, tanggal 3 Agustus.")

    data = await _my_data(emu, siti)
    filed = data["complaints"][0]
    assert [q["question"] for q in filed["questions_to_you"]] == [
        "Mohon kirim nomor antrean Anda."
    ]
    assert [i["text"] for i in filed["information_you_added"]] == [
        "Nomor antrean saya B-117, tanggal 3 Agustus."
    ]


async def test_erasure_leaves_no_message_or_reminder_that_names_the_telegram_id(
    harness: Harness,
) -> None:
    emu = harness.emulator
    siti = emu.user(397, "Siti", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, photos=0)
    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
    # She is also in a training program, with a reminder due to her.
    now = dt.datetime.now(dt.UTC)
    async with _db(harness).session() as session:
        program = await create_program(
            session,
            spec=ProgramSpec(
                title="Pelatihan Arsip Digital",
                unit_id=complaint.unit_id,
                starts_at=now + dt.timedelta(days=1),
                ends_at=now + dt.timedelta(days=2),
            ),
            caller=None,
            now=now,
        )
        assert program.id is not None
        await join(session, program=program, user_id=siti.id)
        await schedule(
            session,
            key=f"remind:{program.id}:{siti.id}:1",
            kind="remind",
            program_id=program.id,
            due_at=now + dt.timedelta(days=3),
            user_id=siti.id,
            number=1,
        )
        await session.commit()
        sent = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == siti.id))
        ).all()
    assert any(ticket in json.dumps(row.payload) for row in sent)

    await _erase(emu, siti)
    async with _db(harness).session() as session:
        to_her = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == siti.id))
        ).all()
        due = (await session.exec(select(DueItem).where(DueItem.user_id == siti.id))).all()
        updates = (
            await session.exec(select(ProcessedUpdate).where(ProcessedUpdate.user_id == siti.id))
        ).all()
    # The confirmation of the erasure itself is a reply, not an outbox row.
    assert to_her == [] and due == [] and updates == []


async def test_the_privacy_notice_names_all_data_and_the_retention_the_bot_applies(
    harness: Harness,
) -> None:
    emu = harness.emulator
    assert harness.runner is not None
    harness.runner.application.bot_data.settings.retention_days = 400
    for who, words in (
        (emu.user(398, "Siti", "id"), ("NIP", "unit kerja", "lokasi", "400 hari")),
        (emu.user(399, "Sarah", "en"), ("NIP", "work unit", "location", "400 days")),
    ):
        notice = text_of(await say(emu, who, "/start"))
        again = text_of(await say(emu, who, "/privasi"))
        for text in (notice, again):
            assert all(word in text for word in words), text
            assert "2 tahun" not in text and "2 years" not in text


async def test_retention_removes_identity_from_long_finished_training_programs(
    harness: Harness,
) -> None:
    emu = harness.emulator
    andi = emu.user(400, "Andi", "id")
    await onboard(emu, andi, "asn")
    now = dt.datetime.now(dt.UTC)
    async with _db(harness).session() as session:
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        assert unit is not None and unit.id is not None
        ids = []
        for ended in (500, 5):
            program = await create_program(
                session,
                spec=ProgramSpec(
                    title=f"Pelatihan {ended}",
                    unit_id=unit.id,
                    starts_at=now - dt.timedelta(days=ended + 1),
                    ends_at=now - dt.timedelta(days=ended),
                ),
                caller=None,
                now=now - dt.timedelta(days=ended + 2),
            )
            assert program.id is not None
            await join(session, program=program, user_id=andi.id, nip=NIP, work_unit="BKPSDM")
            ids.append(program.id)
        await session.commit()
        assert await apply_retention(session, days=365, now=now) == 1
        await session.commit()
        kept = (await session.exec(select(Participant.program_id))).all()
    assert kept == [ids[1]]


async def test_the_daily_proposal_limit_survives_erasure(harness: Harness) -> None:
    emu = harness.emulator
    andi = emu.user(401, "Andi", "id")
    await onboard(emu, andi, "asn")
    async with _db(harness).session() as session:
        unit = await place_by_code(session, "LSL-DUKCAPIL")
    assert unit is not None and unit.id is not None

    async def propose(topic: str) -> str:
        await say(emu, andi, "/usul")
        await say(emu, andi, topic)
        before, chat = len(emu.callback_answers), len(emu.events(andi))
        pick = step("u", "unit", str(unit.id))  # the unit list is paged: pressed by its data
        await emu.wait_acknowledged(emu.press_data(andi, emu.last_with_buttons(andi), pick))
        alerts = [a.text or "" for a in emu.callback_answers[before:]]
        return text_of(emu.events(andi)[chat:]) + "\n".join(alerts)

    for number in range(PROPOSALS_PER_DAY):
        assert "batas" not in await propose(f"Pelatihan arsip digital ke-{number}")
    await say(emu, andi, "/batal")
    await _erase(emu, andi)
    await onboard(emu, andi, "asn")
    assert "usulan hari ini" in await propose("Pelatihan arsip digital lagi")


async def _my_data(emu: BotApiEmulator, who: Persona) -> dict[str, Any]:
    """/datasaya, and the JSON file the outbox builds and sends after the commit."""
    documents = len([m for m in emu.messages(who) if m.kind == "document"])
    await say(emu, who, "/datasaya")
    await emu.wait_until(
        lambda: len([m for m in emu.messages(who) if m.kind == "document"]) > documents
    )
    data: dict[str, Any] = json.loads(emu.last_message(who).file_bytes or b"{}")
    return data
