"""Powers end when they are taken away: an invitation is worth only what its maker can still
do, and a program being created goes only into a unit its maker still handles."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete
from sqlmodel import col, select

from bot.buttons import NewProgram
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.services.access import Access
from bot.services.programs import ProgramError, ProgramSpec, create_program
from bot.storage.audit import AuditEntry
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from bot.storage.programs import Program
from bot.storage.staff import Admin
from tests.conftest import ADMIN_ID
from tests.e2e.helpers import onboard, say, step, tap, text_of
from tests.e2e.test_complaints import _db, _wait_text


def _link(made: str) -> str:
    return next(w for w in made.split() if w.startswith("https://t.me/")).split("?start=")[1]


async def _appointed_admin(emu: BotApiEmulator, admin: Persona, user_id: int) -> Persona:
    """The founding admin invites `user_id`, who opens the link and becomes an admin."""
    await say(emu, admin, "/undang")
    payload = _link(text_of(await tap(emu, admin, "Admin (semua unit)")))
    lina = emu.user(user_id, "Lina", "id")
    await onboard(emu, lina)
    assert "admin Suara" in text_of(await say(emu, lina, f"/start {payload}"))
    return lina


async def _admin_invitation(emu: BotApiEmulator, who: Persona) -> str:
    await say(emu, who, "/undang")
    return _link(text_of(await tap(emu, who, "Admin (semua unit)")))


async def test_a_dismissed_admins_invitations_stop_working(harness: Harness) -> None:
    emu = harness.emulator
    admin = emu.user(ADMIN_ID, "Admin", "id")
    await onboard(emu, admin, "asn")
    lina = await _appointed_admin(emu, admin, 4601)
    # Before she is dismissed, Lina makes a link for her own second account.
    kept = await _admin_invitation(emu, lina)

    await say(emu, admin, "/staf")
    await tap(emu, admin, "Lina")
    await tap(emu, admin, "Berhentikan sebagai admin")
    await _wait_text(emu, lina, "tidak lagi menjadi admin")

    second = emu.user(4602, "Lina Dua", "id")
    await onboard(emu, second)
    assert "tidak berlaku" in text_of(await say(emu, second, f"/start {kept}"))
    assert "tidak tersedia" in text_of(await say(emu, second, "/unit"))
    async with _db(harness).session() as session:
        actions = [e.action for e in (await session.exec(select(AuditEntry))).all()]
    assert actions[-2:] == ["dismiss_admin", "invite_revoked"]


async def test_an_invitation_is_checked_against_its_makers_power_when_opened(
    harness: Harness,
) -> None:
    emu = harness.emulator
    admin = emu.user(ADMIN_ID, "Admin", "id")
    await onboard(emu, admin, "asn")
    lina = await _appointed_admin(emu, admin, 4611)
    kept = await _admin_invitation(emu, lina)
    # Her power ends by another way than /staf (the table edited, or BOT_ADMIN_IDS changed):
    # nothing revoked the link, so opening it must check her power.
    async with _db(harness).session() as session:
        await session.exec(delete(Admin).where(col(Admin.user_id) == lina.id))
        await session.commit()

    second = emu.user(4612, "Lina Dua", "id")
    await onboard(emu, second)
    assert "tidak berlaku" in text_of(await say(emu, second, f"/start {kept}"))
    assert "tidak tersedia" in text_of(await say(emu, second, "/unit"))


async def _two_unit_organizer(harness: Harness) -> tuple[Persona, Persona, int, int]:
    emu = harness.emulator
    admin = emu.user(ADMIN_ID, "Admin", "id")
    rina = emu.user(4701, "Rina", "id")
    await onboard(emu, admin, "asn")
    await onboard(emu, rina, "asn")
    await say(emu, admin, f"/penyelenggara {rina.id} LSL-DUKCAPIL")
    await say(emu, admin, f"/penyelenggara {rina.id} LSM-DINKES")
    async with _db(harness).session() as session:
        first = await place_by_code(session, "LSL-DUKCAPIL")
        second = await place_by_code(session, "LSM-DINKES")
    assert first and first.id and second and second.id
    return admin, rina, first.id, second.id


async def _programs_of(harness: Harness, unit_id: int) -> list[Program]:
    async with _db(harness).session() as session:
        query = select(Program).where(col(Program.unit_id) == unit_id)
        return list((await session.exec(query)).all())


async def test_an_organizer_removed_before_saving_cannot_save_into_that_unit(
    harness: Harness,
) -> None:
    emu = harness.emulator
    admin, rina, dukcapil, dinkes = await _two_unit_organizer(harness)
    await say(emu, rina, "/program")
    await tap(emu, rina, NewProgram().pack())
    await say(emu, rina, "Pelatihan Arsip Digital")
    await tap(emu, rina, step("p", "unit", str(dukcapil)))
    await tap(emu, rina, step("p", "provider", "skip"))
    await say(emu, rina, "01-12-2027 08:00")
    await say(emu, rina, "02-12-2027 16:00")
    await tap(emu, rina, step("p", "mode", "klasikal"))
    await tap(emu, rina, step("p", "instructors", "skip"))
    assert "Periksa program baru" in text_of(emu.events(rina)[-1:])

    await say(emu, admin, f"/hapuspenyelenggara {rina.id} LSL-DUKCAPIL")
    answer = text_of(await tap(emu, rina, step("p", "confirm", "save")))
    assert "tersimpan dengan kode" not in answer
    assert "tidak lagi menangani" in answer and "Unit penyelenggara?" in answer
    assert await _programs_of(harness, dukcapil) == []
    # The unit is asked again, with only the units she still handles.
    offered = [data for _, data in emu.last_with_buttons(rina).buttons]
    assert offered == [step("p", "unit", str(dinkes))]


async def test_every_step_rechecks_the_unit_of_a_program_being_created(
    harness: Harness,
) -> None:
    emu = harness.emulator
    admin, rina, dukcapil, dinkes = await _two_unit_organizer(harness)
    await say(emu, rina, "/program")
    await tap(emu, rina, NewProgram().pack())
    await say(emu, rina, "Pelatihan Arsip Digital")
    await tap(emu, rina, step("p", "unit", str(dukcapil)))
    await say(emu, admin, f"/hapuspenyelenggara {rina.id} LSL-DUKCAPIL")
    answer = text_of(await tap(emu, rina, step("p", "provider", "skip")))
    assert "tidak lagi menangani" in answer and "Unit penyelenggara?" in answer
    offered = [data for _, data in emu.last_with_buttons(rina).buttons]
    assert offered == [step("p", "unit", str(dinkes))]
    # The button of the lost unit, pressed again, is no longer valid.
    await emu.wait_acknowledged(
        emu.press_data(rina, emu.last_with_buttons(rina), step("p", "unit", str(dukcapil)))
    )
    assert "tidak berlaku" in (emu.callback_answers[-1].text or "")


async def test_create_program_refuses_a_caller_who_does_not_handle_the_unit(db: Database) -> None:
    now = dt.datetime.now(dt.UTC)
    async with db.session() as session:
        await seed_places(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        other = await place_by_code(session, "LSM-DINKES")
        assert unit and unit.id and other and other.id
        spec = ProgramSpec(
            title="Pelatihan Arsip Digital",
            unit_id=unit.id,
            starts_at=now + dt.timedelta(days=1),
            ends_at=now + dt.timedelta(days=2),
        )
        caller = Access(user_id=4801, units=frozenset({other.id}))
        with pytest.raises(ProgramError) as refused:
            await create_program(session, spec=spec, caller=caller, now=now)
        assert refused.value.key == "program.unit_not_yours"
        assert (await session.exec(select(Program))).all() == []
        assert (await session.exec(select(AuditEntry))).all() == []
