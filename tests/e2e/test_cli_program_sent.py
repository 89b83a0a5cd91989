"""The training calendar imported again after a program's questionnaire went out: a row
changing its instructors is refused by row and nothing is stored (the unit, title and start
of a row name the program it updates)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from bot.storage.db import Database
from bot.storage.programs import Program
from bot.storage.questionnaires import PROGRAM_SUBJECT, Response
from tests.e2e.test_cli_programs import UNIT, _at, _cli


async def test_a_calendar_row_changing_a_sent_programs_instructors_is_refused(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    calendar = tmp_path / "kalender.csv"
    start, end = _at(-3, "08:00"), _at(-1, "16:00")
    head = "judul;unit;mulai;selesai;pengajar\n"
    calendar.write_text(head + f"Pelatihan Arsip;{UNIT};{start};{end};Dr. Sari\n", "utf-8")
    code, _, err = await _cli(database_url, "program", "import", str(calendar))
    assert code == 0, err
    async with db.session() as session:
        program = (await session.exec(select(Program))).one()
        assert program.id is not None
        session.add(
            Response(
                template_id=program.template_id,
                subject_kind=PROGRAM_SUBJECT,
                subject_id=program.id,
                respondent_id=7100,
                instructors=list(program.instructors),
            )
        )  # sent: open, nothing answered
        await session.commit()
    calendar.write_text(head + f"Pelatihan Arsip;{UNIT};{start};{end};Budi\n", "utf-8")
    code, _, err = await _cli(database_url, "program", "import", str(calendar))
    assert code == 2 and "row 2:" in err and "sent to or opened" in err, err
    async with db.session() as session:
        kept = (await session.exec(select(Program))).one()
    assert kept.instructors == ["Dr. Sari"]
