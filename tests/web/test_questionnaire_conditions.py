"""The editor's conditions and discarding a draft: an organizer says when an item is asked
(always, in one program mode, after one answer to an earlier choice) with plain controls,
sees it in words in the editor and the preview, cannot leave a condition naming an item that
is no longer above it, publishes a form whose XLSForm export reads back with the same
conditions, and a program in e-learning asks only the e-learning items in the chat. A draft is
discarded after a confirmation page (the published version stays), by its unit's organizers
only and never without the session's CSRF token."""

from __future__ import annotations

import datetime as dt
import re

import httpx
from sqlmodel import select

from bot.buttons import FillQuestionnaire
from bot.services import programs as program_service
from bot.services import questionnaires as engine
from bot.services import xlsform
from bot.services.programs import ProgramSpec
from bot.storage import questionnaires as store
from bot.storage.audit import AuditEntry
from bot.storage.questionnaires import PROGRAM_SUBJECT
from tests.e2e.helpers import choose, say, tap
from tests.e2e.test_access import ASN, ORG_A, ORG_B, _world
from tests.e2e.test_complaints import _db
from tests.web.helpers import client, csrf_of, session_cookie, web_harness

EDITOR = "/kuesioner/syarat_a/ubah"
PRESENT = "Anda hadir langsung?"
ROOM = "Kenyamanan ruang kelas?"
PLATFORM = "Kemudahan platform e-learning?"
WHY = "Mengapa tidak hadir langsung?"
WORDS = {"words_id": "Kurang\nCukup\nBaik\nSangat baik", "words_en": "Poor\nFair\nGood\nVery good"}


async def _post(http: httpx.AsyncClient, path: str, csrf: str, **form: str) -> httpx.Response:
    return await http.post(path, data={"csrf": csrf, **form})


def _item(kind: str, text_id: str, text_en: str, **more: str) -> dict[str, str]:
    return {"action": "add", "kind": kind, "text_id": text_id, "text_en": text_en, **more}


def _when(page: str, index: int) -> str:
    found = re.search(rf'id="when-{index}">([^<]*)<', page)
    assert found is not None, index
    return found.group(1)


async def _relevant(harness: object, code: str) -> list[object]:
    async with _db(harness).session() as db:  # type: ignore[arg-type]
        draft = await store.draft_of(db, code)
        assert draft is not None
        return [q.get("relevant") for q in draft.definition["questions"]]


async def test_conditions_are_set_changed_cleared_checked_published_and_asked(
    database_url: str,
) -> None:
    async with web_harness(database_url) as harness:
        w = await _world(harness)
        rina = w.people[ORG_A]
        cookies = session_cookie(harness, rina.id)
        async with client(harness, cookies) as http:
            csrf = csrf_of(harness, cookies)
            await _post(http, "/kuesioner/baru", csrf, code="syarat_a", unit=str(w.unit_a))
            choice = _item("choice", PRESENT, "Present in person?", required="1")
            choice.update(words_id="Ya\nTidak", words_en="Yes\nNo")
            for form in (
                choice,
                _item("scale", ROOM, "Classroom comfort?", required="1", **WORDS),
                _item("scale", PLATFORM, "E-learning platform?", required="1", **WORDS),
                _item("text", WHY, "Why not in person?", required="1"),
            ):
                assert (await _post(http, EDITOR, csrf, **form)).status_code == 303
            page = (await http.get(EDITOR)).text
            assert _when(page, 0) == "Selalu ditanyakan."
            # The first item has no earlier answer to depend on; the fourth offers the first's.
            assert 'id="condition-0"' in page and "Belum ada butir pilihan" in page
            assert '<option value="p1:o2">Tidak</option>' in page

            def condition(index: int, **fields: str) -> dict[str, str]:
                return {"action": "condition", "index": str(index), **fields}

            for index, fields in (
                (1, {"when": "mode", "mode": "klasikal"}),
                (2, {"when": "mode", "mode": "blended"}),
                (3, {"when": "answer", "answer": "p1:o2"}),
            ):
                done = await _post(http, EDITOR, csrf, **condition(index, **fields))
                assert done.headers["location"] == f"{EDITOR}?done=condition"
            # Changed: blended becomes e-learning; set on the text, cleared, set again.
            await _post(http, EDITOR, csrf, **condition(2, when="mode", mode="elearning"))
            await _post(http, EDITOR, csrf, **condition(3, when="always"))
            assert (await _relevant(harness, "syarat_a"))[3] is None
            await _post(http, EDITOR, csrf, **condition(3, when="answer", answer="p1:o2"))
            relevant = await _relevant(harness, "syarat_a")
            assert relevant[0] is None
            assert relevant[1] == {
                "conditions": [{"on": "mode", "op": "eq", "value": "klasikal"}], "any": False,
            }  # fmt: skip
            assert relevant[2]["conditions"][0]["value"] == "elearning"  # type: ignore[index]
            assert relevant[3]["conditions"][0] == {"on": "p1", "op": "eq", "value": "o2"}  # type: ignore[index]

            page = (await http.get(EDITOR)).text
            assert _when(page, 1) == "Hanya ditanyakan bila moda program Klasikal (tatap muka)."
            assert _when(page, 3) == (
                f"Hanya ditanyakan bila jawaban butir 1 (“{PRESENT}”) adalah “Tidak”."
            )
            # The controls show what is set.
            assert '<option value="elearning" selected>' in page
            assert '<option value="p1:o2" selected>' in page

            # Refused in words, nothing changed: an unknown mode or answer, an item that is not
            # earlier (itself, a later one, a text), an unknown choice of when, no such item.
            for index, fields, words in (
                (1, {"when": "mode", "mode": "daring"}, "Pilih salah satu moda"),
                (3, {"when": "answer", "answer": "p1:o9"}, "Jawaban itu tidak ada"),
                (0, {"when": "answer", "answer": "p1:o1"}, "di atas butir ini"),
                (1, {"when": "answer", "answer": "p3:1"}, "di atas butir ini"),
                (3, {"when": "answer", "answer": "p4:x"}, "di atas butir ini"),
                (3, {"when": "sometimes"}, "Pilih kapan butir ini ditanyakan"),
                (9, {"when": "always"}, "tidak ada"),
            ):
                refused = await _post(http, EDITOR, csrf, **condition(index, **fields))
                assert refused.status_code == 400 and words in refused.text, fields
            assert await _relevant(harness, "syarat_a") == relevant

            # Moving the "why" item above the one it depends on, or deleting that one, or
            # making it an item asked per instructor is refused with both named.
            for index in ("3", "2"):
                assert (
                    await _post(http, EDITOR, csrf, action="up", index=index)
                ).status_code == 303
            moved = await _post(http, EDITOR, csrf, action="up", index="1")
            assert moved.status_code == 400
            assert f"Butir 1 (“{WHY}”)" in moved.text and f"“{PRESENT}”" in moved.text
            deleted = await _post(http, EDITOR, csrf, action="delete", index="0")
            assert deleted.status_code == 400 and "Ubah atau hapus syarat butir" in deleted.text
            edited = {
                "action": "edit", "index": "0", "text_id": PRESENT, "text_en": "Present?",
                "per_instructor": "1", "required": "1",
            }  # fmt: skip
            assert (await _post(http, EDITOR, csrf, **edited)).status_code == 400
            # A new number of options renumbers them: the answer named may be gone.
            fewer = {**edited, "per_instructor": "", "words_id": "A\nB\nC", "words_en": "A\nB\nC"}
            del fewer["per_instructor"]
            still = await _post(http, EDITOR, csrf, **fewer)
            assert still.status_code == 303  # o2 is still an option
            await _post(
                http, EDITOR, csrf, **{**fewer, "words_id": "Ya\nTidak", "words_en": "Y\nN"}
            )
            for index in ("1", "2"):
                await _post(http, EDITOR, csrf, action="down", index=index)
            page = (await http.get(EDITOR)).text
            order = [page.index(text) for text in (PRESENT, ROOM, PLATFORM, WHY)]
            assert order == sorted(order)

            preview = (await http.get("/kuesioner/syarat_a/pratinjau")).text
            assert "Hanya ditanyakan bila moda program E-learning." in preview
            assert "adalah “Tidak”" in preview and 'id="when-0"' not in preview

            published = await _post(http, "/kuesioner/syarat_a/terbitkan", csrf)
            assert published.headers["location"] == f"{EDITOR}?done=publish"
            exported = await http.get("/kuesioner/syarat_a/xlsform")
        async with _db(harness).session() as db:
            row = await store.latest_template(db, "syarat_a")
            assert row is not None and row.id is not None
            template = await engine.template_of(db, row.id)
        again = xlsform.read_workbook(exported.content)
        assert [q.relevant for q in again.questions] == [q.relevant for q in template.questions]
        assert again.model_dump() == template.model_dump()
        assert xlsform._expression(template.questions[1].relevant) == "${mode} = 'klasikal'"

        # An e-learning program on the form: the platform is asked, the room never; "why" only
        # after "Tidak".
        andi = w.people[ASN]
        now = dt.datetime.now(dt.UTC)
        async with _db(harness).session() as db:
            spec = ProgramSpec(
                "Pelatihan Daring",
                w.unit_a,
                now - dt.timedelta(days=2),
                now - dt.timedelta(days=1),
                mode="elearning",
                questionnaire="syarat_a",
            )
            program = await program_service.create_program(db, spec=spec, caller=None, now=now)
            assert program.id is not None
            response = await engine.open_response(
                db,
                template_id=program.template_id,
                subject_kind=PROGRAM_SUBJECT,
                subject_id=program.id,
                respondent_id=andi.id,
            )
            await db.commit()
        emu = harness.emulator
        before = len(emu.messages(andi))
        await emu.wait_acknowledged(
            emu.press_data(
                andi, emu.last_message(andi), FillQuestionnaire(response.id or 0).pack()
            )
        )
        assert PRESENT in emu.last_with_buttons(andi).text
        await tap(emu, andi, "Tidak")
        assert PLATFORM in emu.last_with_buttons(andi).text
        await choose(emu, andi, 3)
        await say(emu, andi, "Rapat dinas di kantor")
        asked = " ".join(m.text for m in emu.messages(andi)[before:])
        assert PLATFORM in asked and WHY in asked and ROOM not in asked


async def test_a_draft_is_discarded_after_confirmation_and_its_published_version_stays(
    database_url: str,
) -> None:
    async with web_harness(database_url) as harness:
        w = await _world(harness)
        rina, dedi = w.people[ORG_A], w.people[ORG_B]
        cookies = session_cookie(harness, rina.id)
        editor = "/kuesioner/buang_a/ubah"
        async with client(harness, cookies) as http:
            csrf = csrf_of(harness, cookies)
            await _post(http, "/kuesioner/baru", csrf, code="buang_a", unit=str(w.unit_a))
            await _post(http, editor, csrf, **_item("text", "Saran?", "Advice?"))
            await _post(http, "/kuesioner/buang_a/terbitkan", csrf)
            # Nothing to discard after publishing.
            nothing = await http.get("/kuesioner/buang_a/buang")
            assert nothing.status_code == 400 and "tidak punya draf" in nothing.text
            assert (await _post(http, "/kuesioner/buang_a/buang", csrf)).status_code == 400
            await _post(http, editor, csrf, **_item("text", "Lainnya?", "Other?"))
            listed = (await http.get("/kuesioner")).text
            assert 'href="/kuesioner/buang_a/ubah">lanjutkan</a>' in listed
            assert 'href="/kuesioner/buang_a/buang">buang</a>' in listed
            assert 'id="discard-link"' in (await http.get(editor)).text
            confirm = await http.get("/kuesioner/buang_a/buang")
            assert confirm.status_code == 200 and "(2 butir) akan hilang" in confirm.text
            assert "Versi 1 yang sudah diterbitkan tidak berubah" in confirm.text

        # Another unit's organizer finds nothing; a post without the token does nothing.
        other = session_cookie(harness, dedi.id)
        async with client(harness, other) as http:
            assert (await http.get("/kuesioner/buang_a/buang")).status_code == 404
            refused = await _post(http, "/kuesioner/buang_a/buang", csrf_of(harness, other))
            assert refused.status_code == 404
        async with client(harness, cookies) as http:
            for form in ({}, {"csrf": "wrong"}):
                assert (await http.post("/kuesioner/buang_a/buang", data=form)).status_code == 403
            async with _db(harness).session() as db:
                assert await store.draft_of(db, "buang_a") is not None

            done = await _post(http, "/kuesioner/buang_a/buang", csrf)
            assert done.status_code == 200
            assert "Versi 1 yang sudah diterbitkan tetap dipakai" in done.text
            page = (await http.get(editor)).text
            assert "Lainnya?" not in page and "Saran?" in page
            assert 'id="drafts"' not in (await http.get("/kuesioner")).text

            # A form never published is gone whole: its code is free again.
            await _post(http, "/kuesioner/baru", csrf, code="coba_a", unit=str(w.unit_a))
            done = await _post(http, "/kuesioner/coba_a/buang", csrf)
            assert "kodenya bebas lagi" in done.text
            assert (await http.get("/kuesioner/coba_a/ubah")).status_code == 404
        async with _db(harness).session() as db:
            row = await store.latest_template(db, "buang_a")
            assert row is not None and row.version == 1
            assert len(row.definition["questions"]) == 1
            audit = (
                await db.exec(
                    select(AuditEntry).where(AuditEntry.action == "questionnaire_discard")
                )
            ).all()
            assert [(a.actor_id, a.detail) for a in audit] == [
                (rina.id, "buang_a"), (rina.id, "coba_a"),
            ]  # fmt: skip
