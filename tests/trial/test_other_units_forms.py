"""Trial: a unit's own questionnaire given to a program of another unit, through the
command line (`python -m bot program test`, `program create --questionnaire`)."""

from __future__ import annotations

import datetime as dt
import json

from sqlmodel import select

from bot.storage.db import Database
from bot.storage.places import place_by_code
from bot.storage.programs import Program
from bot.storage.questionnaires import QuestionnaireTemplate
from tests.e2e.test_cli_programs import _cli

OWNER = "LSL-DUKCAPIL"  # the unit whose organizers made the test
OTHER = "LPG-PROV-BPSDM"  # another unit's program


def _at(days: int, time: str) -> str:
    day = dt.date.today() + dt.timedelta(days=days)
    return f"{day.isoformat()} {time}"


async def _owned_by(db: Database, code: str, unit: str) -> None:
    """The form `code` as its unit's organizers published it (questionnaire_templates.unit_id)."""
    async with db.session() as session:
        place = await place_by_code(session, unit)
        assert place is not None
        rows = (
            await session.exec(
                select(QuestionnaireTemplate).where(QuestionnaireTemplate.code == code)
            )
        ).all()
        assert rows
        for row in rows:
            row.unit_id = place.id
            session.add(row)
        await session.commit()


async def test_another_units_knowledge_test_is_not_given_to_a_program(
    database_url: str, db: Database
) -> None:
    """README: "A form belongs to its unit ... a program of another unit cannot be given it".
    `program create --questionnaire` refuses another unit's form; `program test` gives it."""
    code, out, err = await _cli(
        database_url, "program", "create", "--title", "Pelatihan Pelayanan Prima",
        "--unit", OTHER, "--start", _at(2, "08:00"), "--end", _at(3, "16:00"),
        "--mode", "klasikal", "--json",
    )  # fmt: skip
    assert code == 0, err
    program_code = json.loads(out)["code"]
    await _owned_by(db, "uji_prima", OWNER)
    status, out, err = await _cli(database_url, "program", "test", program_code, "uji_prima")
    async with db.session() as session:
        program = (await session.exec(select(Program).where(Program.code == program_code))).one()
        owner = await place_by_code(session, OWNER)
        kept = (
            await session.exec(
                select(QuestionnaireTemplate.unit_id).where(
                    QuestionnaireTemplate.code == "uji_prima"
                )
            )
        ).all()
    assert owner is not None and set(kept) == {owner.id}  # still the owner's form
    assert status == 2 and program.test_template_id is None, (
        f"status {status}: {out.strip()} (test template {program.test_template_id})"
    )
