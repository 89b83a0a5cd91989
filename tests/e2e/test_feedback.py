"""ASN training feedback from the organizer's program to the follow-up, as people meet it.

Scheduled work runs on the application's clock, which these tests set: the training ended
months ago, so every message the schedule releases is due for the outbox at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
from collections.abc import Iterator

import openpyxl
import zxingcpp
from PIL import Image
from sqlmodel import select

from bot.buttons import NewProgram, OpenProgram, ProgramAction
from bot.jobs.feedback import run_due
from bot.sandbox.emulator import BotApiEmulator, BotMessage, Persona
from bot.sandbox.harness import Harness
from bot.storage.models import OutboxMessage
from bot.storage.programs import Participant, Program
from bot.storage.questionnaires import Answer, Response
from tests.conftest import ADMIN_ID
from tests.e2e.helpers import choose, onboard, say, step, tap, text_of

ORGANIZER = 7101
UNIT = "LPG-PROV-BPSDM"
WIB = dt.timezone(dt.timedelta(hours=7))
INVITATION = "Mohon isi kuesioner evaluasi"
REMINDER = "Pengingat: kuesioner evaluasi"
SUBMIT = "✅ Kirim jawaban"
NAVIGATION = {"◀️ Sebelumnya", "Lewati", "Berikutnya ▶️"}


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def _state(harness: Harness):  # type: ignore[no-untyped-def]
    assert harness.runner is not None
    return harness.runner.application.bot_data


async def _organizer(emu: BotApiEmulator) -> Persona:
    admin = emu.user(ADMIN_ID, "Admin", "id")
    rina = emu.user(ORGANIZER, "Rina", "id")
    await onboard(emu, admin, "asn")
    await onboard(emu, rina, "asn")
    await say(emu, admin, f"/penyelenggara {ORGANIZER} {UNIT}")
    return rina


async def _create_in_chat(emu: BotApiEmulator, rina: Persona, start: str, end: str) -> str:
    """Rina creates a program step by step; returns its join code."""
    await say(emu, rina, "/program")
    await tap(emu, rina, NewProgram().pack())
    await say(emu, rina, "Pelatihan Pelayanan Publik Prima")
    await tap(emu, rina, step("p", "provider", "skip"))
    await say(emu, rina, start)
    await say(emu, rina, end)
    await tap(emu, rina, step("p", "mode", "klasikal"))
    await say(emu, rina, "Dr. Sari Dewi; Budi Santoso, M.Kom.")
    saved = await tap(emu, rina, step("p", "confirm", "save"))
    created = text_of(saved)
    assert "tersimpan dengan kode" in created
    return created.split("dengan kode ")[1].split(".")[0].strip()


async def _qr_payload(emu: BotApiEmulator, who: Persona) -> str:
    # The QR code is drawn by the outbox after the update committed: it comes a moment later.
    await emu.wait_until(lambda: any(m.kind == "photo" for m in emu.messages(who)))
    photo = next(m for m in reversed(emu.messages(who)) if m.kind == "photo")
    assert photo.file_bytes is not None
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(photo.file_bytes)).convert("L"))
    assert len(codes) == 1
    return codes[0].text.split("?start=")[1]


async def _fill(emu: BotApiEmulator, who: Persona, scores: Iterator[int], plan: str) -> None:
    """Opens the questionnaire from its invitation and answers it all."""
    await tap(emu, who, "📝 Isi kuesioner")
    await _fill_rest(emu, who, scores, plan)


async def _export(emu: BotApiEmulator, who: Persona, program_id: int) -> BotMessage:
    """Taps the program's export; the workbook is built and sent after the commit."""
    before = sum(m.kind == "document" for m in emu.messages(who))
    await tap(emu, who, ProgramAction(program_id, "export").pack())
    await emu.wait_until(lambda: sum(m.kind == "document" for m in emu.messages(who)) > before)
    exported = emu.last_message(who)
    assert exported.kind == "document" and exported.file_bytes is not None
    return exported


def _count(emu: BotApiEmulator, who: Persona, needle: str) -> int:
    return sum(needle in text for text in emu.texts(who))


async def test_a_training_from_creation_to_follow_up(harness: Harness) -> None:
    emu = harness.emulator
    state = _state(harness)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    # The training ended thirteen weeks ago at 16:00 WIB, after three days.
    ended = (now - dt.timedelta(weeks=13)).astimezone(WIB).replace(hour=16, minute=0, second=0)
    started = ended - dt.timedelta(days=2, hours=8)
    clock = Clock(started - dt.timedelta(days=5))
    state.clock = clock

    rina = await _organizer(emu)
    code = await _create_in_chat(
        emu, rina, started.strftime("%d-%m-%Y %H:%M"), ended.strftime("%d-%m-%Y %H:%M")
    )
    payload = await _qr_payload(emu, rina)
    assert payload == f"ikut_{code}"

    # 30 ASN join: ten by the link, ten by scanning the QR code, ten by typing the code.
    people = [emu.user(5000 + n, f"Peserta {n}", "id") for n in range(30)]
    for person in people[:10]:
        await say(emu, person, f"/start ikut_{code}")
        # A join link means an ASN: no role question after the privacy notice.
        joined = text_of(await tap(emu, person, step("on", "privacy", "yes")))
        assert "Anda terdaftar sebagai peserta" in joined and "sebagai siapa" not in joined
    for person in people[10:20]:
        await say(emu, person, f"/start {payload}")
        await tap(emu, person, step("on", "privacy", "yes"))
    for person in people[20:]:
        await onboard(emu, person, "asn")
        assert "Anda terdaftar" in text_of(await say(emu, person, f"/gabung {code.lower()}"))
    # Some give their NIP (a wrong one is explained), others skip.
    assert "18 angka" in text_of(await say(emu, people[0], "12345"))
    await say(emu, people[0], "19850312 201001 1 002")
    await say(emu, people[0], "Dinas Kesehatan Kabupaten Lampung Selatan")
    await tap(emu, people[1], "Lewati")
    # Joining twice is harmless.
    assert "sudah terdaftar" in text_of(await say(emu, people[25], f"/gabung {code}"))
    assert "tidak ditemukan" in text_of(await say(emu, people[25], "/gabung ZZZZZZ"))

    async with state.db.session() as session:
        program = (await session.exec(select(Program).where(Program.code == code))).one()
        joined_ids = set(
            (
                await session.exec(
                    select(Participant.user_id).where(Participant.program_id == program.id)
                )
            ).all()
        )
        first = (
            await session.exec(select(Participant).where(Participant.user_id == people[0].id))
        ).one()
    assert joined_ids == {p.id for p in people}
    assert first.nip == "198503122010011002" and first.work_unit is not None

    # Before the end nothing is sent.
    await run_due(state)
    assert not any(_count(emu, p, INVITATION) for p in people)

    # The training ends: each participant gets the questionnaire once.
    clock.now = ended + dt.timedelta(minutes=5)
    await run_due(state)
    await run_due(state)
    await emu.wait_until(lambda: all(_count(emu, p, INVITATION) == 1 for p in people))
    # The template does not add "Pelatihan" to a title that has it.
    plain = [re.sub(r"<[^>]+>", "", t) for p in people for t in emu.texts(p)]
    assert not any("Pelatihan Pelatihan" in t for t in plain)

    # 20 answer. Number 3 changes an answer on the way; number 4 is interrupted by a restart.
    scores = iter([5, 4, 4, 5, 4, 5, 4, 4, 5, 4] * 100)
    for person in people[:3]:
        await _fill(emu, person, scores, "Menerapkan SOP pelayanan satu pintu di loket.")
    await tap(emu, people[3], "📝 Isi kuesioner")
    await choose(emu, people[3], 2)
    await tap(emu, people[3], "◀️ Sebelumnya")
    await choose(emu, people[3], 4)
    await _fill_rest(emu, people[3], scores)
    await tap(emu, people[4], "📝 Isi kuesioner")
    await choose(emu, people[4], 3)
    await choose(emu, people[4], 4)
    await harness.restart(crash=True)
    state = _state(harness)
    state.clock = clock
    await _fill_rest(emu, people[4], scores)
    for person in people[5:20]:
        await _fill(emu, person, scores, "Membuat papan informasi layanan.")

    async with state.db.session() as session:
        responses = (
            await session.exec(select(Response).where(Response.subject_id == program.id))
        ).all()
        changed = (
            await session.exec(
                select(Answer)
                .join(Response, Response.id == Answer.response_id)
                .where(Response.respondent_id == people[3].id, Answer.question == "relevansi")
            )
        ).one()
    assert sum(r.status == "submitted" for r in responses) == 20
    assert changed.score == 4

    # After submitting, answers are final: a late tap is told so.
    old = emu.last_with_buttons(people[0])
    await emu.wait_acknowledged(emu.press(people[0], old, old.buttons[0][0]))
    assert "sudah terkirim" in (emu.callback_answers[-1].text or "")

    # Reminders: only the ten who did not answer, at most two, never after the window.
    for hours in (25, 49, 73, 97, 24 * 8, 24 * 9):
        clock.now = ended + dt.timedelta(hours=hours)
        await run_due(state)
        # The outbox checks a reminder again when it sends it: it goes before the clock jumps
        # past the window.
        await _drained(state)
    await emu.wait_until(lambda: all(_count(emu, p, REMINDER) == 2 for p in people[20:]))
    assert not any(_count(emu, p, REMINDER) for p in people[:20])
    # The window is closed: a late answer is refused politely.
    late = await tap(emu, people[25], "📝 Isi kuesioner")
    assert "berakhir" in text_of(late) or "berakhir" in (emu.callback_answers[-1].text or "")

    # The organizer sees 20 of 30 and the averages, never who said what.
    await say(emu, rina, "/program")
    page = text_of(await tap(emu, rina, OpenProgram(program.id or 0).pack()))
    assert "Peserta: 30 · sudah menjawab: 20 (67%)" in page
    assert "Rata-rata nilai" in page and "Dr. Sari Dewi" in page
    assert not any(f"Peserta {n}" in page for n in range(30))
    exported = await _export(emu, rina, program.id or 0)
    sheet = openpyxl.load_workbook(io.BytesIO(exported.file_bytes)).active
    assert sheet is not None and sheet.max_row == 21  # the header and 20 answers
    cells = " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row)
    assert not any(str(p.id) in cells or p.first_name in cells for p in people)

    # The follow-up goes to those who answered, twelve weeks after the end.
    clock.now = ended + dt.timedelta(weeks=12, hours=1)
    await run_due(state)
    await emu.wait_until(
        lambda: all(_count(emu, p, "evaluasi pasca pelatihan") == 1 for p in people[:20])
    )
    assert not any(_count(emu, p, "evaluasi pasca pelatihan") for p in people[20:])
    # It names the participant's own action plan.
    await tap(emu, people[0], "📝 Isi kuesioner")
    await choose(emu, people[0], 4)
    assert "Menerapkan SOP pelayanan satu pintu" in emu.last_with_buttons(people[0]).text
    await _fill_rest(emu, people[0], scores, "Antrean kini tercatat di aplikasi.")
    link = next(t for t in emu.texts(people[0]) if "teruskan tautan ini" in t)
    payload = link.split("?start=")[1].split()[0]

    # The supervisor answers in their own chat; a link with another number is refused.
    boss = emu.user(5999, "Kepala Dinas", "id")
    await say(emu, boss, f"/start {payload}")
    asked = await tap(emu, boss, step("on", "privacy", "yes"))
    assert "Penilaian atasan" in text_of(asked)
    await _fill_rest(emu, boss, scores)
    forged = payload.replace("_", "_9", 1)
    assert "tidak dikenal" in text_of(await say(emu, boss, f"/start {forged}"))
    # The link is for one supervisor: a second account that opens it is refused.
    other = emu.user(5998, "Kepala Bidang", "id")
    await say(emu, other, f"/start {payload}")
    refused = text_of(await tap(emu, other, step("on", "privacy", "yes")))
    assert "sudah digunakan" in refused and "Penilaian atasan" not in refused
    assert "sudah digunakan" in text_of(await say(emu, other, f"/start {payload}"))
    async with state.db.session() as session:
        supervisor = (
            await session.exec(select(Response).where(Response.subject_kind == "supervisor"))
        ).one()
    assert supervisor.status == "submitted" and supervisor.respondent_id == boss.id

    # Nothing was sent twice, and no outbox message ran into Telegram's limits (the test's
    # own users chat at machine speed, so their replies may; the outbox must not).
    async with state.db.session() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    keys = [row.dedupe_key for row in rows if row.dedupe_key]
    assert len(keys) == len(set(keys))
    assert all(row.status == "sent" and row.last_error is None for row in rows)
    for person in people:
        invitations = [t for t in emu.texts(person) if INVITATION in t]
        assert len(invitations) == 1


async def _drained(state) -> None:  # type: ignore[no-untyped-def]
    """Waits until the outbox holds nothing due."""
    for _ in range(400):
        async with state.db.session() as session:
            pending = await session.exec(
                select(OutboxMessage.id).where(OutboxMessage.status == "pending")
            )
            if pending.first() is None:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not drain")


async def _fill_rest(
    emu: BotApiEmulator, who: Persona, scores: Iterator[int], plan: str = "Menerapkan SOP."
) -> None:
    """Answers from the current question the way a participant would: a tap per rating, skips
    the optional texts, writes the action plan, then sends from the review."""
    for _ in range(40):
        labels = [label for label, _ in emu.last_with_buttons(who).buttons]
        if SUBMIT in labels:
            await tap(emu, who, SUBMIT)
            return
        options = [label for label in labels if label not in NAVIGATION]
        if any(label[:1].isdigit() for label in options):
            await choose(emu, who, next(scores))
        elif options:
            await tap(emu, who, options[0])
        elif "Lewati" in labels:
            await tap(emu, who, "Lewati")
        else:
            await say(emu, who, plan)
    raise AssertionError("the questionnaire did not end")


async def test_a_program_shows_aggregates_from_five_answers_and_moves_by_five(
    harness: Harness,
) -> None:
    emu = harness.emulator
    state = _state(harness)
    rina = await _organizer(emu)
    now = dt.datetime.now(dt.UTC)
    ended = (now - dt.timedelta(days=3)).astimezone(WIB).replace(hour=15, minute=0, second=0)
    clock = Clock(ended - dt.timedelta(days=3))
    state.clock = clock
    code = await _create_in_chat(
        emu,
        rina,
        (ended - dt.timedelta(days=1)).strftime("%d-%m-%Y %H:%M"),
        ended.strftime("%d-%m-%Y %H:%M"),
    )
    people = [emu.user(6000 + n, f"P{n}", "id") for n in range(6)]
    for person in people:
        await onboard(emu, person, "asn")
        await say(emu, person, f"/gabung {code}")
    clock.now = ended + dt.timedelta(minutes=1)
    await run_due(state)
    await emu.wait_until(lambda: all(_count(emu, p, INVITATION) == 1 for p in people))
    # Someone who joins now, after the end, is not told "after the training".
    late = emu.user(6099, "Terlambat", "id")
    await onboard(emu, late, "asn")
    joined = text_of(await say(emu, late, f"/gabung {code}"))
    assert "sudah selesai" in joined and "Setelah pelatihan selesai" not in joined
    scores = iter([4] * 1000)
    for person in people[:4]:
        await _fill(emu, person, scores, "Rencana saya.")
    async with state.db.session() as session:
        program = (await session.exec(select(Program).where(Program.code == code))).one()
    await say(emu, rina, "/program")
    page = text_of(await tap(emu, rina, OpenProgram(program.id or 0).pack()))
    assert "sudah menjawab: 4" in page
    assert "paling sedikit 5 peserta" in page and "Rata-rata" not in page
    # The fifth answer releases them.
    await _fill(emu, people[4], scores, "Rencana saya.")
    refreshed = text_of(await tap(emu, rina, ProgramAction(program.id or 0, "refresh").pack()))
    assert "Rata-rata nilai" in refreshed
    # The sixth rates everything 1: refreshing again shows the same averages (only the count
    # of those who answered moves), and the export still holds the first five.
    await _fill(emu, people[5], iter([1] * 1000), "Rencana saya.")
    again = text_of(await tap(emu, rina, ProgramAction(program.id or 0, "refresh").pack()))
    assert "sudah menjawab: 6" in again
    assert again.split("Rata-rata nilai")[1] == refreshed.split("Rata-rata nilai")[1]
    exported = await _export(emu, rina, program.id or 0)
    sheet = openpyxl.load_workbook(io.BytesIO(exported.file_bytes)).active
    assert sheet is not None and sheet.max_row == 6  # the header and the first five
    assert 1 not in {v for row in sheet.iter_rows(min_row=2, values_only=True) for v in row}


async def test_a_message_where_a_button_is_expected_is_answered_politely(
    harness: Harness,
) -> None:
    emu = harness.emulator
    rina = await _organizer(emu)
    await say(emu, rina, "/program")
    await tap(emu, rina, NewProgram().pack())
    await say(emu, rina, "Pelatihan Arsip Digital")
    await tap(emu, rina, step("p", "provider", "skip"))
    await say(emu, rina, "01-12-2026 08:00")
    # A year no program has is refused at once, politely, and the step waits.
    far = text_of(await say(emu, rina, "31-12-9999 16:00"))
    assert "Tahun 2000 sampai" in far and "kesalahan" not in far
    await say(emu, rina, "02-12-2026 16:00")
    # The mode is asked with buttons; a typed answer is told to use them.
    answer = text_of(await say(emu, rina, "klasikal saja"))
    assert "tombol" in answer and "kesalahan" not in answer
