"""The citizen after filing: /status, adding information, answering questions, rating, SKM."""

from __future__ import annotations

import html

from pydantic import BaseModel
from telegram import Message, Update
from telegram.ext import Application

from bot.buttons import AddInformation, Handled, MakePin, MyComplaint, Rate
from bot.context import SuaraContext
from bot.handlers.buttons import on_button
from bot.handlers.flow import (
    END,
    HANDED_OVER,
    NEXT,
    Flow,
    Invalid,
    SkippableStep,
    Stale,
    Step,
    Turn,
    tell_kept,
)
from bot.handlers.questionnaire import resume
from bot.handlers.requires import command, requires
from bot.keyboards import Button, keyboard
from bot.services import complaints as service
from bot.services import public, satisfaction
from bot.services.access import Need
from bot.services.complaints import ComplaintError
from bot.services.errors import Refused
from bot.storage import complaints as store
from bot.storage import flows
from bot.storage.complaints import OPEN_STATES, SELESAI, Complaint
from bot.storage.models import FlowState
from bot.storage.questionnaires import RESPONSE_SUBMITTED

ADD_FLOW = "addinfo"
# Events the reporter sees in their history; internal notes (a forward's reason) stay inside.
VISIBLE_TO_REPORTER = {
    "filed",
    "verify",
    "forward",
    "ask",
    "reply",
    "close",
    "reject",
    "info",
    "auto_close",
    "handled",
    "reopen",
}
# "/status 123" and "/status 000123": the number of the citizen's ADU-YYYY-000123.
NUMBER_MAX_DIGITS = 9


@requires(Need.ANYONE)
async def status_command(update: Update, context: SuaraContext) -> None:
    """/status lists the user's complaints; /status NUMBER shows one with its history."""
    tg_user = update.effective_user
    if tg_user is None:
        return
    context.answer(update)
    t = context.t
    if context.args:
        wanted = context.args[0][:24]
        if wanted.isdigit() and len(wanted) <= NUMBER_MAX_DIGITS:
            complaint = await store.get_complaint(context.db, int(wanted))
        else:
            complaint = await store.complaint_by_ticket(context.db, wanted)
        # Someone else's ticket and no ticket at all get the same answer.
        if complaint is None or complaint.reporter_id != tg_user.id:
            context.reply(update, t("status.not_found"))
            return
        await _show(update, context, complaint, edit=False)
        return
    mine = await store.complaints_of_reporter(context.db, tg_user.id)
    if not mine:
        context.reply(update, t("status.none"))
        return
    lines = [t("status.list_title")]
    buttons: list[list[Button]] = []
    for complaint in mine:
        lines.append(
            t(
                "status.list_item",
                ticket=complaint.ticket,
                state=t(f"state.{complaint.state}"),
                date=t.date(complaint.created_at),
                category=t.category(complaint.category),
            )
        )
        buttons.append([(complaint.ticket or "?", MyComplaint(complaint.id or 0))])
    context.reply(update, "\n".join(lines), keyboard(buttons))


async def _own_complaint(
    update: Update, context: SuaraContext, complaint_id: int
) -> Complaint | None:
    """The complaint named by a button, only if it is this user's; else a polite refusal."""
    tg_user = update.effective_user
    complaint = None
    if tg_user is not None:
        complaint = await store.get_complaint(context.db, complaint_id)
    if complaint is None or tg_user is None or complaint.reporter_id != tg_user.id:
        context.deny(
            update, "status.not_found"
        )  # a stranger learns nothing, not even that it exists
        return None
    return complaint


async def _show(
    update: Update, context: SuaraContext, complaint: Complaint, *, edit: bool
) -> None:
    t = context.t
    assert complaint.id is not None
    history = []
    for event in await store.events_of(context.db, complaint.id):
        if event.action not in VISIBLE_TO_REPORTER:
            continue
        line = t(f"history.{event.action}", when=t.datetime(event.at))
        if event.note and event.action in ("ask", "reply", "close", "reject", "info", "reopen"):
            line += f"\n   “{_escape(event.note)}”"
        history.append(line)
    due = service.due_date(complaint)
    text = t(
        "status.detail",
        ticket=complaint.ticket,
        state=t(f"state.{complaint.state}"),
        category=t.category(complaint.category),
        place=await service.unit_label(context.db, complaint.unit_id),
        description=complaint.description,
        due=t.date(due) if due else "-",
    )
    pin = public.pin_of(context.settings, complaint)
    # The PIN is shown to its reporter only (callers check); it opens the public status page.
    text += "\n\n" + (t("public.status_pin", pin=pin) if pin else t("public.no_pin"))
    text += "\n\n" + t("status.history") + "\n" + "\n".join(history)
    buttons: list[list[Button]] = []
    if pin is None:
        buttons.append([(t("public.make_pin"), MakePin(complaint.id))])
    if complaint.state in OPEN_STATES:
        buttons.append([(t("status.add_info"), AddInformation(complaint.id))])
    if complaint.state == SELESAI and complaint.handled is None:
        buttons.append(
            [
                (t(f"complaints.handled_{a}"), Handled(complaint.id, a))
                for a in service.HANDLED_ANSWERS
            ]
        )
    elif complaint.state == SELESAI and complaint.rating is None:
        buttons.append([(t(f"rating.star_{n}"), Rate(complaint.id, n)) for n in range(1, 6)])
    markup = keyboard(buttons) if buttons else None
    if edit:
        context.edit(update, text, markup)
    else:
        context.reply(update, text, markup)


def _escape(text: str) -> str:
    return html.escape(text[:500], quote=False)


@requires(Need.ANYONE)
async def view_button(update: Update, context: SuaraContext, pressed: MyComplaint) -> None:
    """Opens one of the user's complaints from the /status list."""
    complaint = await _own_complaint(update, context, pressed.complaint)
    if complaint is None:
        return
    context.answer(update)
    await _show(update, context, complaint, edit=False)


@requires(Need.ANYONE)
async def make_pin_button(update: Update, context: SuaraContext, pressed: MakePin) -> None:
    """Makes the tracking PIN of an older complaint and shows it to its reporter."""
    try:
        complaint, pin = await public.make_pin(
            context.db, context.settings, await context.access(), pressed.complaint
        )
    except Refused as exc:
        context.refuse(update, exc)
        return
    context.answer(update)
    context.reply(update, context.t("public.pin_made", ticket=complaint.ticket, pin=pin))


@requires(Need.ANYONE)
async def add_button(update: Update, context: SuaraContext, pressed: AddInformation) -> None:
    """Starts adding information (or answering a question) to an open complaint."""
    complaint = await _own_complaint(update, context, pressed.complaint)
    if complaint is None or update.effective_user is None:
        return
    context.answer(update)
    if complaint.state not in OPEN_STATES:
        context.reply(update, context.t("citizen.closed_no_more_info"))
        return
    aside = await flows.set_flow(
        context.db,
        user_id=update.effective_user.id,
        flow=ADD_FLOW,
        step="text",
        draft={"id": complaint.id},
    )
    await tell_kept(update, context, aside)
    context.reply(update, context.t("citizen.ask_info", ticket=complaint.ticket))


async def flow_complaint(context: SuaraContext, state: FlowState) -> Complaint | None:
    """The complaint a flow is about; if it is gone, the flow ends with it."""
    complaint = await store.get_complaint(context.db, int(state.draft.get("id", 0)))
    if complaint is None:
        await flows.clear_flow(context.db, state.user_id, state.flow)
    return complaint


async def add_message(update: Update, context: SuaraContext, state: FlowState) -> None:
    """The citizen's added information: text, a photo or a document."""
    msg = update.message
    tg_user = update.effective_user
    if msg is None or tg_user is None:
        return
    t = context.t
    complaint = await flow_complaint(context, state)
    if complaint is None:
        context.reply(update, t("status.not_found"))
        return
    attachment = None
    if msg.photo:
        attachment = ("photo", msg.photo[-1].file_id)
    elif msg.document:
        attachment = ("document", msg.document.file_id)
    text = msg.text or msg.caption
    if text is None and attachment is None:
        context.reply(update, t("citizen.info_wrong_type"))
        return
    try:
        notices = await service.add_information(
            context.db,
            complaint=complaint,
            reporter_id=tg_user.id,
            text=text,
            attachment=attachment,
            clock=context.core.moment(),
        )
    except ComplaintError as exc:
        context.reply(update, t(exc.key, maximum=service.DESCRIPTION_MAX))
        if exc.key in ("citizen.closed_no_more_info", "status.not_found"):
            await flows.clear_flow(context.db, tg_user.id, ADD_FLOW)
        return
    await flows.clear_flow(context.db, tg_user.id, ADD_FLOW)
    await context.notify(notices)
    context.reply(update, t("citizen.info_added", ticket=complaint.ticket))


@requires(Need.ANYONE)
async def rating_button(update: Update, context: SuaraContext, pressed: Rate) -> None:
    """1-5 stars after closing; then an optional comment and the SKM survey."""
    tg_user = update.effective_user
    complaint = await _own_complaint(update, context, pressed.complaint)
    if complaint is None or tg_user is None:
        return
    t = context.t
    try:
        await satisfaction.rate(
            context.db, complaint=complaint, reporter_id=tg_user.id, rating=pressed.stars
        )
    except ComplaintError as exc:
        context.answer(update, t(exc.key), alert=True)
        return
    context.answer(update)
    context.edit(update, t("rating.thanks", stars="★" * pressed.stars))
    assert complaint.id is not None
    await RATING.start(update, context, RatingDraft(), ref=complaint.id)


class RatingDraft(BaseModel):
    pass


class RatingComment(SkippableStep[RatingDraft]):
    name = "comment"
    question = "rating.ask_comment"
    skipped = "rating.comment_skipped"

    async def on_message(self, turn: Turn[RatingDraft], message: Message) -> str:
        context = turn.context
        if message.text is None:
            raise Invalid("rating.comment_wrong_type")
        complaint = await store.get_complaint(context.db, turn.ref)
        if complaint is None:
            raise Invalid("status.not_found")
        try:
            notices = await satisfaction.comment_rating(
                context.db,
                complaint=complaint,
                reporter_id=turn.user_id,
                text=message.text,
                sentiment=context.bot_data.sentiment,
            )
        except ComplaintError as exc:
            raise Invalid(exc.key, maximum=service.NOTE_MAX) from None
        await context.notify(notices)
        return NEXT


class SkmOffer(Step[RatingDraft]):
    """The nine-element SKM survey (PermenPANRB 14/2017), on the questionnaire engine."""

    name = "skm"

    async def ask(self, turn: Turn[RatingDraft]) -> None:
        t = turn.t
        turn.reply(
            t("skm.offer"),
            keyboard([[turn.button(t("skm.start"), "go"), turn.button(t("common.no"), "no")]]),
        )

    async def on_button(self, turn: Turn[RatingDraft], value: str) -> str:
        context = turn.context
        if value == "no":
            turn.edit(turn.t("skm.declined"))
            return END
        complaint = await store.get_complaint(context.db, turn.ref)
        if value != "go" or complaint is None:
            raise Stale
        response = await satisfaction.open_skm(
            context.db, complaint=complaint, reporter_id=turn.user_id
        )
        if response.status == RESPONSE_SUBMITTED:
            turn.edit(turn.t("skm.already"))
            return END
        turn.edit(turn.t("skm.intro"))
        await resume(turn.update, context, response)
        return HANDED_OVER


RATING = Flow(
    name="rating",
    code="rt",
    draft=RatingDraft,
    steps=[RatingComment(), SkmOffer()],
    expected="skm.use_buttons",
)


def register(application: Application) -> None:
    application.add_handler(command("status", status_command))
    application.bot_data.menu_items["status"] = status_command
    application.add_handler(on_button(MyComplaint, view_button))
    application.add_handler(on_button(AddInformation, add_button))
    application.add_handler(on_button(MakePin, make_pin_button))
    application.add_handler(on_button(Rate, rating_button))
    application.bot_data.flow_inputs[ADD_FLOW] = add_message
    RATING.register(application)
