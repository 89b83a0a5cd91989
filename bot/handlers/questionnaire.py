"""Any questionnaire in the chat: the door to bot/services/runner.py.

The runner decides everything (which question follows, the review after a change, what a
submission does for each kind, bot/services/kinds.py); this module parses the pressed button,
calls it, and renders what it returns. A question answered by a button is replaced in place by
the next one, so the chat stays short. Where the respondent is (the question, or the review)
is kept in their flow state (bot/handlers/flow.py), which also takes a written answer, an edited
one, and puts another flow aside while the questionnaire runs.

The buttons are typed (bot/buttons.py: answer, back, skip, next, change, submit), each naming
the response and the question it was shown with. A button of the older layout (a flow button
carrying "3.back") still in someone's chat is answered with where they are, not an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from pydantic import BaseModel
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import Application

from bot.buttons import (
    QUESTIONNAIRE_BUTTONS,
    ButtonData,
    ChangeAnswer,
    FillQuestionnaire,
    FlowStep,
    QuestionAnswer,
    QuestionBack,
    QuestionNext,
    QuestionSkip,
    ReviewPage,
    SubmitAnswers,
)
from bot.context import SuaraContext
from bot.handlers.buttons import on_button
from bot.handlers.flow import STAY, Flow, Invalid, Stale, Step, Turn, tell_kept
from bot.handlers.requires import requires
from bot.i18n import Safe
from bot.keyboards import Button, columns, keyboard, page_of, pager
from bot.reports import knowledge_text
from bot.services import feedback, runner
from bot.services.access import Need
from bot.services.errors import NotFound, Refused
from bot.services.kinds import Deliver, Heading, PassToSupervisor, TestResult, Thanks
from bot.services.question_face import question_face, question_text
from bot.services.questionnaires import NOT_ATTENDED, Item, asked_in
from bot.services.runner import Position, QuestionView, ReviewView, Shown, SubmittedView
from bot.storage import flows
from bot.storage.models import FlowState
from bot.storage.questionnaires import Answer, Response

ASK, REVIEW = "q", "review"
REVIEW_TEXT_MAX = 80


class QuestionnaireDraft(BaseModel):
    index: int = 0
    # The question was opened from the review: once answered, back to the review.
    editing: bool = False


QTurn = Turn[QuestionnaireDraft]


def _position(draft: QuestionnaireDraft, step: str) -> Position:
    return Position(draft.index, draft.editing, review=step == REVIEW)


# -- rendering --------------------------------------------------------------------------------


def _title(t: Any, heading: Heading) -> str:
    return Safe(t(heading.key, title=heading.title)) if heading.key else heading.title


def _shown_answer(t: Any, item: Item, answer: Answer | None, language: str) -> str:
    """The answer as the form words it (in `language`, the one it is asked in)."""
    if answer is None:
        return ""
    question = item.question
    if answer.choice == NOT_ATTENDED and question.not_attended:
        return str(t("xlsform.not_attended"))
    if answer.score is not None and question.kind == "scale":
        return f"{answer.score} {question.label(language, answer.score)}"
    if answer.choice is not None:
        for option in question.options:
            if option.code == answer.choice:
                return option.label(language)
    text = answer.text or ""
    return text if len(text) <= REVIEW_TEXT_MAX else text[: REVIEW_TEXT_MAX - 1] + "…"


def _render_question(t: Any, view: QuestionView) -> tuple[str, InlineKeyboardMarkup]:
    item, index = view.item, view.index
    language = asked_in(view.languages, t.language)
    face = question_face(
        t,
        item,
        title=_title(t, view.heading),
        number=index + 1,
        total=view.total,
        values=view.values,
        shown_answer=(
            _shown_answer(t, item, view.answer, language) if view.answer is not None else None
        ),
        language=language,
    )
    ref = view.response
    rows: list[list[Button]] = [
        [(label, QuestionAnswer(ref, index, value))] for label, value in face.answers
    ]
    navigation: list[Button] = []
    if view.can_back:
        navigation.append((t("common.previous"), QuestionBack(ref, index)))
    if view.can_skip:
        navigation.append((t("common.skip"), QuestionSkip(ref, index)))
    if view.can_next:
        navigation.append((t("common.next"), QuestionNext(ref, index)))
    rows.append(navigation)
    return face.text, keyboard(rows)


def _render_review(t: Any, view: ReviewView) -> tuple[str, InlineKeyboardMarkup]:
    language = asked_in(view.languages, t.language)
    lines = [t("questionnaire.review_title", title=_title(t, view.heading))]
    numbered = list(enumerate(view.entries, start=1))
    # A page of entries at a time: their change buttons, the submit and the pager stay far
    # below Telegram's 100 buttons, and the text below its message length.
    shown, page, pages = page_of(numbered, view.page, REVIEW_PAGE)
    for number, (item, answer) in shown:
        lines.append(
            t(
                "questionnaire.review_line",
                number=number,
                question=Safe(question_text(item, language, view.values)),
                answer=_shown_answer(t, item, answer, language) or "-",
            )
        )
    edits: list[Button] = [(str(n), ChangeAnswer(view.response, n - 1)) for n, _ in shown]
    rows: list[list[Button]] = [[(t("questionnaire.submit"), SubmitAnswers(view.response))]]
    rows += columns(edits, 6)
    labels = (t("common.previous"), t("common.next"))
    paging = pager(page, pages, labels, lambda n: ReviewPage(view.response, n))
    if paging:
        rows.append(paging)
    lines.append(t("questionnaire.review_hint"))
    return "\n".join(lines), keyboard(rows)


def _in_place(update: Update) -> bool:
    """Whether the pressed message is a questionnaire's (then it is replaced)."""
    query = update.callback_query
    data = query.data if query is not None else None
    if any(kind.parse(data) is not None for kind in QUESTIONNAIRE_BUTTONS):
        return True
    pressed = FlowStep.parse(data)
    return pressed is not None and pressed.flow == QUESTIONNAIRE.code


async def _render(update: Update, context: SuaraContext, shown: Shown) -> None:
    """In place of the pressed question; as a new message after a typed answer, or when the
    questionnaire is opened from another message (an invitation, the menu)."""
    view = shown.view
    if isinstance(view, QuestionView):
        text, markup = _render_question(context.t, view)
    elif isinstance(view, ReviewView):
        text, markup = _render_review(context.t, view)
    else:
        await _render_submitted(update, context, view)
        return
    if _in_place(update):
        context.edit(update, text, markup)
    else:
        context.reply(update, text, markup)


async def _render_submitted(update: Update, context: SuaraContext, view: SubmittedView) -> None:
    t = context.t
    text = t("questionnaire.submitted", title=_title(t, view.heading))
    if _in_place(update):
        context.edit(update, text)
    else:
        context.reply(update, text)
    for after in view.after:
        if isinstance(after, Thanks):
            context.reply(update, t(after.key))
        elif isinstance(after, PassToSupervisor):
            username = context.bot.username
            payload = feedback.supervisor_payload(after.followup, link_secret(context))
            if username:
                link = f"https://t.me/{username}?start={payload}"
                context.reply(update, t("supervisor.pass_on", link=link))
        elif isinstance(after, Deliver):
            await context.notify(list(after.notices))
        elif isinstance(after, TestResult):
            context.reply(update, knowledge_text.result(t, after.result))


def link_secret(context: SuaraContext) -> str:
    """What signs the supervisor's link (bot/services/feedback.py)."""
    return context.bot.token


# -- the flow: where the respondent is, typed answers, edits ----------------------------------


def _step_of(shown: Shown) -> str:
    return REVIEW if shown.position.review else ASK


def _draft_of(shown: Shown) -> QuestionnaireDraft:
    return QuestionnaireDraft(index=shown.position.index, editing=shown.position.editing)


async def _shown_or_invalid(call: Awaitable[Shown]) -> Shown:
    try:
        return await call
    except NotFound:
        raise Stale from None
    except Refused as exc:
        raise Invalid(exc.key, **exc.values) from None


class _Where(Step[QuestionnaireDraft]):
    """Both steps show where the respondent is; a flow button of the older layout ("3.back",
    "e2", "send") is answered by showing it again."""

    async def ask(self, turn: QTurn) -> None:
        shown = await _shown_or_invalid(
            runner.show(
                turn.context.db,
                respondent=turn.user_id,
                response_id=turn.ref,
                at=_position(turn.draft, self.name),
            )
        )
        turn.draft = _draft_of(shown)
        await _render(turn.update, turn.context, shown)

    async def on_button(self, turn: QTurn, value: str) -> str:
        turn.step = turn.stored or self.name
        await turn.flow.steps[turn.step].ask(turn)
        return STAY


class Ask(_Where):
    name = ASK

    async def on_message(self, turn: QTurn, message: Message) -> str:
        if message.text is None:
            raise Invalid("questionnaire.text_only")
        # A rating may also be typed as its number.
        shown = await _shown_or_invalid(
            runner.write(
                turn.context.db,
                respondent=turn.user_id,
                response_id=turn.ref,
                at=_position(turn.draft, ASK),
                text=message.text,
                sentiment=turn.context.bot_data.sentiment,
            )
        )
        turn.draft = _draft_of(shown)
        return _step_of(shown)

    async def waits_for_text(self, turn: QTurn) -> bool:
        try:
            shown = await runner.show(
                turn.context.db,
                respondent=turn.user_id,
                response_id=turn.ref,
                at=_position(turn.draft, ASK),
            )
        except Refused:
            return False
        view = shown.view
        return isinstance(view, QuestionView) and view.item.question.kind in ("text", "integer")

    def mark(self, turn: QTurn) -> str:
        return f"{self.name}:{turn.draft.index}"

    async def on_correction(self, turn: QTurn, message: Message, detail: str) -> None:
        """An edited written answer replaces the answer to the question it answered."""
        if not detail.isdigit():
            raise Stale
        if message.text is None:
            raise Invalid("questionnaire.text_only")
        await _shown_or_invalid(
            runner.correct(
                turn.context.db,
                respondent=turn.user_id,
                response_id=turn.ref,
                at=_position(turn.draft, turn.step),
                index=int(detail),
                text=message.text,
                sentiment=turn.context.bot_data.sentiment,
            )
        )


class Review(_Where):
    name = REVIEW


class QuestionnaireFlow(Flow[QuestionnaireDraft]):
    def accepts(self, stored: str, pressed: str) -> bool:
        # Older flow buttons of either step are shown where the respondent is.
        return pressed in (ASK, REVIEW)

    async def on_stale(self, update: Update, context: SuaraContext, data: FlowStep) -> None:
        """An older questionnaire button while the chat is elsewhere: a submitted one says
        so; an open one of this user's is picked up again where it stands."""
        response = await context.db.get(Response, data.ref) if data.ref else None
        tg_user = update.effective_user
        if response is None or tg_user is None or response.respondent_id != tg_user.id:
            await super().on_stale(update, context, data)
            return
        context.answer(update)
        await resume(update, context, response)

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


async def _keep(
    update: Update, context: SuaraContext, shown: Shown, state: FlowState | None
) -> None:
    """Stores where the respondent now is (or, once submitted, ends the flow)."""
    user_id = update.effective_user.id if update.effective_user else 0
    if shown.done:
        await flows.clear_flow(context.db, user_id, QUESTIONNAIRE.name)
        await _render(update, context, shown)
        await tell_kept(update, context)
        return
    turn = Turn(
        update, context, QUESTIONNAIRE, _draft_of(shown), _step_of(shown), shown.view.response
    )
    taken = state.draft.get("taken") if state is not None else None
    if isinstance(taken, dict) and state is not None and state.draft.get("ref") == turn.ref:
        turn.taken = {str(k): str(v) for k, v in taken.items()}
    await QUESTIONNAIRE.save(turn)
    await _render(update, context, shown)


async def resume(update: Update, context: SuaraContext, response: Response) -> None:
    """Starts or continues a response at its first unanswered question (the review when
    every required one is answered)."""
    assert response.id is not None
    tg_user = update.effective_user
    try:
        shown = await runner.begin(
            context.db,
            respondent=tg_user.id if tg_user else 0,
            response_id=response.id,
        )
    except Refused as exc:
        context.reply(update, context.t(exc.key, **exc.values))
        return
    await _keep(update, context, shown, None)


# -- the typed buttons ------------------------------------------------------------------------

Press = QuestionAnswer | QuestionBack | QuestionSkip | QuestionNext | ChangeAnswer | SubmitAnswers
REVIEW_PAGE = 30  # the review's entries on one page (five rows of six change buttons)


async def _run(context: SuaraContext, user_id: int, press: ButtonData, at: Position) -> Shown:
    db, ref = context.db, press.response  # type: ignore[attr-defined]
    common = {"respondent": user_id, "response_id": ref}
    if isinstance(press, QuestionAnswer):
        return await runner.answer(
            db,
            **common,
            at=at,
            index=press.index,
            value=press.value,
            sentiment=context.bot_data.sentiment,
        )
    if isinstance(press, QuestionBack):
        return await runner.back(db, **common, at=at, index=press.index)
    if isinstance(press, QuestionSkip):
        return await runner.skip(db, **common, at=at, index=press.index)
    if isinstance(press, QuestionNext):
        return await runner.next_question(db, **common, at=at, index=press.index)
    if isinstance(press, ChangeAnswer):
        return await runner.change(db, **common, index=press.index)
    if isinstance(press, ReviewPage):
        shown = await runner.show(db, **common, at=runner.Position(review=True))
        if isinstance(shown.view, runner.ReviewView):
            return replace(shown, view=replace(shown.view, page=max(0, press.page)))
        return shown
    assert isinstance(press, SubmitAnswers)
    return await runner.submit(db, **common, minimum=context.settings.feedback_min_responses)


@requires(Need.ANYONE)  # the runner refuses a response that is not the presser's
async def pressed(update: Update, context: SuaraContext, press: ButtonData) -> None:
    """Any questionnaire button: the runner says what follows, it is stored and shown."""
    tg_user = update.effective_user
    if tg_user is None:
        return
    ref: int = press.response  # type: ignore[attr-defined]
    state = await flows.get_flow(context.db, tg_user.id, QUESTIONNAIRE.name)
    try:
        if state is not None and state.draft.get("ref") == ref:
            draft = QuestionnaireDraft.model_validate(
                {k: v for k, v in state.draft.items() if k in ("index", "editing")}
            )
            at = _position(draft, state.step)
        else:
            # Not the questionnaire the chat is at: picked up again where it stands.
            at = (await runner.begin(context.db, respondent=tg_user.id, response_id=ref)).position
            state = None
        shown = await _run(context, tg_user.id, press, at)
    except Refused as exc:
        context.refuse(update, exc)
        return
    context.answer(
        update, context.t(shown.note, **shown.values) if shown.note else None, alert=shown.alert
    )
    await _keep(update, context, shown, state)


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
    handler: Callable[..., Awaitable[None]] = pressed
    for kind in QUESTIONNAIRE_BUTTONS:
        application.add_handler(on_button(kind, handler))
