"""The citizen after filing: /status, adding information, answering questions, rating, SKM."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import SuaraContext
from bot.keyboards import Button, keyboard
from bot.services import complaints as service
from bot.services import satisfaction
from bot.services.complaints import Clock, ComplaintError
from bot.storage import complaints as store
from bot.storage import flows
from bot.storage.complaints import OPEN_STATES, SELESAI, Complaint
from bot.storage.models import FlowState

ADD_FLOW = "addinfo"
RATING_FLOW = "rating"
SKM_FLOW = "skm"
SKM_ELEMENTS = satisfaction.SKM_ELEMENTS
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
}


async def status_command(update: Update, context: SuaraContext) -> None:
    """/status lists the user's complaints; /status NUMBER shows one with its history."""
    tg_user = update.effective_user
    if tg_user is None:
        return
    context.answer(update)
    t = context.t
    if context.args:
        complaint = await store.complaint_by_ticket(context.db, context.args[0][:24])
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
                category=complaint.category,
            )
        )
        buttons.append([(complaint.ticket or "?", f"s:v:{complaint.id}")])
    context.reply(update, "\n".join(lines), keyboard(buttons))


async def _own_complaint(update: Update, context: SuaraContext, raw_id: str) -> Complaint | None:
    """The complaint named by a button, only if it is this user's; else a polite refusal."""
    tg_user = update.effective_user
    complaint = None
    if raw_id.isdigit() and tg_user is not None:
        complaint = await store.get_complaint(context.db, int(raw_id))
    if complaint is None or tg_user is None or complaint.reporter_id != tg_user.id:
        context.answer(update, context.t("status.not_found"), alert=True)
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
        if event.note and event.action in ("ask", "reply", "close", "reject", "info"):
            line += f"\n   “{_escape(event.note)}”"
        history.append(line)
    due = service.due_date(complaint)
    text = t(
        "status.detail",
        ticket=complaint.ticket,
        state=t(f"state.{complaint.state}"),
        category=complaint.category,
        place=await service.unit_label(context.db, complaint.unit_id),
        description=complaint.description,
        due=t.date(due) if due else "-",
    )
    text += "\n\n" + t("status.history") + "\n" + "\n".join(history)
    buttons: list[list[Button]] = []
    if complaint.state in OPEN_STATES:
        buttons.append([(t("status.add_info"), f"s:add:{complaint.id}")])
    if complaint.state == SELESAI and complaint.rating is None:
        buttons.append([(t(f"rating.star_{n}"), f"r:{complaint.id}:{n}") for n in range(1, 6)])
    markup = keyboard(buttons) if buttons else None
    if edit:
        context.edit(update, text[:4000], markup)
    else:
        context.reply(update, text[:4000], markup)


def _escape(text: str) -> str:
    return html.escape(text[:500], quote=False)


async def view_button(update: Update, context: SuaraContext) -> None:
    """Opens one of the user's complaints from the /status list."""
    data = (update.callback_query.data if update.callback_query else "") or ""
    complaint = await _own_complaint(update, context, data.removeprefix("s:v:"))
    if complaint is None:
        return
    context.answer(update)
    await _show(update, context, complaint, edit=False)


async def add_button(update: Update, context: SuaraContext) -> None:
    """Starts adding information (or answering a question) to an open complaint."""
    data = (update.callback_query.data if update.callback_query else "") or ""
    complaint = await _own_complaint(update, context, data.removeprefix("s:add:"))
    if complaint is None or update.effective_user is None:
        return
    context.answer(update)
    if complaint.state not in OPEN_STATES:
        context.reply(update, context.t("citizen.closed_no_more_info"))
        return
    await flows.set_flow(
        context.db,
        user_id=update.effective_user.id,
        flow=ADD_FLOW,
        step="text",
        draft={"id": complaint.id},
    )
    context.reply(update, context.t("citizen.ask_info", ticket=complaint.ticket))


async def flow_complaint(context: SuaraContext, state: FlowState) -> Complaint | None:
    """The complaint a flow is about; if it is gone, the flow ends with it."""
    complaint = await store.get_complaint(context.db, int(state.draft.get("id", 0)))
    if complaint is None:
        await flows.clear_flow(context.db, state.user_id)
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
            clock=Clock.for_settings(context.settings),
        )
    except ComplaintError as exc:
        context.reply(update, t(exc.key, maximum=service.DESCRIPTION_MAX))
        if exc.key in ("citizen.closed_no_more_info", "status.not_found"):
            await flows.clear_flow(context.db, tg_user.id)
        return
    await flows.clear_flow(context.db, tg_user.id)
    await context.notify(notices)
    context.reply(update, t("citizen.info_added", ticket=complaint.ticket))


async def rating_button(update: Update, context: SuaraContext) -> None:
    """1-5 stars after closing; then an optional comment."""
    tg_user = update.effective_user
    data = (update.callback_query.data if update.callback_query else "") or ""
    parts = data.split(":")
    if tg_user is None or len(parts) != 3 or not parts[2].isdigit():
        context.answer(update, context.t("button.stale"), alert=True)
        return
    complaint = await _own_complaint(update, context, parts[1])
    if complaint is None:
        return
    t = context.t
    try:
        await satisfaction.rate(
            context.db, complaint=complaint, reporter_id=tg_user.id, rating=int(parts[2])
        )
    except ComplaintError as exc:
        context.answer(update, t(exc.key), alert=True)
        return
    context.answer(update)
    await flows.set_flow(
        context.db,
        user_id=tg_user.id,
        flow=RATING_FLOW,
        step="comment",
        draft={"id": complaint.id},
    )
    context.edit(update, t("rating.thanks", stars="★" * int(parts[2])))
    context.reply(
        update,
        t("rating.ask_comment"),
        keyboard([[(t("common.skip"), f"k:{complaint.id}:skip")]]),
    )


async def rating_comment(update: Update, context: SuaraContext, state: FlowState) -> None:
    msg = update.message
    tg_user = update.effective_user
    if msg is None or tg_user is None:
        return
    t = context.t
    if msg.text is None:
        context.reply(update, t("rating.comment_wrong_type"))
        return
    complaint = await flow_complaint(context, state)
    if complaint is None:
        context.reply(update, t("status.not_found"))
        return
    try:
        await satisfaction.comment_rating(
            context.db,
            complaint=complaint,
            reporter_id=tg_user.id,
            text=msg.text,
            sentiment=context.bot_data.sentiment,
        )
    except ComplaintError as exc:
        context.reply(update, t(exc.key, maximum=service.NOTE_MAX))
        return
    await _offer_skm(update, context, complaint)


async def _offer_skm(update: Update, context: SuaraContext, complaint: Complaint) -> None:
    assert update.effective_user is not None
    await flows.set_flow(
        context.db,
        user_id=update.effective_user.id,
        flow=SKM_FLOW,
        step="offer",
        draft={"id": complaint.id, "answers": []},
    )
    t = context.t
    context.reply(
        update,
        t("skm.offer"),
        keyboard(
            [[(t("skm.start"), f"k:{complaint.id}:go"), (t("common.no"), f"k:{complaint.id}:no")]]
        ),
    )


async def skm_button(update: Update, context: SuaraContext) -> None:
    """The comment skip, the SKM offer and each of the nine answers (k:<id>:<what>)."""
    tg_user = update.effective_user
    data = (update.callback_query.data if update.callback_query else "") or ""
    parts = data.split(":")
    t = context.t
    if tg_user is None or len(parts) != 3:
        context.answer(update, t("button.stale"), alert=True)
        return
    complaint = await _own_complaint(update, context, parts[1])
    if complaint is None:
        return
    state = await flows.get_flow(context.db, tg_user.id)
    what = parts[2]
    if what == "skip" and state is not None and state.flow == RATING_FLOW:
        context.answer(update)
        context.edit(update, t("rating.comment_skipped"))
        await _offer_skm(update, context, complaint)
        return
    if state is None or state.flow != SKM_FLOW or state.draft.get("id") != complaint.id:
        context.answer(update, t("button.stale"), alert=True)
        return
    answers = list(state.draft.get("answers", []))
    if what == "no" and state.step == "offer":
        await flows.clear_flow(context.db, tg_user.id)
        context.answer(update)
        context.edit(update, t("skm.declined"))
        return
    if what == "go" and state.step == "offer":
        pass
    elif what.isdigit() and state.step == f"q{len(answers) + 1}" and 1 <= int(what) <= 4:
        answers.append(int(what))
    else:
        context.answer(update, t("button.stale"), alert=True)
        return
    context.answer(update)
    if len(answers) == SKM_ELEMENTS:
        try:
            await satisfaction.save_skm(
                context.db, complaint=complaint, reporter_id=tg_user.id, answers=answers
            )
        except ComplaintError as exc:
            context.edit(update, t(exc.key))
        else:
            context.edit(update, t("skm.thanks"))
        await flows.clear_flow(context.db, tg_user.id)
        return
    number = len(answers) + 1
    await flows.set_flow(
        context.db,
        user_id=tg_user.id,
        flow=SKM_FLOW,
        step=f"q{number}",
        draft={"id": complaint.id, "answers": answers},
    )
    scale = [(t(f"skm.scale_{n}"), f"k:{complaint.id}:{n}") for n in range(1, 5)]
    context.edit(
        update,
        t("skm.question", number=number, total=SKM_ELEMENTS, question=t(f"skm.q{number}")),
        keyboard([scale[:2], scale[2:]]),
    )


async def skm_message(update: Update, context: SuaraContext, state: FlowState) -> None:
    context.reply(update, context.t("skm.use_buttons"))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("status", status_command))
    application.add_handler(CallbackQueryHandler(status_command, pattern=r"^m:status$"))
    application.add_handler(CallbackQueryHandler(view_button, pattern=r"^s:v:"))
    application.add_handler(CallbackQueryHandler(add_button, pattern=r"^s:add:"))
    application.add_handler(CallbackQueryHandler(rating_button, pattern=r"^r:"))
    application.add_handler(CallbackQueryHandler(skm_button, pattern=r"^k:"))
    application.bot_data.flow_inputs[ADD_FLOW] = add_message
    application.bot_data.flow_inputs[RATING_FLOW] = rating_comment
    application.bot_data.flow_inputs[SKM_FLOW] = skm_message
