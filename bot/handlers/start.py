"""/start: welcome, the privacy notice and the role question for new users, then the menu."""

from __future__ import annotations

import re

from pydantic import BaseModel
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application

from bot.buttons import Menu
from bot.context import SuaraContext
from bot.handlers.buttons import on_button
from bot.handlers.flow import END, HANDED_OVER, NEXT, Flow, Stale, Step, Turn
from bot.handlers.requires import command, requires
from bot.keyboards import Button, keyboard
from bot.services.access import Need
from bot.storage import flows
from bot.storage.models import ROLE_ASN, ROLE_CITIZEN
from bot.storage.types import utcnow
from bot.storage.users import get_or_create_user, record_consent

_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class OnboardingDraft(BaseModel):
    payload: str | None = None  # the deep link the user came by, followed once they are set up


class PrivacyNotice(Step[OnboardingDraft]):
    name = "privacy"

    async def ask(self, turn: Turn[OnboardingDraft]) -> None:
        t = turn.t
        turn.reply(t("start.welcome_new"))
        turn.reply(
            t("privacy.notice", days=turn.context.settings.retention_days)
            + "\n\n"
            + t("certificates.privacy_notice")
            + "\n\n"
            + t("privacy.ask_consent"),
            keyboard(
                [
                    [turn.button(t("privacy.agree"), "yes")],
                    [turn.button(t("privacy.decline"), "no")],
                ]
            ),
        )

    async def on_button(self, turn: Turn[OnboardingDraft], value: str) -> str:
        context = turn.context
        if value == "yes":
            turn.edit(turn.t("privacy.accepted"))
            role = implied_role(context, turn.draft.payload)
            return await _set_up(turn, role) if role else NEXT
        if value != "no":
            raise Stale
        if context.user is not None and context.user.consent_at is None:
            # Nothing is kept of someone who declined: not even their id.
            await context.db.delete(context.user)
            context.scope.user = None
        turn.edit(turn.t("privacy.declined"))
        return END


class RoleQuestion(Step[OnboardingDraft]):
    name = "role"

    async def ask(self, turn: Turn[OnboardingDraft]) -> None:
        t = turn.t
        turn.reply(
            t("role.question"),
            keyboard(
                [
                    [turn.button(t("role.asn"), ROLE_ASN)],
                    [turn.button(t("role.citizen"), ROLE_CITIZEN)],
                ]
            ),
        )

    async def on_button(self, turn: Turn[OnboardingDraft], value: str) -> str:
        if value not in (ROLE_ASN, ROLE_CITIZEN):
            raise Stale
        turn.edit(turn.t(f"role.chosen_{value}"))
        return await _set_up(turn, value)


def implied_role(context: SuaraContext, payload: str | None) -> str | None:
    """The role the deep link a new user came by implies (None: ask)."""
    if not payload:
        return None
    return context.bot_data.deep_link_roles.get(payload.split("_")[0])


async def _set_up(turn: Turn[OnboardingDraft], role: str) -> str:
    """Records the consent and the role, shows the menu and follows the deep link."""
    context, update = turn.context, turn.update
    user = await get_or_create_user(context.db, turn.user_id)
    await record_consent(context.db, user=user, role=role, at=utcnow())
    context.scope.user = user
    # The flow ends before the menu and the deep link, which may start a flow of their own.
    await flows.clear_flow(context.db, turn.user_id, turn.flow.name)
    await show_menu(update, context)
    if turn.draft.payload:
        await follow_payload(update, context, turn.draft.payload)
    return HANDED_OVER


ONBOARDING = Flow(
    name="onboarding",
    code="on",
    draft=OnboardingDraft,
    steps=[PrivacyNotice(), RoleQuestion()],
    expected="start.use_buttons",
)


@requires(Need.ANYONE)
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
    await ONBOARDING.start(update, context, OnboardingDraft(payload=payload))


async def show_menu(update: Update, context: SuaraContext) -> None:
    """The menu fitting the user's roles."""
    context.reply(update, context.t("menu.title"), await menu_keyboard(update, context))


async def menu_keyboard(update: Update, context: SuaraContext) -> InlineKeyboardMarkup:
    t = context.t
    you = await context.access()
    rows: list[list[Button]] = []
    if you.organizer:
        rows.append(
            [(t("menu.complaints_inbox"), Menu("aduan")), (t("menu.programs"), Menu("program"))]
        )
    rows.append([(t("menu.report"), Menu("lapor")), (t("menu.status"), Menu("status"))])
    if you.role == ROLE_ASN:
        rows.append([(t("menu.trainings"), Menu("pelatihan")), (t("menu.propose"), Menu("usul"))])
    rows.append([(t("menu.help"), Menu("bantuan")), (t("menu.language"), Menu("bahasa"))])
    return keyboard(rows)


@requires(Need.ANYONE)
async def menu_button(update: Update, context: SuaraContext, pressed: Menu) -> None:
    """A main-menu entry: what it does is registered by the feature it belongs to."""
    action = context.bot_data.menu_items.get(pressed.item)
    if action is None:
        context.answer(update, context.t("button.stale"), alert=True)
        return
    await action(update, context)


async def follow_payload(update: Update, context: SuaraContext, payload: str) -> None:
    """Acts on a deep link (t.me/<bot>?start=<payload>) once the user is set up."""
    route = context.bot_data.deep_links.get(payload.split("_")[0])
    if route is None:
        context.reply(update, context.t("start.unknown_link"))
        return
    await route(update, context, payload)


def register(application: Application) -> None:
    application.add_handler(command("start", start))
    ONBOARDING.register(application)
    application.add_handler(on_button(Menu, menu_button))
