"""The questionnaire engine on a real database: questions as data, one row per answer, final
once submitted."""

from __future__ import annotations

import pytest

from bot.services import questionnaires as engine
from bot.services.questionnaires import AnswerError
from bot.storage.db import Database
from bot.storage.questionnaires import answers_of


def test_the_shipped_templates_are_valid_in_both_languages() -> None:
    templates = {t.code: t for t in engine.read_template_files()}
    assert set(templates) == {"skm", "pelatihan", "pasca", "atasan", "uji_prima"}
    skm = templates["skm"]
    assert [q.code for q in skm.questions] == [f"u{n}" for n in range(1, 10)]
    assert all((q.kind, q.min, q.max) == ("scale", 1, 4) for q in skm.questions)


def test_instructor_questions_are_asked_for_each_instructor_in_turn() -> None:
    training = next(t for t in engine.read_template_files() if t.code == "pelatihan")
    asked = engine.items(training, ["Sari", "Budi"])
    codes = [(i.question.code, i.instructor_name) for i in asked]
    assert codes[3:7] == [
        ("penguasaan", "Sari"),
        ("penyampaian", "Sari"),
        ("penguasaan", "Budi"),
        ("penyampaian", "Budi"),
    ]
    assert len(engine.items(training, [])) == len(asked) - 4


async def test_answers_are_checked_stored_once_each_and_final_after_submit(db: Database) -> None:
    async with db.session() as session:
        await engine.seed_templates(session)
        assert await engine.seed_templates(session) == 0  # seeding again adds nothing
        template = await engine.latest(session, "pelatihan")
        assert template.id is not None
        response = await engine.open_response(
            session,
            template_id=template.id,
            subject_kind="program",
            subject_id=1,
            respondent_id=42,
            instructors=["Sari"],
        )
        asked = engine.items(await engine.template_of(session, template.id), ["Sari"])
        first, plan = asked[0], next(i for i in asked if i.question.code == "rencana")
        for bad in ("0", "6", "x", "4.5", ""):
            with pytest.raises(AnswerError):
                await engine.record(session, response=response, item=first, value=bad)
        await engine.record(session, response=response, item=first, value="2")
        await engine.record(session, response=response, item=first, value="5")  # changed
        with pytest.raises(AnswerError) as empty:
            # Control and invisible characters are not an answer.
            await engine.record(session, response=response, item=plan, value="\x1b\u200b\u200b ")
        assert empty.value.key == "questionnaire.text_empty"
        with pytest.raises(AnswerError) as missing:
            await engine.submit(session, response=response, asked=asked, minimum=5)
        assert missing.value.key == "questionnaire.missing"
        for item in asked:
            if item.question.kind == "scale":
                await engine.record(session, response=response, item=item, value="4")
        await engine.record(
            session, response=response, item=plan, value="Antrean\x0b daring 👩\u200d💻"
        )
        await engine.submit(session, response=response, asked=asked, minimum=5)
        with pytest.raises(AnswerError) as again:
            await engine.submit(session, response=response, asked=asked, minimum=5)
        assert again.value.key == "questionnaire.already_submitted"
        with pytest.raises(AnswerError):
            await engine.record(session, response=response, item=first, value="1")
        assert response.id is not None
        rows = {(a.question, a.instructor): a for a in await answers_of(session, response.id)}
        await session.commit()
    assert rows[("relevansi", -1)].score == 4
    # The emoji keeps its joiner; the vertical tab is gone.
    assert rows[("rencana", -1)].text == "Antrean daring 👩\u200d💻"
    assert len(rows) == sum(i.question.kind == "scale" for i in asked) + 1
