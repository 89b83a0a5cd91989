"""Units as admins manage them: only admins, audited; a deactivated unit keeps its history but
takes no new complaint or program and leaves every picker."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.services import units as service
from bot.services.access import Access
from bot.services.complaints import Clock, ComplaintError, Draft, file_complaint
from bot.services.deadlines import WorkingCalendar
from bot.services.errors import Refused
from bot.services.programs import ProgramError, ProgramSpec, create_program
from bot.services.questionnaires import seed_templates
from bot.services.units import ImportRefused, UnitRow
from bot.storage.audit import AuditEntry
from bot.storage.complaints import Complaint
from bot.storage.db import Database
from bot.storage.places import assign_organizer, place_by_code, seed_places, unit_choices

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=JAKARTA)
ADMIN = Access(user_id=9001, admin=True)


async def _unit_id(session, code: str) -> int:  # type: ignore[no-untyped-def]
    unit = await place_by_code(session, code)
    assert unit is not None and unit.id is not None
    return unit.id


async def test_an_organizer_may_not_manage_units_not_even_their_own(db: Database) -> None:
    async with db.session() as session:
        await seed_places(session)
        unit_id = await _unit_id(session, "LSL-DINKES")
        organizer = Access(user_id=71, units=frozenset({unit_id}))
        row = UnitRow("LSL-DISHUB", "Dinas Perhubungan", "LSL")
        attempts = [
            service.list_units(session, organizer),
            service.add_unit(session, organizer, row),
            service.rename_unit(session, organizer, unit_id=unit_id, name="Dinas Sehat"),
            service.set_active(session, organizer, unit_id=unit_id, active=False),
            service.import_units(session, organizer, [(2, row)]),
        ]
        for attempt in attempts:
            with pytest.raises(Refused) as refused:
                await attempt
            assert refused.value.key == "units.admins_only"
        assert await place_by_code(session, "LSL-DISHUB") is None
        assert (await session.exec(select(AuditEntry))).all() == []


async def test_the_command_line_caller_is_an_admin_audited_as_system(db: Database) -> None:
    async with db.session() as session:
        await seed_places(session)
        unit = await service.add_unit(
            session,
            Access.command_line(),
            UnitRow("lsl-dishub", " Dinas  Perhubungan ", "kabupaten lampung selatan"),
        )
        entry = (await session.exec(select(AuditEntry))).one()
    assert unit.code == "LSL-DISHUB" and unit.name == "Dinas Perhubungan"
    assert (entry.actor_role, entry.actor_id, entry.action) == ("system", 0, "unit_added")


async def test_a_deactivated_unit_keeps_its_complaints_and_takes_no_new_one(db: Database) -> None:
    clock = Clock(JAKARTA, WorkingCalendar(), NOW)
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        unit_id = await _unit_id(session, "LSL-DUKCAPIL")
        await assign_organizer(session, user_id=71, unit_id=unit_id, added_by=9001)
        draft = Draft("Lainnya", unit_id, "x" * 30, "rahasia", [])
        before, _ = await file_complaint(
            session, reporter_id=55, reporter_name="Siti", draft=draft, clock=clock, daily_limit=5
        )
        notices = await service.set_active(session, ADMIN, unit_id=unit_id, active=False)
        assert [(n.user_id, n.key) for n in notices] == [(71, "units.you_unit_deactivated")]

        # Gone from every picker, still listed for admins (marked).
        assert unit_id not in {c.id for c in await unit_choices(session)}
        listed = {c.id: c for c in await service.list_units(session, ADMIN)}
        assert not listed[unit_id].active

        with pytest.raises(ComplaintError) as refused:
            await file_complaint(
                session,
                reporter_id=56,
                reporter_name="Budi",
                draft=draft,
                clock=clock,
                daily_limit=5,
            )
        assert refused.value.key == "units.inactive"
        spec = ProgramSpec(
            title="Pelayanan Prima",
            unit_id=unit_id,
            starts_at=NOW + dt.timedelta(days=7),
            ends_at=NOW + dt.timedelta(days=8),
        )
        with pytest.raises(ProgramError) as refused_program:
            await create_program(session, spec=spec, caller=ADMIN, now=NOW)
        assert refused_program.value.key == "units.inactive"
        with pytest.raises(Refused):
            await service.set_active(session, ADMIN, unit_id=unit_id, active=False)

        complaints = (await session.exec(select(Complaint))).all()
        assert [c.id for c in complaints] == [before.id]  # the history stays

        await service.set_active(session, ADMIN, unit_id=unit_id, active=True)
        assert unit_id in {c.id for c in await unit_choices(session)}
        actions = (await session.exec(select(AuditEntry.action))).all()
    assert actions == ["unit_deactivated", "unit_reactivated"]


async def test_an_import_with_a_wrong_row_stores_nothing(db: Database) -> None:
    rows = [
        (2, UnitRow("LSL-DISHUB", "Dinas Perhubungan", "LSL")),
        (3, UnitRow("LSM-DISHUB", "Dinas Perhubungan", "Kabupaten Nowhere")),
        (4, UnitRow("LSL-DISHUB", "Dinas Perhubungan", "LSL")),
        (5, UnitRow("LSL", "Dinas Lain", "LSL")),
        (6, UnitRow("LSL-X", "X", "LSL")),
    ]
    async with db.session() as session:
        await seed_places(session)
        with pytest.raises(ImportRefused) as refused:
            await service.import_units(session, ADMIN, rows)
        assert await place_by_code(session, "LSL-DISHUB") is None
    assert [(e.number, e.key) for e in refused.value.errors] == [
        (3, "units.unknown_region"),
        (4, "units.code_twice"),
        (5, "units.code_not_unit"),
        (6, "units.bad_name"),
    ]


async def test_search_wants_every_word_in_the_name_region_or_code(db: Database) -> None:
    async with db.session() as session:
        await seed_places(session)
        found = await unit_choices(session, query="kesehatan  LAMPUNG selatan")
        by_code = await unit_choices(session, query="lsm-dinkes")
        nothing = await unit_choices(session, query="kesehatan jayapura")
    assert [c.label for c in found] == ["Dinas Kesehatan · Kab. Lampung Selatan"]
    assert [c.code for c in by_code] == ["LSM-DINKES"]
    assert nothing == []


async def test_places_file_seeds_a_new_deployment_only(db: Database, tmp_path: Path) -> None:
    import json

    from pydantic import ValidationError

    from bot.config import Settings

    with pytest.raises(ValidationError):
        Settings(PLACES_FILE=str(tmp_path / "missing.json"))  # type: ignore[call-arg]
    own = tmp_path / "places.json"
    unit = {"code": "MKW-DINKES", "name": "Dinas Kesehatan"}
    region = {"code": "MKW", "name": "Kabupaten Manokwari", "children": [unit]}
    tree = [{"code": "PPB", "name": "Provinsi Papua Barat", "children": [region]}]
    own.write_text(json.dumps(tree), encoding="utf-8")
    settings = Settings(PLACES_FILE=str(own))  # type: ignore[call-arg]
    async with db.session() as session:
        assert await seed_places(session, settings.places_file) == 3
        assert await seed_places(session, settings.places_file) == 0  # not empty: never again
        assert [c.label for c in await unit_choices(session)] == [
            "Dinas Kesehatan · Kab. Manokwari"
        ]
