"""Admins (BOT_ADMIN_IDS): make users organizers of units, remove them, block and unblock."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, MessageOriginUser, Update
from telegram.ext import Application, MessageHandler, filters

from bot.buttons import AssignPage, AssignUnit
from bot.context import SuaraContext
from bot.handlers.buttons import on_button
from bot.handlers.common import route_message
from bot.handlers.requires import command, requires
from bot.handlers.staff import staff_command
from bot.handlers.unit_picker import unit_rows
from bot.handlers.web import set_workspace_menu
from bot.keyboards import keyboard
from bot.services import staff as staff_service
from bot.services.access import Need
from bot.services.complaints import unit_label
from bot.services.errors import Refused
from bot.services.staff import StaffError
from bot.storage.places import (
    LEVEL_UNIT,
    Place,
    place_by_code,
    unit_choices,
)

UNITS_PER_PAGE = 8


async def _user_and_unit(
    update: Update, context: SuaraContext, usage: str
) -> tuple[int, Place] | None:
    """USER_ID UNIT_CODE from the command, or the usage / unknown-unit answer."""
    args = context.args or []
    if len(args) != 2 or not args[0].isdigit() or len(args[1]) > 32:
        context.reply(update, context.t(usage))
        return None
    unit = await place_by_code(context.db, args[1])
    if unit is None or unit.level != LEVEL_UNIT or unit.id is None:
        context.reply(update, context.t("admin.unknown_unit", code=args[1]))
        return None
    return int(args[0]), unit


@requires(Need.ADMIN)
async def assign_command(update: Update, context: SuaraContext) -> None:
    """/penyelenggara USER_ID UNIT_CODE; without arguments, the staff list (/staf)."""
    if not context.args:
        await staff_command(update, context)
        return
    parsed = await _user_and_unit(update, context, "admin.assign_usage")
    if parsed is None:
        return
    user_id, unit = parsed
    assert unit.id is not None
    await _assign(update, context, user_id, unit.id)


async def _assign(update: Update, context: SuaraContext, user_id: int, unit_id: int) -> None:
    try:
        done = await staff_service.appoint_organizer(
            context.db, caller=await context.access(), user_id=user_id, unit_id=unit_id
        )
    except Refused as exc:
        context.refuse(update, exc)
        return
    context.answer(update)
    key = "admin.assigned" if done.added else "admin.already_assigned"
    context.reply(update, context.t(key, user=user_id, unit=done.unit))
    if done.added:
        set_workspace_menu(context, user_id, context.texts.for_language(None))
    await context.notify(done.notices)


@requires(Need.ADMIN)
async def remove_command(update: Update, context: SuaraContext) -> None:
    """/hapuspenyelenggara USER_ID UNIT_CODE"""
    parsed = await _user_and_unit(update, context, "admin.remove_usage")
    if parsed is None:
        return
    user_id, unit = parsed
    assert unit.id is not None
    label = await unit_label(context.db, unit.id)
    try:
        notices = await staff_service.remove_from_unit(
            context.db,
            context.settings,
            caller=await context.access(),
            user_id=user_id,
            unit_id=unit.id,
            now=context.bot_data.clock(),
        )
    except StaffError:
        context.reply(update, context.t("admin.not_assigned", user=user_id, unit=label))
        return
    context.reply(update, context.t("admin.removed", user=user_id, unit=label))
    await context.notify(notices)


@requires(Need.ADMIN)
async def block_command(update: Update, context: SuaraContext) -> None:
    """/blokir USER_ID and /bukablokir USER_ID"""
    if update.message is None or update.message.text is None:
        return
    t = context.t
    args = context.args or []
    if len(args) != 1 or not args[0].isdigit():
        context.reply(update, t("admin.block_usage"))
        return
    banned = update.message.text.lstrip("/").lower().startswith("blokir")
    try:
        await staff_service.set_banned(
            context.db,
            context.settings,
            caller=await context.access(),
            user_id=int(args[0]),
            banned=banned,
        )
    except Refused as exc:
        context.refuse(update, exc)
        return
    context.reply(update, t("admin.blocked" if banned else "admin.unblocked", user=args[0]))


@requires(Need.ANYONE)  # anyone may forward; only an admin's forward is read as a question
async def forwarded(update: Update, context: SuaraContext) -> None:
    """An admin forwards a user's message: the bot offers the units to assign them to.
    Anyone else's forwarded message is an ordinary message (a flow's answer, a complaint)."""
    message = update.message
    if message is None:
        return
    if not (await context.access()).admin:
        await route_message(update, context)
        return
    origin = message.forward_origin
    if not isinstance(origin, MessageOriginUser):
        context.reply(update, context.t("admin.forwarded_hidden"))
        return
    user_id = origin.sender_user.id
    text, markup = await _unit_choice(context, user_id, 0)
    context.reply(update, text, markup)


async def _unit_choice(
    context: SuaraContext, user_id: int, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    t = context.t
    rows, page, pages = unit_rows(
        t,
        await unit_choices(context.db),
        page,
        lambda c: AssignUnit(user_id, c.id),
        lambda n: AssignPage(user_id, n),
        size=UNITS_PER_PAGE,
    )
    return t("admin.forwarded_user", user=user_id, page=page + 1, pages=pages), keyboard(rows)


@requires(Need.ADMIN)
async def page_button(update: Update, context: SuaraContext, pressed: AssignPage) -> None:
    """Another page of units for a forwarded user (or a staff member gaining a unit)."""
    context.answer(update)
    text, markup = await _unit_choice(context, pressed.user, pressed.page)
    context.edit(update, text, markup)


@requires(Need.ADMIN)
async def unit_button(update: Update, context: SuaraContext, pressed: AssignUnit) -> None:
    """A unit chosen for a forwarded user (or a staff member)."""
    await _assign(update, context, pressed.user, pressed.unit)


def register(application: Application) -> None:
    application.add_handler(command("penyelenggara", assign_command))
    application.add_handler(command("hapuspenyelenggara", remove_command))
    application.add_handler(command(["blokir", "bukablokir"], block_command))
    application.add_handler(on_button(AssignUnit, unit_button))
    application.add_handler(on_button(AssignPage, page_button))
    application.add_handler(
        MessageHandler(filters.FORWARDED & filters.UpdateType.MESSAGE, forwarded)
    )
