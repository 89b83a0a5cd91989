"""Level 2 (learning): a program's knowledge test, taken before the training and after it.

A test is a questionnaire template whose questions are choices with one `correct` option
(bot/storage/templates/uji_prima.json is an example). An organizer gives a program its test
(`python -m bot program test CODE TEMPLATE`); from then on a participant who joins before the
training ends gets the pre-test at once, and everyone gets the post-test when the training
ends, beside the evaluation (bot/services/feedback.py dispatch and invite). Both are kinds of
their own (bot/services/kinds.py), so the runner asks them as it asks any questionnaire.

After the post-test the participant alone sees their two scores and the right answers. The
organizers see the class's mean pre-test and post-test scores (in %) and the normalized gain
<g> = (post - pre) / (100 - pre) of those class means (Hake 1998: the gain achieved of the
gain possible), each made of released answers only (bot/services/releases.py: blocks of
FEEDBACK_MIN_RESPONSES per program and kind) and withheld below the minimum. Nobody's pair of
scores is shown or stored apart from their own answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.buttons import FillQuestionnaire
from bot.services import questionnaires, releases
from bot.services.access import Access, Need
from bot.services.conditions import Condition
from bot.services.errors import Refused
from bot.services.notices import Notice
from bot.services.programs import Done, managed, unit_may_use
from bot.services.questionnaires import Template
from bot.storage.programs import PROGRAM_CLOSED, Program
from bot.storage.questionnaires import (
    POSTTEST_SUBJECT,
    PRETEST_SUBJECT,
    RESPONSE_SUBMITTED,
    Answer,
    Response,
    latest_template,
    response_for,
)

TEST_KINDS = (PRETEST_SUBJECT, POSTTEST_SUBJECT)


@dataclass(frozen=True)
class Score:
    right: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.right / self.total if self.total else 0.0


def scored(template: Template) -> list[questionnaires.Question]:
    """The questions that count: choices with a correct option."""
    return [
        q
        for q in template.questions
        if q.kind == "choice" and any(option.correct for option in q.options)
    ]


def score_of(template: Template, choices: dict[str, str | None]) -> Score:
    """How many of the test's questions `choices` (question code -> option code) got right."""
    questions = scored(template)
    right = sum(
        1 for q in questions if any(o.correct and o.code == choices.get(q.code) for o in q.options)
    )
    return Score(right, len(questions))


def normalized_gain(pre: float | None, post: float | None) -> float | None:
    """Hake's <g> from class means in %: the share of the possible gain achieved. None when a
    mean is missing (withheld) or the pre-test mean is 100 % (no gain was possible)."""
    if pre is None or post is None or pre >= 100.0:
        return None
    return (post - pre) / (100.0 - pre)


# -- setting a program's test ------------------------------------------------------------------


async def configure(
    session: AsyncSession, caller: Access, program_id: int, template_code: str
) -> Done:
    """Gives the program the test `template_code` (its newest version). A template that is
    not a test (a question without a correct option), or another unit's (`unit_may_use`), is
    refused; once anyone took the program's test it keeps the one they took."""
    caller.require(Need.ORGANIZER)
    program = await managed(session, caller, program_id)
    assert program.id is not None
    row = await latest_template(session, template_code[:32])
    # Another unit's test is refused as if it did not exist, as programs refuse its forms.
    if row is None or row.id is None or not unit_may_use(row, {program.unit_id}):
        raise Refused("knowledge.no_template", code=template_code[:32])
    template = await questionnaires.template_of(session, row.id)
    if not template.questions or len(scored(template)) != len(template.questions):
        raise Refused("knowledge.not_a_test", code=template.code)
    taken = (
        await session.exec(
            select(Response.id).where(
                col(Response.subject_kind).in_(TEST_KINDS),
                col(Response.subject_id) == program.id,
            )
        )
    ).first()
    if taken is not None and program.test_template_id != row.id:
        raise Refused("knowledge.already_taken", title=program.title)
    program.test_template_id = row.id
    session.add(program)
    caller.audit(session, "knowledge_test", "program", program.id, template.code)
    return Done(program, "knowledge.configured", {"title": program.title, "code": template.code})


# -- sending the tests ---------------------------------------------------------------------


async def pretest(
    session: AsyncSession, program: Program, user_id: int, *, now: dt.datetime
) -> Notice | None:
    """The pre-test for someone who joined before the training ended (nothing after: a test
    taken after the training says nothing about before)."""
    if program.test_template_id is None or now >= program.ends_at:
        return None
    return await _test(session, program, user_id, PRETEST_SUBJECT, "knowledge.pre_invitation")


async def posttest(
    session: AsyncSession, program: Program, user_id: int, *, send_at: dt.datetime
) -> Notice | None:
    """The post-test, sent with the evaluation when the training ends."""
    if program.test_template_id is None or program.status == PROGRAM_CLOSED:
        return None
    notice = await _test(session, program, user_id, POSTTEST_SUBJECT, "knowledge.post_invitation")
    return None if notice is None else _at(notice, send_at)


def _at(notice: Notice, send_at: dt.datetime) -> Notice:
    return Notice(
        notice.user_id,
        notice.key,
        notice.values,
        notice.buttons,
        dedupe_key=notice.dedupe_key,
        not_before=send_at,
        condition=notice.condition,
    )


async def _test(
    session: AsyncSession, program: Program, user_id: int, kind: str, key: str
) -> Notice | None:
    assert program.id is not None and program.test_template_id is not None
    before = await response_for(
        session, subject_kind=kind, subject_id=program.id, respondent_id=user_id
    )
    if before is not None:
        return None
    response = await questionnaires.open_response(
        session,
        template_id=program.test_template_id,
        subject_kind=kind,
        subject_id=program.id,
        respondent_id=user_id,
    )
    assert response.id is not None
    return Notice(
        user_id,
        key,
        {"title": program.title},
        ((("feedback.fill", FillQuestionnaire(response.id)),),),
        dedupe_key=f"{kind}:{response.id}",
        condition=Condition(response_open=response.id),
    )


# -- the participant's own result --------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """One question of the post-test, for its respondent: what they chose and what was right."""

    question: questionnaires.Question
    chosen: str | None
    right: str

    @property
    def ok(self) -> bool:
        return self.chosen == self.right


@dataclass(frozen=True)
class Result:
    """The participant's own scores (pre None: they did not take the pre-test) and the right
    answers of the post-test. Shown to them only, right after they submit it."""

    post: Score
    pre: Score | None
    checked: tuple[Checked, ...]


async def _choices(session: AsyncSession, response: Response) -> dict[str, str | None]:
    return {
        code: answer.choice
        for (code, _), answer in (await questionnaires.answers_by_item(session, response)).items()
    }


async def result_of(session: AsyncSession, response: Response) -> Result:
    template = await questionnaires.template_of(session, response.template_id)
    chosen = await _choices(session, response)
    checked = tuple(
        Checked(q, chosen.get(q.code), next(o.code for o in q.options if o.correct))
        for q in scored(template)
    )
    pre = await response_for(
        session,
        subject_kind=PRETEST_SUBJECT,
        subject_id=response.subject_id,
        respondent_id=response.respondent_id,
    )
    pre_score = None
    if pre is not None and pre.status == RESPONSE_SUBMITTED:
        pre_template = await questionnaires.template_of(session, pre.template_id)
        pre_score = score_of(pre_template, await _choices(session, pre))
    return Result(score_of(template, chosen), pre_score, checked)


# -- the class's figures -----------------------------------------------------------------------


@dataclass
class Knowledge:
    """A program's Level 2 figures from released answers; None: withheld (or none)."""

    pre: float | None = None  # mean pre-test score, %
    post: float | None = None  # mean post-test score, %
    pre_n: int = 0
    post_n: int = 0

    @property
    def gain(self) -> float | None:
        return normalized_gain(self.pre, self.post)

    @property
    def empty(self) -> bool:
        return self.pre is None and self.post is None


async def results(
    session: AsyncSession,
    program_ids: Sequence[int],
    *,
    minimum: int,
    until: dt.datetime | None = None,
) -> dict[int, Knowledge]:
    """Per program with a test: its Level 2 figures (released before `until`), each mean
    withheld below `minimum` tests. Two queries, whatever the number of programs."""
    ids = list(program_ids)
    found: dict[int, Knowledge] = {}
    if not ids:
        return found
    tests = (
        await session.exec(
            select(
                Response.id, Response.subject_kind, Response.subject_id, Response.template_id
            ).where(
                col(Response.subject_kind).in_(TEST_KINDS),
                col(Response.subject_id).in_(ids),
                col(Response.status) == RESPONSE_SUBMITTED,
                *releases.released(until),
            )
        )
    ).all()
    if not tests:
        return found
    chosen: dict[int, dict[str, str | None]] = {}
    answers = await session.exec(
        select(Answer.response_id, Answer.question, Answer.choice).where(
            col(Answer.response_id).in_([t[0] for t in tests])
        )
    )
    for response_id, question, choice in answers.all():
        chosen.setdefault(int(response_id), {})[str(question)] = choice
    scores: dict[tuple[int, str], list[float]] = {}
    for test_id, kind, program_id, template_id in tests:
        template = await questionnaires.template_of(session, int(template_id))
        score = score_of(template, chosen.get(int(test_id or 0), {}))
        scores.setdefault((int(program_id), str(kind)), []).append(score.percent)
    for (program_id, kind), values in scores.items():
        figures = found.setdefault(program_id, Knowledge())
        if len(values) < minimum:
            continue
        mean = sum(values) / len(values)
        if kind == PRETEST_SUBJECT:
            figures.pre, figures.pre_n = mean, len(values)
        else:
            figures.post, figures.post_n = mean, len(values)
    return found
