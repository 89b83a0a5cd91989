"""Filing a complaint: category, place, description, files, location, date, privacy, summary.

Every answer is stored in the flow state before the next question is shown, so a restart (or
another worker) continues at the same step. Button data names the step it belongs to; a button
from another step is stale.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import SuaraContext
from bot.handlers.complaint_questions import (
    ADDRESS_MAX,
    CATEGORY,
    DATE,
    DESCRIPTION,
    EDIT,
    FILES,
    FLOW,
    LOCATION,
    OFFER,
    ORDER,
    PLACE,
    PRIVACY,
    SUMMARY,
    ask,
    place_question,
)
from bot.i18n import Safe
from bot.keyboards import keyboard
from bot.services import complaints as service
from bot.services.complaints import Clock, ComplaintError, Draft
from bot.storage import flows
from bot.storage.complaints import PRIVACY_ANONYMOUS, PRIVACY_CONFIDENTIAL
from bot.storage.models import FlowState
from bot.storage.places import LEVEL_UNIT, get_place

_DATE = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$")


# -- starting ---------------------------------------------------------------------------------


async def report_command(update: Update, context: SuaraContext) -> None:
    """/lapor and the menu button: starts a new complaint."""
    context.answer(update)
    await begin(update, context, description=None)


async def begin(update: Update, context: SuaraContext, *, description: str | None) -> None:
    tg_user = update.effective_user
    if tg_user is None:
        return
    if context.user is None or context.user.consent_at is None:
        context.reply(update, context.t("start.please_start"))
        return
    clock = Clock.for_settings(context.settings)
    limit = context.settings.complaints_per_day
    if await service.filed_today(context.db, reporter_id=tg_user.id, clock=clock) >= limit:
        context.reply(update, context.t("complaint.daily_limit", limit=limit))
        return
    draft: dict[str, Any] = {"files": []}
    if description is not None:
        draft["description"] = description
    await _goto(update, context, CATEGORY, draft)


async def offer_from_text(update: Update, context: SuaraContext) -> None:
    """A message outside any flow: offered as the description of a new complaint."""
    tg_user = update.effective_user
    text = update.message.text if update.message else None
    if tg_user is None or not text:
        return
    await flows.set_flow(
        context.db,
        user_id=tg_user.id,
        flow=FLOW,
        step=OFFER,
        draft={"description": text[: service.DESCRIPTION_MAX + 1], "files": []},
    )
    t = context.t
    context.reply(
        update,
        t("complaint.offer"),
        keyboard([[(t("complaint.offer_yes"), "c:offer:yes"), (t("common.no"), "c:offer:no")]]),
    )


async def deep_link(update: Update, context: SuaraContext, payload: str) -> None:
    await begin(update, context, description=None)


# -- moving between steps ---------------------------------------------------------------------


async def _goto(update: Update, context: SuaraContext, step: str, draft: dict[str, Any]) -> None:
    """Stores the step, then asks its question."""
    tg_user = update.effective_user
    assert tg_user is not None
    if step == DESCRIPTION and _valid_description(draft.get("description")):
        # Already given (offered from a message, or kept while editing another field).
        step = _after(DESCRIPTION, draft)
    await flows.set_flow(context.db, user_id=tg_user.id, flow=FLOW, step=step, draft=draft)
    await ask(update, context, step, draft)


def _after(step: str, draft: dict[str, Any]) -> str:
    if draft.get("editing"):
        return SUMMARY
    return ORDER[ORDER.index(step) + 1]


async def _next(update: Update, context: SuaraContext, step: str, draft: dict[str, Any]) -> None:
    following = _after(step, draft)
    if following == SUMMARY:
        draft.pop("editing", None)
    await _goto(update, context, following, draft)


def _valid_description(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        service.check_description(value)
    except ComplaintError:
        return False
    return True


# -- answers by button ------------------------------------------------------------------------


async def button(update: Update, context: SuaraContext) -> None:
    """Any button of the filing flow: checked against the step the user is on."""
    query = update.callback_query
    tg_user = update.effective_user
    if query is None or tg_user is None:
        return
    _, step, value = [*(query.data or "").split(":", 2), "", ""][:3]
    state = await flows.get_flow(context.db, tg_user.id)
    t = context.t
    expected = {"page": PLACE, "up": PLACE}.get(step, step)
    if state is None or state.flow != FLOW or state.step != expected:
        context.answer(update, t("button.stale"), alert=True)
        return
    draft = dict(state.draft)
    try:
        await _on_button(update, context, step, value, draft)
    except (ValueError, IndexError, ComplaintError) as exc:
        key = exc.key if isinstance(exc, ComplaintError) else "button.stale"
        values = {
            "limit": context.settings.complaints_per_day,
            "minimum": service.DESCRIPTION_MIN,
            "maximum": service.DESCRIPTION_MAX,
        }
        context.answer(update, t(key, **values), alert=True)
        return
    context.answer(update)


async def _on_button(
    update: Update, context: SuaraContext, step: str, value: str, draft: dict[str, Any]
) -> None:
    t = context.t
    if step == OFFER:
        if value == "yes":
            context.edit(update, t("complaint.offer_accepted"))
            await begin(update, context, description=draft.get("description"))
        elif value == "no":
            assert update.effective_user is not None
            await flows.clear_flow(context.db, update.effective_user.id)
            context.edit(update, t("complaint.offer_declined"))
        else:
            raise ValueError(value)
    elif step == CATEGORY:
        categories = context.settings.complaint_categories
        if not value.isdigit() or int(value) >= len(categories):
            raise ValueError(value)
        category = categories[int(value)]
        draft["category"] = category
        draft.pop("parent", None)
        draft["page"] = 0
        context.edit(update, t("complaint.chosen_category", category=category))
        await _next(update, context, CATEGORY, draft)
    elif step == PLACE:
        place = await get_place(context.db, int(value))
        if place is None or place.parent_id != draft.get("parent"):
            raise ValueError(value)
        if place.level == LEVEL_UNIT:
            draft["unit_id"] = place.id
            context.edit(
                update,
                t(
                    "complaint.chosen_place",
                    place=await service.unit_label(context.db, place.id or 0),
                ),
            )
            await _next(update, context, PLACE, draft)
        else:
            draft["parent"], draft["page"] = place.id, 0
            await _refresh_places(update, context, draft)
    elif step == "page":
        draft["page"] = max(0, int(value))
        await _refresh_places(update, context, draft)
    elif step == "up":
        parent = await get_place(context.db, int(draft.get("parent") or 0))
        draft["parent"], draft["page"] = (parent.parent_id if parent else None), 0
        await _refresh_places(update, context, draft)
    elif step == FILES and value == "done":
        context.edit(update, t("complaint.files_saved", count=len(draft.get("files", []))))
        await _next(update, context, FILES, draft)
    elif step == LOCATION and value == "skip":
        draft.pop("lat", None), draft.pop("lon", None), draft.pop("address", None)
        context.edit(update, t("complaint.location_skipped"))
        await _next(update, context, LOCATION, draft)
    elif step == DATE:
        if value == "skip":
            draft.pop("date", None)
        else:
            days_ago = int(value)
            if days_ago not in (0, 1):
                raise ValueError(value)
            today = Clock.for_settings(context.settings).today
            draft["date"] = (today - dt.timedelta(days=days_ago)).isoformat()
        context.edit(update, t("complaint.date_saved"))
        await _next(update, context, DATE, draft)
    elif step == PRIVACY:
        if value not in (PRIVACY_CONFIDENTIAL, PRIVACY_ANONYMOUS):
            raise ValueError(value)
        draft["privacy"] = value
        context.edit(update, t(f"complaint.privacy_name_{value}"))
        await _next(update, context, PRIVACY, draft)
    elif step == SUMMARY:
        await _on_summary(update, context, value, draft)
    elif step == EDIT:
        target = {
            "cat": CATEGORY,
            "place": PLACE,
            "desc": DESCRIPTION,
            "files": FILES,
            "loc": LOCATION,
            "date": DATE,
            "priv": PRIVACY,
        }[value]
        draft["editing"] = True
        if target == DESCRIPTION:
            draft.pop("description", None)
        if target == PLACE:
            draft.pop("parent", None)
            draft["page"] = 0
        context.edit(update, t("complaint.editing", field=Safe(t(f"complaint.field_{value}"))))
        await _goto(update, context, target, draft)
    else:
        raise ValueError(step)


async def _refresh_places(update: Update, context: SuaraContext, draft: dict[str, Any]) -> None:
    assert update.effective_user is not None
    await flows.set_flow(
        context.db, user_id=update.effective_user.id, flow=FLOW, step=PLACE, draft=draft
    )
    text, markup = await place_question(context, draft)
    context.edit(update, text, markup)


async def _on_summary(
    update: Update, context: SuaraContext, value: str, draft: dict[str, Any]
) -> None:
    t = context.t
    tg_user = update.effective_user
    assert tg_user is not None
    if value == "cancel":
        await flows.clear_flow(context.db, tg_user.id)
        context.edit(update, t("cancel.done"))
        return
    if value == "edit":
        await _goto(update, context, EDIT, draft)
        return
    if value != "send":
        raise ValueError(value)
    privacy = draft.get("privacy", PRIVACY_CONFIDENTIAL)
    complaint, notices = await service.file_complaint(
        context.db,
        reporter_id=tg_user.id,
        reporter_name=tg_user.full_name if privacy != PRIVACY_ANONYMOUS else None,
        draft=Draft(
            category=draft["category"],
            unit_id=int(draft["unit_id"]),
            description=draft["description"],
            privacy=privacy,
            attachments=[(kind, file_id) for kind, file_id in draft.get("files", [])],
            latitude=draft.get("lat"),
            longitude=draft.get("lon"),
            address=draft.get("address"),
            incident_date=dt.date.fromisoformat(draft["date"]) if draft.get("date") else None,
        ),
        clock=Clock.for_settings(context.settings),
        daily_limit=context.settings.complaints_per_day,
        sentiment=context.bot_data.sentiment,
    )
    await flows.clear_flow(context.db, tg_user.id)
    await context.notify(notices)
    context.edit(update, t("complaint.sent_short"))
    # The tracking number goes through the outbox: it reaches the citizen even if the process
    # stops right after this commit.
    await context.send_durable(
        tg_user.id,
        t(
            "complaint.sent",
            ticket=complaint.ticket,
            due=t.date(complaint.verify_due),
            followup=service.FOLLOW_UP_DAYS,
        ),
        dedupe_key=f"filed:{complaint.id}",
    )


# -- answers by message -----------------------------------------------------------------------


async def message(update: Update, context: SuaraContext, state: FlowState) -> None:
    """A message while filing: it answers the current step, or is told what the step needs."""
    msg = update.message
    if msg is None:
        return
    t = context.t
    draft = dict(state.draft)
    step = state.step
    if step == DESCRIPTION and msg.text is not None:
        try:
            draft["description"] = service.check_description(msg.text)
        except ComplaintError as exc:
            context.reply(
                update,
                t(
                    exc.key,
                    minimum=service.DESCRIPTION_MIN,
                    maximum=service.DESCRIPTION_MAX,
                    length=len(msg.text.strip()),
                ),
            )
            return
        await _next(update, context, DESCRIPTION, draft)
    elif step == FILES and (msg.photo or msg.document):
        files = list(draft.get("files", []))
        if len(files) >= service.MAX_ATTACHMENTS:
            context.reply(update, t("complaint.files_full", maximum=service.MAX_ATTACHMENTS))
            return
        if msg.photo:
            files.append(["photo", msg.photo[-1].file_id])
        elif msg.document:
            files.append(["document", msg.document.file_id])
        draft["files"] = files
        assert update.effective_user is not None
        await flows.set_flow(
            context.db, user_id=update.effective_user.id, flow=FLOW, step=FILES, draft=draft
        )
        if len(files) >= service.MAX_ATTACHMENTS:
            context.reply(update, t("complaint.files_saved", count=len(files)))
            await _next(update, context, FILES, draft)
        else:
            context.reply(
                update,
                t("complaint.file_received", count=len(files), maximum=service.MAX_ATTACHMENTS),
                keyboard([[(t("complaint.files_done"), "c:files:done")]]),
            )
    elif step == LOCATION and (msg.location or msg.text):
        if msg.location:
            draft["lat"], draft["lon"] = msg.location.latitude, msg.location.longitude
            draft.pop("address", None)
        else:
            address = (msg.text or "").strip()
            if not 5 <= len(address) <= ADDRESS_MAX:
                context.reply(update, t("complaint.address_invalid", maximum=ADDRESS_MAX))
                return
            draft["address"] = address
            draft.pop("lat", None), draft.pop("lon", None)
        await _next(update, context, LOCATION, draft)
    elif step == DATE and msg.text is not None:
        day = _parse_date(msg.text)
        today = Clock.for_settings(context.settings).today
        if day is None or day > today or day < today - dt.timedelta(days=3 * 365):
            context.reply(update, t("complaint.date_invalid"))
            return
        draft["date"] = day.isoformat()
        await _next(update, context, DATE, draft)
    else:
        # Text where a button is expected, a sticker where text is: say what this step needs.
        context.reply(update, t(f"complaint.expected_{step}"))


def _parse_date(text: str) -> dt.date | None:
    match = _DATE.match(text)
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def register(application: Application) -> None:
    application.add_handler(CommandHandler(["lapor", "report"], report_command))
    application.add_handler(CallbackQueryHandler(report_command, pattern=r"^m:lapor$"))
    application.add_handler(CallbackQueryHandler(button, pattern=r"^c:"))
    application.bot_data.flow_inputs[FLOW] = message
    application.bot_data.deep_links["lapor"] = deep_link
    application.bot_data.free_text = offer_from_text
