"""Class lists and certificates on the services directly: numbers unique under concurrent
submissions, a class list stored whole or not at all, another unit's organizer refused, only
listed and named participants certified, and erasure keeping a certificate verifiable."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.config import Settings
from bot.services import certificate_records, certificates, classlists, privacy
from bot.services import programs as program_service
from bot.services.access import Access
from bot.services.certificates import Signatory
from bot.services.classlists import ClassListError, ListedPerson
from bot.services.errors import NotFound
from bot.services.programs import ProgramSpec
from bot.services.questionnaires import seed_templates
from bot.storage.certificates import Certificate, ClassListEntry
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from bot.storage.programs import Program
from bot.storage.questionnaires import PROGRAM_SUBJECT, RESPONSE_SUBMITTED, Response

TZ = ZoneInfo("Asia/Jakarta")
ENDS = dt.datetime(2026, 11, 6, 16, 0, tzinfo=TZ)
SYSTEM = Access.command_line()


def _nip(n: int) -> str:
    return f"198503122010011{n:03d}"


async def _program(db: Database, *, listed: int, hours: int | None = 12) -> int:
    """A program of LSL-DUKCAPIL issuing certificates, with `listed` people on its list."""
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        assert unit is not None and unit.id is not None
        spec = ProgramSpec("Pelayanan Prima", unit.id, ENDS - dt.timedelta(days=2), ENDS)
        program = await program_service.create_program(
            session, spec=spec, caller=None, now=ENDS - dt.timedelta(days=3)
        )
        assert program.id is not None
        if hours is not None:
            given = Signatory(hours, "Dr. Budi Santoso", "Kepala Dinas")
            await certificates.configure(session, SYSTEM, program.id, given)
        if listed:
            people = [(n + 1, ListedPerson(f"Peserta {n}", _nip(n))) for n in range(1, listed + 1)]
            await classlists.import_list(session, SYSTEM, program.id, people)
        await session.commit()
        return program.id


async def _join_and_submit(db: Database, program_id: int, user_id: int, nip: str) -> list[int]:
    """Joins with `nip`, submits the evaluation as the runner does, and returns the ids of
    the certificates the submission issued."""
    async with db.session() as session:
        program = await session.get(Program, program_id)
        assert program is not None
        await program_service.join(session, program=program, user_id=user_id, nip=nip)
        response = Response(
            template_id=program.template_id,
            subject_kind=PROGRAM_SUBJECT,
            subject_id=program_id,
            respondent_id=user_id,
            status=RESPONSE_SUBMITTED,
            submitted_at=ENDS + dt.timedelta(hours=1),
        )
        session.add(response)
        await session.flush()
        notices = await certificates.on_submit(session, response)
        await session.commit()
    return [int(str(f.params["certificate_id"])) for n in notices for f in n.files]


async def test_numbers_stay_unique_when_a_class_submits_at_once(db: Database) -> None:
    program_id = await _program(db, listed=12)
    issued = await asyncio.gather(
        *(_join_and_submit(db, program_id, 500 + n, _nip(n)) for n in range(1, 13))
    )
    assert all(len(ids) == 1 for ids in issued)
    async with db.session() as session:
        found = (await session.exec(select(Certificate))).all()
        program = await session.get(Program, program_id)
    assert program is not None
    assert sorted(c.sequence for c in found) == list(range(1, 13))
    assert len({c.number for c in found}) == 12
    for c in found:
        assert re.fullmatch(rf"LSL-DUKCAPIL/{program.code}/\d{{4}}/2026", c.number)
        assert c.hours == 12


async def test_only_a_listed_named_participant_is_certified_once(db: Database) -> None:
    program_id = await _program(db, listed=2)
    assert await _join_and_submit(db, program_id, 601, _nip(99)) == []  # not listed
    first = await _join_and_submit(db, program_id, 602, _nip(1))
    assert len(first) == 1
    # A second account typing the same NIP does not take the first one's entry.
    assert await _join_and_submit(db, program_id, 603, _nip(1)) == []
    async with db.session() as session:
        entry = (
            await session.exec(select(ClassListEntry).where(ClassListEntry.nip == _nip(1)))
        ).one()
        assert entry.user_id == 602
        # Built from those who joined, an entry has no name until a file names it.
        done = await classlists.from_joined(session, SYSTEM, program_id)
        assert done.values == {"added": 1}  # 601's NIP; 602's and 603's is listed already
        unnamed = (
            await session.exec(select(ClassListEntry).where(ClassListEntry.nip == _nip(99)))
        ).one()
        assert unnamed.user_id == 601 and unnamed.name == ""
        response = (
            await session.exec(select(Response).where(Response.respondent_id == 601))
        ).one()
        assert await certificates.on_submit(session, response) == []


async def test_a_class_list_with_mistakes_stores_nothing_and_names_each_row(
    db: Database,
) -> None:
    program_id = await _program(db, listed=0)
    rows = [
        (2, ListedPerson("Sari Dewi", _nip(1))),
        (3, ListedPerson("Budi", "12345")),
        (4, ListedPerson("X", _nip(2))),
        (5, ListedPerson("Sari Lagi", _nip(1))),
        (6, ListedPerson("Andi", _nip(3), phone="0812-abc")),
    ]
    async with db.session() as session:
        with pytest.raises(ClassListError) as refused:
            await classlists.import_list(session, SYSTEM, program_id, rows)
        assert [(row, key) for row, key, _ in refused.value.problems] == [
            (3, "nip.format"),
            (4, "classlist.name_invalid"),
            (5, "classlist.nip_twice"),
            (6, "classlist.phone_invalid"),
        ]
        await session.rollback()
    async with db.session() as session:
        assert (await session.exec(select(ClassListEntry))).all() == []


async def test_an_organizer_of_another_unit_is_refused_everything(db: Database) -> None:
    program_id = await _program(db, listed=1)
    [certificate_id] = await _join_and_submit(db, program_id, 700, _nip(1))
    async with db.session() as session:
        other = await place_by_code(session, "LSL-DINKES")
        assert other is not None and other.id is not None
        stranger = Access(user_id=4242, units=frozenset({other.id}))
        certificate = await session.get(Certificate, certificate_id)
        assert certificate is not None
        attempts = [
            classlists.import_list(
                session, stranger, program_id, [(2, ListedPerson("Ani", _nip(5)))]
            ),
            classlists.roll(session, stranger, program_id),
            classlists.roll_lines(session, stranger, program_id),
            certificates.configure(session, stranger, program_id, Signatory(2, "Ani", "Kepala")),
            certificates.revoke(session, stranger, certificate.number, now=ENDS),
            certificate_records.take_away(session, stranger, program_id, "siasn"),
            certificate_records.send_again_by_number(session, 4242, certificate.number),
        ]
        for attempt in attempts:
            with pytest.raises(NotFound):
                await attempt
        verified = await certificates.verify(session, certificate.number)
        assert verified is not None and verified.valid
        for forged in ("", "x" * 500, "LSL-DUKCAPIL/NOPE/0001/2026", "' OR 1=1 --"):
            assert await certificates.verify(session, forged) is None


async def test_erasure_unlinks_the_account_and_the_certificate_still_verifies(
    db: Database,
) -> None:
    program_id = await _program(db, listed=1)
    [certificate_id] = await _join_and_submit(db, program_id, 800, _nip(1))
    settings = Settings(TELEGRAM_BOT_TOKEN="123:" + "a" * 35, _env_file=None)  # type: ignore[call-arg]
    async with db.session() as session:
        mine = await privacy.export(session, 800)
        assert mine["certificates"][0]["nip"] == _nip(1)
        assert mine["class_lists"][0]["name"] == "Peserta 1"
        await privacy.erase(session, settings, 800, now=ENDS + dt.timedelta(days=1))
        await session.commit()
    async with db.session() as session:
        certificate = await session.get(Certificate, certificate_id)
        assert certificate is not None and certificate.user_id is None
        entry = (await session.exec(select(ClassListEntry))).one()
        assert entry.user_id is None
        verified = await certificates.verify(session, certificate.number)
        assert verified is not None and verified.valid and verified.name == "Peserta 1"
        assert (await certificate_records.mine(session, 800, year=2026)).certificates == []


async def test_those_who_answered_before_certificates_were_set_get_theirs_then(
    db: Database,
) -> None:
    program_id = await _program(db, listed=3, hours=None)
    assert await _join_and_submit(db, program_id, 901, _nip(1)) == []
    assert await _join_and_submit(db, program_id, 902, _nip(2)) == []
    given = Signatory(8, "Dr. Budi Santoso", "Kepala Dinas", "197001011995031001")
    async with db.session() as session:
        done, notices = await certificates.configure(session, SYSTEM, program_id, given)
        await session.commit()
    assert done.values == {"hours": 8, "count": 2}
    assert sorted(n.user_id for n in notices) == [901, 902]
    async with db.session() as session:
        again, more = await certificates.configure(session, SYSTEM, program_id, given)
    assert more == [] and again.values["count"] == 0  # issued once


async def test_a_program_with_a_class_list_nobody_answered_can_be_deleted(db: Database) -> None:
    program_id = await _program(db, listed=3)
    async with db.session() as session:
        done = await program_service.delete_program(session, SYSTEM, program_id)
        await session.commit()
    assert done.key == "programs.deleted"
    async with db.session() as session:
        assert (await session.exec(select(ClassListEntry))).all() == []
        assert await session.get(Program, program_id) is None
