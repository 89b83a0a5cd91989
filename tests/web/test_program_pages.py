"""The workspace's programs over HTTP against the running bot: the calendar of an organizer's
own units in its groups, a program's page behind the small-n gate (no figure and no comment
below the minimum, both at it, never a name), its chart and export opened as files, creating
and changing a program by the chat's rules, its actions, and another unit's organizer finding
nothing at all."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
from PIL import Image
from sqlmodel import col, select

from bot.sandbox.harness import Harness
from bot.services import programs as program_service
from bot.services import releases
from bot.services.programs import ProgramSpec
from bot.storage.audit import AuditEntry
from bot.storage.models import User
from bot.storage.places import place_by_code
from bot.storage.programs import PROGRAM_CLOSED, Participant, Program
from bot.storage.questionnaires import PROGRAM_SUBJECT, RESPONSE_SUBMITTED, Answer, Response
from tests.e2e.test_complaints import _db, _setup_organizers
from tests.web.helpers import client, csrf_of, session_cookie, web_harness

MINIMUM = 5  # FEEDBACK_MIN_RESPONSES, the default
RATED = ("relevansi", "pemahaman", "metode", "sarana", "layanan", "manfaat")
INSTRUCTORS = ["Dr. Sari Wulandari", "Budi Hartono, M.Kom."]
NIPS = [f"19850101201001100{n}" for n in range(1, 7)]


async def _unit(harness: Harness, code: str) -> int:
    async with _db(harness).session() as session:
        unit = await place_by_code(session, code)
        assert unit is not None and unit.id is not None
        return unit.id


async def _program(
    harness: Harness,
    unit_code: str,
    title: str,
    starts: dt.timedelta,
    ends: dt.timedelta,
    instructors: list[str] | None = None,
) -> int:
    """A program of the unit starting and ending this far from now (made as the CLI does)."""
    now = dt.datetime.now(dt.UTC)
    unit_id = await _unit(harness, unit_code)
    async with _db(harness).session() as session:
        program = await program_service.create_program(
            session,
            spec=ProgramSpec(
                title=title,
                unit_id=unit_id,
                starts_at=now + starts,
                ends_at=now + ends,
                instructors=list(instructors or []),
                window_days=30,
            ),
            caller=None,
            now=now,
        )
        await session.commit()
        assert program.id is not None
        return program.id


async def _answer(harness: Harness, program_id: int, who: int, score: int, comment: str) -> None:
    """One participant joins and submits the questionnaire, released as the chat releases."""
    async with _db(harness).session() as session:
        program = await session.get(Program, program_id)
        assert program is not None
        session.add(
            Participant(
                program_id=program_id,
                user_id=who,
                nip=NIPS[who % len(NIPS)],
                work_unit=f"Bagian Umum nomor {who}",
            )
        )
        response = Response(
            template_id=program.template_id,
            subject_kind=PROGRAM_SUBJECT,
            subject_id=program_id,
            respondent_id=who,
            status=RESPONSE_SUBMITTED,
            submitted_at=dt.datetime.now(dt.UTC),
        )
        session.add(response)
        await session.flush()
        assert response.id is not None
        session.add_all(Answer(response_id=response.id, question=q, score=score) for q in RATED)
        for index in range(len(INSTRUCTORS)):
            for code in ("penguasaan", "penyampaian"):
                session.add(
                    Answer(response_id=response.id, question=code, instructor=index, score=score)
                )
        session.add(Answer(response_id=response.id, question="saran", text=comment))
        await releases.after_submit(session, response, minimum=MINIMUM)
        await session.commit()


async def _audited(harness: Harness, action: str) -> list[AuditEntry]:
    async with _db(harness).session() as session:
        query = select(AuditEntry).where(col(AuditEntry.action) == action)
        return list((await session.exec(query)).all())


def _row_titles(page: str) -> list[str]:
    return re.findall(r'<span class="ticket">([^<]+)</span>', page)


async def test_the_calendar_shows_the_units_programs_in_their_groups(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        _admin, rina, dedi = await _setup_organizers(harness.emulator)
        day = dt.timedelta(days=1)
        await _program(harness, "LSL-DUKCAPIL", "Pelatihan Berjalan", -day, day)
        await _program(harness, "LSL-DUKCAPIL", "Pelatihan Mendatang", 5 * day, 6 * day)
        await _program(harness, "LSL-DUKCAPIL", "Pelatihan Lalu", -10 * day, -9 * day)
        await _program(harness, "LSM-DINKES", "Pelatihan Unit Lain", -day, day)
        async with client(harness, session_cookie(harness, rina.id)) as http:
            page = (await http.get("/program")).text
            # Running first, then coming, then past; another unit's not at all.
            assert _row_titles(page) == [
                "Pelatihan Berjalan",
                "Pelatihan Mendatang",
                "Pelatihan Lalu",
            ]
            assert 'href="/program"' in page  # the navigation's link
            for group, title in (
                ("running", "Pelatihan Berjalan"),
                ("coming", "Pelatihan Mendatang"),
                ("past", "Pelatihan Lalu"),
            ):
                shown = (await http.get("/program", params={"group": group})).text
                assert _row_titles(shown) == [title], group
                assert f'<li class="row" data-group="{group}">' in shown
            # Dates in the unit's zone, figures as the chat's page gives them.
            assert "WIB" in page and "Peserta: 0 · sudah menjawab: 0 (0%)" in page
            # An unknown group is all of them; a page past the end is the last page.
            odd = (await http.get("/program", params={"group": "x", "page": "99"})).text
            assert len(_row_titles(odd)) == 3
        async with client(harness, session_cookie(harness, dedi.id)) as http:
            assert _row_titles((await http.get("/program")).text) == ["Pelatihan Unit Lain"]


async def test_a_program_page_shows_figures_and_comments_only_from_the_minimum(
    database_url: str,
) -> None:
    async with web_harness(database_url) as harness:
        _admin, rina, _dedi = await _setup_organizers(harness.emulator)
        day = dt.timedelta(days=1)
        program_id = await _program(
            harness, "LSL-DUKCAPIL", "Pelayanan Prima", -3 * day, -day, INSTRUCTORS
        )
        for who in range(1, MINIMUM):
            await _answer(harness, program_id, 9000 + who, 4, f"Materi nomor {who} sangat jelas.")
        cookies = session_cookie(harness, rina.id)
        async with client(harness, cookies) as http:
            below = (await http.get(f"/program/{program_id}")).text
            assert 'id="withheld"' in below and f"{MINIMUM} peserta" in below
            assert 'id="respondents">4<' in below  # the count the chat shows too
            for hidden in ("4,00", "Materi nomor", 'id="chart"', 'id="comments"'):
                assert hidden not in below, hidden
            # The chart below the minimum is the chart with nothing in it; the export has
            # no answer yet: both files open.
            chart = await http.get(f"/program/{program_id}/grafik.png")
            assert chart.headers["content-type"] == "image/png"
            assert Image.open(io.BytesIO(chart.content)).format == "PNG"
            empty_chart = chart.content
            export = await http.get(f"/program/{program_id}/ekspor")
            sheet = openpyxl.load_workbook(io.BytesIO(export.content)).worksheets[0]
            assert sheet.max_row == 1  # the header only
            # The join link and its QR code, the chat's.
            code = re.search(r'id="code">([A-Z0-9]+)<', below)
            assert code is not None and f"?start=ikut_{code.group(1)}" in below
            qr = await http.get(f"/program/{program_id}/qr.png")
            assert Image.open(io.BytesIO(qr.content)).format == "PNG"

            await _answer(harness, program_id, 9000 + MINIMUM, 2, "Sarana kelas perlu dibenahi.")
            at = (await http.get(f"/program/{program_id}")).text
            assert 'id="withheld"' not in at
            # (4 * 4 + 2) / 5 = 3.6 for each item, and for each instructor.
            assert "3,6/5" in at or "3,60/5" in at
            assert "Dr. Sari Wulandari" in at and "Budi Hartono, M.Kom." in at
            assert at.count(">3,6<") == len(INSTRUCTORS)
            assert "Sarana kelas perlu dibenahi." in at and "Materi nomor 1 sangat jelas." in at
            # Comments in no order of answering: alphabetical within their question.
            comments = re.findall(r"<li>((?:Materi|Sarana)[^<]+)</li>", at)
            assert comments == sorted(comments) and len(comments) == MINIMUM
            # Never who answered: no NIP, work unit or Telegram id of a participant.
            for who in range(1, MINIMUM + 1):
                assert str(9000 + who) not in at
                assert f"Bagian Umum nomor {9000 + who}" not in at
            assert not any(nip in at for nip in NIPS)
            assert f'src="/program/{program_id}/grafik.png"' in at

            chart = await http.get(f"/program/{program_id}/grafik.png")
            image = Image.open(io.BytesIO(chart.content))
            assert image.format == "PNG" and image.width >= 900  # the digest's phone chart
            # Drawn charts are kept by what they show: the released block is drawn anew.
            assert chart.content != empty_chart
            again = await http.get(f"/program/{program_id}/grafik.png")
            assert again.content == chart.content
            export = await http.get(f"/program/{program_id}/ekspor")
            assert "attachment" in export.headers["content-disposition"]
            book = openpyxl.load_workbook(io.BytesIO(export.content))
            answers = book.worksheets[0]
            assert answers.max_row == 1 + MINIMUM
            values = {str(c.value) for row in answers.iter_rows() for c in row}
            assert not any(str(9000 + who) in values for who in range(1, MINIMUM + 1))
        assert [e.actor_id for e in await _audited(harness, "program_export")] == [rina.id] * 2


async def test_create_and_edit_take_the_chats_rules_and_are_audited(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        _admin, rina, dedi = await _setup_organizers(harness.emulator)
        unit_id = await _unit(harness, "LSL-DUKCAPIL")
        cookies = session_cookie(harness, rina.id)
        csrf = csrf_of(harness, cookies)
        later = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=7)))
        start = (later + dt.timedelta(days=10)).strftime("%Y-%m-%dT08:00")
        end = (later + dt.timedelta(days=12)).strftime("%Y-%m-%dT16:00")
        form = {
            "csrf": csrf,
            "title": "Pelatihan Layanan Digital",
            "unit": str(unit_id),
            "provider": "Universitas Lampung",
            "start": start,
            "end": end,
            "mode": "blended",
            "instructors": "Dr. Sari; Budi Santoso",
            "window": "7",
        }
        async with client(harness, cookies) as http:
            new = await http.get("/program/baru")
            assert new.status_code == 200 and 'name="csrf"' in new.text
            assert f'<option value="{unit_id}" selected>' in new.text  # her only unit
            bad = await http.post("/program/baru", data={**form, "start": "2026-13-45T25:00"})
            assert bad.status_code == 400
            assert "Tanggal dan jam belum sesuai" in bad.text
            assert 'value="Pelatihan Layanan Digital"' in bad.text  # what she wrote stays
            backwards = await http.post("/program/baru", data={**form, "end": start})
            assert backwards.status_code == 400 and 'id="error"' in backwards.text
            far = await http.post("/program/baru", data={**form, "start": "9999-01-01T08:00"})
            assert far.status_code == 400
            lost = await http.post("/program/baru", data={**form, "csrf": "wrong"})
            assert lost.status_code == 403
            long = await http.post("/program/baru", data={**form, "title": "x" * 5000})
            assert long.status_code == 400
            async with _db(harness).session() as session:
                assert (await session.exec(select(Program))).all() == []
            made = await http.post("/program/baru", data=form)
            assert made.status_code == 303
            program_id = int(made.headers["location"].split("/")[2].split("?")[0])
            page = (await http.get(made.headers["location"])).text
            assert "tersimpan dengan kode" in page and "Universitas Lampung" in page
            assert "08.00 WIB" in page  # written on the unit's clock, shown on it
            async with _db(harness).session() as session:
                program = await session.get(Program, program_id)
                assert program is not None
                assert program.instructors == ["Dr. Sari", "Budi Santoso"]
                assert program.starts_at.astimezone(later.tzinfo).strftime("%H:%M") == "08:00"
            assert [e.actor_id for e in await _audited(harness, "program_create")] == [rina.id]

            edit = await http.get(f"/program/{program_id}/ubah")
            assert edit.status_code == 200 and 'value="Pelatihan Layanan Digital"' in edit.text
            changed = {**form, "title": "Pelatihan Layanan Digital Lanjutan"}
            bad = await http.post(
                f"/program/{program_id}/ubah", data={**changed, "end": "kemarin"}
            )
            assert bad.status_code == 400 and "Tanggal dan jam belum sesuai" in bad.text
            saved = await http.post(f"/program/{program_id}/ubah", data=changed)
            assert saved.status_code == 303
            assert "Perubahan program" in (await http.get(saved.headers["location"])).text
            async with _db(harness).session() as session:
                program = await session.get(Program, program_id)
                assert program is not None and program.title.endswith("Lanjutan")
            assert [e.actor_id for e in await _audited(harness, "program_edit")] == [rina.id]
        # An organizer reading English is refused in English.
        async with _db(harness).session() as session:
            user = await session.get(User, dedi.id)
            assert user is not None
            user.language = "en"
            session.add(user)
            await session.commit()
        dedi_cookies = session_cookie(harness, dedi.id)
        async with client(harness, dedi_cookies) as http:
            other = await _unit(harness, "LSM-DINKES")
            answer = await http.post(
                "/program/baru",
                data={
                    **form,
                    "csrf": csrf_of(harness, dedi_cookies),
                    "unit": str(other),
                    "end": "",
                },
            )
            assert answer.status_code == 400 and "The date and time are not valid" in answer.text
            # Rina's unit in his form: refused, nothing made.
            answer = await http.post(
                "/program/baru", data={**form, "csrf": csrf_of(harness, dedi_cookies)}
            )
            assert answer.status_code == 400
        assert len(await _audited(harness, "program_create")) == 1


async def test_the_actions_go_through_the_chats_services(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        _admin, rina, _dedi = await _setup_organizers(harness.emulator)
        day = dt.timedelta(days=1)
        program_id = await _program(harness, "LSL-DUKCAPIL", "Pelatihan Arsip", -day, day)
        cookies = session_cookie(harness, rina.id)
        csrf = csrf_of(harness, cookies)
        async with client(harness, cookies) as http:

            async def act(action: str) -> tuple[int, str]:
                """The action, and the page it leads to (after the redirect)."""
                answer = await http.post(
                    f"/program/{program_id}/tindakan", data={"csrf": csrf, "action": action}
                )
                if answer.status_code != 303:
                    return answer.status_code, answer.text
                assert answer.headers["location"] == f"/program/{program_id}?done={action}"
                answer = await http.get(answer.headers["location"])
                return answer.status_code, answer.text

            status, page = await act("send")  # nobody joined: refused with the chat's reason
            assert status == 400 and 'id="error"' in page
            status, page = await act("extend")
            assert status == 200 and "diperpanjang 7 hari" in page
            status, page = await act("close")
            assert status == 200 and 'id="action-reopen"' in page
            assert "0 dari 0 peserta sudah mengirim jawaban" in page
            async with _db(harness).session() as session:
                program = await session.get(Program, program_id)
                assert program is not None and program.status == PROGRAM_CLOSED
            status, page = await act("reopen")
            assert status == 200 and 'id="action-close"' in page
            assert "dibuka lagi sampai" in page and "WIB" in page
            status, page = await act("nonsense")
            assert status == 400 and "tidak tersedia" in page
            deleted = await http.post(
                f"/program/{program_id}/tindakan", data={"csrf": csrf, "action": "delete"}
            )
            assert deleted.status_code == 303 and deleted.headers["location"].startswith(
                "/program"
            )
            assert (await http.get(f"/program/{program_id}")).status_code == 404
        for action in ("program_extend", "program_close", "program_reopen", "program_delete"):
            assert [e.actor_id for e in await _audited(harness, action)] == [rina.id], action


async def test_another_units_organizer_finds_no_program_anywhere(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        _admin, _rina, dedi = await _setup_organizers(harness.emulator)
        day = dt.timedelta(days=1)
        program_id = await _program(harness, "LSL-DUKCAPIL", "Pelatihan Rahasia", -day, day)
        cookies = session_cookie(harness, dedi.id)
        csrf = csrf_of(harness, cookies)
        one = f"/program/{program_id}"
        async with client(harness, cookies) as http:
            for path in (
                one,
                f"{one}/ubah",
                f"{one}/grafik.png",
                f"{one}/ekspor",
                f"{one}/qr.png",
            ):
                answer = await http.get(path)
                assert answer.status_code == 404, path
                assert "Pelatihan Rahasia" not in answer.text
            for path, form in (
                (f"{one}/ubah", {"title": "Diambil alih", "start": "x", "end": "y"}),
                (f"{one}/tindakan", {"action": "delete"}),
                (f"{one}/tindakan", {"action": "close"}),
            ):
                answer = await http.post(path, data={"csrf": csrf, **form})
                assert answer.status_code == 404, path
            # A missing program answers the same.
            for missing in ("999999", "0", "99999999999999999999999"):
                assert (await http.get(f"/program/{missing}")).status_code == 404
                assert (await http.get(f"/program/{missing}/grafik.png")).status_code == 404
        async with _db(harness).session() as session:
            program = await session.get(Program, program_id)
            assert program is not None and program.title == "Pelatihan Rahasia"
            assert program.status != PROGRAM_CLOSED


async def test_the_page_counts_against_the_class_list_and_reminds_once_a_day(
    database_url: str,
) -> None:
    """The class list's figures (people, never answers) and "remind now" through the service
    the chat's button calls: those still open are reminded, once a day."""
    from bot.services import classlists
    from bot.services.access import Access
    from bot.storage.programs import PROGRAM_OPEN
    from bot.storage.questionnaires import RESPONSE_OPEN

    async with web_harness(database_url) as harness:
        _admin, rina, _dedi = await _setup_organizers(harness.emulator)
        day = dt.timedelta(days=1)
        program_id = await _program(harness, "LSL-DUKCAPIL", "Pelatihan Arsip", -2 * day, -day)
        await _answer(harness, program_id, 701, 4, "Materi jelas dan bermanfaat untuk kantor")
        async with _db(harness).session() as session:
            program = await session.get(Program, program_id)
            assert program is not None
            program.status, program.sent_at = PROGRAM_OPEN, dt.datetime.now(dt.UTC)
            session.add(program)
            session.add(Participant(program_id=program_id, user_id=702, nip=NIPS[702 % 6]))
            session.add(
                Response(
                    template_id=program.template_id,
                    subject_kind=PROGRAM_SUBJECT,
                    subject_id=program_id,
                    respondent_id=702,
                    status=RESPONSE_OPEN,
                )
            )
            people = [
                classlists.ListedPerson(f"Peserta {n}", NIPS[n % 6], "Bagian Umum")
                for n in (701, 702, 703)
            ]
            await classlists.import_list(
                session, Access.command_line(), program_id, enumerate(people, start=2)
            )
            await session.commit()
        cookies = session_cookie(harness, rina.id)
        csrf = csrf_of(harness, cookies)
        async with client(harness, cookies) as http:
            page = (await http.get(f"/program/{program_id}")).text
            assert "Daftar kelas: 3 orang · bergabung: 2 · sudah menjawab: 1 · 33%" in page
            assert "Peserta 70" not in page  # the page shows counts, not who
            first = await http.post(
                f"/program/{program_id}/tindakan", data={"csrf": csrf, "action": "remind"}
            )
            again = await http.post(
                f"/program/{program_id}/tindakan", data={"csrf": csrf, "action": "remind"}
            )
        assert first.status_code == 200 and "belum menjawab: 1." in first.text
        assert again.status_code == 200 and "belum menjawab: 0." in again.text
        assert [e.detail for e in await _audited(harness, "classlist_remind")] == ["1", "0"]


async def test_the_form_offers_the_evaluations_and_the_service_refuses_the_others(
    database_url: str,
) -> None:
    """A program's questionnaire is chosen on the form from the evaluations the organizer
    may use; the SKM, the follow-ups and knowledge tests are refused by the service, whatever
    the form sends; an edit that keeps the questionnaire keeps the version it was given."""
    async with web_harness(database_url) as harness:
        _admin, rina, _dedi = await _setup_organizers(harness.emulator)
        unit_id = await _unit(harness, "LSL-DUKCAPIL")
        cookies = session_cookie(harness, rina.id)
        csrf = csrf_of(harness, cookies)
        later = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=7)))
        form = {
            "csrf": csrf,
            "title": "Pelatihan Arsip Digital",
            "unit": str(unit_id),
            "provider": "",
            "start": (later + dt.timedelta(days=10)).strftime("%Y-%m-%dT08:00"),
            "end": (later + dt.timedelta(days=11)).strftime("%Y-%m-%dT16:00"),
            "mode": "klasikal",
            "instructors": "",
            "window": "7",
        }
        async with client(harness, cookies) as http:
            new = (await http.get("/program/baru")).text
            offered = re.findall(
                r'<option value="([a-z0-9_]+)"', new.split('id="questionnaire"')[1]
            )
            assert "pelatihan" in offered
            assert not {"skm", "pasca", "atasan", "uji_prima"} & set(offered)
            for forged in ("skm", "pasca", "tidak_ada"):
                refused = await http.post("/program/baru", data={**form, "questionnaire": forged})
                assert refused.status_code == 400 and 'id="error"' in refused.text, forged
            async with _db(harness).session() as session:
                assert (await session.exec(select(Program))).all() == []
            made = await http.post("/program/baru", data={**form, "questionnaire": "pelatihan"})
            assert made.status_code == 303
            program_id = int(made.headers["location"].split("/")[2].split("?")[0])
            async with _db(harness).session() as session:
                program = await session.get(Program, program_id)
                assert program is not None
                given = program.template_id
            edit = (await http.get(f"/program/{program_id}/ubah")).text
            assert '<option value="pelatihan" selected>' in edit
            saved = await http.post(
                f"/program/{program_id}/ubah",
                data={**form, "title": "Pelatihan Arsip Digital II", "questionnaire": "pelatihan"},
            )
            assert saved.status_code == 303
        async with _db(harness).session() as session:
            program = await session.get(Program, program_id)
            assert program is not None and program.template_id == given
            assert program.title == "Pelatihan Arsip Digital II"
