"""Level 3 results reach the people who need them: the alumni's follow-up (applied at work,
action plan progress, support needed) and the supervisors' view apart, on the program's
figures, in the digest's text and workbook and in the program's export, each under the same
block gate as the evaluation."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.i18n import Texts
from bot.reports.digest_files import workbook_xlsx
from bot.reports.digest_text import render
from bot.reports.feedback_export import program_workbook
from bot.services import level3, releases
from bot.services.digest import Period, build
from bot.services.questionnaires import latest
from bot.storage.db import Database
from bot.storage.questionnaires import (
    FOLLOWUP_SUBJECT,
    RESPONSE_SUBMITTED,
    SUPERVISOR_SUBJECT,
    Answer,
    Response,
)
from tests.services.test_releases import _program

TZ = ZoneInfo("Asia/Jakarta")
WEEK = Period(dt.date(2027, 2, 8))  # twelve weeks after the training
PLANS = ("selesai", "sebagian", "sebagian", "jalan", "belum", "selesai")


async def _answer(
    db: Database, kind: str, subject_id: int, who: int, at: dt.datetime, answers: list[Answer]
) -> int:
    async with db.session() as session:
        template = await latest(session, "pasca" if kind == FOLLOWUP_SUBJECT else "atasan")
        assert template.id is not None
        response = Response(
            template_id=template.id, subject_kind=kind, subject_id=subject_id,
            respondent_id=who, status=RESPONSE_SUBMITTED, submitted_at=at,
        )  # fmt: skip
        session.add(response)
        await session.flush()
        assert response.id is not None
        for answer in answers:
            answer.response_id = response.id
        session.add_all(answers)
        await releases.after_submit(session, response, minimum=5)
        await session.commit()
        return response.id


async def test_follow_up_and_supervisor_results_are_shown_in_blocks(db: Database) -> None:
    program_id = await _program(db)
    at = dt.datetime.combine(WEEK.monday + dt.timedelta(days=1), dt.time(9), TZ)
    followups = []
    for n in range(4):
        followups.append(
            await _answer(
                db, FOLLOWUP_SUBJECT, program_id, 100 + n, at + dt.timedelta(hours=n),
                [
                    Answer(question="penerapan", score=4 + n % 2),
                    Answer(question="rencana", choice=PLANS[n]),
                    Answer(question="dukungan", text="Perlu pendampingan aplikasi dari dinas"),
                ],
            )
        )  # fmt: skip
    async with db.session() as session:
        assert await level3.results(session, [program_id]) == {}  # four: nothing yet
    followups.append(
        await _answer(
            db, FOLLOWUP_SUBJECT, program_id, 104, at + dt.timedelta(hours=5),
            [Answer(question="penerapan", score=3), Answer(question="rencana", choice="belum")],
        )
    )  # fmt: skip
    # Supervisors: four answered, so their view waits while the alumni's is shown.
    for n, followup in enumerate(followups[:4]):
        await _answer(
            db, SUPERVISOR_SUBJECT, followup, 900 + n, at + dt.timedelta(hours=6 + n),
            [Answer(question="perubahan", score=4), Answer(question="penerapan", score=5)],
        )  # fmt: skip
    async with db.session() as session:
        (found,) = (await level3.results(session, [program_id])).values()
    assert found.respondents == 5 and found.applied == 4.2  # 4, 5, 4, 5, 3
    assert found.plan == {"selesai": 1, "sebagian": 2, "jalan": 1, "belum": 1}
    assert found.support == ["Perlu pendampingan aplikasi dari dinas"]
    assert found.supervisors == 0 and found.supervisor_means == {}
    await _answer(
        db, SUPERVISOR_SUBJECT, followups[4], 904, at + dt.timedelta(hours=11),
        [Answer(question="perubahan", score=2), Answer(question="penerapan", score=3)],
    )  # fmt: skip
    async with db.session() as session:
        (found,) = (await level3.results(session, [program_id])).values()
        # Months after the training the week has no evaluation answer: the program is in the
        # digest for its follow-up results.
        digest = await build(
            session, scope=None, period=WEEK, tz=TZ, today=WEEK.sunday, min_responses=5
        )
        workbook, evaluations = await program_workbook(
            session, tz=TZ, program_id=program_id, t=Texts("id", TZ).for_language("id")
        )
    assert found.supervisors == 5 and found.supervisor_means == {
        "perubahan": 3.6,
        "penerapan": 4.6,
    }
    (program,) = digest.programs
    assert program.level3 is not None and program.level3.respondents == 5
    t = Texts("id", TZ).for_language("id")
    text = render(digest, t, {})
    for needed in (
        "Evaluasi pasca pelatihan</b> · 5 alumni menjawab",
        "Penerapan di tempat kerja: <b>4,2</b> dari 5",
        "belum dimulai 1 · mulai berjalan 1 · sebagian 2 · selesai 1",
        "Perlu pendampingan aplikasi",
        "Menurut atasan (5 atasan): perubahan kinerja 3,6 dari 5 · penerapan 4,6 dari 5",
    ):
        assert needed in text, needed
    sheet = load_workbook(io.BytesIO(workbook_xlsx(digest, t, {}, [])))["Pasca pelatihan"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Program", "Judul", "Alumni menjawab", "Penerapan (1-5)")
    assert rows[1][2:4] == (5, 4.2) and rows[1][-3:] == (5, 3.6, 4.6)
    # The program's export: the follow-up and the supervisors' answers on sheets of their own.
    book = load_workbook(io.BytesIO(workbook))
    assert book.sheetnames == ["Umpan balik", "Pasca pelatihan", "Atasan"]
    assert evaluations == 0 and book["Umpan balik"].max_row == 1
    assert book["Pasca pelatihan"].max_row == 6 and book["Atasan"].max_row == 6
    alumni = list(book["Pasca pelatihan"].iter_rows(values_only=True))
    # Headers in the reader's language: the questions themselves, not their codes.
    assert alumni[0][:3] == ("Kode program", "Judul", "Tanggal dirilis")
    assert "penerapan" not in alumni[0] and len(alumni[0]) > 4
    released = book["Pasca pelatihan"]["C2"]
    assert isinstance(released.value, dt.datetime) and released.number_format == "dd/mm/yyyy"
