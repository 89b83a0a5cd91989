"""An admin uploads an XLSForm in the workspace: refused by row and nothing stored, then stored
as a version; the download reads back to the same definition."""

from __future__ import annotations

from sqlmodel import func, select

from bot.services import xlsform
from bot.storage.questionnaires import QuestionnaireTemplate
from tests.e2e.test_access import ADMIN, _world
from tests.e2e.test_complaints import _db
from tests.services.test_xlsform import SURVEY, _row, workbook
from tests.web.helpers import client, csrf_of, session_cookie, web_harness

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_an_admin_uploads_a_form_and_downloads_it_back(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        w = await _world(harness)
        cookies = session_cookie(harness, w.people[ADMIN].id)
        async with client(harness, cookies) as http:
            csrf = csrf_of(harness, cookies)
            page = await http.get("/kuesioner")
            assert page.status_code == 200 and "pelatihan" in page.text
            with_gps = workbook([*SURVEY, _row("geopoint", "lokasi", "Lokasi", "Where")])
            refused = await http.post(
                "/kuesioner", data={"csrf": csrf}, files={"form": ("f.xlsx", with_gps, XLSX)}
            )
            assert refused.status_code == 400
            assert "baris 15: pertanyaan lokasi (geopoint)" in refused.text
            async with _db(harness).session() as session:
                query = select(func.count()).where(QuestionnaireTemplate.code == "bpsdm_lpg")
                assert (await session.exec(query)).one() == 0
            # A forged token stores nothing either.
            forged = await http.post(
                "/kuesioner", data={"csrf": "x"}, files={"form": ("f.xlsx", workbook(), XLSX)}
            )
            assert forged.status_code == 403
            stored = await http.post(
                "/kuesioner", data={"csrf": csrf}, files={"form": ("f.xlsx", workbook(), XLSX)}
            )
            assert stored.status_code == 200 and "bpsdm_lpg versi 1 tersimpan" in stored.text
            down = await http.get("/kuesioner/bpsdm_lpg/xlsform")
            assert down.status_code == 200 and down.headers["content-type"] == XLSX
            # The same questions; the version is the one Suara gave it.
            back, sent = xlsform.read_workbook(down.content), xlsform.read_workbook(workbook())
            assert back.version == 1
            assert back.model_copy(update={"version": sent.version}) == sent
            missing = await http.get("/kuesioner/tidak_ada/xlsform")
            assert missing.status_code == 404
