"""The workspace's reports over HTTP against the running bot: a week's digest as a page with
the same lines as the message the digest job sends, its chart and workbook; the IKM of a unit
for a period with the SKM report's files; the year's months withheld as the public pages
withhold them; each organizer confined to their own units; a visitor sent to log in."""

from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import openpyxl
from PIL import Image
from sqlmodel import col, select

from bot.jobs.digest import compose
from bot.sandbox.harness import Harness
from bot.services import releases
from bot.storage.audit import AuditEntry
from bot.storage.places import place_by_code
from bot.storage.questionnaires import QuestionnaireTemplate
from tests.e2e.test_complaints import _db, _setup_organizers
from tests.e2e.test_reports import IKM, _check_workbook, _pdf_text, _rated, _seed_skm
from tests.services.test_digest import ITEMS, TODAY, WEEK, _data, _program, _respond
from tests.web.helpers import client, session_cookie, web_harness

TZ = ZoneInfo("Asia/Jakarta")
NOON = dt.time(12, 0)
AFTER_2026 = dt.datetime(2027, 1, 15, 12, 0, tzinfo=TZ)  # the whole of 2026 is finished


def _cells(page: str, row: str) -> list[str]:
    """The cells of the month's row in the year's table, tags stripped."""
    found = re.search(rf'<tr data-month="{row}">(.*?)</tr>', page, re.S)
    assert found is not None, row
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in found.group(1).split("</td>")][:-1]


async def test_a_weeks_page_shows_the_digest_the_job_sends_with_its_files(
    database_url: str,
) -> None:
    today = dt.datetime.combine(TODAY, NOON, TZ)
    async with web_harness(database_url, clock=lambda: today) as harness:
        admin, rina, dedi = await _setup_organizers(harness.emulator)
        ids = await _data(_db(harness))
        core = harness.runner.application.bot_data.core  # type: ignore[union-attr]
        async with _db(harness).session() as session:
            t = core.texts.for_user("id", None)
            message = await compose(session, core, [ids["unit"]], WEEK, t)
        async with client(harness, session_cookie(harness, rina.id)) as http:
            # Without a week: last week, the one the weekly digest covers.
            page = (await http.get("/laporan")).text
            assert (await http.get("/laporan", params={"minggu": "2026-11-18"})).text == page
        lines = [line for line in message.text.split("\n") if line.strip()]
        assert len(lines) > 20
        for line in lines:
            assert line in page, line
        for figure in (
            "Menjawab: 6 dari 10 peserta (60%)",
            "<b>3,88</b> dari 5 – baik",
            "Relevansi dengan pekerjaan: 4,2 ▲+1,2 (n=5)",
            "<b>69,44</b>, mutu C (kurang baik), dari 5 survei",
            "Baru 3 · selesai 2 · terbuka saat ini 3",
        ):
            assert figure in page, figure
        # The other unit's program is not Rina's; the small one is withheld.
        assert "Kesehatan Kerja" not in page and "Rata-rata ditampilkan mulai 5 jawaban" in page
        # Complaints per category, as counted: two new and open of one, one of the other.
        by_category = page[page.index('id="by-category"') : page.index('id="trend"')]
        assert re.search(r"Administrasi Kependudukan</td><td class=\"n\">2</td>", by_category)
        assert 'href="/laporan/grafik.png?minggu=2026-W47"' in page

        async with client(harness, session_cookie(harness, rina.id)) as http:
            chart = await http.get("/laporan/grafik.png", params={"minggu": "2026-W47"})
            book = await http.get("/laporan/ringkasan.xlsx", params={"minggu": "2026-W47"})
        assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(chart.content))
        assert image.format == "PNG" and image.width >= 800
        assert 'filename="suara-2026-W47.xlsx"' in book.headers["content-disposition"]
        workbook = openpyxl.load_workbook(io.BytesIO(book.content))
        assert "Aduan" in workbook.sheetnames and "Pelatihan" in workbook.sheetnames
        rows = list(workbook["Aduan"].iter_rows(values_only=True))
        assert sorted(r[0] for r in rows[1:]) == ["ADU-1", "ADU-2", "ADU-3"]
        # No column says who reported.
        assert rows[0] == (
            "Tiket", "Dilaporkan", "Kategori", "Unit", "Status", "Kerahasiaan", "Terlambat",
            "Selesai",
        )  # fmt: skip
        _, sent_book = message.files
        sent = openpyxl.load_workbook(io.BytesIO(sent_book[2]))
        assert list(sent["Pelatihan"].values) == list(workbook["Pelatihan"].values)

        # Dedi sees his unit's week; the admin sees every unit's.
        async with client(harness, session_cookie(harness, dedi.id)) as http:
            his = (await http.get("/laporan", params={"minggu": "2026-W47"})).text
        assert "Kesehatan Kerja" in his and "Pelayanan Prima" not in his
        async with client(harness, session_cookie(harness, admin.id)) as http:
            everything = (await http.get("/laporan", params={"minggu": "2026-W47"})).text
        assert "semua unit" in everything and "Kesehatan Kerja" in everything

        async with client(harness, session_cookie(harness, rina.id)) as http:
            for wrong in ("2026-W99", "minggu lalu", "2026-W49", "2027-01-04", "x" * 500):
                answer = await http.get("/laporan", params={"minggu": wrong})
                assert answer.status_code == 400 and "tidak dikenal" in answer.text, wrong
            # An earlier week: nothing answered then, the complaints still open are listed.
            earlier = (await http.get("/laporan", params={"minggu": "2026-W30"})).text
            assert "Tidak ada jawaban kuesioner pada periode ini." in earlier
            assert "terbuka saat ini 3" in earlier


async def _training_in_october(harness: Harness, unit_id: int) -> None:
    """Seven questionnaires in October: the first five released as a block (mean 3.4), the
    two low ones waiting for more, so in no figure."""
    async with _db(harness).session() as session:
        ends = dt.datetime(2026, 10, 9, 16, 0, tzinfo=TZ)
        program = await _program(session, unit_id, "Pelayanan Prima", ends)
        for n in range(7):
            score = 1 if n >= 5 else 3 + n % 2
            await _respond(
                session, "program", program.id, program.template_id, 900 + n,
                ends + dt.timedelta(days=1, hours=n), {(q, -1): score for q in ITEMS},
            )  # fmt: skip
        await releases.catch_up(session, minimum=5)
        await session.commit()


async def test_the_ikm_page_shows_a_periods_figures_its_files_and_the_year(
    database_url: str,
) -> None:
    async with web_harness(database_url, clock=lambda: AFTER_2026) as harness:
        admin, rina, dedi = await _setup_organizers(harness.emulator)
        db = _db(harness)
        # Six ratings in September here (five released, one waiting), two at the other unit.
        await _seed_skm(db)
        async with db.session() as session:
            unit = await place_by_code(session, "LSL-DUKCAPIL")
            assert unit is not None and unit.id is not None
        await _training_in_october(harness, unit.id)
        asked = {"unit": "LSL-DUKCAPIL", "period": "2026-S2"}
        async with client(harness, session_cookie(harness, rina.id)) as http:
            page = (await http.get("/laporan/ikm", params=asked)).text
            xlsx = await http.get("/laporan/ikm/skm.xlsx", params=asked)
            pdf = await http.get("/laporan/ikm/skm.pdf", params=asked)
            chart = await http.get("/laporan/ikm/tren.png", params={"unit": "LSL-DUKCAPIL"})
        assert f'id="ikm">{IKM}<' in page and "B (baik)" in page
        assert 'id="respondents">5<' in page
        # The year: September's IKM, October's released training answers, the rest empty.
        assert _cells(page, "2026-09") == ["2026-09", IKM, "5", "–", "–"]
        assert _cells(page, "2026-10") == ["2026-10", "–", "–", "3,4", "5"]
        assert _cells(page, "2026-05") == ["2026-05", "–", "–", "–", "–"]
        assert page.count("<tr data-month=") == 12
        _check_workbook(xlsx.content, language="id")
        assert IKM in _pdf_text(pdf.content) and pdf.headers["content-type"] == "application/pdf"
        assert Image.open(io.BytesIO(chart.content)).format == "PNG"
        async with db.session() as session:
            audited = (
                await session.exec(
                    select(AuditEntry).where(col(AuditEntry.action) == "report_skm")
                )
            ).all()
        assert [(a.actor_id, a.detail) for a in audited] == [(rina.id, "2026-S2")] * 2

        # A block of two in November (September's waiting rating and one low one, released
        # while the minimum was 2): the half-year minus September would be two people's
        # answers, so it is withheld; September alone still shows, November prints "–".
        async with db.session() as session:
            skm = (
                await session.exec(
                    select(QuestionnaireTemplate).where(col(QuestionnaireTemplate.code) == "skm")
                )
            ).first()
            assert skm is not None and skm.id is not None
            november = dt.datetime(2026, 11, 10, 10, 0, tzinfo=TZ)
            for n in range(2):
                await _rated(
                    session, skm.id, unit.id, f"ADU-2026-9{n:05d}", 800 + n, november,
                    scores=(1,) * 9, minimum=2,
                )  # fmt: skip
            await session.commit()
        async with client(harness, session_cookie(harness, rina.id)) as http:
            withheld = (await http.get("/laporan/ikm", params=asked)).text
            month = (await http.get("/laporan/ikm", params={**asked, "period": "2026-09"})).text
        assert 'id="ikm">–<' in withheld and 'id="grade">–<' in withheld
        assert "kurang dari 5 responden" in withheld
        assert _cells(withheld, "2026-09")[1] == IKM and _cells(withheld, "2026-11")[1] == "–"
        assert f'id="ikm">{IKM}<' in month

        # Rina's units only: the other unit's code is not found, page and files alike.
        async with client(harness, session_cookie(harness, rina.id)) as http:
            for path in ("/laporan/ikm", "/laporan/ikm/skm.xlsx", "/laporan/ikm/tren.png"):
                answer = await http.get(path, params={"unit": "LSM-DINKES", "period": "2026-S2"})
                assert answer.status_code == 404 and "LSM-DINKES" in answer.text, path
            assert "LSM-DINKES" not in withheld
            running = await http.get("/laporan/ikm", params={**asked, "period": "2027-S1"})
            assert running.status_code == 400 and "belum selesai" in running.text
            for wrong in ("2026-S3", "2026-13", "semester", "9" * 300):
                answer = await http.get("/laporan/ikm", params={**asked, "period": wrong})
                assert answer.status_code == 400 and "tidak dikenal" in answer.text, wrong
        # Dedi's own unit has two respondents: withheld, shown as empty.
        async with client(harness, session_cookie(harness, dedi.id)) as http:
            his = (await http.get("/laporan/ikm", params={"period": "2026-S2"})).text
        assert "Dinas Kesehatan" in his and 'id="ikm">–<' in his
        # The admin chooses among every unit.
        async with client(harness, session_cookie(harness, admin.id)) as http:
            everything = (await http.get("/laporan/ikm", params={"unit": "LSM-DINKES"})).text
        assert 'value="LSL-DUKCAPIL"' in everything and 'value="LSM-DINKES" selected' in everything


async def test_a_visitor_is_sent_to_log_in(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        async with client(harness) as http:
            for path in (
                "/laporan",
                "/laporan/grafik.png",
                "/laporan/ringkasan.xlsx",
                "/laporan/ikm",
                "/laporan/ikm/skm.pdf",
            ):
                answer = await http.get(path)
                assert answer.status_code == 303 and answer.headers["location"] == "/", path
