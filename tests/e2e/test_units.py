"""An admin manages the units in the chat (/unit); a deactivated unit leaves the citizens'
picker; anyone else is refused; every picker is searched by writing."""

from __future__ import annotations

from sqlmodel import select

from bot.i18n import load_catalog
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.storage.audit import AuditEntry
from bot.storage.db import Database
from bot.storage.models import FlowState
from bot.storage.places import place_by_code
from tests.conftest import ADMIN_ID
from tests.e2e.helpers import onboard, say, step, tap, text_of

ORGANIZER_ID, CITIZEN_ID = 7101, 7102
DUKCAPIL = "Dinas Kependudukan dan Pencatatan Sipil · Kab. Lampung Selatan"


def _db(harness: Harness):  # type: ignore[no-untyped-def]
    assert harness.runner is not None
    return harness.runner.application.bot_data.db


def _labels(emu: BotApiEmulator, who: Persona) -> list[str]:
    return [label for label, _ in emu.last_with_buttons(who).buttons]


async def _wait_text(emu: BotApiEmulator, who: Persona, needle: str) -> None:
    await emu.wait_until(lambda: any(needle in t for t in emu.texts(who)))


async def test_an_admin_adds_renames_deactivates_and_reactivates_a_unit(
    harness: Harness,
) -> None:
    emu = harness.emulator
    admin = emu.user(ADMIN_ID, "Admin", "id")
    rina = emu.user(ORGANIZER_ID, "Rina", "id")
    siti = emu.user(CITIZEN_ID, "Siti", "id")
    await onboard(emu, admin, "asn")
    await onboard(emu, rina, "asn")
    await onboard(emu, siti)
    await say(emu, admin, f"/penyelenggara {ORGANIZER_ID} LSL-DUKCAPIL")

    added = text_of(await say(emu, admin, "/unit tambah LSL-DISHUB LSL Dinas Perhubungan"))
    assert "Unit ditambahkan" in added and "Dinas Perhubungan · Kab. Lampung Selatan" in added
    assert "sudah dipakai" in text_of(await say(emu, admin, "/unit tambah LSL-DISHUB LSL Dinas"))
    assert "/unit tambah KODE" in text_of(await say(emu, admin, "/unit ganti"))

    assert "halaman 1 dari" in text_of(await say(emu, admin, "/unit"))
    found = text_of(await say(emu, admin, "kependudukan  lampung selatan"))
    assert "«kependudukan lampung selatan»: 1 unit" in found
    assert _labels(emu, admin)[0] == DUKCAPIL
    card = text_of(await tap(emu, admin, DUKCAPIL))
    assert "LSL-DUKCAPIL" in card and "Status: aktif" in card

    await tap(emu, admin, "Ganti nama")
    assert "terlalu" not in text_of(await say(emu, admin, "Dinas Dukcapil"))
    await _wait_text(emu, rina, "berganti nama")
    await tap(emu, admin, "Nonaktifkan")
    assert "Status: nonaktif" in emu.texts(admin)[-1]
    await _wait_text(emu, rina, "dinonaktifkan oleh admin")

    # The citizen's picker no longer offers it, and its forged button is refused.
    await say(emu, siti, "/lapor")
    await tap(emu, siti, "Administrasi Kependudukan")
    await say(emu, siti, "lampung selatan")
    labels = _labels(emu, siti)
    assert "Dinas Perhubungan · Kab. Lampung Selatan" in labels
    assert not any("Dukcapil" in label or "Kependudukan" in label for label in labels)
    async with _db(harness).session() as session:
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        assert unit is not None and not unit.active and unit.name == "Dinas Dukcapil"
    menu = emu.last_with_buttons(siti)
    await emu.wait_acknowledged(emu.press_data(siti, menu, step("c", "place", str(unit.id))))
    assert "sudah tidak aktif" in (emu.callback_answers[-1].text or "")

    await tap(emu, admin, "Aktifkan kembali")
    assert "Status: aktif" in emu.texts(admin)[-1]
    await tap(emu, siti, "Tampilkan semua unit")
    await say(emu, siti, "dukcapil")
    assert _labels(emu, siti)[0] == "Dinas Dukcapil · Kab. Lampung Selatan"
    async with _db(harness).session() as session:
        entries = (
            await session.exec(select(AuditEntry).where(AuditEntry.subject_kind == "unit"))
        ).all()
    assert [(e.actor_id, e.actor_role, e.action) for e in entries] == [
        (ADMIN_ID, "admin", "unit_added"),
        (ADMIN_ID, "admin", "unit_renamed"),
        (ADMIN_ID, "admin", "unit_deactivated"),
        (ADMIN_ID, "admin", "unit_reactivated"),
    ]


async def test_an_organizer_or_citizen_is_refused_unit(harness: Harness) -> None:
    emu = harness.emulator
    admin = emu.user(ADMIN_ID, "Admin", "id")
    rina = emu.user(ORGANIZER_ID, "Rina", "id")
    siti = emu.user(CITIZEN_ID, "Siti", "id")
    await onboard(emu, admin, "asn")
    await onboard(emu, rina, "asn")
    await onboard(emu, siti)
    await say(emu, admin, f"/penyelenggara {ORGANIZER_ID} LSL-DUKCAPIL")
    denied = load_catalog("id")["access.denied"]
    for who in (rina, siti):
        for command in ("/unit", "/unit tambah LSL-DISHUB LSL Dinas Perhubungan"):
            assert denied in text_of(await say(emu, who, command))
    async with _db(harness).session() as session:
        assert await place_by_code(session, "LSL-DISHUB") is None


async def test_the_proposal_picker_is_searched_by_writing(harness: Harness) -> None:
    emu = harness.emulator
    budi = emu.user(7103, "Budi", "id")
    await onboard(emu, budi, "asn")
    await say(emu, budi, "/usul")
    await say(emu, budi, "Pelatihan pelayanan prima untuk petugas loket")
    found = text_of(await say(emu, budi, "kesehatan lhokseumawe"))
    assert "1 unit" in found
    assert _labels(emu, budi)[0] == "Dinas Kesehatan · Kota Lhokseumawe"
    saved = text_of(await tap(emu, budi, "Dinas Kesehatan · Kota Lhokseumawe"))
    assert "Lhokseumawe" in saved


async def test_a_unit_deactivated_by_another_worker_is_refused_when_picked(
    harness: Harness,
) -> None:
    """The picker's list is this process's copy for a few seconds; a choice is read again."""
    emu = harness.emulator
    siti = emu.user(CITIZEN_ID, "Siti", "id")
    await onboard(emu, siti)
    await say(emu, siti, "/lapor")
    await tap(emu, siti, "Administrasi Kependudukan")
    await say(emu, siti, "kependudukan lampung selatan")
    assert _labels(emu, siti)[0] == DUKCAPIL
    # Another worker (its own engine on the same database) deactivates the unit.
    other = Database(harness.database_url)
    try:
        async with other.session() as session:
            unit = await place_by_code(session, "LSL-DUKCAPIL")
            assert unit is not None
            unit.active = False
            session.add(unit)
            await session.commit()
    finally:
        await other.dispose()
    await tap(emu, siti, DUKCAPIL)
    assert "sudah tidak aktif" in (emu.callback_answers[-1].text or "")
    async with _db(harness).session() as session:
        state = await session.get(FlowState, (CITIZEN_ID, "complaint"))
        assert state is not None and state.step == "place"  # still asked for a unit
