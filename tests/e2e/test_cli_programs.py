"""An admin sets up a training calendar from the command line, and exports the feedback."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import os
import sys
from pathlib import Path

import openpyxl
from sqlmodel import select

from bot.services import questionnaires as engine
from bot.storage.db import Database
from bot.storage.programs import DueItem, Participant, Program
from bot.storage.questionnaires import Answer, Response

UNIT = "LPG-PROV-BPSDM"
# Dates a few weeks ahead, so the tests mean the same whenever they run.
DAY = dt.date.today() + dt.timedelta(days=21)


def _at(days: int, time: str) -> str:
    return f"{(DAY + dt.timedelta(days=days)).isoformat()} {time}"


async def _cli(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": "",
        "BOT_USERNAME": "suara_lampung_bot",
        # The messages in English unless a test passes --language.
        "BOT_DEFAULT_LANGUAGE": "en",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_create_prints_the_code_the_payload_and_the_link(
    database_url: str, db: Database
) -> None:
    code, out, err = await _cli(
        database_url, "program", "create", "--title", "Pelatihan Manajemen ASN",
        "--unit", UNIT, "--start", _at(0, "08:00"), "--end", _at(2, "16:00"),
        "--provider", "Universitas Lampung", "--mode", "blended",
        "--instructors", "Dr. Sari Dewi; Budi Santoso, M.Kom.", "--json",
    )  # fmt: skip
    assert code == 0, err
    made = json.loads(out)
    assert made["payload"] == f"ikut_{made['code']}"
    assert made["link"] == f"https://t.me/suara_lampung_bot?start=ikut_{made['code']}"
    assert made["ends_at"] == f"{(DAY + dt.timedelta(days=2)).isoformat()}T16:00:00+07:00"
    assert made["closes_at"] == f"{(DAY + dt.timedelta(days=9)).isoformat()}T16:00:00+07:00"
    async with db.session() as session:
        program = (await session.exec(select(Program))).one()
        kinds = sorted((await session.exec(select(DueItem.kind))).all())
    assert program.instructors == ["Dr. Sari Dewi", "Budi Santoso, M.Kom."]
    assert program.mode == "blended" and program.provider == "Universitas Lampung"
    assert kinds == ["close", "dispatch", "followup"]

    code, out, err = await _cli(database_url, "program", "list")
    assert code == 0 and made["code"] in out and "scheduled" in out
    code, out, err = await _cli(database_url, "program", "send", made["code"])
    assert code == 0 and "queued" in out
    code, out, err = await _cli(database_url, "program", "send", "NOSUCH")
    assert code == 2 and "no program" in err


async def test_bad_input_is_one_clear_line_and_status_2(database_url: str) -> None:
    cases = {
        ("--unit", "NOPE", "--start", _at(0, "08:00"), "--end", _at(1, "08:00")): "unit",
        ("--unit", UNIT, "--start", "besok", "--end", _at(1, "08:00")): "not a time",
        ("--unit", UNIT, "--start", _at(2, "08:00"), "--end", _at(1, "08:00")): "after",
        ("--unit", UNIT, "--start", "2020-01-06 08:00", "--end", "2020-01-07 08:00"): "over",
    }
    for args, needle in cases.items():
        code, _, err = await _cli(database_url, "program", "create", "--title", "Pelatihan", *args)
        assert code == 2 and needle in err and err.count("\n") == 1, err


async def test_import_checks_every_row_before_storing_any(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    bad = tmp_path / "kalender.csv"
    bad.write_text(
        "judul;unit;mulai;selesai;pengajar\n"
        f"Pelatihan Kepemimpinan;{UNIT};{_at(0, '08:00')};{_at(4, '16:00')};Dr. Sari\n"
        f"Pelatihan Arsip;{UNIT};{_at(7, '08:00')};{_at(6, '16:00')};\n"
        f"Pelatihan Keuangan;XYZ;{_at(9, '08:00')};{_at(10, '16:00')};\n",
        "utf-8",
    )
    code, out, err = await _cli(database_url, "program", "import", str(bad))
    assert code == 2
    assert "row 3:" in err and "row 4:" in err and "row 2:" not in err
    async with db.session() as session:
        assert (await session.exec(select(Program))).all() == []

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Title", "Unit", "Start", "End", "Mode", "Instructors"])
    start = dt.datetime.combine(DAY, dt.time(8))
    sheet.append(["Pelatihan SIMPEG", UNIT, start, _at(1, "15:00"), "elearning", ""])
    sheet.append(
        ["Pelatihan Pelayanan Prima", UNIT, start.strftime("%d-%m-%Y %H:%M"),
         (start + dt.timedelta(days=2)).strftime("%d-%m-%Y 16:00"), "", "Andi; Budi"]
    )  # fmt: skip
    good = tmp_path / "kalender.xlsx"
    workbook.save(good)
    code, out, err = await _cli(database_url, "program", "import", str(good))
    assert code == 0, err
    assert "Programs imported: 2 (new: 2," in out
    async with db.session() as session:
        titles = sorted(p.title for p in (await session.exec(select(Program))).all())
    assert titles == ["Pelatihan Pelayanan Prima", "Pelatihan SIMPEG"]


async def test_feedback_export_has_scores_and_comments_but_no_one_in_it(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    code, out, err = await _cli(
        database_url, "program", "create", "--title", "Pelatihan Data",
        "--unit", UNIT, "--start", _at(0, "08:00"), "--end", _at(1, "16:00"),
        "--instructors", "Dr. Sari", "--json",
    )  # fmt: skip
    assert code == 0, err
    program_code = json.loads(out)["code"]
    # Seven invited, six submitted: the five of the first full block are exported, the sixth
    # waits for four more (FEEDBACK_MIN_RESPONSES is 5).
    respondents = [880_001 + n for n in range(7)]
    async with db.session() as session:
        program = (await session.exec(select(Program))).one()
        assert program.id is not None
        template = await engine.template_of(session, program.template_id)
        asked = engine.items(template, program.instructors)
        for number, user_id in enumerate(respondents):
            session.add(
                Participant(program_id=program.id, user_id=user_id, nip="198503122010011002")
            )
            response = await engine.open_response(
                session,
                template_id=program.template_id,
                subject_kind="program",
                subject_id=program.id,
                respondent_id=user_id,
                instructors=program.instructors,
            )
            for item in asked:
                if item.question.kind == "scale":
                    value = str(3 + number % 2)
                elif item.question.code == "rencana":
                    value = '=HYPERLINK("x") rencana saya'
                else:
                    continue
                await engine.record(session, response=response, item=item, value=value)
            if number < 6:  # the seventh never sent: not exported
                await engine.submit(session, response=response, asked=asked, minimum=5)
        await session.commit()

    for fmt in ("csv", "xlsx"):
        output = tmp_path / f"feedback.{fmt}"
        code, out, err = await _cli(
            database_url, "export", "feedback", "--format", fmt,
            "--program", program_code, "--output", str(output),
        )  # fmt: skip
        assert code == 0, err
        assert "5 questionnaires written" in out
        if fmt == "csv":
            raw = output.read_text("utf-8-sig")
            rows = list(csv.DictReader(io.StringIO(raw)))
        else:
            sheet = openpyxl.load_workbook(output).active
            assert sheet is not None
            values = list(sheet.iter_rows(values_only=True))
            rows = [dict(zip(values[0], v, strict=True)) for v in values[1:]]
            raw = "\n".join(str(v) for row in values for v in row)
        assert len(rows) == 5
        assert list(rows[0])[:5] == ["program", "title", "released", "relevansi", "pemahaman"]
        assert "penguasaan: Dr. Sari" in rows[0]
        assert {str(r["relevansi"]) for r in rows} == {"3", "4"}
        # A formula written as an answer stays text.
        assert str(rows[0]["rencana"]).startswith("'=")
        for user_id in respondents:
            assert str(user_id) not in raw
        assert "198503122010011002" not in raw


async def test_files_as_offices_save_them_are_read_or_refused_in_one_line(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    """A blank first line, Excel's ANSI encoding, one column, a year 9999: a clear line each,
    never a traceback."""
    ansi = tmp_path / "ansi.csv"
    ansi.write_bytes(
        (
            "\n;;\n"  # blank lines before the header, as exports from other systems have
            "judul;unit;mulai;selesai\n"
            f"Pelatihan Manajemen – Tahap II;{UNIT};{_at(0, '08:00')};{_at(1, '16:00')}\n"
        ).encode("cp1252")
    )
    code, out, err = await _cli(database_url, "program", "import", str(ansi))
    assert code == 0, err
    assert (
        "Programs imported: 1 (new: 1," in out and "Windows-1252" in err and "Traceback" not in err
    )
    async with db.session() as session:
        (program,) = (await session.exec(select(Program))).all()
    assert program.title == "Pelatihan Manajemen – Tahap II"

    one_column = tmp_path / "satu.csv"
    one_column.write_text("judul\nPelatihan Arsip\n", "utf-8")
    far = tmp_path / "jauh.csv"
    far.write_text(
        f"judul,unit,mulai,selesai\nPelatihan Jauh,{UNIT},9999-12-30 08:00,9999-12-31 16:00\n",
        "utf-8",
    )
    for path, needle in ((one_column, "columns missing"), (far, "row 2:")):
        code, out, err = await _cli(database_url, "program", "import", str(path))
        assert code == 2 and needle in err and "Traceback" not in err, err
    assert "9999" not in out


async def test_importing_a_calendar_twice_updates_its_programs_instead_of_copying_them(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    calendar = tmp_path / "kalender.csv"
    rows = (
        "judul;unit;mulai;selesai;pengajar\n"
        f"Pelatihan Kepemimpinan;{UNIT};{_at(0, '08:00')};{_at(4, '16:00')};Dr. Sari\n"
        f"Pelatihan Arsip;{UNIT};{_at(7, '08:00')};{_at(8, '16:00')};\n"
    )
    calendar.write_text(rows, "utf-8")
    code, out, err = await _cli(database_url, "program", "import", str(calendar))
    assert code == 0 and "(new: 2, updated: 0, unchanged: 0)" in out, err
    async with db.session() as session:
        first = {p.title: (p.code, p.id) for p in (await session.exec(select(Program))).all()}

    # The same calendar with one end moved and an instructor's name written out: both updated,
    # no copy; a third import changes nothing.
    calendar.write_text(
        rows.replace(_at(8, "16:00"), _at(9, "12:00")).replace(";Dr. Sari\n", ";Dr. Sari Dewi\n"),
        "utf-8",
    )
    code, out, err = await _cli(database_url, "program", "import", str(calendar))
    assert code == 0 and "(new: 0, updated: 2, unchanged: 0)" in out, err
    code, out, err = await _cli(database_url, "program", "import", str(calendar))
    assert code == 0 and "(new: 0, updated: 0, unchanged: 2)" in out, err
    async with db.session() as session:
        programs = {p.title: p for p in (await session.exec(select(Program))).all()}
        closes = (
            await session.exec(
                select(DueItem.due_at).where(
                    DueItem.kind == "close", DueItem.program_id == programs["Pelatihan Arsip"].id
                )
            )
        ).one()
    assert {t: (p.code, p.id) for t, p in programs.items()} == first
    arsip = programs["Pelatihan Arsip"]
    assert arsip.ends_at.astimezone(dt.timezone(dt.timedelta(hours=7))).hour == 12
    assert closes == arsip.closes_at == arsip.ends_at + dt.timedelta(days=7)
    assert programs["Pelatihan Kepemimpinan"].instructors == ["Dr. Sari Dewi"]

    # Once someone answered about a program, a row changing it is refused, and nothing stored.
    async with db.session() as session:
        response = Response(
            template_id=arsip.template_id,
            subject_kind="program",
            subject_id=arsip.id or 0,
            respondent_id=5801,
        )
        session.add(response)
        await session.flush()
        session.add(Answer(response_id=response.id or 0, question="relevansi", score=4))
        await session.commit()
    calendar.write_text(rows, "utf-8")
    code, out, err = await _cli(database_url, "program", "import", str(calendar))
    assert code == 2 and "row 3:" in err and "can no longer be changed" in err, err


async def test_the_command_line_speaks_the_admins_language(
    database_url: str, tmp_path: Path
) -> None:
    args = ("--unit", "NOPE", "--start", _at(0, "08:00"), "--end", _at(1, "08:00"))
    code, _, err = await _cli(
        database_url, "program", "create", "--language", "id", "--title", "Pelatihan", *args
    )
    assert code == 2 and err.startswith("Kesalahan: kode unit 'NOPE' tidak dikenal"), err
    code, _, err = await _cli(database_url, "program", "create", "--title", "Pelatihan", *args)
    assert code == 2 and err.startswith("Error: unknown unit code 'NOPE'"), err
    bad = tmp_path / "kalender.csv"
    bad.write_text(
        f"judul;unit;mulai;selesai\nPelatihan Arsip;{UNIT};{_at(7, '08:00')};{_at(6, '16:00')}\n",
        "utf-8",
    )
    code, _, err = await _cli(database_url, "program", "import", "--language", "id", str(bad))
    assert code == 2 and "baris 2: Waktu selesai harus setelah waktu mulai." in err, err
    assert "baris salah: 1; tidak ada yang diimpor" in err
