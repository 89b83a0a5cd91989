"""A class of thirty, from the class list to the certificates, as the people meet it.

The organizer imports the class list (30 people) with the command line and sets the program's
certificates; 25 join in the chat, 20 of them with a listed NIP; the questionnaire goes out;
"remind now" reaches those who have not answered, once a day; 20 answer, and each receives
their certificate as a PDF whose text names them and whose QR code, read from a rendered page,
opens a verification page that says valid (and, once revoked, revoked). The SIASN export has
the 20 rows with the program's hours; the program page shows 30 listed, 25 joined, 20
answered; the organizer's class list says who completed, never what anyone answered.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pypdf
import pypdfium2
import zxingcpp
from sqlmodel import select

from bot.buttons import ProgramAction
from bot.jobs.feedback import run_due
from bot.sandbox.emulator import BotApiEmulator, BotMessage, Persona
from bot.sandbox.harness import Harness
from bot.storage.audit import AuditEntry
from bot.storage.certificates import Certificate
from bot.storage.programs import Program
from tests.e2e.helpers import onboard, say, step, tap, text_of
from tests.e2e.test_cli_programs import _cli
from tests.e2e.test_feedback import (
    INVITATION,
    REMINDER,
    WIB,
    Clock,
    _count,
    _create_in_chat,
    _fill,
    _organizer,
    _state,
)
from tests.web.helpers import client, web_harness

PUBLIC_URL = "https://suara.example.go.id"
HOURS = 24
LISTED, JOINING, MATCHED = 30, 25, 20


def _nip(n: int) -> str:
    """A plausible NIP: born 12 March 1985, appointed January 2010, a man, number n."""
    return f"19850312201001{1}{n:03d}"


def _class_list(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(["Nama", "NIP", "Unit kerja", "Telepon"])
        for n in range(1, LISTED + 1):
            writer.writerow([f"Peserta Nomor {n}", _nip(n), "Dinas Kesehatan", "0812 3456 789"])
    return path


async def _pdf_of(emu: BotApiEmulator, who: Persona, count: int = 1) -> BotMessage:
    """Waits for the `count`-th document in the chat (built by the outbox after the commit)."""
    await emu.wait_until(
        lambda: sum(m.kind == "document" for m in emu.messages(who)) >= count, timeout=30
    )
    document = [m for m in emu.messages(who) if m.kind == "document"][count - 1]
    assert document.file_bytes is not None
    return document


def _read(data: bytes) -> tuple[str, str]:
    """The PDF's text, and the QR code read from its page rendered as a reader shows it."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert width > height  # A4 landscape
    text = " ".join(reader.pages[0].extract_text().split())
    document = pypdfium2.PdfDocument(data)
    try:
        page = document[0]
        image = page.render(scale=2).to_pil().convert("L")
        page.close()
    finally:
        document.close()
    codes = zxingcpp.read_barcodes(image)
    assert len(codes) == 1
    return text, codes[0].text


async def test_a_class_of_thirty_gets_certificates_from_the_evaluation(
    database_url: str, tmp_path: Path
) -> None:
    async with web_harness(database_url, WEB_BASE_URL=PUBLIC_URL) as harness:
        await _class(harness, database_url, tmp_path)


async def _class(harness: Harness, database_url: str, tmp_path: Path) -> None:
    emu = harness.emulator
    state = _state(harness)
    rina = await _organizer(emu)
    now = dt.datetime.now(dt.UTC)
    ended = (now - dt.timedelta(days=2)).astimezone(WIB).replace(hour=15, minute=0, second=0)
    clock = Clock(ended - dt.timedelta(days=3))
    state.clock = clock
    code = await _create_in_chat(
        emu,
        rina,
        (ended - dt.timedelta(days=2)).strftime("%d-%m-%Y %H:%M"),
        ended.strftime("%d-%m-%Y %H:%M"),
    )

    # The class list and the certificate settings, from the command line.
    status, out, err = await _cli(
        database_url, "program", "classlist", code, str(_class_list(tmp_path / "kelas.csv"))
    )
    assert status == 0, err
    assert "new 30" in out
    signatory = ["--signatory-name", "Dr. Budi Santoso, M.Si.", "--signatory-title"]
    status, out, err = await _cli(
        database_url,
        "program", "certificates", code, "--hours", str(HOURS),
        *signatory, "Kepala BPSDM Provinsi Lampung", "--signatory-nip", "197001011995031001",
    )  # fmt: skip
    assert status == 0, err

    async with state.db.session() as session:
        program = (await session.exec(select(Program).where(Program.code == code))).one()
    assert program.id is not None

    # 25 join: 20 with a listed NIP, 5 with one that is not on the list.
    people = [emu.user(8000 + n, f"P{n}", "id") for n in range(1, JOINING + 1)]
    for n, person in enumerate(people, start=1):
        await onboard(emu, person, "asn")
        await say(emu, person, f"/gabung {code}")
        await say(emu, person, _nip(n if n <= MATCHED else 100 + n))
        await tap(emu, person, step("j", "unit", "skip", program.id))

    clock.now = ended + dt.timedelta(minutes=5)
    await run_due(state)
    await emu.wait_until(lambda: all(_count(emu, p, INVITATION) == 1 for p in people))

    # "Remind now" reaches everyone who has not answered, once a day.
    await say(emu, rina, f"/program {code}")
    reminded = text_of(await tap(emu, rina, ProgramAction(program.id, "remind").pack()))
    assert "belum menjawab: 25" in reminded
    await emu.wait_until(lambda: all(_count(emu, p, REMINDER) == 1 for p in people))
    again = text_of(await tap(emu, rina, ProgramAction(program.id, "remind").pack()))
    assert "belum menjawab: 0" in again
    await asyncio.sleep(0.5)
    assert all(_count(emu, p, REMINDER) == 1 for p in people)

    # The 20 listed participants answer; each receives their certificate at once.
    scores = iter([4] * 10_000)
    answered = people[:MATCHED]
    for person in answered:
        await _fill(emu, person, scores, "Rencana rahasia saya.")
    numbers: dict[int, str] = {}
    async with client(harness) as http:
        for n, person in enumerate(answered, start=1):
            document = await _pdf_of(emu, person)
            assert document.file_bytes is not None
            text, link = _read(document.file_bytes)
            assert f"Peserta Nomor {n}" in text and _nip(n) in text
            assert f"{HOURS} jam pelajaran" in text and "Dr. Budi Santoso" in text
            number = re.search(r"Nomor: (\S+)", text)
            assert number is not None
            numbers[n] = number.group(1)
            assert re.fullmatch(rf"LPG-PROV-BPSDM/{code}/\d{{4}}/\d{{4}}", numbers[n])
            assert link.startswith(f"{PUBLIC_URL}/v/")
            page = await http.get(urlsplit(link).path)
            assert page.status_code == 200 and 'data-valid="yes"' in page.text
            assert f"Peserta Nomor {n}" in page.text and _nip(n) not in page.text
    assert len(set(numbers.values())) == MATCHED
    for person in people[MATCHED:]:
        assert not any(m.kind == "document" for m in emu.messages(person))

    # The program page: the real denominator.
    opened = text_of(await say(emu, rina, f"/program {code}"))
    assert "Daftar kelas: 30 orang · bergabung: 25 · sudah menjawab: 20 · 67%" in opened

    # The class list says who completed, never what anyone answered.
    roll = text_of(await tap(emu, rina, ProgramAction(program.id, "roll").pack()))
    assert roll.count("✅") == MATCHED and roll.count("⬜") == LISTED - MATCHED
    assert "Rencana rahasia" not in roll and "4/5" not in roll

    # The SIASN export: the 20 rows with the program's hours.
    siasn = tmp_path / "siasn.csv"
    status, out, err = await _cli(
        database_url, "program", "siasn", code, "--format", "csv", "--output", str(siasn)
    )
    assert status == 0, err
    rows = list(csv.DictReader(io.StringIO(siasn.read_text("utf-8-sig"))))
    assert len(rows) == MATCHED
    assert {row["nip"] for row in rows} == {_nip(n) for n in range(1, MATCHED + 1)}
    assert {row["jumlahJam"] for row in rows} == {str(HOURS)}
    assert {row["nomorSertipikat"] for row in rows} == set(numbers.values())
    assert {row["namaKursus"] for row in rows} == {"Pelatihan Pelayanan Publik Prima"}
    assert {row["tanggalSelesaiKursus"] for row in rows} == {ended.date().isoformat()}

    # Revoked, the page says so; reissued, the holder gets a new number that is valid.
    first = numbers[1]
    revoked = text_of(await say(emu, rina, f"/sertifikat cabut {first}"))
    assert "dicabut" in revoked
    async with client(harness) as http:
        page = await http.get(f"/v/{first}")
        assert page.status_code == 200 and 'data-valid="no"' in page.text
        assert (await http.get("/v/LPG-PROV-BPSDM/NOPE/0001/2026")).status_code == 404
    # An ASN cannot revoke anyone's certificate.
    refused = text_of(await say(emu, people[1], f"/sertifikat cabut {numbers[2]}"))
    assert "dicabut" not in refused
    await say(emu, rina, f"/sertifikat ulang {first}")
    again = await _pdf_of(emu, people[0], count=2)
    assert again.file_bytes is not None
    text, link = _read(again.file_bytes)
    assert first not in text and "Peserta Nomor 1" in text
    async with client(harness) as http:
        page = await http.get(urlsplit(link).path)
        assert 'data-valid="yes"' in page.text

    # The ASN sees their certificate and this year's JP against the 20 JP right.
    mine = text_of(await say(emu, people[1], "/pelatihan"))
    assert numbers[2] in mine and f"JP tahun {ended.year}: {HOURS} dari hak 20 JP" in mine
    # Asked for, it comes again.
    await say(emu, people[1], f"/sertifikat {numbers[2]}")
    resent = await _pdf_of(emu, people[1], count=2)
    assert resent.file_bytes is not None and numbers[2] in _read(resent.file_bytes)[0]
    refused = text_of(await say(emu, people[1], f"/sertifikat {numbers[3]}"))
    assert "Tidak ada sertifikat Anda" in refused

    # The settings from the chat: a wrong line gets the usage; an ASN is refused; set again,
    # nobody is certified twice.
    usage = text_of(await say(emu, rina, f"/sertifikat atur {code} banyak; Budi"))
    assert "/sertifikat atur KODE JP" in usage
    refused = text_of(await say(emu, people[2], f"/sertifikat atur {code} 40; Ani; Kepala"))
    assert "tidak tersedia" in refused
    again = text_of(await say(emu, rina, f"/sertifikat atur {code} {HOURS}; Dr. Budi; Kepala"))
    assert f"{HOURS} JP" in again and "sudah mengisi evaluasi: 0" in again

    # Every issue, revocation and reissue is in the audit log.
    async with state.db.session() as session:
        actions = (await session.exec(select(AuditEntry.action))).all()
        issued = (await session.exec(select(Certificate))).all()
    assert actions.count("certificate_issue") == MATCHED + 1
    assert actions.count("certificate_revoke") == 1 and actions.count("certificate_reissue") == 1
    assert len(issued) == MATCHED + 1


async def test_a_class_list_with_mistakes_is_refused_row_by_row(
    database_url: str, tmp_path: Path
) -> None:
    status, out, err = await _cli(
        database_url, "program", "create", "--title", "Pelatihan Kearsipan",
        "--unit", "LPG-PROV-BPSDM", "--start", "2026-12-20 08:00", "--end", "2026-12-21 16:00",
        "--json",
    )  # fmt: skip
    assert status == 0, err
    code = json.loads(out)["code"]
    wrong = tmp_path / "kelas.csv"
    wrong.write_text(
        "nama,nip,telepon\nSari Dewi,198503122010012001,0812\nB,12345,\n"
        f"Andi,{_nip(1)},0812-abc\nSari Lagi,198503122010012001,\n",
        encoding="utf-8",
    )
    status, out, err = await _cli(
        database_url, "program", "classlist", code, str(wrong), "--language", "id"
    )
    assert status == 2
    lines = err.splitlines()
    assert lines[0].startswith("baris 3: Nama harus 2-200 karakter")
    assert lines[1].startswith("baris 4: Nomor telepon")
    assert lines[2].startswith("baris 5: NIP 198503122010012001 sudah ada")
    assert "Tidak ada yang disimpan" in lines[-1]
    status, out, err = await _cli(database_url, "program", "classlist", code, str(tmp_path))
    assert status == 2 and "Traceback" not in err
    status, out, err = await _cli(
        database_url, "program", "certificates", code, "--hours", "0",
        "--signatory-name", "Budi", "--signatory-title", "Kepala",
    )  # fmt: skip
    assert status == 2 and "1 to 400" in err
    status, out, err = await _cli(database_url, "program", "revoke", "NO/SUCH/0001/2026")
    assert status == 2 and "Traceback" not in err
