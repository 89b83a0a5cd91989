"""/start: welcome, the privacy notice and the role question for new users, then the menu."""

from __future__ import annotations

import re

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import SuaraContext
from bot.keyboards import keyboard
from bot.services import access
from bot.storage import flows
from bot.storage.models import ROLE_ASN, ROLE_CITIZEN
from bot.storage.types import utcnow
from bot.storage.users import get_or_create_user, record_consent

FLOW = "onboarding"
STEP_PRIVACY = "privacy"
STEP_ROLE = "role"
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


async def start(update: Update, context: SuaraContext) -> None:
    """Welcomes the user; a new one first reads the privacy notice."""
    tg_user = update.effective_user
    if tg_user is None or update.effective_chat is None:
        return
    payload = context.args[0] if context.args else None
    if payload is not None and not _PAYLOAD.match(payload):
        payload = None
    user = context.user
    if user is not None and user.consent_at is not None:
        await show_menu(update, context)
        if payload:
            await follow_payload(update, context, payload)
        return
    await get_or_create_user(context.db, tg_user.id)
    await flows.set_flow(
        context.db,
        user_id=tg_user.id,
        flow=FLOW,
        step=STEP_PRIVACY,
        draft={"payload": payload} if payload else {},
    )
    t = context.t
    context.reply(update, t("start.welcome_new"))
    context.reply(update, t("privacy.notice"), privacy_keyboard(context))


def privacy_keyboard(context: SuaraContext) -> InlineKeyboardMarkup:
    t = context.t
    return keyboard(
        [
            [(t("privacy.agree"), "on:privacy:yes")],
            [(t("privacy.decline"), "on:privacy:no")],
        ]
    )


def role_keyboard(context: SuaraContext) -> InlineKeyboardMarkup:
    t = context.t
    return keyboard([[(t("role.asn"), "on:role:asn")], [(t("role.citizen"), "on:role:citizen")]])


async def onboarding_button(update: Update, context: SuaraContext) -> None:
    """Takes the answer to the privacy notice or the role question."""
    query = update.callback_query
    tg_user = update.effective_user
    if query is None or tg_user is None or query.data is None:
        return
    _, step, value = [*query.data.split(":"), "", ""][:3]
    state = await flows.get_flow(context.db, tg_user.id)
    t = context.t
    if state is None or state.flow != FLOW or state.step != step:
        context.answer(update, t("button.stale"), alert=True)
        return
    if step == STEP_PRIVACY and value == "yes":
        await flows.set_flow(
            context.db, user_id=tg_user.id, flow=FLOW, step=STEP_ROLE, draft=state.draft
        )
        context.answer(update)
        context.edit(update, t("privacy.accepted"))
        context.reply(update, t("role.question"), role_keyboard(context))
    elif step == STEP_PRIVACY and value == "no":
        await flows.clear_flow(context.db, tg_user.id)
        if context.user is not None and context.user.consent_at is None:
            await context.db.delete(context.user)
            context.scope.user = None
        context.answer(update)
        context.edit(update, t("privacy.declined"))
    elif step == STEP_ROLE and value in (ROLE_ASN, ROLE_CITIZEN):
        user = await get_or_create_user(context.db, tg_user.id)
        await record_consent(context.db, user=user, role=value, at=utcnow())
        context.scope.user = user
        await flows.clear_flow(context.db, tg_user.id)
        context.answer(update)
        context.edit(update, t(f"role.chosen_{value}"))
        await show_menu(update, context)
        payload = state.draft.get("payload")
        if isinstance(payload, str):
            await follow_payload(update, context, payload)
    else:
        context.answer(update, t("button.stale"), alert=True)


async def show_menu(update: Update, context: SuaraContext) -> None:
    """The menu fitting the user's roles."""
    context.reply(update, context.t("menu.title"), await menu_keyboard(update, context))


async def menu_keyboard(update: Update, context: SuaraContext) -> InlineKeyboardMarkup:
    t = context.t
    roles = await access.roles_of(context.db, context.settings, context.user)
    rows: list[list[tuple[str, str]]] = []
    if roles & {access.ORGANIZER, access.ADMIN}:
        rows.append([(t("menu.complaints_inbox"), "m:aduan")])
    rows.append([(t("menu.report"), "m:lapor"), (t("menu.status"), "m:status")])
    if ROLE_ASN in roles:
        rows.append([(t("menu.trainings"), "m:pelatihan")])
    rows.append([(t("menu.help"), "m:bantuan"), (t("menu.language"), "m:bahasa")])
    return keyboard(rows)


async def follow_payload(update: Update, context: SuaraContext, payload: str) -> None:
    """Acts on a deep link (t.me/<bot>?start=<payload>) once the user is set up."""
    route = context.bot_data.deep_links.get(payload.split("_")[0])
    if route is None:
        context.reply(update, context.t("start.unknown_link"))
        return
    await route(update, context, payload)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(onboarding_button, pattern=r"^on:"))
