"""Limiting a reporter to protect a unit: an organizer stops a reporter from filing to their
unit (a reason and a confirmation first; the organizer never learns who it is), and admins
see and lift these limits with /blokiran. Banning someone from the whole service stays an
admin power (/blokir), and never applies to the admins of BOT_ADMIN_IDS.
"""

from __future__ import annotations

from pydantic import BaseModel
from telegram import Message, Update
from telegram.ext import Application

from bot.buttons import BlockReporter, LiftBlock
from bot.context import SuaraContext
from bot.handlers.buttons import on_button
from bot.handlers.flow import END, NEXT, Flow, Invalid, Stale, Step, Turn
from bot.handlers.requires import command, requires
from bot.keyboards import Button, keyboard
from bot.render import shorten
from bot.services import complaints as service
from bot.services.access import Need
from bot.services.complaints import ComplaintError
from bot.storage import complaints as store
from bot.storage.complaints import UnitBlock


class BlockDraft(BaseModel):
    reason: str | None = None


async def _handled(turn: Turn[BlockDraft]) -> store.Complaint:
    context = turn.context
    complaint = await store.get_complaint(context.db, turn.ref)
    if complaint is None or not (await context.access()).handles(complaint.unit_id):
        raise Invalid("access.denied")
    return complaint


class Reason(Step[BlockDraft]):
    name = "reason"

    async def ask(self, turn: Turn[BlockDraft]) -> None:
        complaint = await _handled(turn)
        turn.reply(turn.t("unitblock.ask_reason", ticket=complaint.ticket))

    async def on_message(self, turn: Turn[BlockDraft], message: Message) -> str:
        try:
            turn.draft.reason = service.check_note(message.text or "")
        except ComplaintError as exc:
            raise Invalid(exc.key, maximum=service.NOTE_MAX) from None
        return NEXT


class Confirm(Step[BlockDraft]):
    name = "confirm"

    async def ask(self, turn: Turn[BlockDraft]) -> None:
        t = turn.t
        complaint = await _handled(turn)
        turn.reply(
            t("unitblock.confirm", ticket=complaint.ticket, reason=turn.draft.reason or "-"),
            keyboard(
                [
                    [turn.button(t("unitblock.yes"), "yes")],
                    [turn.button(t("common.cancel"), "no")],
                ]
            ),
        )

    async def on_button(self, turn: Turn[BlockDraft], value: str) -> str:
        if value == "no":
            turn.edit(turn.t("cancel.done"))
            return END
        if value != "yes" or not turn.draft.reason:
            raise Stale
        context = turn.context
        complaint = await _handled(turn)
        role = (await context.access()).actor_role
        try:
            await service.block_for_unit(
                context.db,
                complaint=complaint,
                actor_id=turn.user_id,
                actor_role=role,
                reason=turn.draft.reason,
                settings=context.settings,
            )
        except ComplaintError as exc:
            turn.edit(turn.t(exc.key))
            return END
        turn.edit(turn.t("unitblock.done", ticket=complaint.ticket))
        return END


BLOCK = Flow(
    name="unitblock",
    code="ub",
    draft=BlockDraft,
    steps=[Reason(), Confirm()],
    requires=Need.ORGANIZER,
)


@requires(Need.ORGANIZER)
async def block_button(update: Update, context: SuaraContext, pressed: BlockReporter) -> None:
    """Starts limiting the reporter of a complaint of the organizer's unit."""
    complaint = await store.get_complaint(context.db, pressed.complaint)
    if complaint is None or not (await context.access()).handles(complaint.unit_id):
        context.deny(update)
        return
    context.answer(update)
    await BLOCK.start(update, context, BlockDraft(), ref=pressed.complaint)


@requires(Need.ADMIN)
async def blocks_command(update: Update, context: SuaraContext) -> None:
    """/blokiran: the reporters limited at units, for admins, with a button to lift each."""
    t = context.t
    blocks = await store.active_blocks(context.db)
    if not blocks:
        context.reply(update, t("unitblock.none"))
        return
    lines = [t("unitblock.list_title")]
    rows: list[list[Button]] = []
    for block in blocks:
        assert block.id is not None
        complaint = await store.get_complaint(context.db, block.complaint_id)
        ticket = complaint.ticket if complaint else "?"
        lines.append(
            t(
                "unitblock.list_item",
                ticket=ticket,
                unit=await service.unit_label(context.db, block.unit_id),
                date=t.date(block.blocked_at),
                reason=shorten(block.reason, 200),
            )
        )
        rows.append([(t("unitblock.lift", ticket=ticket), LiftBlock(block.id))])
    context.reply(update, "\n".join(lines), keyboard(rows))


@requires(Need.ADMIN)
async def lift_button(update: Update, context: SuaraContext, pressed: LiftBlock) -> None:
    tg_user = update.effective_user
    if tg_user is None:
        return
    block = await context.db.get(UnitBlock, pressed.block)
    if block is None or block.lifted_at is not None:
        context.answer(update, context.t("button.stale"), alert=True)
        return
    await service.lift_block(context.db, block=block, admin_id=tg_user.id)
    context.answer(update, context.t("unitblock.lifted"), alert=True)


def register(application: Application) -> None:
    BLOCK.register(application)
    application.add_handler(on_button(BlockReporter, block_button))
    application.add_handler(on_button(LiftBlock, lift_button))
    application.add_handler(command(["blokiran", "blocks"], blocks_command))
