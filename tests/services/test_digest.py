"""Every number of a digest from fixed data: response rates, means and their change, bands,
flags, instructors, withheld aggregates, complaint counts, overdue, medians, rating, IKM and its
grade against the Krejcie-Morgan minimum, the training need from weak SKM answers; rendered in
both languages, with the PNG and the XLSX opened and checked."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.i18n import Texts
from bot.reports import digest_text
from bot.reports.digest_files import chart_png, workbook_xlsx
from bot.reports.digest_text import render
from bot.services import programs as program_service
from bot.services import releases
from bot.services.digest import Period, build, krejcie_morgan, parse_period
from bot.services.programs import PROGRAM_SUBJECT, ProgramSpec
from bot.services.questionnaires import seed_templates
from bot.services.satisfaction import SKM_SUBJECT
from bot.storage.complaints import BARU, DIVERIFIKASI, SELESAI, Complaint
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from bot.storage.programs import Participant, TrainingProposal
from bot.storage.questionnaires import RESPONSE_SUBMITTED, Answer, QuestionnaireTemplate, Response

TZ = ZoneInfo("Asia/Jakarta")
WEEK = Period(dt.date(2026, 11, 16))  # 2026-W47
IN_WEEK = dt.datetime(2026, 11, 18, 10, 0, tzinfo=TZ)
TODAY = dt.date(2026, 11, 24)
ITEMS = ("relevansi", "pemahaman", "metode", "sarana", "layanan", "manfaat")


def test_periods_and_the_sample_size() -> None:
    assert parse_period("2026-W47", TODAY) == WEEK
    assert parse_period("last-week", TODAY) == WEEK
    assert parse_period("this-week", TODAY) == Period(dt.date(2026, 11, 23))
    assert WEEK.label == "2026-W47" and WEEK.sunday == dt.date(2026, 11, 22)
    # DOMAIN.md: N=100 -> 80, 1.000 -> 278, 10.000 -> 370, large -> 384.
    assert [krejcie_morgan(n) for n in (100, 1000, 10_000, 10_000_000)] == [80, 278, 370, 384]


async def _program(session, unit_id, title, ends, instructors=()):  # type: ignore[no-untyped-def]
    return await program_service.create_program(
        session,
        spec=ProgramSpec(
            title=title,
            unit_id=unit_id,
            starts_at=ends - dt.timedelta(days=2),
            ends_at=ends,
            instructors=list(instructors),
        ),
        caller=None,
        now=ends - dt.timedelta(days=3),
    )


def _answers(response_id: int, scores: dict[tuple[str, int], int]) -> list[Answer]:
    return [
        Answer(response_id=response_id, question=q, instructor=i, score=s)
        for (q, i), s in scores.items()
    ]


async def _respond(session, subject, subject_id, template_id, who, at, scores, texts=()):  # type: ignore[no-untyped-def]
    response = Response(
        template_id=template_id,
        subject_kind=subject,
        subject_id=subject_id,
        respondent_id=who,
        status=RESPONSE_SUBMITTED,
        submitted_at=at,
    )
    session.add(response)
    await session.flush()
    session.add_all(_answers(response.id, scores))
    for question, text, label, polarity in texts:
        session.add(
            Answer(
                response_id=response.id,
                question=question,
                text=text,
                sentiment_label=label,
                sentiment_polarity=polarity,
            )
        )


async def _data(db: Database) -> dict[str, int]:
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        other = await place_by_code(session, "LSM-DINKES")
        assert unit and unit.id and other and other.id
        ends = dt.datetime(2026, 11, 14, 16, 0, tzinfo=TZ)
        old = await _program(session, unit.id, "Pelayanan Prima", ends - dt.timedelta(days=60))
        current = await _program(
            session, unit.id, "Pelayanan Prima", ends, instructors=("Dr. Sari", "Budi")
        )
        small = await _program(session, unit.id, "Arsip Digital", ends)
        elsewhere = await _program(session, other.id, "Kesehatan Kerja", ends)
        template = current.template_id
        for n in range(10):
            session.add(Participant(program_id=current.id, user_id=100 + n))
        # The previous run: 5 answers, every item 3.
        for n in range(5):
            await _respond(
                session, PROGRAM_SUBJECT, old.id, template, 200 + n,
                IN_WEEK - dt.timedelta(days=50), {(q, -1): 3 for q in ITEMS},
            )  # fmt: skip
        relevansi = [5, 5, 4, 4, 3, 3]  # mean 4.0, +1.0 on the previous run
        pemahaman = [2, 1, 2, 4, 5, 3]  # half of the answers 2 or lower: flagged
        comments = [
            ("sulit", "Materi statistik terlalu cepat dan contoh kurang", "negative", -0.6),
            ("saran", "Pengajar sangat ramah dan jelas, terima kasih banyak", "positive", 0.8),
            ("sulit", "Materi statistik sulit dipahami tanpa latihan", "negative", -0.4),
        ]
        for n in range(6):
            scores = {(q, -1): 4 for q in ITEMS}
            scores[("relevansi", -1)] = relevansi[n]
            scores[("pemahaman", -1)] = pemahaman[n]
            scores[("penguasaan", 0)] = 5
            scores[("penguasaan", 1)] = 3
            await _respond(
                session, PROGRAM_SUBJECT, current.id, template, 100 + n, IN_WEEK, scores,
                comments[n : n + 1],
            )  # fmt: skip
        for n in range(2):  # below FEEDBACK_MIN_RESPONSES (5): withheld
            await _respond(
                session, PROGRAM_SUBJECT, small.id, template, 300 + n, IN_WEEK,
                {(q, -1): 1 for q in ITEMS},
            )  # fmt: skip
        await _respond(
            session, PROGRAM_SUBJECT, elsewhere.id, template, 400, IN_WEEK, {("manfaat", -1): 5}
        )
        session.add(TrainingProposal(unit_id=unit.id, proposer_id=1, topic="Excel lanjutan",
                                     created_at=IN_WEEK))  # fmt: skip
        session.add(TrainingProposal(unit_id=unit.id, proposer_id=2, topic="excel lanjutan ",
                                     created_at=IN_WEEK))  # fmt: skip

        def complaint(**fields: object) -> Complaint:
            base: dict[str, object] = {
                "reporter_id": 9,
                "category": "Administrasi Kependudukan",
                "unit_id": unit.id,
                "description": "Antrean KTP elektronik sangat lama di kantor kecamatan",
                "created_at": IN_WEEK,
                "verify_due": dt.date(2026, 11, 23),
            }
            base.update(fields)
            return Complaint(**base)  # type: ignore[arg-type]

        closed_a = complaint(
            ticket="ADU-1", state=SELESAI, rating=4,
            first_response_at=IN_WEEK + dt.timedelta(hours=4),
            closed_at=IN_WEEK + dt.timedelta(days=2),
        )  # fmt: skip
        closed_b = complaint(
            ticket="ADU-2", state=SELESAI, rating=2, category="Kesehatan",
            first_response_at=IN_WEEK + dt.timedelta(hours=10),
            closed_at=IN_WEEK + dt.timedelta(days=3),
        )  # fmt: skip
        session.add_all([closed_a, closed_b])
        session.add(complaint(ticket="ADU-3", state=BARU, verify_due=dt.date(2026, 11, 25)))
        session.add(
            complaint(
                ticket="ADU-4", state=DIVERIFIKASI, created_at=IN_WEEK - dt.timedelta(days=30),
                verify_due=dt.date(2026, 10, 20), followup_due=dt.date(2026, 11, 10),
            )
        )  # fmt: skip
        session.add(
            complaint(
                ticket="ADU-5", state=BARU, created_at=IN_WEEK - dt.timedelta(days=20),
                verify_due=dt.date(2026, 11, 3),
            )
        )  # fmt: skip
        session.add(complaint(ticket="ADU-9", unit_id=other.id, state=BARU))
        await session.flush()
        skm = (
            await session.exec(
                QuestionnaireTemplate.__table__.select().where(  # type: ignore[attr-defined]
                    QuestionnaireTemplate.code == "skm"
                )
            )
        ).first()
        assert skm is not None
        for n in range(5):
            scores = {(f"u{i}", -1): 3 for i in range(1, 10)}
            scores[("u6", -1)] = scores[("u7", -1)] = 2
            await _respond(session, SKM_SUBJECT, closed_a.id, skm.id, 500 + n, IN_WEEK, scores)
        # Released in blocks of five, as the chat does on each submission: the current run's
        # sixth questionnaire waits for four more and counts in no figure yet.
        await releases.catch_up(session, minimum=5)
        await session.commit()
        return {"unit": unit.id, "other": other.id, "current": current.id or 0}


async def test_every_number_of_an_organizer_digest(db: Database) -> None:
    ids = await _data(db)
    async with db.session() as session:
        digest = await build(
            session,
            scope=[ids["unit"]],
            period=WEEK,
            tz=TZ,
            today=TODAY,
            min_responses=5,
            populations={ids["unit"]: 1000},
        )
    # Training: the other unit's program is not there; the small one is withheld.
    assert [p.title for p in digest.programs] == ["Pelayanan Prima", "Arsip Digital"]
    main, small = digest.programs
    assert (main.participants, main.respondents, main.answered_in_period) == (10, 6, 6)
    assert round(main.rate, 2) == 0.6 and not main.withheld
    items = {(i.code, i.instructor): i for i in main.items}
    # The first five released: the sixth questionnaire is in no figure.
    assert items[("relevansi", -1)].n == 5
    assert round(items[("relevansi", -1)].mean, 3) == 4.2
    assert round(items[("relevansi", -1)].change or 0, 3) == 1.2
    assert round(items[("pemahaman", -1)].mean, 3) == 2.8
    assert items[("pemahaman", -1)].low_share == 0.6 and main.flags == [("pemahaman", -1)]
    assert main.compared_with == "run"
    # Overall: the mean of the items' means (the instructor items count once each).
    means = [4.2, 2.8, 4, 4, 4, 4, 5, 3]
    assert main.overall is not None and abs(main.overall - sum(means) / 8) < 1e-9
    assert main.band == "good"  # 3.875: from 3.41, under 4.21
    assert main.instructors == [("Dr. Sari", 5.0, 5), ("Budi", 3.0, 5)]
    # Sentiment counts the suggestions only: answers to "what was hard?" feed the themes.
    assert main.sentiment == {"positive": 1}
    assert "statistik" in " ".join(main.themes)
    assert len(main.comments) == 3
    assert small.withheld and small.items == [] and small.respondents == 2
    assert digest.proposals == [("Excel lanjutan", 2)]

    c = digest.complaints
    assert (c.new_total, c.closed_total, c.open_total) == (3, 2, 3)
    assert c.new_by_category == [("Administrasi Kependudukan", 2), ("Kesehatan", 1)]
    assert c.overdue_total == 2
    assert [(o.ticket, o.due, o.days) for o in c.overdue] == [
        ("ADU-5", dt.date(2026, 11, 3), 21),
        ("ADU-4", dt.date(2026, 11, 10), 14),
    ]
    assert c.median_first_response_hours == 7.0  # 4 h and 10 h
    assert c.median_close_days == 2.5
    assert c.rating == (3.0, 2)
    # IKM: seven elements at 3, two at 2 -> (21 + 4) / 9 x 25 = 69.44, grade C.
    assert c.ikm is not None and (c.ikm.value, c.ikm.grade, c.ikm.responses) == (69.44, "C", 5)
    assert (c.population, c.ikm_minimum) == (1000, 278)
    assert c.training_needs == [(ids["unit"], "u6", 50.0, 5), (ids["unit"], "u7", 50.0, 5)]
    assert "antrean" in " ".join(c.themes) or "ktp" in " ".join(c.themes)
    assert [new for _, new, _ in digest.trend][-1] == 3

    texts = Texts("id", TZ)
    units = {ids["unit"]: "Kabupaten Lampung Selatan › Dinas Dukcapil"}
    indonesian = render(digest, texts.for_language("id"), units)
    english = render(digest, texts.for_language("en"), units)
    for needed in (
        "Ringkasan mingguan",
        "Menjawab: 6 dari 10 peserta (60%)",
        "<b>3,88</b> dari 5 – baik ▲+0,88 (dibanding angkatan sebelumnya)",
        "Relevansi dengan pekerjaan: 4,2 ▲+1,2 (n=5)",
        "Materi mudah dipahami: 2,8",
        "⚠️ Materi mudah dipahami: 60% memberi nilai 2 atau kurang. Tinjau metode mengajar",
        "Dr. Sari: 5 (n=5)",
        "Rata-rata ditampilkan mulai 5 jawaban",
        "Excel lanjutan (2)",
        "Baru 3 · selesai 2 · terbuka saat ini 3",
        "2 melewati batas waktu",
        "ADU-5",
        "Median waktu tanggapan pertama: 7 jam",
        "<b>69,44</b>, mutu C (kurang baik), dari 5 survei; sampel minimum 278",
        "Kebutuhan pelatihan di Kabupaten Lampung Selatan › Dinas Dukcapil",
        "pelayanan prima",
    ):
        assert needed in indonesian, needed
    for needed in (
        "Weekly digest",
        "Answered: 6 of 10 participants (60%)",
        "<b>3.88</b> of 5 – good ▲+0.88 (against the previous run)",
        "60% rated 2 or lower. Review the teaching method and the pace",
        "New 3 · closed 2 · open now 3",
        "<b>69.44</b>, grade C (less good); surveys: 5; minimum sample 278",
        "Administrative records 2" if "Administrative records" in english else "2 overdue",
    ):
        assert needed in english, needed

    png = chart_png(digest, texts.for_language("en"))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and 800 <= image.width <= 1200 and image.height >= 900
    workbook = load_workbook(
        io.BytesIO(workbook_xlsx(digest, texts.for_language("id"), units, []))
    )
    assert workbook.sheetnames == [
        "Ringkasan", "Pelatihan", "Komentar", "Pasca pelatihan", "Usulan", "Aduan",
        "Terlambat", "Tren",
    ]  # fmt: skip
    training = list(workbook["Pelatihan"].iter_rows(values_only=True))
    assert training[0][:5] == ("Program", "Judul", "Butir", "Jawaban", "Rata-rata")
    relevance = next(r for r in training if r[2] == "Relevansi dengan pekerjaan")
    assert relevance[3:6] == (5, 4.2, 1.2)
    assert any(r[2] == "disembunyikan: jawaban terlalu sedikit" for r in training)
    overdue = list(workbook["Terlambat"].iter_rows(values_only=True))
    assert [r[0] for r in overdue[1:]] == ["ADU-5", "ADU-4"]
    assert isinstance(overdue[1][2], dt.datetime)  # a date cell, not text
    assert len(list(workbook["Tren"].iter_rows())) == 9


async def test_the_admins_digest_covers_every_unit_and_an_empty_week_says_so(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _data(db)
    async with db.session() as session:
        everything = await build(
            session, scope=None, period=WEEK, tz=TZ, today=TODAY, min_responses=5
        )
        quiet = await build(
            session, scope=[ids["other"]], period=WEEK.previous(3), tz=TZ, today=TODAY,
            min_responses=5,
        )  # fmt: skip
    assert len(everything.programs) == 3 and everything.complaints.new_total == 4
    assert everything.programs[-1].withheld  # one answer at the other unit
    assert everything.complaints.ikm_minimum is None  # no population configured
    texts = Texts("id", TZ)
    # Many programs (an admin's week) get one line each, the weakest first.
    monkeypatch.setattr(digest_text, "FULL_PROGRAMS", 2)
    lines = render(everything, texts.for_language("id"), {}).splitlines()
    assert "3 program mendapat jawaban pada periode ini" in "\n".join(lines)
    listed = [line for line in lines if line.startswith("• <b>")]
    assert "Pelayanan Prima" in listed[0] and "3,88 baik ⚠️ Materi mudah dipahami" in listed[0]
    assert "rata-rata mulai 5 jawaban" in listed[-1]
    assert quiet.empty
    text = render(quiet, texts.for_language("en"), {})
    assert "No questionnaire answers in this period." in text or "Nothing happened" in text


async def test_the_chart_reads_on_a_phone(db: Database) -> None:
    """The trial's chart pooled instructors, cut labels and had no legend; this one names the
    program, keeps the questionnaire's order with each instructor named, and counts in whole
    numbers; a quiet eight weeks get no panel."""
    from matplotlib import pyplot as plt

    from bot.reports.digest_files import chart_figure

    ids = await _data(db)
    async with db.session() as session:
        digest = await build(
            session, scope=[ids["unit"]], period=WEEK, tz=TZ, today=TODAY, min_responses=5
        )
    t = Texts("id", TZ).for_language("id")
    fig = chart_figure(digest, t)
    try:
        program, trend = fig.axes[0], fig.axes[1]
        assert "Pelayanan Prima" in program.get_title(loc="left")
        labels = [tick.get_text() for tick in program.get_yticklabels()][::-1]
        assert labels[0] == "Relevansi dengan pekerjaan"
        named = [label.replace("\n", " ") for label in labels if "(" in label]
        assert named[:2] == ["Penguasaan pengajar (Dr. Sari)", "Penguasaan pengajar (Budi)"]
        assert not any(label.endswith("…") for label in labels)
        legend = fig.legends[0]
        assert [text.get_text() for text in legend.get_texts()] == [
            "1 terendah", "2", "3", "4", "5 tertinggi",
        ]  # fmt: skip
        assert all(float(tick).is_integer() for tick in trend.get_yticks())
        assert min(text.get_fontsize() for text in program.get_yticklabels()) >= 10
    finally:
        plt.close(fig)
    # A week of another unit with nothing in the last eight weeks: no trend panel.
    async with db.session() as session:
        quiet = await build(
            session, scope=[ids["other"]], period=WEEK.previous(3), tz=TZ, today=TODAY,
            min_responses=5,
        )  # fmt: skip
    fig = chart_figure(quiet, t)
    try:
        assert len(fig.axes) == 1
    finally:
        plt.close(fig)


async def test_an_instructor_item_is_flagged_with_that_instructors_share_and_name(
    db: Database,
) -> None:
    """The trial's digest said "0% rated 2 or lower" of the first instructor when the second
    had most of them; each instructor's item is flagged on its own, named."""
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        assert unit and unit.id
        ends = dt.datetime(2026, 11, 14, 16, 0, tzinfo=TZ)
        program = await _program(session, unit.id, "Arsip", ends, instructors=("Sari", "Budi"))
        for n in range(7):
            scores = {(q, -1): 4 for q in ITEMS}
            scores[("penguasaan", 0)] = 5
            scores[("penguasaan", 1)] = 1 if n < 5 else 4  # 5 of 7 low for Budi: 71%
            await _respond(
                session, PROGRAM_SUBJECT, program.id, program.template_id, 100 + n, IN_WEEK,
                scores,
            )  # fmt: skip
        await releases.catch_up(session, minimum=7)
        await session.commit()
        digest = await build(session, scope=None, period=WEEK, tz=TZ, today=TODAY, min_responses=5)
    (found,) = digest.programs
    assert found.flags == [("penguasaan", 1)]
    text = render(digest, Texts("id", TZ).for_language("id"), {})
    assert "⚠️ Penguasaan pengajar (Budi): 71% memberi nilai 2 atau kurang" in text
    assert "(Sari): 0%" not in text


def _local_template() -> dict[str, object]:
    """A local evaluation with codes of its own: the digest reads what each item means from
    its role and its scale, not from the shipped codes."""
    labels = {"id": ["a", "b", "c", "d"], "en": ["a", "b", "c", "d"]}

    def scale(code: str, role: str, **more: object) -> dict[str, object]:
        text = {"id": code, "en": code}
        return {"code": code, "kind": "scale", "role": role, "min": 1, "max": 4,
                "labels": labels, "text": text, **more}  # fmt: skip

    def text(code: str, role: str) -> dict[str, object]:
        return {"code": code, "kind": "text", "role": role, "required": False,
                "text": {"id": code, "en": code}}  # fmt: skip

    return {
        "code": "lokal",
        "version": 1,
        "title": {"id": "Evaluasi lokal", "en": "Local evaluation"},
        "questions": [
            scale("k1", "material"),
            scale("k2", "instructor", per_instructor=True),
            scale("k3", "facilities"),
            text("k4", "hard"),
            text("k5", "suggestion"),
            text("k6", "action_plan"),
        ],
    }


async def test_the_digest_finds_items_by_role_in_a_template_with_other_codes(
    db: Database,
) -> None:
    async with db.session() as session:
        await seed_places(session)
        await seed_templates(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        assert unit and unit.id
        row = QuestionnaireTemplate(code="lokal", version=1, definition=_local_template())
        session.add(row)
        await session.flush()
        assert row.id is not None
        ends = dt.datetime(2026, 11, 14, 16, 0, tzinfo=TZ)
        program = await _program(session, unit.id, "Lokal", ends, instructors=("Sari",))
        program.template_id = row.id
        session.add(program)
        hard = [
            ("k4", "Materi statistik terlalu cepat dan contoh kurang", "negative", -0.6),
            ("k5", "Ruangan perlu pendingin udara yang lebih baik", "neutral", 0.0),
            ("k6", "Rencana aksi: menerapkan SOP pelayanan", "positive", 0.5),
        ]
        for n in range(5):
            scores = {("k1", -1): 4, ("k2", 0): 3, ("k3", -1): 1 if n < 3 else 4}
            await _respond(
                session, PROGRAM_SUBJECT, program.id, row.id, 100 + n, IN_WEEK, scores, hard,
            )  # fmt: skip
        await releases.catch_up(session, minimum=5)
        await session.commit()
        digest = await build(session, scope=None, period=WEEK, tz=TZ, today=TODAY, min_responses=5)
    (found,) = digest.programs
    items = {(i.code, i.instructor): i for i in found.items}
    # The 1-4 scale is the template's: a 4 is the top, 1 and 2 are the low points.
    assert [(i.code, i.role, i.low, i.high) for i in found.items] == [
        ("k1", "material", 1, 4),
        ("k2", "instructor", 1, 4),
        ("k3", "facilities", 1, 4),
    ]
    assert items[("k1", -1)].mean == 4.0 and items[("k1", -1)].counts == (0, 0, 0, 5)
    assert found.flags == [("k3", -1)] and items[("k3", -1)].low_share == 0.6
    assert found.instructors == [("Sari", 3.0, 5)]
    # The themes come from the item whose role is "hard"; the action plan is no comment.
    assert found.theme_texts == ["Materi statistik terlalu cepat dan contoh kurang"] * 5
    # The suggestions' sentiment only: not the difficulties, not the action plan.
    assert found.sentiment == {"neutral": 5}
    # Named and advised by role where the catalogs have no text for the code.
    text = render(digest, Texts("en", TZ).for_language("en"), {})
    assert "Facilities" in text and "Check the room, equipment" in text
    assert "k3" not in text
    chart_png(digest, Texts("en", TZ).for_language("en"))  # a 4-point scale draws too


def test_an_older_stored_template_without_roles_still_loads_with_its_roles() -> None:
    from bot.services.questionnaires import Template, read_template_files

    shipped = {t.code: t for t in read_template_files()}
    for code, template in shipped.items():
        stored = template.model_dump(mode="json")
        for question in stored["questions"]:
            del question["role"]
        again = Template.model_validate(stored)
        assert [q.role for q in again.questions] == [q.role for q in template.questions], code
    unknown = shipped["pelatihan"].model_dump(mode="json")
    unknown["code"] = "other"
    for question in unknown["questions"]:
        del question["role"]
    defaults = {q.kind: q.role for q in Template.model_validate(unknown).questions}
    assert defaults == {"scale": "rating", "text": "comment"}
