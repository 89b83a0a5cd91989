"""/unit for admins: the units (paged, searched by writing), each with rename, deactivate and
reactivate; `/unit tambah KODE WILAYAH Nama unit` adds one. Every change is made by
bot/services/units.py, which checks the caller and writes the audit event.
"""

from __future__ import annotations

from pydantic import BaseModel
from telegram import Message, Update
from telegram.ext import Application

from bot.context import SuaraContext
from bot.handlers.flow import STAY, Flow, Invalid, Stale, Step, Turn
from bot.handlers.requires import command, requires
from bot.handlers.unit_picker import UnitPicker
from bot.keyboards import keyboard
from bot.services import units as service
from bot.services.access import Need
from bot.services.errors import Refused
from bot.storage.places import UnitChoice, get_place, short_region, unit_choices

LIST, CARD, RENAME = "list", "card", "rename"


class UnitsDraft(BaseModel):
    unit_id: int | None = None
    unit_page: int = 0
    unit_query: str | None = None


UTurn = Turn[UnitsDraft]


class UnitList(UnitPicker[UnitsDraft]):
    """Every unit, deactivated ones marked: an admin manages them all."""

    name = LIST
    question = "units.ask_admin"

    async def choices(self, turn: UTurn) -> list[UnitChoice]:
        return await service.list_units(
            turn.context.db, await turn.context.access(), query=turn.draft.unit_query
        )

    async def chosen(self, turn: UTurn, choice: UnitChoice) -> str:
        turn.draft.unit_id = choice.id
        return CARD


async def _choice(turn: UTurn) -> UnitChoice:
    unit_id = turn.draft.unit_id
    found = [c for c in await unit_choices(turn.context.db, active_only=False) if c.id == unit_id]
    if not found:
        raise Stale
    return found[0]


class Card(Step[UnitsDraft]):
    """One unit: what it is, and what an admin may do with it."""

    name = CARD

    async def ask(self, turn: UTurn) -> None:
        t, choice = turn.t, await _choice(turn)
        toggle = (
            ("units.deactivate_button", "off")
            if choice.active
            else ("units.reactivate_button", "on")
        )
        rows = [
            [
                turn.button(t("units.rename_button"), "rename"),
                turn.button(t(toggle[0]), toggle[1]),
            ],
            [turn.button(t("units.back_to_list"), "list")],
        ]
        state = t("units.state_active") if choice.active else t("units.state_inactive")
        text = t(
            "units.card",
            code=choice.code,
            name=choice.name,
            region=short_region(choice.region) or "-",
            state=state,
        )
        if turn.update.callback_query is not None:
            turn.edit(text, keyboard(rows))
        else:
            turn.reply(text, keyboard(rows))

    async def on_button(self, turn: UTurn, value: str) -> str:
        if value == "list":
            turn.draft.unit_id = None
            return LIST
        if value == "rename":
            return RENAME
        if value not in ("on", "off") or turn.draft.unit_id is None:
            raise Stale
        context = turn.context
        try:
            notices = await service.set_active(
                context.db,
                await context.access(),
                unit_id=turn.draft.unit_id,
                active=value == "on",
            )
        except Refused as exc:
            raise Invalid(exc.key, **exc.values) from None
        await context.notify(notices)
        choice = await _choice(turn)
        key = "units.reactivated" if value == "on" else "units.deactivated"
        context.answer(turn.update, turn.t(key, unit=choice.label))
        await self.ask(turn)
        return STAY


class Rename(Step[UnitsDraft]):
    name = RENAME

    async def ask(self, turn: UTurn) -> None:
        choice = await _choice(turn)
        turn.reply(turn.t("units.ask_rename", unit=choice.label))

    async def on_message(self, turn: UTurn, message: Message) -> str:
        context = turn.context
        if turn.draft.unit_id is None:
            raise Stale
        old = (await _choice(turn)).name
        try:
            notices = await service.rename_unit(
                context.db,
                await context.access(),
                unit_id=turn.draft.unit_id,
                name=message.text or "",
            )
        except Refused as exc:
            raise Invalid(exc.key, **exc.values) from None
        await context.notify(notices)
        new = (await _choice(turn)).name
        turn.reply(turn.t("units.renamed", old=old, new=new))
        return CARD


UNITS = Flow(
    name="units",
    code="un",
    draft=UnitsDraft,
    steps=[UnitList(), Card(), Rename()],
    order=[LIST, CARD, RENAME],
    requires=Need.ADMIN,
)


@requires(Need.ADMIN)
async def unit_command(update: Update, context: SuaraContext) -> None:
    """/unit: the units to manage; /unit tambah KODE WILAYAH Nama: a new one."""
    args = context.args or []
    if not args:
        await UNITS.start(update, context, UnitsDraft())
        return
    if args[0].lower() not in ("tambah", "add") or len(args) < 4:
        context.reply(update, context.t("units.add_usage"))
        return
    row = service.UnitRow(code=args[1], region=args[2], name=" ".join(args[3:]))
    try:
        unit = await service.add_unit(context.db, await context.access(), row)
    except Refused as exc:
        context.reply(update, context.t(exc.key, **exc.values))
        return
    region = await get_place(context.db, unit.parent_id) if unit.parent_id else None
    context.reply(
        update,
        context.t(
            "units.added",
            code=unit.code,
            name=unit.name,
            region=short_region(region.name) if region else "-",
        ),
    )


def register(application: Application) -> None:
    application.add_handler(command("unit", unit_command))
    UNITS.register(application)
