"""Filing a complaint: category, place, description, files, location, date, privacy, summary.

The steps live in bot/handlers/complaint_steps.py; this module puts them in order, starts the
flow (/lapor, the menu, a deep link, a message written outside any flow) and sends the
complaint from the summary.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import SuaraContext
from bot.handlers.complaint_steps import (
    EDIT,
    EDITABLE,
    OFFER,
    ORDER,
    SUMMARY,
    Category,
    ComplaintDraft,
    ComplaintTurn,
    Date,
    Description,
    Edit,
    Files,
    Location,
    Offer,
    Place,
    Privacy,
    check_daily_limit,
    reporter_key,
    summary_text,
)
from bot.handlers.flow import END, Flow, Invalid, Stale, Step
from bot.handlers.requires import command, requires
from bot.keyboards import keyboard
from bot.services import complaints as service
from bot.services import public
from bot.services.access import Need
from bot.services.complaints import ComplaintError, Draft
from bot.services.text import clean_text
from bot.storage import flows
from bot.storage.complaints import PRIVACY_ANONYMOUS


class Summary(Step[ComplaintDraft]):
    """Everything at a glance: send, change a field, or cancel."""

    name = SUMMARY

    async def ask(self, turn: ComplaintTurn) -> None:
        t = turn.t
        turn.reply(
            await summary_text(turn),
            keyboard(
                [
                    [turn.button(t("complaint.send"), "send")],
                    [
                        turn.button(t("complaint.edit"), "edit"),
                        turn.button(t("common.cancel"), "cancel"),
                    ],
                ]
            ),
        )

    async def on_button(self, turn: ComplaintTurn, value: str) -> str:
        if value == "cancel":
            turn.edit(turn.t("cancel.done"))
            return END
        if value == "edit":
            return EDIT
        if value != "send":
            raise Stale
        await _send(turn)
        return END


async def _send(turn: ComplaintTurn) -> None:
    """Stores the complaint; the tracking number goes out through the outbox, so it reaches
    the citizen even if the process stops right after this commit."""
    context, draft, t = turn.context, turn.draft, turn.t
    tg_user = turn.update.effective_user
    assert tg_user is not None
    if draft.category is None or draft.unit_id is None or draft.description is None:
        raise Stale
    try:
        complaint, notices = await service.file_complaint(
            context.db,
            reporter_id=tg_user.id,
            reporter_name=tg_user.full_name if draft.privacy != PRIVACY_ANONYMOUS else None,
            draft=Draft(
                category=draft.category,
                unit_id=draft.unit_id,
                description=draft.description,
                privacy=draft.privacy,
                attachments=list(draft.files),
                latitude=draft.lat,
                longitude=draft.lon,
                address=draft.address,
                incident_date=draft.date,
            ),
            clock=context.core.moment(),
            daily_limit=context.settings.complaints_per_day,
            sentiment=context.bot_data.sentiment,
            reporter_key=reporter_key(turn),
        )
    except ComplaintError as exc:
        raise Invalid(exc.key, limit=context.settings.complaints_per_day) from None
    await context.notify(notices)
    # The PIN goes in the reply, which is sent after the commit and stored nowhere; the outbox
    # keeps its texts for a month, so the durable message only says where the PIN is.
    pin = public.pin_of(context.settings, complaint)
    turn.edit(
        t("complaint.sent_short")
        + "\n\n"
        + t("public.pin_filed", ticket=complaint.ticket, pin=pin)
    )
    await context.send_durable(
        tg_user.id,
        t(
            "complaint.sent",
            ticket=complaint.ticket,
            due=t.date(complaint.verify_due),
            followup=service.FOLLOW_UP_DAYS,
        )
        + "\n\n"
        + t("public.pin_in_status", ticket=complaint.ticket),
        dedupe_key=f"filed:{complaint.id}",
    )


class ComplaintFlow(Flow[ComplaintDraft]):
    def after(self, step: str, draft: ComplaintDraft) -> str:
        if draft.editing and step != EDIT:
            # A field changed from the summary: straight back to it.
            draft.editing = False
            return SUMMARY
        return super().after(step, draft)


FLOW = ComplaintFlow(
    name="complaint",
    code="c",
    draft=ComplaintDraft,
    steps=[
        Offer(),
        Category(),
        Place(),
        Description(),
        Files(),
        Location(),
        Date(),
        Privacy(),
        Summary(),
        Edit(),
    ],
    order=ORDER,
    counted=EDITABLE,  # "Langkah 3 dari 7": the questions before the summary
)


@requires(Need.ANYONE)
async def report_command(update: Update, context: SuaraContext) -> None:
    """/lapor and the menu button: continues the complaint draft the user kept, else starts
    a new complaint."""
    context.answer(update)
    if context.user is not None and context.user.consent_at is not None:
        kept = await flows.get_flow(context.db, context.user.id, FLOW.name)
        if kept is not None and kept.step != OFFER and await FLOW.resume(update, context):
            return
    await begin(update, context, ComplaintDraft())


async def begin(update: Update, context: SuaraContext, draft: ComplaintDraft) -> None:
    if update.effective_user is None:
        return
    if context.user is None or context.user.consent_at is None:
        context.reply(update, context.t("start.please_start"))
        return
    turn = ComplaintTurn(update, context, FLOW, draft, ORDER[0])
    try:
        await check_daily_limit(turn)
    except Invalid as exc:
        context.reply(update, context.t(exc.key, **exc.values))
        return
    await FLOW.start(update, context, draft)


async def offer_from_text(update: Update, context: SuaraContext) -> None:
    """A message outside any flow: offered as the description of a new complaint."""
    text = update.message.text if update.message else None
    if update.effective_user is None or not text:
        return
    draft = ComplaintDraft(description=clean_text(text)[: service.DESCRIPTION_MAX + 1])
    await FLOW.start(update, context, draft, at=OFFER)


async def deep_link(update: Update, context: SuaraContext, payload: str) -> None:
    await begin(update, context, ComplaintDraft())


def register(application: Application) -> None:
    application.add_handler(command(["lapor", "report"], report_command))
    application.bot_data.menu_items["lapor"] = report_command
    FLOW.register(application)
    application.bot_data.deep_links["lapor"] = deep_link
    application.bot_data.free_text = offer_from_text
