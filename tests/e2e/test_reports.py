"""Files as build requests, and the SKM report.

A file notice is not built inside the update that asked for it: at commit the outbox row holds
only the build request; the outbox sender builds it afterwards and it arrives as a real file in
the reader's language. The SKM report (PermenPANRB 14/2017) is written by the command line and
sent in the chat, XLSX and PDF, with the IKM and grade computed from seeded answers; another
unit's organizer is refused; below the minimum of respondents no figure is shown."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
from pypdf import PdfReader
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.sandbox.harness import Harness
from bot.services import releases
from bot.services.notices import FileRequest, Notice
from bot.services.questionnaires import seed_templates
from bot.services.satisfaction import SKM_SUBJECT
from bot.storage.complaints import SELESAI, Complaint
from bot.storage.db import Database
from bot.storage.models import OUTBOX_FAILED, OutboxMessage
from bot.storage.places import place_by_code, seed_places
from bot.storage.questionnaires import RESPONSE_SUBMITTED, Answer, QuestionnaireTemplate, Response
from tests.e2e.helpers import say, text_of
from tests.e2e.test_complaints import _db, _setup_organizers

TZ = ZoneInfo("Asia/Jakarta")
IN_S2 = dt.datetime(2026, 9, 10, 10, 0, tzinfo=TZ)
# Six ratings, five of them released as a block (the sixth waits for more): every element 3
# but u9 (4), mean NRR 28/9, IKM 77.78, grade B (baik).
IKM = "77,78"


async def _seed_skm(db: Database) -> None:
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        other = await place_by_code(session, "LSM-DINKES")
        assert unit and unit.id and other and other.id
        skm = (
            await session.exec(
                select(QuestionnaireTemplate).where(col(QuestionnaireTemplate.code) == "skm")
            )
        ).first()
        assert skm is not None and skm.id is not None
        for place, respondents in ((unit, 6), (other, 2)):
            for n in range(respondents):
                ticket = f"ADU-2026-{place.id:03d}{n:03d}"
                await _rated(
                    session, skm.id, place.id, ticket, 700 + n, IN_S2, scores=(3,) * 8 + (4,)
                )
        await session.commit()


async def _rated(
    session: AsyncSession,
    template_id: int,
    unit_id: int,
    ticket: str,
    reporter: int,
    at: dt.datetime,
    *,
    scores: tuple[int, ...],
    minimum: int = 5,
) -> None:
    """A closed complaint of the unit whose reporter answered the SKM (u1..u9) at `at`,
    released as the chat releases it: in blocks of `minimum` ratings of the unit."""
    complaint = Complaint(
        reporter_id=reporter,
        category="Administrasi Kependudukan",
        unit_id=unit_id,
        description="Antrean KTP elektronik sangat lama di kantor kecamatan",
        created_at=at - dt.timedelta(days=5),
        verify_due=(at - dt.timedelta(days=2)).date(),
        ticket=ticket,
        state=SELESAI,
        closed_at=at - dt.timedelta(days=1),
    )
    session.add(complaint)
    await session.flush()
    response = Response(
        template_id=template_id,
        subject_kind=SKM_SUBJECT,
        subject_id=complaint.id,
        respondent_id=reporter,
        status=RESPONSE_SUBMITTED,
        submitted_at=at,
    )
    session.add(response)
    await session.flush()
    assert response.id is not None
    for i, score in enumerate(scores, start=1):
        session.add(Answer(response_id=response.id, question=f"u{i}", score=score))
    await session.flush()
    await releases.after_submit(session, response, minimum=minimum)


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _check_workbook(data: bytes, *, language: str) -> None:
    book = openpyxl.load_workbook(io.BytesIO(data))
    summary, elements, plan, annex = book.worksheets
    facts = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    rows = list(elements.iter_rows(values_only=True))
    if language == "id":
        assert summary.title == "Ringkasan" and plan.title == "Rencana tindak lanjut"
        assert facts["IKM (25-100)"] == 77.78 and facts["Mutu pelayanan"] == "B (baik)"
        assert facts["Jumlah responden"] == 5
        assert rows[0][:4] == ("Unsur", "Pertanyaan", "Responden", "NRR")
        assert isinstance(facts["Tanggal laporan"], dt.datetime)
    else:
        assert summary.title == "Summary" and plan.title == "Follow-up plan"
        assert facts["IKM (25-100)"] == 77.78 and facts["Service quality"] == "B (good)"
        assert rows[0][:4] == ("Element", "Question", "Respondents", "NRR")
    assert [r[0] for r in rows[1:]] == [f"U{i}" for i in range(1, 10)]
    assert [r[3] for r in rows[1:]] == [3.0] * 8 + [4.0]
    assert elements["D2"].number_format == "0.00"
    # The follow-up plan: numbered empty lines to fill in; the questionnaire as an annex.
    assert plan.max_row == 6 and plan["B2"].value is None
    assert annex.max_row == 10 and annex["A2"].value == "U1"


async def test_the_cli_writes_the_skm_report_as_xlsx_and_pdf(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        await db.migrate()
        await _seed_skm(db)
    finally:
        await db.dispose()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": "",
        "UNIT_POPULATIONS": "LSL-DUKCAPIL=1000",
    }
    for language in ("id", "en"):
        out = tmp_path / language
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "report", "skm", "--unit", "LSL-DUKCAPIL",
            "--period", "2026-S2", "--output", str(out), "--language", language,
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 0, stderr.decode()
        assert "IKM 77.78 grade B" in stdout.decode()
        xlsx = (out / "skm-lsl-dukcapil-2026-s2.xlsx").read_bytes()
        pdf = (out / "skm-lsl-dukcapil-2026-s2.pdf").read_bytes()
        _check_workbook(xlsx, language=language)
        text = _pdf_text(pdf)
        if language == "id":
            for needed in (IKM, "mutu B (baik)", "Semester II 2026", "278",
                           "Rencana tindak lanjut", "Lampiran: kuesioner SKM"):  # fmt: skip
                assert needed in text, needed
        else:
            for needed in ("77.78", "grade B (good)", "Second half of 2026", "278",
                           "Follow-up plan", "Annex: the SKM questionnaire"):  # fmt: skip
                assert needed in text, needed

    # Two respondents in another unit: no figure about them, in either file.
    out = tmp_path / "small"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "report", "skm", "--unit", "LSM-DINKES",
        "--period", "2026", "--output", str(out),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()
    assert "withheld" in stdout.decode()
    text = _pdf_text((out / "skm-lsm-dinkes-2026.pdf").read_bytes())
    assert "kurang dari 5 responden" in text and "mutu" not in text.lower().split("ikm")[-1][:40]
    book = openpyxl.load_workbook(out / "skm-lsm-dinkes-2026.xlsx")
    assert all(row[3] is None for row in book.worksheets[1].iter_rows(min_row=2, values_only=True))


async def test_the_chat_delivers_the_skm_report_built_after_the_commit(harness: Harness) -> None:
    emu = harness.emulator
    db = _db(harness)
    await _seed_skm(db)
    _admin, rina, dedi = await _setup_organizers(emu)

    # Another unit's organizer is refused, and nothing is queued for him.
    refused = text_of(await say(emu, dedi, "/laporanskm LSL-DUKCAPIL 2026-S2"))
    assert "tidak ditemukan di antara unit Anda" in refused
    bad = text_of(await say(emu, rina, "/laporanskm LSL-DUKCAPIL 2026-S3"))
    assert "tidak dikenal" in bad

    harness.runner.application.bot_data.outbox._stopping = True  # type: ignore[union-attr]
    try:
        answer = await say(emu, rina, "/laporanskm LSL-DUKCAPIL 2026-S2")
        # Committed: the rows hold the build requests, no file yet.
        async with db.session() as session:
            rows = (
                await session.exec(
                    select(OutboxMessage).where(
                        col(OutboxMessage.chat_id) == rina.id,
                        col(OutboxMessage.method) == "sendDocument",
                    )
                )
            ).all()
        assert len(rows) == 2 and all(r.file_data is None for r in rows)
        assert [r.payload["build"]["kind"] for r in rows] == ["skm_report_xlsx", "skm_report_pdf"]
        assert all(r.payload["build"]["language"] == "id" for r in rows)
        assert not any(m.kind == "document" for m in emu.messages(rina))
        del answer
    finally:
        harness.runner.application.bot_data.outbox._stopping = False  # type: ignore[union-attr]
    harness.runner.application.bot_data.outbox.nudge()  # type: ignore[union-attr]
    await emu.wait_until(lambda: sum(m.kind == "document" for m in emu.messages(rina)) == 2)
    xlsx, pdf = [m for m in emu.messages(rina) if m.kind == "document"]
    assert "sedang disiapkan" in text_of(emu.events(rina))
    assert xlsx.file_bytes and pdf.file_bytes
    _check_workbook(xlsx.file_bytes, language="id")
    assert IKM in _pdf_text(pdf.file_bytes) and "mutu B (baik)" in _pdf_text(pdf.file_bytes)
    assert "Laporan SKM" in (xlsx.text or "")


async def test_a_failed_build_is_marked_failed_and_the_reader_told(harness: Harness) -> None:
    emu = harness.emulator
    _admin, rina, _dedi = await _setup_organizers(emu)
    db = _db(harness)
    state = harness.runner.application.bot_data  # type: ignore[union-attr]
    from bot.notify import deliver

    async with db.session() as session:
        await deliver(
            session,
            state.texts,
            [Notice(user_id=rina.id, key="", files=(FileRequest("no_such_kind", {}),))],
        )
        await session.commit()
    state.outbox.nudge()
    await emu.wait_until(lambda: any("tidak dapat dibuat" in t for t in emu.texts(rina)))
    async with db.session() as session:
        (row,) = (
            await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.method) == "sendDocument")
            )
        ).all()
    assert row.status == OUTBOX_FAILED and "no_such_kind" in (row.last_error or "")


async def test_a_report_is_withheld_when_one_of_its_months_is_a_small_group(
    db: Database,
) -> None:
    """A block of five in September, and one of two in November (released while the minimum
    was 2, with September's sixth rating): the half-year has seven, but a public page shows
    months, so the half-year minus September would be two people's answers."""
    from bot.config import load_settings
    from bot.core import build_core
    from bot.services import skm_report

    await _seed_skm(db)
    core = build_core(load_settings(FEEDBACK_MIN_RESPONSES="5"), db=db, analyzer=False)
    t = core.texts.for_language("id")
    async with db.session() as session:
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        skm = (
            await session.exec(
                select(QuestionnaireTemplate).where(col(QuestionnaireTemplate.code) == "skm")
            )
        ).first()
        assert unit and unit.id and skm and skm.id
        shown = await skm_report.compute(session, core, unit_id=unit.id, period="2026-S2", t=t)
        assert not shown.withheld and shown.respondents == 5
        november = dt.datetime(2026, 11, 10, 10, 0, tzinfo=TZ)
        for n in range(2):
            await _rated(
                session, skm.id, unit.id, f"ADU-2026-9{n:05d}", 800 + n, november,
                scores=(1,) * 9, minimum=2,
            )  # fmt: skip
        await session.commit()
        report = await skm_report.compute(session, core, unit_id=unit.id, period="2026-S2", t=t)
    assert report.withheld and report.ikm is None and report.respondents == 7
