"""Citizen complaints from filing to rating, as the citizen and the organizers meet them."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
import os
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import select

from bot.analysis.sentiment import sentiment_of
from bot.buttons import (
    AssignPage,
    AssignUnit,
    BlockReporter,
    ComplaintAction,
    ComplaintFiles,
    Handled,
    MyComplaint,
    OpenComplaint,
    Rate,
)
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.services.satisfaction import ikm, ikm_of
from bot.storage.complaints import Attachment, Complaint, ComplaintEvent
from bot.storage.models import OutboxMessage, User
from bot.storage.places import Place, place_by_code
from bot.storage.questionnaires import Answer, Response
from tests.conftest import ADMIN_ID
from tests.e2e.helpers import choose, onboard, say, send, step, tap, text_of

DESCRIPTION = (
    "Pembuatan KTP elektronik saya sudah tiga bulan belum selesai, padahal petugas "
    "di loket bilang dua minggu. Setiap datang selalu disuruh kembali minggu depan."
)
ORGANIZER = 7001
OTHER_ORGANIZER = 7002


async def _setup_organizers(emu: BotApiEmulator) -> tuple[Persona, Persona, Persona]:
    admin = emu.user(ADMIN_ID, "Admin", "id")
    rina = emu.user(ORGANIZER, "Rina", "id")
    dedi = emu.user(OTHER_ORGANIZER, "Dedi", "id")
    await onboard(emu, admin, "asn")
    for person in (rina, dedi):
        await onboard(emu, person, "asn")
    assert "sekarang penyelenggara" in text_of(
        await say(emu, admin, f"/penyelenggara {ORGANIZER} LSL-DUKCAPIL")
    )
    assert "sekarang penyelenggara" in text_of(
        await say(emu, admin, f"/penyelenggara {OTHER_ORGANIZER} LSM-DINKES")
    )
    return admin, rina, dedi


async def _file_until_description(emu: BotApiEmulator, citizen: Persona) -> None:
    await say(emu, citizen, "/lapor")
    await tap(emu, citizen, "Administrasi Kependudukan")
    await say(emu, citizen, "lampung selatan")
    await tap(emu, citizen, "Dinas Kependudukan dan Pencatatan Sipil · Kab. Lampung Selatan")


async def _file(
    emu: BotApiEmulator, citizen: Persona, *, privacy: str = "rahasia", photos: int = 2
) -> str:
    """Files the standard complaint; returns the tracking number the citizen was given."""
    await _file_until_description(emu, citizen)
    await say(emu, citizen, DESCRIPTION)
    for _ in range(photos):
        await send(emu, citizen, lambda: emu.send_photo(citizen))
    await tap(emu, citizen, step("c", "files", "done"))
    await send(emu, citizen, lambda: emu.send_location(citizen, -5.7256, 105.5923))
    await tap(emu, citizen, step("c", "date", "0"))
    summary = await tap(emu, citizen, step("c", "priv", privacy))
    assert "Periksa laporan Anda" in text_of(summary)
    before = len(emu.events(citizen))
    await tap(emu, citizen, step("c", "sum", "send"))
    await emu.wait_until(lambda: "Nomor tiket" in " ".join(emu.texts(citizen, before)))
    text = next(t for t in emu.texts(citizen, before) if "Nomor tiket" in t)
    return text.split("Nomor tiket: ")[1].split()[0]


async def _wait_text(emu: BotApiEmulator, who: Persona, needle: str, after: int = 0) -> str:
    await emu.wait_until(lambda: any(needle in t for t in emu.texts(who, after)))
    return next(t for t in emu.texts(who, after) if needle in t)


def _db(harness: Harness):  # type: ignore[no-untyped-def]
    assert harness.runner is not None
    return harness.runner.application.bot_data.db


async def test_the_whole_story(harness: Harness) -> None:
    emu = harness.emulator
    _admin, rina, dedi = await _setup_organizers(emu)
    siti = emu.user(301, "Siti Aminah", "id")
    await onboard(emu, siti)

    ticket = await _file(emu, siti)
    assert ticket.startswith("ADU-2026-") or ticket.startswith("ADU-")
    # The tracking number was told only after the complaint was committed.
    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
        photos = (
            await session.exec(select(Attachment).where(Attachment.complaint_id == complaint.id))
        ).all()
    assert complaint.state == "baru" and complaint.reporter_name == "Siti Aminah"
    assert [a.kind for a in photos] == ["photo", "photo"]
    assert complaint.latitude == -5.7256 and complaint.incident_date is not None
    # Sentiment is computed as the complaint is stored.
    assert (complaint.sentiment_label, complaint.sentiment_polarity) == sentiment_of(DESCRIPTION)

    # The unit's organizer is told; the other unit's organizer is not.
    await _wait_text(emu, rina, f"Pengaduan baru {ticket}")
    assert not any(ticket in t for t in emu.texts(dedi))

    # The other organizer sees nothing and cannot act through a forged button.
    inbox = text_of(await say(emu, dedi, "/aduan"))
    assert ticket not in inbox
    menu = emu.last_with_buttons(dedi)
    for data in (
        OpenComplaint(complaint.id).pack(),
        ComplaintAction(complaint.id, "verify").pack(),
        ComplaintFiles(complaint.id).pack(),
    ):
        await emu.wait_acknowledged(emu.press_data(dedi, menu, data))
        assert "tidak tersedia untuk Anda" in (emu.callback_answers[-1].text or "")

    # Nor is it in his export file.
    await say(emu, dedi, "/ekspor")
    # The file comes through the outbox, a moment after the command's answer.
    await emu.wait_until(lambda: emu.last_message(dedi).kind == "document")
    exported = emu.last_message(dedi)
    assert exported.file_bytes
    sheet = openpyxl.load_workbook(io.BytesIO(exported.file_bytes)).active
    assert sheet is not None and sheet.max_row == 1  # the header only

    # Rina opens it from her inbox and verifies.
    inbox_events = await say(emu, rina, "/aduan")
    assert ticket in text_of(inbox_events)
    detail = await tap(emu, rina, ticket)
    assert "Siti Aminah" in text_of(detail) and DESCRIPTION[:40] in text_of(detail)
    before = len(emu.events(siti))
    await tap(emu, rina, ComplaintAction(complaint.id, "verify").pack())
    await _wait_text(emu, siti, "sudah diverifikasi", before)

    # She asks a question; Siti answers simply by writing.
    await say(emu, rina, "/aduan")
    await tap(emu, rina, ticket)
    await tap(emu, rina, ComplaintAction(complaint.id, "ask").pack())
    await say(emu, rina, "Mohon kirim foto bukti pendaftaran dan nomor antrean Anda.")
    await tap(emu, rina, step("ca", "files", "done", complaint.id))
    await tap(emu, rina, step("ca", "confirm", "send", complaint.id))
    question = await _wait_text(emu, siti, "membutuhkan informasi tambahan", before)
    assert "nomor antrean" in question
    before_rina = len(emu.events(rina))
    answer = await say(emu, siti, "Nomor antrean saya B-117, tanggal 3 Agustus.")
    assert "sudah kami simpan" in text_of(answer)
    await _wait_text(emu, rina, "menambahkan informasi", before_rina)

    # She closes it; Siti is told, rates, comments and answers the SKM survey.
    await say(emu, rina, "/aduan")
    await tap(emu, rina, ticket)
    await tap(emu, rina, ComplaintAction(complaint.id, "close").pack())
    await say(emu, rina, "KTP sudah dicetak dan dapat diambil di loket 2.")
    await tap(emu, rina, step("ca", "confirm", "send", complaint.id))
    await _wait_text(emu, siti, "Apakah masalah Anda sudah ditangani", before)
    await tap(emu, siti, Handled(complaint.id, "sudah").pack())
    await tap(emu, siti, Rate(complaint.id, 5).pack())
    await say(emu, siti, "Petugasnya ramah, terima kasih.")
    await tap(emu, siti, step("rt", "skm", "go", complaint.id))
    for answer_value in (4, 3, 4, 4, 3, 4, 4, 3, 4):
        await choose(emu, siti, answer_value)
    await tap(emu, siti, "✅ Kirim jawaban")
    assert "survei Anda sudah tersimpan" in emu.texts(siti)[-1]

    async with _db(harness).session() as session:
        done = await session.get(Complaint, complaint.id)
        skm = (
            await session.exec(select(Response).where(Response.subject_id == complaint.id))
        ).one()
        scores = {
            a.question: a.score
            for a in (await session.exec(select(Answer).where(Answer.response_id == skm.id)))
        }
        index = await ikm(session, unit_ids=[complaint.unit_id])
        actions = [
            e.action
            for e in (
                await session.exec(
                    select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
                )
            ).all()
        ]
    assert done is not None and done.state == "selesai" and done.rating == 5
    assert done.rating_comment == "Petugasnya ramah, terima kasih."
    assert skm.status == "submitted" and skm.subject_kind == "complaint"
    assert scores == {f"u{n}": v for n, v in enumerate((4, 3, 4, 4, 3, 4, 4, 3, 4), start=1)}
    # One rating joins no IKM: it waits for a block of FEEDBACK_MIN_RESPONSES of the unit.
    assert index is None and skm.released_at is None
    # Its own IKM would be the mean of the nine element scores x 25: (33 / 9) x 25 = 91.67.
    alone = ikm_of({q: float(v) for q, v in scores.items() if v is not None}, 1)
    assert alone is not None and (alone.value, alone.grade) == (91.67, "A")
    assert actions == ["filed", "verify", "ask", "info", "close", "handled", "rated"]

    # /status shows the history, and nobody else's complaint.
    status = text_of(await say(emu, siti, f"/status {ticket}"))
    assert "Riwayat" in status and "laporan diselesaikan" in status
    other = emu.user(302, "Budi", "id")
    await onboard(emu, other)
    assert "tidak ditemukan" in text_of(await say(emu, other, f"/status {ticket}"))
    menu = emu.last_with_buttons(other)
    await emu.wait_acknowledged(emu.press_data(other, menu, MyComplaint(complaint.id).pack()))
    assert "tidak ditemukan" in (emu.callback_answers[-1].text or "")


async def test_a_flow_stopped_midway_continues_after_restart(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(311, "Siti", "id")
    await onboard(emu, siti)
    await _file_until_description(emu, siti)
    await say(emu, siti, DESCRIPTION)
    await harness.restart(crash=True)
    answer = await send(emu, siti, lambda: emu.send_photo(siti))
    assert "Berkas diterima (1 dari 5)" in text_of(answer)


async def test_an_anonymous_complaint_shows_no_identity_to_organizers(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu = harness.emulator
    _admin, rina, _dedi = await _setup_organizers(emu)
    siti = emu.user(987654321, "Siti Rahasia", "id", username="siti_r")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, privacy="anonim", photos=0)
    await _wait_text(emu, rina, ticket)
    await say(emu, rina, "/aduan")
    detail = text_of(await tap(emu, rina, ticket))
    assert "anonim" in detail
    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
        outbox = (await session.exec(select(OutboxMessage))).all()
    assert complaint.reporter_name is None
    # Nothing an organizer received or can export names the citizen.
    organizer_texts = " ".join(emu.texts(rina)) + " ".join(
        str(m.payload) for m in outbox if m.chat_id == ORGANIZER
    )
    for secret in ("Siti Rahasia", "siti_r", "987654321"):
        assert secret not in organizer_texts
    # The organizer's export file, in chat.
    await say(emu, rina, "/ekspor")
    await emu.wait_until(lambda: emu.last_message(rina).kind == "document")
    document = emu.last_message(rina)
    assert document.file_bytes
    sheet = openpyxl.load_workbook(io.BytesIO(document.file_bytes)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header, row = rows[0], rows[1]
    record = dict(zip(header, row, strict=True))
    # Headers and values in the organizer's language.
    assert record["Nomor tiket"] == ticket and record["Kerahasiaan"] == "Anonim"
    assert record["ID Telegram pelapor"] is None and record["Nama pelapor"] is None
    # Nor do the logs, even at DEBUG.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records
    for secret in ("Siti Rahasia", "siti_r", "987654321"):
        assert secret not in logged


async def test_export_command_writes_csv_and_xlsx(harness: Harness, tmp_path: Path) -> None:
    emu = harness.emulator
    siti = emu.user(331, "Siti", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, photos=0)
    assert harness.runner is not None
    env = {
        **os.environ,
        "DATABASE_URL": harness.database_url,
        "TELEGRAM_BOT_TOKEN": "",
    }
    for fmt in ("csv", "xlsx"):
        output = tmp_path / f"out.{fmt}"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "export", "complaints", "--format", fmt,
            "--since", "2020-01-01", "--output", str(output),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 0, stderr.decode()
        assert "1 complaints written" in stdout.decode()
        if fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(output.read_text("utf-8-sig"))))
        else:
            sheet = openpyxl.load_workbook(output).active
            assert sheet is not None
            values = list(sheet.iter_rows(values_only=True))
            rows = [dict(zip(values[0], v, strict=True)) for v in values[1:]]
        assert len(rows) == 1
        assert rows[0]["ticket"] == ticket
        assert rows[0]["reporter_name"] == "Siti"
        assert rows[0]["state"] == "baru"
        assert str(rows[0]["category"]) == "Administrasi Kependudukan"


async def test_bad_input_gets_a_clear_answer(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(341, "Siti", "id")
    await onboard(emu, siti)
    await say(emu, siti, "/lapor")
    # Text where a button is expected.
    assert "pilih kategori" in text_of(await say(emu, siti, "kesehatan"))
    # A forged category index and a place from elsewhere.
    menu = emu.last_with_buttons(siti)
    for data in (
        step("c", "cat", "99"),
        step("c", "cat", "-1"),
        step("c", "cat", "x"),
        step("c", "place", "1"),
        step("c", "sum", "send"),
    ):
        await emu.wait_acknowledged(emu.press_data(siti, menu, data))
        assert "tidak berlaku" in (emu.callback_answers[-1].text or "")
    await tap(emu, siti, "Administrasi Kependudukan")
    page = emu.last_with_buttons(siti)
    await emu.wait_acknowledged(emu.press_data(siti, page, step("c", "place", "99999")))
    assert "tidak berlaku" in (emu.callback_answers[-1].text or "")
    await say(emu, siti, "lampung selatan")
    await tap(emu, siti, "Dinas Kependudukan dan Pencatatan Sipil · Kab. Lampung Selatan")
    # Too short, too long, a sticker, markup.
    assert "terlalu singkat" in text_of(await say(emu, siti, "KTP lama"))
    assert "terlalu panjang" in text_of(await say(emu, siti, "x" * 4001))
    assert "uraian berupa teks" in text_of(await send(emu, siti, lambda: emu.send_sticker(siti)))
    injected = "<b>Tolong</b> <script>alert(1)</script> & pelayanan <i>lambat</i> sekali </b>"
    await say(emu, siti, injected)
    # Five files fill the report: the flow moves on to the location by itself.
    for _ in range(5):
        await send(emu, siti, lambda: emu.send_photo(siti))
    events = await say(emu, siti, "Jl")
    assert "antara 5 dan 500 karakter" in text_of(events)
    await say(emu, siti, "Jl. Soekarno-Hatta No. 1, Kalianda")
    assert "tidak dapat dibaca" in text_of(await say(emu, siti, "31-02-2026"))
    assert "masa depan" in text_of(await say(emu, siti, "01-01-2099"))
    await say(emu, siti, "17-08-2026")
    summary = text_of(await tap(emu, siti, step("c", "priv", "rahasia")))
    # The injected markup is shown as the citizen typed it, not interpreted.
    assert injected in summary


async def test_too_many_files_and_the_daily_limit(database_url: str) -> None:
    async with Harness(
        database_url,
        BOT_ADMIN_IDS=str(ADMIN_ID),
        COMPLAINTS_PER_DAY="1",
        FLOOD_MESSAGES_PER_MINUTE="10000",
        DIGEST_SCHEDULE="off",
    ) as harness:
        emu = harness.emulator
        siti = emu.user(351, "Siti", "id")
        await onboard(emu, siti)
        await _file_until_description(emu, siti)
        await say(emu, siti, DESCRIPTION)
        for _ in range(4):
            await send(emu, siti, lambda: emu.send_photo(siti))
        fifth = await send(emu, siti, lambda: emu.send_photo(siti))
        assert "Berkas pendukung: 5" in text_of(fifth)  # moved on to the location step
        assert "lokasi" in text_of(fifth).lower()
        await tap(emu, siti, step("c", "loc", "skip"))
        await tap(emu, siti, step("c", "date", "skip"))
        await tap(emu, siti, step("c", "priv", "rahasia"))
        before = len(emu.events(siti))
        await tap(emu, siti, step("c", "sum", "send"))
        await _wait_text(emu, siti, "Nomor tiket", before)
        refused = text_of(await say(emu, siti, "/lapor"))
        assert "sudah mengirim 1 pengaduan hari ini" in refused


async def test_a_near_identical_complaint_is_pointed_out(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(361, "Siti", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, photos=0)
    await _file_until_description(emu, siti)
    await say(emu, siti, DESCRIPTION + " Mohon dibantu.")
    await tap(emu, siti, step("c", "files", "done"))
    await tap(emu, siti, step("c", "loc", "skip"))
    await tap(emu, siti, step("c", "date", "skip"))
    summary = text_of(await tap(emu, siti, step("c", "priv", "rahasia")))
    assert f"hampir sama ({ticket})" in summary


async def test_free_text_is_offered_as_a_complaint(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(371, "Siti", "id")
    await onboard(emu, siti)
    offer = await say(emu, siti, DESCRIPTION)
    assert "sebagai <b>pengaduan</b>" not in text_of(offer)  # shown as text, tags removed
    assert "pengaduan" in text_of(offer)
    await tap(emu, siti, step("c", "offer", "yes"))
    await tap(emu, siti, "Administrasi Kependudukan")
    await say(emu, siti, "lampung selatan")
    after_place = await tap(
        emu, siti, "Dinas Kependudukan dan Pencatatan Sipil · Kab. Lampung Selatan"
    )
    # The description is already there: straight to the files step, counted without it.
    assert "Langkah 3 dari 6" in text_of(after_place)  # six questions: no description


async def test_organizer_stops_a_reporter_at_their_unit_only_and_an_admin_lifts_it(
    harness: Harness,
) -> None:
    emu = harness.emulator
    admin, rina, _ = await _setup_organizers(emu)
    spammer = emu.user(381, "Spam", "id")
    await onboard(emu, spammer)
    ticket = await _file(emu, spammer, privacy="anonim", photos=0)
    await _wait_text(emu, rina, ticket)
    await say(emu, rina, "/aduan")
    await tap(emu, rina, ticket)
    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
    asked = await tap(emu, rina, BlockReporter(complaint.id).pack())
    assert "Tulis alasannya" in text_of(asked)
    confirm = await say(emu, rina, "Mengirim 40 laporan palsu dalam sehari.")
    assert "Batasi pelapor" in text_of(confirm) and "Spam" not in text_of(confirm)
    done = await tap(emu, rina, step("ub", "confirm", "yes", complaint.id))
    assert "tidak dapat lagi mengirim" in text_of(done) and "Spam" not in text_of(done)

    # Not a ban from the service: the reporter can still use it, and file elsewhere...
    assert "dibatasi oleh admin" not in text_of(await say(emu, spammer, "/status"))
    await say(emu, spammer, "/lapor")
    await tap(emu, spammer, "Administrasi Kependudukan")
    await say(emu, spammer, "lampung selatan")
    # ...but not to Rina's unit.
    await tap(emu, spammer, "Dinas Kependudukan dan Pencatatan Sipil · Kab. Lampung Selatan")
    assert "tidak dapat mengirim pengaduan ke unit ini" in (emu.callback_answers[-1].text or "")
    await tap(emu, spammer, "Dinas Kesehatan · Kab. Lampung Selatan")
    assert "Uraikan" in emu.texts(spammer)[-1] or "uraian" in emu.texts(spammer)[-1].lower()
    async with _db(harness).session() as session:
        actions = (
            await session.exec(
                select(ComplaintEvent.action).where(ComplaintEvent.complaint_id == complaint.id)
            )
        ).all()
        user = await session.get(User, spammer.id)
    assert "block_unit" in actions and user is not None and not user.banned

    # The admin sees the limit without the reporter's identity, and lifts it.
    listing = await say(emu, admin, "/blokiran")
    assert ticket in text_of(listing) and "Spam" not in text_of(listing)
    await tap(emu, admin, f"Cabut pembatasan {ticket}")
    assert "dicabut" in (emu.callback_answers[-1].text or "")
    await say(emu, spammer, "/batal")
    await say(emu, spammer, "/lapor")
    await tap(emu, spammer, "Administrasi Kependudukan")
    await say(emu, spammer, "lampung selatan")
    await tap(emu, spammer, "Dinas Kependudukan dan Pencatatan Sipil · Kab. Lampung Selatan")
    assert "Dinas Kependudukan" in " ".join(emu.texts(spammer)[-2:])


async def test_an_admin_can_never_be_banned_or_stopped(harness: Harness) -> None:
    emu = harness.emulator
    admin, rina, _ = await _setup_organizers(emu)
    refused = text_of(await say(emu, admin, f"/blokir {ADMIN_ID}"))
    assert "tidak dapat diblokir" in refused
    ticket = await _file(emu, admin, photos=0)
    await _wait_text(emu, rina, ticket)
    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
    await say(emu, rina, "/aduan")
    await tap(emu, rina, ticket)
    await tap(emu, rina, BlockReporter(complaint.id).pack())
    await say(emu, rina, "Alasan yang cukup panjang.")
    done = await tap(emu, rina, step("ub", "confirm", "yes", complaint.id))
    assert "tidak dapat dibatasi" in text_of(done)
    assert "Pengaduan" in text_of(await say(emu, admin, "/status"))


async def test_admin_assigns_an_organizer_by_forwarding_their_message(harness: Harness) -> None:
    emu = harness.emulator
    admin = emu.user(ADMIN_ID, "Admin", "id")
    yanti = emu.user(7003, "Yanti", "en")
    await onboard(emu, admin, "asn")
    await onboard(emu, yanti, "asn")
    offer = text_of(await send(emu, admin, lambda: emu.forward_text(admin, yanti, "Halo")))
    assert "7003" in offer and "halaman 1 dari 3" in offer
    await tap(emu, admin, AssignPage(7003, 1).pack())
    events = await tap(emu, admin, "Dinas Kesehatan · Kab. Lampung Selatan")
    assert "sekarang penyelenggara" in text_of(events)
    await _wait_text(emu, yanti, "You are now an organizer")
    # A hidden account cannot be picked; a non-admin cannot press the admin's buttons.
    hidden = await send(emu, admin, lambda: emu.forward_text(admin, None, "Halo"))
    assert "menyembunyikan akunnya" in text_of(hidden)
    menu = emu.last_with_buttons(yanti)
    await emu.wait_acknowledged(emu.press_data(yanti, menu, AssignUnit(7003, 1).pack()))
    assert "not available to you" in (emu.callback_answers[-1].text or "")
    # Yanti now handles that unit's complaints.
    assert "Complaints" in text_of(await say(emu, yanti, "/aduan"))


async def test_changing_a_field_from_the_summary_returns_to_the_summary(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(391, "Siti", "id")
    await onboard(emu, siti)
    await _file_until_description(emu, siti)
    await say(emu, siti, DESCRIPTION)
    await tap(emu, siti, step("c", "files", "done"))
    await tap(emu, siti, step("c", "loc", "skip"))
    await tap(emu, siti, step("c", "date", "skip"))
    await tap(emu, siti, step("c", "priv", "rahasia"))
    await tap(emu, siti, step("c", "sum", "edit"))
    asked = await tap(emu, siti, step("c", "edit", "desc"))
    assert "Langkah 3 dari 7" in text_of(asked)
    changed = "Antrean e-KTP di loket 3 sudah dua minggu tidak bergerak sama sekali."
    summary = text_of(await say(emu, siti, changed))
    assert "Periksa laporan Anda" in summary and changed in summary
    await tap(emu, siti, step("c", "sum", "edit"))
    await tap(emu, siti, step("c", "edit", "priv"))
    summary = text_of(await tap(emu, siti, step("c", "priv", "anonim")))
    assert "Identitas: 🕶 Anonim" in summary and changed in summary


async def test_control_and_invisible_characters_are_cleaned_where_they_enter(
    harness: Harness, tmp_path: Path
) -> None:
    emu = harness.emulator
    siti = emu.user(341, "Siti", "id")
    await onboard(emu, siti)
    await _file_until_description(emu, siti)
    # Zero-width spaces are not a description.
    refused = text_of(await say(emu, siti, "\u200b" * 40))
    assert "terlalu singkat" in refused
    dirty = "Antrean\x1b[31m di loket\x0b dua sangat panjang ‏שלום 👩\u200d💻 sejak pagi hari."
    await say(emu, siti, dirty)
    await tap(emu, siti, step("c", "files", "done"))
    await tap(emu, siti, step("c", "loc", "skip"))
    await tap(emu, siti, step("c", "date", "skip"))
    await tap(emu, siti, step("c", "priv", "rahasia"))
    await tap(emu, siti, step("c", "sum", "send"))
    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint))).one()
    assert complaint.description == (
        "Antrean[31m di loket dua sangat panjang ‏שלום 👩\u200d💻 sejak pagi hari."
    )
    # The unit's export, which a control character used to break, opens.
    output = tmp_path / "aduan.xlsx"
    env = {**os.environ, "DATABASE_URL": harness.database_url, "TELEGRAM_BOT_TOKEN": ""}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "export", "complaints", "--output", str(output),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()
    sheet = openpyxl.load_workbook(output).active
    assert sheet is not None and sheet.max_row == 2


async def test_english_screens_name_categories_in_english_and_notices_name_the_region(
    harness: Harness,
) -> None:
    emu = harness.emulator
    _admin, rina, _dedi = await _setup_organizers(emu)
    john = emu.user(351, "John", "en")
    await onboard(emu, john)
    asked = await say(emu, john, "/lapor")
    labels = [label for label, _ in emu.last_with_buttons(john).buttons]
    assert "Civil registration (ID cards, family cards)" in labels, text_of(asked)
    assert "Administrasi Kependudukan" not in labels
    await tap(emu, john, "Civil registration (ID cards, family cards)")
    await say(emu, john, "lampung selatan")
    await tap(emu, john, "Dinas Kependudukan dan Pencatatan Sipil · Kab. Lampung Selatan")
    await say(emu, john, DESCRIPTION)
    await tap(emu, john, step("c", "files", "done"))
    await tap(emu, john, step("c", "loc", "skip"))
    await tap(emu, john, step("c", "date", "skip"))
    summary = text_of(await tap(emu, john, step("c", "priv", "rahasia")))
    assert "Civil registration" in summary
    await tap(emu, john, step("c", "sum", "send"))
    notice = await _wait_text(emu, rina, "Pengaduan baru")
    # The organizer reads Indonesian, with the unit's region.
    assert "Administrasi Kependudukan" in notice
    assert "Kabupaten Lampung Selatan › Dinas Kependudukan" in notice


async def test_texts_of_any_length_reach_the_user_whole_and_valid(harness: Harness) -> None:
    emu = harness.emulator
    admin, rina, _dedi = await _setup_organizers(emu)
    siti = emu.user(361, "Siti", "id")
    await onboard(emu, siti)
    # The longest description allowed, full of characters that grow when escaped.
    sentence = 'Loket <3> & antrean "panjang" sejak pagi; '
    description = (sentence * 200)[:4000].strip()
    await _file_until_description(emu, siti)
    await say(emu, siti, description)
    await tap(emu, siti, step("c", "files", "done"))
    await tap(emu, siti, step("c", "loc", "skip"))
    await tap(emu, siti, step("c", "date", "skip"))
    summary = text_of(await tap(emu, siti, step("c", "priv", "rahasia")))
    assert "Periksa laporan Anda" in summary and "…" in summary
    await tap(emu, siti, step("c", "sum", "send"))
    ticket = (await _wait_text(emu, siti, "Nomor tiket")).split("Nomor tiket: ")[1].split()[0]

    # The organizer's view and the citizen's /status carry the whole description, in parts.
    await say(emu, rina, "/aduan")
    detail = text_of(await tap(emu, rina, ticket))
    assert detail.count("Loket") == description.count("Loket") and description[-40:] in detail
    status = text_of(await say(emu, siti, f"/status {ticket}"))
    assert status.count("Loket") == description.count("Loket") and description[-40:] in status

    # A hundred and twenty units are paged, and one is found by writing part of its name.
    async with _db(harness).session() as session:
        parent = await place_by_code(session, "LSL")
        assert parent is not None
        for n in range(120):
            session.add(
                Place(
                    code=f"LSL-UPTD-{n:03d}",
                    name=f"UPTD Puskesmas & Pustu <Wilayah> {n:03d} Kecamatan Kalianda",
                    level="unit",
                    parent_id=parent.id,
                )
            )
        await session.commit()
    listing = await say(emu, admin, "/unit")
    assert "halaman 1 dari 18" in text_of(listing)
    found = await say(emu, admin, "pustu 077")
    labels = [label for label, _ in emu.last_with_buttons(admin).buttons]
    assert "Hasil pencarian «pustu 077»: 1 unit" in text_of(found)
    assert "UPTD Puskesmas & Pustu <Wilayah> 077 Kecamatan Kalianda · Kab. Lampung Selatan" in (
        labels
    )


async def test_forged_button_data_is_no_longer_valid_never_an_error(harness: Harness) -> None:
    emu = harness.emulator
    siti = emu.user(371, "Siti", "id")
    await onboard(emu, siti)
    menu = emu.last_with_buttons(siti)
    forged = [
        "ax:" + "9" * 30 + ":verify",  # a number past any integer column
        "ax:12:delete",  # an action that does not exist
        "ax:12:verify:extra",
        "ai:closed:99999999999999999999",
        "f:c:cat:" + "9" * 25 + ":0",
        "f:zz:cat:1:0",  # a flow that does not exist
        "f:q:q:0.5:" + "9" * 19,
        "r:1:" + "9" * 40,
        "qf:-1",
        "m:../../etc",
        "px:1:drop",
    ]
    for data in forged:
        before = len(emu.events(siti))
        await emu.wait_acknowledged(emu.press_data(siti, menu, data))
        answer = emu.callback_answers[-1].text or ""
        assert "tidak berlaku" in answer or "tidak ditemukan" in answer, (data, answer)
        assert not any("kesalahan" in t for t in emu.texts(siti, before)), data


async def test_organizer_and_admin_actions_are_in_the_audit_log(harness: Harness) -> None:
    emu = harness.emulator
    admin, rina, _ = await _setup_organizers(emu)
    siti = emu.user(395, "Siti", "id")
    await onboard(emu, siti)
    ticket = await _file(emu, siti, photos=0)
    await _wait_text(emu, rina, ticket)
    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
    await say(emu, rina, "/aduan")
    await tap(emu, rina, ticket)
    await tap(emu, rina, ComplaintAction(complaint.id, "verify").pack())
    await say(emu, rina, "/ekspor")
    await say(emu, admin, "/blokir 395")
    await say(emu, admin, "/bukablokir 395")

    assert "tidak tersedia untuk Anda" in text_of(await say(emu, rina, "/audit"))
    log = text_of(await say(emu, admin, "/audit"))
    # Sentences, the complaint by its ticket number.
    for said in (
        "menetapkan penyelenggara",
        f"(penyelenggara) memverifikasi {ticket} ·",
        "mengekspor daftar pengaduan",
        "(admin) memblokir",
        "(admin) membuka blokir",
    ):
        assert said in log, said
    assert "verify" not in log and "export_complaints" not in log
    await say(emu, admin, "/audit xlsx")
    await emu.wait_until(lambda: emu.last_message(admin).kind == "document")
    exported = emu.last_message(admin)
    assert exported.file_bytes is not None
    sheet = openpyxl.load_workbook(io.BytesIO(exported.file_bytes)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Waktu", "Pelaku", "Peran", "Tindakan")
    assert f"memverifikasi {ticket}" in {row[3] for row in rows[1:]}
    assert isinstance(sheet["A2"].value, dt.datetime)
    assert sheet["A2"].number_format == "dd/mm/yyyy hh:mm"
    # The reporter is never an actor in the log.
    assert all(str(siti.id) not in str(row[1]) for row in rows[1:])
