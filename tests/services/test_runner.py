"""The questionnaire runner driven through its service API, with no Telegram: next, back,
skip, an older question's tap, change from the review, submit, and who may answer."""

from __future__ import annotations

import pytest

from bot.services import kinds, runner
from bot.services import questionnaires as engine
from bot.services.errors import NotFound, Refused
from bot.services.runner import Position, QuestionView, ReviewView, SubmittedView
from bot.storage.db import Database
from bot.storage.questionnaires import Response, answers_of

ME, STRANGER = 42, 43


async def _response(session) -> int:  # type: ignore[no-untyped-def]
    await engine.seed_templates(session)
    template = await engine.latest(session, "pelatihan")
    assert template.id is not None
    response = await engine.open_response(
        session,
        template_id=template.id,
        subject_kind="program",
        subject_id=1,
        respondent_id=ME,
        instructors=["Sari"],
    )
    assert response.id is not None
    return response.id


def _question(shown: runner.Shown) -> QuestionView:
    assert isinstance(shown.view, QuestionView), shown.view
    return shown.view


async def test_next_back_skip_change_from_the_review_and_submit(db: Database) -> None:
    async with db.session() as session:
        ref = await _response(session)
        me = {"respondent": ME, "response_id": ref}
        shown = await runner.begin(session, **me)
        first = _question(shown)
        assert (first.index, first.total, first.can_back, first.can_next) == (0, 11, False, False)

        shown = await runner.answer(session, **me, at=shown.position, index=0, value="4")
        assert _question(shown).index == 1 and shown.position == Position(1)
        shown = await runner.back(session, **me, at=shown.position, index=1)
        back = _question(shown)
        assert back.index == 0 and back.answer is not None and back.answer.score == 4
        assert back.can_next
        shown = await runner.next_question(session, **me, at=shown.position, index=0)
        assert shown.position == Position(1)
        # A tap on question one's older message: changes question one, stays at two.
        older = await runner.answer(session, **me, at=shown.position, index=0, value="2")
        assert older.position == Position(1) and older.note == "questionnaire.changed"
        with pytest.raises(Refused):  # not a point of the scale
            await runner.answer(session, **me, at=shown.position, index=1, value="9")
        with pytest.raises(Refused) as far:  # no question 99
            await runner.answer(session, **me, at=shown.position, index=99, value="4")
        assert far.value.key == "button.stale"

        # The rest: ratings, the optional texts skipped, the action plan written.
        while isinstance(shown.view, QuestionView):
            view, at = shown.view, shown.position
            if view.item.question.kind == "scale":
                shown = await runner.answer(session, **me, at=at, index=view.index, value="5")
            elif view.can_skip:
                shown = await runner.skip(session, **me, at=at, index=view.index)
            else:
                shown = await runner.write(session, **me, at=at, text="Menerapkan SOP")
        assert isinstance(shown.view, ReviewView) and shown.position.review
        assert len(shown.view.entries) == 11

        # Changing the third answer from the review: question three, then the review again.
        shown = await runner.change(session, **me, index=2)
        assert _question(shown).index == 2 and shown.position == Position(2, editing=True)
        shown = await runner.answer(session, **me, at=shown.position, index=2, value="1")
        assert isinstance(shown.view, ReviewView)
        third = shown.view.entries[2][1]
        assert third is not None and third.score == 1

        # Someone else cannot run it; submitting makes it final and does what the kind does.
        with pytest.raises(NotFound):
            await runner.show(session, respondent=STRANGER, response_id=ref, at=Position())
        done = await runner.submit(session, **me, minimum=1)
        assert isinstance(done.view, SubmittedView) and done.done
        assert done.view.after == [kinds.Thanks("feedback.thanks")]
        response = await session.get(Response, ref)
        assert response is not None and response.released_at is not None  # a block of 1
        with pytest.raises(Refused) as again:
            await runner.submit(session, **me, minimum=1)
        assert again.value.key == "questionnaire.already_submitted"
        with pytest.raises(Refused):
            await runner.answer(session, **me, at=Position(0), index=0, value="3")
        assert len(await answers_of(session, ref)) == 9  # 11 asked, two skipped


async def test_a_submission_with_a_missing_answer_goes_to_it(db: Database) -> None:
    async with db.session() as session:
        ref = await _response(session)
        me = {"respondent": ME, "response_id": ref}
        shown = await runner.begin(session, **me)
        await runner.answer(session, **me, at=shown.position, index=0, value="4")
        missing = await runner.submit(session, **me, minimum=5)
        assert _question(missing).index == 1 and missing.alert
        assert missing.note == "questionnaire.missing" and missing.values == {"number": 2}
        # An interrupted questionnaire continues at its first unanswered question.
        assert (await runner.begin(session, **me)).position == Position(1)


def test_every_kind_is_registered_once_with_its_template() -> None:
    shipped = {t.code: t for t in engine.read_template_files()}
    assert {k.subject: k.template for k in kinds.KINDS.values()} == {
        "program": "pelatihan",
        "complaint": "skm",
        "followup": "pasca",
        "supervisor": "atasan",
        "pretest": "uji_prima",
        "posttest": "uji_prima",
    }
    for kind in kinds.KINDS.values():
        named = {
            name
            for question in shipped[kind.template].questions
            for name in ("plan",)
            if "{" + name + "}" in question.text.id
        }
        assert named <= set(kind.names), kind.subject
    with pytest.raises(ValueError):
        kinds.register(kinds.TRAINING)
