"""An organizer's programs without irreversible taps: sending and closing ask first and say
what happened, a closed window opens again, a program is changed or deleted until someone
answers, and creating one shows what was understood before saving."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, select

from bot.buttons import NewProgram, OpenProgram, ProgramAction
from bot.jobs.feedback import run_due
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.services import programs as service
from bot.services.access import Access
from bot.services.errors import NotFound
from bot.services.programs import ProgramError, ProgramSpec
from bot.services.questionnaires import seed_templates
from bot.storage.audit import AuditEntry
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from bot.storage.programs import DueItem, Participant, Program
from bot.storage.questionnaires import Answer, Response
from tests.e2e.helpers import choose, onboard, say, step, tap, text_of
from tests.e2e.test_feedback import INVITATION, WIB, Clock, _count, _create_in_chat, _organizer

FILL = "📝 Isi kuesioner"


def _state(harness: Harness):  # type: ignore[no-untyped-def]
    assert harness.runner is not None
    return harness.runner.application.bot_data


async def _program(harness: Harness, code: str) -> Program | None:
    async with _state(harness).db.session() as session:
        return (await session.exec(select(Program).where(col(Program.code) == code))).first()


async def _due(harness: Harness, program_id: int, kind: str) -> DueItem:
    async with _state(harness).db.session() as session:
        query = select(DueItem).where(
            col(DueItem.program_id) == program_id, col(DueItem.kind) == kind
        )
        return (await session.exec(query)).one()


async def _actions(harness: Harness) -> list[str]:
    async with _state(harness).db.session() as session:
        return list((await session.exec(select(AuditEntry.action))).all())


async def _set_up(harness: Harness) -> tuple[BotApiEmulator, Persona, Clock, Program]:
    """Rina's program, ending tomorrow afternoon (WIB), seen on the clock of a weekday 10:00."""
    emu = harness.emulator
    now = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).astimezone(WIB)
    clock = Clock(now.replace(hour=10, minute=0, second=0, microsecond=0))
    _state(harness).clock = clock
    rina = await _organizer(emu)
    start = clock.now + dt.timedelta(days=1)
    code = await _create_in_chat(
        emu,
        rina,
        start.strftime("%d-%m-%Y 08:00"),
        (start + dt.timedelta(days=1)).strftime("%d-%m-%Y 16:00"),
    )
    program = await _program(harness, code)
    assert program is not None and program.id is not None
    return emu, rina, clock, program


async def _open_page(emu: BotApiEmulator, rina: Persona, program: Program) -> str:
    await say(emu, rina, "/program")
    return text_of(await tap(emu, rina, OpenProgram(program.id or 0).pack()))


async def test_send_now_and_close_ask_first_then_say_what_happened(harness: Harness) -> None:
    emu, rina, clock, program = await _set_up(harness)
    assert program.id is not None
    planned = (await _due(harness, program.id, "dispatch")).due_at
    await _open_page(emu, rina, program)

    # Send now: a question with Ya / Batal; Batal changes nothing.
    asked = text_of(await tap(emu, rina, ProgramAction(program.id, "send").pack()))
    assert "sekarang ke 0 peserta?" in asked
    labels = [label for label, _ in emu.last_with_buttons(rina).buttons]
    assert labels == ["Ya", "Batal"]
    cancelled = text_of(await tap(emu, rina, "Batal"))
    assert "tidak ada yang berubah" in cancelled
    assert (await _due(harness, program.id, "dispatch")).due_at == planned

    # Ya with nobody joined: nothing sent, and said so.
    await tap(emu, rina, ProgramAction(program.id, "send").pack())
    nobody = text_of(await tap(emu, rina, "Ya"))
    assert "Tidak ada yang dikirim: program ini belum punya peserta." in nobody
    assert "belum punya peserta" in (emu.callback_answers[-1].text or "")
    assert (await _due(harness, program.id, "dispatch")).due_at == planned
    assert "program_send" not in await _actions(harness)

    # Two join; Ya sends at once, and says to how many.
    people = [emu.user(5600 + n, f"Peserta {n}", "id") for n in range(2)]
    for person in people:
        await onboard(emu, person, "asn")
        await say(emu, person, f"/gabung {program.code}")
    await tap(emu, rina, ProgramAction(program.id, "send").pack())
    sent = text_of(await tap(emu, rina, "Ya"))
    assert "Kuesioner sedang dikirim ke 2 peserta." in sent
    assert (await _due(harness, program.id, "dispatch")).due_at == clock.now
    await run_due(_state(harness))
    await emu.wait_until(lambda: all(_count(emu, p, INVITATION) == 1 for p in people))
    await tap(emu, people[0], FILL)
    await choose(emu, people[0], 4)

    # Close: the same question first; Batal keeps the window open.
    await _open_page(emu, rina, program)
    asked = text_of(await tap(emu, rina, ProgramAction(program.id, "close").pack()))
    assert "Tutup masa pengisian" in asked
    await tap(emu, rina, "Batal")
    assert (await _program(harness, program.code)).status != "closed"  # type: ignore[union-attr]
    await tap(emu, rina, ProgramAction(program.id, "close").pack())
    closed = text_of(await tap(emu, rina, "Ya"))
    assert "Masa pengisian ditutup. 0 dari 2 peserta sudah mengirim jawaban" in closed
    assert (await _program(harness, program.code)).status == "closed"  # type: ignore[union-attr]
    async with _state(harness).db.session() as session:
        statuses = (await session.exec(select(Response.status))).all()
    assert sorted(statuses) == ["expired", "expired"]

    # Reopened: open again, the started questionnaire can be finished.
    reopened = text_of(await tap(emu, rina, ProgramAction(program.id, "reopen").pack()))
    assert "Masa pengisian dibuka lagi sampai" in reopened
    again = await _program(harness, program.code)
    assert again is not None and again.status == "open" and again.closes_at > clock.now
    assert (await _due(harness, program.id, "close")).status == "pending"
    async with _state(harness).db.session() as session:
        statuses = (await session.exec(select(Response.status))).all()
    assert sorted(statuses) == ["open", "open"]
    await choose(emu, people[0], 5)
    assert [a for a in await _actions(harness) if a.startswith("program_")] == [
        "program_create",
        "program_send",
        "program_close",
        "program_reopen",
    ]


async def test_a_program_is_changed_until_the_first_answer_and_refused_after(
    harness: Harness,
) -> None:
    emu, rina, _clock, program = await _set_up(harness)
    assert program.id is not None
    await _open_page(emu, rina, program)
    review = text_of(await tap(emu, rina, ProgramAction(program.id, "edit").pack()))
    assert "Ubah program" in review and "Pelatihan Pelayanan Publik Prima" in review
    await tap(emu, rina, step("p", "confirm", "edit_title"))
    review = text_of(await say(emu, rina, "Pelatihan Pelayanan Publik Terpadu"))
    assert "Ubah program" in review and "Pelayanan Publik Terpadu" in review
    await tap(emu, rina, step("p", "confirm", "edit_window"))
    await say(emu, rina, "10")
    await tap(emu, rina, step("p", "confirm", "edit_mode"))
    await tap(emu, rina, step("p", "mode", "blended"))
    saved = text_of(await tap(emu, rina, step("p", "confirm", "save")))
    assert "Perubahan program" in saved and "tersimpan" in saved
    changed = await _program(harness, program.code)
    assert changed is not None
    assert changed.title == "Pelatihan Pelayanan Publik Terpadu" and changed.mode == "blended"
    assert changed.closes_at == changed.ends_at + dt.timedelta(days=10)
    assert (await _due(harness, program.id, "close")).due_at == changed.closes_at
    assert "program_edit" in await _actions(harness)

    # Someone answers one question: from then on, no change and no deletion.
    andi = emu.user(5701, "Andi", "id")
    await onboard(emu, andi, "asn")
    await say(emu, andi, f"/gabung {program.code}")
    await tap(emu, rina, ProgramAction(program.id, "send").pack())
    await tap(emu, rina, "Ya")
    await run_due(_state(harness))
    await emu.wait_until(lambda: _count(emu, andi, INVITATION) == 1)
    await tap(emu, andi, FILL)
    await choose(emu, andi, 4)
    page = await _open_page(emu, rina, program)
    labels = [label for label, _ in emu.last_with_buttons(rina).buttons]
    assert "✏️ Ubah" not in labels and "🗑 Hapus" not in labels, page
    # A button kept from before is refused, in words.
    message = emu.last_with_buttons(rina)
    await emu.wait_acknowledged(
        emu.press_data(rina, message, ProgramAction(program.id, "edit").pack())
    )
    assert "tidak dapat diubah lagi" in (emu.callback_answers[-1].text or "")
    await emu.wait_acknowledged(
        emu.press_data(rina, message, ProgramAction(program.id, "delete_yes").pack())
    )
    assert "tidak dapat dihapus" in (emu.callback_answers[-1].text or "")
    assert await _program(harness, program.code) is not None


async def test_a_program_nobody_answered_is_deleted_after_a_confirmation(
    harness: Harness,
) -> None:
    emu, rina, _clock, program = await _set_up(harness)
    assert program.id is not None
    andi = emu.user(5702, "Andi", "id")
    await onboard(emu, andi, "asn")
    await say(emu, andi, f"/gabung {program.code}")
    await _open_page(emu, rina, program)
    asked = text_of(await tap(emu, rina, ProgramAction(program.id, "delete").pack()))
    assert "beserta 1 pesertanya?" in asked
    await tap(emu, rina, "Batal")
    assert await _program(harness, program.code) is not None
    await tap(emu, rina, ProgramAction(program.id, "delete").pack())
    deleted = text_of(await tap(emu, rina, "Ya"))
    assert f"({program.code}) dihapus" in deleted
    assert await _program(harness, program.code) is None
    async with _state(harness).db.session() as session:
        assert (await session.exec(select(Participant))).all() == []
        assert (await session.exec(select(DueItem))).all() == []
    assert "program_delete" in await _actions(harness)
    # Its join code is unknown now.
    assert "tidak ditemukan" in text_of(await say(emu, andi, f"/gabung {program.code}"))


async def test_creating_echoes_the_dates_warns_of_a_past_end_and_changes_a_field(
    harness: Harness,
) -> None:
    emu = harness.emulator
    now = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).astimezone(WIB)
    clock = Clock(now.replace(hour=10, minute=0, second=0, microsecond=0))
    _state(harness).clock = clock
    rina = await _organizer(emu)
    await say(emu, rina, "/program")
    await tap(emu, rina, NewProgram().pack())
    await say(emu, rina, "Pelatihan Arsip Digital")
    await tap(emu, rina, step("p", "provider", "skip"))
    # The training began three days ago and ended yesterday: the window is still open.
    began = clock.now - dt.timedelta(days=3)
    ended = clock.now - dt.timedelta(days=1)
    echoed = text_of(await say(emu, rina, began.strftime("%d-%m-%Y 08:00")))
    assert "Mulai:" in echoed and f"{began.day} " in echoed and "08.00" in echoed
    echoed = text_of(await say(emu, rina, ended.strftime("%d-%m-%Y 16:00")))
    assert "Selesai:" in echoed and "16.00" in echoed and "sudah lewat" in echoed
    await tap(emu, rina, step("p", "mode", "klasikal"))
    review = text_of(await tap(emu, rina, step("p", "instructors", "skip")))
    assert "Periksa program baru" in review and "sudah lewat" in review
    data = [data for _, data in emu.last_with_buttons(rina).buttons]
    for name in ("title", "provider", "start", "end", "mode", "instructors", "window"):
        assert step("p", "confirm", f"edit_{name}") in data

    # Change the title: asked alone, then back to the review.
    asked = text_of(await tap(emu, rina, step("p", "confirm", "edit_title")))
    assert "Judul" in asked or "judul" in asked
    review = text_of(await say(emu, rina, "Pelatihan Arsip Elektronik"))
    assert "Periksa program baru" in review and "Arsip Elektronik" in review
    # A start after the end: the end is asked again, then the review.
    later = clock.now + dt.timedelta(days=2)
    await tap(emu, rina, step("p", "confirm", "edit_start"))
    asked = text_of(await say(emu, rina, later.strftime("%d-%m-%Y 08:00")))
    assert "Waktu selesai?" in asked
    review = text_of(await say(emu, rina, later.strftime("%d-%m-%Y 16:00")))
    assert "Periksa program baru" in review and "sudah lewat" not in review
    saved = text_of(await tap(emu, rina, step("p", "confirm", "save")))
    assert "tersimpan dengan kode" in saved
    async with _state(harness).db.session() as session:
        (program,) = (await session.exec(select(Program))).all()
    assert program.title == "Pelatihan Arsip Elektronik"
    assert program.ends_at.astimezone(WIB).hour == 16
    assert program.ends_at.astimezone(WIB).date() == later.date()


async def test_the_services_refuse_a_caller_who_does_not_organize_the_unit(db: Database) -> None:
    now = dt.datetime.now(dt.UTC)
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        other = await place_by_code(session, "LSM-DINKES")
        assert unit and unit.id and other and other.id
        spec = ProgramSpec(
            title="Pelatihan Arsip Digital",
            unit_id=unit.id,
            starts_at=now + dt.timedelta(days=1),
            ends_at=now + dt.timedelta(days=2),
        )
        program = await service.create_program(session, spec=spec, caller=None, now=now)
        assert program.id is not None
        session.add(Participant(program_id=program.id, user_id=4900))
        await session.commit()

        stranger = Access(user_id=4801, units=frozenset({other.id}))
        changed = ProgramSpec(**{**vars(spec), "title": "Pelatihan Lain"})
        attempts = [
            service.send_now(session, stranger, program.id, now=now),
            service.close_window(session, stranger, program.id, now=now),
            service.reopen_window(session, stranger, program.id, now=now, days=7),
            service.edit_program(session, stranger, program.id, spec=changed, now=now),
            service.delete_program(session, stranger, program.id),
            service.editable(session, stranger, program.id),
        ]
        for attempt in attempts:
            with pytest.raises(NotFound):
                await attempt
        await session.rollback()
        stored = await session.get(Program, program.id)
        assert stored is not None and stored.title == "Pelatihan Arsip Digital"
        assert stored.status == "scheduled"
        assert (await session.exec(select(AuditEntry))).all() == []

        # The unit's organizer may, until the first answer.
        organizer = Access(user_id=4802, units=frozenset({unit.id}))
        done = await service.edit_program(session, organizer, program.id, spec=changed, now=now)
        assert done.key == "programs.edited" and stored.title == "Pelatihan Lain"
        response = Response(
            template_id=program.template_id,
            subject_kind="program",
            subject_id=program.id,
            respondent_id=4900,
        )
        session.add(response)
        await session.flush()
        assert response.id is not None
        session.add(Answer(response_id=response.id, question="relevansi", score=4))
        await session.flush()
        for refused in (
            service.edit_program(session, organizer, program.id, spec=spec, now=now),
            service.delete_program(session, organizer, program.id),
        ):
            with pytest.raises(ProgramError) as error:
                await refused
            assert error.value.key in ("programs.edit_answered", "programs.delete_answered")
        actions = (await session.exec(select(AuditEntry.action))).all()
        assert list(actions) == ["program_edit"]
