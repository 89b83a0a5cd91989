"""The web program page prints the knowledge test's figures as the chat does: "–" for each
below the minimum, the class means and Hake's gain once a block of tests is released."""

from __future__ import annotations

import datetime as dt

from bot.services import knowledge, releases
from bot.services.access import Access
from bot.services.questionnaires import latest
from bot.storage.questionnaires import (
    POSTTEST_SUBJECT,
    PRETEST_SUBJECT,
    RESPONSE_SUBMITTED,
    Answer,
    Response,
)
from tests.e2e.test_complaints import _db, _setup_organizers
from tests.web.helpers import client, session_cookie, web_harness
from tests.web.test_program_pages import MINIMUM, _program

RIGHT = {"q1": "a", "q2": "a", "q3": "b", "q4": "a", "q5": "c"}


async def _took(harness, program_id: int, kind: str, who: int, right: int) -> None:  # type: ignore[no-untyped-def]
    """A submitted test with the first `right` questions right ("z" is no option's code)."""
    async with _db(harness).session() as session:
        template = await latest(session, "uji_prima")
        assert template.id is not None
        response = Response(
            template_id=template.id,
            subject_kind=kind,
            subject_id=program_id,
            respondent_id=who,
            status=RESPONSE_SUBMITTED,
            submitted_at=dt.datetime.now(dt.UTC),
        )
        session.add(response)
        await session.flush()
        assert response.id is not None
        for number, (code, option) in enumerate(RIGHT.items()):
            chosen = option if number < right else "z"
            session.add(Answer(response_id=response.id, question=code, choice=chosen))
        await releases.after_submit(session, response, minimum=MINIMUM)
        await session.commit()


async def test_the_web_page_withholds_then_shows_the_means_and_the_gain(
    database_url: str,
) -> None:
    async with web_harness(database_url) as harness:
        _admin, rina, _dedi = await _setup_organizers(harness.emulator)
        day = dt.timedelta(days=1)
        program_id = await _program(harness, "LSL-DUKCAPIL", "Pelayanan Prima", -3 * day, -day)
        async with _db(harness).session() as session:
            await knowledge.configure(session, Access.command_line(), program_id, "uji_prima")
            await session.commit()
        async with client(harness, session_cookie(harness, rina.id)) as http:
            page = (await http.get(f"/program/{program_id}")).text
            assert 'id="knowledge"' in page
            assert "uji awal – · uji akhir – · gain ternormalisasi –" in page
            for who in range(MINIMUM):
                await _took(harness, program_id, PRETEST_SUBJECT, 500 + who, 2)  # 40 %
                await _took(harness, program_id, POSTTEST_SUBJECT, 500 + who, 4 if who else 1)
            # Pre 40 %, post (4 * 80 + 20) / 5 = 68 %: <g> = 28 / 60 = 0.47.
            page = (await http.get(f"/program/{program_id}")).text
            assert "uji awal 40% · uji akhir 68% · gain ternormalisasi 0,47" in page
