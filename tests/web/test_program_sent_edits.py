"""The workspace's change of a program once its questionnaire went out: the questionnaire,
the instructors and the languages are no longer offered, the page says why, the rest may
still change, and a post that changes the instructors anyway is refused politely."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.sandbox.harness import Harness
from bot.services import feedback
from bot.storage.programs import Participant, Program
from tests.e2e.test_complaints import _db, _setup_organizers
from tests.web.helpers import client, csrf_of, session_cookie, web_harness
from tests.web.test_program_pages import INSTRUCTORS, _program

SENT = "sudah dikirim/dibuka peserta"


async def _sent(harness: Harness, program_id: int) -> None:
    """One participant, and the questionnaire sent to them (open, nothing answered)."""
    async with _db(harness).session() as session:
        program = await session.get(Program, program_id)
        assert program is not None
        session.add(Participant(program_id=program_id, user_id=7001))
        await session.flush()
        rules = feedback.Rules(
            reminder_hours=(),
            sending_hours=(dt.time(0, 0), dt.time(23, 59)),
            default_tz=ZoneInfo("Asia/Jakarta"),
        )
        await feedback.dispatch(session, program, now=dt.datetime.now(dt.UTC), rules=rules)
        await session.commit()


async def test_a_sent_questionnaire_keeps_its_instructors_on_the_workspace(
    database_url: str,
) -> None:
    async with web_harness(database_url) as harness:
        _admin, rina, _dedi = await _setup_organizers(harness.emulator)
        program_id = await _program(
            harness,
            "LSL-DUKCAPIL",
            "Pelatihan Arsip",
            dt.timedelta(days=-3),
            dt.timedelta(days=-1),
            INSTRUCTORS,
        )
        cookies = session_cookie(harness, rina.id)
        csrf = csrf_of(harness, cookies)
        async with client(harness, cookies) as http:
            before = await http.get(f"/program/{program_id}/ubah")
            assert 'name="instructors"' in before.text and SENT not in before.text
            await _sent(harness, program_id)
            page = await http.get(f"/program/{program_id}/ubah")
            assert page.status_code == 200 and SENT in page.text
            assert 'name="instructors"' not in page.text
            assert 'name="questionnaire"' not in page.text
            form = {
                "csrf": csrf,
                "title": "Pelatihan Arsip Digital",
                "start": (dt.datetime.now() - dt.timedelta(days=3)).strftime("%Y-%m-%dT08:00"),
                "end": (dt.datetime.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT16:00"),
                "mode": "klasikal",
                "window": "30",
            }
            changed = await http.post(
                f"/program/{program_id}/ubah", data={**form, "instructors": "Budi Santoso"}
            )
            assert changed.status_code == 400 and SENT in changed.text
            assert 'name="instructors"' not in changed.text
            saved = await http.post(f"/program/{program_id}/ubah", data=form)
            assert saved.status_code == 303
        async with _db(harness).session() as session:
            program = await session.get(Program, program_id)
            assert program is not None
            assert program.title == "Pelatihan Arsip Digital"
            assert program.instructors == INSTRUCTORS
