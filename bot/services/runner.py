"""Running a questionnaire, whatever the door: next, back, skip, change from the review, submit.

Every function takes the respondent, the response and where they are (`Position`: the question,
whether it was opened from the review, or the review itself) and returns what to show next as
data (`Shown`): a question, the review, or the submitted questionnaire with what follows it
(its kind's, bot/services/kinds.py). The chat (bot/handlers/questionnaire.py) keeps the position
in the user's flow state and renders the views; a web page could keep it in its URL and run the
same functions. Answers are rows the moment they are given (bot/services/questionnaires.py),
so a questionnaire interrupted anywhere continues where it stopped.

A tap on another question than the one the respondent is at (an older message, or the one
still on screen after a restart lost its edit) answers that question only and shows where the
respondent is. Refusals are `Refused`: a wrong answer (`AnswerError`), a response that is not
theirs (`NotFound`), a button that means nothing here ("button.stale").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import kinds
from bot.services import questionnaires as engine
from bot.services.errors import NotFound, Refused
from bot.services.kinds import After, Heading, Kind
from bot.services.questionnaires import AnswerError, Item, Sentiment
from bot.storage.programs import Program
from bot.storage.questionnaires import (
    PROGRAM_SUBJECT,
    RESPONSE_OPEN,
    RESPONSE_SUBMITTED,
    Answer,
    Response,
)


@dataclass(frozen=True)
class Position:
    """Where the respondent is: the question at `index` (opened from the review when
    `editing`: once answered, back to the review), or the review."""

    index: int = 0
    editing: bool = False
    review: bool = False


@dataclass(frozen=True)
class QuestionView:
    response: int
    index: int
    total: int
    item: Item
    answer: Answer | None
    heading: Heading
    values: dict[str, str]
    can_back: bool
    can_skip: bool
    can_next: bool
    # The languages the form is asked in here (`questionnaires.asked_in` picks the
    # respondent's), Indonesian first.
    languages: tuple[str, ...] = engine.LANGUAGES


@dataclass(frozen=True)
class ReviewView:
    response: int
    heading: Heading
    values: dict[str, str]
    entries: list[tuple[Item, Answer | None]]
    languages: tuple[str, ...] = engine.LANGUAGES
    page: int = 0  # which page of the entries the chat shows (a long review is paged)


@dataclass(frozen=True)
class SubmittedView:
    response: int
    heading: Heading
    after: list[After]


View = QuestionView | ReviewView | SubmittedView


@dataclass(frozen=True)
class Shown:
    view: View
    position: Position
    # A text to tell beside the view (with `values`): an answer changed, one still missing.
    note: str = ""
    values: dict[str, object] = field(default_factory=dict)
    alert: bool = False

    @property
    def done(self) -> bool:
        return isinstance(self.view, SubmittedView)


STALE = "button.stale"


@dataclass
class _Run:
    response: Response
    kind: Kind | None
    asked: list[Item]
    answers: dict[engine.AnswerKey, Answer]
    heading: Heading
    values: dict[str, str]
    every: list[Item] = field(default_factory=list)  # before the conditions
    facts: dict[str, str] = field(default_factory=dict)
    languages: tuple[str, ...] = engine.LANGUAGES

    def refresh(self) -> None:
        """What is asked after an answer changed: an item may depend on it."""
        self.asked = engine.applicable(self.every, self.facts, self.answers)

    @property
    def id(self) -> int:
        assert self.response.id is not None
        return self.response.id

    def item(self, index: int) -> Item:
        if not 0 <= index < len(self.asked):
            raise Refused(STALE)
        return self.asked[index]


async def _load(session: AsyncSession, respondent: int, response_id: int) -> _Run:
    response = await session.get(Response, response_id)
    kind = kinds.kind_of(response) if response is not None else None
    if response is None or not (kind.may_answer if kind else kinds.respondent_only)(
        response, respondent
    ):
        raise NotFound()
    template = await engine.template_of(session, response.template_id)
    answers = await engine.answers_by_item(session, response)
    facts = await kind.facts(session, response) if kind else {}
    every = engine.items(template, response.instructors)
    asked = engine.applicable(every, facts, answers)
    heading, values = await kind.describe(session, response) if kind else (Heading(), {})
    names = {name: "-" for name in kind.names} if kind else {}
    languages = await _languages(session, response, template)
    return _Run(
        response, kind, asked, answers, heading, {**names, **values}, every, facts, languages
    )


async def _languages(
    session: AsyncSession, response: Response, template: engine.Template
) -> tuple[str, ...]:
    """The form's languages, as far as the program it is asked about chose them (a
    program's evaluation; another form, its follow-up's say, has its own)."""
    if response.subject_kind == PROGRAM_SUBJECT:
        program = await session.get(Program, response.subject_id)
        if program is not None and program.template_id == response.template_id:
            return engine.chosen_languages(template, program.languages)
    return template.offered


def _check_open(response: Response) -> None:
    if response.status == RESPONSE_SUBMITTED:
        raise AnswerError("questionnaire.already_submitted")
    if response.status != RESPONSE_OPEN:
        raise AnswerError("questionnaire.closed")


def _view(run: _Run, at: Position) -> Shown:
    if at.review or not run.asked:
        entries = [(item, run.answers.get(engine.key_of(item))) for item in run.asked]
        review = ReviewView(run.id, run.heading, run.values, entries, run.languages)
        return Shown(review, Position(review=True))
    index = min(max(at.index, 0), len(run.asked) - 1)
    item = run.asked[index]
    answer = run.answers.get(engine.key_of(item))
    view = QuestionView(
        response=run.id,
        index=index,
        total=len(run.asked),
        item=item,
        answer=answer,
        heading=run.heading,
        values=run.values,
        can_back=index > 0,
        can_skip=not item.question.required,
        can_next=answer is not None or item.question.kind == "note",
        languages=run.languages,
    )
    return Shown(view, replace(at, index=index))


def _forward(run: _Run, at: Position) -> Shown:
    following = at.index + 1
    if at.editing or following >= len(run.asked):
        return _view(run, Position(review=True))
    return _view(run, Position(following))


def _current(at: Position, index: int) -> bool:
    return index == at.index and not at.review


def _value_of(answer: Answer | None) -> tuple[object, ...] | None:
    return None if answer is None else (answer.score, answer.choice, answer.text)


async def _record(
    session: AsyncSession, run: _Run, item: Item, value: str, sentiment: Sentiment | None
) -> bool:
    """Stores the answer; True when it differs from the one before."""
    before = _value_of(run.answers.get(engine.key_of(item)))
    answer = await engine.record(
        session, response=run.response, item=item, value=value, sentiment=sentiment
    )
    run.answers[engine.key_of(item)] = answer
    run.refresh()
    return _value_of(answer) != before


# -- the API -----------------------------------------------------------------------------------


async def begin(session: AsyncSession, *, respondent: int, response_id: int) -> Shown:
    """Starts or continues the response at its first unanswered question (the review when
    every required one is answered)."""
    run = await _load(session, respondent, response_id)
    _check_open(run.response)
    missing = engine.first_unanswered(run.asked, run.answers)
    if missing is None and run.answers:
        return _view(run, Position(review=True))
    return _view(run, Position(missing or 0))


async def show(session: AsyncSession, *, respondent: int, response_id: int, at: Position) -> Shown:
    """What is at `at` (again): a question, or the review."""
    run = await _load(session, respondent, response_id)
    _check_open(run.response)
    return _view(run, at)


async def answer(
    session: AsyncSession,
    *,
    respondent: int,
    response_id: int,
    at: Position,
    index: int,
    value: str,
    sentiment: Sentiment | None = None,
) -> Shown:
    """The answer `value` (a scale point, an option's code, a text) to the question at
    `index`: the next question after the current one; after another, where the respondent is."""
    run = await _load(session, respondent, response_id)
    item = run.item(index)
    changed = await _record(session, run, item, value, sentiment)
    if _current(at, index):
        return _forward(run, at)
    shown = _view(run, at)
    return replace(shown, note="questionnaire.changed") if changed else shown


async def write(
    session: AsyncSession,
    *,
    respondent: int,
    response_id: int,
    at: Position,
    text: str,
    sentiment: Sentiment | None = None,
) -> Shown:
    """A written answer to the question the respondent is at (a rating may be typed as its
    number; a choice needs its buttons)."""
    run = await _load(session, respondent, response_id)
    _check_open(run.response)
    index = min(max(at.index, 0), len(run.asked) - 1)
    if run.asked[index].question.kind == "choice":
        raise AnswerError("questionnaire.use_buttons")
    await _record(session, run, run.asked[index], text, sentiment)
    return _forward(run, replace(at, index=index, review=False))


async def correct(
    session: AsyncSession,
    *,
    respondent: int,
    response_id: int,
    at: Position,
    index: int,
    text: str,
    sentiment: Sentiment | None = None,
) -> Shown:
    """A written answer edited afterwards replaces the answer it was; the respondent stays."""
    run = await _load(session, respondent, response_id)
    item = run.item(index)
    if item.question.kind == "choice":
        raise AnswerError("questionnaire.use_buttons")
    await _record(session, run, item, text, sentiment)
    return _view(run, at)


async def back(
    session: AsyncSession, *, respondent: int, response_id: int, at: Position, index: int
) -> Shown:
    """The question before the one at `index`."""
    run = await _load(session, respondent, response_id)
    _check_open(run.response)
    run.item(index)
    return _view(run, Position(max(0, index - 1), editing=at.editing))


async def skip(
    session: AsyncSession, *, respondent: int, response_id: int, at: Position, index: int
) -> Shown:
    """An optional question left unanswered (an earlier answer to it is removed)."""
    run = await _load(session, respondent, response_id)
    item = run.item(index)
    await engine.skip(session, response=run.response, item=item)
    run.answers.pop(engine.key_of(item), None)
    run.refresh()
    return _forward(run, at) if _current(at, index) else _view(run, at)


async def next_question(
    session: AsyncSession, *, respondent: int, response_id: int, at: Position, index: int
) -> Shown:
    """On from an answered question, keeping its answer."""
    run = await _load(session, respondent, response_id)
    _check_open(run.response)
    item = run.item(index)
    passed = engine.key_of(item) in run.answers or item.question.kind == "note"
    if _current(at, index) and passed:
        return _forward(run, at)
    return _view(run, at)


async def change(session: AsyncSession, *, respondent: int, response_id: int, index: int) -> Shown:
    """From the review: the question at `index`, and the review again once it is answered."""
    run = await _load(session, respondent, response_id)
    _check_open(run.response)
    run.item(index)
    return _view(run, Position(index, editing=True))


async def submit(
    session: AsyncSession, *, respondent: int, response_id: int, minimum: int
) -> Shown:
    """Makes the answers final and does what the kind does after (releases in blocks of
    `minimum`, thanks, the supervisor's link). A missing answer takes the respondent to it."""
    run = await _load(session, respondent, response_id)
    try:
        await engine.submit(session, response=run.response, asked=run.asked)
    except AnswerError as exc:
        missing = exc.values.get("number")
        if not isinstance(missing, int):
            raise
        shown = _view(run, Position(missing - 1))
        return replace(shown, note=exc.key, values=exc.values, alert=True)
    after = await run.kind.after_submit(session, run.response, minimum) if run.kind else []
    return Shown(SubmittedView(run.id, run.heading, after), Position(review=True))
