"""Admins manage the staff without typing Telegram ids.

/undang makes a single-use invitation link for the organizers of a unit (or for an admin) that
expires after INVITE_HOURS; whoever opens it first gets that role, and the admin who made it is
told. /staf lists organizers and admins; a person's page removes them from a unit, dismisses an
appointed admin, or adds a unit. Admins of BOT_ADMIN_IDS cannot be dismissed here.
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application

from bot.buttons import AssignPage, InviteFor, InvitePage, StaffList, StaffMember, StaffRemove
from bot.context import SuaraContext
from bot.handlers.buttons import on_button
from bot.handlers.requires import command, requires
from bot.handlers.start import show_menu
from bot.handlers.unit_picker import unit_rows
from bot.handlers.web import set_workspace_menu
from bot.keyboards import Button, keyboard, page_of, pager
from bot.render import shorten
from bot.services import access
from bot.services import staff as staff_service
from bot.services.access import Need
from bot.services.complaints import unit_label
from bot.services.errors import Refused
from bot.services.notices import Key
from bot.storage import staff
from bot.storage.places import (
    unit_choices,
    units_by_organizer,
    units_of_organizer,
)
from bot.storage.users import get_user, get_users

INVITE_LINK_PREFIX = "staf"
PER_PAGE = 8


def staff_name(user_id: int, name: str | None) -> str:
    """Plain text (the translator escapes it): the name staff gave Telegram, and the id."""
    return f"{shorten(name, 40)} ({user_id})" if name else str(user_id)


# -- the staff list ---------------------------------------------------------------------------


async def _staff(context: SuaraContext) -> list[tuple[int, bool, list[int]]]:
    """(user, is admin, units) for everyone with a role, admins first."""
    units = await units_by_organizer(context.db)
    admins = await access.all_admins(context.db, context.settings)
    people = [(a, True, units.pop(a, [])) for a in admins]
    people += [(u, False, ids) for u, ids in sorted(units.items())]
    return people


async def _list_view(context: SuaraContext, page: int) -> tuple[str, InlineKeyboardMarkup]:
    t = context.t
    people = await _staff(context)
    shown, page, pages = page_of(people, page, PER_PAGE)
    users = await get_users(context.db, {p[0] for p in shown})
    lines = [t("staff.title", total=len(people), page=page + 1, pages=pages)]
    rows: list[list[Button]] = []
    for user_id, is_admin, unit_ids in shown:
        user = users.get(user_id)
        name = staff_name(user_id, user.staff_name if user else None)
        roles = [t("staff.role_admin")] if is_admin else []
        roles += [await unit_label(context.db, u) for u in unit_ids]
        lines.append(t("staff.item", name=name, roles="; ".join(roles)))
        label = (user.staff_name if user and user.staff_name else str(user_id))[:40]
        rows.append([(label, StaffMember(user_id))])
    rows.append(pager(page, pages, (t("common.previous"), t("common.next")), StaffList))
    rows.append([(t("staff.invite"), InvitePage(0))])
    return "\n".join(lines), keyboard(rows)


@requires(Need.ADMIN)
async def staff_command(update: Update, context: SuaraContext) -> None:
    """/staf: the organizers and admins, each with a button to change their roles."""
    context.reply(update, *await _list_view(context, 0))


@requires(Need.ADMIN)
async def list_button(update: Update, context: SuaraContext, pressed: StaffList) -> None:
    context.answer(update)
    context.edit(update, *await _list_view(context, pressed.page))


async def _member_view(context: SuaraContext, user_id: int) -> tuple[str, InlineKeyboardMarkup]:
    t = context.t
    user = await get_user(context.db, user_id)
    founding = access.is_founding_admin(context.settings, user_id)
    appointed = await staff.is_appointed_admin(context.db, user_id)
    unit_ids = await units_of_organizer(context.db, user_id)
    lines = [t("staff.member_title", name=staff_name(user_id, user.staff_name if user else None))]
    if founding:
        lines.append(t("staff.founding_admin"))
    elif appointed:
        lines.append(t("staff.appointed_admin"))
    rows: list[list[Button]] = []
    for unit_id in unit_ids:
        label = await unit_label(context.db, unit_id)
        lines.append(f"• {html.escape(label, quote=False)}")
        rows.append(
            [(t("staff.remove_from", unit=shorten(label, 40)), StaffRemove(user_id, unit_id))]
        )
    if not unit_ids and not founding and not appointed:
        lines.append(t("staff.no_roles"))
    if appointed and not founding:
        rows.append([(t("staff.dismiss_admin"), StaffRemove(user_id, 0))])
    rows.append([(t("staff.add_unit"), AssignPage(user_id, 0))])
    rows.append([(t("staff.back"), StaffList())])
    return "\n".join(lines), keyboard(rows)


@requires(Need.ADMIN)
async def member_button(update: Update, context: SuaraContext, pressed: StaffMember) -> None:
    context.answer(update)
    context.edit(update, *await _member_view(context, pressed.user))


@requires(Need.ADMIN)
async def remove_button(update: Update, context: SuaraContext, pressed: StaffRemove) -> None:
    """Removes one role; the person is told, the change audited."""
    t = context.t
    you = await context.access()
    now = context.bot_data.clock()
    try:
        if pressed.unit == 0:
            notices = await staff_service.dismiss_admin(
                context.db, context.settings, caller=you, user_id=pressed.user, now=now
            )
            done = t("staff.dismissed_admin")
        else:
            notices = await staff_service.remove_from_unit(
                context.db,
                context.settings,
                caller=you,
                user_id=pressed.user,
                unit_id=pressed.unit,
                now=now,
            )
            done = t("staff.removed_from", unit=await unit_label(context.db, pressed.unit))
    except Refused as exc:
        context.refuse(update, exc)
        return
    context.answer(update, done)
    context.edit(update, *await _member_view(context, pressed.user))
    await context.notify(notices)


# -- invitations --------------------------------------------------------------------------------


async def _invite_view(context: SuaraContext, page: int) -> tuple[str, InlineKeyboardMarkup]:
    t = context.t
    choices = await unit_choices(context.db)
    rows, page, pages = unit_rows(
        t, choices, page, lambda c: InviteFor(c.id), InvitePage, size=PER_PAGE
    )
    rows.append([(t("staff.invite_admin"), InviteFor(0))])
    hours = context.settings.invite_hours
    return t("staff.invite_choose", hours=hours, page=page + 1, pages=pages), keyboard(rows)


@requires(Need.ADMIN)
async def invite_command(update: Update, context: SuaraContext) -> None:
    """/undang: choose the unit (or admin); the bot answers with a single-use link."""
    context.reply(update, *await _invite_view(context, 0))


@requires(Need.ADMIN)
async def invite_page_button(update: Update, context: SuaraContext, pressed: InvitePage) -> None:
    context.answer(update)
    context.edit(update, *await _invite_view(context, pressed.page))


@requires(Need.ADMIN)
async def invite_button(update: Update, context: SuaraContext, pressed: InviteFor) -> None:
    t = context.t
    username = context.bot.username if context.bot else None
    if not username:
        context.answer(update, t("program.qr_no_username"), alert=True)
        return
    try:
        made = await staff_service.invite(
            context.db,
            context.settings,
            caller=await context.access(),
            unit_id=pressed.unit or None,
            now=context.core.clock(),
        )
    except Refused as exc:
        context.refuse(update, exc)
        return
    role = t(made.role.key) if isinstance(made.role, Key) else made.role
    context.answer(update)
    context.reply(
        update,
        t(
            "staff.invite_ready",
            role=role,
            link=f"https://t.me/{username}?start={INVITE_LINK_PREFIX}_{made.token}",
            until=t.datetime(made.invite.expires_at),
        ),
    )


async def invite_link(update: Update, context: SuaraContext, payload: str) -> None:
    """Someone opened an invitation: the first one within its time gets the role."""
    t = context.t
    tg_user = update.effective_user
    if tg_user is None:
        return
    name = " ".join(p for p in (tg_user.first_name, tg_user.last_name) if p)
    if tg_user.username:
        name = f"{name} @{tg_user.username}".strip()
    redeemed = await staff_service.redeem(
        context.db,
        context.settings,
        token=payload.partition("_")[2],
        user_id=tg_user.id,
        name=name,
        now=context.bot_data.clock(),
    )
    if redeemed is None:
        context.reply(update, t("staff.invite_invalid"))
        return
    unit_id = redeemed.invite.unit_id
    if unit_id is not None:
        context.reply(
            update, t("staff.welcome_organizer", unit=await unit_label(context.db, unit_id))
        )
    else:
        context.reply(update, t("staff.welcome_admin"))
    # The menu again, now with the new role's entries (the power is read afresh).
    context.scope.access = None
    if update.effective_chat is not None:
        set_workspace_menu(context, update.effective_chat.id)
    await show_menu(update, context)
    await context.notify(redeemed.notices)


def register(application: Application) -> None:
    application.add_handler(command(["staf", "staff"], staff_command))
    application.add_handler(command(["undang", "invite"], invite_command))
    application.add_handler(on_button(StaffList, list_button))
    application.add_handler(on_button(StaffMember, member_button))
    application.add_handler(on_button(StaffRemove, remove_button))
    application.add_handler(on_button(InvitePage, invite_page_button))
    application.add_handler(on_button(InviteFor, invite_button))
    application.bot_data.deep_links[INVITE_LINK_PREFIX] = invite_link
