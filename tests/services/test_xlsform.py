"""Organizers' own questionnaires in XLSForm: workbooks shaped as KoboToolbox exports them,
read by pyxform into Suara's definition, refused by row, versioned, and written back."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import func, select

from bot.services import programs as program_service
from bot.services import questionnaires as engine
from bot.services import xlsform
from bot.services.access import Access
from bot.services.errors import Refused
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from bot.storage.questionnaires import NO_INSTRUCTOR, Answer, QuestionnaireTemplate

ID, EN = "label::Bahasa Indonesia (id)", "label::English (en)"
HEADER = [
    "type", "name", ID, EN, "hint::Bahasa Indonesia (id)", "hint::English (en)", "required",
    "relevant", "appearance", "suara_role", "suara_per_instructor",
]  # fmt: skip
SCALE = [("1", "Tidak puas", "Unsatisfied"), ("2", "Kurang puas", "Somewhat unsatisfied"),
         ("3", "Puas", "Satisfied"), ("4", "Sangat puas", "Very satisfied")]  # fmt: skip


def _row(kind: str, name: str, label: str = "", english: str = "", **more: str) -> list[str]:
    values = {"type": kind, "name": name, ID: label, EN: english, **more}
    return [values.get(column, "") for column in HEADER]


# The rows of a BPSDM's own evaluation, as an officer writes it in Kobo (rows 2.. of the sheet).
SURVEY = [
    _row("start", "start"),
    _row("end", "end"),
    _row("begin_group", "penyelenggaraan", "Penyelenggaraan", "Organisation"),
    _row("select_one puas", "materi", "Materi sesuai kebutuhan", "Material fits my needs",
         required="yes", suara_role="material",
         **{"hint::Bahasa Indonesia (id)": "Pikirkan “pekerjaan” Anda",
            "hint::English (en)": "Think of your job"}),
    _row("select_one puas", "ruang", "Kenyamanan ruang kelas", "Comfort of the classroom",
         required="yes", relevant="${mode} = 'klasikal'", suara_role="facilities"),
    _row("select_one puas", "platform", "Kemudahan platform e-learning", "The e-learning "
         "platform's ease", required="yes", relevant="${mode} != 'klasikal'",
         suara_role="facilities"),
    _row("end_group", ""),
    _row("note", "pengajar_intro", "Berikut penilaian pengajar", "Now the instructors"),
    _row("select_one puas", "pengajar", "Penguasaan materi oleh {instructor}",
         "{instructor}'s mastery", required="yes", suara_role="instructor",
         suara_per_instructor="yes"),
    _row("select_one yatidak", "ulang", "Akan ikut lagi?", "Would you come again?",
         required="yes", appearance="horizontal"),
    _row("text", "alasan", "Mengapa tidak?", "Why not?", required="no",
         relevant="selected(${ulang}, 'tidak')", suara_role="suggestion"),
    _row("integer", "jp", "Berapa JP yang Anda ikuti?", "How many lesson hours did you attend?",
         required="no"),
    _row("text", "saran", "Saran", "Suggestions", required="no", suara_role="suggestion"),
]  # fmt: skip
CHOICES = [
    *[("puas", *choice) for choice in SCALE],
    ("yatidak", "ya", "Ya", "Yes"),
    ("yatidak", "tidak", "Tidak", "No"),
]
SETTINGS = {
    "form_title": "Evaluasi BPSDM Lampung",
    "form_title::English (en)": "BPSDM Lampung evaluation",
    "form_id": "bpsdm_lpg",
    "version": "2026120301",
    "default_language": "Bahasa Indonesia (id)",
}


def workbook(
    survey: list[list[str]] | None = None, settings: dict[str, str] | None = None
) -> bytes:
    """A workbook in the shape KoboToolbox exports: survey, choices, settings."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(HEADER)
    for row in SURVEY if survey is None else survey:
        sheet.append(row)
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", ID, EN])
    for choice in CHOICES:
        choices.append(list(choice))
    chosen = SETTINGS if settings is None else settings
    settings_sheet = book.create_sheet("settings")
    settings_sheet.append(list(chosen))
    settings_sheet.append(list(chosen.values()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_kobo_workbook_becomes_a_definition() -> None:
    form = xlsform.read_workbook(workbook())
    assert form.code == "bpsdm_lpg" and form.title.en == "BPSDM Lampung evaluation"
    # Kobo's start/end metadata ask nothing; the rest is asked in the form's order.
    assert [q.code for q in form.questions] == [
        "materi", "ruang", "platform", "pengajar_intro", "pengajar", "ulang", "alasan", "jp",
        "saran",
    ]  # fmt: skip
    materi, ruang, platform, note, pengajar, ulang, alasan, jp, saran = form.questions
    assert (materi.kind, materi.min, materi.max, materi.role) == ("scale", 1, 4, "material")
    assert materi.labels["id"][3] == "Sangat puas" and materi.labels["en"][0] == "Unsatisfied"
    # The officer's words are kept as written (pyxform itself straightens the quotes).
    assert materi.hint is not None and materi.hint.id == "Pikirkan “pekerjaan” Anda"
    assert materi.section is not None and materi.section.en == "Organisation"
    assert note.kind == "note" and note.section is None and not note.required
    assert ruang.relevant is not None and ruang.relevant.conditions[0].model_dump() == {
        "on": "mode", "op": "eq", "value": "klasikal",
    }  # fmt: skip
    assert platform.relevant is not None and platform.relevant.conditions[0].op == "ne"
    # A per-instructor rating offers "did not attend" unless the form says otherwise.
    assert pengajar.per_instructor and pengajar.not_attended
    assert ulang.kind == "choice" and [o.code for o in ulang.options] == ["ya", "tidak"]
    assert alasan.relevant is not None and alasan.relevant.conditions[0].op == "selected"
    assert not alasan.required and alasan.role == "suggestion"
    assert (jp.kind, jp.role, saran.role) == ("integer", "number", "suggestion")


def test_the_items_follow_the_mode_and_earlier_answers() -> None:
    form = xlsform.read_workbook(workbook())
    asked = engine.items(form, ["Dr. Sari", "Budi"])

    def codes(mode: str, answers: dict[tuple[str, int], Answer]) -> list[str]:
        return [item.question.code for item in engine.applicable(asked, {"mode": mode}, answers)]

    classroom = codes("klasikal", {})
    assert "ruang" in classroom and "platform" not in classroom
    online = codes("elearning", {})
    assert "platform" in online and "ruang" not in online
    # Each instructor is asked about in turn.
    assert classroom.count("pengajar") == 2
    # "Why not?" waits for "would you come again?" and follows a "no" only.
    assert "alasan" not in classroom
    no = Answer(response_id=1, question="ulang", instructor=NO_INSTRUCTOR, choice="tidak")
    assert "alasan" in codes("klasikal", {("ulang", NO_INSTRUCTOR): no})
    yes = Answer(response_id=1, question="ulang", instructor=NO_INSTRUCTOR, choice="ya")
    assert "alasan" not in codes("klasikal", {("ulang", NO_INSTRUCTOR): yes})


def _problems(data: bytes) -> list[tuple[int, str]]:
    with pytest.raises(xlsform.FormRefused) as refused:
        xlsform.read_workbook(data)
    return [(problem.row, problem.key) for problem in refused.value.problems]


def test_what_a_chat_cannot_ask_is_refused_with_its_row() -> None:
    survey = [
        *SURVEY,
        _row("geopoint", "lokasi", "Lokasi pelatihan", "Where"),  # row 15
        _row("image", "foto", "Foto kelas", "A photo"),  # row 16
        _row("begin_repeat", "sesi", "Sesi", "Sessions"),  # row 17
        _row("text", "topik", "Topik", "Topic"),
        _row("end_repeat", ""),
        _row("calculate", "total", "", ""),  # row 20
        _row("select_multiple puas", "banyak", "Pilih", "Choose"),  # row 21
    ]
    assert _problems(workbook(survey)) == [
        (15, "xlsform.refuse_location"),
        (16, "xlsform.refuse_media"),
        (17, "xlsform.refuse_repeat"),
        (20, "xlsform.refuse_calculate"),
        (21, "xlsform.refuse_multiple"),
    ]


def test_conditions_suara_cannot_decide_are_refused_with_their_row() -> None:
    survey = [
        *SURVEY,
        _row("text", "umur", "Umur", "Age", relevant="${jp} > 10"),  # row 15: an integer
        _row("text", "x", "X", "X", relevant="${mode} = 'luring'"),  # row 16: no such mode
        _row(
            "text",
            "y",
            "Y",
            "Y",
            relevant="${materi} = '4' and ${ulang} = 'ya' or ${mode} = 'klasikal'",
        ),
        _row("text", "z", "Z", "Z", relevant="${pengajar} = '1'"),  # per instructor
    ]
    assert _problems(workbook(survey)) == [
        (15, "xlsform.relevant_unsupported"),
        (16, "xlsform.mode_unknown"),
        (17, "xlsform.relevant_mixed"),
        (18, "xlsform.relevant_reference"),
    ]


def test_pyxform_checks_the_workbook_and_the_settings_are_checked() -> None:
    # A reference to a question that does not exist: pyxform's own check, with its row.
    broken = [*SURVEY, _row("text", "lain", "Lain", "Other", relevant="${hilang} = 'x'")]
    with pytest.raises(xlsform.FormRefused) as refused:
        xlsform.read_workbook(workbook(broken))
    (problem,) = refused.value.problems
    assert problem.key == "xlsform.pyxform" and "15" in str(problem.values["reason"])
    assert _problems(workbook(settings={**SETTINGS, "form_id": "Evaluasi BPSDM"})) == [
        (0, "xlsform.form_id_invalid")
    ]
    assert _problems(b"not a workbook") == [(0, "xlsform.unreadable")]
    wrong_role = [*SURVEY[:3], _row("select_one puas", "m", "M", "M", suara_role="mood")]
    assert _problems(workbook([*wrong_role, _row("end_group", "")])) == [
        (5, "xlsform.role_unknown")
    ]


@pytest.mark.parametrize("code", ["pelatihan", "pasca", "atasan", "skm"])
def test_a_definition_survives_export_and_import_unchanged(code: str) -> None:
    (shipped,) = [t for t in engine.read_template_files() if t.code == code]
    assert xlsform.read_workbook(xlsform.write_workbook(shipped)) == shipped
    # The committed XLSForm files are these very definitions.
    committed = engine.TEMPLATES_DIR / "xlsform" / f"{code}.xlsx"
    assert xlsform.read_workbook(committed.read_bytes()) == shipped


def test_an_imported_form_survives_export_and_import_unchanged() -> None:
    form = xlsform.read_workbook(workbook())
    again = xlsform.read_workbook(xlsform.write_workbook(form))
    assert again.model_dump() == form.model_dump()
    # Written as the format says: the survey, choices and settings sheets.
    book = openpyxl.load_workbook(io.BytesIO(xlsform.write_workbook(form)))
    assert book.sheetnames == ["survey", "choices", "settings"]
    types = [row[0] for row in book["survey"].iter_rows(min_row=2, values_only=True)]
    assert types[:2] == ["begin_group", "select_one skala_1"] and "integer" in types


async def _count_templates(db: Database, code: str) -> int:
    async with db.session() as session:
        query = select(func.count()).where(QuestionnaireTemplate.code == code)
        return int((await session.exec(query)).one())


async def test_each_changed_import_is_a_new_version_and_programs_keep_theirs(
    db: Database, tmp_path: Path
) -> None:
    caller = Access.command_line()
    form = xlsform.read_workbook(workbook())
    async with db.session() as session:
        await engine.seed_templates(session)
        await seed_places(session)
        first = await xlsform.store_form(session, caller, form)
        again = await xlsform.store_form(session, caller, form)
        unit = await place_by_code(session, "LPG-PROV-BPSDM")
        assert unit is not None and unit.id is not None
        start = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
        spec = program_service.ProgramSpec(
            title="Pelatihan Kepemimpinan",
            unit_id=unit.id,
            starts_at=start,
            ends_at=start + dt.timedelta(days=2),
            questionnaire="bpsdm_lpg",
        )
        program = await program_service.create_program(
            session, spec=spec, caller=None, now=dt.datetime.now(dt.UTC)
        )
        await session.commit()
    assert first.new and first.template.version == 1
    assert not again.new and again.template.id == first.template.id
    assert program.template_id == first.template.id

    changed = [*SURVEY, _row("text", "kesan", "Kesan", "Impression", required="no")]
    async with db.session() as session:
        second = await xlsform.store_form(
            session, caller, xlsform.read_workbook(workbook(changed))
        )
        await session.commit()
        kept = await session.get(type(program), program.id)
    assert second.new and second.template.version == 2
    assert kept is not None and kept.template_id == first.template.id
    assert await _count_templates(db, "bpsdm_lpg") == 2
    # Only the server's command line stores forms; an unknown code is refused politely.
    async with db.session() as session:
        with pytest.raises(Refused):
            await xlsform.store_form(session, Access(user_id=5, units=frozenset({1})), form)
        with pytest.raises(Refused) as unknown:
            await xlsform.export_form(session, caller, "tidak_ada")
        assert unknown.value.key == "xlsform.unknown_code"
        spec.questionnaire = "tidak_ada"
        with pytest.raises(Refused) as refused:
            await program_service.create_program(
                session, spec=spec, caller=None, now=dt.datetime.now(dt.UTC)
            )
        assert refused.value.key == "program.questionnaire_unknown"


async def test_did_not_attend_is_an_answer_without_a_score(db: Database) -> None:
    form = xlsform.read_workbook(workbook())
    async with db.session() as session:
        stored = await xlsform.store_form(session, Access.command_line(), form)
        assert stored.template.id is not None
        response = await engine.open_response(
            session,
            template_id=stored.template.id,
            subject_kind="program",
            subject_id=1,
            respondent_id=42,
            instructors=["Dr. Sari", "Budi"],
        )
        asked = engine.items(form, response.instructors)
        sari = next(i for i in asked if i.question.code == "pengajar" and i.instructor == 0)
        row = await engine.record(session, response=response, item=sari, value=engine.NOT_ATTENDED)
        assert (row.score, row.choice) == (None, engine.NOT_ATTENDED)
        # Not on a question that does not offer it, nor on an ordinary rating.
        materi = asked[0]
        with pytest.raises(engine.AnswerError):
            await engine.record(session, response=response, item=materi, value="absent")
        jp = next(i for i in asked if i.question.code == "jp")
        for wrong in ("dua", "-3", "²", "9" * 40):
            with pytest.raises(engine.AnswerError):
                await engine.record(session, response=response, item=jp, value=wrong)
        assert (
            await engine.record(session, response=response, item=jp, value=" 24 ")
        ).text == "24"
