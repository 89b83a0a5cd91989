"""Class lists and certificates in the chat: the class-list line and actions of a program's
page, and /sertifikat (an ASN's own certificates and JP; an organizer's revoke and reissue).

Every decision is the services' (bot/services/classlists.py, certificates.py): a handler
parses, calls one service and renders its answer or its refusal.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import SuaraContext
from bot.handlers.requires import command, requires
from bot.keyboards import Button
from bot.render import shorten
from bot.services import certificate_records, certificates, classlists, feedback
from bot.services.access import Need
from bot.services.errors import NotFound, Refused
from bot.storage import programs as store
from bot.storage.programs import PROGRAM_OPEN, Program

# The program page's actions that are about the class list and certificates.
ACTIONS = ("remind", "roll", "zip", "siasn")
ROLL_SHOWN = 60  # people named on the chat's class list; the workspace and exports have all


async def roll_line(context: SuaraContext, program: Program) -> str:
    """The class-list figures for the program's page; empty for a program without a list."""
    assert program.id is not None
    return _figures(context, await classlists.roll(context.db, await context.access(), program.id))


def _figures(context: SuaraContext, roll: classlists.Roll) -> str:
    if not roll.listed:
        return ""
    return context.t(
        "classlist.roll",
        listed=roll.listed,
        joined=roll.joined,
        answered=roll.answered,
        rate=context.t.number(roll.rate * 100, digits=0),
    )


async def page_buttons(context: SuaraContext, program: Program) -> list[Button]:
    """The page's class-list and certificate buttons."""
    from bot.buttons import ProgramAction

    assert program.id is not None
    t = context.t
    buttons: list[Button] = [(t("classlist.action_roll"), ProgramAction(program.id, "roll"))]
    if program.status == PROGRAM_OPEN:
        buttons.append((t("classlist.action_remind"), ProgramAction(program.id, "remind")))
    if await certificates.settings_of(context.db, program.id) is not None:
        buttons.append((t("certificates.action_zip"), ProgramAction(program.id, "zip")))
        buttons.append((t("certificates.action_siasn"), ProgramAction(program.id, "siasn")))
    return buttons


async def act(update: Update, context: SuaraContext, program: Program, action: str) -> str:
    """Does one of ACTIONS; returns what to say above the refreshed page ("" for nothing)."""
    assert program.id is not None
    t = context.t
    caller = await context.access()
    try:
        if action == "remind":
            done, notices = await classlists.remind_now(
                context.db,
                caller,
                program.id,
                now=context.bot_data.clock(),
                rules=feedback.Rules.from_settings(context.settings),
            )
            await context.notify(notices)
            return t(done.key, **done.values)
        if action == "roll":
            context.reply(update, await _roll_text(context, program))
            return ""
        await context.notify(
            await certificate_records.take_away(context.db, caller, program.id, action)
        )
        return ""
    except Refused as exc:
        return t(exc.key, **exc.values)


async def _roll_text(context: SuaraContext, program: Program) -> str:
    t = context.t
    assert program.id is not None
    lines, roll = await classlists.roll_lines(
        context.db, await context.access(), program.id, limit=ROLL_SHOWN
    )
    if not roll.listed:
        return t("classlist.roll_empty")
    text = [t("classlist.roll_title", code=program.code), _figures(context, roll)]
    for line in lines:
        done = "✅" if line.completed else ("🟡" if line.joined else "⬜")
        name = shorten(line.name, 60) if line.name else t("classlist.roll_unnamed")
        text.append(t("classlist.roll_line", done=done, name=name, nip=line.nip))
    return "\n".join(text)


@requires(Need.ANYONE)  # the services refuse what is not the caller's
async def certificate_command(update: Update, context: SuaraContext) -> None:
    """/sertifikat: your certificates and this year's JP; /sertifikat NOMOR sends yours
    again; /sertifikat cabut|ulang NOMOR revokes or reissues one of your programs' (organizers)."""
    args = [arg[:140] for arg in (context.args or [])][:2]
    user = update.effective_user
    if user is None:
        return
    try:
        if args and args[0].lower() in ("atur", "set"):
            await _configure(update, context)
            return
        if len(args) == 2 and args[0].lower() in ("cabut", "revoke"):
            done = await certificates.revoke(
                context.db, await context.access(), args[1], now=context.bot_data.clock()
            )
            context.reply(update, context.t(done.key, **done.values))
            return
        if len(args) == 2 and args[0].lower() in ("ulang", "reissue"):
            done, notices = await certificates.reissue(
                context.db, await context.access(), args[1], now=context.bot_data.clock()
            )
            await context.notify(notices)
            context.reply(update, context.t(done.key, **done.values))
            return
        if len(args) == 1:
            await context.notify(
                await certificate_records.send_again_by_number(context.db, user.id, args[0])
            )
            return
    except Refused as exc:
        context.refuse(update, exc)
        return
    text = await mine_text(context, user.id)
    context.reply(update, text or context.t("certificates.mine_none"))


async def _configure(update: Update, context: SuaraContext) -> None:
    """/sertifikat atur KODE JP; nama penanda tangan; jabatan[; NIP]: the program issues
    certificates (those who completed already get theirs)."""
    text = (update.effective_message.text if update.effective_message else None) or ""
    _, _, rest = text.partition(" ")
    _, _, rest = rest.strip().partition(" ")
    code, _, rest = rest.strip().partition(" ")
    parts = [part.strip() for part in rest.split(";")][:4]
    if len(parts) < 3 or not parts[0].isdigit() or len(parts[0]) > 4:
        context.reply(update, context.t("certificates.set_usage"))
        return
    program = await store.program_by_code(context.db, code[:16]) if code else None
    if program is None or program.id is None:
        context.refuse(update, NotFound())
        return
    given = certificates.Signatory(
        int(parts[0]), parts[1], parts[2], parts[3] if len(parts) > 3 and parts[3] else None
    )
    done, notices = await certificates.configure(
        context.db, await context.access(), program.id, given
    )
    await context.notify(notices)
    context.reply(update, context.t(done.key, **done.values))


async def mine_text(context: SuaraContext, user_id: int) -> str:
    """The ASN's certificates and the JP they bring this year against the yearly right; empty
    for someone without any."""
    t = context.t
    year = context.bot_data.clock().astimezone(context.settings.tz).year
    mine = await certificate_records.mine(context.db, user_id, year=year)
    lines = [t("certificates.mine_hours", year=year, hours=mine.hours_this_year, right=mine.right)]
    if not mine.certificates:
        return "" if not mine.hours_this_year else lines[0]
    lines.insert(0, t("certificates.mine_title"))
    for certificate, program in mine.certificates:
        lines.append(
            t(
                "certificates.mine_item",
                title=shorten(program.title, 80),
                hours=certificate.hours,
                number=certificate.number,
            )
        )
    lines.append(t("certificates.mine_again_hint"))
    return "\n".join(lines)


def register(application: Application) -> None:
    application.add_handler(command(["sertifikat", "certificate"], certificate_command))
