"""Any questionnaire in the chat: one question at a time, one tap per rating, then a review.

The questions come from the response's template (bot/services/questionnaires.py); every
answer is a row the moment it is given. A question answered by a button is replaced in place by
the next one, so the chat stays short. The participant can go back, change any answer from the
review (and are taken back to the review after the change), and submit once; an interrupted
questionnaire resumes at the first unanswered question, also after a restart. A tap on an
older question's message (or on the one still on screen when a restart lost its edit) answers
that question only and then shows where the participant is; after submitting it is told
"already submitted".

What a questionnaire is about (a training program, a complaint's SKM survey, a follow-up)
is a *subject*: `SUBJECTS` gives each kind its title line, the values its questions may name,
and what happens after submitting.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import Application

from bot.buttons import FillQuestionnaire, FlowStep
from bot.context import SuaraContext
from bot.handlers.buttons import on_button
from bot.handlers.flow import HANDED_OVER, STAY, Flow, Invalid, Stale, Step, Turn, tell_kept
from bot.handlers.requires import requires
from bot.i18n import Safe
from bot.keyboards import Button, columns, keyboard
from bot.services import questionnaires as engine
from bot.services.access import Need
from bot.services.questionnaires import AnswerError, Item
from bot.storage import flows
from bot.storage.models import FlowState
from bot.storage.questionnaires import RESPONSE_OPEN, RESPONSE_SUBMITTED, Response

ASK, REVIEW = "q", "review"
REVIEW_TEXT_MAX = 80


class QuestionnaireDraft(BaseModel):
    index: int = 0
    # The question was opened from the review: once answered, back to the review.
    editing: bool = False


QTurn = Turn[QuestionnaireDraft]


@dataclass
class Subject:
    """How questionnaires about one kind of subject differ."""

    # The line above every question (the program's title, the ticket), with the values the
    # questions may name ({plan}); computed per response.
    describe: Callable[[SuaraContext, Response], Awaitable[tuple[str, dict[str, str]]]]
    # Says thank you and does what follows a submission (sent in the submitting update).
    submitted: Callable[[QTurn, Response], Awaitable[None]]


SUBJECTS: dict[str, Subject] = {}


@dataclass
class _Loaded:
    response: Response
    asked: list[Item]
    answers: dict[engine.AnswerKey, engine.Answer]
    title: str
    values: dict[str, str]


async def _load(context: SuaraContext, response_id: int) -> _Loaded | None:
    response = await context.db.get(Response, response_id)
    if response is None:
        return None
    template = await engine.template_of(context.db, response.template_id)
    asked = engine.items(template, response.instructors)
    answers = await engine.answers_by_item(context.db, response)
    subject = SUBJECTS.get(response.subject_kind)
    title, values = await subject.describe(context, response) if subject else ("", {})
    return _Loaded(response, asked, answers, title, values)


def _question_text(item: Item, language: str, values: dict[str, str]) -> str:
    """The template's words (plain text, escaped here) with the subject's values put in."""
    text = html.escape(item.question.text(language), quote=False)
    named = {**values, "instructor": item.instructor_name}
    for name, value in named.items():
        text = text.replace("{" + name + "}", html.escape(value, quote=False))
    return text


def _shown_answer(item: Item, answer: engine.Answer | None, language: str) -> str:
    if answer is None:
        return ""
    question = item.question
    if answer.score is not None and question.kind == "scale":
        return f"{answer.score} {question.label(language, answer.score)}"
    if answer.choice is not None:
        for option in question.options:
            if option.code == answer.choice:
                return option.label(language)
    text = answer.text or ""
    return text if len(text) <= REVIEW_TEXT_MAX else text[: REVIEW_TEXT_MAX - 1] + "…"


class Ask(Step[QuestionnaireDraft]):
    """The question at `draft.index`."""

    name = ASK

    async def ask(self, turn: QTurn) -> None:
        loaded = await _load(turn.context, turn.ref)
        if loaded is None:
            raise Stale
        _show(turn, *_render_question(turn, loaded))

    async def on_button(self, turn: QTurn, value: str) -> str:
        index_part, _, action = value.partition(".")
        loaded = await _load(turn.context, turn.ref)
        if loaded is None or not index_part.isdigit() or int(index_part) >= len(loaded.asked):
            raise Stale
        index = int(index_part)
        item = loaded.asked[index]
        # The question the user is at (not the review). A tap on another question's message
        # (an older one, or the one still on screen when a restart lost its edit) answers
        # that question only, and the message then shows where the user is.
        current = index == turn.draft.index and turn.stored != REVIEW
        if action == "back":
            turn.draft.index = max(0, index - 1)
            return ASK
        if action == "next":
            if current and engine.key_of(item) in loaded.answers:
                return self._forward(turn, loaded)
            if current:
                raise Stale
        elif action == "skip":
            await _apply(turn, loaded, item, skip=True)
            if current:
                return self._forward(turn, loaded)
        else:
            before = _value_of(loaded.answers.get(engine.key_of(item)))
            await _apply(turn, loaded, item, value=action)
            if current:
                return self._forward(turn, loaded)
            if _value_of(loaded.answers.get(engine.key_of(item))) != before:
                turn.context.answer(turn.update, turn.t("questionnaire.changed"))
        turn.step = turn.stored or ASK
        await turn.flow.steps[turn.step].ask(turn)
        return STAY

    async def on_message(self, turn: QTurn, message: Message) -> str:
        loaded = await _load(turn.context, turn.ref)
        if loaded is None:
            raise Stale
        item = loaded.asked[min(turn.draft.index, len(loaded.asked) - 1)]
        if message.text is None:
            raise Invalid("questionnaire.text_only")
        if item.question.kind == "choice":
            raise Invalid("questionnaire.use_buttons")
        # A rating may also be typed as its number.
        await _apply(turn, loaded, item, value=message.text)
        return self._forward(turn, loaded)

    async def waits_for_text(self, turn: QTurn) -> bool:
        loaded = await _load(turn.context, turn.ref)
        if loaded is None or not loaded.asked:
            return False
        return loaded.asked[min(turn.draft.index, len(loaded.asked) - 1)].question.kind == "text"

    def mark(self, turn: QTurn) -> str:
        return f"{self.name}:{turn.draft.index}"

    async def on_correction(self, turn: QTurn, message: Message, detail: str) -> None:
        """An edited written answer replaces the answer to the question it answered."""
        loaded = await _load(turn.context, turn.ref)
        if loaded is None or not detail.isdigit() or int(detail) >= len(loaded.asked):
            raise Stale
        item = loaded.asked[int(detail)]
        if message.text is None:
            raise Invalid("questionnaire.text_only")
        if item.question.kind == "choice":
            raise Invalid("questionnaire.use_buttons")
        await _apply(turn, loaded, item, value=message.text)

    def _forward(self, turn: QTurn, loaded: _Loaded) -> str:
        following = turn.draft.index + 1
        if turn.draft.editing or following >= len(loaded.asked):
            turn.draft.editing = False
            return REVIEW
        turn.draft.index = following
        return ASK


def _value_of(answer: engine.Answer | None) -> tuple[object, ...] | None:
    return None if answer is None else (answer.score, answer.choice, answer.text)


async def _apply(
    turn: QTurn, loaded: _Loaded, item: Item, *, value: str = "", skip: bool = False
) -> None:
    context = turn.context
    try:
        if skip:
            await engine.skip(context.db, response=loaded.response, item=item)
        else:
            answer = await engine.record(
                context.db,
                response=loaded.response,
                item=item,
                value=value,
                sentiment=context.bot_data.sentiment,
            )
            loaded.answers[engine.key_of(item)] = answer
    except AnswerError as exc:
        raise Invalid(exc.key, **exc.values) from None


def _render_question(turn: QTurn, loaded: _Loaded) -> tuple[str, InlineKeyboardMarkup]:
    t, language = turn.t, turn.t.language
    index = min(turn.draft.index, len(loaded.asked) - 1)
    turn.draft.index = index
    item = loaded.asked[index]
    question = item.question
    answer = loaded.answers.get(engine.key_of(item))
    section = question.section(language) if question.section else ""
    section = section.replace("{instructor}", item.instructor_name)
    text = t(
        "questionnaire.question",
        title=loaded.title,
        number=index + 1,
        total=len(loaded.asked),
        section=Safe(" · " + html.escape(section, quote=False)) if section else "",
        question=Safe(_question_text(item, language, loaded.values)),
    )
    if answer is not None:
        text += "\n" + t("questionnaire.current", answer=_shown_answer(item, answer, language))
    elif question.kind == "text":
        text += "\n" + t("questionnaire.type_answer")
    rows: list[list[Button]] = []
    if question.kind == "scale":
        rows += [
            [turn.button(f"{n} {question.label(language, n)}", f"{index}.{n}")]
            for n in range(question.max, question.min - 1, -1)
        ]
    elif question.kind == "choice":
        rows += [
            [turn.button(option.label(language), f"{index}.{option.code}")]
            for option in question.options
        ]
    navigation: list[Button] = []
    if index > 0:
        navigation.append(turn.button(t("common.previous"), f"{index}.back"))
    if not question.required:
        navigation.append(turn.button(t("common.skip"), f"{index}.skip"))
    if answer is not None:
        navigation.append(turn.button(t("common.next"), f"{index}.next"))
    rows.append(navigation)
    return text, keyboard(rows)


def _show(turn: QTurn, text: str, markup: InlineKeyboardMarkup) -> None:
    """In place of the pressed question; as a new message after a typed answer, or when the
    questionnaire is opened from another message (an invitation, the menu)."""
    query = turn.update.callback_query
    pressed = FlowStep.parse(query.data) if query is not None else None
    if pressed is not None and pressed.flow == turn.flow.code:
        turn.edit(text, markup)
    else:
        turn.reply(text, markup)


class Review(Step[QuestionnaireDraft]):
    """All answers at a glance: submit, or change one."""

    name = REVIEW

    async def ask(self, turn: QTurn) -> None:
        loaded = await _load(turn.context, turn.ref)
        if loaded is None:
            raise Stale
        t, language = turn.t, turn.t.language
        lines = [t("questionnaire.review_title", title=loaded.title)]
        for number, item in enumerate(loaded.asked, start=1):
            shown = _shown_answer(item, loaded.answers.get(engine.key_of(item)), language)
            lines.append(
                t(
                    "questionnaire.review_line",
                    number=number,
                    question=Safe(_question_text(item, language, loaded.values)),
                    answer=shown or "-",
                )
            )
        edits = [turn.button(str(n), f"e{n - 1}") for n in range(1, len(loaded.asked) + 1)]
        rows: list[list[Button]] = [[turn.button(t("questionnaire.submit"), "send")]]
        rows += columns(edits, 6)
        lines.append(t("questionnaire.review_hint"))
        _show(turn, "\n".join(lines), keyboard(rows))

    async def on_button(self, turn: QTurn, value: str) -> str:
        loaded = await _load(turn.context, turn.ref)
        if loaded is None:
            raise Stale
        if value.startswith("e") and value[1:].isdigit() and int(value[1:]) < len(loaded.asked):
            turn.draft.index = int(value[1:])
            turn.draft.editing = True
            return ASK
        if value != "send":
            raise Stale
        try:
            await engine.submit(
                turn.context.db,
                response=loaded.response,
                asked=loaded.asked,
                minimum=turn.context.settings.feedback_min_responses,
            )
        except AnswerError as exc:
            missing = exc.values.get("number")
            if isinstance(missing, int):
                turn.draft.index = missing - 1
                turn.context.answer(turn.update, turn.t(exc.key, **exc.values), alert=True)
                return ASK
            raise Invalid(exc.key, **exc.values) from None
        turn.edit(turn.t("questionnaire.submitted", title=loaded.title))
        subject = SUBJECTS.get(loaded.response.subject_kind)
        await flows.clear_flow(turn.context.db, turn.user_id, turn.flow.name)
        if subject is not None:
            await subject.submitted(turn, loaded.response)
        await tell_kept(turn.update, turn.context)
        return HANDED_OVER


class QuestionnaireFlow(Flow[QuestionnaireDraft]):
    def accepts(self, stored: str, pressed: str) -> bool:
        # An older question's buttons stay usable until the answers are submitted.
        return stored == pressed or pressed == ASK

    async def on_stale(self, update: Update, context: SuaraContext, data: FlowStep) -> None:
        """A questionnaire button while the chat is elsewhere: a submitted one says so; an
        open one of this user's is picked up again at the pressed question."""
        response = await context.db.get(Response, data.ref) if data.ref else None
        tg_user = update.effective_user
        if response is None or tg_user is None or response.respondent_id != tg_user.id:
            await super().on_stale(update, context, data)
            return
        if response.status != RESPONSE_OPEN:
            closed = response.status != RESPONSE_SUBMITTED
            key = "questionnaire.closed" if closed else "questionnaire.already_submitted"
            context.answer(update, context.t(key), alert=True)
            return
        state = await flows.get_flow(context.db, tg_user.id, self.name)
        if state is not None and state.draft.get("ref") == data.ref:
            await super().on_stale(update, context, data)  # the right flow, a wrong step
            return
        await resume(update, context, response, announce=False)
        await self.on_button(update, context, data)

    async def kept(self, update: Update, context: SuaraContext, state: FlowState) -> None:
        """The questionnaire waits: its button (the invitation's) continues it."""
        ref = state.draft.get("ref")
        markup = None
        if isinstance(ref, int):
            markup = keyboard(
                [[(context.t("flows.continue_questionnaire"), FillQuestionnaire(ref))]]
            )
        context.reply(update, context.t("flows.kept_questionnaire"), markup)


QUESTIONNAIRE = QuestionnaireFlow(
    name="questionnaire",
    code="q",
    draft=QuestionnaireDraft,
    steps=[Ask(), Review()],
    order=[ASK, REVIEW],
)


async def resume(
    update: Update, context: SuaraContext, response: Response, *, announce: bool = True
) -> None:
    """Starts or continues a response at its first unanswered question (the review when
    every required one is answered)."""
    assert response.id is not None
    if response.status != RESPONSE_OPEN:
        closed = response.status != RESPONSE_SUBMITTED
        key = "questionnaire.closed" if closed else "questionnaire.already_submitted"
        context.reply(update, context.t(key))
        return
    template = await engine.template_of(context.db, response.template_id)
    asked = engine.items(template, response.instructors)
    answers = await engine.answers_by_item(context.db, response)
    missing = engine.first_unanswered(asked, answers)
    if not announce:
        aside = await flows.set_flow(
            context.db,
            user_id=response.respondent_id,
            flow=QUESTIONNAIRE.name,
            step=ASK,
            draft={"index": missing or 0, "ref": response.id},
        )
        await tell_kept(update, context, aside)
        return
    if missing is None and answers:
        await QUESTIONNAIRE.start(
            update, context, QuestionnaireDraft(), at=REVIEW, ref=response.id
        )
        return
    draft = QuestionnaireDraft(index=missing or 0)
    await QUESTIONNAIRE.start(update, context, draft, at=ASK, ref=response.id)


@requires(Need.ANYONE)
async def fill_button(update: Update, context: SuaraContext, pressed: FillQuestionnaire) -> None:
    """The button under an invitation or a reminder: opens (or continues) the questionnaire."""
    response = await context.db.get(Response, pressed.response)
    tg_user = update.effective_user
    if response is None or tg_user is None or response.respondent_id != tg_user.id:
        context.deny(update)
        return
    context.answer(update)
    await resume(update, context, response)


def register(application: Application) -> None:
    QUESTIONNAIRE.register(application)
    application.add_handler(on_button(FillQuestionnaire, fill_button))
