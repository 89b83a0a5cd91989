"""An admin manages the units from the command line: an import is checked whole first, and a
second import updates the units it names instead of adding them again."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import openpyxl
from sqlmodel import col, select

from bot.storage.audit import AuditEntry
from bot.storage.db import Database
from bot.storage.places import LEVEL_UNIT, Place, place_by_code


async def _cli(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": "",
        "BOT_DEFAULT_LANGUAGE": "en",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "units", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def _units(db: Database) -> dict[str, tuple[str, int | None, bool]]:
    async with db.session() as session:
        rows = (await session.exec(select(Place).where(col(Place.level) == LEVEL_UNIT))).all()
    return {p.code: (p.name, p.parent_id, p.active) for p in rows}


async def test_import_adds_then_a_second_import_updates(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    good = tmp_path / "units.csv"
    # Excel's semicolons and Indonesian headers; the region by name or by code.
    good.write_text(
        "kode;nama;wilayah\n"
        "LSL-DISHUB;Dinas Perhubungan;Kabupaten Lampung Selatan\n"
        "LSM-DISHUB;Dinas Perhubungan;LSM\n",
        encoding="utf-8",
    )
    code, out, err = await _cli(database_url, "import", str(good))
    assert code == 0, err
    assert "2 added, 0 updated, 0 unchanged" in out
    before = await _units(db)

    sheet_path = tmp_path / "units.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "name", "region"])
    sheet.append(["LSL-DISHUB", "Dinas Perhubungan dan Komunikasi", "LSL"])
    sheet.append(["LSM-DISHUB", "Dinas Perhubungan", "Kota Lhokseumawe"])
    sheet.append(["LSL-DINKES", "Dinas Kesehatan", "LSM"])  # moved to another region
    book.save(sheet_path)
    code, out, err = await _cli(database_url, "import", str(sheet_path))
    assert code == 0, err
    assert "0 added, 2 updated, 1 unchanged" in out
    after = await _units(db)
    assert len(after) == len(before)  # nothing doubled
    assert after["LSL-DISHUB"][0] == "Dinas Perhubungan dan Komunikasi"
    assert after["LSL-DINKES"][1] == after["LSM-DISHUB"][1]

    code, out, _ = await _cli(database_url, "list")
    assert "LSL-DISHUB  Dinas Perhubungan dan Komunikasi  [Kab. Lampung Selatan]" in out


async def test_an_import_with_wrong_rows_names_each_row_and_stores_nothing(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    bad = tmp_path / "units.csv"
    bad.write_text(
        "code,name,region\n"
        "LSL-DISHUB,Dinas Perhubungan,LSL\n"
        "\n"
        "LSL DISHUB 2,Dinas Perhubungan,LSL\n"
        "LSM-DISHUB,Dinas Perhubungan,Kabupaten Tidak Ada\n"
        "LSL-DISHUB,Dinas Perhubungan,LSL\n",
        encoding="utf-8",
    )
    code, _, err = await _cli(database_url, "import", str(bad))
    assert code == 2
    lines = err.splitlines()
    assert lines[0].startswith("row 4: A unit code is letters")
    assert lines[1].startswith("row 5: Unknown region «Kabupaten Tidak Ada»")
    assert lines[2] == "row 6: The code LSL-DISHUB is already on row 2 of this file."
    assert "3 row(s) wrong; nothing was stored" in err
    async with db.session() as session:
        assert await place_by_code(session, "LSL-DISHUB") is None

    missing = tmp_path / "columns.csv"
    missing.write_text("code,name\nLSL-DISHUB,Dinas Perhubungan\n", encoding="utf-8")
    code, _, err = await _cli(database_url, "import", str(missing))
    assert code == 2 and "columns missing" in err and "region" in err


async def test_add_rename_deactivate_reactivate_audited_as_system(
    database_url: str, db: Database
) -> None:
    code, out, err = await _cli(
        database_url, "add", "--code", "lsl-dishub", "--name", "Dinas Perhubungan",
        "--region", "LSL",
    )  # fmt: skip
    assert code == 0 and "Unit LSL-DISHUB added" in out, err
    assert (await _cli(database_url, "rename", "LSL-DISHUB", "Dinas Perhubungan Baru"))[0] == 0
    assert (await _cli(database_url, "deactivate", "LSL-DISHUB"))[0] == 0
    code, out, _ = await _cli(database_url, "list")
    assert "LSL-DISHUB  Dinas Perhubungan Baru  [Kab. Lampung Selatan]  (inactive)" in out
    code, _, err = await _cli(database_url, "deactivate", "LSL-DISHUB")
    assert code == 2 and "inactive already" in err
    assert (await _cli(database_url, "reactivate", "LSL-DISHUB"))[0] == 0
    code, _, err = await _cli(database_url, "rename", "NOPE", "Dinas Baru")
    assert code == 2 and "No unit has the code NOPE" in err
    async with db.session() as session:
        entries = (await session.exec(select(AuditEntry))).all()
    assert [(e.actor_role, e.action) for e in entries] == [
        ("system", "unit_added"),
        ("system", "unit_renamed"),
        ("system", "unit_deactivated"),
        ("system", "unit_reactivated"),
    ]
