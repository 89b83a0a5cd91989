"""A closed complaint, checked by the citizen: was it handled? "Sudah" leads to the rating
(and the SKM survey); "sebagian" or "belum" takes an optional comment and photos and reopens
the complaint at the same unit (bot/services/complaints.py answer_closure)."""

from __future__ import annotations

from pydantic import BaseModel
from telegram import Message, Update
from telegram.ext import Application

from bot.buttons import Handled, Rate
from bot.context import SuaraContext
from bot.handlers.buttons import on_button
from bot.handlers.flow import END, STAY, Flow, Invalid, Stale, Step, Turn
from bot.handlers.requires import requires
from bot.keyboards import keyboard
from bot.services import complaints as service
from bot.services.access import Need
from bot.services.errors import Refused
from bot.services.text import clean_text
from bot.storage.complaints import HANDLED_YES


class ReopenDraft(BaseModel):
    answer: str
    comment: str | None = None
    files: list[tuple[str, str]] = []


class Why(Step[ReopenDraft]):
    """What is still not done, in words or photos (both optional), then send."""

    name = "why"

    async def ask(self, turn: Turn[ReopenDraft]) -> None:
        t = turn.t
        turn.reply(
            t("complaints.ask_reopen_why", maximum=service.MAX_ATTACHMENTS),
            keyboard([[turn.button(t("complaints.reopen_send"), "send")]]),
        )

    async def on_message(self, turn: Turn[ReopenDraft], message: Message) -> str:
        t, draft = turn.t, turn.draft
        text = message.text or message.caption
        if message.photo:
            if len(draft.files) >= service.MAX_ATTACHMENTS:
                raise Invalid("complaints.files_full", maximum=service.MAX_ATTACHMENTS)
            draft.files.append(("photo", message.photo[-1].file_id))
        elif text is None:
            raise Invalid("complaints.reopen_expected")
        if text is not None:
            comment = clean_text(text)
            if len(comment) > service.NOTE_MAX:
                raise Invalid("organizer.note_long", maximum=service.NOTE_MAX)
            if comment:
                draft.comment = f"{draft.comment}\n{comment}" if draft.comment else comment
        turn.reply(
            t("complaints.reopen_noted", count=len(draft.files)),
            keyboard([[turn.button(t("complaints.reopen_send"), "send")]]),
        )
        return STAY

    async def on_button(self, turn: Turn[ReopenDraft], value: str) -> str:
        if value != "send":
            raise Stale
        context, draft, t = turn.context, turn.draft, turn.t
        try:
            complaint, notices = await service.answer_closure(
                context.db,
                context.core.moment(),
                caller=await context.access(),
                complaint_id=turn.ref,
                answer=draft.answer,
                settings=context.settings,
                comment=draft.comment,
                files=draft.files,
            )
        except Refused as exc:
            turn.edit(t(exc.key, **exc.values))
            return END
        await context.notify(notices)
        turn.edit(
            t(
                "complaints.reopened_citizen",
                ticket=complaint.ticket,
                due=t.date(complaint.followup_due) if complaint.followup_due else "-",
            )
        )
        return END


REOPEN = Flow(
    name="reopen",
    code="ro",
    draft=ReopenDraft,
    steps=[Why()],
    expected="complaints.reopen_expected",
)


@requires(Need.ANYONE)
async def handled_button(update: Update, context: SuaraContext, pressed: Handled) -> None:
    """Sudah: the rating comes next. Sebagian / Belum: what is missing, then reopened."""
    t = context.t
    caller = await context.access()
    try:
        if pressed.answer == HANDLED_YES:
            await service.answer_closure(
                context.db,
                context.core.moment(),
                caller=caller,
                complaint_id=pressed.complaint,
                answer=pressed.answer,
                settings=context.settings,
            )
        else:
            await service.awaiting_closure_answer(context.db, caller, pressed.complaint)
    except Refused as exc:
        if exc.key in ("status.not_found", "access.denied"):
            context.deny(update, exc.key)
        else:
            context.answer(update, t(exc.key, **exc.values), alert=True)
        return
    context.answer(update)
    if pressed.answer == HANDLED_YES:
        context.edit(
            update,
            t("complaints.handled_thanks_rate"),
            keyboard([[(t(f"rating.star_{n}"), Rate(pressed.complaint, n)) for n in range(1, 6)]]),
        )
        return
    context.edit(update, t(f"complaints.handled_chosen_{pressed.answer}"))
    await REOPEN.start(update, context, ReopenDraft(answer=pressed.answer), ref=pressed.complaint)


def register(application: Application) -> None:
    application.add_handler(on_button(Handled, handled_button))
    REOPEN.register(application)
