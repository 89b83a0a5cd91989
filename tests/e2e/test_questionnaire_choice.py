"""A program's own questionnaire chosen in the chat, and the languages it is asked in: an
organizer creates a program on a form of their unit and a participant answers its items; a
form of another unit sent as forged button data is refused; the questionnaire is changed in
the chat until the first answer and refused after; a program kept to Indonesian asks an
English-speaking participant in Indonesian, the bot's own words around in English; the
workspace's program form offers the languages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, select

from bot.buttons import NewProgram, ProgramAction
from bot.jobs.feedback import run_due
from bot.sandbox.emulator import BotApiEmulator, Persona
from bot.sandbox.harness import Harness
from bot.services import questionnaires
from bot.storage.places import place_by_code
from bot.storage.programs import Program
from bot.storage.questionnaires import RESPONSE_SUBMITTED, Answer, Response
from tests.conftest import harness_with
from tests.e2e.helpers import choose, onboard, say, step, tap, text_of
from tests.e2e.test_complaints import _setup_organizers
from tests.e2e.test_feedback import WIB
from tests.services.test_questionnaire_choice import small_form, store
from tests.web.helpers import client, csrf_of, session_cookie, web_harness

OWN, SHARED, OTHERS, ONLY_ID = "milik_kami", "bersama", "milik_lain", "hanya_kami"
FILL_ID, FILL_EN = "📝 Isi kuesioner", "📝 Answer the questionnaire"


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    """The bot sending at any hour: the test sends "now"."""
    async with harness_with(database_url, SENDING_HOURS="00:00-23:59") as running:
        yield running


def _state(harness: Harness):  # type: ignore[no-untyped-def]
    assert harness.runner is not None
    return harness.runner.application.bot_data


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


async def _forms(harness: Harness) -> None:
    """Dukcapil's own form (both languages), an Indonesian-only one of theirs, a shared one and
    one of Dinkes."""
    db = _state(harness).db
    async with db.session() as session:
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        other = await place_by_code(session, "LSM-DINKES")
        assert unit and unit.id and other and other.id
    await store(db, small_form(OWN, "Evaluasi Dukcapil"), unit.id)
    await store(db, small_form(ONLY_ID, "Evaluasi Singkat", english=False), unit.id)
    await store(db, small_form(SHARED, "Evaluasi Bersama"), None)
    await store(db, small_form(OTHERS, "Evaluasi Dinkes"), other.id)


async def _program(harness: Harness, code: str) -> Program:
    async with _state(harness).db.session() as session:
        return (await session.exec(select(Program).where(col(Program.code) == code))).one()


async def _template_code(harness: Harness, program: Program) -> str:
    async with _state(harness).db.session() as session:
        return (await questionnaires.template_of(session, program.template_id)).code


async def _until_form(emu: BotApiEmulator, rina: Persona, title: str) -> str:
    """Rina's new program up to the questionnaire's step; returns what it asks."""
    start = dt.datetime.now(WIB) + dt.timedelta(days=1)
    await say(emu, rina, "/program")
    await tap(emu, rina, NewProgram().pack())
    await say(emu, rina, title)
    await tap(emu, rina, step("p", "provider", "skip"))
    await say(emu, rina, start.strftime("%d-%m-%Y 08:00"))
    await say(emu, rina, (start + dt.timedelta(days=1)).strftime("%d-%m-%Y 16:00"))
    await tap(emu, rina, step("p", "mode", "klasikal"))
    return text_of(await tap(emu, rina, step("p", "instructors", "skip")))


async def _save(emu: BotApiEmulator, rina: Persona) -> str:
    saved = text_of(await tap(emu, rina, step("p", "confirm", "save")))
    assert "tersimpan dengan kode" in saved
    return saved.split("dengan kode ")[1].split(".")[0].strip()


async def _invite(harness: Harness, rina: Persona, program: Program, who: Persona) -> None:
    """`who` joins; Rina sends the questionnaire now; the invitation arrives."""
    emu = harness.emulator
    assert program.id is not None
    await onboard(emu, who, "asn")
    await say(emu, who, f"/gabung {program.code}")
    await tap(emu, rina, ProgramAction(program.id, "send").pack())
    await tap(emu, rina, "Ya")
    await run_due(_state(harness))
    fill = FILL_EN if who.language_code == "en" else FILL_ID
    await emu.wait_until(
        lambda: any(fill in [label for label, _ in m.buttons] for m in emu.messages(who))
    )


async def test_an_organizer_gives_a_program_their_units_form_in_the_chat(
    harness: Harness,
) -> None:
    emu = harness.emulator
    _admin, rina, _dedi = await _setup_organizers(emu)
    await _forms(harness)

    asked = await _until_form(emu, rina, "Pelatihan Arsip Digital")
    assert "Kuesioner evaluasi mana" in asked
    menu = emu.last_with_buttons(rina)
    labels = [label for label, _ in menu.buttons]
    # The standard evaluation first, then the unit's own and the shared; no other unit's,
    # no SKM, no follow-up, no knowledge test.
    assert labels[0].startswith("Evaluasi Pelatihan") or "pelatihan" in menu.buttons[0][1]
    values = [data for _, data in menu.buttons]
    assert values[0] == step("p", "form", "q_pelatihan")
    assert {step("p", "form", f"q_{c}") for c in (OWN, ONLY_ID, SHARED)} <= set(values)
    for absent in (OTHERS, "skm", "pasca", "atasan", "uji_prima"):
        assert step("p", "form", f"q_{absent}") not in values
    assert "Evaluasi Dukcapil · v1 · ID/EN" in labels and "Evaluasi Singkat · v1" in labels

    # Another unit's form and a shipped form of another kind, forged: refused, in words.
    for forged in (OTHERS, "skm", "konsep_tidak_ada"):
        await emu.wait_acknowledged(emu.press_data(rina, menu, step("p", "form", f"q_{forged}")))
        assert "Tidak ada kuesioner dengan kode" in (emu.callback_answers[-1].text or "")

    review = _plain(text_of(await tap(emu, rina, step("p", "form", f"q_{OWN}"))))
    assert "Periksa program baru" in review
    assert "Kuesioner: Evaluasi Dukcapil (milik_kami, versi 1)" in review
    assert "Bahasa kuesioner: Bahasa Indonesia, Bahasa Inggris" in review
    code = await _save(emu, rina)
    program = await _program(harness, code)
    assert await _template_code(harness, program) == OWN and program.languages is None
    page = _plain(text_of(await say(emu, rina, f"/program {code}")))
    assert "Kuesioner: Evaluasi Dukcapil (milik_kami, versi 1)" in page

    # Before anyone answers, the chat's edit shows the questionnaire and may change it.
    assert program.id is not None
    review = _plain(text_of(await tap(emu, rina, ProgramAction(program.id, "edit").pack())))
    assert "Ubah program" in review and "Evaluasi Dukcapil (milik_kami, versi 1)" in review

    # A participant answers the form's own items.
    andi = emu.user(6301, "Andi", "id")
    await _invite(harness, rina, program, andi)
    first = _plain(text_of(await tap(emu, andi, FILL_ID)))
    assert "Materi sesuai kebutuhan" in first
    second = _plain(text_of(await choose(emu, andi, 4)))
    assert "Saran" in second
    await say(emu, andi, "Jadwal lebih pagi")
    await tap(emu, andi, "✅ Kirim jawaban")
    async with _state(harness).db.session() as session:
        response = (
            await session.exec(select(Response).where(col(Response.respondent_id) == andi.id))
        ).one()
        assert response.status == RESPONSE_SUBMITTED
        assert response.template_id == program.template_id
        answers = (
            await session.exec(select(Answer).where(col(Answer.response_id) == response.id))
        ).all()
    assert {(a.question, a.score) for a in answers if a.score is not None} == {("materi", 4)}
    assert any(a.question == "saran" and a.text == "Jadwal lebih pagi" for a in answers)

    # The review Rina opened before: a change of questionnaire now is refused, politely.
    await tap(emu, rina, step("p", "confirm", "edit_form"))
    refused = _plain(text_of(await tap(emu, rina, step("p", "form", f"q_{SHARED}"))))
    assert "tidak dapat diubah lagi" in refused
    kept = await _program(harness, code)
    assert kept.template_id == program.template_id


async def test_a_program_kept_to_indonesian_asks_an_english_speaker_in_indonesian(
    harness: Harness,
) -> None:
    emu = harness.emulator
    _admin, rina, _dedi = await _setup_organizers(emu)
    await _forms(harness)
    await _until_form(emu, rina, "Pelatihan Pelayanan Prima")
    await tap(emu, rina, step("p", "form", "q_pelatihan"))
    code = await _save(emu, rina)
    program = await _program(harness, code)
    assert program.id is not None

    # Changed in the chat before anyone answered: the unit's form, in Indonesian only.
    await tap(emu, rina, ProgramAction(program.id, "edit").pack())
    await tap(emu, rina, step("p", "confirm", "edit_form"))
    await tap(emu, rina, step("p", "form", f"q_{OWN}"))
    asked = _plain(text_of(await tap(emu, rina, step("p", "confirm", "edit_langs"))))
    assert "beberapa bahasa" in asked
    # A language the form has not, forged: nothing changes.
    menu = emu.last_with_buttons(rina)
    await emu.wait_acknowledged(emu.press_data(rina, menu, step("p", "langs", "jv")))
    review = _plain(text_of(await tap(emu, rina, step("p", "langs", "id"))))
    assert "Bahasa kuesioner: Bahasa Indonesia" in review
    assert "Bahasa Inggris" not in review.split("Bahasa kuesioner:")[1]
    saved = _plain(text_of(await tap(emu, rina, step("p", "confirm", "save"))))
    assert "tersimpan" in saved and "Kuesioner: Evaluasi Dukcapil" in saved
    program = await _program(harness, code)
    assert await _template_code(harness, program) == OWN and program.languages == ["id"]

    # John speaks English: the form's words in Indonesian, the bot's own around in English.
    john = emu.user(6302, "John", "en")
    await _invite(harness, rina, program, john)
    first = _plain(text_of(await tap(emu, john, FILL_EN)))
    assert "Materi sesuai kebutuhan" in first and "Material fits" not in first
    assert "Question 1 of 2" in first
    scale = [label for label, _ in emu.last_with_buttons(john).buttons]
    assert "4 Sangat puas" in scale and not any("Very satisfied" in s for s in scale)
    second = _plain(text_of(await choose(emu, john, 3)))
    assert "Saran" in second and "Type your answer as a message." in second
    labels = [label for label, _ in emu.last_with_buttons(john).buttons]
    assert "Skip" in labels and "Lewati" not in labels
    review = _plain(text_of(await tap(emu, john, "Skip")))
    assert "3 Puas" in review
    assert "✅ Send answers" in [label for label, _ in emu.last_with_buttons(john).buttons]

    # A program on the Indonesian-only form: asked in Indonesian as well, without a choice.
    await _until_form(emu, rina, "Pelatihan Kearsipan")
    review = _plain(text_of(await tap(emu, rina, step("p", "form", f"q_{ONLY_ID}"))))
    assert "Bahasa kuesioner: Bahasa Indonesia" in review
    values = [data for _, data in emu.last_with_buttons(rina).buttons]
    assert step("p", "confirm", "edit_langs") not in values
    only = await _program(harness, await _save(emu, rina))
    mary = emu.user(6303, "Mary", "en")
    await _invite(harness, rina, only, mary)
    first = _plain(text_of(await tap(emu, mary, FILL_EN)))
    assert "Materi sesuai kebutuhan" in first and "Question 1 of 2" in first


async def test_the_workspace_form_offers_the_languages_of_a_form_that_has_several(
    database_url: str,
) -> None:
    async with web_harness(database_url) as harness:
        _admin, rina, _dedi = await _setup_organizers(harness.emulator)
        await _forms(harness)
        async with _state(harness).db.session() as session:
            unit = await place_by_code(session, "LSL-DUKCAPIL")
            assert unit is not None and unit.id is not None
        cookies = session_cookie(harness, rina.id)
        csrf = csrf_of(harness, cookies)
        later = dt.datetime.now(WIB)
        form = {
            "csrf": csrf,
            "title": "Pelatihan Arsip Digital",
            "unit": str(unit.id),
            "provider": "",
            "start": (later + dt.timedelta(days=10)).strftime("%Y-%m-%dT08:00"),
            "end": (later + dt.timedelta(days=11)).strftime("%Y-%m-%dT16:00"),
            "mode": "klasikal",
            "instructors": "",
            "window": "7",
            "languages_offered": "1",
        }
        async with client(harness, cookies) as http:
            new = (await http.get("/program/baru")).text
            offered = re.findall(r'<option value="([a-z0-9_]+)"', new)
            assert OWN in offered and SHARED in offered and OTHERS not in offered
            boxes = new.split('id="languages"')[1].split("</fieldset>")[0]
            assert 'value="id" checked' in boxes and 'value="en" checked' in boxes
            # No language ticked for a form in two: refused, in words.
            refused = await http.post("/program/baru", data={**form, "questionnaire": OWN})
            assert refused.status_code == 400 and "minimal satu bahasa" in refused.text
            made = await http.post(
                "/program/baru", data={**form, "questionnaire": OWN, "languages": "id"}
            )
            assert made.status_code == 303, made.text
            program_id = int(made.headers["location"].split("/")[2].split("?")[0])
            page = (await http.get(f"/program/{program_id}")).text
            shown = page.split('id="languages">')[1].split("</dd>")[0]
            assert shown == "Bahasa Indonesia"
            assert "Evaluasi Dukcapil (milik_kami, versi 1)" in page
            edit = (await http.get(f"/program/{program_id}/ubah")).text
            boxes = edit.split('id="languages"')[1].split("</fieldset>")[0]
            assert 'value="id" checked' in boxes and 'value="en" checked' not in boxes
            # A form in one language is asked in it, whatever was ticked.
            other = await http.post(
                "/program/baru",
                data={**form, "title": "Pelatihan Lain", "questionnaire": ONLY_ID,
                      "languages": "en"},
            )  # fmt: skip
            assert other.status_code == 303
            other_id = int(other.headers["location"].split("/")[2].split("?")[0])
        async with _state(harness).db.session() as session:
            chosen = await session.get(Program, program_id)
            single = await session.get(Program, other_id)
            assert chosen is not None and chosen.languages == ["id"]
            assert single is not None and single.languages is None


async def test_many_evaluations_are_offered_a_page_at_a_time(harness: Harness) -> None:
    emu = harness.emulator
    _admin, rina, _dedi = await _setup_organizers(harness.emulator)
    await _forms(harness)
    for number in range(7):
        await store(
            _state(harness).db, small_form(f"bersama_{number}", f"Evaluasi {number}"), None
        )
    await _until_form(emu, rina, "Pelatihan Arsip Digital")

    def offered() -> list[str]:
        return [d for _, d in emu.last_with_buttons(rina).buttons if ":q_" in d]

    first = offered()
    assert len(first) == 6 and first[0] == step("p", "form", "q_pelatihan")
    await tap(emu, rina, step("p", "form", "page_1"))
    second = offered()
    # Eleven in all: the standard one, the unit's two, the eight shared; none twice.
    assert len(second) == 5 and not set(first) & set(second)
    assert step("p", "form", "page_0") in [d for _, d in emu.last_with_buttons(rina).buttons]
    review = _plain(text_of(await tap(emu, rina, second[-1])))
    assert "Periksa program baru" in review and "Kuesioner: Evaluasi" in review
