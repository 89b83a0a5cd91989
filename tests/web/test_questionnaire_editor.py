"""An organizer builds their unit's questionnaire in the workspace: items added, reordered and
relabelled in a draft, previewed as the chat asks them, published as a version whose XLSForm
export reads back unchanged, then asked in the chat of a program given it. Another unit's
organizer finds nothing; forged items and a missing CSRF token are refused in words."""

from __future__ import annotations

import copy
import datetime as dt
import re

import httpx
import pytest
from sqlmodel import select

from bot.buttons import FillQuestionnaire
from bot.services import programs as program_service
from bot.services import questionnaires as engine
from bot.services import xlsform
from bot.services.access import Access
from bot.services.programs import ProgramError, ProgramSpec
from bot.storage import questionnaires as store
from bot.storage.audit import AuditEntry
from bot.storage.questionnaires import PROGRAM_SUBJECT
from tests.e2e.test_access import ADMIN, ASN, CITIZEN, ORG_A, ORG_B, _world
from tests.e2e.test_complaints import _db
from tests.web.helpers import client, csrf_of, session_cookie, web_harness

WORDS_ID = "Sangat kurang\nKurang\nBaik\nSangat baik"
WORDS_EN = "Very poor\nPoor\nGood\nVery good"
# The chat's buttons for that scale, top to bottom (the highest point first).
BUTTONS = ["4 Sangat baik", "3 Baik", "2 Kurang", "1 Sangat kurang"]
SHIPPED = "pelatihan"


def _item(text_id: str, text_en: str, **more: str) -> dict[str, str]:
    return {"text_id": text_id, "text_en": text_en, "required": "1", **more}


async def _post(http: httpx.AsyncClient, path: str, csrf: str, **form: str) -> httpx.Response:
    return await http.post(path, data={"csrf": csrf, **form})


def _buttons(page: str) -> list[str]:
    return re.findall(r'<li class="chat-button">([^<]*)</li>', page)


async def test_an_organizer_builds_previews_and_publishes_a_form_the_chat_then_asks(
    database_url: str,
) -> None:
    async with web_harness(database_url) as harness:
        w = await _world(harness)
        rina = w.people[ORG_A]
        cookies = session_cookie(harness, rina.id)
        editor = "/kuesioner/latih_a/ubah"
        async with client(harness, cookies) as http:
            csrf = csrf_of(harness, cookies)
            listed = await http.get("/kuesioner")
            # An organizer sees the shared forms, without the admins' upload.
            assert listed.status_code == 200 and "pelatihan" in listed.text
            assert "multipart/form-data" not in listed.text

            # A copy of the shipped form keeps its questions, under the new code.
            made = await _post(
                http, "/kuesioner/baru", csrf, code="salin_a", unit=str(w.unit_a), source=SHIPPED
            )
            assert made.status_code == 303
            async with _db(harness).session() as db:
                copy = await store.draft_of(db, "salin_a")
                shipped = await store.latest_template(db, "pelatihan")
                assert copy is not None and shipped is not None and copy.unit_id == w.unit_a
                assert copy.definition["questions"] == shipped.definition["questions"]

            made = await _post(http, "/kuesioner/baru", csrf, code="latih_a", unit=str(w.unit_a))
            assert made.status_code == 303 and made.headers["location"] == f"{editor}?done=new"
            taken = await _post(http, "/kuesioner/baru", csrf, code="latih_a", unit=str(w.unit_a))
            assert taken.status_code == 400 and "sudah dipakai" in taken.text

            added = await _post(
                http, editor, csrf, action="add", kind="text", **_item("Saran Anda?", "Advice?")
            )
            assert added.status_code == 303
            scale = _item(
                "Bagaimana pelayanan kami?",
                "How was our service?",
                kind="scale",
                words_id=WORDS_ID,
                words_en=WORDS_EN,
                role="overall",
            )
            assert (await _post(http, editor, csrf, action="add", **scale)).status_code == 303
            moved = await _post(http, editor, csrf, action="up", index="1")
            assert moved.headers["location"] == f"{editor}?done=up"
            edited = {**scale, "text_en": "How good was our service?"}
            del edited["kind"]
            assert (
                await _post(http, editor, csrf, action="edit", index="0", **edited)
            ).status_code == 303
            page = await http.get(editor)
            assert page.text.index("Bagaimana pelayanan kami?") < page.text.index("Saran Anda?")
            assert "How good was our service?" in page.text

            # A draft is given to no program.
            async with _db(harness).session() as db:
                assert await store.latest_template(db, "latih_a") is None

            preview = await http.get("/kuesioner/latih_a/pratinjau")
            assert preview.status_code == 200
            assert _buttons(preview.text) == BUTTONS
            assert "Bagaimana pelayanan kami?" in preview.text

            published = await _post(http, "/kuesioner/latih_a/terbitkan", csrf)
            assert published.headers["location"] == f"{editor}?done=publish"
            exported = await http.get("/kuesioner/latih_a/xlsform")
            assert exported.status_code == 200
            # Publishing is audited, as an import is.
            async with _db(harness).session() as db:
                row = await store.latest_template(db, "latih_a")
                assert row is not None and row.version == 1 and row.unit_id == w.unit_a
                assert await store.draft_of(db, "latih_a") is None
                assert row.id is not None
                template = await engine.template_of(db, row.id)
                audit = (
                    await db.exec(
                        select(AuditEntry).where(AuditEntry.action == "questionnaire_publish")
                    )
                ).all()
                assert [entry.actor_id for entry in audit] == [rina.id]
            again = xlsform.read_workbook(exported.content)
            assert again.model_dump() == template.model_dump()
            assert [q.role for q in template.questions] == ["overall", "comment"]

            # A second change and publish is version 2; programs keep version 1.
            reworded = {**edited, "text_id": "Bagaimana pelayanan kami hari ini?"}
            await _post(http, editor, csrf, action="edit", index="0", **reworded)
            await _post(http, "/kuesioner/latih_a/terbitkan", csrf)
            async with _db(harness).session() as db:
                latest = await store.latest_template(db, "latih_a")
                assert latest is not None and latest.version == 2

        # A program of the unit is given the form; one of another unit is not.
        andi = w.people[ASN]
        now = dt.datetime.now(dt.UTC)
        async with _db(harness).session() as db:
            spec = ProgramSpec(
                "Pelatihan Sunting",
                w.unit_a,
                now - dt.timedelta(days=2),
                now - dt.timedelta(days=1),
                questionnaire="latih_a",
            )
            caller = Access(user_id=rina.id, units=frozenset({w.unit_a}))
            program = await program_service.create_program(db, spec=spec, caller=None, now=now)
            other = ProgramSpec(
                "Lain", w.unit_b, spec.starts_at, spec.ends_at, questionnaire="latih_a"
            )
            with pytest.raises(ProgramError):
                await program_service.create_program(db, spec=other, caller=None, now=now)
            assert program.id is not None and caller.handles(w.unit_a)
            response = await engine.open_response(
                db,
                template_id=program.template_id,
                subject_kind=PROGRAM_SUBJECT,
                subject_id=program.id,
                respondent_id=andi.id,
            )
            await db.commit()
            assert response.id is not None
        emu = harness.emulator
        message = emu.last_message(andi)
        await emu.wait_acknowledged(
            emu.press_data(andi, message, FillQuestionnaire(response.id).pack())
        )
        asked = emu.last_with_buttons(andi)
        assert "Bagaimana pelayanan kami hari ini?" in asked.text
        labels = [label for label, _ in asked.buttons]
        assert labels[:4] == BUTTONS


async def test_other_units_citizens_visitors_and_forged_posts_are_refused(
    database_url: str,
) -> None:
    async with web_harness(database_url) as harness:
        w = await _world(harness)
        rina, dedi = w.people[ORG_A], w.people[ORG_B]
        editor = "/kuesioner/milik_a/ubah"
        cookies = session_cookie(harness, rina.id)
        async with client(harness, cookies) as http:
            csrf = csrf_of(harness, cookies)
            await _post(http, "/kuesioner/baru", csrf, code="milik_a", unit=str(w.unit_a))
            scale = _item("Nilai?", "Score?", kind="scale", words_id="A\nB", words_en="A\nB")
            assert (await _post(http, editor, csrf, action="add", **scale)).status_code == 303
            for index in ("99", "abc", "-1", ""):
                forged = await _post(http, editor, csrf, action="delete", index=index)
                assert forged.status_code == 400 and "tidak ada" in forged.text, index
            wrong = await _post(http, editor, csrf, action="add", kind="foto", **_item("X", "X"))
            assert wrong.status_code == 400 and "Pilih jenis butir" in wrong.text
            unequal = {**scale, "words_en": "A\nB\nC"}
            wrong = await _post(http, editor, csrf, action="add", **unequal)
            assert wrong.status_code == 400 and "Jumlah baris" in wrong.text
            empty = await _post(http, editor, csrf, action="add", kind="text", text_id=" ")
            assert empty.status_code == 400 and "wajib diisi" in empty.text
            for form in ({}, {"csrf": "wrong"}):
                refused = await http.post(editor, data={**form, "action": "delete", "index": "0"})
                assert refused.status_code == 403
            page = await http.get(editor)
            assert "Nilai?" in page.text  # nothing happened
            # Relabelling a choice keeps its options' codes (a condition may name them): one
            # whose codes came from an imported form ("ya", "tidak").
            choice = _item("Hadir?", "Present?", kind="choice", words_id="Ya\nTidak")
            await _post(http, editor, csrf, action="add", **{**choice, "words_en": "Y\nN"})
            async with _db(harness).session() as db:
                draft = await store.draft_of(db, "milik_a")
                assert draft is not None
                questions = copy.deepcopy(draft.definition["questions"])
                for option, code in zip(questions[1]["options"], ("ya", "tidak"), strict=True):
                    option["code"] = code
                draft.definition = {**draft.definition, "questions": questions}
                db.add(draft)
                await db.commit()
            relabelled = {**choice, "words_en": "Yes\nNo"}
            await _post(http, editor, csrf, action="edit", index="1", **relabelled)
            # Sharing is for admins only.
            shared = await _post(http, "/kuesioner/milik_a/terbitkan", csrf, shared="1")
            assert shared.status_code == 403

        other = session_cookie(harness, dedi.id)
        async with client(harness, other) as http:
            csrf = csrf_of(harness, other)
            assert "milik_a" not in (await http.get("/kuesioner")).text
            for answer in (
                await http.get(editor),
                await http.get("/kuesioner/milik_a/pratinjau"),
                await _post(http, editor, csrf, action="delete", index="0"),
                await _post(http, "/kuesioner/milik_a/terbitkan", csrf),
            ):
                assert answer.status_code == 404
            # Nor may they make a form for a unit that is not theirs.
            made = await _post(http, "/kuesioner/baru", csrf, code="curi", unit=str(w.unit_a))
            assert made.status_code == 400
        citizen = session_cookie(harness, w.people[CITIZEN].id)
        async with client(harness, citizen) as http:
            assert (await http.get(editor)).status_code == 403
        async with client(harness) as http:
            visitor = await http.get(editor)
            assert visitor.status_code == 303 and visitor.headers["location"] == "/"
        async with _db(harness).session() as db:
            draft = await store.draft_of(db, "milik_a")
            assert draft is not None and len(draft.definition["questions"]) == 2
            options = draft.definition["questions"][1]["options"]
            codes = [(o["code"], o["label"]["en"]) for o in options]
            assert codes == [("ya", "Yes"), ("tidak", "No")]

        # An admin publishes the unit's form as shared: now every unit's organizers see it.
        admin = session_cookie(harness, w.people[ADMIN].id)
        async with client(harness, admin) as http:
            csrf = csrf_of(harness, admin)
            shared = await _post(http, "/kuesioner/milik_a/terbitkan", csrf, shared="1")
            assert shared.headers["location"] == f"{editor}?done=publish"
        async with _db(harness).session() as db:
            row = await store.latest_template(db, "milik_a")
            assert row is not None and row.unit_id is None
        async with client(harness, other) as http:
            assert "milik_a" in (await http.get("/kuesioner")).text
