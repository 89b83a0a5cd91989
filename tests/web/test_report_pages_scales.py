"""The IKM page's training line over a year of forms on different scales: the shipped 1-5 in
October and a 1-4 form in November make one line of the 0-100 index (each answer's position on
its item's scale), and the column says so."""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image

from bot.services import releases
from bot.storage.places import place_by_code
from bot.storage.questionnaires import QuestionnaireTemplate
from tests.e2e.test_complaints import _db, _setup_organizers
from tests.services.test_digest import _program, _respond
from tests.services.test_digest_any_scale import _form
from tests.web.helpers import client, session_cookie, web_harness
from tests.web.test_report_pages import AFTER_2026, TZ, _cells, _training_in_october


async def test_the_years_training_line_is_an_index_when_the_forms_scales_differ(
    database_url: str,
) -> None:
    async with web_harness(database_url, clock=lambda: AFTER_2026) as harness:
        _admin, rina, _dedi = await _setup_organizers(harness.emulator)
        db = _db(harness)
        async with db.session() as session:
            unit = await place_by_code(session, "LSL-DUKCAPIL")
            assert unit is not None and unit.id is not None
        # October: five shipped questionnaires released, mean 3.4 of 1-5 (60% of the range).
        await _training_in_october(harness, unit.id)
        async with db.session() as session:
            row = QuestionnaireTemplate(
                code="empat", version=1, definition=_form("empat", ("e1", 4), ("e2", 4))
            )
            session.add(row)
            await session.flush()
            assert row.id is not None
            ends = dt.datetime(2026, 11, 9, 16, 0, tzinfo=TZ)
            program = await _program(session, unit.id, "Skala Empat", ends)
            program.template_id = row.id
            session.add(program)
            for n in range(5):  # every answer 3 of 1-4: two thirds of the range
                await _respond(
                    session, "program", program.id, row.id, 950 + n,
                    ends + dt.timedelta(days=1, hours=n), {("e1", -1): 3, ("e2", -1): 3},
                )  # fmt: skip
            await releases.catch_up(session, minimum=5)
            await session.commit()
        async with client(harness, session_cookie(harness, rina.id)) as http:
            asked = {"unit": "LSL-DUKCAPIL", "period": "2026-S2"}
            page = (await http.get("/laporan/ikm", params=asked)).text
            chart = await http.get("/laporan/ikm/tren.png", params={"unit": "LSL-DUKCAPIL"})
    assert "Pelatihan (indeks 0-100)</th>" in page
    assert _cells(page, "2026-10") == ["2026-10", "–", "–", "60", "5"]
    assert _cells(page, "2026-11") == ["2026-11", "–", "–", "66,67", "5"]
    assert Image.open(io.BytesIO(chart.content)).format == "PNG"
