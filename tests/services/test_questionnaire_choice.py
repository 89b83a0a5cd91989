"""The evaluation a program is given and the languages it is asked in, as the services decide
them for both doors: the list (shared forms and the unit's own, the latest published version,
never another kind's form, a knowledge test, a draft or another unit's form), a form's
languages as an XLSForm with Indonesian labels only gives them, and the choice checked again
when it is saved."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from bot.services import programs as service
from bot.services import questionnaires, xlsform
from bot.services.access import Access
from bot.services.errors import NotFound
from bot.services.programs import ProgramError, ProgramSpec
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from bot.storage.programs import Program
from bot.storage.questionnaires import QuestionnaireDraft
from tests.services.test_xlsform import HEADER, workbook

ONLY = "hanya_id"
ID_LABEL, EN_LABEL = "label::Bahasa Indonesia (id)", "label::English (en)"


def _row(kind: str, name: str, label: str, english: str = "", **more: str) -> list[str]:
    values = {"type": kind, "name": name, ID_LABEL: label, EN_LABEL: english, **more}
    return [values.get(column, "") for column in HEADER]


def small_form(code: str, title: str, *, english: bool = True, test: bool = False) -> bytes:
    """A two-item evaluation (a rating, a suggestion) in Indonesian, with English or not; a
    knowledge test when `test` (one choice with a right answer)."""
    if test:
        survey = [_row("select_one yatidak", "soal", "Apakah 2 + 2 = 4?", "Is 2 + 2 = 4?")]
    else:
        survey = [
            _row("select_one puas", "materi", "Materi sesuai kebutuhan",
                 "Material fits my needs" if english else "", required="yes"),
            _row("text", "saran", "Saran", "Suggestions" if english else "", required="no"),
        ]  # fmt: skip
    settings = {"form_title": title, "form_id": code, "version": "1"}
    if english:
        settings["form_title::English (en)"] = f"{title} (en)"
    book = openpyxl.load_workbook(io.BytesIO(workbook(survey, settings)))
    choices = book["choices"]
    if test:  # "ya" is the right answer
        choices.cell(1, 5, "suara_correct")
        for row in choices.iter_rows(min_row=2):
            if (row[0].value, row[1].value) == ("yatidak", "ya"):
                row[4].value = "yes"
    if not english:  # the choices without their English column too
        choices.delete_cols(4)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def store(db: Database, data: bytes, unit_id: int | None) -> int:
    """The form stored as the next version of its code, owned by `unit_id` (None: shared)."""
    template = xlsform.read_workbook(data)
    async with db.session() as session:
        stored = await xlsform.store_version(
            session, Access.command_line(), template, unit_id, "questionnaire_import"
        )
        await session.commit()
        assert stored.template.id is not None
        return stored.template.id


def test_a_form_with_indonesian_labels_only_is_an_indonesian_form() -> None:
    form = xlsform.read_workbook(small_form("hanya_id", "Evaluasi Singkat", english=False))
    assert form.offered == ("id",)
    # Its English words repeat the Indonesian: an English speaker reads Indonesian.
    assert form.questions[0].text.en == "Materi sesuai kebutuhan"
    assert form.questions[0].labels["en"][3] == "Sangat puas"
    both = xlsform.read_workbook(small_form("dua", "Evaluasi Dua Bahasa"))
    assert both.offered == ("id", "en") and both.languages is None
    # Written back and read again, each stays in its own languages.
    for read in (form, both):
        again = xlsform.read_workbook(xlsform.write_workbook(read))
        assert again.model_dump(exclude={"version"}) == read.model_dump(exclude={"version"})
    assert questionnaires.asked_in(form.offered, "en") == "id"
    assert questionnaires.asked_in(both.offered, "en") == "en"
    assert questionnaires.chosen_languages(both, ["id"]) == ("id",)
    assert questionnaires.chosen_languages(form, ["en"]) == ("id",)


async def test_the_list_is_the_shared_forms_and_the_units_own_and_saving_checks_it(
    db: Database,
) -> None:
    async with db.session() as session:
        await seed_places(session)
        await questionnaires.seed_templates(session)
        await session.commit()
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        other = await place_by_code(session, "LSM-DINKES")
        assert unit and unit.id and other and other.id
    await store(db, small_form("bersama", "Evaluasi Bersama"), None)
    await store(db, small_form("milik_kami", "Evaluasi Dukcapil", english=False), unit.id)
    newer = await store(db, small_form("milik_kami", "Evaluasi Dukcapil Baru"), unit.id)
    await store(db, small_form("milik_lain", "Evaluasi Dinkes"), other.id)
    await store(db, small_form("uji_kami", "Uji Dukcapil", test=True), unit.id)
    async with db.session() as session:
        session.add(QuestionnaireDraft(code="konsep_kami", unit_id=unit.id, definition={"x": 1}))
        await session.commit()

    organizer = Access(user_id=4802, units=frozenset({unit.id}))
    async with db.session() as session:
        listed = await service.evaluations(session, organizer, unit.id)
        assert [e.code for e in listed] == ["pelatihan", "milik_kami", "bersama"]
        own = listed[1]
        assert (own.version, own.languages, own.unit_id) == (2, ("id", "en"), unit.id)
        assert own.title.id == "Evaluasi Dukcapil Baru"
        # The same list for the workspace's form (the organizer's units).
        assert [e.code for e in await service.evaluations(session, organizer)] == [
            "pelatihan", "milik_kami", "bersama",
        ]  # fmt: skip
        # Another unit's list is not theirs to see.
        with pytest.raises(NotFound):
            await service.evaluations(session, organizer, other.id)

        now = dt.datetime.now(dt.UTC)
        spec = ProgramSpec(
            title="Pelatihan Arsip Digital",
            unit_id=unit.id,
            starts_at=now + dt.timedelta(days=1),
            ends_at=now + dt.timedelta(days=2),
        )
        for forged in ("milik_lain", "uji_kami", "konsep_kami", "skm", "pasca", "uji_prima"):
            with pytest.raises(ProgramError) as refused:
                await service.evaluation(session, organizer, unit.id, forged)
            assert refused.value.key == "program.questionnaire_unknown", forged
            spec.questionnaire = forged
            with pytest.raises(ProgramError):
                await service.create_program(session, spec=spec, caller=organizer, now=now)
        # A language the form has not is refused; one it has is kept; all of them is None.
        spec.questionnaire, spec.languages = "milik_kami", ["jv"]
        with pytest.raises(ProgramError) as refused:
            await service.create_program(session, spec=spec, caller=organizer, now=now)
        assert refused.value.key == "questionnaire_choice.languages_invalid"
        spec.languages = ["en"]
        program = await service.create_program(session, spec=spec, caller=organizer, now=now)
        assert (program.template_id, program.languages) == (newer, ["en"])
        assert await service.languages_of(session, program) == ("en",)
        await session.commit()
        assert program.id is not None
        program_id = program.id

        # A change to the shared form, its languages named: all of them is stored as None.
        changed = service.spec_of(program)
        changed.questionnaire, changed.languages = "bersama", ["en", "id"]
        await service.edit_program(session, organizer, program_id, spec=changed, now=now)
        await session.commit()
        stored = await session.get(Program, program_id)
        assert stored is not None and stored.languages is None
        assert await service.languages_of(session, stored) == ("id", "en")


async def test_an_indonesian_form_edited_keeps_its_language_until_it_gets_english_words(
    db: Database,
) -> None:
    from bot.services import questionnaire_editor as editor

    async with db.session() as session:
        await seed_places(session)
        await session.commit()
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        assert unit and unit.id
    await store(db, small_form(ONLY, "Evaluasi Singkat", english=False), unit.id)
    organizer = Access(user_id=4802, units=frozenset({unit.id}))
    same = {"text_id": "Saran", "text_en": "Saran"}
    async with db.session() as session:
        # Moved and relabelled in Indonesian only: still an Indonesian form.
        await editor.change(session, organizer, ONLY, editor.Change("down", 0))
        await editor.change(session, organizer, ONLY, editor.Change("edit", 0, same))
        first = await editor.publish(session, organizer, ONLY)
        await session.commit()
        assert first.template.id is not None
        again = await questionnaires.template_of(session, first.template.id)
        assert again.offered == ("id",) and again.questions[0].code == "saran"
        # An item with English words of its own: the form is in both from then on.
        added = {"kind": "text", "text_id": "Kesan Anda", "text_en": "Your impression"}
        await editor.change(session, organizer, ONLY, editor.Change("add", None, added))
        second = await editor.publish(session, organizer, ONLY)
        await session.commit()
        assert second.template.id is not None
        both = await questionnaires.template_of(session, second.template.id)
    assert both.offered == ("id", "en") and both.questions[-1].text.en == "Your impression"
